//! The metrics a named `TokenManager` records (feature `metrics`, issue
//! 16), each series moved by the behaviour it counts. Every test records
//! into its own local recorder (`metrics::with_local_recorder` while the
//! manager is built, which is when it takes its handles): no global
//! recorder, no race between tests.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_core::{Client, ClientCredentials, ManualClock, OAuthToken, RequestKey, TokenUrl};
use auth_http::metrics::{
    HIT_FLUSH_EVERY, LABEL_MANAGER, LABEL_OPERATION, LABEL_OUTCOME, LABEL_STORE, ManagerName,
    ManagerNameError, OP_ACQUIRE, OP_LOAD, OP_PUBLISH, OP_SAVE, OUTCOME_ERROR,
    OUTCOME_RATE_LIMITED, OUTCOME_REJECTED, OUTCOME_SUCCESS, OUTCOMES, STORE_FLEET,
    STORE_OPERATIONS, STORE_TOKEN, TOKEN_CACHE_HITS_TOTAL, TOKEN_CACHE_MISSES_TOTAL,
    TOKEN_EXPIRES_IN_SECONDS, TOKEN_EXPIRY_TIMESTAMP_SECONDS, TOKEN_FETCH_DURATION_SECONDS,
    TOKEN_FETCH_RETRIES_TOTAL, TOKEN_FETCHES_TOTAL, TOKEN_REFRESH_AHEAD_TOTAL,
    TOKEN_STORE_ERRORS_TOTAL,
};
use auth_http::{
    Accept, BoxFuture, Error, FleetStore, Lease, PeerFailure, RetryPolicy, StoreError, TokenCache,
    TokenManager, TokenManagerBuilder, TokenStore, Turn, from_fn,
};
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use metrics_util::registry::{AtomicStorage, Registry};
use time::OffsetDateTime;
use time::macros::datetime;

#[path = "../examples/prometheus_metrics.rs"]
#[allow(
    dead_code,
    reason = "the example's `main` and recorder installation are not used here"
)]
mod example;

const T0: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);
const SECRET: &str = "s3cret-value";
const NAME: &str = "billing-api";

// ---- A local recorder that keeps values (no reset on read) -------------

struct Recorded(Registry<Key, AtomicStorage>);

impl Recorded {
    fn new() -> Self {
        Self(Registry::atomic())
    }

    fn matches(key: &Key, name: &str, labels: &[(&str, &str)]) -> bool {
        let mut have: Vec<_> = key.labels().map(|l| (l.key(), l.value())).collect();
        let mut want = labels.to_vec();
        have.sort_unstable();
        want.sort_unstable();
        key.name() == name && have == want
    }

    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        let mut found = None;
        self.0.visit_counters(|key, value| {
            if Self::matches(key, name, labels) {
                found = Some(value.load(Ordering::SeqCst));
            }
        });
        found.unwrap_or_else(|| panic!("no counter {name} {labels:?}"))
    }

    fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let mut found = None;
        self.0.visit_gauges(|key, value| {
            if Self::matches(key, name, labels) {
                found = Some(f64::from_bits(value.load(Ordering::SeqCst)));
            }
        });
        found.unwrap_or_else(|| panic!("no gauge {name} {labels:?}"))
    }

    fn samples(&self, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        let mut found = None;
        self.0.visit_histograms(|key, value| {
            if Self::matches(key, name, labels) {
                found = Some(value.data());
            }
        });
        found.unwrap_or_else(|| panic!("no histogram {name} {labels:?}"))
    }

    /// Every `(label, value)` of every series.
    fn labels(&self) -> Vec<(String, String)> {
        let mut all = Vec::new();
        let mut add = |key: &Key| {
            all.extend(
                key.labels()
                    .map(|l| (l.key().to_owned(), l.value().to_owned())),
            );
        };
        self.0.visit_counters(|key, _| add(key));
        self.0.visit_gauges(|key, _| add(key));
        self.0.visit_histograms(|key, _| add(key));
        all
    }
}

impl Recorder for Recorded {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        self.0
            .get_or_create_counter(key, |c| Counter::from_arc(Arc::clone(c)))
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        self.0
            .get_or_create_gauge(key, |g| Gauge::from_arc(Arc::clone(g)))
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        self.0
            .get_or_create_histogram(key, |h| Histogram::from_arc(Arc::clone(h)))
    }
}

// ---- A scripted provider -----------------------------------------------

