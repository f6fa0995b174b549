//! A "service profile" client built for its operations (issue 10): each
//! operation declares the scopes it requires as types, the client requests
//! exactly the union of them (least privilege by construction), and each
//! call is sent only under a grant for what it requires.
//!
//! It starts the mock provider in-process, with a client allowed the SDK's
//! `discovery:read`, `serviceprofile:read` and `serviceprofile:write`, and
//! the "service profile" API itself (issue 13): a hyper server behind
//! `ValidateBearerLayer`, which checks the mock's JWT access tokens against
//! its JWKS, and whose handlers each take the `Grant` they need. All of it
//! runs offline: `cargo run -p auth-http --example service_profile`. It
//! prints what it does, never the token or the secret.
//!
//! What the compiler refuses: sending `UpdateProfile` under the grant for
//! `ListServices`,
//!
//! ```text
//! manager.operation_request(&update, &list_grant)
//!                                    ^^^^^^^^^^^ expected `&ManagedGrant<(ServiceProfileRead, ServiceProfileWrite)>`,
//!                                                found `&ManagedGrant<DiscoveryRead>`
//! ```
//!
//! or without one at all. What is checked at run time, once per token: that
//! the provider granted what a grant requires (`manager.grant()`).

use std::convert::Infallible;
use std::net::SocketAddr;

use auth_core::Grant;
use auth_core::scope::{DiscoveryRead, ServiceProfileRead, ServiceProfileWrite};
use auth_core::{Client, ClientCredentials, Operation, Operations, Scope, TokenUrl};
use auth_http::resource::{JwtValidator, ValidateBearerLayer, grant};
use auth_http::{HyperTransport, TokenManager, Transport as _};
use tower::{Layer as _, ServiceExt as _};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

// ---- The API: each handler takes the grant it needs -------------------

/// `GET /services`: needs `discovery:read`.
fn list_services(_grant: Grant<DiscoveryRead>) -> http::Response<String> {
    http::Response::new(r#"["profile-service"]"#.to_owned())
}

/// `GET /profile`: needs `serviceprofile:read`.
fn read_profile(_grant: Grant<ServiceProfileRead>) -> http::Response<String> {
    http::Response::new(r#"{"name":"profile-service"}"#.to_owned())
}

/// `PUT /profile`: needs `serviceprofile:read` and `serviceprofile:write`.
fn update_profile(
    _grant: Grant<(ServiceProfileRead, ServiceProfileWrite)>,
) -> http::Response<String> {
    http::Response::new(String::new())
}

/// Routes a request that passed the bearer layer to its handler, which
/// runs only with its grant; without it, the refusal is the answer (`403
/// insufficient_scope` naming what the handler needs).
async fn api<B>(request: http::Request<B>) -> Result<http::Response<String>, Infallible> {
    let extensions = request.extensions();
    let answer = match (request.method().as_str(), request.uri().path()) {
        ("GET", "/services") => grant(extensions).map(list_services),
        ("GET", "/profile") => grant(extensions).map(read_profile),
        ("PUT", "/profile") => grant(extensions).map(update_profile),
        _ => {
            let mut missing = http::Response::new(String::new());
            *missing.status_mut() = http::StatusCode::NOT_FOUND;
            Ok(missing)
        }
    };
    Ok(answer.unwrap_or_else(auth_http::resource::Refusal::into_response))
}

/// Serves the API on `listener` behind the bearer layer: a small hyper
/// server (accept, wrap, spawn, serve).
fn serve(listener: tokio::net::TcpListener, validator: JwtValidator) {
    let service = ValidateBearerLayer::new(validator, "service-profile")
        .layer(tower::service_fn(api::<hyper::body::Incoming>));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = service.clone();
            let hyper_service =
                hyper::service::service_fn(move |request| service.clone().oneshot(request));
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, hyper_service)
                    .await;
            });
        }
    });
}

