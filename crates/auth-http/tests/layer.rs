//! `BearerAuth` over a scripted tower service and a scripted provider.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use auth_core::{Client, ClientCredentials, TokenUrl};
use auth_http::{BearerAuthLayer, Error, InsecureUrlError, LoopbackOptIn, TokenManager, from_fn};
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

/// The layer's answer to a GET of `url`.
async fn through_layer(
    layer: &BearerAuthLayer,
    resource: &Resource,
    url: &str,
) -> Result<(), Error> {
    let request = http::Request::get(url).body(String::new()).unwrap();
    tower::Layer::layer(layer, resource.service())
        .oneshot(request)
        .await
        .map(drop)
}

#[tokio::test]
async fn plain_http_is_refused_unless_loopback_is_opted_in_c60() {
    let requests = Arc::new(AtomicUsize::new(0));
    let resource = Resource::default();
    let layer = BearerAuthLayer::new(manager(&requests));
    for url in ["http://api.example/x", "ws://127.0.0.1:9/x", "/relative"] {
        let error = through_layer(&layer, &resource, url).await.unwrap_err();
        assert!(
            matches!(
                error,
                Error::InsecureUrl(InsecureUrlError::HttpsRequired { .. })
            ),
            "{url}: {error:?}"
        );
        assert!(!error.is_retryable());
    }
    for url in [
        "http://127.0.0.1:9/x",
        "http://localhost/x",
        "http://[::1]:9/x",
    ] {
        let error = through_layer(&layer, &resource, url).await.unwrap_err();
        assert!(
            matches!(
                error,
                Error::InsecureUrl(InsecureUrlError::LoopbackNotAllowed {
                    opt_in: LoopbackOptIn::Layer,
                    ..
                })
            ),
            "{url}: {error:?}"
        );
    }
    assert!(resource.seen().is_empty());
    assert_eq!(
        requests.load(Ordering::SeqCst),
        0,
        "no token is fetched for a refused request"
    );

    let layer = layer.allow_insecure_loopback(true);
    through_layer(&layer, &resource, "http://127.0.0.1:9/x")
        .await
        .unwrap();
    through_layer(&layer, &resource, "http://api.example/x")
        .await
        .unwrap_err();
}

#[tokio::test]
async fn a_refused_loopback_url_names_the_host_and_the_opt_in() {
    let requests = Arc::new(AtomicUsize::new(0));
    let resource = Resource::default();
    let layer = BearerAuthLayer::new(manager(&requests));
    let loopback = through_layer(&layer, &resource, "http://127.0.0.1:8080/x")
        .await
        .unwrap_err();
    match &loopback {
        Error::InsecureUrl(InsecureUrlError::LoopbackNotAllowed { host, opt_in, .. }) => {
            assert_eq!(host, "127.0.0.1");
            assert_eq!(*opt_in, LoopbackOptIn::Layer);
        }
        other => panic!("expected LoopbackNotAllowed, got {other:?}"),
    }
    insta::assert_snapshot!(
        loopback,
        @"refusing to send a bearer token over plain http to loopback host 127.0.0.1 without opt-in: call allow_insecure_loopback(true) on the layer (local development only)"
    );
    // One layer: the detail is the whole message.
    assert!(std::error::Error::source(&loopback).is_none());

    let remote = through_layer(
        &layer.allow_insecure_loopback(true),
        &resource,
        "http://api.example/x",
    )
    .await
    .unwrap_err();
    match &remote {
        Error::InsecureUrl(InsecureUrlError::HttpsRequired { scheme, host, .. }) => {
            assert_eq!(scheme.as_deref(), Some("http"));
            assert_eq!(host.as_deref(), Some("api.example"));
        }
        other => panic!("expected HttpsRequired, got {other:?}"),
    }
    insta::assert_snapshot!(
        remote,
        @"refusing to send a bearer token over plain http to api.example: https is required (RFC 6750 §5.3)"
    );
    let layer = BearerAuthLayer::new(manager(&requests));
    insta::assert_snapshot!(
        through_layer(&layer, &resource, "ws://api.example/x").await.unwrap_err(),
        @"refusing to send a bearer token over ws to api.example: https is required (RFC 6750 §5.3)"
    );
    insta::assert_snapshot!(
        through_layer(&layer, &resource, "/things?page=2").await.unwrap_err(),
        @"refusing to send a bearer token to a relative URL: https is required (RFC 6750 §5.3)"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn manager_authorize_allows_loopback_http_only_for_a_loopback_setup_c60() {
    let requests = Arc::new(AtomicUsize::new(0));
    let manager = manager(&requests); // token URL https://as.example/token
    let mut request = http::Request::get("http://127.0.0.1:9/x").body(()).unwrap();
    let error = manager.authorize(&mut request).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::InsecureUrl(InsecureUrlError::LoopbackNotAllowed {
                opt_in: LoopbackOptIn::LoopbackTokenUrl,
                ..
            })
        ),
        "{error:?}"
    );
    insta::assert_snapshot!(
        error,
        @"refusing to send a bearer token over plain http to loopback host 127.0.0.1 without opt-in: allowed only when the token URL is plain http on a loopback host too (local development only)"
    );
    let mut request = http::Request::get("https://api.example/x")
        .body(())
        .unwrap();
    manager.authorize(&mut request).await.unwrap();
    assert!(request.headers()["authorization"].is_sensitive());
}

