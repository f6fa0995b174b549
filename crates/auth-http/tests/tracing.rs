//! Every `tracing` event of a full lifecycle (fetch, retry, cache hit,
//! refresh, 401 renewal), captured at TRACE, is free of the secret, the
//! Basic value and the tokens (checklist C-18).

mod log_capture;

use auth_core::{Client, ClientCredentials, ClientId, ClientSecret, Scope, TokenUrl};
use auth_http::{BearerAuthLayer, HyperTransport, RetryPolicy, TokenManager};
use tower::ServiceExt as _;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "s3cr3t+P@ss/wörd=";
const FIRST: &str = "first-access-token-value";
const SECOND: &str = "second-access-token-value";

fn token_body(token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json")
        .set_body_string(format!(
            r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":3600}}"#
        ))
}

#[tokio::test]
async fn no_secret_or_token_reaches_any_trace_event_c18() {
    let (capture, _guard) = log_capture::capture(tracing::Level::TRACE);

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(503).set_body_string(format!("<html>echo {SECRET}</html>")),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(token_body(FIRST))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(token_body(SECOND))
        .mount(&server)
        .await;

    let client = Client::new(
        TokenUrl::parse(&format!("{}/token", server.uri())).unwrap(),
        ClientCredentials::new("svc", SECRET).with_scopes([Scope::Read]),
    );
    let retry = RetryPolicy::default().with_initial_backoff(std::time::Duration::from_millis(1));
    let manager = TokenManager::builder(client, HyperTransport::new().unwrap())
        .retry(retry)
        .build();
    manager.token().await.unwrap(); // 503, retry, FIRST
    manager.token().await.unwrap(); // cache hit

    // A resource that rejects FIRST: the layer renews (SECOND) and retries.
    let resource = tower::service_fn(|request: http::Request<String>| async move {
        let bearer = request.headers()["authorization"]
            .to_str()
            .unwrap()
            .to_owned();
        let mut response = http::Response::builder();
        if bearer.ends_with(FIRST) {
            response = response
                .status(401)
                .header("www-authenticate", r#"Bearer error="invalid_token""#);
        }
        Ok::<_, std::convert::Infallible>(response.body(String::new()).unwrap())
    });
    let service = tower::Layer::layer(&BearerAuthLayer::new(manager.clone()), resource);
    let response = service
        .oneshot(
            http::Request::get("https://api.example/")
                .body(String::new())
                .unwrap(),
        )
        .await;
    assert_eq!(response.unwrap().status(), 200);

    let output = capture.text();
    for expected in [
        "token_fetch",
        "retrying token request",
        "token cache hit",
        "invalid_token",
        "token received",
    ] {
        assert!(
            output.contains(expected),
            "missing {expected:?} in:\n{output}"
        );
    }
    let basic = auth_core::basic::encode(&ClientId::new("svc"), &ClientSecret::new(SECRET));
    let encoded_secret = basic.trim_start_matches("Basic ");
    for forbidden in [SECRET, "s3cr3t", encoded_secret, FIRST, SECOND] {
        assert!(
            !output.contains(forbidden),
            "{forbidden:?} leaked into:\n{output}"
        );
    }
}
