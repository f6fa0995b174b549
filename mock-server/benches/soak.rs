//! Soak: the release binary of the mock (embedded default config, a free
//! loopback port) under a minute of mixed traffic with faults queued
//! through the admin API. Passes when every status is the one expected
//! and the server's resident memory after a 5 s warm-up and at the end
//! differ by at most 1 MiB.
//!
//! `just soak`, or `cargo bench -p mock-server --features cli --bench soak` (env:
//! `SOAK_SECS`, default 60; `SOAK_CONNS`, default 64).
//!
//! Every connection but the fault ones loops: a token for F1
//! (`client_secret_basic`), the resource with it (200), its introspection
//! (200, active); once a second it also revokes that token (200), then
//! the resource refuses it (401) and introspection calls it inactive. One
//! connection in sixteen is the fault client (`post-only`,
//! `client_secret_post`): token, then the resource. Meanwhile an admin
//! connection queues a 503 or a 429 (`Retry-After: 1`) for the fault
//! client every 100 ms. Expected: the statuses above, and for the fault
//! client a 503 or 429 only while one queued is not yet served. Anything
//! else (any other 5xx, a wrong body, a broken connection) is counted as
//! unexpected and fails the run.

mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use auth_core::form::encode_component;
use bytes::Bytes;
use http::Method;

use support::{BoxError, Connection, F1_BASIC, FORM, Server, env_or, mock_command};

/// The fault client of the default config, and its form.
const FAULT_CLIENT_BODY: &str =
    "grant_type=client_credentials&client_id=post-only&client_secret=s3cret-post";
const JSON: &str = "application/json";
const WARM_UP: Duration = Duration::from_secs(5);
const REVOKE_EVERY: Duration = Duration::from_secs(1);
const FAULT_EVERY: Duration = Duration::from_millis(100);
/// Most growth of the resident set from the warm-up to the end.
const MAX_RSS_GROWTH_KIB: u64 = 1024;

fn main() -> Result<(), BoxError> {
    // `cargo test --all-targets` runs bench binaries without `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let secs = env_or("SOAK_SECS", 60);
    let conns = env_or("SOAK_CONNS", 64).max(2);
    let secs = secs.max(1);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(soak(Duration::from_secs(secs), conns))
}

/// What a request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Token,
    Resource,
    Introspect,
    Revoke,
    RevokedResource,
    RevokedIntrospect,
    FaultToken,
    FaultResource,
    AdminFault,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Token => "token (F1)",
            Self::Resource => "resource",
            Self::Introspect => "introspect (active)",
            Self::Revoke => "revoke",
            Self::RevokedResource => "resource (revoked token)",
            Self::RevokedIntrospect => "introspect (revoked)",
            Self::FaultToken => "token (fault client)",
            Self::FaultResource => "resource (fault client)",
            Self::AdminFault => "admin: queue a fault",
        }
    }
}

/// Faults queued for the fault client, and those it was served.
#[derive(Default)]
struct FaultBudget {
    queued_503: AtomicU64,
    queued_429: AtomicU64,
    served_503: AtomicU64,
    served_429: AtomicU64,
}

impl FaultBudget {
    /// Counts a fault served; true while no more were served than queued.
    /// The queue counter goes up before the admin request is sent, so a
    /// fault is always counted queued before it can be served.
    fn serve(&self, status: u16) -> bool {
        let (queued, served) = match status {
            503 => (&self.queued_503, &self.served_503),
            429 => (&self.queued_429, &self.served_429),
            _ => return false,
        };
        served.fetch_add(1, Ordering::SeqCst) < queued.load(Ordering::SeqCst)
    }
}

/// `(kind, status)` → count; status 0 is a transport error.
type Tally = BTreeMap<(Kind, u16), u64>;

#[derive(Default)]
struct Counts {
    all: Tally,
    unexpected: Tally,
}

impl Counts {
    fn record(&mut self, kind: Kind, status: u16, expected: bool) {
        *self.all.entry((kind, status)).or_default() += 1;
        if !expected {
            *self.unexpected.entry((kind, status)).or_default() += 1;
        }
    }

    fn merge(&mut self, other: Self) {
        for (key, n) in other.all {
            *self.all.entry(key).or_default() += n;
        }
        for (key, n) in other.unexpected {
            *self.unexpected.entry(key).or_default() += n;
        }
    }
}

/// One connection's requests; a broken connection is counted (status 0,
/// unexpected) and replaced.
struct Driver {
    addr: SocketAddr,
    connection: Connection,
    counts: Counts,
}

impl Driver {
    async fn new(addr: SocketAddr) -> Result<Self, BoxError> {
        Ok(Self {
            addr,
            connection: Connection::open(addr).await?,
            counts: Counts::default(),
        })
    }