/// A resource that answers `401 invalid_token` to `Bearer tok-1` (the
/// `n`-th such request after `n * 10 ms`, once all `holders` have arrived)
/// and 200 to any other token.
fn rejecting_tok_1(
    holders: usize,
) -> impl Service<
    http::Request<String>,
    Response = http::Response<String>,
    Error = Infallible,
    Future: Send,
> + Clone
+ Send
+ 'static {
    let barrier = Arc::new(tokio::sync::Barrier::new(holders));
    let arrived = Arc::new(AtomicUsize::new(0));
    tower::service_fn(move |request: http::Request<String>| {
        let barrier = Arc::clone(&barrier);
        let arrived = Arc::clone(&arrived);
        async move {
            let mut response = http::Response::builder();
            if request.headers()["authorization"] == "Bearer tok-1" {
                let n = arrived.fetch_add(1, Ordering::SeqCst);
                barrier.wait().await;
                tokio::time::sleep(std::time::Duration::from_millis(10 * n as u64)).await;
                response = response
                    .status(401)
                    .header("www-authenticate", INVALID_TOKEN);
            }
            Ok::<_, Infallible>(response.body(String::new()).unwrap())
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_invalid_token_rejections_share_one_renewal() {
    const N: usize = 32;
    let requests = Arc::new(AtomicUsize::new(0));
    let manager = manager(&requests);
    manager.token().await.unwrap(); // every request carries tok-1
    let layer = BearerAuthLayer::new(manager);
    let service = tower::Layer::layer(&layer, rejecting_tok_1(N));
    let calls: Vec<_> = (0..N)
        .map(|_| tokio::spawn(service.clone().oneshot(post("x"))))
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().status(), 200);
    }
    assert_eq!(
        requests.load(Ordering::SeqCst),
        2,
        "tok-1, then one renewal"
    );
}

#[tokio::test(start_paused = true)]
async fn concurrent_invalid_token_rejections_ask_a_failing_provider_once() {
    const N: usize = 20;
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    // The first token is issued; then the secret is revoked.
    let transport = from_fn(move |_request: http::Request<Vec<u8>>| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            let (status, body) = if n == 1 {
                (
                    200,
                    r#"{"access_token":"tok-1","token_type":"Bearer","expires_in":3600}"#,
                )
            } else {
                (401, r#"{"error":"invalid_client"}"#)
            };
            Ok(http::Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(body.as_bytes().to_vec())
                .unwrap())
        }
    });
    let client = Client::new(
        TokenUrl::parse("https://as.example/token").unwrap(),
        ClientCredentials::new("id", "s"),
    );
    // A clock that stands still: the whole burst falls in one failure window.
    let clock = auth_core::ManualClock::new(time::macros::datetime!(2026-01-01 00:00 UTC));
    let manager = TokenManager::builder(client, transport)
        .clock(clock)
        .build();
    manager.token().await.unwrap();
    let layer = BearerAuthLayer::new(manager);
    let service = tower::Layer::layer(&layer, rejecting_tok_1(N));
    // The rejections arrive 10 ms apart, long after the renewal failed.
    let calls: Vec<_> = (0..N)
        .map(|_| tokio::spawn(service.clone().oneshot(post("x"))))
        .collect();
    for call in calls {
        let error = call.await.unwrap().unwrap_err();
        assert!(error.is_provider_rejection(), "{error:?}");
    }
    assert_eq!(
        requests.load(Ordering::SeqCst),
        2,
        "tok-1, then one renewal shared by all {N} rejections"
    );
}
