//! Checklist C-63 (RFC 7009 §2.1, §2.2): revocation through
//! `HyperTransport` and the `TokenManager`, against the in-process mock.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::time::Duration;

use auth_core::{
    Client, ClientAuthMethod, ClientCredentials, RetryAfter, RevocationUrl, Scope, TokenUrl,
};
use auth_http::{Error, FetchToken as _, HyperTransport, RetryPolicy, TokenManager, revoke_token};
use mock_server::{DetectedAuth, Endpoint, Fault, FaultRule, MockServer};

const ID: &str = "s6BhdRkqt3";
const SECRET: &str = "gX1fBat3bV";

fn client(server: &MockServer) -> Client {
    Client::new(
        TokenUrl::parse(&server.token_url()).unwrap(),
        ClientCredentials::new(ID, SECRET).with_scopes([Scope::Read]),
    )
}

fn revocation_url(server: &MockServer) -> RevocationUrl {
    RevocationUrl::parse(&server.revocation_url()).unwrap()
}

/// RFC 7662 §2.2 through the mock: is `token` active?
async fn is_active(server: &MockServer, transport: &HyperTransport, token: &str) -> bool {
    let request = http::Request::post(server.introspection_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW")
        .body(format!("token={token}").into_bytes())
        .unwrap();
    let answer = auth_http::Transport::send(transport, request)
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body = std::str::from_utf8(answer.body()).unwrap();
    assert!(body.contains(r#""active":"#), "{body}");
    body.contains(r#""active":true"#)
}

/// The mock's bearer-protected resource: its status for `token`.
async fn resource_status(server: &MockServer, transport: &HyperTransport, token: &str) -> u16 {
    let request = http::Request::get(server.resource_url())
        .header("authorization", format!("Bearer {token}"))
        .body(Vec::new())
        .unwrap();
    auth_http::Transport::send(transport, request)
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn revoked_token_is_inactive_and_rejected_by_the_resource_c63_rfc7009_2_1() {
    let server = MockServer::start().await.unwrap();
    let transport = HyperTransport::new().unwrap();
    let authorized = client(&server).fetch_token(&transport).await.unwrap();
    let token = authorized.token().access_token().expose_secret().to_owned();
    assert!(is_active(&server, &transport, &token).await);
    assert_eq!(resource_status(&server, &transport, &token).await, 200);

    revoke_token(
        &authorized,
        &transport,
        &revocation_url(&server),
        authorized.token().access_token(),
    )
    .await
    .unwrap();

    assert!(!is_active(&server, &transport, &token).await);
    assert_eq!(resource_status(&server, &transport, &token).await, 401);
    // RFC 7009 §2.1: POST, form `token` + `token_type_hint=access_token`,
    // the same client authentication as the token request (Basic here).
    let journal = server.journal();
    let entry = journal.iter().find(|e| e.path == "/revoke").unwrap();
    assert_eq!(entry.method, "POST");
    assert_eq!(entry.status, 200);
    let form = entry.form.as_ref().unwrap();
    let names: Vec<&str> = form.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["token", "token_type_hint"]);
    assert_eq!(form[1].1, "access_token");
    assert_eq!(
        entry.auth_method,
        journal
            .iter()
            .find(|e| e.path == "/token")
            .unwrap()
            .auth_method
    );
    assert_eq!(entry.client_id.as_deref(), Some(ID));
    server.shutdown().await;
}

#[tokio::test]
async fn revocation_uses_client_secret_post_like_the_token_request_c63_rfc7009_2_1() {
    let server = MockServer::start().await.unwrap();
    let transport = HyperTransport::new().unwrap();
    // The mock's `post-only` client is registered for client_secret_post.
    let client = Client::new(
        TokenUrl::parse(&server.token_url()).unwrap(),
        ClientCredentials::new("post-only", "s3cret-post")
            .with_scopes([Scope::Read])
            .with_auth_method(ClientAuthMethod::ClientSecretPost),
    );
    let authorized = client.fetch_token(&transport).await.unwrap();
    let token = authorized.token().access_token();
    revoke_token(&authorized, &transport, &revocation_url(&server), token)
        .await
        .unwrap();
    assert!(!is_active(&server, &transport, token.expose_secret()).await);

    let journal = server.journal();
    let entry = journal.iter().find(|e| e.path == "/revoke").unwrap();
    assert_eq!(entry.auth_method, Some(DetectedAuth::Post));
    assert!(
        !entry
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("authorization")),
        "exactly one client authentication method (RFC 6749 §2.3)"
    );
    let names: Vec<&str> = entry
        .form
        .as_ref()
        .unwrap()
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(
        names,
        ["token", "token_type_hint", "client_id", "client_secret"]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn manager_revoke_drops_the_token_and_the_next_call_fetches_c63_rfc7009_2_2() {
    let server = MockServer::start().await.unwrap();
    let manager = TokenManager::builder(client(&server), HyperTransport::new().unwrap())
        .retry(RetryPolicy::none())
        .build();
    let first = manager.token().await.unwrap();
    assert_eq!(server.token_requests(), 1);

    manager.revoke(&revocation_url(&server)).await.unwrap();
    assert!(manager.cached().is_none(), "revoked token left the cache");

    let second = manager.token().await.unwrap();
    assert_eq!(server.token_requests(), 2, "a new token was fetched");
    assert_ne!(
        first.access_token().expose_secret(),
        second.access_token().expose_secret()
    );
    let transport = HyperTransport::new().unwrap();
    assert!(!is_active(&server, &transport, first.access_token().expose_secret()).await);
    assert!(is_active(&server, &transport, second.access_token().expose_secret()).await);
    server.shutdown().await;
}

/// A revoked token must not come back after a restart: the manager removes
/// it from its store too (the file is gone, so a new process fetches).
#[tokio::test]
async fn manager_revoke_removes_the_stored_token_c63() {
    let server = MockServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.json");
    let manager = TokenManager::builder(client(&server), HyperTransport::new().unwrap())
        .retry(RetryPolicy::none())
        .store(auth_http::FileStore::new(&path))
        .build();
    manager.token().await.unwrap();
    assert!(path.exists(), "the new token was stored");

    manager.revoke(&revocation_url(&server)).await.unwrap();
    assert!(!path.exists(), "the revoked token is still stored");

    let restarted = TokenManager::builder(client(&server), HyperTransport::new().unwrap())
        .retry(RetryPolicy::none())
        .store(auth_http::FileStore::new(&path))
        .build();
    let fresh = restarted.token().await.unwrap();
    assert_eq!(server.token_requests(), 2, "the restarted manager fetched");
    let transport = HyperTransport::new().unwrap();
    assert!(is_active(&server, &transport, fresh.access_token().expose_secret()).await);
    server.shutdown().await;
}

#[tokio::test]
async fn manager_without_a_token_revokes_nothing_c63() {
    let server = MockServer::start().await.unwrap();
    let manager = TokenManager::new(client(&server), HyperTransport::new().unwrap());
    manager.revoke(&revocation_url(&server)).await.unwrap();
    assert!(server.journal().iter().all(|e| e.path != "/revoke"));
    server.shutdown().await;
}

#[tokio::test]
async fn unavailable_503_keeps_the_token_valid_and_says_when_to_retry_c63_rfc7009_2_2_1() {
    let server = MockServer::start().await.unwrap();
    let manager = TokenManager::builder(client(&server), HyperTransport::new().unwrap())
        .retry(RetryPolicy::none())
        .build();
    let token = manager.token().await.unwrap();
    server.push_fault(
        FaultRule::new(Fault::RetryAfter {
            status: 503,
            seconds: 7,
        })
        .for_endpoint(Endpoint::Revoke)
        .times(1),
    );

    let error = manager.revoke(&revocation_url(&server)).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Core(auth_core::Error::RevocationUnavailable(_))
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(
        error.retry_after(),
        Some(RetryAfter::Delay(Duration::from_secs(7)))
    );
    // Still cached, still valid at the server.
    assert_eq!(
        manager.cached().unwrap().access_token().expose_secret(),
        token.access_token().expose_secret()
    );
    let transport = HyperTransport::new().unwrap();
    assert!(is_active(&server, &transport, token.access_token().expose_secret()).await);

    // Later, the retry succeeds.
    manager.revoke(&revocation_url(&server)).await.unwrap();
    assert!(manager.cached().is_none());
    assert!(!is_active(&server, &transport, token.access_token().expose_secret()).await);
    server.shutdown().await;
}

#[tokio::test]
async fn another_clients_token_is_a_provider_error_and_survives_c63_rfc7009_2_2() {
    let server = MockServer::start().await.unwrap();
    let transport = HyperTransport::new().unwrap();
    let other = server.mint_token("other-client", &"read".parse().unwrap());
    let error = revoke_token(
        &client(&server),
        &transport,
        &revocation_url(&server),
        &auth_core::AccessToken::new(other.as_str()),
    )
    .await
    .unwrap_err();
    assert!(error.is_provider_rejection(), "{error:?}");
    assert!(!error.is_retryable());
    server.shutdown().await;
}
