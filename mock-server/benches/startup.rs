//! Start-up: process spawn to the first token answered, the `mock-server`
//! binary against a bare hyper server (this bench binary run with
//! `--bare-server`: tokio, hyper, a fixed body, nothing else), with the same
//! worker count and the same readiness detection (read the ready line from
//! stdout, then one keep-alive-less token request on a fresh connection),
//! alternating, median of 21 runs each (issue 17, item 3).
//!
//! `cargo bench -p mock-server --features cli --bench startup` (in `just
//! bench-startup`; env `MOCK_SERVER_WORKERS`, default 1, for both servers;
//! `STARTUP_RUNS`, default 21). The harness is plain blocking std (no
//! runtime of its own) so its own cost is the same small constant for both.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/bare.rs"]
mod bare;

use bare::{Role, fixed_answer, run_bare_server};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Checklist F1 (RFC 6749 §4.4.2): `client_secret_basic`, scope `read`.
const TOKEN_REQUEST: &str = "POST /token HTTP/1.1\r\n\
    host: 127.0.0.1\r\n\
    authorization: Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW\r\n\
    content-type: application/x-www-form-urlencoded\r\n\
    content-length: 40\r\n\
    connection: close\r\n\r\n\
    grant_type=client_credentials&scope=read";

fn main() -> Result<(), BoxError> {
    let workers = workers();
    match Role::from_args() {
        // The mock's runtime: multi-thread with `MOCK_SERVER_WORKERS` workers.
        Role::BareServer => return run_bare_server(Some(workers), fixed_answer),
        Role::Nothing => return Ok(()),
        Role::Bench => {}
    }
    let runs = std::env::var("STARTUP_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(21_usize)
        .max(1);
    let copies = Copies::new()?;
    let bare = || -> Result<Command, BoxError> {
        let mut command = Command::new(&copies.bare);
        command.arg("--bare-server");
        Ok(command)
    };
    let mock = || {
        let mut command = Command::new(&copies.mock);
        command.args(["--addr", "127.0.0.1:0", "--token-format", "opaque"]);
        command
    };
    // Warm the page cache and the dynamic loader's for both binaries.
    start(bare()?, "bare")?;
    start(mock(), "mock")?;
    let (mut bare_runs, mut mock_runs) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        bare_runs.push(start(bare()?, "bare")?);
        mock_runs.push(start(mock(), "mock")?);
    }
    let (bare_ready, bare_first) = medians(&bare_runs);
    let (mock_ready, mock_first) = medians(&mock_runs);
    println!(
        "spawn to first token answered, {workers} worker(s), median of {runs} alternating runs"
    );
    println!("server        ready line   first token");
    println!("bare hyper    {bare_ready:>10.2?}   {bare_first:>11.2?}");
    println!("mock-server   {mock_ready:>10.2?}   {mock_first:>11.2?}");
    println!(
        "mock-server / bare hyper: {:.2}x (target at most 1.10x)",
        mock_first.as_secs_f64() / bare_first.as_secs_f64()
    );
    Ok(())
}

/// `MOCK_SERVER_WORKERS` (the mock reads it too), default 1 as the mock's.
fn workers() -> usize {
    std::env::var("MOCK_SERVER_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_usize)
        .max(1)
}

/// One run: spawn, the ready line (time to it), one token request answered
/// 200 (time to it), then the process is killed.
fn start(mut command: Command, name: &str) -> Result<(Duration, Duration), BoxError> {
    let started = Instant::now();
    let mut child = Killed(
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let stdout = child.0.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    let mut lines = BufReader::new(stdout);
    while !line.contains("http://") {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Err(format!("{name}: exited before its ready line").into());
        }
    }
    let ready = started.elapsed();
    let addr: SocketAddr = line
        .split_whitespace()
        .find_map(|word| word.strip_prefix("http://"))
        .ok_or("no address in the ready line")?
        .trim_end_matches('/')
        .parse()?;
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    stream.write_all(TOKEN_REQUEST.as_bytes())?;
    let mut response = Vec::with_capacity(1024);
    stream.read_to_end(&mut response)?;
    let first = started.elapsed();
    if !response.starts_with(b"HTTP/1.1 200") {
        let head = String::from_utf8_lossy(&response[..response.len().min(40)]).into_owned();
        return Err(format!("{name}: first token request got {head:?}").into());
    }
    drop(child);
    Ok((ready, first))
}

/// Both executables copied to a fresh directory (removed on drop), so
/// that each is in the page cache as an installed binary is: a linker that
/// writes its output through a memory map, as lld does, leaves it cached
/// in 4 KiB pages, while a copied (or installed, or read from disk) file
/// is cached in large folios, and mapping it at start takes fewer page
/// faults, the more so the larger the binary (docs/performance.md,
/// Start-up). The same for both servers: the baseline stays fair.
struct Copies {
    dir: std::path::PathBuf,
    bare: std::path::PathBuf,
    mock: std::path::PathBuf,
}

impl Copies {
    fn new() -> Result<Self, BoxError> {
        let dir = std::env::temp_dir().join(format!("startup-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let copies = Self {
            bare: dir.join("bare-server"),
            mock: dir.join("mock-server"),
            dir,
        };
        std::fs::copy(std::env::current_exe()?, &copies.bare)?;
        std::fs::copy(env!("CARGO_BIN_EXE_mock-server"), &copies.mock)?;
        Ok(copies)
    }
}

impl Drop for Copies {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A child process killed and reaped on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The medians of the ready-line and first-token times.
fn medians(runs: &[(Duration, Duration)]) -> (Duration, Duration) {
    let median = |mut v: Vec<Duration>| {
        v.sort_unstable();
        v[v.len() / 2]
    };
    (
        median(runs.iter().map(|r| r.0).collect()),
        median(runs.iter().map(|r| r.1).collect()),
    )
}