    /// Sends, records the status as judged by `expect`, returns the answer.
    async fn send(
        &mut self,
        kind: Kind,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
        expect: impl FnOnce(u16, &[u8]) -> bool,
    ) -> Option<(u16, Bytes)> {
        let answer = self.connection.send(method, path, headers, body).await;
        self.judge(kind, answer, expect).await
    }

    async fn judge(
        &mut self,
        kind: Kind,
        answer: Result<(u16, Bytes), BoxError>,
        expect: impl FnOnce(u16, &[u8]) -> bool,
    ) -> Option<(u16, Bytes)> {
        let Ok((status, body)) = answer else {
            self.counts.record(kind, 0, false);
            if let Ok(connection) = Connection::open(self.addr).await {
                self.connection = connection;
            }
            return None;
        };
        let expected = expect(status, &body);
        self.counts.record(kind, status, expected);
        Some((status, body))
    }

    async fn resource(&mut self, kind: Kind, token: &str, want: u16) {
        let bearer = format!("Bearer {token}");
        self.send(
            kind,
            Method::GET,
            "/resource",
            &[("authorization", &bearer)],
            Bytes::new(),
            |status, _| status == want,
        )
        .await;
    }

    /// Introspection by F1 of its own token.
    async fn introspect(&mut self, kind: Kind, token: &str, active: bool) {
        let body = format!("token={}", encode_component(token));
        self.send(
            kind,
            Method::POST,
            "/introspect",
            &[("authorization", F1_BASIC), ("content-type", FORM)],
            body,
            |status, body| status == 200 && is_active(body) == Some(active),
        )
        .await;
    }
}

fn is_active(body: &[u8]) -> Option<bool> {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()?
        .get("active")?
        .as_bool()
}

fn access_token(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    Some(value.get("access_token")?.as_str()?.to_owned())
}

/// F1: token, resource, introspection; once a second, a revocation and
/// the revoked token refused.
async fn f1_loop(addr: SocketAddr, deadline: Instant) -> Result<Counts, BoxError> {
    let mut driver = Driver::new(addr).await?;
    let mut next_revoke = Instant::now() + REVOKE_EVERY;
    while Instant::now() < deadline {
        let answer = driver.connection.token().await;
        let Some((200, body)) = driver
            .judge(Kind::Token, answer, |status, body| {
                status == 200 && access_token(body).is_some()
            })
            .await
        else {
            continue;
        };
        let Some(token) = access_token(&body) else {
            continue;
        };
        driver.resource(Kind::Resource, &token, 200).await;
        driver.introspect(Kind::Introspect, &token, true).await;
        if Instant::now() >= next_revoke {
            next_revoke += REVOKE_EVERY;
            let body = format!("token={}", encode_component(&token));
            driver
                .send(
                    Kind::Revoke,
                    Method::POST,
                    "/revoke",
                    &[("authorization", F1_BASIC), ("content-type", FORM)],
                    body,
                    |status, _| status == 200,
                )
                .await;
            driver.resource(Kind::RevokedResource, &token, 401).await;
            driver
                .introspect(Kind::RevokedIntrospect, &token, false)
                .await;
        }
    }
    Ok(driver.counts)
}

/// The fault client: token (200, or a queued 503/429), then the resource.
async fn fault_client_loop(
    addr: SocketAddr,
    deadline: Instant,
    budget: Arc<FaultBudget>,
) -> Result<Counts, BoxError> {
    let mut driver = Driver::new(addr).await?;
    while Instant::now() < deadline {
        let answer = driver
            .send(
                Kind::FaultToken,
                Method::POST,
                "/token",
                &[("content-type", FORM)],
                Bytes::from_static(FAULT_CLIENT_BODY.as_bytes()),
                |status, body| match status {
                    200 => access_token(body).is_some(),
                    _ => budget.serve(status),
                },
            )
            .await;
        if let Some((200, body)) = answer
            && let Some(token) = access_token(&body)
        {
            driver.resource(Kind::FaultResource, &token, 200).await;
        }
    }
    Ok(driver.counts)
}

