//! `fetch-token` from process start to token printed (the process has
//! written its output and exited), against curl making the same request:
//! plain http on loopback, `client_secret_basic`, one mock provider started
//! once in this process (opaque tokens), alternating, median of 21 runs
//! each (issue 17, item 4).
//!
//! `cargo bench -p auth-http --features cli --bench cli` (in `just
//! bench-startup`; needs `curl`; env `STARTUP_RUNS`, default 21).

#[path = "support/stats.rs"]
mod stats;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use mock_server::{MockServer, TokenFormat};
use stats::{env_count, median};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Checklist F1 (RFC 6749 §4.4.2), the embedded configuration's client.
const CLIENT_ID: &str = "s6BhdRkqt3";
const CLIENT_SECRET: &str = "gX1fBat3bV";

fn main() -> Result<(), BoxError> {
    // `cargo test --all-targets` runs bench binaries without `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let runs = env_count("STARTUP_RUNS", 21_usize);
    // The mock serves from its own worker thread while this one waits on
    // the child processes.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let server = runtime.block_on(
        MockServer::builder()
            .token_format(TokenFormat::Opaque)
            .start(),
    )?;
    let url = server.token_url();
    let installed = Installed::copy(env!("CARGO_BIN_EXE_fetch-token"))?;
    let fetch_token = || {
        let mut command = Command::new(&installed.path);
        command
            .args(["--token-url", &url, "--client-id", CLIENT_ID])
            .env("CLIENT_SECRET", CLIENT_SECRET);
        command
    };
    let credentials = format!("{CLIENT_ID}:{CLIENT_SECRET}");
    let curl = || {
        let mut command = Command::new("curl");
        command.args([
            "-s",
            "-u",
            &credentials,
            "-d",
            "grant_type=client_credentials",
            &url,
        ]);
        command
    };
    // Warm the page cache and the dynamic loader's for both.
    run(fetch_token(), "fetch-token")?;
    run(curl(), "curl")?;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        ours.push(run(fetch_token(), "fetch-token")?);
        theirs.push(run(curl(), "curl")?);
    }
    let (ours, theirs) = (median(ours), median(theirs));
    println!(
        "process start to token printed, plain http on loopback, median of {runs} alternating runs"
    );
    println!("curl          {theirs:>9.2?}");
    println!("fetch-token   {ours:>9.2?}");
    println!(
        "fetch-token / curl: {:.2}x (target at most 1.50x)",
        ours.as_secs_f64() / theirs.as_secs_f64()
    );
    runtime.block_on(server.shutdown());
    Ok(())
}

/// A copy of an executable in a fresh directory (removed on drop), run as
/// an installed binary is: the linker writes its output through a memory
/// map, which leaves it in the page cache in 4 KiB pages, while a copied
/// (or installed) file is cached in large folios and takes fewer page
/// faults to start (docs/performance.md, Start-up). curl is installed.
struct Installed {
    dir: std::path::PathBuf,
    path: std::path::PathBuf,
}

impl Installed {
    fn copy(executable: &str) -> Result<Self, BoxError> {
        let dir = std::env::temp_dir().join(format!("cli-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("fetch-token");
        std::fs::copy(executable, &path)?;
        Ok(Self { dir, path })
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Spawn to exit, stdout captured; a failure or an answer without a token
/// is an error, not a figure.
fn run(mut command: Command, name: &str) -> Result<Duration, BoxError> {
    let started = Instant::now();
    let Output { status, stdout, .. } = command
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()?;
    let elapsed = started.elapsed();
    if !status.success() || !stdout.windows(12).any(|w| w == b"access_token") {
        return Err(format!(
            "{name}: {status}, printed {:?}",
            String::from_utf8_lossy(&stdout)
        )
        .into());
    }
    Ok(elapsed)
}
