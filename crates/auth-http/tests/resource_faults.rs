//! The mock's resource-server faults (issue 11 item 4), each refused by
//! the bearer layer with `401 invalid_token` (RFC 6750 §3.1, RFC 9068 §4):
//! a JWKS without the token's `kid`, rotation without grace, a token
//! expired on issue or not yet valid, for another audience or issuer, or
//! typed `JWT`. Tokens come from `POST /token`, where the faults apply.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::convert::Infallible;
use std::sync::Arc;

use auth_core::scope::DiscoveryRead;
use auth_core::{BearerChallenge, BearerErrorCode, ClientId, ClientSecret, ManualClock};
use auth_http::resource::{DEFAULT_REFETCH_INTERVAL, JwtValidator, ValidateBearerLayer, grant};
use auth_http::{HyperTransport, Transport as _};
use mock_server::{ClientRegistration, Endpoint, Fault, FaultRule, MockServer};
use tower::{Layer as _, ServiceExt as _};

async fn mock(clock: &ManualClock) -> MockServer {
    MockServer::builder()
        .client(ClientRegistration::new("api", "api-secret").with_scopes(["discovery:read"]))
        .shared_clock(Arc::new(clock.clone()))
        .start()
        .await
        .unwrap()
}

/// A token from `POST /token`, as a client gets it (faults apply there).
async fn issue(server: &MockServer) -> String {
    let request = http::Request::post(server.token_url())
        .header(
            "authorization",
            auth_core::basic::encode(&ClientId::new("api"), &ClientSecret::new("api-secret")),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"grant_type=client_credentials&scope=discovery%3Aread".to_vec())
        .unwrap();
    let response = HyperTransport::new().unwrap().send(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

fn validator(server: &MockServer, clock: &ManualClock) -> Arc<JwtValidator> {
    Arc::new(
        JwtValidator::builder(server.url(), server.resource_url(), server.jwks_url())
            .clock(Arc::new(clock.clone()))
            .build()
            .unwrap(),
    )
}

/// `GET /` with `token`, behind the layer, to a handler that needs
/// `discovery:read`: the status and the challenge.
async fn call(validator: &Arc<JwtValidator>, token: &str) -> (u16, Option<BearerChallenge>) {
    let service = ValidateBearerLayer::from_shared(Arc::clone(validator), "api").layer(
        tower::service_fn(|request: http::Request<String>| async move {
            Ok::<_, Infallible>(match grant::<DiscoveryRead>(request.extensions()) {
                Ok(_) => http::Response::new(String::new()),
                Err(refusal) => refusal.into_response(),
            })
        }),
    );
    let request = http::Request::get("/")
        .header("authorization", format!("Bearer {token}"))
        .body(String::new())
        .unwrap();
    let answer = service.oneshot(request).await.unwrap();
    let challenge = answer
        .headers()
        .get("www-authenticate")
        .and_then(|v| BearerChallenge::parse(v.to_str().unwrap()));
    (answer.status().as_u16(), challenge)
}

fn assert_invalid_token((status, challenge): (u16, Option<BearerChallenge>), fault: &str) {
    assert_eq!(status, 401, "{fault}");
    assert_eq!(
        challenge.and_then(|c| c.error),
        Some(BearerErrorCode::InvalidToken),
        "{fault}"
    );
}

#[tokio::test]
async fn each_faulted_token_is_refused_with_invalid_token() {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let server = mock(&clock).await;
    let validator = validator(&server, &clock);
    // The layer accepts the mock's correct token: the refusals below are
    // the faults'.
    assert_eq!(call(&validator, &issue(&server).await).await.0, 200);
    for fault in [
        Fault::ExpiredOnIssue,
        Fault::NbfInFuture,
        Fault::WrongAudience,
        Fault::WrongIssuer,
        Fault::TypJwt,
    ] {
        server.push_fault(FaultRule::new(fault.clone()));
        let token = issue(&server).await;
        assert_invalid_token(call(&validator, &token).await, &format!("{fault:?}"));
    }
}

#[tokio::test]
async fn a_jwks_without_the_tokens_kid_gets_invalid_token() {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let server = mock(&clock).await;
    server.push_fault(
        FaultRule::new(Fault::JwksWithoutKid)
            .for_endpoint(Endpoint::Jwks)
            .always(),
    );
    let validator = validator(&server, &clock);
    assert_invalid_token(
        call(&validator, &issue(&server).await).await,
        "JwksWithoutKid",
    );
}

#[tokio::test]
async fn after_a_rotation_without_grace_the_new_kid_is_fetched_and_older_tokens_are_refused() {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let server = mock(&clock).await;
    let validator = validator(&server, &clock);
    let before = issue(&server).await;
    assert_eq!(call(&validator, &before).await.0, 200);

    server.push_fault(FaultRule::new(Fault::RotateWithoutGrace));
    let after = issue(&server).await;
    // Past the refetch interval, the unknown `kid` fetches the JWKS again.
    clock.advance(DEFAULT_REFETCH_INTERVAL);
    assert_eq!(call(&validator, &after).await.0, 200);
    // The key that signed `before` left the JWKS at once.
    clock.advance(DEFAULT_REFETCH_INTERVAL);
    assert_invalid_token(call(&validator, &before).await, "RotateWithoutGrace");
}

#[tokio::test]
async fn an_unparseable_signing_key_is_left_out_and_its_tokens_get_invalid_token_not_503() {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let server = mock(&clock).await;
    server.push_fault(
        FaultRule::new(Fault::JwksUnparseableKey)
            .for_endpoint(Endpoint::Jwks)
            .always(),
    );
    let validator = validator(&server, &clock);
    assert_invalid_token(
        call(&validator, &issue(&server).await).await,
        "JwksUnparseableKey",
    );
}

#[tokio::test]
async fn under_a_duplicated_kid_the_real_key_still_verifies_as_envoy_does() {
    let clock = ManualClock::new(time::OffsetDateTime::now_utc());
    let server = mock(&clock).await;
    server.push_fault(
        FaultRule::new(Fault::JwksDuplicateKid)
            .for_endpoint(Endpoint::Jwks)
            .always(),
    );
    let validator = validator(&server, &clock);
    let token = issue(&server).await;
    assert_eq!(call(&validator, &token).await.0, 200);
    // The impostor alone would not do: a token with a tampered signature
    // fails under both keys.
    let mut tampered = token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert_invalid_token(call(&validator, &tampered).await, "tampered");
}
