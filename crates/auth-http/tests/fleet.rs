//! Fleets through a real Redis (the Debian `redis-server`, 7.x): each test
//! starts its own server on a free loopback port in a temporary directory,
//! without persistence, and a guard stops it, also when the test fails. No
//! Redis mock stands in. Multi-process tests run `fetch-token --store redis`.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use auth_core::{Client, ClientCredentials, ManualClock, OAuthToken, Scope, TokenUrl};
use auth_http::{
    EncryptionKeys, Error, FleetStore as _, HyperTransport, RedisStore, RetryPolicy, TokenManager,
    TokenStore as _,
};
use mock_server::{ClientRegistration, Fault, FaultRule, MockServer};
use time::macros::datetime;

const ID: &str = "s6BhdRkqt3";
const SECRET: &str = "gX1fBat3bV";
const BIN: &str = env!("CARGO_BIN_EXE_fetch-token");

mod log_capture;
mod redis_server;
use redis_server::Redis;

fn client(server: &MockServer) -> Client {
    Client::new(
        TokenUrl::parse(&server.token_url()).unwrap(),
        ClientCredentials::new(ID, SECRET).with_scopes([Scope::Read]),
    )
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(10))
        .with_deadline(Duration::from_secs(5))
}

fn manager(server: &MockServer, store: RedisStore) -> TokenManager {
    TokenManager::builder(client(server), HyperTransport::new().unwrap())
        .retry(fast_retries())
        .fleet_store(store)
        .build()
}

/// The mock on `clock`, issuing 120-second tokens.
async fn clocked_server(clock: &ManualClock) -> MockServer {
    MockServer::builder()
        .client(ClientRegistration::new(ID, SECRET).with_scopes(["read"]))
        .token_lifetime(Duration::from_secs(120))
        .clock(clock.clone())
        .start()
        .await
        .unwrap()
}

/// A manager on `clock` sharing through `redis`.
fn clocked_manager(server: &MockServer, clock: &ManualClock, redis: &Redis) -> TokenManager {
    TokenManager::builder(client(server), HyperTransport::new().unwrap())
        .clock(clock.clone())
        .retry(fast_retries())
        .fleet_store(redis.store().build())
        .build()
}

fn value(token: &OAuthToken) -> String {
    token.access_token().expose_secret().to_owned()
}