#[derive(Clone, Default)]
struct Provider {
    calls: Arc<AtomicUsize>,
    /// Statuses to answer with before the tokens (`200` = a token).
    script: Arc<Mutex<VecDeque<u16>>>,
}

impl Provider {
    fn with(statuses: impl IntoIterator<Item = u16>) -> Self {
        Self {
            script: Arc::new(Mutex::new(statuses.into_iter().collect())),
            ..Self::default()
        }
    }

    fn transport(&self) -> impl auth_http::Transport + 'static {
        let provider = self.clone();
        from_fn(move |_request: http::Request<Vec<u8>>| {
            let provider = provider.clone();
            async move {
                let n = provider.calls.fetch_add(1, Ordering::SeqCst) + 1;
                let status = provider.script.lock().unwrap().pop_front().unwrap_or(200);
                let body = match status {
                    200 => format!(
                        r#"{{"access_token":"tok-{n}-opaque","token_type":"Bearer","expires_in":3600}}"#
                    ),
                    401 => r#"{"error":"invalid_client"}"#.to_owned(),
                    _ => r#"{"error":"temporarily_unavailable"}"#.to_owned(),
                };
                Ok(http::Response::builder()
                    .status(status)
                    .header("content-type", "application/json")
                    .body(body.into_bytes())
                    .unwrap())
            }
        })
    }
}

fn client() -> Client {
    Client::new(
        TokenUrl::parse("https://as.example/token").unwrap(),
        ClientCredentials::new("svc", SECRET),
    )
}

/// A manager named [`NAME`] recording into `recorder`, on a manual clock.
fn manager(recorder: &Recorded, provider: &Provider, clock: &ManualClock) -> TokenManager {
    let builder = TokenManager::builder(client(), provider.transport())
        .clock(clock.clone())
        .refresh_jitter(0.0)
        .retry(
            RetryPolicy::default()
                .with_initial_backoff(Duration::from_millis(10))
                .with_max_attempts(3),
        )
        .failure_window(Duration::ZERO, Duration::ZERO);
    named(recorder, builder)
}

/// `builder` named [`NAME`], its handles taken from `recorder`.
fn named(recorder: &Recorded, builder: TokenManagerBuilder) -> TokenManager {
    metrics::with_local_recorder(recorder, || {
        builder
            .metrics(ManagerName::new(NAME).unwrap())
            .unwrap()
            .build()
    })
}

const MANAGER: (&str, &str) = (LABEL_MANAGER, NAME);

fn store_errors(recorder: &Recorded, store: &str, operation: &str) -> u64 {
    recorder.counter(
        TOKEN_STORE_ERRORS_TOTAL,
        &[MANAGER, (LABEL_STORE, store), (LABEL_OPERATION, operation)],
    )
}

fn fetches(recorder: &Recorded, outcome: &str) -> u64 {
    recorder.counter(TOKEN_FETCHES_TOTAL, &[MANAGER, (LABEL_OUTCOME, outcome)])
}

// ---- Each series moves with its behaviour -------------------------------

#[tokio::test]
async fn successful_fetch_counts_a_miss_a_success_its_duration_and_the_expiry() {
    let recorder = Recorded::new();
    let clock = ManualClock::new(T0);
    let manager = manager(&recorder, &Provider::default(), &clock);
    assert_eq!(fetches(&recorder, OUTCOME_SUCCESS), 0, "registered at zero");

    manager.token().await.unwrap();

    assert_eq!(fetches(&recorder, OUTCOME_SUCCESS), 1);
    for outcome in OUTCOMES.iter().filter(|o| **o != OUTCOME_SUCCESS) {
        assert_eq!(fetches(&recorder, outcome), 0, "{outcome}");
    }
    assert_eq!(recorder.counter(TOKEN_CACHE_MISSES_TOTAL, &[MANAGER]), 1);
    assert_eq!(
        recorder
            .samples(TOKEN_FETCH_DURATION_SECONDS, &[MANAGER])
            .len(),
        1
    );
    let expiry = T0 + time::Duration::hours(1);
    #[expect(
        clippy::cast_precision_loss,
        reason = "a 2026 timestamp is exact in f64"
    )]
    let expected = expiry.unix_timestamp() as f64;
    assert!((recorder.gauge(TOKEN_EXPIRY_TIMESTAMP_SECONDS, &[MANAGER]) - expected).abs() < 1e-3);
    assert!((recorder.gauge(TOKEN_EXPIRES_IN_SECONDS, &[MANAGER]) - 3600.0).abs() < 1e-3);
}