/// Queues a 503 and a 429 (`Retry-After: 1`) for the fault client, in
/// turn, as a browser could not: `Content-Type: application/json`, and
/// the served address as `Host`.
async fn admin_loop(
    addr: SocketAddr,
    deadline: Instant,
    budget: Arc<FaultBudget>,
) -> Result<Counts, BoxError> {
    let mut driver = Driver::new(addr).await?;
    let mut tick = tokio::time::interval(FAULT_EVERY);
    let mut turn = 0u64;
    while Instant::now() < deadline {
        tick.tick().await;
        turn += 1;
        let (fault, queued) = if turn.is_multiple_of(2) {
            (r#"{"status":503}"#, &budget.queued_503)
        } else {
            (
                r#"{"retry_after":{"status":429,"seconds":1}}"#,
                &budget.queued_429,
            )
        };
        let rule = format!(r#"{{"fault":{fault},"client_id":"post-only","times":1}}"#);
        queued.fetch_add(1, Ordering::SeqCst);
        let answer = driver
            .send(
                Kind::AdminFault,
                Method::POST,
                "/_mock/faults",
                &[("content-type", JSON)],
                rule,
                |status, _| status == 201,
            )
            .await;
        if !matches!(answer, Some((201, _))) {
            // Not queued after all.
            queued.fetch_sub(1, Ordering::SeqCst);
        }
    }
    Ok(driver.counts)
}

async fn soak(duration: Duration, conns: u64) -> Result<(), BoxError> {
    let server = Server::spawn(mock_command()).await?;
    let addr = server.addr;
    let fault_conns = (conns / 16).max(1);
    println!(
        "soak: mock-server (release, embedded config) on {addr}, {} s, {conns} connections ({fault_conns} of the fault client), a fault queued every {} ms",
        duration.as_secs(),
        FAULT_EVERY.as_millis()
    );
    let started = Instant::now();
    let deadline = started + duration;
    let budget = Arc::new(FaultBudget::default());
    let mut tasks = Vec::new();
    for i in 0..conns {
        tasks.push(if i < fault_conns {
            tokio::spawn(fault_client_loop(addr, deadline, Arc::clone(&budget)))
        } else {
            tokio::spawn(f1_loop(addr, deadline))
        });
    }
    tasks.push(tokio::spawn(admin_loop(
        addr,
        deadline,
        Arc::clone(&budget),
    )));

    // Resident memory every 5 s: the first sample after the warm-up.
    // A short smoke run warms up for half its time.
    let warm_up = WARM_UP.min(duration / 2);
    let mut samples = Vec::new();
    let mut at = started + warm_up;
    while at < deadline {
        tokio::time::sleep_until(at.into()).await;
        samples.push((at - started, server.rss_kib()));
        at += WARM_UP;
    }
    let mut counts = Counts::default();
    for task in tasks {
        counts.merge(task.await??);
    }
    let elapsed = started.elapsed();
    let end_rss = server.rss_kib();
    samples.push((elapsed, end_rss));

    print_counts(&counts, elapsed, &budget);
    let unexpected: u64 = counts.unexpected.values().sum();
    let series: Vec<String> = samples
        .iter()
        .map(|(t, kib)| {
            format!(
                "{:.0} s: {}",
                t.as_secs_f64(),
                kib.map_or_else(|| "?".to_owned(), |k| format!("{k} KiB"))
            )
        })
        .collect();
    println!("mock-server RSS: {}", series.join(", "));

    let mut failures = Vec::new();
    if unexpected > 0 {
        failures.push(format!("{unexpected} unexpected statuses"));
    }
    match (samples.first().and_then(|s| s.1), end_rss) {
        (Some(warm), Some(end)) if samples.len() > 1 => {
            let growth = end.abs_diff(warm);
            println!(
                "RSS after the {:.1} s warm-up {warm} KiB, at the end {end} KiB: {}{growth} KiB (limit {MAX_RSS_GROWTH_KIB} KiB)",
                warm_up.as_secs_f64(),
                if end >= warm { "+" } else { "-" }
            );
            if growth > MAX_RSS_GROWTH_KIB {
                failures.push(format!("RSS moved by {growth} KiB"));
            }
        }
        _ => failures
            .push("no RSS sample after the warm-up and at the end (/proc: Linux only)".to_owned()),
    }
    if failures.is_empty() {
        println!("soak passed");
        Ok(())
    } else {
        Err(format!("soak failed: {}", failures.join("; ")).into())
    }
}

/// Requests by kind and status, unexpected ones flagged, and the faults.
fn print_counts(counts: &Counts, elapsed: Duration, budget: &FaultBudget) {
    let total: u64 = counts.all.values().sum();
    println!(
        "{total} requests in {:.1} s ({:.0} req/s)",
        elapsed.as_secs_f64(),
        rate(total, elapsed)
    );
    println!("{:<28} {:>6} {:>10}", "kind", "status", "requests");
    for ((kind, status), n) in &counts.all {
        let flag = if counts.unexpected.contains_key(&(*kind, *status)) {
            "  UNEXPECTED"
        } else {
            ""
        };
        println!("{:<28} {status:>6} {n:>10}{flag}", kind.name());
    }
    println!(
        "faults queued: {} x 503, {} x 429; served: {} x 503, {} x 429",
        budget.queued_503.load(Ordering::SeqCst),
        budget.queued_429.load(Ordering::SeqCst),
        budget.served_503.load(Ordering::SeqCst),
        budget.served_429.load(Ordering::SeqCst),
    );
    println!(
        "unexpected statuses: {}",
        counts.unexpected.values().sum::<u64>()
    );
}

fn rate(n: u64, over: Duration) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "a rate")]
    let n = n as f64;
    n / over.as_secs_f64()
}
