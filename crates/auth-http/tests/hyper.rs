//! `HyperTransport` and fetch over real sockets on 127.0.0.1: wiremock where
//! exact canned bytes matter, raw TCP listeners for misbehaving peers.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::time::Duration;

use auth_core::{Client, ClientCredentials, Scope, TokenUrl};
use auth_http::{Error, FetchToken, HyperTransport, SendAuthorized, Transport};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN_BODY: &str =
    r#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"Bearer","expires_in":3600}"#;

fn client(url: &str, id: &str, secret: &str) -> Client {
    Client::new(
        TokenUrl::parse(url).unwrap(),
        ClientCredentials::new(id, secret),
    )
}

fn json(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json")
        .set_body_string(body)
}

#[tokio::test]
async fn fetch_token_sends_the_rfc_example_and_authorizes_calls_c10_c59() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(header(
            "authorization",
            "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW",
        ))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string("grant_type=client_credentials&scope=read"))
        .respond_with(json(TOKEN_BODY))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/things"))
        .and(header("authorization", "Bearer 2YotnFZFEjr1zCsicMWpAA"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    let transport = HyperTransport::new().unwrap();
    let client = Client::new(
        TokenUrl::parse(&format!("{}/token", server.uri())).unwrap(),
        ClientCredentials::new("s6BhdRkqt3", "gX1fBat3bV").with_scopes([Scope::Read]),
    );
    let authorized = client.fetch_token(&transport).await.unwrap();
    let request = http::Request::get(format!("{}/things", server.uri()))
        .body(Vec::new())
        .unwrap();
    let response = authorized.send(&transport, request).await.unwrap();
    assert_eq!(response.body(), b"ok");
}

/// Strict Basic decoding (RFC 6749 §2.3.1: base64, split at the first `:`,
/// form-decode each half), as the checklist's "decoded-compare" says.
fn basic_decodes_to(id: &'static str, secret: &'static str) -> impl Fn(&wiremock::Request) -> bool {
    move |request: &wiremock::Request| {
        request
            .headers
            .get("authorization")
            .and_then(|v| auth_core::basic::decode(v.as_bytes()).ok())
            .is_some_and(|c| c.id.as_str() == id && c.secret.expose_secret() == secret)
    }
}

#[tokio::test]
async fn special_and_non_ascii_secrets_survive_strict_basic_decoding_c11_c12() {
    let server = MockServer::start().await;
    Mock::given(basic_decodes_to("client:id+1", "a b+c/d%e&f=g:h~i"))
        .respond_with(json(TOKEN_BODY))
        .expect(1)
        .mount(&server)
        .await;
    // Checklist fixture F3, exact value.
    Mock::given(header(
        "authorization",
        "Basic c3ZjLTE6cCVDMyVBNHNzdyVDMyVCNnJkJUUyJTgyJUFD",
    ))
    .respond_with(json(TOKEN_BODY))
    .expect(1)
    .mount(&server)
    .await;
    let transport = HyperTransport::new().unwrap();
    let url = format!("{}/token", server.uri());
    client(&url, "client:id+1", "a b+c/d%e&f=g:h~i")
        .fetch_token(&transport)
        .await
        .unwrap();
    client(&url, "svc-1", "pässwörd€")
        .fetch_token(&transport)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_failed_grant_keeps_the_client_and_types_the_error_c46() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("content-type", "application/json")
                .set_body_string(r#"{"error":"invalid_client","error_description":"bad secret"}"#),
        )
        .mount(&server)
        .await;
    let transport = HyperTransport::new().unwrap();
    let client = client(&format!("{}/token", server.uri()), "id", "secret");
    let error = client.fetch_token(&transport).await.unwrap_err();
    assert!(error.is_provider_rejection());
    assert!(!error.is_retryable());
    assert_eq!(error.status(), Some(http::StatusCode::UNAUTHORIZED));
    assert!(!error.to_string().contains("secret\""));
    // The client is still ours.
    assert!(client.token_request().is_ok());
}

#[tokio::test]
async fn redirects_are_not_followed_c50() {
    let evil = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(json(TOKEN_BODY))
        .expect(0)
        .mount(&evil)
        .await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(307).insert_header("location", format!("{}/token", evil.uri())),
        )
        .mount(&server)
        .await;
    let transport = HyperTransport::new().unwrap();
    let error = client(&format!("{}/token", server.uri()), "id", "secret")
        .fetch_token(&transport)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Core(auth_core::Error::Api(api)) if api.status == 307),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert!(evil.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused_c51() {
    let server = MockServer::start().await;
    let big = format!(
        r#"{{"access_token":"t","token_type":"Bearer","pad":"{}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    Mock::given(method("POST"))
        .respond_with(json(&big))
        .mount(&server)
        .await;
    let transport = HyperTransport::new().unwrap();
    let error = client(&format!("{}/token", server.uri()), "id", "s")
        .fetch_token(&transport)
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::BodyTooLarge { limit } if limit == 1024 * 1024),
        "{error:?}"
    );
}

