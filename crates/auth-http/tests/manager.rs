//! `TokenManager` behaviour over a scripted closure transport: no sockets,
//! time from a `ManualClock` (expiry) and tokio's paused clock (backoff).
#![expect(clippy::unwrap_used, reason = "tests")]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_core::response::ParseOptions;
use auth_core::{
    Client, ClientCredentials, ExpiryPolicy, ManualClock, OAuthToken, Scope, TokenUrl,
};
use auth_http::{Error, FileStore, MemoryStore, RetryPolicy, TokenManager, TokenStore, from_fn};
use time::OffsetDateTime;
use time::macros::datetime;
use tokio::time::Instant;

const T0: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

/// A canned answer; `None` in the script means "a fresh token".
#[derive(Clone)]
enum Answer {
    Token {
        expires_in: u64,
    },
    Status {
        status: u16,
        body: &'static str,
        retry_after: Option<&'static str>,
    },
    Hang,
}

#[derive(Clone, Default)]
struct Provider {
    calls: Arc<AtomicUsize>,
    at: Arc<Mutex<Vec<Instant>>>,
    script: Arc<Mutex<VecDeque<Answer>>>,
    latency: Duration,
}

impl Provider {
    fn with(answers: impl IntoIterator<Item = Answer>) -> Self {
        Self {
            script: Arc::new(Mutex::new(answers.into_iter().collect())),
            ..Self::default()
        }
    }

    fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn transport(&self) -> impl auth_http::Transport + 'static {
        let provider = self.clone();
        from_fn(move |request: http::Request<Vec<u8>>| {
            let provider = provider.clone();
            async move {
                assert_eq!(request.method(), "POST");
                let n = provider.calls.fetch_add(1, Ordering::SeqCst) + 1;
                provider.at.lock().unwrap().push(Instant::now());
                if !provider.latency.is_zero() {
                    tokio::time::sleep(provider.latency).await;
                }
                let answer = provider.script.lock().unwrap().pop_front();
                let answer = answer.unwrap_or(Answer::Token { expires_in: 3600 });
                let response = match answer {
                    Answer::Token { expires_in } => http::Response::builder()
                        .header("content-type", "application/json")
                        .body(
                            format!(r#"{{"access_token":"tok-{n}","token_type":"Bearer","expires_in":{expires_in}}}"#)
                                .into_bytes(),
                        )
                        .unwrap(),
                    Answer::Status { status, body, retry_after } => {
                        let mut builder = http::Response::builder().status(status);
                        if let Some(value) = retry_after {
                            builder = builder.header("retry-after", value);
                        }
                        if body.starts_with('{') {
                            builder = builder.header("content-type", "application/json");
                        }
                        builder.body(body.as_bytes().to_vec()).unwrap()
                    }
                    Answer::Hang => std::future::pending().await,
                };
                Ok(response)
            }
        })
    }
}

fn client() -> Client {
    Client::new(
        TokenUrl::parse("https://as.example/token").unwrap(),
        ClientCredentials::new("svc", "s3cret").with_scopes([Scope::Read]),
    )
}

fn manager(provider: &Provider, clock: &ManualClock) -> TokenManager {
    TokenManager::builder(client(), provider.transport())
        .clock(clock.clone())
        .refresh_jitter(0.0)
        .build()
}

/// The access token `manager` hands out now.
async fn access_token(manager: &TokenManager) -> String {
    let token = manager.token().await.unwrap();
    token.access_token().expose_secret().to_owned()
}

fn unavailable() -> Answer {
    Answer::Status {
        status: 503,
        body: "<html>down</html>",
        retry_after: None,
    }
}

#[tokio::test(start_paused = true)]
async fn a_thousand_concurrent_callers_cause_one_token_request_c55() {
    let provider = Provider::default().latency(Duration::from_millis(50));
    let manager = manager(&provider, &ManualClock::new(T0));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let manager = manager.clone();
            tokio::spawn(async move { manager.token().await })
        })
        .collect();
    for task in tasks {
        let token = task.await.unwrap().unwrap();
        assert_eq!(token.access_token().expose_secret(), "tok-1");
    }
    assert_eq!(provider.calls(), 1);
}

#[tokio::test]
async fn sequential_calls_within_validity_send_one_request_c53() {
    let provider = Provider::default();
    let clock = ManualClock::new(T0);
    let manager = manager(&provider, &clock);
    for _ in 0..10 {
        manager.token().await.unwrap();
        clock.advance(Duration::from_secs(60));
    }
    assert_eq!(provider.calls(), 1);
}