#[tokio::test]
async fn provider_rejection_counts_a_rejected_fetch_and_no_retry() {
    let recorder = Recorded::new();
    let clock = ManualClock::new(T0);
    let manager = manager(&recorder, &Provider::with([401]), &clock);

    manager.token().await.unwrap_err();

    assert_eq!(fetches(&recorder, OUTCOME_REJECTED), 1);
    assert_eq!(fetches(&recorder, OUTCOME_SUCCESS), 0);
    assert_eq!(recorder.counter(TOKEN_FETCH_RETRIES_TOTAL, &[MANAGER]), 0);
}

#[tokio::test(start_paused = true)]
async fn transient_failures_count_each_retry_and_one_fetch() {
    let recorder = Recorded::new();
    let clock = ManualClock::new(T0);
    let provider = Provider::with([503, 503]);
    let manager = manager(&recorder, &provider, &clock);

    manager.token().await.unwrap();

    assert_eq!(provider.calls.load(Ordering::SeqCst), 3);
    assert_eq!(recorder.counter(TOKEN_FETCH_RETRIES_TOTAL, &[MANAGER]), 2);
    assert_eq!(
        fetches(&recorder, OUTCOME_SUCCESS),
        1,
        "one fetch, three attempts"
    );
    assert_eq!(fetches(&recorder, OUTCOME_ERROR), 0);
}

#[tokio::test(start_paused = true)]
async fn exhausted_retries_count_one_failed_fetch_by_its_last_error() {
    let recorder = Recorded::new();
    let clock = ManualClock::new(T0);
    let manager = manager(&recorder, &Provider::with([503, 503, 429]), &clock);

    let error = manager.token().await.unwrap_err();

    assert!(matches!(error.root(), Error::Core(_)), "{error:?}");
    assert_eq!(recorder.counter(TOKEN_FETCH_RETRIES_TOTAL, &[MANAGER]), 2);
    assert_eq!(fetches(&recorder, OUTCOME_RATE_LIMITED), 1);
    assert_eq!(fetches(&recorder, OUTCOME_ERROR), 0);
}

/// A manager named [`NAME`] making one attempt within 1 s.
fn one_shot(recorder: &Recorded, transport: impl auth_http::Transport + 'static) -> TokenManager {
    let builder = TokenManager::builder(client(), transport)
        .clock(ManualClock::new(T0))
        .retry(RetryPolicy::none().with_deadline(Duration::from_secs(1)));
    named(recorder, builder)
}

#[tokio::test(start_paused = true)]
async fn a_provider_that_never_answers_counts_a_timeout_and_a_transport_failure_an_error() {
    let recorder = Recorded::new();
    let silent = one_shot(
        &recorder,
        from_fn(|_request: http::Request<Vec<u8>>| {
            std::future::pending::<Result<http::Response<Vec<u8>>, Error>>()
        }),
    );
    let error = silent.token().await.unwrap_err();
    assert!(matches!(error.root(), Error::Timeout(_)), "{error:?}");
    assert_eq!(fetches(&recorder, auth_http::metrics::OUTCOME_TIMEOUT), 1);

    let refused = one_shot(
        &recorder,
        from_fn(|_request: http::Request<Vec<u8>>| async {
            Err::<http::Response<Vec<u8>>, _>(Error::transport(std::io::Error::other(
                "connection refused",
            )))
        }),
    );
    refused.token().await.unwrap_err();
    assert_eq!(fetches(&recorder, OUTCOME_ERROR), 1);
    assert_eq!(
        fetches(&recorder, OUTCOME_SUCCESS) + fetches(&recorder, OUTCOME_REJECTED),
        0
    );
}