/// Every manager's `token()` at once; the access tokens they got.
async fn all_tokens(managers: &[TokenManager]) -> Vec<Result<String, Error>> {
    let tasks: Vec<_> = managers
        .iter()
        .map(|m| {
            let m = m.clone();
            tokio::spawn(async move { m.token().await.map(|t| value(&t)) })
        })
        .collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

fn distinct(tokens: &[Result<String, Error>]) -> usize {
    let values: std::collections::HashSet<_> =
        tokens.iter().map(|t| t.as_ref().unwrap().clone()).collect();
    values.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_managers_on_a_cold_cache_cause_one_token_request() {
    let redis = Redis::start();
    let server = MockServer::start().await.unwrap();
    server.push_fault(FaultRule::new(Fault::Latency(Duration::from_millis(100))).always());
    let managers: Vec<_> = (0..20)
        .map(|_| manager(&server, redis.store().build()))
        .collect();
    let tokens = all_tokens(&managers).await;
    assert_eq!(distinct(&tokens), 1, "every manager holds the one token");
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_across_managers_causes_one_token_request() {
    let redis = Redis::start();
    let clock = ManualClock::new(datetime!(2026-01-01 00:00 UTC));
    let server = clocked_server(&clock).await;
    let managers: Vec<_> = (0..10)
        .map(|_| clocked_manager(&server, &clock, &redis))
        .collect();
    let first = all_tokens(&managers).await;
    assert_eq!(distinct(&first), 1);
    assert_eq!(server.token_requests(), 1);

    // Renewal ahead of expiry (skew: a quarter of 120 s, minus jitter):
    // each manager hands out the valid token and renews in the background.
    clock.advance(Duration::from_secs(95));
    assert_eq!(
        all_tokens(&managers).await[0].as_ref().unwrap(),
        first[0].as_ref().unwrap()
    );
    let started = Instant::now();
    while managers.iter().any(|m| {
        m.cached()
            .is_none_or(|t| Some(&value(&t)) == first[0].as_ref().ok())
    }) {
        assert!(started.elapsed() < Duration::from_secs(5), "not renewed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let second = all_tokens(&managers).await;
    assert_eq!(
        distinct(&second),
        1,
        "every manager holds the renewed token"
    );
    assert_eq!(server.token_requests(), 2, "one request per renewal");

    clock.advance(Duration::from_secs(121)); // expired: every manager misses
    assert_eq!(distinct(&all_tokens(&managers).await), 1);
    assert_eq!(server.token_requests(), 3, "one request per renewal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_token_is_taken_by_a_new_manager_without_a_request() {
    let redis = Redis::start();
    let server = MockServer::start().await.unwrap();
    let token = manager(&server, redis.store().build())
        .token()
        .await
        .unwrap();
    let later = manager(&server, redis.store().build())
        .token()
        .await
        .unwrap();
    assert_eq!(value(&token), value(&later));
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_expires_at_the_token_expiry_minus_the_skew() {
    let redis = Redis::start();
    let server = MockServer::builder()
        .client(ClientRegistration::new(ID, SECRET).with_scopes(["read"]))
        .token_lifetime(Duration::from_secs(600))
        .start()
        .await
        .unwrap();
    let store = redis.store().build();
    let manager = manager(&server, redis.store().build());
    manager.token().await.unwrap();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(store.record_key(manager.key()))
        .query_async(&mut redis.raw().await)
        .await
        .unwrap();
    // 600 s minus the default 60 s skew, give or take the test's run time.
    assert!((535_000..=540_000).contains(&ttl), "ttl {ttl} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_or_foreign_record_is_a_miss() {
    let redis = Redis::start();
    let server = MockServer::start().await.unwrap();
    let store = redis.store().build();
    let first = manager(&server, redis.store().build());
    let key = store.record_key(first.key());
    let mut raw = redis.raw().await;
    for junk in [
        &b"garbage"[..],
        b"1:abc:",
        b"1:0000000000000000000000000000000000000000000000000000000000000000::{}",
        &[0xff, 0xfe, 0x00],
    ] {
        redis::cmd("SET")
            .arg(&key)
            .arg(junk)
            .query_async::<()>(&mut raw)
            .await
            .unwrap();
        assert!(store.load(first.key()).await.unwrap().is_none());
    }
    first.token().await.unwrap();
    assert_eq!(server.token_requests(), 1, "the junk was a miss");

    // Another request's record copied under this key: its binding differs.
    let other_client = Client::new(
        TokenUrl::parse(&server.token_url()).unwrap(),
        ClientCredentials::new(ID, SECRET).with_scopes([Scope::Write]),
    );
    let other = TokenManager::builder(other_client, HyperTransport::new().unwrap())
        .fleet_store(redis.store().build())
        .build();
    other.token().await.unwrap();
    let foreign: Vec<u8> = redis::cmd("GET")
        .arg(store.record_key(other.key()))
        .query_async(&mut raw)
        .await
        .unwrap();
    redis::cmd("SET")
        .arg(&key)
        .arg(foreign)
        .query_async::<()>(&mut raw)
        .await
        .unwrap();
    assert!(store.load(first.key()).await.unwrap().is_none());
    let fresh = manager(&server, redis.store().build());
    fresh.token().await.unwrap();
    assert_eq!(server.token_requests(), 3, "the foreign record was a miss");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_encrypted_at_rest_are_unreadable_without_the_key() {
    let redis = Redis::start();
    let server = MockServer::start().await.unwrap();
    let keys = || EncryptionKeys::new("k1", &[7; 32]).unwrap();
    let encrypted = manager(&server, redis.store().encryption(keys()).build());
    let token = encrypted.token().await.unwrap();
    let store = redis.store().build();
    let raw: String = redis::cmd("GET")
        .arg(store.record_key(encrypted.key()))
        .query_async(&mut redis.raw().await)
        .await
        .unwrap();
    assert!(
        !raw.contains(&value(&token)),
        "the token is not in the clear"
    );
    assert!(!raw.contains("expires_at"), "nor is the record");

    let key = encrypted.key();
    assert!(store.load(key).await.unwrap().is_none(), "no key: a miss");
    let wrong = redis
        .store()
        .encryption(EncryptionKeys::new("k1", &[8; 32]).unwrap())
        .build();
    assert!(
        wrong.load(key).await.unwrap().is_none(),
        "wrong key: a miss"
    );
    let rotated = redis
        .store()
        .encryption(keys().with_key("k2", &[9; 32]).unwrap())
        .build();
    let loaded = rotated.load(key).await.unwrap().unwrap();
    assert_eq!(value(&loaded), value(&token), "the old key still decrypts");
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_is_published_so_other_instances_do_not_ask_again() {
    let redis = Redis::start();
    let server = MockServer::start().await.unwrap();
    server.push_fault(FaultRule::new(Fault::InvalidClient).times(1));
    let managers: Vec<_> = (0..5)
        .map(|_| {
            TokenManager::builder(client(&server), HyperTransport::new().unwrap())
                .retry(fast_retries())
                .failure_window(Duration::from_secs(2), Duration::from_secs(2))
                .fleet_store(redis.store().build())
                .build()
        })
        .collect();
    let results = all_tokens(&managers).await;
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().is_err_and(Error::is_provider_rejection))
    );
    let peers = results
        .iter()
        .filter(|r| matches!(r.as_ref().unwrap_err().root(), Error::Peer(_)))
        .count();
    assert_eq!(peers, 4, "the others reused the published failure");
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_leaves_the_shared_record() {
    let redis = Redis::start();
    let server = MockServer::start().await.unwrap();
    let store = redis.store().build();
    let first = manager(&server, redis.store().build());
    let token = first.token().await.unwrap();
    first.invalidate_token(&token); // a resource answered 401 invalid_token
    let started = Instant::now();
    while store.load(first.key()).await.unwrap().is_some() {
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "record not removed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let other = manager(&server, redis.store().build());
    assert_ne!(value(&other.token().await.unwrap()), value(&token));
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_then_restarted_callers_keep_getting_tokens_then_share_again() {
    let mut redis = Redis::start();
    let clock = ManualClock::new(datetime!(2026-01-01 00:00 UTC));
    let server = clocked_server(&clock).await;
    let managers: Vec<_> = (0..20)
        .map(|_| clocked_manager(&server, &clock, &redis))
        .collect();
    assert_eq!(distinct(&all_tokens(&managers).await), 1);
    assert_eq!(server.token_requests(), 1);

    redis.stop();
    clock.advance(Duration::from_secs(121));
    let down = all_tokens(&managers).await;
    assert!(
        down.iter().all(Result::is_ok),
        "Redis down is not an outage"
    );
    assert_eq!(server.token_requests(), 21, "each fetched on its own");

    redis.restart();
    clock.advance(Duration::from_secs(121));
    let back = all_tokens(&managers).await;
    assert_eq!(distinct(&back), 1, "shared again");
    assert_eq!(server.token_requests(), 22);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_redis_costs_a_timeout_not_an_outage() {
    let redis = Redis::start();
    let server = MockServer::start().await.unwrap();
    let manager = manager(&server, redis.store().build());
    let pid = rustix::process::Pid::from_raw(redis.pid()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::STOP).unwrap();
    let started = Instant::now();
    let result = manager.token().await;
    let elapsed = started.elapsed();
    rustix::process::kill_process(pid, rustix::process::Signal::CONT).unwrap();
    result.unwrap();
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_refusing_writes_is_not_an_outage() {
    let redis = Redis::start();
    let server = MockServer::start().await.unwrap();
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("min-replicas-to-write")
        .arg("1")
        .query_async::<()>(&mut redis.raw().await)
        .await
        .unwrap();
    let managers: Vec<_> = (0..3)
        .map(|_| manager(&server, redis.store().build()))
        .collect();
    let results = all_tokens(&managers).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(server.token_requests(), 3, "each fetched on its own");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleet_store_api_leases_once_and_writes_only_under_the_lease() {
    let redis = Redis::start();
    let server = MockServer::start().await.unwrap();
    let store = redis.store().build();
    let key = manager(&server, redis.store().build()).key().clone();
    let accept = |_: &OAuthToken| true;
    let auth_http::Turn::Lease(lease) = store
        .acquire(&key, &accept, Duration::from_millis(100))
        .await
        .unwrap()
    else {
        panic!("the first caller takes the lease");
    };
    let second = store
        .acquire(&key, &accept, Duration::from_millis(150))
        .await;
    assert!(matches!(second, Err(auth_http::StoreError::Timeout(_))));
    assert!(store.extend(&key, &lease).await.unwrap());
    let token = OAuthToken::new(
        auth_core::AccessToken::new("tok"),
        time::OffsetDateTime::now_utc(),
        time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        auth_core::ScopeSet::new(),
    );
    let stale = auth_http::Lease::new("not-the-fence");
    let ttl = Duration::from_secs(60);
    assert!(
        !store.publish(&key, &stale, &token, ttl).await.unwrap(),
        "fenced"
    );
    assert!(store.load(&key).await.unwrap().is_none());
    assert!(store.publish(&key, &lease, &token, ttl).await.unwrap());
    assert!(!store.extend(&key, &lease).await.unwrap(), "released");
    let turn = store.acquire(&key, &accept, ttl).await.unwrap();
    assert!(matches!(turn, auth_http::Turn::Token(t) if value(&t) == "tok"));
}

/// `fetch-token --store <store>` against `server`, printing the access
/// token; no Redis settings inherited from the environment.
fn fetch_token_command(server: &MockServer, store: &str) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(["--token-url", &server.token_url(), "--client-id", ID])
        .args(["--scope", "read", "--access-token-only", "--store", store])
        .env("CLIENT_SECRET", SECRET)
        .env_remove("REDIS_URL")
        .env_remove("TOKEN_STORE_KEYS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// `fetch-token --store redis` against `server`, the Redis URL in the
/// environment.
fn fetch_token(server: &MockServer, redis: &Redis, lease_ms: u64) -> Child {
    fetch_token_command(server, "redis")
        .args(["--lease-ms", &lease_ms.to_string()])
        .env("REDIS_URL", redis.url())
        .spawn()
        .unwrap()
}

async fn output(child: Child) -> std::process::Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_processes_on_a_cold_cache_cause_one_token_request() {
    let redis = Redis::start();
    let server = MockServer::start().await.unwrap();
    server.push_fault(FaultRule::new(Fault::Latency(Duration::from_millis(300))).always());
    let children: Vec<_> = (0..20)
        .map(|_| fetch_token(&server, &redis, 2000))
        .collect();
    let mut tokens = std::collections::HashSet::new();
    for child in children {
        let out = output(child).await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        tokens.insert(out.stdout);
    }
    assert_eq!(tokens.len(), 1, "every process printed the one token");
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_holder_killed_mid_fetch_is_replaced_once_the_lease_lapses() {
    let redis = Redis::start();
    let server = MockServer::start().await.unwrap();
    server.push_fault(FaultRule::new(Fault::Latency(Duration::from_secs(5))).times(1));
    let lease = Duration::from_secs(1);
    let store = redis.store().build();
    let key = manager(&server, redis.store().build()).key().clone();
    let lease_key = format!("{}:lease", store.record_key(&key));
    let mut holder = fetch_token(&server, &redis, 1000);
    let mut raw = redis.raw().await;
    let started = Instant::now();
    loop {
        let held: bool = redis::cmd("EXISTS")
            .arg(&lease_key)
            .query_async(&mut raw)
            .await
            .unwrap();
        if held && server.token_requests() == 1 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "no lease taken");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let waiter = fetch_token(&server, &redis, 1000);
    tokio::time::sleep(Duration::from_millis(100)).await;
    holder.kill().unwrap(); // SIGKILL, mid-fetch: the mock is still waiting
    let _ = holder.wait();
    let killed = Instant::now();
    let out = output(waiter).await;
    let took = killed.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // At most the lease left plus one (fast) fetch, and slack for a loaded
    // machine; without the takeover it would wait 30 s (its patience).
    assert!(took < lease + Duration::from_millis(1500), "took {took:?}");
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_token_reuses_a_token_stored_in_a_file() {
    let server = MockServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = format!("file:{}", dir.path().join("token.json").display());
    let run = || fetch_token_command(&server, &store).spawn().unwrap();
    let first = output(run()).await;
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = output(run()).await;
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_token_reads_the_redis_url_and_keys_from_the_environment_only() {
    let server = MockServer::start().await.unwrap();
    let out = fetch_token_command(&server, "redis").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("set REDIS_URL"));
    let out = fetch_token_command(&server, "redis")
        .env("REDIS_URL", "redis://127.0.0.1:1/")
        .env("TOKEN_STORE_KEYS", "k1:short")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("TOKEN_STORE_KEYS") && !stderr.contains("short"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acl_user_connects_and_a_wrong_password_is_not_an_outage() {
    let redis = Redis::start_with(|_| {
        [
            "--requirepass",
            "default-pw",
            "--user",
            "svc",
            "on",
            ">svc-pw",
            "~*",
            "&*",
            "+@all",
        ]
        .map(String::from)
        .to_vec()
    });
    let server = MockServer::start().await.unwrap();
    let url = |auth: &str| format!("redis://{auth}@127.0.0.1:{}/", redis.port);
    let store = |auth: &str| {
        RedisStore::builder(&url(auth))
            .unwrap()
            .timeout(Duration::from_millis(300))
            .build()
    };
    let first = manager(&server, store("svc:svc-pw")).token().await.unwrap();
    let second = manager(&server, store(":default-pw"))
        .token()
        .await
        .unwrap();
    assert_eq!(value(&first), value(&second), "shared through both users");
    assert_eq!(server.token_requests(), 1);

    let wrong = store("svc:wrong");
    assert!(
        !format!("{wrong:?}").contains("wrong"),
        "no password in Debug"
    );
    assert!(matches!(
        wrong
            .load(manager(&server, store("svc:svc-pw")).key())
            .await,
        Err(auth_http::StoreError::Unavailable(_))
    ));
    manager(&server, wrong).token().await.unwrap();
    assert_eq!(server.token_requests(), 2, "fetched on its own");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_redis_is_shared_through_rediss_with_a_private_ca() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();
    let redis = Redis::start_with(|redis| {
        let write = |name: &str, pem: String| {
            let path = redis.dir.path().join(name);
            std::fs::write(&path, pem).unwrap();
            path.display().to_string()
        };
        vec![
            "--port".into(),
            "0".into(),
            "--tls-port".into(),
            redis.port.to_string(),
            "--tls-cert-file".into(),
            write("cert.pem", leaf.pem()),
            "--tls-key-file".into(),
            write("key.pem", leaf_key.serialize_pem()),
            "--tls-ca-cert-file".into(),
            write("ca.pem", ca.pem()),
            "--tls-auth-clients".into(),
            "no".into(),
        ]
    });
    let server = MockServer::start().await.unwrap();
    let url = format!("rediss://127.0.0.1:{}/", redis.port);
    let store = || {
        RedisStore::builder(&url)
            .unwrap()
            .trust_pem(ca.pem().as_bytes())
            .unwrap()
            .timeout(Duration::from_secs(2))
            .build()
    };
    let first = manager(&server, store()).token().await.unwrap();
    let second = manager(&server, store()).token().await.unwrap();
    assert_eq!(value(&first), value(&second));
    assert_eq!(server.token_requests(), 1);

    // The bundled roots do not know the private CA: a miss, not an outage.
    let untrusted = RedisStore::builder(&url).unwrap().build();
    assert!(matches!(
        untrusted.load(manager(&server, store()).key()).await,
        Err(auth_http::StoreError::Unavailable(_))
    ));
}

// One thread: every task logs to the thread's subscriber.
#[tokio::test]
async fn redis_trouble_is_warned_once_per_episode() {
    let (capture, _guard) = log_capture::capture(tracing::Level::INFO);

    let mut redis = Redis::start();
    let clock = ManualClock::new(datetime!(2026-01-01 00:00 UTC));
    let server = clocked_server(&clock).await;
    let manager = clocked_manager(&server, &clock, &redis);
    let renew = || async {
        clock.advance(Duration::from_secs(121));
        manager.token().await.unwrap()
    };

    let mut renewals = 0;
    renew().await;
    renewals += 1;
    redis.stop();
    for _ in 0..3 {
        renew().await;
        renewals += 1;
    }
    assert_eq!(
        capture.count("fleet token store failed"),
        1,
        "one warning for the episode"
    );
    redis.restart();
    // A loaded machine may let the commands after the restart time out,
    // and the client reconnects in its own time (a renewal then fetches
    // locally, still in the episode): renew until the store answers, for
    // at most 20 s.
    let restarted = Instant::now();
    while capture.count("fleet token store answers again") == 0
        && restarted.elapsed() < Duration::from_secs(20)
    {
        renew().await;
        renewals += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(capture.count("fleet token store answers again"), 1);
    assert_eq!(
        capture.count("fleet token store failed"),
        1,
        "still one warning: the restart ended the episode"
    );
    redis.stop();
    renew().await;
    renew().await;
    renewals += 2;
    assert_eq!(
        capture.count("fleet token store failed"),
        2,
        "a new episode warns again"
    );
    assert_eq!(
        server.token_requests(),
        renewals,
        "one token request per renewal"
    );
    assert_eq!(capture.count(SECRET), 0);
}

#[test]
fn fleet_error_messages_are_pinned() {
    let peer = Error::Peer(auth_http::PeerFailure::new(
        "provider rejected the request: invalid_client",
        true,
        Duration::from_secs(1),
    ));
    insta::assert_snapshot!(peer, @"token fetch failed on another instance: provider rejected the request: invalid_client");
    assert!(peer.is_provider_rejection());
    assert!(!peer.is_retryable());
    let long = auth_http::PeerFailure::new("é\n".repeat(400), false, Duration::ZERO);
    assert!(long.message().len() <= 512 && !long.message().contains('\n'));
    insta::assert_snapshot!(auth_http::StoreError::Timeout(Duration::from_millis(500)), @"shared token store did not answer within 500ms");
    insta::assert_snapshot!(auth_http::StoreError::InvalidKey("key must be 32 bytes"), @"invalid token store encryption key: key must be 32 bytes");
    let unavailable = RedisStore::builder("http://not-redis").unwrap_err();
    insta::assert_snapshot!(unavailable, @"invalid token store configuration");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_caches_in_two_instances_share_one_token_request() {
    let redis = Redis::start();
    let server = MockServer::start().await.unwrap();
    let cache = || {
        auth_http::TokenCache::new(HyperTransport::new().unwrap())
            .with_fleet_store(redis.store().build())
    };
    let (one, two) = (cache(), cache());
    let first = one.token(&client(&server)).await.unwrap();
    let second = two.token(&client(&server)).await.unwrap();
    assert_eq!(value(&first), value(&second));
    assert_eq!(server.token_requests(), 1);
}
