//! The journal records the OAuth `error` code each answer carried and, for
//! a refusal, the reason (which check failed, on what); the wire keeps its
//! fixed descriptions (issue 9 item 12). One test per kind of refusal.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::time::Duration;

use auth_core::{ManualClock, ScopeSet};
use common::{F1_BASIC, Raw, basic, f1_access_token, f1_token, post_form, request, token};
use mock_server::{Config, Endpoint, Fault, FaultRule, JournalEntry, MockServer};

const CC: &str = "grant_type=client_credentials";
/// The registered F1 client (RFC 6749 §4.4.2 example).
const F1_ID: &str = "s6BhdRkqt3";
const F1_SECRET: &str = "gX1fBat3bV";

async fn server() -> MockServer {
    MockServer::start().await.unwrap()
}

/// A clock that moves only when told, so reasons with times are exact.
fn clock() -> ManualClock {
    ManualClock::new(time::macros::datetime!(2026-01-01 00:00 UTC))
}

fn last(server: &MockServer) -> JournalEntry {
    server.journal().pop().unwrap()
}

/// The last entry's reason, after checking its error code.
fn reason(server: &MockServer, error: &str) -> String {
    let entry = last(server);
    assert_eq!(entry.error.as_deref(), Some(error), "{entry:?}");
    entry
        .reason
        .unwrap_or_else(|| panic!("no reason: {:?}", server.journal().pop()))
}

/// A token request refused with `status` and `error`: the answer, and the
/// journal's reason.
async fn refused_token(
    server: &MockServer,
    headers: &[(&str, &str)],
    body: &str,
    (status, error): (u16, &str),
) -> (Raw, String) {
    let response = token(server, headers, body).await;
    response.assert_oauth_error(status, error);
    (response, reason(server, error))
}

/// [`refused_token`] as F1 with Basic.
async fn f1_refused(server: &MockServer, body: &str, expected: (u16, &str)) -> (Raw, String) {
    refused_token(server, &[("authorization", F1_BASIC)], body, expected).await
}

/// `GET target` with a bearer token.
async fn with_bearer(server: &MockServer, target: &str, token: &str) -> Raw {
    let authorization = format!("Bearer {token}");
    request(
        server,
        "GET",
        target,
        &[("authorization", &authorization)],
        b"",
    )
    .await
}