/// The mock provider (its tokens are for `api_url`) and the API on
/// `listener`, validating them with the mock's JWKS.
async fn start(
    listener: tokio::net::TcpListener,
) -> Result<(mock_server::MockServer, String), BoxError> {
    let addr: SocketAddr = listener.local_addr()?;
    let api_url = format!("http://{addr}");
    let allowed = ServiceProfileOperations::scopes();
    let server = mock_server::MockServer::builder()
        .client(
            mock_server::ClientRegistration::new("profile-service", "dev-secret")
                .with_scopes(allowed.iter().map(Scope::as_str).map(str::to_owned)),
        )
        .default_audience(api_url.clone())
        .start()
        .await?;
    let validator =
        JwtValidator::builder(server.url(), api_url.clone(), server.jwks_url()).build()?;
    serve(listener, validator);
    Ok((server, api_url))
}

// ---- The client: each operation sent under its grant ------------------

/// `GET uri`, no body.
fn get(uri: &http::Uri) -> http::Request<Vec<u8>> {
    let mut request = http::Request::new(Vec::new());
    *request.uri_mut() = uri.clone();
    request
}

/// Lists the services in the directory.
struct ListServices {
    uri: http::Uri,
}

impl Operation for ListServices {
    type Requires = DiscoveryRead;
    type Body = Vec<u8>;
    fn to_request(&self) -> http::Request<Vec<u8>> {
        get(&self.uri)
    }
}

/// Reads this service's profile.
struct ReadProfile {
    uri: http::Uri,
}

impl Operation for ReadProfile {
    type Requires = ServiceProfileRead;
    type Body = Vec<u8>;
    fn to_request(&self) -> http::Request<Vec<u8>> {
        get(&self.uri)
    }
}

/// Replaces this service's profile: read and write, as the SDK's profile
/// update does (a read-modify-write).
struct UpdateProfile {
    uri: http::Uri,
    profile: Vec<u8>,
}

impl Operation for UpdateProfile {
    type Requires = (ServiceProfileRead, ServiceProfileWrite);
    type Body = Vec<u8>;
    fn to_request(&self) -> http::Request<Vec<u8>> {
        let mut request = http::Request::new(self.profile.clone());
        *request.method_mut() = http::Method::PUT;
        *request.uri_mut() = self.uri.clone();
        request
    }
}

/// Every operation the service makes: the client requests the union of
/// their scopes, and no more.
type ServiceProfileOperations = (ListServices, ReadProfile, UpdateProfile);