#[tokio::test]
async fn cache_hits_are_counted_in_the_thread_and_reported_in_batches() {
    let recorder = Recorded::new();
    let clock = ManualClock::new(T0);
    let manager = manager(&recorder, &Provider::default(), &clock);
    manager.token().await.unwrap(); // the miss that fetches

    // The first hit on a new token is reported at once; the next ones wait
    // for a batch, so counting them writes no shared counter per call.
    manager.token().await.unwrap();
    assert_eq!(recorder.counter(TOKEN_CACHE_HITS_TOTAL, &[MANAGER]), 1);
    for _ in 0..HIT_FLUSH_EVERY - 1 {
        manager.token().await.unwrap();
    }
    assert_eq!(
        recorder.counter(TOKEN_CACHE_HITS_TOTAL, &[MANAGER]),
        1,
        "a batch not yet full is not reported"
    );
    manager.token().await.unwrap();
    assert_eq!(
        recorder.counter(TOKEN_CACHE_HITS_TOTAL, &[MANAGER]),
        1 + u64::from(HIT_FLUSH_EVERY),
        "a full batch is"
    );
    manager.token().await.unwrap();
    auth_http::metrics::flush_hits();
    assert_eq!(
        recorder.counter(TOKEN_CACHE_HITS_TOTAL, &[MANAGER]),
        2 + u64::from(HIT_FLUSH_EVERY)
    );
    assert_eq!(recorder.counter(TOKEN_CACHE_MISSES_TOTAL, &[MANAGER]), 1);
}

#[tokio::test]
async fn hits_on_other_threads_are_all_reported_when_they_exit() {
    let recorder = Recorded::new();
    let clock = ManualClock::new(T0);
    let manager = manager(&recorder, &Provider::default(), &clock);
    manager.token().await.unwrap();

    let threads: Vec<_> = (0..2)
        .map(|_| {
            let manager = manager.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap();
                for _ in 0..1000 {
                    runtime.block_on(manager.token()).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }

    assert_eq!(recorder.counter(TOKEN_CACHE_HITS_TOTAL, &[MANAGER]), 2000);
}

#[tokio::test]
async fn renewal_ahead_of_expiry_counts_a_refresh_ahead_and_moves_the_expiry() {
    let recorder = Recorded::new();
    let clock = ManualClock::new(T0);
    let manager = manager(&recorder, &Provider::default(), &clock);
    manager.token().await.unwrap();

    clock.advance(Duration::from_secs(3600 - 30)); // inside the 60 s skew
    manager.token().await.unwrap(); // served, renewal started
    tokio::time::timeout(Duration::from_secs(5), async {
        while fetches(&recorder, OUTCOME_SUCCESS) < 2 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .unwrap();

    assert_eq!(recorder.counter(TOKEN_REFRESH_AHEAD_TOTAL, &[MANAGER]), 1);
    assert_eq!(recorder.counter(TOKEN_CACHE_MISSES_TOTAL, &[MANAGER]), 1);
    assert!((recorder.gauge(TOKEN_EXPIRES_IN_SECONDS, &[MANAGER]) - 3600.0).abs() < 1e-3);
}

/// A store whose every call fails.
#[derive(Debug)]
struct BrokenStore;

impl TokenStore for BrokenStore {
    fn load<'a>(
        &'a self,
        _: &'a RequestKey,
    ) -> BoxFuture<'a, Result<Option<OAuthToken>, StoreError>> {
        Box::pin(async { Err(StoreError::Io(std::io::Error::other("disk gone"))) })
    }

    fn save<'a>(
        &'a self,
        _: &'a RequestKey,
        _: &'a OAuthToken,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async { Err(StoreError::Io(std::io::Error::other("disk gone"))) })
    }

    fn remove<'a>(&'a self, _: &'a RequestKey) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async { Err(StoreError::Io(std::io::Error::other("disk gone"))) })
    }
}

#[tokio::test]
async fn store_failures_are_counted_by_store_and_operation_and_still_fetch() {
    let recorder = Recorded::new();
    let builder = TokenManager::builder(client(), Provider::default().transport())
        .clock(ManualClock::new(T0))
        .store(BrokenStore);
    let manager = named(&recorder, builder);

    manager.token().await.unwrap();

    let errors = |operation| store_errors(&recorder, STORE_TOKEN, operation);
    assert_eq!(errors(OP_LOAD), 1);
    assert_eq!(errors(OP_SAVE), 1);
    assert_eq!(fetches(&recorder, OUTCOME_SUCCESS), 1);
}

/// A fleet store that is down: every call fails.
#[derive(Debug)]
struct DownFleet;

fn down<T>() -> BoxFuture<'static, Result<T, StoreError>> {
    Box::pin(async { Err(StoreError::Unavailable("connection refused".into())) })
}