#[tokio::test]
async fn a_refused_scope_is_named_in_the_journal_and_not_on_the_wire() {
    let server = server().await;
    let body = format!("{CC}&scope=read%20admin");
    let (response, reason) = f1_refused(&server, &body, (400, "invalid_scope")).await;
    // The wire description is the fixed one, as before.
    insta::assert_snapshot!(response.text(), @r#"{"error":"invalid_scope","error_description":"the requested scope exceeds what the client may have"}"#);
    insta::assert_snapshot!(reason, @"scope: `admin` is not allowed for client `s6BhdRkqt3` (it may have `read write`)");
    assert!(!response.text().contains(&reason));
    assert!(!response.text().contains("admin"));
}

#[tokio::test]
async fn a_malformed_scope_reason_names_the_bad_character() {
    let server = server().await;
    let body = format!("{CC}&scope=read%22x");
    let (_, reason) = f1_refused(&server, &body, (400, "invalid_scope")).await;
    assert!(
        reason.starts_with("scope: `read\"x` is not RFC 6749 §3.3 syntax"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_wrong_secret_and_an_unknown_client_get_one_answer_and_two_reasons() {
    let server = server().await;
    let invalid_client = (401, "invalid_client");
    let wrong = basic(F1_ID, "not-the-secret");
    let (wrong, wrong_reason) =
        refused_token(&server, &[("authorization", &wrong)], CC, invalid_client).await;
    let nobody = basic("nobody", "x");
    let (unknown, unknown_reason) =
        refused_token(&server, &[("authorization", &nobody)], CC, invalid_client).await;
    // S-23: the client cannot tell them apart; the journal can.
    assert_eq!(wrong.text(), unknown.text());
    insta::assert_snapshot!(wrong_reason, @"client authentication: the Basic password does not match the secret of client `s6BhdRkqt3`");
    assert!(!wrong_reason.contains("not-the-secret"));
    insta::assert_snapshot!(unknown_reason, @"client authentication: unknown client `nobody`");
}

#[tokio::test]
async fn a_wrong_client_secret_in_the_body_is_a_mismatch_without_the_secret() {
    let server = server().await;
    let body = format!("{CC}&client_id=post-only&client_secret=guess-123");
    let (_, reason) = refused_token(&server, &[], &body, (401, "invalid_client")).await;
    insta::assert_snapshot!(reason, @"client authentication: the client_secret does not match the secret of client `post-only`");
    assert!(!reason.contains("guess-123"));
}

#[tokio::test]
async fn both_auth_methods_are_named_without_the_secret() {
    let server = server().await;
    let body = format!("{CC}&client_secret={F1_SECRET}");
    let (response, reason) = f1_refused(&server, &body, (400, "invalid_request")).await;
    insta::assert_snapshot!(response.text(), @r#"{"error":"invalid_request","error_description":"the client used more than one authentication method"}"#);
    insta::assert_snapshot!(reason, @"client authentication: both Basic and client_secret_post were used");
    assert!(!reason.contains(F1_SECRET));
}

#[tokio::test]
async fn missing_credentials_are_named() {
    let server = server().await;
    let (_, reason) = refused_token(&server, &[], CC, (401, "invalid_client")).await;
    insta::assert_snapshot!(reason, @"client authentication: no credentials (no Authorization header, no client_secret)");
}

#[tokio::test]
async fn a_registered_method_mismatch_names_the_registered_method() {
    let server = server().await;
    let post_only = basic("post-only", "s3cret-post");
    let (_, reason) = refused_token(
        &server,
        &[("authorization", &post_only)],
        CC,
        (401, "invalid_client"),
    )
    .await;
    insta::assert_snapshot!(reason, @"client authentication: client `post-only` is registered for client_secret_post, not client_secret_basic");
}

#[tokio::test]
async fn an_unsupported_grant_type_is_named() {
    let server = server().await;
    let (_, reason) = f1_refused(
        &server,
        "grant_type=password",
        (400, "unsupported_grant_type"),
    )
    .await;
    insta::assert_snapshot!(reason, @"grant_type: `password` is not client_credentials (case-sensitive)");
}

#[tokio::test]
async fn an_unknown_resource_is_named() {
    let server = server().await;
    let body = format!("{CC}&resource=https%3A%2F%2Fx.example%2F");
    let (response, reason) = f1_refused(&server, &body, (400, "invalid_target")).await;
    insta::assert_snapshot!(response.text(), @r#"{"error":"invalid_target","error_description":"a resource is unknown to this server"}"#);
    assert!(
        reason.starts_with("resource: unknown resource `https://x.example/`"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_repeated_parameter_is_named_even_when_the_wire_says_a_parameter() {
    let server = server().await;
    let body = format!("{CC}&audience=a&audience=b");
    let (response, reason) = f1_refused(&server, &body, (400, "invalid_request")).await;
    insta::assert_snapshot!(response.text(), @r#"{"error":"invalid_request","error_description":"a parameter is repeated"}"#);
    insta::assert_snapshot!(reason, @"repeated parameter: `audience` appears 2 times");
}

#[tokio::test]
async fn a_locked_out_pair_records_the_lockout_state() {
    let mut config = Config::embedded();
    config.lockout_failures = 3;
    let server = MockServer::builder()
        .config(config)
        .clock(clock())
        .start()
        .await
        .unwrap();
    for _ in 0..3 {
        token(&server, &[("authorization", &basic(F1_ID, "guess"))], CC).await;
    }
    // The right secret now gets 429: the journal says why.
    let (_, reason) = f1_refused(&server, CC, (429, "temporarily_unavailable")).await;
    insta::assert_snapshot!(reason, @"lockout: client `s6BhdRkqt3` from 127.0.0.1 failed 3 times within 60 s; refused for 60 s more, right secret or not");
}

#[tokio::test]
async fn an_expired_token_at_the_resource_records_when_it_expired() {
    let server = MockServer::builder().clock(clock()).start().await.unwrap();
    let token = f1_access_token(&server, "read").await;
    server.advance_clock(Duration::from_secs(3600));
    assert_eq!(with_bearer(&server, "/resource", &token).await.status, 401);
    let reason = reason(&server, "invalid_token");
    insta::assert_snapshot!(reason, @"token: the token of client `s6BhdRkqt3` expired at 2026-01-01T01:00:00Z (mock clock: 2026-01-01T01:00:00Z)");
    assert!(!reason.contains(&token));
}

#[tokio::test]
async fn a_revoked_token_at_the_resource_and_at_introspection_is_named() {
    let server = server().await;
    let token = f1_access_token(&server, "read").await;
    assert!(server.revoke_token(&token));
    assert_eq!(with_bearer(&server, "/resource", &token).await.status, 401);
    insta::assert_snapshot!(reason(&server, "invalid_token"), @"token: the token of client `s6BhdRkqt3` was revoked");
    // Introspection answers 200 `{"active":false}`: no error, but the why.
    let response = post_form(
        &server,
        "/introspect",
        &[("authorization", F1_BASIC)],
        &format!("token={token}"),
    )
    .await;
    assert_eq!(response.text(), r#"{"active":false}"#);
    let entry = last(&server);
    assert_eq!(entry.error, None);
    assert_eq!(
        entry.reason.as_deref(),
        Some("token: the token of client `s6BhdRkqt3` was revoked")
    );
}

#[tokio::test]
async fn a_garbage_token_is_named_without_its_value() {
    let server = server().await;
    assert_eq!(
        with_bearer(&server, "/resource", "not-ours-123")
            .await
            .status,
        401
    );
    let reason = reason(&server, "invalid_token");
    assert!(
        reason.starts_with("token: not issued by this server"),
        "{reason}"
    );
    assert!(!reason.contains("not-ours-123"));
}

#[tokio::test]
async fn a_missing_scope_at_the_resource_records_insufficient_scope_and_what_is_missing() {
    let server = server().await;
    let token = f1_access_token(&server, "read").await;
    let response = with_bearer(&server, "/resource?scope=write", &token).await;
    assert_eq!(response.status, 403);
    insta::assert_snapshot!(reason(&server, "insufficient_scope"), @"scope: the token of client `s6BhdRkqt3` lacks `write` (it has `read`)");
}

#[tokio::test]
async fn a_resource_request_without_a_token_has_a_reason_and_no_error() {
    let server = server().await;
    let response = request(&server, "GET", "/resource", &[], b"").await;
    assert_eq!(response.status, 401);
    let entry = last(&server);
    // RFC 6750 §3: the challenge carries no error code.
    assert_eq!(entry.error, None);
    assert!(
        entry
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("token: no Authorization header")),
        "{entry:?}"
    );
}

#[tokio::test]
async fn revoking_another_clients_token_names_both_clients() {
    let server = server().await;
    let token = server.mint_token("svc-1", &ScopeSet::parse("read").unwrap());
    let response = post_form(
        &server,
        "/revoke",
        &[("authorization", F1_BASIC)],
        &format!("token={token}"),
    )
    .await;
    response.assert_oauth_error(400, "invalid_grant");
    insta::assert_snapshot!(reason(&server, "invalid_grant"), @"token: issued to client `svc-1`, not to `s6BhdRkqt3`; it stays active");
}

#[tokio::test]
async fn a_fault_serving_an_oauth_error_records_its_code() {
    let server = server().await;
    server.push_fault(FaultRule::new(Fault::RetryAfter {
        status: 429,
        seconds: 1,
    }));
    f1_token(&server, CC).await;
    let entry = last(&server);
    assert_eq!(entry.error.as_deref(), Some("temporarily_unavailable"));
    assert!(entry.fault.is_some());
    assert_eq!(entry.reason, None);

    server.push_fault(FaultRule::new(Fault::ErrorIn200));
    let response = f1_token(&server, CC).await;
    assert_eq!(response.status, 200);
    assert_eq!(last(&server).error.as_deref(), Some("invalid_request"));

    server.push_fault(FaultRule::new(Fault::InvalidClient).for_endpoint(Endpoint::Introspect));
    post_form(
        &server,
        "/introspect",
        &[("authorization", F1_BASIC)],
        "token=x",
    )
    .await;
    assert_eq!(last(&server).error.as_deref(), Some("invalid_client"));

    // A bare status carries no OAuth error.
    server.push_fault(FaultRule::new(Fault::Status(503)));
    f1_token(&server, CC).await;
    let entry = last(&server);
    assert_eq!((entry.status, entry.error), (503, None));
}

#[tokio::test]
async fn an_oversized_body_records_the_limit() {
    let server = server().await;
    let body = "x".repeat(70_000);
    let (_, reason) = f1_refused(&server, &body, (413, "invalid_request")).await;
    insta::assert_snapshot!(reason, @"body: Content-Length 70000 is over max_body_bytes (65536)");
}

#[tokio::test]
async fn a_success_records_no_error_and_no_reason() {
    let server = server().await;
    let response = f1_token(&server, CC).await;
    assert_eq!(response.status, 200);
    let entry = last(&server);
    assert_eq!((entry.error, entry.reason), (None, None));
}

#[tokio::test]
async fn a_wrong_method_and_an_unknown_path_record_their_codes() {
    let server = server().await;
    let response = request(&server, "GET", "/introspect", &[], b"").await;
    assert_eq!(response.status, 405);
    assert_eq!(response.text(), r#"{"error":"method_not_allowed"}"#);
    insta::assert_snapshot!(reason(&server, "method_not_allowed"), @"method: `GET` is not allowed here (Allow: POST)");
    let metadata = "/.well-known/oauth-authorization-server";
    request(&server, "DELETE", metadata, &[], b"").await;
    insta::assert_snapshot!(reason(&server, "method_not_allowed"), @"method: `DELETE` is not allowed here (Allow: GET, HEAD)");
    let response = request(&server, "GET", "/nowhere", &[], b"").await;
    assert_eq!(response.status, 404);
    assert_eq!(last(&server).error.as_deref(), Some("not_found"));
}
