//! The scenarios end to end: `HyperTransport` + `TokenManager` +
//! `BearerAuth` against the in-process mock provider, asserting on its
//! journal.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::time::Duration;

use auth_core::response::ParseOptions;
use auth_core::{
    Client, ClientAuthMethod, ClientCredentials, ExpiryPolicy, ManualClock, OAuthToken, Scope,
    TokenUrl,
};
use auth_http::{
    BearerAuthLayer, Error, FileStore, HyperTransport, RetryPolicy, TokenManager, Transport,
};
use mock_server::{ClientRegistration, DetectedAuth, Fault, FaultRule, MockServer};
use time::macros::datetime;
use tower::ServiceExt as _;

const ID: &str = "s6BhdRkqt3";
const SECRET: &str = "gX1fBat3bV";

fn client(server: &MockServer, id: &str, secret: &str) -> Client {
    Client::new(
        TokenUrl::parse(&server.token_url()).unwrap(),
        ClientCredentials::new(id, secret).with_scopes([Scope::Read]),
    )
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().with_initial_backoff(Duration::from_millis(10))
}

fn manager(server: &MockServer) -> TokenManager {
    TokenManager::builder(client(server, ID, SECRET), HyperTransport::new().unwrap())
        .retry(fast_retries())
        .build()
}

fn token_statuses(server: &MockServer) -> Vec<u16> {
    server
        .journal()
        .iter()
        .filter(|e| e.path.starts_with("/token"))
        .map(|e| e.status)
        .collect()
}

/// A tower service over the transport: what `BearerAuth` wraps.
fn http_service(
    transport: HyperTransport,
) -> impl tower::Service<
    http::Request<Vec<u8>>,
    Response = http::Response<Vec<u8>>,
    Error = Error,
    Future: Send,
> + Clone
+ Send
+ 'static {
    tower::service_fn(move |request: http::Request<Vec<u8>>| {
        let transport = transport.clone();
        async move { transport.send(request).await }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_callers_cause_one_token_request_c55() {
    let server = MockServer::start().await.unwrap();
    server.push_fault(FaultRule::new(Fault::Latency(Duration::from_millis(100))).times(1));
    let manager = manager(&server);
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let manager = manager.clone();
            tokio::spawn(async move {
                manager
                    .token()
                    .await
                    .map(|t| t.access_token().expose_secret().to_owned())
            })
        })
        .collect();
    let mut tokens = std::collections::HashSet::new();
    for task in tasks {
        tokens.insert(task.await.unwrap().unwrap());
    }
    assert_eq!(tokens.len(), 1, "every caller got the same token");
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test]
async fn a_token_is_renewed_before_it_expires_under_a_manual_clock_c54() {
    let clock = ManualClock::new(datetime!(2026-01-01 00:00 UTC));
    let server = MockServer::builder()
        .client(ClientRegistration::new(ID, SECRET).with_scopes(["read", "write"]))
        .token_lifetime(Duration::from_secs(120))
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let expiry = ExpiryPolicy::default().with_skew(Duration::from_secs(30));
    let client =
        client(&server, ID, SECRET).with_options(ParseOptions::default().with_expiry(expiry));
    let manager = TokenManager::builder(client, HyperTransport::new().unwrap())
        .clock(clock.clone())
        .refresh_jitter(0.0)
        .build();

    let first = manager.token().await.unwrap();
    clock.advance(Duration::from_secs(89));
    assert_eq!(
        first.access_token(),
        manager.token().await.unwrap().access_token()
    );
    assert_eq!(server.token_requests(), 1);

    clock.advance(Duration::from_secs(2)); // t=91: still valid, renewal starts
    assert_eq!(
        first.access_token(),
        manager.token().await.unwrap().access_token(),
        "the valid token is served meanwhile"
    );
    for _ in 0..500 {
        if manager
            .cached()
            .is_some_and(|t| t.access_token() != first.access_token())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let second = manager.token().await.unwrap();
    assert_ne!(first.access_token(), second.access_token());
    assert!(second.expires_at() > first.expires_at());
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test]
async fn unavailable_then_ok_succeeds_after_one_retry_c48() {
    let server = MockServer::start().await.unwrap();
    server.push_fault(FaultRule::new(Fault::Status(503)).times(1));
    manager(&server).token().await.unwrap();
    assert_eq!(token_statuses(&server), vec![503, 200]);
}

#[tokio::test]
async fn retry_after_is_honoured_c49() {
    let server = MockServer::start().await.unwrap();
    server.push_fault(
        FaultRule::new(Fault::RetryAfter {
            status: 429,
            seconds: 1,
        })
        .times(1),
    );
    let started = std::time::Instant::now();
    manager(&server).token().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited only {:?}",
        started.elapsed()
    );
    assert_eq!(token_statuses(&server), vec![429, 200]);
}