impl FleetStore for DownFleet {
    fn acquire<'a>(
        &'a self,
        _: &'a RequestKey,
        _: Accept<'a>,
        _: Duration,
    ) -> BoxFuture<'a, Result<Turn, StoreError>> {
        down()
    }

    fn extend<'a>(
        &'a self,
        _: &'a RequestKey,
        _: &'a Lease,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        down()
    }

    fn publish<'a>(
        &'a self,
        _: &'a RequestKey,
        _: &'a Lease,
        _: &'a OAuthToken,
        _: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        down()
    }

    fn publish_failure<'a>(
        &'a self,
        _: &'a RequestKey,
        _: &'a Lease,
        _: &'a PeerFailure,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        down()
    }

    fn remove_token<'a>(
        &'a self,
        _: &'a RequestKey,
        _: &'a auth_core::AccessToken,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        down()
    }

    fn lease_duration(&self) -> Duration {
        Duration::from_secs(5)
    }
}

#[tokio::test]
async fn a_fleet_store_that_is_down_counts_acquire_errors_and_the_manager_still_fetches() {
    let recorder = Recorded::new();
    let builder = TokenManager::builder(client(), Provider::default().transport())
        .clock(ManualClock::new(T0))
        .fleet_store(DownFleet);
    let manager = named(&recorder, builder);

    manager.token().await.unwrap();

    let errors = |operation| store_errors(&recorder, STORE_FLEET, operation);
    assert_eq!(errors(OP_ACQUIRE), 1);
    assert_eq!(errors(OP_PUBLISH), 0);
    assert_eq!(fetches(&recorder, OUTCOME_SUCCESS), 1);
}

#[tokio::test]
async fn a_manager_without_a_name_records_nothing() {
    let recorder = Recorded::new();
    let manager = metrics::with_local_recorder(&recorder, || {
        TokenManager::new(client(), Provider::default().transport())
    });
    manager.token().await.unwrap();
    manager.token().await.unwrap();
    auth_http::metrics::flush_hits();
    assert!(recorder.labels().is_empty());
}

#[tokio::test]
async fn a_token_cache_labels_its_managers_with_its_name() {
    let recorder = Recorded::new();
    let cache = TokenCache::new(Provider::default().transport())
        .with_metrics(ManagerName::new(NAME).unwrap());
    let manager = metrics::with_local_recorder(&recorder, || cache.manager(&client()));
    manager.token().await.unwrap();
    assert_eq!(fetches(&recorder, OUTCOME_SUCCESS), 1);
}

// ---- No label can carry a secret, a token, a URL ------------------------

#[test]
fn manager_names_refuse_urls_credentials_tokens_and_unbounded_values() {
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdmMifQ.c2lnbmF0dXJl";
    let refused = [
        ("", ManagerNameError::Empty),
        (
            "https://as.example/token",
            ManagerNameError::Character { position: 5 },
        ),
        ("svc:s3cret", ManagerNameError::Character { position: 3 }),
        ("user@host", ManagerNameError::Character { position: 4 }),
        ("Bearer abc", ManagerNameError::Character { position: 0 }),
        ("billing api", ManagerNameError::Character { position: 7 }),
        (jwt, ManagerNameError::Character { position: 2 }),
        (
            "a0f3c9e1b2d4a6f8c0e2b4d6f8a1c3e5",
            ManagerNameError::WordTooLong { max: 24 },
        ),
        ("9lives", ManagerNameError::Character { position: 0 }),
    ];
    for (name, expected) in refused {
        assert_eq!(ManagerName::new(name).unwrap_err(), expected, "{name}");
    }
    let long = "a-".repeat(40);
    assert_eq!(
        ManagerName::new(long).unwrap_err(),
        ManagerNameError::TooLong { max: 64 }
    );
    for name in ["billing-api", "ledger_sync.eu-west-1", "a"] {
        assert_eq!(ManagerName::new(name).unwrap().as_str(), name);
    }
    insta::assert_snapshot!(
        ManagerName::new("svc:s3cret").unwrap_err(),
        @"manager name has a character other than a-z, 0-9, '-', '_', '.' at byte 3"
    );
}

#[test]
fn a_manager_name_containing_the_client_secret_is_refused() {
    let client = Client::new(
        TokenUrl::parse("https://as.example/token").unwrap(),
        ClientCredentials::new("svc", "hunter2"),
    );
    let name = ManagerName::new("svc-hunter2").unwrap();
    let error = TokenManager::builder(client, Provider::default().transport())
        .metrics(name)
        .unwrap_err();
    assert!(
        matches!(error, Error::ManagerName(ManagerNameError::ContainsSecret)),
        "{error:?}"
    );
    insta::assert_snapshot!(error, @"invalid metrics manager name: manager name contains the client secret");
}

