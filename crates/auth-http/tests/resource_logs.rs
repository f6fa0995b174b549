//! Every `tracing` event of the resource server's layer and validators,
//! captured at TRACE while it accepts and refuses tokens, is free of the
//! tokens and their claim values (issue 13: "no token, claim or key
//! material in any log line").

mod log_capture;

use std::convert::Infallible;

use auth_core::scope::ServiceProfileWrite;
use auth_http::resource::{JwtValidator, ValidateBearerLayer, grant};
use base64::Engine as _;
use mock_server::{ClientRegistration, MockServer};
use tower::{Layer as _, ServiceExt as _};

#[tokio::test]
async fn no_token_or_claim_value_reaches_any_trace_event() {
    let (capture, _guard) = log_capture::capture(tracing::Level::TRACE);

    let server = MockServer::builder()
        .client(ClientRegistration::new("client-id-marker", "s").with_scopes(["read"]))
        .start()
        .await
        .unwrap();
    let token = server.mint_token("client-id-marker", &"read".parse().unwrap());
    let payload: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let jti = payload["jti"].as_str().unwrap().to_owned();
    let signature = token.rsplit('.').next().unwrap().to_owned();
    let mut forged = token.clone();
    forged.push_str("AAAA");

    let validator =
        JwtValidator::builder(server.url(), "https://not-this.example/", server.jwks_url())
            .build()
            .unwrap();
    let right = JwtValidator::builder(server.url(), server.resource_url(), server.jwks_url())
        .build()
        .unwrap();
    let handler = tower::service_fn(|request: http::Request<String>| async move {
        Ok::<_, Infallible>(match grant::<ServiceProfileWrite>(request.extensions()) {
            Ok(_) => http::Response::new(String::new()),
            Err(refusal) => refusal.into_response(),
        })
    });
    let request = |token: &str| {
        http::Request::get("/")
            .header("authorization", format!("Bearer {token}"))
            .body(String::new())
            .unwrap()
    };
    let wrong_aud = ValidateBearerLayer::new(validator, "r").layer(handler);
    let answer = wrong_aud.clone().oneshot(request(&token)).await.unwrap();
    assert_eq!(answer.status(), 401);
    let answer = wrong_aud.oneshot(request(&forged)).await.unwrap();
    assert_eq!(answer.status(), 401);
    let scope_short = ValidateBearerLayer::new(right, "r").layer(handler);
    let answer = scope_short.oneshot(request(&token)).await.unwrap();
    assert_eq!(answer.status(), 403);

    let log = capture.text();
    // The events happened, with their reasons...
    assert!(log.contains("audience mismatch"), "{log}");
    assert!(log.contains("bad signature"), "{log}");
    assert!(log.contains("insufficient scope"), "{log}");
    // ...and hold nothing of the tokens.
    for secret in [token.as_str(), &signature, &jti, "client-id-marker"] {
        assert!(!log.contains(secret), "{secret} in {log}");
    }
    server.shutdown().await;
}
