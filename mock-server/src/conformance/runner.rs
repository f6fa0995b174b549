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
use time::OffsetDateTime;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;

use super::check::{self, CheckResult, Evidence, Exit};
use super::client_process::{self, Finished};
use super::scenario::{Scenario, auth_method_name};
use super::{Finding, Verdict};
use crate::config::{ClientRegistration, Config};
use crate::error::Error;
use crate::journal::JournalEntry;
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
    /// `OAUTH_PRIVATE_KEY_FILE` (`private_key_jwt` only): a PKCS#8 PEM
    /// file the runner made for the scenario.
    pub private_key_file: Option<String>,
    /// `OAUTH_KEY_ID` (`private_key_jwt` only): the key's `kid`.
    pub key_id: Option<String>,
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
        .into_iter()
        .chain(
            self.private_key_file
                .clone()
                .map(|file| ("OAUTH_PRIVATE_KEY_FILE", file)),
        )
        .chain(self.key_id.clone().map(|kid| ("OAUTH_KEY_ID", kid)))
        .collect()
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
    /// Where the scenario is described, a path and anchor below
    /// [`super::reference::BASE`] (`docs/conformance-scenarios.md#basic-plain`).
    pub reference: String,
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
    /// Every request the provider answered, oldest first, to debug the
    /// client from the report.
    pub timeline: Vec<TimelineEntry>,
    /// Why the client command could not be started (the program and the OS
    /// error), when it could not: a setup problem, not a verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_error: Option<String>,
}

/// One request the provider answered during a scenario. Token values are
/// never in the report: tokens are numbered in the order the scenario's
/// provider issued them (1 is the first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TimelineEntry {
    /// When it arrived, in milliseconds since the client started.
    pub at_ms: u64,
    /// `token`, `resource`, or the request path (query values redacted).
    pub endpoint: String,
    /// The request method.
    pub method: String,
    /// The status served.
    pub status: u16,
    /// The fault served instead of the normal answer, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// A token answer that issued a token: the token's number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_token: Option<usize>,
    /// The request carried an `Authorization` header (a resource request
    /// presenting its token).
    pub token_presented: bool,
    /// When a token was presented: the number of the newest token issued
    /// before the request (the journal keeps no token value, so this is the
    /// token a conforming client holds, not proof of the one it sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newest_token: Option<usize>,
    /// When `issued_token` or `newest_token` is set: that token's expiry,
    /// in milliseconds since the client started (its issue time plus the
    /// scenario's token lifetime).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_expires_at_ms: Option<u64>,
    /// The request itself, as the journal recorded it (secrets redacted),
    /// when a failed or warned check cites it
    /// ([`CheckResult::requests`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<RecordedRequest>,
}

/// A request as the provider's journal recorded it: credential values
/// redacted by the journal's allowlist (see [`crate::JournalEntry`]), so a report
/// can be shared. Kept for the requests a failure or a warning cites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The request target, path and query (query values other than the
    /// known-safe parameters redacted).
    pub target: String,
    /// The headers in order, `[name, value]`; values other than the
    /// known-safe headers redacted, `Authorization` keeping its scheme.
    pub headers: Vec<(String, String)>,
    /// The decoded form body, `[name, value]`, if it was one (values other
    /// than the known-safe parameters redacted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<Vec<(String, String)>>,
    /// The OAuth `error` code the answer carried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why the provider refused it (the journal's `reason`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The request rules it broke or warned about.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// A client assertion's decoded header and claims, never its signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_assertion: Option<serde_json::Value>,
}

impl RecordedRequest {
    fn from_journal(entry: &JournalEntry) -> Self {
        Self {
            target: entry.path.clone(),
            headers: entry.headers.clone(),
            form: entry.form.clone(),
            error: entry.error.clone(),
            reason: entry.reason.clone(),
            findings: entry
                .findings
                .iter()
                .filter(|f| f.verdict != Verdict::Pass)
                .cloned()
                .collect(),
            client_assertion: entry.client_assertion.clone(),
        }
    }
}

