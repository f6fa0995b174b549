//! Introspection (B6, RFC 7662), revocation (B7, RFC 7009), metadata
//! (B8, RFC 8414) and the bearer-protected resource (B10, RFC 6750).
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::time::Duration;

use auth_core::{BearerChallenge, BearerErrorCode, ManualClock, ScopeSet};
use common::{F1_BASIC, basic, f1_access_token, post_form, request};
use mock_server::MockServer;

const F2_BASIC: &str = "Basic Y2xpZW50JTNBaWQlMkIxOmErYiUyQmMlMkZkJTI1ZSUyNmYlM0RnJTNBaH5p";

async fn introspect(server: &MockServer, token: &str) -> serde_json::Value {
    let response = post_form(
        server,
        "/introspect",
        &[("authorization", F1_BASIC)],
        &format!("token={token}"),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.assert_no_store();
    response.json()
}

async fn resource(server: &MockServer, target: &str, authorization: &[&str]) -> common::Raw {
    let headers: Vec<(&str, &str)> = authorization
        .iter()
        .map(|v| ("authorization", *v))
        .collect();
    request(server, "GET", target, &headers, b"").await
}

fn challenge(response: &common::Raw) -> BearerChallenge {
    BearerChallenge::parse(response.header("www-authenticate").unwrap()).unwrap()
}

// ---------- B6: introspection ----------

#[tokio::test]
async fn s43_introspection_requires_client_authentication_rfc7662_2_1() {
    let server = MockServer::start().await.unwrap();
    let token = f1_access_token(&server, "read").await;
    let response = post_form(&server, "/introspect", &[], &format!("token={token}")).await;
    response.assert_oauth_error(401, "invalid_client");
    assert!(!response.text().contains("active"));
}

#[tokio::test]
async fn s44_active_token_is_described_rfc7662_2_2() {
    let clock = ManualClock::new(time::macros::datetime!(2026-01-01 00:00 UTC));
    let server = MockServer::builder().clock(clock).start().await.unwrap();
    let token = f1_access_token(&server, "read").await;
    let json = introspect(&server, &token).await;
    assert_eq!(json["active"], true);
    assert_eq!(json["scope"], "read");
    assert_eq!(json["client_id"], "s6BhdRkqt3");
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["iat"], 1_767_225_600);
    assert_eq!(json["exp"], 1_767_225_600 + 3600);
}

