//! The token endpoint under an external load generator (issue 17, item 1):
//! the `mock-server` binary (`--workers N --token-format opaque`) against a
//! bare hyper server (this bench binary with `--bare-server` and
//! `TOKIO_WORKER_THREADS=N`: accept, a fixed body, nothing else), for N in
//! 1 and 2 workers and 16 and 64 connections, loaded by `wrk -t2 --latency`
//! with `support/token.lua` (valid F1 token requests: POST,
//! `client_secret_basic`, scope `read`), or by `oha` where wrk is missing.
//! A second baseline, reported beside the first, is the same bare server
//! doing a token request's required work and nothing more
//! (`--token-work-server`, `support/token_work.rs`): the mock against it
//! is what the conformance bookkeeping and the rest of a full provider
//! cost. Rounds alternate bare, token work and mock so a burst of
//! background load hits all alike; the figures are medians over the
//! rounds. A run with any non-2xx answer or socket error is an error, not
//! a figure.
//!
//! `cargo bench -p mock-server --features cli --bench load` (`just
//! bench-load`; env `MOCK_LOAD_ROUNDS`, default 5; `MOCK_LOAD_SECS` per
//! round, default 10; `MOCK_LOAD_WORKERS`, default `1 2`;
//! `MOCK_LOAD_CONNS`, default `16 64`). The last line per configuration is
//! stable, read by `cargo xtask bench-report`:
//!
//! ```text
//! load generator=wrk workers=1 connections=16 rounds=5 secs=10 bare_req_per_s=79712 mock_req_per_s=50480 req_per_s_ratio=0.633 bare_p99_us=402 mock_p99_us=560 p99_ratio=1.393 work_req_per_s=60120 work_p99_us=470 work_ratio=0.840 bare_server_cpu_us=9.61 mock_server_cpu_us=14.90 bare_client_cpu_us=9.80 mock_client_cpu_us=12.90 work_server_cpu_us=12.10 work_client_cpu_us=11.20
//! ```
//!
//! `work_ratio` is the mock's rate over the token-work baseline's. The six
//! `*_cpu_us` fields (CPU time per request, medians of the rounds, from
//! `/proc`) are left out where `/proc` is missing.

#[path = "support/bare.rs"]
mod bare;
#[path = "support/loadgen.rs"]
mod loadgen;
mod support;
#[path = "support/token_work.rs"]
mod token_work;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use bare::{Role, fixed_answer, run_bare_server};
use loadgen::{Run, cpu_times};
use support::{BoxError, Connection, F1_BASIC, FORM, Server, TOKEN_BODY, env_or, mock_command};

/// The flag that makes this bench binary the token-work baseline.
const TOKEN_WORK_SERVER: &str = "--token-work-server";