/// Builds the timeline from the journal; `started` is when the client
/// started (on the provider's clock), `lifetime` the tokens' lifetime;
/// the entries the `checks` cite keep their request.
fn timeline(
    journal: &[JournalEntry],
    started: OffsetDateTime,
    lifetime: Duration,
    checks: &[CheckResult],
) -> Vec<TimelineEntry> {
    let since_start = |t: OffsetDateTime| {
        u64::try_from((t - started).whole_milliseconds().max(0)).unwrap_or(u64::MAX)
    };
    let lifetime_ms = u64::try_from(lifetime.as_millis()).unwrap_or(u64::MAX);
    // (number, issue time in ms) of the newest token issued so far.
    let mut newest: Option<(usize, u64)> = None;
    let mut issued = 0;
    let cited: std::collections::BTreeSet<usize> = checks
        .iter()
        .flat_map(|check| check.requests.iter().copied())
        .collect();
    journal
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let at_ms = since_start(entry.received_at);
            let endpoint = if entry.path.starts_with("/token") {
                "token".to_owned()
            } else if entry.path.starts_with("/resource") {
                "resource".to_owned()
            } else {
                entry.path.clone()
            };
            let token_presented = entry
                .headers
                .iter()
                .any(|(name, _)| name.eq_ignore_ascii_case("authorization"))
                && endpoint != "token";
            let issued_token =
                (endpoint == "token" && entry.status == 200 && entry.fault.is_none()).then(|| {
                    issued += 1;
                    newest = Some((issued, at_ms));
                    issued
                });
            let newest_token = if token_presented { newest } else { None };
            let shown = issued_token.map(|n| (n, at_ms)).or(newest_token);
            TimelineEntry {
                at_ms,
                endpoint,
                method: entry.method.clone(),
                status: entry.status,
                fault: entry.fault.clone(),
                issued_token,
                token_presented,
                newest_token: newest_token.map(|(n, _)| n),
                token_expires_at_ms: shown.map(|(_, t)| t.saturating_add(lifetime_ms)),
                request: cited
                    .contains(&index)
                    .then(|| RecordedRequest::from_journal(entry)),
            }
        })
        .collect()
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

/// The private key of a scenario's `private_key_jwt` client, in a file
/// readable by its owner only, removed when the scenario ends.
struct KeyFile {
    path: std::path::PathBuf,
    kid: String,
}

impl KeyFile {
    fn write(pem: &str, kid: String) -> Result<Self, Error> {
        let path = std::env::temp_dir().join(format!(
            "mock-server-conformance-{}-{:016x}.pem",
            std::process::id(),
            rand::random::<u64>()
        ));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        std::io::Write::write_all(&mut options.open(&path)?, pem.as_bytes())?;
        Ok(Self { path, kid })
    }
}

impl Drop for KeyFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The scenario's client, and for `private_key_jwt` the key file it is
/// handed: a fresh key, and the older keys of a rotation, registered by
/// their public JWKs.
fn register(
    scenario: &Scenario,
    scopes: &[&str],
) -> Result<(ClientRegistration, Option<KeyFile>), Error> {
    let mut registration = if scenario.secret.is_empty() {
        ClientRegistration::public(scenario.client_id)
    } else {
        ClientRegistration::new(scenario.client_id, scenario.secret)
    }
    .with_scopes(scopes.iter().copied())
    .with_default_scopes(scopes.iter().copied())
    .with_auth_method(scenario.auth_method);
    let mut key_file = None;
    if scenario.auth_method == auth_core::ClientAuthMethod::PrivateKeyJwt {
        for n in 0..scenario.client_keys.max(1) {
            let (pem, jwk) = crate::keys::generate_client_key()?;
            if let Ok(serde_json::Value::Object(object)) = serde_json::to_value(&jwk) {
                registration = registration.with_public_key(crate::ClientKey::Json(object));
            }
            if n == 0 {
                key_file = Some(KeyFile::write(&pem, jwk.kid.unwrap_or_default())?);
            }
        }
    }
    Ok((registration, key_file))
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

/// What a scenario run is doing, for a progress display
/// ([`run_scenario_observed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// Registering the client and starting its provider.
    Starting,
    /// The client is running (until it exits or the bound passes).
    Running,
    /// Evaluating the checks over the journal and the exit.
    Judging,
}

impl Phase {
    /// What a progress line says: `running the client`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "starting the provider",
            Self::Running => "running the client",
            Self::Judging => "judging the checks",
        }
    }
}

/// Runs and judges one scenario.
pub async fn run_scenario(
    scenario: &'static Scenario,
    client: &ClientUnderTest,
    options: RunOptions,
) -> Result<ScenarioRun, Error> {
    run_scenario_observed(scenario, client, options, &|_| {}).await
}