/// A peer that streams an endless chunked body: the cap must stop reading
/// (memory stays bounded), not wait for an end that never comes.
#[tokio::test]
async fn an_endless_chunked_body_stops_at_the_cap() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = socket.read(&mut buf).await;
        socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
            .await
            .unwrap();
        let chunk = format!("{:x}\r\n{}\r\n", 16 * 1024, "x".repeat(16 * 1024));
        while socket.write_all(chunk.as_bytes()).await.is_ok() {}
    });
    let transport = HyperTransport::builder()
        .body_limit(64 * 1024)
        .build()
        .unwrap();
    let request = http::Request::post(format!("http://{addr}/token"))
        .body(Vec::new())
        .unwrap();
    let error = transport.send(request).await.unwrap_err();
    assert!(
        matches!(error, Error::BodyTooLarge { limit: 65536 }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_peer_that_never_answers_times_out_c51() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket); // accept, read nothing, answer nothing
        }
    });
    let transport = HyperTransport::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let error = client(&format!("http://{addr}/token"), "id", "s")
        .fetch_token(&transport)
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Timeout(d) if d == Duration::from_millis(300)),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_refused_connection_is_a_retryable_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let transport = HyperTransport::new().unwrap();
    let error = client(&format!("http://{addr}/token"), "id", "s")
        .fetch_token(&transport)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Transport(_)), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_5xx_html_page_is_a_retryable_api_error_without_secrets() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(502).set_body_string("<html>bad gateway for s3cr3t-value</html>"),
        )
        .mount(&server)
        .await;
    let transport = HyperTransport::new().unwrap();
    let error = client(&format!("{}/token", server.uri()), "id", "s3cr3t-value")
        .fetch_token(&transport)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Core(auth_core::Error::Api(_))),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert!(!format!("{error} {error:?}").contains("s3cr3t-value"));
}

#[tokio::test]
async fn send_refuses_plain_http_to_a_remote_host_c60() {
    let client = client("https://as.example/token", "id", "s");
    let token = auth_core::OAuthToken::new(
        auth_core::AccessToken::new("t"),
        time::OffsetDateTime::now_utc(),
        time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        auth_core::ScopeSet::new(),
    );
    let authorized = client.with_token(token);
    let transport =
        auth_http::from_fn(|_req: http::Request<Vec<u8>>| async { panic!("must not send") });
    let request = http::Request::get("http://api.example/things")
        .body(Vec::new())
        .unwrap();
    let error = authorized.send(&transport, request).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::InsecureUrl(auth_http::InsecureUrlError::HttpsRequired { .. })
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn duration_max_timeouts_still_complete_the_exchange() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(json(TOKEN_BODY))
        .expect(1)
        .mount(&server)
        .await;
    let transport = HyperTransport::builder()
        .timeout(Duration::MAX)
        .connect_timeout(Duration::MAX)
        .build()
        .unwrap();
    let client = client(&format!("{}/token", server.uri()), "id", "secret");
    let authorized = client.fetch_token(&transport).await.unwrap();
    assert_eq!(
        authorized.token().access_token().expose_secret(),
        "2YotnFZFEjr1zCsicMWpAA"
    );
}
