//! Faults for resource servers (issue 11 item 4): each one makes an
//! independent verifier refuse (`jsonwebtoken`, fetching the RFC 8414
//! metadata and then the JWKS over HTTP and applying RFC 9068 §4, as a
//! resource server does: the example's `verifier.rs`), and where the fault
//! is in the token, the mock's own `/resource` refuses it with 401
//! `invalid_token` too. The journal names the fault that fired.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;
#[path = "../examples/jwt_resource_server/verifier.rs"]
mod verifier;

use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use mock_server::{Endpoint, Fault, FaultRule, MockServer};
use verifier::{Refusal, Verifier};

async fn start() -> (MockServer, Verifier) {
    let server = MockServer::start().await.unwrap();
    let verifier = Verifier::discover(&server.url(), &server.resource_url())
        .await
        .unwrap();
    (server, verifier)
}

async fn token(server: &MockServer) -> String {
    common::f1_access_token(server, "read").await
}

/// The status and challenge of `GET /resource` with `token`.
async fn resource(server: &MockServer, token: &str) -> (u16, String) {
    let bearer = format!("Bearer {token}");
    let answer = common::request(
        server,
        "GET",
        "/resource",
        &[("authorization", bearer.as_str())],
        b"",
    )
    .await;
    let challenge = answer.header("www-authenticate").unwrap_or_default();
    (answer.status, challenge.to_owned())
}

fn assert_invalid_token((status, challenge): (u16, String)) {
    assert_eq!(status, 401, "{challenge}");
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
}

/// The fault the journal names for the newest request to `path`.
fn journaled_fault(server: &MockServer, path: &str) -> Option<String> {
    server
        .journal()
        .iter()
        .rev()
        .find(|entry| entry.path == path)
        .and_then(|entry| entry.fault.clone())
}