#[tokio::test]
async fn invalid_client_is_not_retried_c47() {
    let server = MockServer::start().await.unwrap();
    let error = TokenManager::builder(
        client(&server, ID, "wrong-secret"),
        HyperTransport::new().unwrap(),
    )
    .retry(fast_retries())
    .build()
    .token()
    .await
    .unwrap_err();
    assert!(error.is_provider_rejection(), "{error:?}");
    assert_eq!(token_statuses(&server), vec![401]);
}

#[tokio::test]
async fn a_hanging_provider_gives_a_timeout_error_c51() {
    let server = MockServer::start().await.unwrap();
    server.push_fault(FaultRule::new(Fault::Hang).times(1));
    let transport = HyperTransport::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let manager = TokenManager::builder(client(&server, ID, SECRET), transport)
        .retry(RetryPolicy::none())
        .build();
    let error = manager.token().await.unwrap_err();
    assert!(matches!(error.root(), Error::Timeout(_)), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_bounded_memory() {
    let server = MockServer::start().await.unwrap();
    server.push_fault(
        FaultRule::new(Fault::Oversized {
            bytes: 8 * 1024 * 1024,
        })
        .times(1),
    );
    let error = manager(&server).token().await.unwrap_err();
    assert!(
        matches!(error.root(), Error::BodyTooLarge { limit: 1_048_576 }),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test]
async fn an_invalid_token_from_the_resource_renews_once_and_retries_once_c57() {
    let server = MockServer::start().await.unwrap();
    let manager = manager(&server);
    let transport = HyperTransport::new().unwrap();
    let layer = BearerAuthLayer::new(manager.clone()).allow_insecure_loopback(true);
    let get = || {
        http::Request::get(server.resource_url())
            .body(Vec::new())
            .unwrap()
    };

    let ok = tower::Layer::layer(&layer, http_service(transport.clone()))
        .oneshot(get())
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let first = manager.cached().unwrap();
    assert!(server.revoke_token(first.access_token().expose_secret()));

    let before = server.journal().len();
    let response = tower::Layer::layer(&layer, http_service(transport))
        .oneshot(get())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let calls: Vec<(String, u16)> = server.journal()[before..]
        .iter()
        .map(|e| (e.path.clone(), e.status))
        .collect();
    let resource_path = server
        .resource_url()
        .trim_start_matches(&server.url())
        .to_owned();
    assert_eq!(
        calls,
        vec![
            (resource_path.clone(), 401),
            ("/token".to_owned(), 200),
            (resource_path, 200)
        ]
    );
    assert_ne!(
        manager.cached().unwrap().access_token(),
        first.access_token()
    );
}

#[tokio::test]
async fn insufficient_scope_is_returned_without_renewal_c58() {
    let server = MockServer::start().await.unwrap();
    let layer = BearerAuthLayer::new(manager(&server)).allow_insecure_loopback(true);
    let request = http::Request::get(format!("{}?scope=write", server.resource_url()))
        .body(Vec::new())
        .unwrap();
    let response = tower::Layer::layer(&layer, http_service(HyperTransport::new().unwrap()))
        .oneshot(request)
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let challenge =
        auth_core::BearerChallenge::parse(response.headers()["www-authenticate"].to_str().unwrap())
            .unwrap();
    assert_eq!(
        challenge.error,
        Some(auth_core::BearerErrorCode::InsufficientScope)
    );
    assert_eq!(challenge.scope.as_deref(), Some("write"));
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test]
async fn a_corrupt_store_file_is_fetched_over_and_overwritten() {
    let server = MockServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.json");
    std::fs::write(&path, "{\"version\":1,\"access_token\":").unwrap();
    let manager =
        TokenManager::builder(client(&server, ID, SECRET), HyperTransport::new().unwrap())
            .store(FileStore::new(&path))
            .build();
    let token = manager.token().await.unwrap();
    assert_eq!(server.token_requests(), 1);
    let stored =
        OAuthToken::from_stored_json(&std::fs::read(&path).unwrap(), manager.key()).unwrap();
    assert_eq!(stored.access_token(), token.access_token());
}

#[tokio::test]
async fn special_and_non_ascii_secrets_pass_strict_basic_decoding_c11_c12() {
    let server = MockServer::start().await.unwrap();
    let transport = HyperTransport::new().unwrap();
    for (id, secret) in [
        ("client:id+1", "a b+c/d%e&f=g:h~i"),
        ("svc-1", "pässwörd€"),
        ("cid", "~~~>?"),
    ] {
        let manager = TokenManager::builder(client(&server, id, secret), transport.clone()).build();
        manager.token().await.unwrap();
    }
    let entries = server.journal();
    assert_eq!(entries.len(), 3);
    for entry in entries {
        assert_eq!(entry.status, 200);
        assert_eq!(entry.auth_method, Some(DetectedAuth::Basic));
    }
}

#[tokio::test]
async fn client_secret_post_sends_the_credentials_in_the_body_only_c14() {
    let server = MockServer::start().await.unwrap();
    let credentials = ClientCredentials::new("post-only", "s3cret-post")
        .with_scopes([Scope::Read])
        .with_auth_method(ClientAuthMethod::ClientSecretPost);
    let client = Client::new(TokenUrl::parse(&server.token_url()).unwrap(), credentials);
    TokenManager::new(client, HyperTransport::new().unwrap())
        .token()
        .await
        .unwrap();
    let entry = &server.journal()[0];
    assert_eq!(entry.auth_method, Some(DetectedAuth::Post));
    assert!(
        !entry
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("authorization"))
    );
}

/// A manager on `clock`, so a test can step past the failure window.
fn manager_on(server: &MockServer, clock: &ManualClock) -> TokenManager {
    TokenManager::builder(client(server, ID, SECRET), HyperTransport::new().unwrap())
        .retry(fast_retries())
        .clock(clock.clone())
        .build()
}

#[tokio::test]
async fn an_error_is_reused_for_its_window_and_never_cached_for_good_c55() {
    let server = MockServer::start().await.unwrap();
    server.push_fault(FaultRule::new(Fault::InvalidClient).times(1));
    let clock = ManualClock::new(datetime!(2026-01-01 00:00 UTC));
    let manager = manager_on(&server, &clock);
    let error = manager.token().await.unwrap_err();
    assert!(error.is_provider_rejection(), "{error:?}");
    let reused = manager.token().await.unwrap_err();
    assert!(
        matches!(reused, Error::RecentFailure { .. }) && reused.is_provider_rejection(),
        "{reused:?}"
    );
    assert_eq!(token_statuses(&server), vec![401]);
    clock.advance(Duration::from_millis(100));
    manager.token().await.unwrap();
    assert_eq!(token_statuses(&server), vec![401, 200]);
}

#[tokio::test]
async fn cancelling_one_waiter_does_not_cancel_the_fetch_for_the_others() {
    let server = MockServer::start().await.unwrap();
    server.push_fault(FaultRule::new(Fault::Latency(Duration::from_millis(300))).times(1));
    let manager = manager(&server);
    let cancelled = {
        let manager = manager.clone();
        tokio::spawn(async move { manager.token().await })
    };
    let waiter = {
        let manager = manager.clone();
        tokio::spawn(async move { manager.token().await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    cancelled.abort();
    assert!(cancelled.await.unwrap_err().is_cancelled());
    waiter.await.unwrap().unwrap();
    assert_eq!(token_statuses(&server), vec![200]);
}

#[tokio::test]
async fn a_malformed_answer_fails_at_once_and_an_odd_but_legal_one_is_accepted() {
    let server = MockServer::start().await.unwrap();
    server.push_fault(FaultRule::new(Fault::MalformedJson).times(1));
    server.push_fault(FaultRule::new(Fault::ExpiresInString).times(1));
    let clock = ManualClock::new(datetime!(2026-01-01 00:00 UTC));
    let manager = manager_on(&server, &clock);
    let error = manager.token().await.unwrap_err();
    assert!(
        matches!(error.root(), Error::Core(auth_core::Error::Parse(_))),
        "{error:?}"
    );
    assert_eq!(token_statuses(&server), vec![200], "not retried");
    clock.advance(Duration::from_millis(100));
    let token = manager.token().await.unwrap();
    assert!(!token.is_expiry_assumed());
    assert_eq!(token_statuses(&server), vec![200, 200]);
}