#[tokio::test]
async fn token_is_renewed_ahead_of_expiry_while_the_valid_one_is_served_c54() {
    let provider = Provider::with([
        Answer::Token { expires_in: 120 },
        Answer::Token { expires_in: 120 },
    ]);
    let clock = ManualClock::new(T0);
    let expiry = ExpiryPolicy::default().with_skew(Duration::from_secs(30));
    let client = client().with_options(ParseOptions::default().with_expiry(expiry));
    let manager = TokenManager::builder(client, provider.transport())
        .clock(clock.clone())
        .refresh_jitter(0.0)
        .build();

    assert_eq!(access_token(&manager).await, "tok-1");
    clock.advance(Duration::from_secs(89));
    assert_eq!(access_token(&manager).await, "tok-1");
    assert_eq!(provider.calls(), 1, "t=89 is before expires_at - skew");

    clock.advance(Duration::from_secs(2)); // t=91: renew, but the token is still valid
    assert_eq!(access_token(&manager).await, "tok-1");
    while manager.cached().unwrap().access_token().expose_secret() == "tok-1" {
        tokio::task::yield_now().await;
    }
    assert_eq!(provider.calls(), 2);
    assert_eq!(access_token(&manager).await, "tok-2");
    assert_eq!(provider.calls(), 2);
}

#[tokio::test]
async fn an_expired_token_is_never_served() {
    let provider = Provider::default();
    let clock = ManualClock::new(T0);
    let manager = manager(&provider, &clock);
    manager.token().await.unwrap();
    clock.advance(Duration::from_secs(3600));
    assert_eq!(access_token(&manager).await, "tok-2");
}

