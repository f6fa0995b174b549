//! Fleets through a real Redis (issue 14 item 7), against the mock
//! provider answering in 50 ms:
//! - 50 managers in one process sharing a `RedisStore`, cold and at
//!   renewal: token requests (target exactly 1) and the time from the
//!   first call until every caller holds a token, against one plain fetch
//!   (target at most 1.5x);
//! - 20 `fetch-token --store redis` processes on a cold cache, against one
//!   plain `fetch-token` process;
//! - a warm read through `RedisStore` against the in-memory cache.
//!
//! Not criterion: each cold run needs a fresh Redis record and a process
//! fleet, so it runs a fixed number of rounds and prints medians.
//! `just bench-fleet` (needs `redis-server`).
#![expect(clippy::unwrap_used, reason = "bench setup")]

#[path = "../tests/redis_server/mod.rs"]
mod redis_server;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_core::{Client, ClientCredentials, ManualClock, Scope, TokenUrl};
use auth_http::{FleetStore, HyperTransport, RetryPolicy, TokenManager, TokenStore as _};
use mock_server::{ClientRegistration, Fault, FaultRule, MockServer};
use redis_server::Redis;
use time::macros::datetime;

const ID: &str = "s6BhdRkqt3";
const SECRET: &str = "gX1fBat3bV";
const ROUNDS: usize = 7;
const MANAGERS: usize = 50;
const PROCESSES: usize = 20;
const READS: u32 = 2_000;
const LATENCY: Duration = Duration::from_millis(50);