fn main() -> Result<(), BoxError> {
    if std::env::args().any(|a| a == TOKEN_WORK_SERVER) {
        return run_bare_server(None, token_work::token_work_answer);
    }
    match Role::from_args() {
        // Sized by `TOKIO_WORKER_THREADS`, as the mock by `--workers`.
        Role::BareServer => return run_bare_server(None, fixed_answer),
        Role::Nothing => return Ok(()),
        Role::Bench => {}
    }
    let generator = Generator::find()?;
    let rounds = env_or("MOCK_LOAD_ROUNDS", 5).max(1);
    let secs = env_or("MOCK_LOAD_SECS", 10).max(1);
    let workers = env_list("MOCK_LOAD_WORKERS", &[1, 2])?;
    let connections = env_list("MOCK_LOAD_CONNS", &[16, 64])?;
    println!(
        "token endpoint under {}, POST /token (F1, opaque tokens), {rounds} alternating rounds of {secs} s, medians",
        generator.describe()
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    for &n in &workers {
        let bare = runtime.block_on(start(Kind::Bare, n))?;
        let work = runtime.block_on(start(Kind::Work, n))?;
        let mock = runtime.block_on(start(Kind::Mock, n))?;
        let servers = [
            (Kind::Bare, &bare),
            (Kind::Work, &work),
            (Kind::Mock, &mock),
        ];
        // Warm all (page cache, allocator, connection pools) before timing.
        for (kind, server) in servers {
            generator.run(server, connections[0], 1, kind)?;
        }
        for &c in &connections {
            let mut runs: [Vec<Run>; 3] = Default::default();
            let mut cpu: [Vec<CpuPerRequest>; 3] = Default::default();
            for round in 1..=rounds {
                let mut line = format!("{n} worker(s), {c} connections, round {round}:");
                for (i, (kind, server)) in servers.into_iter().enumerate() {
                    let (run, run_cpu) = generator.run(server, c, secs, kind)?;
                    // Writing into a `String` cannot fail.
                    let _ = write!(
                        line,
                        " {} {:.0} req/s p99 {:.2?};",
                        kind.name(),
                        run.per_sec,
                        run.p99
                    );
                    runs[i].push(run);
                    cpu[i].extend(run_cpu);
                }
                println!("{}", line.trim_end_matches(';'));
            }
            let [bare_runs, work_runs, mock_runs] = &runs;
            let (bare_rate, bare_p99) = medians(bare_runs);
            let (work_rate, work_p99) = medians(work_runs);
            let (mock_rate, mock_p99) = medians(mock_runs);
            println!(
                "load generator={} workers={n} connections={c} rounds={rounds} secs={secs} \
                 bare_req_per_s={bare_rate:.0} mock_req_per_s={mock_rate:.0} req_per_s_ratio={:.3} \
                 bare_p99_us={:.0} mock_p99_us={:.0} p99_ratio={:.3} \
                 work_req_per_s={work_rate:.0} work_p99_us={:.0} work_ratio={:.3}{}",
                generator.name(),
                mock_rate / bare_rate,
                bare_p99 * 1e6,
                mock_p99 * 1e6,
                mock_p99 / bare_p99,
                work_p99 * 1e6,
                mock_rate / work_rate,
                cpu_fields(&cpu),
            );
        }
    }
    Ok(())
}

/// CPU time per request, user and system, of the server (all its threads)
/// and of the load generator: where the two share the cores, a slower
/// server also makes the client spend more per request (fewer ready
/// sockets per `epoll_wait`), so the rate ratio is not the server's cost
/// ratio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CpuPerRequest {
    pub(crate) server: Duration,
    pub(crate) client: Duration,
}

#[derive(Clone, Copy)]
enum Kind {
    Bare,
    /// Bare hyper doing a token request's work (`support/token_work.rs`).
    Work,
    Mock,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Bare => "bare hyper",
            Self::Work => "hyper + token work",
            Self::Mock => "mock-server",
        }
    }
}

/// Spawns the server with `workers` runtime workers and checks that it
/// answers a token request with 200 before it is loaded.
async fn start(kind: Kind, workers: u64) -> Result<Server, BoxError> {
    let command = match kind {
        Kind::Bare | Kind::Work => {
            let flag = match kind {
                Kind::Work => TOKEN_WORK_SERVER,
                _ => "--bare-server",
            };
            let mut command = Command::new(std::env::current_exe()?);
            command
                .arg(flag)
                .env("TOKIO_WORKER_THREADS", workers.to_string());
            command
        }
        Kind::Mock => {
            let mut command = mock_command();
            command.args(["--workers", &workers.to_string()]);
            command
        }
    };
    let server = Server::spawn(command).await?;
    let (status, _) = Connection::open(server.addr).await?.token().await?;
    if status != 200 {
        return Err(format!("{}: a token request got {status}, not 200", kind.name()).into());
    }
    Ok(server)
}

/// The load generator found on `PATH`.
enum Generator {
    Wrk(PathBuf),
    Oha(PathBuf),
}

