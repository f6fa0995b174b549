//! `ReqwestTransport` (feature `reqwest`) against wiremock: a token fetch,
//! no redirects, the body cap.
#![cfg(feature = "reqwest")]
#![expect(clippy::unwrap_used, reason = "tests")]

use auth_core::{Client, ClientCredentials, TokenUrl};
use auth_http::{Error, FetchToken as _, ReqwestTransport};
use wiremock::matchers::{body_string, header, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer) -> Client {
    Client::new(
        TokenUrl::parse(&format!("{}/token", server.uri())).unwrap(),
        ClientCredentials::new("s6BhdRkqt3", "gX1fBat3bV"),
    )
}

#[tokio::test]
async fn fetches_a_token_with_the_exact_request_bytes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header(
            "authorization",
            "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW",
        ))
        .and(body_string("grant_type=client_credentials"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(r#"{"access_token":"t","token_type":"Bearer","expires_in":60}"#),
        )
        .expect(1)
        .mount(&server)
        .await;
    let authorized = client(&server)
        .fetch_token(&ReqwestTransport::new().unwrap())
        .await
        .unwrap();
    assert_eq!(authorized.token().access_token().expose_secret(), "t");
}

#[tokio::test]
async fn does_not_follow_redirects_c50() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", "/elsewhere"))
        .expect(1)
        .mount(&server)
        .await;
    let error = client(&server)
        .fetch_token(&ReqwestTransport::new().unwrap())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(http::StatusCode::TEMPORARY_REDIRECT));
}

#[tokio::test]
async fn refuses_a_body_over_the_cap() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(10_000)))
        .mount(&server)
        .await;
    let transport = ReqwestTransport::new().unwrap().with_body_limit(1000);
    let error = client(&server).fetch_token(&transport).await.unwrap_err();
    assert!(
        matches!(error, Error::BodyTooLarge { limit: 1000 }),
        "{error:?}"
    );
}
