//! `BearerAuth` over a scripted tower service and a scripted provider.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use auth_core::{Client, ClientCredentials, TokenUrl};
use auth_http::{BearerAuthLayer, Error, TokenManager, from_fn};
use tower::{Service, ServiceBuilder, ServiceExt as _};

fn manager(token_requests: &Arc<AtomicUsize>) -> TokenManager {
    let counter = Arc::clone(token_requests);
    let transport = from_fn(move |_request: http::Request<Vec<u8>>| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            Ok(http::Response::builder()
                .header("content-type", "application/json")
                .body(
                    format!(
                        r#"{{"access_token":"tok-{n}","token_type":"Bearer","expires_in":3600}}"#
                    )
                    .into_bytes(),
                )
                .unwrap())
        }
    });
    let client = Client::new(
        TokenUrl::parse("https://as.example/token").unwrap(),
        ClientCredentials::new("id", "s"),
    );
    TokenManager::new(client, transport)
}

/// A status and an optional `WWW-Authenticate` value.
type Answer = (u16, Option<&'static str>);

/// A resource answering each call with the next canned status and
/// challenge, recording the `Authorization` it saw.
#[derive(Clone, Default)]
struct Resource {
    answers: Arc<Mutex<Vec<Answer>>>,
    seen: Arc<Mutex<Vec<(String, bool, String)>>>,
}

impl Resource {
    fn answering(answers: &[Answer]) -> Self {
        let mut answers = answers.to_vec();
        answers.reverse();
        Self {
            answers: Arc::new(Mutex::new(answers)),
            ..Self::default()
        }
    }

    fn service(
        &self,
    ) -> impl Service<
        http::Request<String>,
        Response = http::Response<String>,
        Error = Infallible,
        Future: Send,
    > + Clone
    + Send
    + 'static {
        let resource = self.clone();
        tower::service_fn(move |request: http::Request<String>| {
            let resource = resource.clone();
            async move {
                let auth = request.headers().get("authorization").unwrap();
                resource.seen.lock().unwrap().push((
                    auth.to_str().unwrap().to_owned(),
                    auth.is_sensitive(),
                    request.body().clone(),
                ));
                let (status, challenge) = resource
                    .answers
                    .lock()
                    .unwrap()
                    .pop()
                    .unwrap_or((200, None));
                let mut response = http::Response::builder().status(status);
                if let Some(challenge) = challenge {
                    response = response.header("www-authenticate", challenge);
                }
                Ok::<_, Infallible>(response.body(String::new()).unwrap())
            }
        })
    }

    fn seen(&self) -> Vec<(String, bool, String)> {
        self.seen.lock().unwrap().clone()
    }
}

const INVALID_TOKEN: &str =
    r#"Bearer realm="api", error="invalid_token", error_description="expired""#;

fn post(body: &str) -> http::Request<String> {
    http::Request::post("https://api.example/things")
        .body(body.to_owned())
        .unwrap()
}

#[tokio::test]
async fn every_request_gets_a_sensitive_bearer_header_c59() {
    let requests = Arc::new(AtomicUsize::new(0));
    let resource = Resource::default();
    let mut service = ServiceBuilder::new()
        .layer(BearerAuthLayer::new(manager(&requests)))
        .service(resource.service());
    for _ in 0..3 {
        let response = service
            .ready()
            .await
            .unwrap()
            .call(post("x"))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    assert_eq!(
        resource.seen(),
        vec![("Bearer tok-1".to_owned(), true, "x".to_owned()); 3]
    );
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn invalid_token_renews_once_and_retries_once_c57() {
    let requests = Arc::new(AtomicUsize::new(0));
    let resource = Resource::answering(&[(401, Some(INVALID_TOKEN))]);
    let service = BearerAuthLayer::new(manager(&requests));
    let response = tower::Layer::layer(&service, resource.service())
        .oneshot(post("body"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let seen = resource.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].0, "Bearer tok-1");
    assert_eq!(
        seen[1],
        ("Bearer tok-2".to_owned(), true, "body".to_owned())
    );
    assert_eq!(requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_second_invalid_token_is_returned_and_never_loops_c57() {
    let requests = Arc::new(AtomicUsize::new(0));
    let resource = Resource::answering(&[(401, Some(INVALID_TOKEN)), (401, Some(INVALID_TOKEN))]);
    let layer = BearerAuthLayer::new(manager(&requests));
    let response = tower::Layer::layer(&layer, resource.service())
        .oneshot(post(""))
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(resource.seen().len(), 2);
    assert_eq!(requests.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn insufficient_scope_is_returned_without_renewal_c58() {
    let requests = Arc::new(AtomicUsize::new(0));
    let challenge = r#"Bearer error="insufficient_scope", scope="write""#;
    let resource = Resource::answering(&[(403, Some(challenge))]);
    let layer = BearerAuthLayer::new(manager(&requests));
    let response = tower::Layer::layer(&layer, resource.service())
        .oneshot(post(""))
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let parsed =
        auth_core::BearerChallenge::parse(response.headers()["www-authenticate"].to_str().unwrap())
            .unwrap();
    assert_eq!(parsed.scope.as_deref(), Some("write"));
    assert_eq!(resource.seen().len(), 1);
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_401_without_invalid_token_is_returned_as_is() {
    let requests = Arc::new(AtomicUsize::new(0));
    let resource = Resource::answering(&[(401, Some(r#"Basic realm="x""#))]);
    let layer = BearerAuthLayer::new(manager(&requests));
    let response = tower::Layer::layer(&layer, resource.service())
        .oneshot(post(""))
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(resource.seen().len(), 1);
}

#[tokio::test]
async fn plain_http_is_refused_unless_loopback_is_opted_in_c60() {
    let requests = Arc::new(AtomicUsize::new(0));
    let resource = Resource::default();
    let layer = BearerAuthLayer::new(manager(&requests));
    for url in ["http://api.example/x", "http://127.0.0.1:9/x", "/relative"] {
        let request = http::Request::get(url).body(String::new()).unwrap();
        let error = tower::Layer::layer(&layer, resource.service())
            .oneshot(request)
            .await
            .unwrap_err();
        assert!(matches!(error, Error::InsecureUrl), "{url}: {error:?}");
    }
    assert!(resource.seen().is_empty());
    assert_eq!(
        requests.load(Ordering::SeqCst),
        0,
        "no token is fetched for a refused request"
    );

    let layer = layer.allow_insecure_loopback(true);
    let request = http::Request::get("http://127.0.0.1:9/x")
        .body(String::new())
        .unwrap();
    tower::Layer::layer(&layer, resource.service())
        .oneshot(request)
        .await
        .unwrap();
    let request = http::Request::get("http://api.example/x")
        .body(String::new())
        .unwrap();
    assert!(
        tower::Layer::layer(&layer, resource.service())
            .oneshot(request)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn manager_authorize_allows_loopback_http_only_for_a_loopback_setup_c60() {
    let requests = Arc::new(AtomicUsize::new(0));
    let manager = manager(&requests); // token URL https://as.example/token
    let mut request = http::Request::get("http://127.0.0.1:9/x").body(()).unwrap();
    assert!(matches!(
        manager.authorize(&mut request).await,
        Err(Error::InsecureUrl)
    ));
    let mut request = http::Request::get("https://api.example/x")
        .body(())
        .unwrap();
    manager.authorize(&mut request).await.unwrap();
    assert!(request.headers()["authorization"].is_sensitive());
}