/// The service: a manager for its operations' scopes, then each operation
/// under its grant. Returns what it did, line by line.
async fn run(token_url: &str, api_url: &str) -> Result<Vec<String>, BoxError> {
    let mut log = Vec::new();
    let scopes = ServiceProfileOperations::scopes();
    log.push(format!(
        "requesting scope {:?} (the union of the operations' requirements)",
        scopes.to_string()
    ));
    // Built for its operations: the request names exactly their scopes.
    let client = Client::for_operations::<ServiceProfileOperations>(
        TokenUrl::parse(token_url)?,
        // A real service reads its secret from the environment.
        ClientCredentials::new("profile-service", "dev-secret"),
    );
    let manager = TokenManager::new(client, HyperTransport::new()?);
    // The API is plain http on 127.0.0.1 here; a real one is https.

    // Checked once against what the provider granted; a provider that
    // granted less fails here, not with a 403 later.
    let list_grant = manager.grant::<DiscoveryRead>().await?;
    let read_grant = manager.grant::<ServiceProfileRead>().await?;
    let update_grant = manager
        .grant::<(ServiceProfileRead, ServiceProfileWrite)>()
        .await?;
    if let Some(token) = manager.cached() {
        log.push(format!("granted scope {:?}", token.scope().to_string()));
    }

    let transport = HyperTransport::new()?;
    let list = ListServices {
        uri: format!("{api_url}/services").parse()?,
    };
    let read = ReadProfile {
        uri: format!("{api_url}/profile").parse()?,
    };
    let update = UpdateProfile {
        uri: format!("{api_url}/profile").parse()?,
        profile: br#"{"name":"profile-service","contact":"ops@example.com"}"#.to_vec(),
    };
    let requests = [
        (
            "ListServices",
            manager.operation_request(&list, &list_grant).await?,
        ),
        (
            "ReadProfile",
            manager.operation_request(&read, &read_grant).await?,
        ),
        (
            "UpdateProfile",
            manager.operation_request(&update, &update_grant).await?,
        ),
    ];
    for (name, request) in requests {
        let line = format!("{name}: {} {}", request.method(), request.uri());
        let response = transport.send(request).await?;
        log.push(format!("{line} -> {}", response.status()));
        if !response.status().is_success() {
            return Err(format!("{name} was refused: {}", response.status()).into());
        }
    }
    Ok(log)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let (server, api_url) = start(tokio::net::TcpListener::bind("127.0.0.1:0").await?).await?;
    println!("mock provider at {}", server.url());
    println!("service profile API at {api_url}");
    for line in run(&server.token_url(), &api_url).await? {
        println!("  {line}");
    }
    println!(
        "token requests seen by the provider: {}",
        server.token_requests()
    );
    server.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use auth_core::Operations as _;

    use super::ServiceProfileOperations;

    #[test]
    fn the_client_requests_exactly_the_union_of_its_operations_scopes() {
        assert_eq!(
            ServiceProfileOperations::scopes().to_string(),
            "discovery:read serviceprofile:read serviceprofile:write"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_operation_passes_the_mocks_scope_check_with_one_token_request() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (server, api_url) = super::start(listener).await.unwrap();
        let log = super::run(&server.token_url(), &api_url).await.unwrap();
        let calls: Vec<_> = log.iter().filter(|l| l.contains(" -> ")).collect();
        assert_eq!(calls.len(), 3, "{log:#?}");
        assert!(calls.iter().all(|l| l.ends_with("-> 200 OK")), "{log:#?}");
        assert!(
            calls[2].starts_with(&format!("UpdateProfile: PUT {api_url}/profile")),
            "{log:#?}"
        );
        assert_eq!(server.token_requests(), 1);
        server.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_api_refuses_a_token_without_the_handlers_scope_with_insufficient_scope() {
        use auth_http::Transport as _;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (server, api_url) = super::start(listener).await.unwrap();
        let token = server.mint_token("profile-service", &"discovery:read".parse().unwrap());
        let transport = auth_http::HyperTransport::new().unwrap();
        let call = |method: &str, path: &str, token: Option<&str>| {
            let mut request = http::Request::builder()
                .method(method)
                .uri(format!("{api_url}{path}"));
            if let Some(token) = token {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            transport.send(request.body(Vec::new()).unwrap())
        };
        assert_eq!(
            call("GET", "/services", Some(&token))
                .await
                .unwrap()
                .status(),
            200
        );
        let refused = call("PUT", "/profile", Some(&token)).await.unwrap();
        assert_eq!(refused.status(), 403);
        assert_eq!(
            refused.headers()["www-authenticate"],
            r#"Bearer realm="service-profile", error="insufficient_scope", scope="serviceprofile:read serviceprofile:write""#
        );
        let anonymous = call("GET", "/services", None).await.unwrap();
        assert_eq!(anonymous.status(), 401);
        server.shutdown().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_provider_that_grants_less_fails_at_the_grant_not_with_a_403() {
        let server = mock_server::MockServer::builder()
            .client(
                mock_server::ClientRegistration::new("profile-service", "dev-secret").with_scopes(
                    [
                        "discovery:read",
                        "serviceprofile:read",
                        "serviceprofile:write",
                    ],
                ),
            )
            .start()
            .await
            .unwrap();
        // The provider grants discovery:read only, and says so (RFC 6749
        // §3.3 lets it; §5.1 makes it name what it granted).
        let token = server.mint_token("profile-service", &"discovery:read".parse().unwrap());
        let body = format!(
            r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":3600,"scope":"discovery:read"}}"#
        );
        server.push_fault(mock_server::FaultRule::new(mock_server::Fault::Raw {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        }));
        let error = super::run(&server.token_url(), &server.resource_url())
            .await
            .unwrap_err();
        let error = error.downcast_ref::<auth_http::Error>().unwrap();
        let missing = error
            .missing_scopes()
            .unwrap_or_else(|| panic!("{error:?}"));
        assert_eq!(missing.missing().to_string(), "serviceprofile:read");
        assert!(
            server
                .journal()
                .iter()
                .all(|e| !e.path.starts_with("/resource")),
            "no operation was sent"
        );
        server.shutdown().await;
    }
}
