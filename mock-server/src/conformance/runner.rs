//! Runs scenarios against a client under test and judges them.
//!
//! For each scenario: a fresh in-process [`MockServer`] on `127.0.0.1:0`
//! (plain http, loopback) with only the scenario's client registered, a
//! second listener that must never be hit (the target of the redirect
//! scenario), the scenario's faults queued; then the client runs with the
//! contract's environment ([`ClientEnv::vars`]) until it exits or the time
//! bound passes; then its process group is killed, and with it, on Linux,
//! every process it left running outside the group (`setsid`), found by a
//! run id in their environment (`MOCK_CONFORMANCE_RUN_ID`) or by the output
//! pipes they hold (the runner makes itself a child subreaper for that);
//! waiting for the client's output ends at the bound too. Then every check
//! is evaluated over the journal, the exit and the elapsed time.
//!
//! The client contract (`docs/conformance.md`): get a token from
//! `OAUTH_TOKEN_URL`, call `OAUTH_RESOURCE_URL` (GET, `Authorization:
//! Bearer`) `OAUTH_CALLS` times, `OAUTH_CALL_INTERVAL_MS` apart, reusing a
//! valid token and renewing when needed; give up on any one HTTP request
//! after `OAUTH_TIMEOUT_MS`; exit 0 when every call succeeded, non-zero on
//! an unrecoverable error.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;

use super::check::{self, CheckResult, Evidence, Exit};
use super::client_process::{self, Finished};
use super::scenario::{Scenario, auth_method_name};
use crate::config::{ClientRegistration, Config};
use crate::error::Error;
use crate::server::MockServer;

/// Most bytes of the client's stdout (and of its stderr) kept for the report.
pub const MAX_OUTPUT_BYTES: usize = 4096;
/// Journal entries kept per scenario (a retry storm is still counted).
const JOURNAL_CAPACITY: usize = 8192;

/// The environment of one client run (the client contract).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientEnv {
    /// `OAUTH_TOKEN_URL`.
    pub token_url: String,
    /// `OAUTH_CLIENT_ID`.
    pub client_id: String,
    /// `OAUTH_CLIENT_SECRET` (a throw-away secret of the scenario).
    pub client_secret: String,
    /// `OAUTH_AUTH_METHOD`: `client_secret_basic` or `client_secret_post`.
    pub auth_method: String,
    /// `OAUTH_SCOPES`: space-delimited; empty means request none.
    pub scopes: String,
    /// `OAUTH_RESOURCE_URL`.
    pub resource_url: String,
    /// `OAUTH_CALLS` (at least one).
    pub calls: u32,
    /// `OAUTH_CALL_INTERVAL_MS`.
    pub call_interval: Duration,
    /// `OAUTH_TIMEOUT_MS`.
    pub timeout: Duration,
    /// `OAUTH_SCENARIO`.
    pub scenario: String,
}

impl ClientEnv {
    /// The variables, as set for a client command.
    #[must_use]
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("OAUTH_TOKEN_URL", self.token_url.clone()),
            ("OAUTH_CLIENT_ID", self.client_id.clone()),
            ("OAUTH_CLIENT_SECRET", self.client_secret.clone()),
            ("OAUTH_AUTH_METHOD", self.auth_method.clone()),
            ("OAUTH_SCOPES", self.scopes.clone()),
            ("OAUTH_RESOURCE_URL", self.resource_url.clone()),
            ("OAUTH_CALLS", self.calls.to_string()),
            (
                "OAUTH_CALL_INTERVAL_MS",
                self.call_interval.as_millis().to_string(),
            ),
            ("OAUTH_TIMEOUT_MS", self.timeout.as_millis().to_string()),
            ("OAUTH_SCENARIO", self.scenario.clone()),
        ]
    }
}

/// A client run in this process: gets the environment, returns its exit
/// status. Dropped (cancelled) at the time bound.
pub type InProcessClient =
    Arc<dyn Fn(ClientEnv) -> Pin<Box<dyn Future<Output = i32> + Send>> + Send + Sync>;

/// The client being judged.
#[derive(Clone)]
#[non_exhaustive]
pub enum ClientUnderTest {
    /// A program and its arguments (no shell), run with the contract's
    /// environment added to the runner's.
    Command(Vec<String>),
    /// A future in this process (tests, and clients written in Rust).
    InProcess(InProcessClient),
}

impl std::fmt::Debug for ClientUnderTest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Command(argv) => f.debug_tuple("Command").field(argv).finish(),
            Self::InProcess(_) => f.write_str("InProcess"),
        }
    }
}

/// Bounds of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunOptions {
    /// Per-scenario time bound; the client is killed past it.
    pub bound: Duration,
    /// `OAUTH_TIMEOUT_MS`: how long a client should wait for one request.
    pub client_timeout: Duration,
}

impl RunOptions {
    /// A bound, and a client timeout of a sixth of it (between 0.5 s and 5 s).
    #[must_use]
    pub fn with_bound(bound: Duration) -> Self {
        Self {
            bound,
            client_timeout: (bound / 6).clamp(Duration::from_millis(500), Duration::from_secs(5)),
        }
    }

    /// Sets `OAUTH_TIMEOUT_MS`.
    #[must_use]
    pub fn with_client_timeout(mut self, timeout: Duration) -> Self {
        self.client_timeout = timeout;
        self
    }
}

impl Default for RunOptions {
    /// 30 s per scenario, 5 s per request.
    fn default() -> Self {
        Self::with_bound(Duration::from_secs(30))
    }
}

