//! `mock-server`: the conformance OAuth provider as a dev server.
//!
//! Built with the `cli` feature (so a library user compiles no clap):
//! `cargo run -p mock-server --features cli -- --help`. Examples:
//! docs/quickstart.md.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use mock_server::conformance::baseline::Baseline;
use mock_server::conformance::progress::Terminal;
use mock_server::conformance::reference;
use mock_server::conformance::report::Report;
use mock_server::conformance::runner::{self, ClientUnderTest, RunOptions};
use mock_server::conformance::scenario::{self, Suite};
use mock_server::{AdminToken, Config, MetricsToken, MockServer, MockServerBuilder, Tls};

/// `println!` that ignores a closed stdout: the server must outlive whoever
/// read its ready line.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// A strict, fast conformance OAuth 2.0 provider (client credentials).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

impl Cli {
    /// The command line `args` (the program's name first), `env` reading
    /// the environment; on a usage error, `--help` or `--version`, prints
    /// clap's text and exits as clap does.
    fn from_args_os(args: Vec<OsString>, env: impl Fn(&str) -> Option<OsString>) -> Self {
        match ServeArgs::plain(&args, env) {
            Some(serve) => Self {
                command: None,
                serve,
            },
            None => Self::parse_from(args),
        }
    }
}

// Deferred: the subcommands' flags are built only when one is named, not
// for every `mock-server --addr ...` start (docs/performance.md, Start-up).
#[derive(Debug, Subcommand)]
#[command(defer = true)]
enum Command {
    /// Serve the provider (the default).
    // Boxed: the serve flags outweigh the conformance ones (clippy
    // `large_enum_variant`).
    Serve(Box<ServeArgs>),
    /// Judge an OAuth 2.0 client-credentials client: run it against
    /// scenarios and print a verdict, with its RFC section, for every check.
    #[command(after_long_help = CONFORMANCE_HELP)]
    Conformance(ConformanceArgs),
}

/// The client contract and exit statuses, under `conformance --help`.
const CONFORMANCE_HELP: &str = "\
The client command runs once per scenario, with these environment variables:
  OAUTH_TOKEN_URL, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET,
  OAUTH_AUTH_METHOD (client_secret_basic | client_secret_post),
  OAUTH_SCOPES (space-delimited, may be empty), OAUTH_RESOURCE_URL,
  OAUTH_CALLS, OAUTH_CALL_INTERVAL_MS, OAUTH_TIMEOUT_MS, OAUTH_SCENARIO.
It gets a token, calls the resource OAUTH_CALLS times with
`Authorization: Bearer`, exits 0 when every call succeeded and non-zero on an
unrecoverable error (docs/conformance.md). OAUTH_TIMEOUT_MS is a sixth of
--timeout-secs, between 0.5 and 5 s.

Exit status: 0 when no MUST check fails (other than baseline entries), 1 when
one does, 2 on usage or setup errors (a client program that is missing or
not executable is one: it is looked up before any scenario runs). Baseline: lines of `scenario-id check-id`;
an entry that no longer fails is reported as stale (a warning).";