#[tokio::test]
async fn s45_inactive_tokens_are_exactly_active_false_rfc7662_2_2() {
    let clock = ManualClock::new(time::macros::datetime!(2026-01-01 00:00 UTC));
    let server = MockServer::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let expired = f1_access_token(&server, "read").await;
    let revoked = f1_access_token(&server, "read").await;
    assert!(server.revoke_token(&revoked));
    clock.advance(Duration::from_secs(3600));
    for token in [expired.as_str(), revoked.as_str(), "unknown", "a.b"] {
        let response = post_form(
            &server,
            "/introspect",
            &[("authorization", F1_BASIC)],
            &format!("token={token}"),
        )
        .await;
        assert_eq!(response.status, 200);
        assert_eq!(response.text(), r#"{"active":false}"#);
    }
}

#[tokio::test]
async fn s46_hints_are_only_hints_and_token_is_required_rfc7662_2_1() {
    let server = MockServer::start().await.unwrap();
    let token = f1_access_token(&server, "read").await;
    for hint in ["refresh_token", "bogus"] {
        let response = post_form(
            &server,
            "/introspect",
            &[("authorization", F1_BASIC)],
            &format!("token={token}&token_type_hint={hint}"),
        )
        .await;
        assert_eq!(response.json()["active"], true);
    }
    post_form(
        &server,
        "/introspect",
        &[("authorization", F1_BASIC)],
        "token_type_hint=bogus",
    )
    .await
    .assert_oauth_error(400, "invalid_request");
}

#[tokio::test]
async fn s47_introspection_is_no_store_and_post_only() {
    let server = MockServer::start().await.unwrap();
    let response = request(
        &server,
        "GET",
        "/introspect",
        &[("authorization", F1_BASIC)],
        b"",
    )
    .await;
    assert_eq!(response.status, 405);
    assert_eq!(response.header("allow"), Some("POST"));
}

// ---------- B7: revocation ----------

#[tokio::test]
async fn s48_revoked_token_is_inactive_and_refused_rfc7009_2_1() {
    let server = MockServer::start().await.unwrap();
    let token = f1_access_token(&server, "read").await;
    let response = post_form(
        &server,
        "/revoke",
        &[("authorization", F1_BASIC)],
        &format!("token={token}"),
    )
    .await;
    assert_eq!(response.status, 200);
    assert_eq!(
        introspect(&server, &token).await,
        serde_json::json!({ "active": false })
    );
    let bearer = format!("Bearer {token}");
    let refused = resource(&server, "/resource", &[&bearer]).await;
    assert_eq!(refused.status, 401);
    assert_eq!(
        challenge(&refused).error,
        Some(BearerErrorCode::InvalidToken)
    );
}

#[tokio::test]
async fn s49_unknown_token_revocation_is_200_rfc7009_2_2() {
    let server = MockServer::start().await.unwrap();
    let response = post_form(
        &server,
        "/revoke",
        &[("authorization", F1_BASIC)],
        "token=does-not-exist",
    )
    .await;
    assert_eq!(response.status, 200);
    response.assert_no_store();
}

#[tokio::test]
async fn s50_invalid_hint_is_ignored_and_token_revoked_rfc7009_2_2() {
    let server = MockServer::start().await.unwrap();
    for hint in ["foo", "refresh_token"] {
        let token = f1_access_token(&server, "read").await;
        let response = post_form(
            &server,
            "/revoke",
            &[("authorization", F1_BASIC)],
            &format!("token={token}&token_type_hint={hint}"),
        )
        .await;
        assert_eq!(response.status, 200);
        assert_eq!(introspect(&server, &token).await["active"], false);
    }
}

#[tokio::test]
async fn s51_revocation_needs_client_credentials_rfc7009_2_1() {
    let server = MockServer::start().await.unwrap();
    let token = f1_access_token(&server, "read").await;
    post_form(&server, "/revoke", &[], &format!("token={token}"))
        .await
        .assert_oauth_error(401, "invalid_client");
    post_form(
        &server,
        "/revoke",
        &[("authorization", &basic("s6BhdRkqt3", "wrong"))],
        &format!("token={token}"),
    )
    .await
    .assert_oauth_error(401, "invalid_client");
    assert_eq!(introspect(&server, &token).await["active"], true);
}

#[tokio::test]
async fn s52_another_clients_token_is_refused_and_survives_rfc7009_2_1() {
    let server = MockServer::start().await.unwrap();
    let token = f1_access_token(&server, "read").await;
    let response = post_form(
        &server,
        "/revoke",
        &[("authorization", F2_BASIC)],
        &format!("token={token}"),
    )
    .await;
    response.assert_oauth_error(400, "invalid_grant");
    insta::assert_snapshot!(response.text(), @r#"{"error":"invalid_grant","error_description":"the token was issued to another client"}"#);
    assert_eq!(introspect(&server, &token).await["active"], true);
}

// ---------- B8: metadata ----------

#[tokio::test]
async fn s54_to_s56_metadata_is_generated_from_what_is_enforced_rfc8414() {
    let server = MockServer::start().await.unwrap();
    let response = request(
        &server,
        "GET",
        "/.well-known/oauth-authorization-server",
        &[],
        b"",
    )
    .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let json = response.json();
    assert_eq!(json["issuer"], server.url());
    for value in json.as_object().unwrap().values() {
        assert!(
            value.as_array().is_none_or(|a| !a.is_empty()),
            "RFC 8414 §3.2: no empty arrays"
        );
    }
    let text = serde_json::to_string_pretty(&json)
        .unwrap()
        .replace(&server.url(), "http://[addr]");
    insta::assert_snapshot!(text, @r#"
    {
      "grant_types_supported": [
        "client_credentials"
      ],
      "id_token_signing_alg_values_supported": [
        "RS256"
      ],
      "introspection_endpoint": "http://[addr]/introspect",
      "introspection_endpoint_auth_methods_supported": [
        "client_secret_basic",
        "client_secret_post"
      ],
      "issuer": "http://[addr]",
      "jwks_uri": "http://[addr]/jwks",
      "revocation_endpoint": "http://[addr]/revoke",
      "revocation_endpoint_auth_methods_supported": [
        "client_secret_basic",
        "client_secret_post"
      ],
      "scopes_supported": [
        "discovery:read",
        "read",
        "serviceprofile:read",
        "serviceprofile:write",
        "serviceregistry:read",
        "serviceregistry:write",
        "ts.application.ro",
        "ts.mec.fullaccess",
        "ts.mec.limitaccess",
        "write"
      ],
      "token_endpoint": "http://[addr]/token",
      "token_endpoint_auth_methods_supported": [
        "client_secret_basic",
        "client_secret_post"
      ]
    }
    "#);
}

#[tokio::test]
async fn s56_metadata_lists_only_methods_in_use_and_omits_empty_arrays() {
    let server = MockServer::builder()
        .without_clients()
        .client(mock_server::ClientRegistration::public("pub"))
        .start()
        .await
        .unwrap();
    let json = request(
        &server,
        "GET",
        "/.well-known/oauth-authorization-server",
        &[],
        b"",
    )
    .await
    .json();
    assert!(json.get("token_endpoint_auth_methods_supported").is_none());
    assert!(json.get("scopes_supported").is_none());
    let server = MockServer::builder()
        .without_clients()
        .client(mock_server::ClientRegistration::new("a", "b").with_scopes(["read"]))
        .start()
        .await
        .unwrap();
    let json = request(
        &server,
        "GET",
        "/.well-known/oauth-authorization-server",
        &[],
        b"",
    )
    .await
    .json();
    assert_eq!(
        json["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic"])
    );
}

// ---------- B10: the bearer-protected resource ----------

#[tokio::test]
async fn s60_no_token_is_401_with_a_bare_challenge_rfc6750_3() {
    let server = MockServer::start().await.unwrap();
    let response = resource(&server, "/resource", &[]).await;
    assert_eq!(response.status, 401);
    assert_eq!(
        response.header("www-authenticate"),
        Some(r#"Bearer realm="mock""#)
    );
}

#[tokio::test]
async fn s61_expired_revoked_and_garbage_tokens_are_invalid_token_rfc6750_3_1() {
    let clock = ManualClock::new(time::macros::datetime!(2026-01-01 00:00 UTC));
    let server = MockServer::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let good = f1_access_token(&server, "read").await;
    let revoked = f1_access_token(&server, "read").await;
    assert!(server.revoke_token(&revoked));
    let other_server = MockServer::start().await.unwrap();
    let foreign = f1_access_token(&other_server, "read").await;
    for (token, description) in [
        (revoked.as_str(), "the access token was revoked"),
        (foreign.as_str(), "the access token is not valid"),
        ("garbage", "the access token is not valid"),
    ] {
        let response = resource(&server, "/resource", &[&format!("Bearer {token}")]).await;
        assert_eq!(response.status, 401);
        let challenge = challenge(&response);
        assert_eq!(challenge.error, Some(BearerErrorCode::InvalidToken));
        assert_eq!(challenge.error_description.as_deref(), Some(description));
        assert_eq!(challenge.realm.as_deref(), Some("mock"));
    }
    assert_eq!(
        resource(&server, "/resource", &[&format!("Bearer {good}")])
            .await
            .status,
        200
    );
    clock.advance(Duration::from_secs(3600));
    let response = resource(&server, "/resource", &[&format!("Bearer {good}")]).await;
    assert_eq!(response.status, 401);
    insta::assert_snapshot!(response.header("www-authenticate").unwrap(), @r#"Bearer realm="mock", error="invalid_token", error_description="the access token expired""#);
}

#[tokio::test]
async fn s61_token_for_another_resource_is_invalid_token_rfc8707_2() {
    let server = MockServer::start().await.unwrap();
    let response = common::f1_token(
        &server,
        "grant_type=client_credentials&resource=https%3A%2F%2Fapi.example.com%2F",
    )
    .await;
    let token = response.json()["access_token"].as_str().unwrap().to_owned();
    let refused = resource(&server, "/resource", &[&format!("Bearer {token}")]).await;
    assert_eq!(refused.status, 401);
    let own = common::f1_token(
        &server,
        &format!(
            "grant_type=client_credentials&resource={}",
            server.resource_url()
        ),
    )
    .await;
    let token = own.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        resource(&server, "/resource", &[&format!("Bearer {token}")])
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn s62_missing_scope_is_403_insufficient_scope_rfc6750_3_1() {
    let server = MockServer::start().await.unwrap();
    let token = f1_access_token(&server, "read").await;
    let bearer = format!("Bearer {token}");
    let ok = resource(&server, "/resource?scope=read", &[&bearer]).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["client_id"], "s6BhdRkqt3");
    let response = resource(&server, "/resource?scope=write", &[&bearer]).await;
    assert_eq!(response.status, 403);
    insta::assert_snapshot!(response.header("www-authenticate").unwrap(), @r#"Bearer realm="mock", error="insufficient_scope", error_description="the access token lacks the required scope", scope="write""#);
}

#[tokio::test]
async fn s63_two_ways_or_two_headers_are_invalid_request_rfc6750_3_1() {
    let server = MockServer::start().await.unwrap();
    let token = f1_access_token(&server, "read").await;
    let bearer = format!("Bearer {token}");
    let both = resource(
        &server,
        &format!("/resource?access_token={token}"),
        &[&bearer],
    )
    .await;
    assert_eq!(both.status, 400);
    assert_eq!(
        challenge(&both).error,
        Some(BearerErrorCode::InvalidRequest)
    );
    let two = resource(&server, "/resource", &[&bearer, &bearer]).await;
    assert_eq!(two.status, 400);
}

#[tokio::test]
async fn s64_scheme_case_and_spaces_rfc6750_2_1() {
    let server = MockServer::start().await.unwrap();
    let token = f1_access_token(&server, "read").await;
    for value in [
        format!("bearer {token}"),
        format!("Bearer  {token}"),
        format!("BEARER {token}"),
    ] {
        assert_eq!(
            resource(&server, "/resource", &[&value]).await.status,
            200,
            "{value}"
        );
    }
    let response = resource(&server, "/resource", &["Bearer a\"b"]).await;
    assert_eq!(response.status, 400);
    let response = resource(&server, "/resource", &["Bearer "]).await;
    assert_eq!(response.status, 400);
}

#[tokio::test]
async fn s65_query_tokens_are_not_accepted_rfc9700_4_3_2() {
    let server = MockServer::start().await.unwrap();
    let token = f1_access_token(&server, "read").await;
    let response = resource(&server, &format!("/resource?access_token={token}"), &[]).await;
    assert_eq!(response.status, 401);
    assert_eq!(
        response.header("www-authenticate"),
        Some(r#"Bearer realm="mock""#)
    );
    // The journal never keeps the token.
    assert!(server.journal().iter().all(|e| !e.path.contains(&token)));
}

#[tokio::test]
async fn minted_tokens_are_accepted_and_expire_token_kills_them() {
    let server = MockServer::start().await.unwrap();
    let token = server.mint_token("s6BhdRkqt3", &ScopeSet::parse("read write").unwrap());
    let bearer = format!("Bearer {token}");
    assert_eq!(
        resource(&server, "/resource?scope=write", &[&bearer])
            .await
            .status,
        200
    );
    assert!(server.expire_token(&token));
    assert_eq!(resource(&server, "/resource", &[&bearer]).await.status, 401);
    assert!(!server.revoke_token("not-ours"));
}

#[tokio::test]
async fn healthz_answers_ok() {
    let server = MockServer::start().await.unwrap();
    let response = request(&server, "GET", "/healthz", &[], b"").await;
    assert_eq!((response.status, response.text().as_str()), (200, "ok\n"));
    assert_eq!(request(&server, "GET", "/nope", &[], b"").await.status, 404);
}
