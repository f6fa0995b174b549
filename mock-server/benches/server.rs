//! Start-up, throughput, latency and memory of the mock against a bare hyper
//! server answering a fixed body, side by side on loopback (the issue's
//! "measured, not asserted" figures).
//!
//! `cargo bench -p mock-server --features cli --bench server` (env: `MOCK_BENCH_SECS`,
//! default 10; `MOCK_BENCH_CONNS`, default 64). Both servers run as their own
//! processes; the load generator is this process (hyper clients, keep-alive,
//! one request in flight per connection, valid `client_secret_basic` token
//! requests to both).

#[path = "support/bare.rs"]
mod bare;
mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use bare::{Role, fixed_answer, run_bare_server};
use support::{BoxError, Connection, Load, Server, env_or, load, mock_command};

fn main() -> Result<(), BoxError> {
    match Role::from_args() {
        Role::BareServer => return run_bare_server(None, fixed_answer),
        Role::Nothing => return Ok(()),
        Role::Bench => {}
    }
    let secs = env_or("MOCK_BENCH_SECS", 10);
    let conns = env_or("MOCK_BENCH_CONNS", 64);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(secs, conns))
}

#[derive(Clone, Copy)]
enum Kind {
    Mock,
    Bare,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Mock => "mock-server",
            Self::Bare => "bare hyper",
        }
    }

    fn command(self) -> Result<Command, BoxError> {
        Ok(match self {
            Self::Mock => {
                let mut command = mock_command();
                with_env(&mut command, "MOCK_BENCH_MOCK_ENV");
                command
            }
            Self::Bare => {
                let mut command = Command::new(std::env::current_exe()?);
                command.arg("--bare-server");
                with_env(&mut command, "MOCK_BENCH_BARE_ENV");
                command
            }
        })
    }
}

/// For A/B experiments: `MOCK_BENCH_MOCK_ENV="K=V K2=V2"` (or
/// `MOCK_BENCH_BARE_ENV`) sets variables for that server process only, e.g.
/// `MOCK_SERVER_WORKERS=2` or `TOKIO_WORKER_THREADS=1`.
fn with_env(command: &mut Command, variable: &str) {
    let pairs = std::env::var(variable).unwrap_or_default();
    for pair in pairs.split_whitespace() {
        if let Some((key, value)) = pair.split_once('=') {
            command.env(key, value);
        }
    }
}

/// Spawns the server, reads its ready line, returns it with the time from
/// spawn to the first successful token response.
async fn start(kind: Kind) -> Result<(Server, Duration), BoxError> {
    let started = Instant::now();
    let server = Server::spawn(kind.command()?).await?;
    let mut connection = Connection::open(server.addr).await?;
    let (status, _) = connection.token().await?;
    if status != 200 {
        return Err(format!("{}: first token request got {status}", kind.name()).into());
    }
    Ok((server, started.elapsed()))
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

async fn run(secs: u64, conns: u64) -> Result<(), BoxError> {
    // The machine is shared: alternate short rounds of both servers so a
    // burst of background load hits both alike, and compare medians.
    let rounds = secs.clamp(1, 10);
    let round_secs = (secs / rounds).max(1);
    println!(
        "loopback, {conns} connections, {rounds} alternating rounds of {round_secs} s each, one request in flight per connection"
    );
    // (a) start of the process to first successful token response.
    let (mut bare_starts, mut mock_starts) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        bare_starts.push(start(Kind::Bare).await?.1);
        mock_starts.push(start(Kind::Mock).await?.1);
    }
    let (bare_start, mock_start) = (median(bare_starts), median(mock_starts));
    println!(
        "start to first response (median of 7): bare hyper {bare_start:.2?}, mock-server {mock_start:.2?} ({:.2}x)",
        mock_start.as_secs_f64() / bare_start.as_secs_f64()
    );

    // (b), (c) throughput and latency under the same load, alternating.
    let (bare, _) = start(Kind::Bare).await?;
    let (mock, _) = start(Kind::Mock).await?;
    let (mut bare_runs, mut mock_runs) = (Vec::new(), Vec::new());
    let mut tokens = 0;
    let mut rss_after = Vec::new();
    for _ in 0..rounds {
        bare_runs.push(load(bare.addr, round_secs, conns).await?);
        let run = load(mock.addr, round_secs, conns).await?;
        tokens += run.requests;
        rss_after.push((tokens, mock.rss_kib()));
        mock_runs.push(run);
    }
    let summary = |kind: Kind, runs: &[Load]| {
        let mid = |f: fn(&Load) -> f64| {
            let mut v: Vec<f64> = runs.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (rate, p50, p99) = (
            mid(|l| l.per_sec),
            mid(|l| l.p50.as_secs_f64()),
            mid(|l| l.p99.as_secs_f64()),
        );
        let errors: u64 = runs.iter().map(|l| l.errors).sum();
        println!(
            "{:<12} {rate:>9.0} req/s  p50 {:>8.2?}  p99 {:>8.2?}  (medians of {} rounds, {errors} errors)",
            kind.name(),
            Duration::from_secs_f64(p50),
            Duration::from_secs_f64(p99),
            runs.len()
        );
        (rate, p99)
    };
    let (bare_rate, bare_p99) = summary(Kind::Bare, &bare_runs);
    let (mock_rate, mock_p99) = summary(Kind::Mock, &mock_runs);
    println!(
        "mock-server / bare hyper: throughput {:.0}%, p99 {:.2}x",
        100.0 * mock_rate / bare_rate,
        mock_p99 / bare_p99
    );
    // (d) memory after every round: flat once warm.
    let rss: Vec<String> = rss_after
        .iter()
        .map(|(tokens, kib)| {
            format!(
                "{tokens} tokens: {} KiB",
                kib.map_or_else(|| "?".to_owned(), |k| k.to_string())
            )
        })
        .collect();
    println!("mock-server RSS: {}", rss.join(", "));
    Ok(())
}