#[derive(Debug, clap::Args)]
struct ConformanceArgs {
    /// Scenario set: `all`, `quick`, or `secret` (no client assertion).
    #[arg(long, value_enum, default_value_t = SuiteArg::All)]
    suite: SuiteArg,
    /// Run only this scenario (repeatable; overrides --suite).
    #[arg(long = "scenario", value_name = "ID")]
    scenarios: Vec<String>,
    /// Write the JSON report here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write the JUnit-format XML report here.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write the HTML report here: one self-contained page, a scenario x
    /// check grid and each failure with the requests that caused it.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Expected failures: lines of `scenario-id check-id`.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Per-scenario time bound; the client is killed past it.
    #[arg(long, value_name = "N", default_value_t = 30)]
    timeout_secs: u64,
    /// Show only the failed checks (and their scenarios) in the table; the
    /// summary line still counts every check.
    #[arg(long)]
    failures_only: bool,
    /// List the scenarios and exit.
    #[arg(long)]
    list: bool,
    /// Print the rule or scenario reference (the Markdown of
    /// docs/conformance-rules.md or docs/conformance-scenarios.md) and exit.
    #[arg(long, value_enum, value_name = "WHICH")]
    reference: Option<ReferenceArg>,
    /// The client command and its arguments (after `--`).
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ReferenceArg {
    Rules,
    Scenarios,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SuiteArg {
    /// Every scenario.
    All,
    /// The handful that matter most.
    Quick,
    /// Every scenario with a secret-based method (no client assertion).
    Secret,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "MOCK_SERVER_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// TOML configuration file (default: the embedded configuration).
    #[arg(long, env = "MOCK_SERVER_CONFIG")]
    config: Option<PathBuf>,
    /// Serve https with a certificate made at start (or the files given).
    #[arg(long)]
    tls: bool,
    /// PEM certificate chain to serve (with --tls-key; implies --tls).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Where to write the PEM of the generated CA, for clients to trust.
    #[arg(long)]
    ca_out: Option<PathBuf>,
    /// Threads serving connections, each with its own event loop; accepted
    /// connections are dealt to them in turn. One serves ~70k tokens/s and
    /// keeps the tail latency low when the clients under test share the
    /// cores; more help a load generator on other cores.
    #[arg(long, env = "MOCK_SERVER_WORKERS", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    workers: u16,
    /// Bearer token the admin API (`/_mock/`) requires from every peer.
    /// Without one, only loopback peers may use it. Prefer the environment
    /// variable: arguments show in `ps`.
    #[arg(
        long,
        env = "MOCK_ADMIN_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    admin_token: Option<String>,
    /// One more `Host` the admin API accepts, `name` or `name:port`
    /// (repeatable): a container name, a port mapped to another number.
    #[arg(long = "admin-host", value_name = "HOST")]
    admin_hosts: Vec<String>,
    /// Read-only bearer token for a metrics scraper: it opens
    /// `GET /_mock/metrics` and nothing else. Prefer the environment
    /// variable: arguments show in `ps`.
    #[arg(
        long,
        env = "MOCK_METRICS_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    metrics_token: Option<String>,
    /// A network (CIDR, or one address) whose peers may read
    /// `GET /_mock/metrics` without a token (repeatable).
    #[arg(long = "metrics-scraper", value_name = "CIDR")]
    metrics_scrapers: Vec<String>,
    /// Most connections open at once (default 1024); more are closed at once.
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
    /// Time for a request head to arrive, in milliseconds (default 10000).
    #[arg(long, value_name = "MS")]
    header_timeout_ms: Option<u64>,
    /// Time for a request body to arrive, in milliseconds (default 10000).
    #[arg(long, value_name = "MS")]
    body_timeout_ms: Option<u64>,
    /// How long a kept-alive connection may wait for its next request, in
    /// milliseconds (default 120000).
    #[arg(long, value_name = "MS")]
    idle_timeout_ms: Option<u64>,
    /// How long an answer's write may make no progress before the
    /// connection is dropped, in milliseconds (default 10000).
    #[arg(long, value_name = "MS")]
    write_timeout_ms: Option<u64>,
    /// The form of issued tokens: `jwt` (RFC 9068, the default) or
    /// `opaque` (HMAC, the fastest).
    #[arg(long, env = "MOCK_SERVER_TOKEN_FORMAT", value_name = "FORMAT")]
    token_format: Option<String>,
    /// The JWT signing algorithm: `RS256` (default), `ES256` or `EdDSA`.
    #[arg(long, env = "MOCK_SERVER_SIGNING_ALG", value_name = "ALG")]
    signing_alg: Option<String>,
}

/// The flags [`ServeArgs::plain`] takes, `--NAME VALUE` or `--NAME=VALUE`,
/// each with the environment variable clap reads when it is not given.
const PLAIN_FLAGS: [(&str, &str); 5] = [
    ("addr", "MOCK_SERVER_ADDR"),
    ("config", "MOCK_SERVER_CONFIG"),
    ("workers", "MOCK_SERVER_WORKERS"),
    ("token-format", "MOCK_SERVER_TOKEN_FORMAT"),
    ("signing-alg", "MOCK_SERVER_SIGNING_ALG"),
];

/// Environment variables of flags the plain path does not take: with one
/// set, the start goes to clap.
const PLAIN_DECLINES_ENV: [&str; 2] = ["MOCK_ADMIN_TOKEN", "MOCK_METRICS_TOKEN"];

impl ServeArgs {
    /// A plain start (`mock-server --addr 127.0.0.1:0 --token-format
    /// opaque`: the flags of [`PLAIN_FLAGS`], each once, with values clap
    /// takes as they are) parsed without clap, which builds its 18 flags,
    /// their help and its parser first (0.12-0.15 ms of a 1.3 ms start:
    /// docs/performance.md, Start-up). The result is what clap makes of
    /// the same line (a test compares them); anything else, help, a
    /// subcommand, another flag, a repeated one, a value that is empty,
    /// starts with `-` or does not parse, is `None`, for clap to parse
    /// with its own errors.
    fn plain(args: &[OsString], env: impl Fn(&str) -> Option<OsString>) -> Option<Self> {
        // Flags the plain path does not take, set from the environment.
        if PLAIN_DECLINES_ENV.iter().any(|var| env(var).is_some()) {
            return None;
        }
        let mut values: [Option<String>; PLAIN_FLAGS.len()] = Default::default();
        let mut rest = args.get(1..)?.iter();
        while let Some(arg) = rest.next() {
            let flag = arg.to_str()?.strip_prefix("--")?;
            let (name, value) = match flag.split_once('=') {
                Some((name, value)) => (name, value),
                None => (flag, rest.next()?.to_str()?),
            };
            let slot = PLAIN_FLAGS.iter().position(|(flag, _)| *flag == name)?;
            if values[slot].replace(value.to_owned()).is_some() {
                return None;
            }
        }
        for ((_, var), value) in PLAIN_FLAGS.iter().zip(&mut values) {
            if value.is_none() {
                *value = env(var).map(OsString::into_string).transpose().ok()?;
            }
        }
        if values
            .iter()
            .flatten()
            .any(|v| v.is_empty() || v.starts_with('-'))
        {
            return None;
        }
        let [addr, config, workers, token_format, signing_alg] = values;
        let addr = match addr {
            Some(addr) => addr.parse().ok()?,
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        let workers = match workers {
            // clap takes a sign and more; those go to it.
            Some(n) if n.bytes().all(|b| b.is_ascii_digit()) => {
                n.parse().ok().filter(|&n| n >= 1)?
            }
            Some(_) => return None,
            None => 1,
        };
        Some(Self {
            addr,
            config: config.map(PathBuf::from),
            tls: false,
            tls_cert: None,
            tls_key: None,
            ca_out: None,
            workers,
            admin_token: None,
            admin_hosts: Vec::new(),
            metrics_token: None,
            metrics_scrapers: Vec::new(),
            max_connections: None,
            header_timeout_ms: None,
            body_timeout_ms: None,
            idle_timeout_ms: None,
            write_timeout_ms: None,
            token_format,
            signing_alg,
        })
    }

    /// The flags given override the configuration file. The result is
    /// validated once, by [`MockServerBuilder::start`](mock_server::MockServerBuilder::start).
    fn apply(&self, config: &mut Config) -> Result<(), mock_server::ConfigError> {
        if let Some(token) = &self.admin_token {
            config.admin_token = Some(AdminToken::new(token.clone())?);
        }
        config.admin_hosts.extend(self.admin_hosts.iter().cloned());
        if let Some(token) = &self.metrics_token {
            config.metrics_token = Some(MetricsToken::new(token.clone())?);
        }
        config
            .metrics_scrapers
            .extend(self.metrics_scrapers.iter().cloned());
        let overrides = [
            (&mut config.header_timeout_ms, self.header_timeout_ms),
            (&mut config.body_timeout_ms, self.body_timeout_ms),
            (&mut config.idle_timeout_ms, self.idle_timeout_ms),
            (&mut config.write_timeout_ms, self.write_timeout_ms),
        ];
        for (field, value) in overrides {
            if let Some(value) = value {
                *field = value;
            }
        }
        if let Some(max) = self.max_connections {
            config.max_connections = max;
        }
        if let Some(format) = &self.token_format {
            config.token_format = match format.as_str() {
                "jwt" => mock_server::TokenFormat::Jwt,
                "opaque" => mock_server::TokenFormat::Opaque,
                _ => {
                    return Err(mock_server::ConfigError {
                        field: "token_format".to_owned(),
                        reason: "must be jwt or opaque".to_owned(),
                    });
                }
            };
        }
        if let Some(alg) = &self.signing_alg {
            config.signing_alg =
                alg.parse()
                    .map_err(|e: auth_core::jose::JwsError| mock_server::ConfigError {
                        field: "signing_alg".to_owned(),
                        reason: e.to_string(),
                    })?;
        }
        Ok(())
    }
}

/// Errors are printed with `Display` (the `Debug` a `Result` from `main`
/// would print shows escaped newlines and `Os { code: 98, .. }`), each
/// source after the layer above it, as curl and git print theirs.
fn main() -> ExitCode {
    let cli = Cli::from_args_os(std::env::args_os().collect(), |name| std::env::var_os(name));
    let args = match cli.command {
        Some(Command::Serve(args)) => *args,
        Some(Command::Conformance(args)) => {
            // Scenarios run clients and wait on them: the default runtime.
            return match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime.block_on(conformance(args)),
                Err(error) => {
                    eprintln!("mock-server conformance: cannot start the runtime: {error}");
                    ExitCode::from(EXIT_USAGE)
                }
            };
        }
        None => cli.serve,
    };
    // One worker thread here (the main thread only waits for Ctrl-C); more
    // workers are threads of their own, each with its own runtime
    // (`MockServerBuilder::workers`).
    let served = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .on_thread_start(make_thread_rng)
        .enable_all()
        .build()
        .map_err(|source| -> BoxError { Box::new(StartError::Runtime(source)) })
        .and_then(|runtime| runtime.block_on(serve(args)));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mock-server: {}", chain(&*error));
            ExitCode::FAILURE
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Each runtime thread makes its random number generator as it starts,
/// before it serves anything: the token endpoint draws every token's `jti`
/// from it, and its first use detects the CPU's features (35-70 µs on a VM,
/// where CPUID traps to the hypervisor). Made here, on a worker that waits
/// for its first connection anyway, it is made while the main thread
/// still builds the state, not during the first token request
/// (docs/performance.md, Start-up).
fn make_thread_rng() {
    drop(rand::rng());
}

/// Why the server did not start, as the binary tells a person.
#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
    #[error("cannot read config file {path}")]
    ReadConfig {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A TOML error: the path, line and column as editors and compilers
    /// print them (`file:line:column`); the source shows the snippet.
    #[error("invalid config file {path}:{line}:{column}")]
    ConfigSyntax {
        path: String,
        line: usize,
        column: usize,
        #[source]
        source: toml::de::Error,
    },
    #[error("invalid config file {path}")]
    Config {
        path: String,
        #[source]
        source: BoxError,
    },
    #[error("invalid setting")]
    Setting(#[source] mock_server::ConfigError),
    #[error("address {addr} is already in use (try --addr {free})")]
    AddrInUse { addr: SocketAddr, free: SocketAddr },
}

/// `error` and its sources, each after the layer above it: on the same
/// line after `: `, or on the next lines when it spans several (the TOML
/// snippet). A source whose text the layer above already shows is skipped.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        let text = text.trim_end();
        if !out.contains(text) {
            out.push_str(if text.contains('\n') { ":\n" } else { ": " });
            out.push_str(text);
        }
        source = cause.source();
    }
    out
}

/// Reads and parses the config file at `path`.
async fn load_config(path: &std::path::Path) -> Result<Config, StartError> {
    let shown = path.display().to_string();
    let text = tokio::fs::read_to_string(path)
        .await
        .map_err(|source| StartError::ReadConfig {
            path: shown.clone(),
            source,
        })?;
    Config::from_toml(&text).map_err(|error| match error {
        mock_server::Error::Toml(source) => {
            let (line, column) = source
                .span()
                .map_or((1, 1), |span| line_column(&text, span.start));
            StartError::ConfigSyntax {
                path: shown,
                line,
                column,
                source,
            }
        }
        mock_server::Error::Config(source) => StartError::Config {
            path: shown,
            source: Box::new(source),
        },
        other => StartError::Config {
            path: shown,
            source: Box::new(other),
        },
    })
}

/// One-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before.get(line_start..).map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Exit status of a usage or setup error.
const EXIT_USAGE: u8 = 2;

async fn conformance(args: ConformanceArgs) -> ExitCode {
    match run_conformance(args).await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("mock-server conformance: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

async fn run_conformance(args: ConformanceArgs) -> Result<ExitCode, String> {
    if args.list {
        for scenario in scenario::SCENARIOS {
            let quick = if scenario.quick { " (quick)" } else { "" };
            say!("{:<24} {}{quick}", scenario.id, scenario.title);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(which) = args.reference {
        say!(
            "{}",
            match which {
                ReferenceArg::Rules => reference::rules_markdown(),
                ReferenceArg::Scenarios => reference::scenarios_markdown(),
            }
            .trim_end()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if args.command.is_empty() {
        return Err("no client command: give it after `--`".to_owned());
    }
    if args.timeout_secs == 0 {
        return Err("--timeout-secs must be at least 1".to_owned());
    }
    if let Some(program) = args.command.first() {
        runner::locate_program(program).map_err(|e| e.to_string())?;
    }
    let (suite, scenarios) = if args.scenarios.is_empty() {
        let suite = match args.suite {
            SuiteArg::All => Suite::All,
            SuiteArg::Quick => Suite::Quick,
            SuiteArg::Secret => Suite::Secret,
        };
        (suite.as_str(), suite.scenarios())
    } else {
        let picked = args
            .scenarios
            .iter()
            .map(|id| {
                scenario::find(id).ok_or_else(|| format!("unknown scenario {id:?} (see --list)"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        ("custom", picked)
    };
    let baseline = match &args.baseline {
        Some(path) => {
            let text = tokio::fs::read_to_string(path)
                .await
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Baseline::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => Baseline::default(),
    };
    let options = RunOptions::with_bound(Duration::from_secs(args.timeout_secs));
    let client = ClientUnderTest::Command(args.command.clone());
    let mut runs = Vec::with_capacity(scenarios.len());
    let progress = Progress::new(scenarios.len(), Terminal::detect().shows_progress());
    for (n, scenario) in scenarios.iter().copied().enumerate() {
        progress.scenario(n + 1);
        let run = runner::run_scenario_observed(scenario, &client, options, &|phase| {
            progress.phase(scenario.id, phase);
        })
        .await
        .map_err(|e| format!("cannot start the provider: {e}"))?;
        // A client that cannot be started (a missing interpreter, a bad
        // executable format) would fail every scenario alike: stop.
        if let Some(error) = &run.start_error {
            return Err(format!(
                "the client command could not be started (scenario {}): {error}",
                run.id
            ));
        }
        runs.push(run);
    }
    drop(progress);
    let report = Report::new(suite, args.command, runs, &baseline);
    let table = if args.failures_only {
        report.to_failures_table()
    } else {
        report.to_table()
    };
    say!("{}", table.trim_end());
    if let Some(path) = &args.json {
        tokio::fs::write(path, report.to_json() + "\n")
            .await
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    if let Some(path) = &args.junit {
        tokio::fs::write(path, report.to_junit())
            .await
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    if let Some(path) = &args.html {
        tokio::fs::write(path, report.to_html())
            .await
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(ExitCode::from(
        u8::try_from(report.exit_status()).unwrap_or(1),
    ))
}

/// The runner's progress line on stderr (`[3/20] short-lifetime: running
/// the client 2s`), when [`Terminal::shows_progress`]; erased when dropped,
/// before the report or an error is printed.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(total: usize, shown: bool) -> Self {
        Self(shown.then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(u64::try_from(total).unwrap_or(u64::MAX)),
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("[{pos}/{len}] {wide_msg} {elapsed}")
            {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(250));
            bar
        }))
    }

    /// Scenario `n` (from 1) begins: its own elapsed time.
    fn scenario(&self, n: usize) {
        if let Some(bar) = &self.0 {
            bar.set_position(u64::try_from(n).unwrap_or(u64::MAX));
            bar.reset_elapsed();
        }
    }

    fn phase(&self, scenario: &str, phase: runner::Phase) {
        if let Some(bar) = &self.0 {
            bar.set_message(format!("{scenario}: {}", phase.as_str()));
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), BoxError> {
    let mut config = match &args.config {
        Some(path) => load_config(path).await?,
        None => Config::embedded(),
    };
    args.apply(&mut config).map_err(StartError::Setting)?;
    let open_admin = config.admin_token.is_none();
    let lockout = lockout_line(&config);
    let (format, alg, embedded) = (
        config.token_format,
        config.signing_alg,
        config.keys == mock_server::Keys::Embedded,
    );
    // Listen before announcing readiness, so an early Ctrl-C is not lost.
    let mut interrupts = Interrupts::install()?;
    let mut builder = MockServerBuilder::from_config(config)
        .addr(args.addr)
        .workers(usize::from(args.workers));
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        builder = builder.tls(Tls::Files {
            cert: cert.clone(),
            key: key.clone(),
        });
    } else if args.tls || args.ca_out.is_some() {
        builder = builder.tls(Tls::SelfSigned);
    }
    let server = builder.start().await.map_err(|error| match error {
        mock_server::Error::Bind { source, .. }
            if source.kind() == std::io::ErrorKind::AddrInUse =>
        {
            Box::new(StartError::AddrInUse {
                addr: args.addr,
                free: SocketAddr::new(args.addr.ip(), 0),
            }) as BoxError
        }
        // The embedded configuration and a loaded file are valid: what
        // `start` refuses, the flags set.
        mock_server::Error::Config(source) => Box::new(StartError::Setting(source)),
        other => Box::new(other),
    })?;
    if let (Some(path), Some(pem)) = (&args.ca_out, server.ca_pem()) {
        tokio::fs::write(path, pem)
            .await
            .map_err(|e| format!("cannot write the CA to {}: {e}", path.display()))?;
    }
    if open_admin && !server.local_addr().ip().is_loopback() {
        eprintln!(
            "mock-server: listening on {} beyond loopback without an admin token: \
             OAuth is served to every peer, the admin API /_mock/ to loopback peers only \
             (set --admin-token or MOCK_ADMIN_TOKEN to open it to others)",
            server.local_addr()
        );
    }
    // The whole banner, ready line first, in one write: once it is out the
    // main thread parks, and the cores are the worker's and the first
    // client's (printing line by line kept a third thread busy while the
    // first requests came in).
    let mut banner = format!(
        "mock-server ready on {} token endpoint {}\nmetadata: {}  resource: {}\n{lockout}\n{}\n\
         registered clients (dev mock: these secrets are not secret):",
        server.url(),
        server.token_url(),
        server.metadata_url(),
        server.resource_url(),
        tokens_line(&server, format, alg, embedded)
    );
    for client in server.clients() {
        let secret = client.expose_secret().unwrap_or("(public client)");
        let defaults = match client.default_scopes() {
            [] => "(none)".to_owned(),
            scopes => scopes.join(" "),
        };
        let _ = write!(
            banner,
            "\n  {:<16} secret={secret:<24} auth={} scopes={} default_scopes={defaults}",
            client.id(),
            client.auth_method_name(),
            client.scopes().join(" "),
        );
    }
    say!("{banner}");
    interrupts.next().await;
    // Requests in flight get up to 5 s to finish; a second Ctrl-C does not
    // wait for them (as docker compose and most dev servers do).
    say!("shutting down (Ctrl-C again to stop at once)");
    tokio::select! {
        () = server.shutdown() => {}
        () = interrupts.next() => say!("stopped without waiting for requests in flight"),
    }
    Ok(())
}

/// The start-up line naming the token format, and for JWTs the signing
/// key, saying so when it is the published development key.
fn tokens_line(
    server: &MockServer,
    format: mock_server::TokenFormat,
    alg: auth_core::jose::Algorithm,
    embedded: bool,
) -> String {
    if format == mock_server::TokenFormat::Opaque {
        return format!(
            "tokens: opaque (HMAC, checked by the mock only: introspection {})",
            server.introspection_url()
        );
    }
    let key = if embedded {
        " (the development key published with the mock: public, for local use only)"
    } else {
        ""
    };
    format!(
        "tokens: RFC 9068 JWT signed {alg} with kid {}{key}  jwks: {}",
        server.signing_kid(),
        server.jwks_url()
    )
}

/// The start-up line telling when a client gets locked out: the first
/// surprise of a newcomer trying wrong secrets (docs/mock-server.md,
/// Brute-force lockout).
fn lockout_line(config: &Config) -> String {
    if config.lockout_failures == 0 {
        return "lockout: off (lockout_failures = 0)".to_owned();
    }
    let window = config.lockout_window_secs;
    format!(
        "lockout: {} failed authentications per client id and source within {window} s, \
         then 429 for {window} s",
        config.lockout_failures
    )
}

/// Ctrl-C (SIGINT) and SIGTERM, each time they come; the handlers are
/// installed by [`Interrupts::install`].
#[cfg(unix)]
struct Interrupts {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Interrupts {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    /// Resolves on the next one.
    async fn next(&mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
    }
}

/// Ctrl-C, each time it comes.
#[cfg(not(unix))]
struct Interrupts;

#[cfg(not(unix))]
impl Interrupts {
    #[allow(
        clippy::unnecessary_wraps,
        reason = "the same signature as on unix, where installing can fail"
    )]
    fn install() -> std::io::Result<Self> {
        Ok(Self)
    }

    /// Resolves on the next one.
    async fn next(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use clap::{CommandFactory as _, Parser as _};

    use super::{Cli, Command};

    fn os_args(args: &[&str]) -> Vec<OsString> {
        std::iter::once("mock-server")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn a_plain_start_is_parsed_without_building_the_clap_command() {
        // What the start-up bench runs. clap builds its 18 top-level
        // flags (about 90 allocations) to parse it; the plain path makes
        // only the strings it returns.
        let args = os_args(&["--addr", "127.0.0.1:0", "--token-format", "opaque"]);
        let mut cli = None;
        let used = allocation_counter::measure(|| {
            cli = Some(Cli::from_args_os(args, |_| None));
        });
        assert!(used.count_total <= 4, "{} allocations", used.count_total);
        let serve = cli.map(|cli| cli.serve);
        assert_eq!(serve.as_ref().map(|s| s.addr.port()), Some(0));
        assert_eq!(
            serve.and_then(|s| s.token_format).as_deref(),
            Some("opaque")
        );
    }

    #[test]
    fn every_flag_clap_reads_from_the_environment_is_known_to_the_plain_path() {
        // A new flag with an environment variable must be taken by the
        // plain path or make it step aside, or its variable would be
        // ignored on a plain start.
        for arg in Cli::command().get_arguments() {
            if let Some(var) = arg.get_env().and_then(|v| v.to_str()) {
                assert!(
                    super::PLAIN_FLAGS.iter().any(|(_, plain)| *plain == var)
                        || super::PLAIN_DECLINES_ENV.contains(&var),
                    "{var}"
                );
            }
        }
    }

    #[test]
    fn a_plain_start_parses_as_clap_parses_it_or_is_left_to_clap() {
        let env = |name: &str| std::env::var_os(name);
        let plain: &[&[&str]] = &[
            &[],
            &["--addr", "127.0.0.1:0"],
            &["--addr=127.0.0.1:0", "--token-format=opaque"],
            &[
                "--addr",
                "[::1]:9000",
                "--workers",
                "2",
                "--signing-alg",
                "ES256",
            ],
            &["--config", "mock.toml", "--token-format", "jwt"],
            &["--workers", "007"],
            &["--token-format", "opaque", "--workers=1"],
        ];
        for args in plain {
            let line = os_args(args);
            let plain = super::ServeArgs::plain(&line, env).map(|serve| (true, serve));
            let clap = Cli::try_parse_from(&line)
                .ok()
                .map(|cli| (cli.command.is_none(), cli.serve));
            assert_eq!(format!("{plain:?}"), format!("{clap:?}"), "{args:?}");
            assert!(plain.is_some(), "{args:?}");
        }
        // Usage errors, help, subcommands, other flags: clap's.
        let left: &[&[&str]] = &[
            &["--addr", "127.0.0.1:0", "--addr", "127.0.0.1:1"],
            &["--addr"],
            &["--addr="],
            &["--addr", "--tls"],
            &["--addr", "localhost:80"],
            &["--workers", "0"],
            &["--workers", "65536"],
            &["--workers", "+2"],
            &["--workers", "-1"],
            &["--token-format", "-x"],
            &["--tls"],
            &["--admin-host", "mock"],
            &["--help"],
            &["-h"],
            &["--version"],
            &["serve", "--addr", "127.0.0.1:0"],
            &["conformance", "--list"],
            &["--addr", "127.0.0.1:0", "--", "x"],
            &["127.0.0.1:0"],
            &["--Addr", "127.0.0.1:0"],
            &["--ad", "127.0.0.1:0"],
        ];
        for args in left {
            assert!(
                super::ServeArgs::plain(&os_args(args), env).is_none(),
                "{args:?}"
            );
        }
        // Each environment variable clap reads stands in for its flag.
        let env = |name: &str| match name {
            "MOCK_SERVER_ADDR" => Some(OsString::from("127.0.0.1:7")),
            "MOCK_SERVER_WORKERS" => Some(OsString::from("3")),
            "MOCK_SERVER_TOKEN_FORMAT" => Some(OsString::from("opaque")),
            _ => None,
        };
        let plain = super::ServeArgs::plain(&os_args(&["--workers", "2"]), env);
        assert_eq!(plain.as_ref().map(|s| s.addr.port()), Some(7));
        assert_eq!(plain.as_ref().map(|s| s.workers), Some(2));
        assert_eq!(
            plain.and_then(|s| s.token_format).as_deref(),
            Some("opaque")
        );
        // A bad value or a flag the plain path does not take: clap's.
        for (var, value) in [
            ("MOCK_SERVER_WORKERS", "0"),
            ("MOCK_SERVER_ADDR", ""),
            ("MOCK_ADMIN_TOKEN", "t"),
        ] {
            let env = |name: &str| (name == var).then(|| OsString::from(value));
            assert!(
                super::ServeArgs::plain(&os_args(&[]), env).is_none(),
                "{var}"
            );
        }
    }

    #[test]
    fn subcommand_flags_are_built_only_when_a_subcommand_is_named() {
        // A plain start builds the top-level flags only.
        let command = Cli::command();
        for name in ["serve", "conformance"] {
            let sub = command
                .find_subcommand(name)
                .expect("the subcommand exists");
            assert_eq!(sub.get_arguments().count(), 0, "{name}'s flags were built");
        }
        // Named, its flags are built and parsed as before.
        let cli =
            Cli::try_parse_from(["mock-server", "serve", "--addr", "127.0.0.1:0"]).expect("parses");
        match cli.command {
            Some(Command::Serve(args)) => assert_eq!(args.addr.port(), 0),
            other => panic!("not serve: {other:?}"),
        }
        let cli = Cli::try_parse_from(["mock-server", "conformance", "--list"]).expect("parses");
        assert!(matches!(cli.command, Some(Command::Conformance(args)) if args.list));
    }
}