fn assert_invalid(refusal: Result<serde_json::Value, Refusal>, kind: &ErrorKind) {
    match refusal {
        Err(Refusal::Invalid(error)) => assert_eq!(error.kind(), kind, "{error}"),
        other => panic!("expected {kind:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unfaulted_token_passes_the_independent_verifier_and_the_resource() {
    let (server, verifier) = start().await;
    let token = token(&server).await;
    let claims = verifier.verify(&token).await.unwrap();
    assert_eq!(claims["client_id"], "s6BhdRkqt3");
    assert_eq!(resource(&server, &token).await.0, 200);
}

/// Queues `fault` for the next token; checks that the journal names it,
/// that the verifier refuses the token as `refused` expects and that
/// `/resource` answers 401 `invalid_token`.
async fn token_fault_is_refused(
    fault: Fault,
    refused: impl FnOnce(Result<serde_json::Value, Refusal>),
) {
    let (server, verifier) = start().await;
    let name = format!("{fault:?}");
    server.push_fault(FaultRule::new(fault));
    let token = token(&server).await;
    assert_eq!(journaled_fault(&server, "/token"), Some(name));
    refused(verifier.verify(&token).await);
    assert_invalid_token(resource(&server, &token).await);
}

#[tokio::test]
async fn a_token_expired_on_issue_is_refused_by_the_verifier_and_the_resource() {
    token_fault_is_refused(Fault::ExpiredOnIssue, |r| {
        assert_invalid(r, &ErrorKind::ExpiredSignature);
    })
    .await;
}

#[tokio::test]
async fn a_token_with_nbf_in_the_future_is_refused_by_the_verifier_and_the_resource() {
    token_fault_is_refused(Fault::NbfInFuture, |r| {
        assert_invalid(r, &ErrorKind::ImmatureSignature);
    })
    .await;
}

#[tokio::test]
async fn a_token_with_a_wrong_issuer_is_refused_by_the_verifier_and_the_resource() {
    token_fault_is_refused(Fault::WrongIssuer, |r| {
        assert_invalid(r, &ErrorKind::InvalidIssuer);
    })
    .await;
}

#[tokio::test]
async fn a_token_with_a_wrong_audience_is_refused_by_the_verifier_and_the_resource() {
    token_fault_is_refused(Fault::WrongAudience, |r| {
        assert_invalid(r, &ErrorKind::InvalidAudience);
    })
    .await;
}

#[tokio::test]
async fn a_token_typed_jwt_instead_of_at_jwt_is_refused_by_the_verifier_and_the_resource() {
    token_fault_is_refused(Fault::TypJwt, |r| match r {
        Err(Refusal::Typ(typ)) => assert_eq!(typ.as_deref(), Some("JWT")),
        other => panic!("expected a typ refusal, got {other:?}"),
    })
    .await;
}

#[tokio::test]
async fn a_jwks_without_the_tokens_kid_makes_the_verifier_refuse_even_after_fetching_again() {
    let server = MockServer::start().await.unwrap();
    server.push_fault(
        FaultRule::new(Fault::JwksWithoutKid)
            .for_endpoint(Endpoint::Jwks)
            .always(),
    );
    let verifier = Verifier::discover(&server.url(), &server.resource_url())
        .await
        .unwrap();
    let token = token(&server).await;
    assert!(
        matches!(verifier.verify(&token).await, Err(Refusal::UnknownKid(_))),
        "the verifier accepted a token whose key is not published"
    );
    assert_eq!(verifier.jwks_fetches(), 2, "an unknown kid fetches again");
    assert_eq!(
        journaled_fault(&server, "/jwks").as_deref(),
        Some("JwksWithoutKid")
    );
    // The token itself is sound: the mock's resource takes it.
    assert_eq!(resource(&server, &token).await.0, 200);
}

#[tokio::test]
async fn a_jwks_with_two_keys_under_one_kid_makes_the_verifier_refuse() {
    let server = MockServer::start().await.unwrap();
    server.push_fault(FaultRule::new(Fault::JwksDuplicateKid).for_endpoint(Endpoint::Jwks));
    let verifier = Verifier::discover(&server.url(), &server.resource_url())
        .await
        .unwrap();
    let token = token(&server).await;
    assert!(
        matches!(verifier.verify(&token).await, Err(Refusal::AmbiguousKid(_))),
        "the verifier accepted a token whose kid names two keys"
    );
    assert_eq!(
        journaled_fault(&server, "/jwks").as_deref(),
        Some("JwksDuplicateKid")
    );
    // A naive resource server takes the first key for the kid
    // (`JwkSet::find`): the impostor, under which the signature fails.
    let jwks: jsonwebtoken::jwk::JwkSet = {
        server.push_fault(FaultRule::new(Fault::JwksDuplicateKid).for_endpoint(Endpoint::Jwks));
        let answer = common::request(&server, "GET", "/jwks", &[], b"").await;
        serde_json::from_slice(&answer.body).unwrap()
    };
    let kid = jsonwebtoken::decode_header(&token).unwrap().kid.unwrap();
    let first = jsonwebtoken::DecodingKey::from_jwk(jwks.find(&kid).unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_aud = false;
    let naive = jsonwebtoken::decode::<serde_json::Value>(&token, &first, &validation);
    assert_eq!(
        naive.unwrap_err().kind(),
        &ErrorKind::InvalidSignature,
        "the impostor key must not verify the token"
    );
}

#[tokio::test]
async fn a_jwks_whose_signing_key_is_unparseable_makes_the_verifier_refuse() {
    let server = MockServer::start().await.unwrap();
    server.push_fault(
        FaultRule::new(Fault::JwksUnparseableKey)
            .for_endpoint(Endpoint::Jwks)
            .always(),
    );
    let verifier = Verifier::discover(&server.url(), &server.resource_url())
        .await
        .unwrap();
    let token = token(&server).await;
    assert!(
        matches!(verifier.verify(&token).await, Err(Refusal::UnknownKid(_))),
        "the verifier accepted a token whose key does not parse"
    );
    assert_eq!(
        journaled_fault(&server, "/jwks").as_deref(),
        Some("JwksUnparseableKey")
    );
}

#[tokio::test]
async fn rotation_without_grace_makes_earlier_tokens_fail_and_the_new_kid_needs_a_fresh_jwks() {
    let (server, verifier) = start().await;
    let before = token(&server).await;
    verifier.verify(&before).await.unwrap();
    server.push_fault(FaultRule::new(Fault::RotateWithoutGrace));
    let after = token(&server).await;
    assert_eq!(
        journaled_fault(&server, "/token").as_deref(),
        Some("RotateWithoutGrace")
    );
    let kid = |token: &str| jsonwebtoken::decode_header(token).unwrap().kid.unwrap();
    assert_ne!(
        kid(&before),
        kid(&after),
        "a new key signs after the rotation"
    );
    // The new kid is unknown to the cache: the verifier fetches again.
    verifier.verify(&after).await.unwrap();
    assert_eq!(verifier.jwks_fetches(), 2);
    // The old key left the JWKS at once: tokens signed by it fail.
    assert!(
        matches!(verifier.verify(&before).await, Err(Refusal::UnknownKid(_))),
        "a token of the dropped key was accepted"
    );
    assert_invalid_token(resource(&server, &before).await);
    assert_eq!(resource(&server, &after).await.0, 200);
}

#[tokio::test]
async fn a_slow_jwks_makes_a_verifier_with_a_fetch_timeout_refuse_a_new_kid() {
    let server = MockServer::start().await.unwrap();
    let transport = auth_http::HyperTransport::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let verifier = Verifier::discover_with(&server.url(), &server.resource_url(), transport)
        .await
        .unwrap();
    // A rotation (so the verifier must fetch), then a JWKS that arrives
    // after the verifier stopped waiting.
    server.push_fault(FaultRule::new(Fault::RotateWithoutGrace));
    server.push_fault(
        FaultRule::new(Fault::Latency(Duration::from_secs(3))).for_endpoint(Endpoint::Jwks),
    );
    let token = token(&server).await;
    assert!(
        matches!(verifier.verify(&token).await, Err(Refusal::Jwks(_))),
        "the verifier accepted a token without a JWKS"
    );
}

#[tokio::test]
async fn an_opaque_token_expired_on_issue_is_refused_by_the_resource() {
    let server = MockServer::builder()
        .token_format(mock_server::TokenFormat::Opaque)
        .start()
        .await
        .unwrap();
    server.push_fault(FaultRule::new(Fault::ExpiredOnIssue));
    let answer = common::f1_token(&server, "grant_type=client_credentials&scope=read").await;
    // The answer around the token is the correct one: the lie is in the token.
    assert_eq!(answer.json()["expires_in"], 3600, "{}", answer.text());
    let token = answer.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(token.matches('.').count(), 1, "opaque, not a JWT");
    assert_invalid_token(resource(&server, &token).await);
}
