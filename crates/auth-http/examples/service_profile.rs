//! A "service profile" client built for its operations (issue 10): each
//! operation declares the scopes it requires as types, the client requests
//! exactly the union of them (least privilege by construction), and each
//! call is sent only under a grant for what it requires.
//!
//! It starts the mock provider in-process, with a client allowed the SDK's
//! `discovery:read`, `serviceprofile:read` and `serviceprofile:write`, so it
//! runs offline: `cargo run -p auth-http --example service_profile`. Each
//! operation calls the mock's protected resource with `?scope=` naming what
//! it requires, so the mock really checks the token carries it. It prints
//! what it does, never the token or the secret.
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

use auth_core::form::encode_component;
use auth_core::scope::{DiscoveryRead, ServiceProfileRead, ServiceProfileWrite};
use auth_core::{Client, ClientCredentials, Operation, Operations, Requirement, Scope, TokenUrl};
use auth_http::{HyperTransport, TokenManager, Transport as _};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The mock's protected resource, asked to check exactly the scopes `R`
/// names (`?scope=...`); a real API checks them on its own.
fn resource_uri<R: Requirement>(resource_url: &str) -> Result<http::Uri, BoxError> {
    let scope = encode_component(&R::scopes().to_string());
    Ok(format!("{resource_url}?scope={scope}").parse()?)
}

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
async fn run(token_url: &str, resource_url: &str) -> Result<Vec<String>, BoxError> {
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
        uri: resource_uri::<<ListServices as Operation>::Requires>(resource_url)?,
    };
    let read = ReadProfile {
        uri: resource_uri::<<ReadProfile as Operation>::Requires>(resource_url)?,
    };
    let update = UpdateProfile {
        uri: resource_uri::<<UpdateProfile as Operation>::Requires>(resource_url)?,
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
    let allowed = ServiceProfileOperations::scopes();
    let server = mock_server::MockServer::builder()
        .client(
            mock_server::ClientRegistration::new("profile-service", "dev-secret")
                .with_scopes(allowed.iter().map(Scope::as_str).map(str::to_owned)),
        )
        .start()
        .await?;
    println!("mock provider at {}", server.url());
    for line in run(&server.token_url(), &server.resource_url()).await? {
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
        let allowed = ServiceProfileOperations::scopes();
        let server = mock_server::MockServer::builder()
            .client(
                mock_server::ClientRegistration::new("profile-service", "dev-secret").with_scopes(
                    allowed
                        .iter()
                        .map(auth_core::Scope::as_str)
                        .map(str::to_owned),
                ),
            )
            .start()
            .await
            .unwrap();
        let log = super::run(&server.token_url(), &server.resource_url())
            .await
            .unwrap();
        let calls: Vec<_> = log.iter().filter(|l| l.contains(" -> ")).collect();
        assert_eq!(calls.len(), 3, "{log:#?}");
        assert!(calls.iter().all(|l| l.ends_with("-> 200 OK")), "{log:#?}");
        assert!(
            calls[2].starts_with("UpdateProfile: PUT ")
                && calls[2].contains("?scope=serviceprofile%3Aread%20serviceprofile%3Awrite"),
            "{log:#?}"
        );
        assert_eq!(server.token_requests(), 1);
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