/// How one scenario went.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ScenarioRun {
    /// The scenario id.
    pub id: &'static str,
    /// Its title.
    pub title: &'static str,
    /// The exit status, when it exited on its own.
    pub exit_code: Option<i32>,
    /// Killed at the time bound.
    pub timed_out: bool,
    /// Wall time of the client.
    #[serde(rename = "elapsed_ms", serialize_with = "millis")]
    pub elapsed: Duration,
    /// Requests to the token endpoint.
    pub token_requests: usize,
    /// Requests to the protected resource.
    pub resource_requests: usize,
    /// Connections to the redirect target.
    pub redirect_hits: usize,
    /// Every check, in report order.
    pub checks: Vec<CheckResult>,
    /// The start of the client's stdout (lossy UTF-8).
    pub stdout: String,
    /// The start of the client's stderr (lossy UTF-8).
    pub stderr: String,
    /// Processes the client left running outside its process group (with
    /// `setsid`, say) that the runner found and killed; Linux only.
    #[serde(skip_serializing_if = "is_zero")]
    pub stray_processes: usize,
    /// A process the client started still held its stdout or stderr open
    /// when the runner stopped waiting for them (at the time bound): the
    /// output above is what arrived before.
    #[serde(skip_serializing_if = "is_false")]
    pub output_held_open: bool,
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's signature")]
fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's signature")]
fn is_false(b: &bool) -> bool {
    !*b
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Runs the scenarios one after the other.
pub async fn run(
    scenarios: &[&'static Scenario],
    client: &ClientUnderTest,
    options: RunOptions,
) -> Result<Vec<ScenarioRun>, Error> {
    let mut runs = Vec::with_capacity(scenarios.len());
    for scenario in scenarios {
        runs.push(run_scenario(scenario, client, options).await?);
    }
    Ok(runs)
}

/// Runs and judges one scenario.
pub async fn run_scenario(
    scenario: &'static Scenario,
    client: &ClientUnderTest,
    options: RunOptions,
) -> Result<ScenarioRun, Error> {
    // A scenario that requests no scope gets the client's default: `read`.
    let mut scopes: Vec<&str> = scenario.scope_list().collect();
    if scopes.is_empty() {
        scopes.push("read");
    }
    let registration = ClientRegistration::new(scenario.client_id, scenario.secret)
        .with_scopes(scopes.iter().copied())
        .with_default_scopes(scopes.iter().copied())
        .with_auth_method(scenario.auth_method);
    let config = Config {
        token_lifetime_secs: scenario.token_lifetime.as_secs().max(1),
        journal_capacity: JOURNAL_CAPACITY,
        // Failed authentications must stay invalid_client, not turn into
        // 429s: the checks count what the client does with invalid_client.
        lockout_failures: 0,
        clients: vec![registration],
        ..Config::default()
    };
    let server = MockServer::builder().config(config).start().await?;
    let trap = RedirectTrap::start().await?;
    for rule in (scenario.faults)(&trap.url) {
        server.push_fault(rule);
    }
    let env = ClientEnv {
        token_url: server.token_url(),
        client_id: scenario.client_id.to_owned(),
        client_secret: scenario.secret.to_owned(),
        auth_method: auth_method_name(scenario.auth_method).to_owned(),
        scopes: scenario.scopes.to_owned(),
        resource_url: server.resource_url(),
        calls: scenario.calls,
        call_interval: scenario.interval,
        timeout: options.client_timeout,
        scenario: scenario.id.to_owned(),
    };
    let started = Instant::now();
    let finished = match client {
        ClientUnderTest::Command(argv) => run_command(argv.clone(), env, options.bound).await,
        ClientUnderTest::InProcess(run) => {
            match tokio::time::timeout(options.bound, run(env)).await {
                Ok(code) => Finished::exited(Exit::Code(code)),
                Err(_) => Finished::exited(Exit::TimedOut),
            }
        }
    };
    let elapsed = started.elapsed();
    let journal = server.journal();
    let redirect_hits = trap.hits();
    let evidence = Evidence {
        scenario,
        journal: &journal,
        token_requests_seen: server.token_requests(),
        redirect_hits,
        exit: finished.exit.clone(),
        elapsed,
        bound: options.bound,
    };
    let checks = check::evaluate(&evidence);
    let run = ScenarioRun {
        id: scenario.id,
        title: scenario.title,
        exit_code: match finished.exit {
            Exit::Code(code) => Some(code),
            _ => None,
        },
        timed_out: finished.exit == Exit::TimedOut,
        elapsed,
        token_requests: evidence.token_count(),
        resource_requests: evidence.resource_count(),
        redirect_hits,
        checks,
        stdout: finished.stdout,
        stderr: finished.stderr,
        stray_processes: finished.stray_processes,
        output_held_open: finished.output_held_open,
    };
    drop(trap);
    // A hung request is answered on shutdown; do not wait for stragglers.
    let _ = tokio::time::timeout(Duration::from_secs(1), server.shutdown()).await;
    Ok(run)
}

async fn run_command(argv: Vec<String>, env: ClientEnv, bound: Duration) -> Finished {
    tokio::task::spawn_blocking(move || client_process::run(&argv, env.vars(), bound))
        .await
        .unwrap_or_else(|e| Finished::exited(Exit::SpawnFailed(e.to_string())))
}

/// A listener on another origin that counts connections: any hit means
/// the client followed a token-endpoint redirect (checklist C-50).
struct RedirectTrap {
    url: String,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl RedirectTrap {
    async fn start() -> Result<Self, Error> {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind {
                addr: addr.to_string(),
                source,
            })?;
        let url = format!("http://{}", listener.local_addr()?);
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let _ = stream
                        .write_all(
                            b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        )
                        .await;
                });
            }
        });
        Ok(Self { url, hits, task })
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for RedirectTrap {
    fn drop(&mut self) {
        self.task.abort();
    }
}