#[tokio::test(start_paused = true)]
async fn no_label_value_carries_the_secret_the_token_or_the_url() {
    let recorder = Recorded::new();
    let clock = ManualClock::new(T0);
    let manager = manager(&recorder, &Provider::with([503, 401]), &clock);
    manager.token().await.unwrap_err();
    let token = manager.token().await.unwrap();
    manager.token().await.unwrap();
    auth_http::metrics::flush_hits();

    let token = token.access_token().expose_secret().to_owned();
    let mut allowed: Vec<&str> = vec![NAME];
    allowed.extend(OUTCOMES);
    allowed.extend(STORE_OPERATIONS.iter().flat_map(|(s, o)| [*s, *o]));
    let labels = recorder.labels();
    assert!(!labels.is_empty());
    for (label, value) in labels {
        assert!(
            [LABEL_MANAGER, LABEL_OUTCOME, LABEL_STORE, LABEL_OPERATION].contains(&label.as_str()),
            "{label}"
        );
        assert!(allowed.contains(&value.as_str()), "{label}={value}");
        for secret in [SECRET, token.as_str(), "as.example", "https", "svc"] {
            assert!(!value.contains(secret), "{label}={value}");
        }
    }
}

// ---- The example's scrape, read by a Prometheus text parser -------------

#[test]
#[expect(
    clippy::float_cmp,
    reason = "counter samples are small whole numbers, exact in f64"
)]
fn example_scrape_parses_as_prometheus_text_with_each_series() {
    let recorder = example::recorder().unwrap();
    let handle = recorder.handle();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // A current-thread runtime: the managers are built on this thread,
    // while the local recorder is set.
    let scrape = metrics::with_local_recorder(&recorder, || {
        runtime.block_on(async {
            let server = mock_server::MockServer::builder()
                .client(mock_server::ClientRegistration::new(
                    "metrics-demo",
                    "dev-secret",
                ))
                .start()
                .await
                .unwrap();
            let scrape = example::run(&server.token_url(), &handle).await.unwrap();
            server.shutdown().await;
            scrape
        })
    });

    let lines = scrape.lines().map(|l| Ok(l.to_owned()));
    let parsed = prometheus_parse::Scrape::parse(lines).unwrap();
    let value = |name: &str, labels: &[(&str, &str)]| -> f64 {
        let sample = parsed
            .samples
            .iter()
            .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .unwrap_or_else(|| panic!("no sample {name} {labels:?} in\n{scrape}"));
        match sample.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            ref other => panic!("{name}: {other:?}"),
        }
    };
    let billing = (LABEL_MANAGER, "billing-api");
    let ledger = (LABEL_MANAGER, "ledger-sync");
    assert_eq!(
        value(
            TOKEN_FETCHES_TOTAL,
            &[billing, (LABEL_OUTCOME, OUTCOME_SUCCESS)]
        ),
        1.0
    );
    assert_eq!(
        value(
            TOKEN_FETCHES_TOTAL,
            &[ledger, (LABEL_OUTCOME, OUTCOME_REJECTED)]
        ),
        1.0
    );
    assert_eq!(value(TOKEN_CACHE_MISSES_TOTAL, &[billing]), 1.0);
    assert_eq!(value(TOKEN_CACHE_HITS_TOTAL, &[billing]), 4.0);
    assert_eq!(value(TOKEN_CACHE_HITS_TOTAL, &[ledger]), 0.0);
    let expires_in = value(TOKEN_EXPIRES_IN_SECONDS, &[billing]);
    assert!(expires_in > 0.0 && expires_in <= 3600.0, "{expires_in}");
    assert!(value(TOKEN_EXPIRY_TIMESTAMP_SECONDS, &[billing]) > 1.7e9);
    let summary = parsed
        .samples
        .iter()
        .find(|s| {
            s.metric == TOKEN_FETCH_DURATION_SECONDS
                && s.labels.get(LABEL_MANAGER) == Some("billing-api")
        })
        .unwrap();
    match &summary.value {
        prometheus_parse::Value::Histogram(buckets) => {
            let inf = buckets.iter().find(|b| b.less_than.is_infinite()).unwrap();
            assert_eq!(inf.count, 1.0, "one fetch");
        }
        other => panic!("{other:?}"),
    }
    // No sample anywhere names the secrets or the token URL.
    for sample in &parsed.samples {
        for (_, value) in sample.labels.iter() {
            assert!(
                !value.contains("secret") && !value.contains("127.0.0.1"),
                "{value}"
            );
        }
    }
}