impl Generator {
    fn find() -> Result<Self, BoxError> {
        if let Some(path) = on_path("wrk") {
            return Ok(Self::Wrk(path));
        }
        if let Some(path) = on_path("oha") {
            return Ok(Self::Oha(path));
        }
        Err(
            "the load bench needs wrk (Debian: `apt-get install -y wrk`) or oha \
             (`cargo install oha`) on PATH; `just bench-load` installs one"
                .into(),
        )
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Wrk(_) => "wrk",
            Self::Oha(_) => "oha",
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            Self::Wrk(_) => "wrk -t2 --latency",
            Self::Oha(_) => "oha",
        }
    }

    /// One timed run against `server`; its figures, or why they are not.
    fn run(
        &self,
        server: &Server,
        connections: u64,
        secs: u64,
        kind: Kind,
    ) -> Result<(Run, Option<CpuPerRequest>), BoxError> {
        let url = format!("http://{}/token", server.addr);
        let mut command = match self {
            Self::Wrk(path) => {
                let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/support/token.lua");
                let mut command = Command::new(path);
                command.args([
                    "-t2".to_owned(),
                    format!("-c{connections}"),
                    format!("-d{secs}s"),
                    "--latency".to_owned(),
                    "-s".to_owned(),
                    script.to_owned(),
                    url,
                ]);
                command
            }
            Self::Oha(path) => {
                let mut command = Command::new(path);
                command.args([
                    "--no-tui".to_owned(),
                    "--output-format".to_owned(),
                    "json".to_owned(),
                    "-z".to_owned(),
                    format!("{secs}s"),
                    "-c".to_owned(),
                    connections.to_string(),
                    "-m".to_owned(),
                    "POST".to_owned(),
                    "-H".to_owned(),
                    format!("authorization: {F1_BASIC}"),
                    "-T".to_owned(),
                    FORM.to_owned(),
                    "-d".to_owned(),
                    TOKEN_BODY.to_owned(),
                    url,
                ]);
                command
            }
        };
        let pid = server.child.id().to_string();
        let before = cpu_times(&pid).zip(cpu_times("self"));
        let output = command.output()?;
        let after = cpu_times(&pid).zip(cpu_times("self"));
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            return Err(format!(
                "{}: the load generator exited with {}: {}{}",
                kind.name(),
                output.status,
                stdout,
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }
        let run = match self {
            Self::Wrk(_) => loadgen::parse_wrk(&stdout),
            Self::Oha(_) => loadgen::parse_oha(&stdout),
        }
        .and_then(|run| run.check().map(|()| run))
        .map_err(|e| format!("{}, {connections} connections: {e}", kind.name()))?;
        // The server's own time, and the generator's (a waited-for child).
        let cpu = before
            .zip(after)
            .map(|(((s0, _), (_, c0)), ((s1, _), (_, c1)))| {
                let per_request =
                    |time: Duration| time / u32::try_from(run.requests).unwrap_or(u32::MAX);
                CpuPerRequest {
                    server: per_request(s1.saturating_sub(s0)),
                    client: per_request(c1.saturating_sub(c0)),
                }
            });
        Ok((run, cpu))
    }
}

/// `name` in a directory of `PATH`, if there.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// A space-separated list of whole numbers from the environment, or the default.
fn env_list(name: &str, default: &[u64]) -> Result<Vec<u64>, BoxError> {
    let Ok(value) = std::env::var(name) else {
        return Ok(default.to_vec());
    };
    let list = value
        .split_whitespace()
        .map(|word| word.parse::<u64>().ok().filter(|&n| n > 0))
        .collect::<Option<Vec<_>>>()
        .filter(|list| !list.is_empty())
        .ok_or_else(|| {
            format!("{name}={value:?}: expected whole numbers above 0, space-separated")
        })?;
    Ok(list)
}

/// ` bare_server_cpu_us=... work_client_cpu_us=...`: the medians of the
/// rounds' CPU time per request (bare, token work, mock), or nothing where
/// it was not measured.
fn cpu_fields([bare, work, mock]: &[Vec<CpuPerRequest>; 3]) -> String {
    if bare.is_empty() || work.is_empty() || mock.is_empty() {
        return String::new();
    }
    let median = |runs: &[CpuPerRequest], pick: fn(&CpuPerRequest) -> Duration| {
        let mut values: Vec<f64> = runs.iter().map(|r| pick(r).as_secs_f64() * 1e6).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    format!(
        " bare_server_cpu_us={:.2} mock_server_cpu_us={:.2} bare_client_cpu_us={:.2} mock_client_cpu_us={:.2} \
         work_server_cpu_us={:.2} work_client_cpu_us={:.2}",
        median(bare, |r| r.server),
        median(mock, |r| r.server),
        median(bare, |r| r.client),
        median(mock, |r| r.client),
        median(work, |r| r.server),
        median(work, |r| r.client),
    )
}

/// The median rate (req/s) and the median p99 (seconds) of the rounds.
fn medians(runs: &[Run]) -> (f64, f64) {
    let median = |mut values: Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    (
        median(runs.iter().map(|r| r.per_sec).collect()),
        median(runs.iter().map(|r| r.p99.as_secs_f64()).collect()),
    )
}