fn client(server: &MockServer) -> Client {
    Client::new(
        TokenUrl::parse(&server.token_url()).unwrap(),
        ClientCredentials::new(ID, SECRET).with_scopes([Scope::Read]),
    )
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ratio(ours: Duration, base: Duration) -> f64 {
    ours.as_secs_f64() / base.as_secs_f64()
}

/// Every manager's `token()` at once: the time until all hold one.
async fn all_hold(managers: &[TokenManager]) -> Duration {
    let started = Instant::now();
    let tasks: Vec<_> = managers
        .iter()
        .map(|m| {
            let m = m.clone();
            tokio::spawn(async move { m.token().await.unwrap() })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    started.elapsed()
}

async fn in_process(redis: &Redis) {
    let clock = ManualClock::new(datetime!(2026-01-01 00:00 UTC));
    let server = MockServer::builder()
        .client(ClientRegistration::new(ID, SECRET).with_scopes(["read"]))
        .token_lifetime(Duration::from_secs(3600))
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    server.push_fault(FaultRule::new(Fault::Latency(LATENCY)).always());
    for shared in [false, true] {
        in_process_round(redis, &server, &clock, shared).await;
    }
}

/// The rounds with one `RedisStore` per manager (a connection each, as in
/// separate processes) or one store `shared` by all of them.
async fn in_process_round(redis: &Redis, server: &MockServer, clock: &ManualClock, shared: bool) {
    let (mut plain, mut cold, mut renewal) = (Vec::new(), Vec::new(), Vec::new());
    let (mut cold_requests, mut renewal_requests) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let single = TokenManager::builder(client(server), HyperTransport::new().unwrap())
            .clock(clock.clone())
            .build();
        plain.push(all_hold(&[single]).await);

        let prefix = format!("bench-{shared}-{round}");
        let one: Arc<dyn FleetStore> = Arc::new(redis.store().prefix(prefix.clone()).build());
        let managers: Vec<_> = (0..MANAGERS)
            .map(|_| {
                let store: Arc<dyn FleetStore> = if shared {
                    Arc::clone(&one)
                } else {
                    Arc::new(redis.store().prefix(prefix.clone()).build())
                };
                TokenManager::builder(client(server), HyperTransport::new().unwrap())
                    .clock(clock.clone())
                    .retry(RetryPolicy::default())
                    .shared_fleet_store(store)
                    .build()
            })
            .collect();
        let before = server.token_requests();
        cold.push(all_hold(&managers).await);
        cold_requests.push(server.token_requests() - before);

        clock.advance(Duration::from_secs(3601)); // every token expired
        let before = server.token_requests();
        renewal.push(all_hold(&managers).await);
        renewal_requests.push(server.token_requests() - before);
    }
    let (plain, cold, renewal) = (median(plain), median(cold), median(renewal));
    let stores = if shared {
        "1 shared store"
    } else {
        "a store each"
    };
    println!("one plain fetch (1 manager, no store)      median {plain:?}");
    println!(
        "{MANAGERS} managers, {stores}, cold      median {cold:?} ({:.2}x), token requests per round {cold_requests:?}",
        ratio(cold, plain)
    );
    println!(
        "{MANAGERS} managers, {stores}, at renewal median {renewal:?} ({:.2}x), token requests per round {renewal_requests:?}",
        ratio(renewal, plain)
    );
}

async fn across_processes(redis: &Redis) {
    let server = MockServer::start().await.unwrap();
    server.push_fault(FaultRule::new(Fault::Latency(LATENCY)).always());
    let bin = env!("CARGO_BIN_EXE_fetch-token");
    let run = |count: usize, store: Option<&str>| {
        let started = Instant::now();
        let children: Vec<_> = (0..count)
            .map(|_| {
                let mut command = Command::new(bin);
                command
                    .args(["--token-url", &server.token_url(), "--client-id", ID])
                    .args(["--scope", "read", "--access-token-only"])
                    .env("CLIENT_SECRET", SECRET)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null());
                if let Some(url) = store {
                    command.args(["--store", "redis"]).env("REDIS_URL", url);
                }
                command.spawn().unwrap()
            })
            .collect();
        for mut child in children {
            assert!(child.wait().unwrap().success());
        }
        started.elapsed()
    };
    let (mut plain, mut plain_fleet, mut cold, mut requests) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        plain.push(tokio::task::block_in_place(|| run(1, None)));
        plain_fleet.push(tokio::task::block_in_place(|| run(PROCESSES, None)));
        redis::cmd("FLUSHALL")
            .query_async::<()>(&mut redis.raw().await)
            .await
            .unwrap();
        let before = server.token_requests();
        cold.push(tokio::task::block_in_place(|| {
            run(PROCESSES, Some(&redis.url()))
        }));
        requests.push(server.token_requests() - before);
    }
    let (plain, plain_fleet, cold) = (median(plain), median(plain_fleet), median(cold));
    println!("one plain fetch-token process              median {plain:?}");
    println!(
        "{PROCESSES} plain fetch-token processes (no store)  median {plain_fleet:?} ({:.2}x), {PROCESSES} token requests",
        ratio(plain_fleet, plain)
    );
    println!(
        "{PROCESSES} fetch-token processes, cold            median {cold:?} ({:.2}x), token requests per round {requests:?}",
        ratio(cold, plain)
    );
}

async fn warm_read(redis: &Redis) {
    let server = MockServer::start().await.unwrap();
    let store = redis.store().build();
    let manager = TokenManager::builder(client(&server), HyperTransport::new().unwrap())
        .fleet_store(redis.store().build())
        .build();
    manager.token().await.unwrap();
    let key = manager.key().clone();
    assert!(store.load(&key).await.unwrap().is_some());
    let started = Instant::now();
    for _ in 0..READS {
        std::hint::black_box(store.load(&key).await.unwrap());
    }
    let through_redis = started.elapsed() / READS;
    let started = Instant::now();
    for _ in 0..READS {
        std::hint::black_box(manager.token().await.unwrap());
    }
    let cached = started.elapsed() / READS;
    println!(
        "warm read: RedisStore::load {through_redis:?}, TokenManager::token (in-memory cache) {cached:?} ({:.0}x)",
        ratio(through_redis, cached)
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let redis = Redis::start();
    runtime.block_on(async {
        in_process(&redis).await;
        across_processes(&redis).await;
        warm_read(&redis).await;
    });
}