#[tokio::test(start_paused = true)]
async fn unavailable_then_ok_succeeds_after_one_retry_c48() {
    let provider = Provider::with([unavailable()]);
    let manager = manager(&provider, &ManualClock::new(T0));
    assert_eq!(access_token(&manager).await, "tok-2");
    assert_eq!(provider.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn persistent_5xx_gives_up_after_max_attempts_c48() {
    let provider = Provider::with(std::iter::repeat_n(unavailable(), 10));
    let manager = manager(&provider, &ManualClock::new(T0));
    let error = manager.token().await.unwrap_err();
    assert_eq!(error.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    assert!(error.is_retryable());
    assert_eq!(provider.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn backoff_grows_exponentially_with_jitter() {
    let provider = Provider::with(std::iter::repeat_n(unavailable(), 3));
    let retry = RetryPolicy::default()
        .with_max_attempts(4)
        .with_initial_backoff(Duration::from_secs(1));
    let manager = TokenManager::builder(client(), provider.transport())
        .retry(retry)
        .build();
    manager.token().await.unwrap();
    let at = provider.at.lock().unwrap().clone();
    let gaps: Vec<Duration> = at.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps.len(), 3);
    for (i, gap) in gaps.iter().enumerate() {
        let full = Duration::from_secs(1 << i);
        assert!(*gap >= full / 2 && *gap <= full, "gap {i} = {gap:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_c49() {
    let provider = Provider::with([Answer::Status {
        status: 429,
        body: "slow down",
        retry_after: Some("1"),
    }]);
    let manager = manager(&provider, &ManualClock::new(T0));
    manager.token().await.unwrap();
    let at = provider.at.lock().unwrap().clone();
    assert_eq!(at.len(), 2);
    assert!(
        at[1] - at[0] >= Duration::from_secs(1),
        "waited {:?}",
        at[1] - at[0]
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_beyond_the_deadline_fails_fast_with_the_delay_c49() {
    let provider = Provider::with([Answer::Status {
        status: 503,
        body: "",
        retry_after: Some("120"),
    }]);
    let retry = RetryPolicy::default().with_deadline(Duration::from_secs(10));
    let manager = TokenManager::builder(client(), provider.transport())
        .retry(retry)
        .build();
    let started = Instant::now();
    let error = manager.token().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    match error.root() {
        Error::RateLimited { retry_after, .. } => {
            assert_eq!(*retry_after, Duration::from_secs(120));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert_eq!(provider.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_invalid_retry_after_falls_back_to_normal_backoff_c49() {
    let provider = Provider::with([Answer::Status {
        status: 429,
        body: "",
        retry_after: Some("soon"),
    }]);
    let manager = manager(&provider, &ManualClock::new(T0));
    manager.token().await.unwrap();
    assert_eq!(provider.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn invalid_client_is_not_retried_c47() {
    let provider = Provider::with([Answer::Status {
        status: 401,
        body: r#"{"error":"invalid_client","error_description":"unknown client"}"#,
        retry_after: None,
    }]);
    let manager = manager(&provider, &ManualClock::new(T0));
    let error = manager.token().await.unwrap_err();
    assert!(error.is_provider_rejection());
    assert!(!error.is_retryable());
    assert!(matches!(
        error.root(),
        Error::Core(auth_core::Error::Provider(p)) if p.code == auth_core::ErrorCode::InvalidClient
    ));
    assert_eq!(provider.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_shared_failure_reaches_every_waiter_and_is_reused_only_for_its_window_c55() {
    let provider = Provider::with([Answer::Status {
        status: 400,
        body: r#"{"error":"invalid_scope"}"#,
        retry_after: None,
    }])
    .latency(Duration::from_millis(10));
    let clock = ManualClock::new(T0);
    let manager = manager(&provider, &clock);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let manager = manager.clone();
            tokio::spawn(async move { manager.token().await })
        })
        .collect();
    for task in tasks {
        let error = task.await.unwrap().unwrap_err();
        assert!(matches!(
            error.root(),
            Error::Core(auth_core::Error::Provider(_))
        ));
    }
    assert_eq!(provider.calls(), 1);
    // Within the failure window (100 ms) the same error is reused...
    let error = manager.token().await.unwrap_err();
    assert!(
        matches!(&error, Error::RecentFailure { source, .. } if matches!(source.root(), Error::Core(auth_core::Error::Provider(_)))),
        "{error:?}"
    );
    assert_eq!(provider.calls(), 1);
    // ...and past it, the next call asks the provider again: errors are
    // shared briefly, never cached for good.
    clock.advance(Duration::from_millis(100));
    assert_eq!(access_token(&manager).await, "tok-2");
    assert_eq!(provider.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn cancelling_one_waiter_does_not_cancel_the_fetch_for_the_others() {
    let provider = Provider::default().latency(Duration::from_secs(1));
    let manager = manager(&provider, &ManualClock::new(T0));
    let first = {
        let manager = manager.clone();
        tokio::spawn(async move { manager.token().await })
    };
    let second = {
        let manager = manager.clone();
        tokio::spawn(async move { manager.token().await })
    };
    // The caller that started the fetch gives up half way.
    let cancelled = tokio::time::timeout(Duration::from_millis(500), manager.token()).await;
    assert!(cancelled.is_err());
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    assert_eq!(
        second
            .await
            .unwrap()
            .unwrap()
            .access_token()
            .expose_secret(),
        "tok-1"
    );
    assert_eq!(provider.calls(), 1);
    assert_eq!(
        manager.cached().unwrap().access_token().expose_secret(),
        "tok-1"
    );
}

#[tokio::test]
async fn a_failed_refresh_ahead_keeps_serving_the_valid_token() {
    let provider = Provider::with([
        Answer::Token { expires_in: 3600 },
        Answer::Status {
            status: 400,
            body: r#"{"error":"invalid_scope"}"#,
            retry_after: None,
        },
    ]);
    let clock = ManualClock::new(T0);
    let manager = manager(&provider, &clock);
    manager.token().await.unwrap();
    clock.advance(Duration::from_secs(3550)); // inside the 60 s skew
    assert_eq!(access_token(&manager).await, "tok-1");
    while provider.calls() < 2 {
        tokio::task::yield_now().await;
    }
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert_eq!(access_token(&manager).await, "tok-1");
    // A failed renewal pauses refresh-ahead: no request back to back.
    for _ in 0..10 {
        manager.token().await.unwrap();
        tokio::task::yield_now().await;
    }
    assert_eq!(provider.calls(), 2);
    clock.advance(Duration::from_secs(5));
    manager.token().await.unwrap();
    while manager.cached().unwrap().access_token().expose_secret() == "tok-1" {
        tokio::task::yield_now().await;
    }
    assert_eq!(provider.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn the_fetch_deadline_bounds_a_hanging_provider() {
    let provider = Provider::with([Answer::Hang]);
    let retry = RetryPolicy::default().with_deadline(Duration::from_secs(5));
    let manager = TokenManager::builder(client(), provider.transport())
        .retry(retry)
        .build();
    let error = manager.token().await.unwrap_err();
    assert!(
        matches!(error.root(), Error::Timeout(d) if *d == Duration::from_secs(5)),
        "{error:?}"
    );
}

#[tokio::test]
async fn invalidate_token_forgets_only_the_rejected_token() {
    let provider = Provider::default();
    let manager = manager(&provider, &ManualClock::new(T0));
    let first = manager.token().await.unwrap();
    manager.invalidate_token(&first);
    let second = manager.token().await.unwrap();
    assert_eq!(second.access_token().expose_secret(), "tok-2");
    manager.invalidate_token(&first); // stale rejection: keep tok-2
    assert_eq!(access_token(&manager).await, "tok-2");
    manager.invalidate();
    assert_eq!(access_token(&manager).await, "tok-3");
}

#[tokio::test]
async fn a_fresh_stored_token_is_used_without_a_request_and_new_ones_are_saved() {
    let provider = Provider::default();
    let clock = ManualClock::new(T0);
    let store = Arc::new(MemoryStore::new());
    let key = client().request().key();
    let stored = OAuthToken::new(
        auth_core::AccessToken::new("stored"),
        T0,
        T0 + time::Duration::hours(1),
        "read".parse().unwrap(),
    );
    store.save(&key, &stored).await.unwrap();
    let manager = TokenManager::builder(client(), provider.transport())
        .clock(clock.clone())
        .shared_store(store.clone())
        .build();
    assert_eq!(access_token(&manager).await, "stored");
    assert_eq!(provider.calls(), 0);

    clock.advance(Duration::from_secs(3600));
    assert_eq!(access_token(&manager).await, "tok-1");
    let saved = store.load(&key).await.unwrap().unwrap();
    assert_eq!(saved.access_token().expose_secret(), "tok-1");
}

#[tokio::test]
async fn a_corrupt_store_file_counts_as_a_miss_and_is_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.json");
    std::fs::write(&path, b"{ not json").unwrap();
    let provider = Provider::default();
    let manager = TokenManager::builder(client(), provider.transport())
        .store(FileStore::new(&path))
        .build();
    assert_eq!(access_token(&manager).await, "tok-1");
    assert_eq!(provider.calls(), 1);
    let saved =
        OAuthToken::from_stored_json(&std::fs::read(&path).unwrap(), manager.key()).unwrap();
    assert_eq!(saved.access_token().expose_secret(), "tok-1");
}

#[tokio::test]
async fn a_restarted_manager_reuses_the_token_in_its_file_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.json");
    let provider = Provider::default();
    let first = TokenManager::builder(client(), provider.transport())
        .store(FileStore::new(&path))
        .build();
    first.token().await.unwrap();
    drop(first);
    let restarted = TokenManager::builder(client(), provider.transport())
        .store(FileStore::new(&path))
        .build();
    assert_eq!(access_token(&restarted).await, "tok-1");
    assert_eq!(provider.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn two_server_errors_then_ok_succeed_on_the_third_request_c48() {
    let provider = Provider::with([unavailable(), unavailable()]);
    let manager = manager(&provider, &ManualClock::new(T0));
    let token = manager.token().await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "tok-3");
    assert_eq!(provider.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_date_is_honoured_against_the_manager_clock_c49() {
    // Retry-After as an HTTP-date two seconds after the manager's clock.
    let provider = Provider::with([Answer::Status {
        status: 503,
        body: "",
        retry_after: Some("Thu, 01 Jan 2026 00:00:02 GMT"),
    }]);
    let manager = manager(&provider, &ManualClock::new(T0));
    manager.token().await.unwrap();
    let at = provider.at.lock().unwrap().clone();
    assert!(
        at[1] - at[0] >= Duration::from_secs(2),
        "waited {:?}",
        at[1] - at[0]
    );
}

#[tokio::test(start_paused = true)]
async fn refresh_ahead_is_single_flight_too() {
    let provider = Provider::default().latency(Duration::from_millis(100));
    let clock = ManualClock::new(T0);
    let manager = manager(&provider, &clock);
    manager.token().await.unwrap();
    clock.advance(Duration::from_secs(3550)); // inside the 60 s skew
    for _ in 0..50 {
        let token = manager.token().await.unwrap();
        assert_eq!(
            token.access_token().expose_secret(),
            "tok-1",
            "served while renewing"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let token = manager.token().await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "tok-2");
    assert_eq!(provider.calls(), 2);
}

// Issue 8 item 1: time arithmetic never panics on input.

#[tokio::test(start_paused = true)]
async fn a_huge_retry_after_on_503_fails_now_as_rate_limited_without_panicking() {
    let provider = Provider::with([Answer::Status {
        status: 503,
        body: "",
        retry_after: Some("99999999999999999999"),
    }]);
    let manager = manager(&provider, &ManualClock::new(T0));
    let error = manager.token().await.unwrap_err();
    assert!(
        matches!(error.root(), Error::RateLimited { .. }),
        "{error:?}"
    );
    assert_eq!(provider.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_huge_retry_after_on_429_fails_now_as_rate_limited_without_panicking() {
    let provider = Provider::with([Answer::Status {
        status: 429,
        body: r#"{"error":"slow_down"}"#,
        retry_after: Some("99999999999999999999"),
    }]);
    let manager = manager(&provider, &ManualClock::new(T0));
    let error = manager.token().await.unwrap_err();
    assert!(
        matches!(error.root(), Error::RateLimited { retry_after, .. } if *retry_after == auth_core::RetryAfter::MAX_DELAY),
        "{error:?}"
    );
    assert_eq!(provider.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_duration_max_backoff_gives_up_with_the_error_instead_of_panicking() {
    let provider = Provider::with([unavailable()]);
    let retry = RetryPolicy::default()
        .with_initial_backoff(Duration::MAX)
        .with_max_backoff(Duration::MAX);
    let manager = TokenManager::builder(client(), provider.transport())
        .clock(ManualClock::new(T0))
        .retry(retry)
        .build();
    let error = manager.token().await.unwrap_err();
    assert_eq!(
        error.status(),
        Some(http::StatusCode::SERVICE_UNAVAILABLE),
        "{error:?}"
    );
    assert_eq!(provider.calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_duration_max_deadline_still_fetches_and_retries() {
    let provider = Provider::with([unavailable()]);
    let retry = RetryPolicy::default().with_deadline(Duration::MAX);
    let manager = TokenManager::builder(client(), provider.transport())
        .clock(ManualClock::new(T0))
        .retry(retry)
        .build();
    let token = manager.token().await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "tok-2");
    assert_eq!(provider.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn an_expiry_policy_of_duration_max_values_never_panics() {
    let provider = Provider::default();
    let expiry = ExpiryPolicy::default()
        .with_skew(Duration::MAX)
        .with_default_lifetime(Duration::MAX)
        .with_max_lifetime(Duration::MAX);
    let client = client().with_options(ParseOptions::default().with_expiry(expiry));
    let manager = TokenManager::builder(client, provider.transport())
        .clock(ManualClock::new(T0))
        .refresh_jitter(1.0)
        .build();
    assert_eq!(access_token(&manager).await, "tok-1");
    assert_eq!(provider.calls(), 1);
}

// Issue 8 item 5: a failure is shared for a short, growing window.

fn rejected() -> Answer {
    Answer::Status {
        status: 401,
        body: r#"{"error":"invalid_client"}"#,
        retry_after: None,
    }
}

#[tokio::test(start_paused = true)]
async fn failing_callers_at_request_rate_reach_the_provider_at_a_growing_interval() {
    let provider = Provider::with(std::iter::repeat_n(rejected(), 1000));
    let clock = ManualClock::new(T0);
    let manager = manager(&provider, &clock);
    // 200 callers, 10 ms apart: 2 s of traffic against a revoked secret.
    let mut recent = 0;
    for _ in 0..200 {
        let error = manager.token().await.unwrap_err();
        assert!(error.is_provider_rejection(), "{error:?}");
        if matches!(error, Error::RecentFailure { .. }) {
            recent += 1;
        }
        clock.advance(Duration::from_millis(10));
    }
    // Windows of 100, 200, 400 and 800 ms: requests at 0, 0.1, 0.3, 0.7 and 1.5 s.
    assert_eq!(provider.calls(), 5);
    assert_eq!(recent, 195);
}

#[tokio::test(start_paused = true)]
async fn the_reused_failure_says_when_the_next_attempt_is_allowed() {
    let provider = Provider::with([rejected()]);
    let clock = ManualClock::new(T0);
    let manager = manager(&provider, &clock);
    manager.token().await.unwrap_err();
    clock.advance(Duration::from_millis(30));
    let error = manager.token().await.unwrap_err();
    match &error {
        Error::RecentFailure { retry_in, source } => {
            assert_eq!(*retry_in, Duration::from_millis(70));
            assert!(source.is_provider_rejection());
        }
        other => panic!("expected RecentFailure, got {other:?}"),
    }
    assert!(!error.is_retryable());
    insta::assert_snapshot!(error, @"token fetch failed recently; next attempt in 70ms");
    clock.advance(Duration::from_millis(70));
    assert_eq!(access_token(&manager).await, "tok-2");
    assert_eq!(provider.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn invalidate_or_a_success_resets_the_failure_window() {
    let provider = Provider::with([rejected(), rejected(), rejected()]);
    let clock = ManualClock::new(T0);
    let manager = manager(&provider, &clock);
    manager.token().await.unwrap_err();
    clock.advance(Duration::from_millis(100));
    manager.token().await.unwrap_err();
    assert_eq!(provider.calls(), 2);
    // Two failures in a row: the window has doubled to 200 ms.
    clock.advance(Duration::from_millis(150));
    assert!(matches!(
        manager.token().await.unwrap_err(),
        Error::RecentFailure { .. }
    ));
    assert_eq!(provider.calls(), 2);
    // invalidate() allows a new attempt at once and restarts at 100 ms.
    manager.invalidate();
    manager.token().await.unwrap_err();
    assert_eq!(provider.calls(), 3);
    clock.advance(Duration::from_millis(100));
    manager.token().await.unwrap();
    assert_eq!(provider.calls(), 4);
    // After a success, the next failure gets the first window again.
    provider.script.lock().unwrap().push_back(rejected());
    clock.advance(Duration::from_secs(3600));
    manager.token().await.unwrap_err();
    clock.advance(Duration::from_millis(100));
    manager.token().await.unwrap();
    assert_eq!(provider.calls(), 6);
}

#[tokio::test(start_paused = true)]
async fn a_new_manager_does_not_inherit_the_failure_window() {
    let provider = Provider::with([rejected(), rejected()]);
    let clock = ManualClock::new(T0);
    manager(&provider, &clock).token().await.unwrap_err();
    let fresh = manager(&provider, &clock);
    fresh.token().await.unwrap_err();
    assert_eq!(provider.calls(), 2);
    fresh.token().await.unwrap_err();
    assert_eq!(provider.calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn the_failure_window_is_configurable_and_zero_turns_it_off() {
    let provider = Provider::with(std::iter::repeat_n(rejected(), 10));
    let clock = ManualClock::new(T0);
    let off = TokenManager::builder(client(), provider.transport())
        .clock(clock.clone())
        .failure_window(Duration::ZERO, Duration::ZERO)
        .build();
    off.token().await.unwrap_err();
    off.token().await.unwrap_err();
    assert_eq!(provider.calls(), 2);
    let long = TokenManager::builder(client(), provider.transport())
        .clock(clock.clone())
        .failure_window(Duration::from_secs(2), Duration::from_secs(60))
        .build();
    long.token().await.unwrap_err();
    clock.advance(Duration::from_millis(1999));
    long.token().await.unwrap_err();
    assert_eq!(provider.calls(), 3);
    clock.advance(Duration::from_millis(1));
    long.token().await.unwrap_err();
    assert_eq!(provider.calls(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_token_expired_on_arrival_is_a_typed_error_after_one_request() {
    let provider = Provider::with([Answer::Token { expires_in: 0 }]);
    let clock = ManualClock::new(T0);
    let manager = manager(&provider, &clock);
    let error = manager.token().await.unwrap_err();
    assert!(
        matches!(error.root(), Error::ExpiredOnArrival { lifetime } if lifetime.is_zero()),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert!(manager.cached().is_none(), "never handed out as valid");
    for _ in 0..50 {
        manager.token().await.unwrap_err();
    }
    assert_eq!(provider.calls(), 1, "no fetch loop");
}

#[tokio::test(start_paused = true)]
async fn a_token_due_for_renewal_on_arrival_is_a_typed_error_after_one_request() {
    // The answer takes longer than the 1 s token's renewal point (0.75 s).
    let calls = Arc::new(AtomicUsize::new(0));
    let clock = ManualClock::new(T0);
    let transport = {
        let calls = Arc::clone(&calls);
        let clock = clock.clone();
        from_fn(move |_request: http::Request<Vec<u8>>| {
            calls.fetch_add(1, Ordering::SeqCst);
            clock.advance(Duration::from_millis(800));
            async move {
                Ok(http::Response::builder()
                    .header("content-type", "application/json")
                    .body(
                        br#"{"access_token":"slow","token_type":"Bearer","expires_in":1}"#.to_vec(),
                    )
                    .unwrap())
            }
        })
    };
    let manager = TokenManager::builder(client(), transport)
        .clock(clock.clone())
        .build();
    let error = manager.token().await.unwrap_err();
    assert!(
        matches!(error.root(), Error::ExpiredOnArrival { lifetime } if *lifetime == Duration::from_secs(1)),
        "{error:?}"
    );
    manager.token().await.unwrap_err();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

// Issue 8 item 6: a malformed 2xx is not transient.

#[tokio::test(start_paused = true)]
async fn a_malformed_success_answer_fails_after_one_request() {
    for body in [
        r#"{"access_token":"a","token_type":"Bearer","expires_in":-1}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":"soon"}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":true}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":[]}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":{}}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":"-1"}"#,
        r#"{"status":"ok"}"#,
        r#"{"access_token":"a","tok"#,
        "<html>welcome to the captive portal</html>",
        "",
    ] {
        let provider = Provider::with([Answer::Status {
            status: 200,
            body,
            retry_after: None,
        }]);
        let manager = manager(&provider, &ManualClock::new(T0));
        let error = manager.token().await.unwrap_err();
        assert!(
            matches!(error.root(), Error::Core(auth_core::Error::Parse(_))),
            "{body}: {error:?}"
        );
        assert!(!error.is_retryable(), "{body}");
        assert_eq!(provider.calls(), 1, "{body}");
    }
}

#[tokio::test]
async fn a_panicking_fetch_does_not_switch_refresh_ahead_off() {
    let calls = Arc::new(AtomicUsize::new(0));
    let transport = {
        let calls = Arc::clone(&calls);
        from_fn(move |_request: http::Request<Vec<u8>>| {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                assert_ne!(n, 2, "the second request panics in the transport");
                Ok(http::Response::builder()
                    .header("content-type", "application/json")
                    .body(
                        format!(r#"{{"access_token":"tok-{n}","token_type":"Bearer","expires_in":3600}}"#)
                            .into_bytes(),
                    )
                    .unwrap())
            }
        })
    };
    let clock = ManualClock::new(T0);
    let manager = TokenManager::builder(client(), transport)
        .clock(clock.clone())
        .refresh_jitter(0.0)
        .build();
    assert_eq!(access_token(&manager).await, "tok-1");
    clock.advance(Duration::from_secs(3550)); // inside the 60 s skew
    assert_eq!(access_token(&manager).await, "tok-1"); // starts the renewal that panics
    while calls.load(Ordering::SeqCst) < 2 {
        tokio::task::yield_now().await;
    }
    // Refresh-ahead starts again and renews before the token expires.
    for _ in 0..1000 {
        if manager.cached().unwrap().access_token().expose_secret() != "tok-1" {
            break;
        }
        assert_eq!(access_token(&manager).await, "tok-1");
        tokio::task::yield_now().await;
    }
    assert_eq!(access_token(&manager).await, "tok-3");
}

// Issue 9 item 4: a fetch that gave up after retrying says so.

fn unavailable_for(seconds: &'static str) -> Answer {
    Answer::Status {
        status: 503,
        body: "<html>down</html>",
        retry_after: Some(seconds),
    }
}

#[tokio::test(start_paused = true)]
async fn exhausted_retries_say_how_many_attempts_over_how_long_and_keep_the_last_error() {
    // `Retry-After: 1` exceeds every default backoff, so the waits are
    // exactly 1 s each on tokio's paused clock: 3 attempts over 2 s.
    let provider = Provider::with(std::iter::repeat_n(unavailable_for("1"), 3));
    let manager = manager(&provider, &ManualClock::new(T0));
    let error = manager.token().await.unwrap_err();
    assert_eq!(provider.calls(), 3);
    let Error::Shared(shared) = &error else {
        panic!("expected the shared fetch error, got {error:?}");
    };
    match &**shared {
        Error::RetriesExhausted {
            attempts,
            elapsed,
            source,
        } => {
            assert_eq!(*attempts, 3);
            assert_eq!(*elapsed, Duration::from_secs(2));
            assert!(
                matches!(&**source, Error::Core(auth_core::Error::Api(api)) if api.status == 503),
                "{source:?}"
            );
        }
        other => panic!("expected RetriesExhausted, got {other:?}"),
    }
    insta::assert_snapshot!(error, @"token request failed after 3 attempts over 2s");
    insta::assert_snapshot!(
        auth_http::one_line(&error),
        @"token request failed after 3 attempts over 2s: unexpected provider response: HTTP 503: <html>down</html>"
    );
    // The last error stays matchable and classified as before.
    assert!(matches!(
        error.root(),
        Error::Core(auth_core::Error::Api(_))
    ));
    assert!(error.is_retryable());
    assert_eq!(error.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    assert!(error.retry_after().is_some());
    // Reused within the failure window, it still says so.
    let reused = manager.token().await.unwrap_err();
    insta::assert_snapshot!(
        auth_http::one_line(&reused),
        @"token fetch failed recently; next attempt in 1s: token request failed after 3 attempts over 2s: unexpected provider response: HTTP 503: <html>down</html>"
    );
    assert_eq!(provider.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_single_attempt_failure_is_returned_as_it_is() {
    let provider = Provider::with([unavailable()]);
    let manager = TokenManager::builder(client(), provider.transport())
        .clock(ManualClock::new(T0))
        .retry(RetryPolicy::none())
        .build();
    let error = manager.token().await.unwrap_err();
    assert_eq!(provider.calls(), 1);
    assert!(
        matches!(&error, Error::Shared(shared) if matches!(&**shared, Error::Core(_))),
        "{error:?}"
    );
    insta::assert_snapshot!(error, @"unexpected provider response: HTTP 503: <html>down</html>");
}

#[tokio::test(start_paused = true)]
async fn a_rejection_after_a_retry_says_so_and_is_still_a_rejection() {
    let provider = Provider::with([
        unavailable_for("1"),
        Answer::Status {
            status: 401,
            body: r#"{"error":"invalid_client"}"#,
            retry_after: None,
        },
    ]);
    let manager = manager(&provider, &ManualClock::new(T0));
    let error = manager.token().await.unwrap_err();
    assert_eq!(provider.calls(), 2);
    insta::assert_snapshot!(
        auth_http::one_line(&error),
        @"token request failed after 2 attempts over 1s: provider rejected the request: invalid_client (HTTP 401)"
    );
    assert!(error.is_provider_rejection());
    assert!(!error.is_retryable());
    assert!(matches!(
        error.root(),
        Error::Core(auth_core::Error::Provider(p)) if p.code == auth_core::ErrorCode::InvalidClient
    ));
}

#[tokio::test(start_paused = true)]
async fn a_deadline_reached_while_retrying_says_how_many_attempts() {
    let provider = Provider::with([unavailable_for("1"), Answer::Hang]);
    let retry = RetryPolicy::default().with_deadline(Duration::from_secs(5));
    let manager = TokenManager::builder(client(), provider.transport())
        .clock(ManualClock::new(T0))
        .retry(retry)
        .build();
    let error = manager.token().await.unwrap_err();
    insta::assert_snapshot!(
        auth_http::one_line(&error),
        @"token request failed after 2 attempts over 5s: request timed out after 5s"
    );
    assert!(matches!(error.root(), Error::Timeout(_)), "{error:?}");
}

/// Each thread reads its own copy of the cached token; these prove a copy
/// never outlives the cache entry it copies.
#[tokio::test]
async fn invalidate_on_another_thread_makes_this_threads_next_read_fetch() {
    let provider = Provider::default();
    let manager = manager(&provider, &ManualClock::new(T0));
    assert_eq!(access_token(&manager).await, "tok-1");
    assert_eq!(access_token(&manager).await, "tok-1"); // this thread's copy
    let other = manager.clone();
    std::thread::spawn(move || other.invalidate())
        .join()
        .unwrap();
    assert_eq!(access_token(&manager).await, "tok-2");
    assert_eq!(provider.calls(), 2);
}

#[tokio::test]
async fn a_rejection_on_another_thread_replaces_this_threads_copy() {
    let provider = Provider::default();
    let manager = manager(&provider, &ManualClock::new(T0));
    let first = manager.token().await.unwrap();
    assert_eq!(access_token(&manager).await, "tok-1"); // this thread's copy
    let other = manager.clone();
    std::thread::spawn(move || other.invalidate_token(&first))
        .join()
        .unwrap();
    assert_eq!(access_token(&manager).await, "tok-2");
    assert_eq!(provider.calls(), 2);
}

#[tokio::test]
async fn a_token_renewed_on_another_thread_is_read_here_without_a_second_fetch() {
    let provider = Provider::default();
    let clock = ManualClock::new(T0);
    let manager = manager(&provider, &clock);
    assert_eq!(access_token(&manager).await, "tok-1");
    clock.advance(Duration::from_secs(3600)); // tok-1 expired
    let other = manager.clone();
    let renewed = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async { access_token(&other).await })
    })
    .join()
    .unwrap();
    assert_eq!(renewed, "tok-2");
    assert_eq!(access_token(&manager).await, "tok-2");
    assert_eq!(provider.calls(), 2);
}

#[tokio::test]
async fn an_injected_clock_ahead_of_the_system_clock_still_expires_the_cached_token() {
    // The hot path must read the injected clock, not the system's: with a
    // clock decades ahead, the system clock would call tok-1 fresh forever.
    let provider = Provider::default();
    let clock = ManualClock::new(datetime!(2200-01-01 00:00 UTC));
    let manager = manager(&provider, &clock);
    assert_eq!(access_token(&manager).await, "tok-1");
    assert_eq!(access_token(&manager).await, "tok-1"); // this thread's copy
    clock.advance(Duration::from_secs(3600));
    assert_eq!(access_token(&manager).await, "tok-2");
    assert_eq!(provider.calls(), 2);
}

#[tokio::test]
async fn with_an_injected_clock_renewal_starts_exactly_at_the_refresh_point() {
    // Default skew 60 s, no jitter: tok-1 (3600 s) is due at T0 + 3540 s.
    let provider = Provider::default();
    let clock = ManualClock::new(T0);
    let manager = manager(&provider, &clock);
    assert_eq!(access_token(&manager).await, "tok-1");
    clock.advance(Duration::from_secs(3540) - Duration::from_nanos(1));
    assert_eq!(access_token(&manager).await, "tok-1");
    tokio::task::yield_now().await;
    assert_eq!(provider.calls(), 1, "1 ns before the refresh point");
    clock.advance(Duration::from_nanos(1));
    assert_eq!(access_token(&manager).await, "tok-1"); // still valid: served
    while manager.cached().unwrap().access_token().expose_secret() == "tok-1" {
        tokio::task::yield_now().await;
    }
    assert_eq!(provider.calls(), 2);
}

#[test]
fn a_token_future_is_small_to_build_and_move() {
    // Moving a large future cost a cached read a quarter of its time: the
    // wait on a fetch is boxed, so the future holds little more than the
    // manager's reference and a pointer.
    let manager = manager(&Provider::default(), &ManualClock::new(T0));
    let size = size_of_val(&manager.token());
    assert!(size <= 64, "token() future: {size} bytes");
}