/// [`run_scenario`], telling `observe` each [`Phase`] as it begins.
pub async fn run_scenario_observed(
    scenario: &'static Scenario,
    client: &ClientUnderTest,
    options: RunOptions,
    observe: &(dyn Fn(Phase) + Send + Sync),
) -> Result<ScenarioRun, Error> {
    observe(Phase::Starting);
    // A scenario that requests no scope gets the client's default: `read`.
    let mut scopes: Vec<&str> = scenario.scope_list().collect();
    if scopes.is_empty() {
        scopes.push("read");
    }
    let (registration, key_file) = register(scenario, &scopes)?;
    let config = Config {
        token_lifetime_secs: scenario.token_lifetime.as_secs().max(1),
        journal_capacity: JOURNAL_CAPACITY,
        // Failed authentications must stay invalid_client, not turn into
        // 429s: the checks count what the client does with invalid_client.
        lockout_failures: 0,
        // The checks judge the client, which treats the token as opaque
        // either way: the fastest format.
        token_format: crate::config::TokenFormat::Opaque,
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
        private_key_file: key_file.as_ref().map(|k| k.path.display().to_string()),
        key_id: key_file.as_ref().map(|k| k.kid.clone()),
    };
    observe(Phase::Running);
    let started = Instant::now();
    let started_at = OffsetDateTime::now_utc();
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
    let issuer = server.url();
    let evidence = Evidence {
        issuer: &issuer,
        scenario,
        journal: &journal,
        token_requests_seen: server.token_requests(),
        redirect_hits,
        exit: finished.exit.clone(),
        elapsed,
        bound: options.bound,
    };
    observe(Phase::Judging);
    let checks = check::evaluate(&evidence);
    let run = ScenarioRun {
        id: scenario.id,
        title: scenario.title,
        reference: super::reference::scenario_link(scenario.id),
        exit_code: match finished.exit {
            Exit::Code(code) => Some(code),
            _ => None,
        },
        timed_out: finished.exit == Exit::TimedOut,
        elapsed,
        token_requests: evidence.token_count(),
        resource_requests: evidence.resource_count(),
        redirect_hits,
        stdout: finished.stdout,
        stderr: finished.stderr,
        stray_processes: finished.stray_processes,
        output_held_open: finished.output_held_open,
        start_error: match &finished.exit {
            Exit::SpawnFailed(error) => Some(error.clone()),
            _ => None,
        },
        timeline: timeline(
            &journal,
            started_at,
            Duration::from_secs(scenario.token_lifetime.as_secs().max(1)),
            &checks,
        ),
        checks,
    };
    drop(trap);
    // A hung request is answered on shutdown; do not wait for stragglers.
    let _ = tokio::time::timeout(Duration::from_secs(1), server.shutdown()).await;
    Ok(run)
}

/// Finds the program a client command would run, the way `execvp` (and
/// so [`std::process::Command`]) does on Unix: a name with a `/` is taken
/// as a path; a bare name is looked up in each `PATH` directory (an empty
/// entry is the current directory) and the first executable file wins.
/// Checking this before any scenario turns a typo into one setup error
/// instead of twenty failed scenarios; the client is not run to find out,
/// because a trial run outside a scenario could have side effects.
///
/// # Errors
///
/// `NotFound` when there is no such file (or none in `PATH`),
/// `PermissionDenied` when it is not an executable file; the message names
/// the command and, where there is one, the OS error. Elsewhere than Unix
/// only the path form is checked, for existence.
pub fn locate_program(program: &str) -> std::io::Result<std::path::PathBuf> {
    use std::io::{Error as IoError, ErrorKind};
    use std::path::{Path, PathBuf};
    let not_executable = |why: &str| {
        IoError::new(
            ErrorKind::PermissionDenied,
            format!("client command `{program}` is not executable ({why})"),
        )
    };
    let check = |path: &Path| -> std::io::Result<()> {
        let meta = std::fs::metadata(path).map_err(|e| {
            let problem = if e.kind() == ErrorKind::NotFound {
                "not found"
            } else {
                "cannot be run"
            };
            IoError::new(
                e.kind(),
                format!("client command `{program}` {problem}: {e}"),
            )
        })?;
        if meta.is_dir() {
            return Err(not_executable("it is a directory"));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            if meta.permissions().mode() & 0o111 == 0 {
                return Err(not_executable("no execute permission"));
            }
        }
        Ok(())
    };
    if program.is_empty() {
        return Err(IoError::new(
            ErrorKind::NotFound,
            "client command is empty".to_owned(),
        ));
    }
    if program.contains('/') || (cfg!(windows) && program.contains('\\')) {
        let path = PathBuf::from(program);
        check(&path)?;
        return Ok(path);
    }
    if !cfg!(unix) {
        // Windows searches more than PATH (PATHEXT, the system folders):
        // left to the spawn.
        return Ok(PathBuf::from(program));
    }
    let mut denied = None;
    for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let candidate = dir.join(program);
        match check(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == ErrorKind::PermissionDenied => {
                denied.get_or_insert(e);
            }
            Err(_) => {}
        }
    }
    // As execvp: a match without permission is reported over no match.
    Err(denied.unwrap_or_else(|| {
        IoError::new(
            ErrorKind::NotFound,
            format!("client command `{program}` not found in PATH"),
        )
    }))
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
