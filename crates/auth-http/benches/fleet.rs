//! Fleets through a real Redis (issue 14 item 7), against the mock
//! provider answering in 50 ms:
//! - 50 managers in one process sharing a `RedisStore`, cold and at
//!   renewal: token requests (target exactly 1) and the time from the
//!   first call until every caller holds a token, against one plain fetch
//!   (target at most 1.5x);
//! - the same for 20 processes: long-lived fleet members (this binary
//!   re-run as `fleet member ...`), each with one `TokenManager` on the
//!   `RedisStore`, reporting when it called `token()` and when it held the
//!   token, so process start-up is not timed and a renewal can be (the
//!   mock issues 2 s tokens), against one plain member measured the same
//!   way, with 20 plain members as a reference;
//! - a warm read through `RedisStore` against the in-memory cache.
//!
//! Not criterion: each cold run needs a fresh Redis record and a process
//! fleet, so it runs a fixed number of rounds and prints medians.
//! `just bench-fleet` (needs `redis-server`).
#![expect(clippy::unwrap_used, reason = "bench setup")]

#[path = "../tests/redis_server/mod.rs"]
mod redis_server;
#[path = "support/stats.rs"]
mod stats;

use std::io::{BufRead as _, BufReader, Lines};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use auth_core::{Client, ClientCredentials, ManualClock, Scope, TokenUrl};
use auth_http::{
    FleetStore, HyperTransport, RedisStore, RetryPolicy, TokenManager, TokenStore as _,
};
use mock_server::{ClientRegistration, Fault, FaultRule, MockServer};
use redis_server::Redis;
use stats::median;
use time::macros::datetime;

const ID: &str = "s6BhdRkqt3";
const SECRET: &str = "gX1fBat3bV";
const ROUNDS: usize = 7;
/// Rounds when run without `--bench`: `cargo test --all-targets` runs
/// this bench too (a debug build), as a quick smoke run that checks the
/// token requests across processes.
const SMOKE_ROUNDS: usize = 1;
const MANAGERS: usize = 50;
const PROCESSES: usize = 20;
const READS: u32 = 2_000;
const LATENCY: Duration = Duration::from_millis(50);
/// The lifetime of the tokens the members get: short, so a renewal comes
/// soon (whole seconds, as `expires_in`).
const PROCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(2);
/// How long after the last token's expiry the members renew.
const EXPIRY_MARGIN: Duration = Duration::from_millis(200);
/// How far ahead the members are told when to call `token()`: time for
/// the bench to write to every member first.
const START_AFTER: Duration = Duration::from_millis(100);

fn client(server: &MockServer) -> Client {
    Client::new(
        TokenUrl::parse(&server.token_url()).unwrap(),
        ClientCredentials::new(ID, SECRET).with_scopes([Scope::Read]),
    )
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

async fn in_process(redis: &Redis, rounds: usize) {
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
        in_process_round(redis, &server, &clock, shared, rounds).await;
    }
}

/// The rounds with one `RedisStore` per manager (a connection each, as in
/// separate processes) or one store `shared` by all of them.
async fn in_process_round(
    redis: &Redis,
    server: &MockServer,
    clock: &ManualClock,
    shared: bool,
    rounds: usize,
) {
    let (mut plain, mut cold, mut renewal) = (Vec::new(), Vec::new(), Vec::new());
    let (mut cold_requests, mut renewal_requests) = (Vec::new(), Vec::new());
    for round in 0..rounds {
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

/// One fleet member: this bench binary re-run as `fleet member URL
/// [REDIS_URL PREFIX]`, a long-lived process with one `TokenManager` (on a
/// `RedisStore` when given one). It prints `ready`, then for each line
/// `go NANOS` on stdin waits for that Unix time, calls `token()` and
/// prints `called NANOS` and `held NANOS` (Unix times: one clock for all
/// the processes on this machine). It ends at the end of its stdin.
fn member(args: &[String]) {
    use std::io::Write as _;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Client::new(
        TokenUrl::parse(&args[0]).unwrap(),
        ClientCredentials::new(ID, SECRET).with_scopes([Scope::Read]),
    );
    let mut builder = TokenManager::builder(client, HyperTransport::new().unwrap());
    if let [_, redis, prefix] = args {
        builder = builder.fleet_store(RedisStore::builder(redis).unwrap().prefix(prefix).build());
    }
    let manager = builder.build();
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "ready").unwrap();
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        let at: u128 = line.strip_prefix("go ").unwrap().parse().unwrap();
        let (called, held) = runtime.block_on(async {
            let wait = at.saturating_sub(unix_nanos());
            tokio::time::sleep(Duration::from_nanos(u64::try_from(wait).unwrap())).await;
            let called = unix_nanos();
            manager.token().await.unwrap();
            (called, unix_nanos())
        });
        writeln!(stdout, "called {called}\nheld {held}").unwrap();
    }
}

fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// A running fleet member, seen from the bench.
struct Member {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Member {
    fn spawn(token_url: &str, redis: Option<(&str, &str)>) -> Self {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command.args(["member", token_url]);
        if let Some((url, prefix)) = redis {
            command.args([url, prefix]);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        Self {
            child,
            stdin,
            stdout,
        }
    }

    fn line(&mut self) -> String {
        self.stdout.next().unwrap().unwrap()
    }

    /// The Unix time on the member's next line, which must say `event`.
    fn event(&mut self, event: &str) -> u128 {
        let line = self.line();
        let at = line
            .strip_prefix(event)
            .and_then(|rest| rest.strip_prefix(' '));
        at.unwrap_or_else(|| panic!("expected {event}, got {line:?}"))
            .parse()
            .unwrap()
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A group of members started together.
struct Group(Vec<Member>);

impl Group {
    fn spawn(count: usize, token_url: &str, redis: Option<(&str, &str)>) -> Self {
        let mut members: Vec<_> = (0..count)
            .map(|_| Member::spawn(token_url, redis))
            .collect();
        for member in &mut members {
            assert_eq!(member.line(), "ready");
        }
        Self(members)
    }

    /// Every member calls `token()` at the same instant, a moment from
    /// now: the time from the earliest call until the last holds a token,
    /// how far apart the calls came (waking 20 processes on a busy machine
    /// takes a while), and the Unix time at which the last held one.
    fn all_hold(&mut self) -> Hold {
        use std::io::Write as _;
        let at = unix_nanos() + START_AFTER.as_nanos();
        for member in &mut self.0 {
            writeln!(member.stdin, "go {at}").unwrap();
        }
        let (mut first_call, mut last_call, mut last_held) = (u128::MAX, 0, 0);
        for member in &mut self.0 {
            let called = member.event("called");
            (first_call, last_call) = (first_call.min(called), last_call.max(called));
            last_held = last_held.max(member.event("held"));
        }
        let nanos = |n: u128| Duration::from_nanos(u64::try_from(n).unwrap());
        Hold {
            took: nanos(last_held - first_call),
            calls_within: nanos(last_call - first_call),
            last_held,
        }
    }
}

struct Hold {
    took: Duration,
    calls_within: Duration,
    last_held: u128,
}

/// The rounds of one kind of group, cold and at renewal, with the token
/// requests each made.
#[derive(Default)]
struct Figures {
    cold: Vec<Duration>,
    renewal: Vec<Duration>,
    cold_calls_within: Vec<Duration>,
    renewal_calls_within: Vec<Duration>,
    cold_requests: Vec<usize>,
    renewal_requests: Vec<usize>,
}

impl Figures {
    fn print(&self, what: &str, plain: &Self) {
        let (cold, renewal) = (median(self.cold.clone()), median(self.renewal.clone()));
        let (plain_cold, plain_renewal) =
            (median(plain.cold.clone()), median(plain.renewal.clone()));
        println!(
            "{what}, cold       median {cold:?} ({:.2}x, calls within {:?}), token requests per round {:?}",
            ratio(cold, plain_cold),
            median(self.cold_calls_within.clone()),
            self.cold_requests
        );
        println!(
            "{what}, at renewal median {renewal:?} ({:.2}x, calls within {:?}), token requests per round {:?}",
            ratio(renewal, plain_renewal),
            median(self.renewal_calls_within.clone()),
            self.renewal_requests
        );
    }
}

/// Long-lived member processes (not `fetch-token`, which is one-shot and
/// would time process start-up): one plain member, 20 plain members (the
/// reference: what 20 processes cost without the fleet store) and 20
/// members on one Redis, each timed from the earliest `token()` call until
/// every member holds a token, cold and after their tokens expired.
async fn across_processes(redis: &Redis, rounds: usize) {
    let server = MockServer::builder()
        .client(ClientRegistration::new(ID, SECRET).with_scopes(["read"]))
        .token_lifetime(PROCESS_TOKEN_LIFETIME)
        .start()
        .await
        .unwrap();
    server.push_fault(FaultRule::new(Fault::Latency(LATENCY)).always());
    let url = server.token_url();
    let redis_url = redis.url();
    let mut figures: [Figures; 3] = Default::default();
    for round in 0..rounds {
        let prefix = format!("bench-processes-{round}");
        tokio::task::block_in_place(|| {
            let mut groups = [
                Group::spawn(1, &url, None),
                Group::spawn(PROCESSES, &url, None),
                Group::spawn(PROCESSES, &url, Some((&redis_url, &prefix))),
            ];
            let mut last_held = 0;
            for (group, figures) in groups.iter_mut().zip(&mut figures) {
                let before = server.token_requests();
                let hold = group.all_hold();
                figures.cold.push(hold.took);
                figures.cold_calls_within.push(hold.calls_within);
                figures.cold_requests.push(server.token_requests() - before);
                last_held = last_held.max(hold.last_held);
            }
            // Every token expired (the client counts from its receipt).
            let expired = last_held + (PROCESS_TOKEN_LIFETIME + EXPIRY_MARGIN).as_nanos();
            let wait = expired.saturating_sub(unix_nanos());
            std::thread::sleep(Duration::from_nanos(u64::try_from(wait).unwrap()));
            for (group, figures) in groups.iter_mut().zip(&mut figures) {
                let before = server.token_requests();
                let hold = group.all_hold();
                figures.renewal.push(hold.took);
                figures.renewal_calls_within.push(hold.calls_within);
                figures
                    .renewal_requests
                    .push(server.token_requests() - before);
            }
        });
    }
    let [plain, plain_fleet, fleet] = &figures;
    plain.print("one plain member process            ", plain);
    plain_fleet.print(
        &format!("{PROCESSES} plain member processes (no store)"),
        plain,
    );
    fleet.print(
        &format!("{PROCESSES} member processes on Redis        "),
        plain,
    );
    if rounds == SMOKE_ROUNDS {
        // Under `cargo test`: the fleet's one request per renewal across
        // processes is checked, not only printed (no time is checked).
        assert_eq!(
            (&fleet.cold_requests, &fleet.renewal_requests),
            (&vec![1; rounds], &vec![1; rounds]),
            "20 member processes on one Redis: token requests cold and at renewal"
        );
    }
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
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("member") {
        member(&args[2..]);
        return;
    }
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let rounds = if args.iter().any(|a| a == "--bench") {
        ROUNDS
    } else {
        SMOKE_ROUNDS
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let redis = Redis::start();
    runtime.block_on(async {
        in_process(&redis, rounds).await;
        across_processes(&redis, rounds).await;
        warm_read(&redis).await;
    });
}
