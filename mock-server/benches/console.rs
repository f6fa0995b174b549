//! What a web console costs the token path: token throughput of one mock
//! process with no event-stream reader, and with one reader of
//! `/_mock/ui/events` connected, side by side in alternating rounds of the
//! same run (issue 15 item 5: target under 5 % lower).
//!
//! `cargo bench -p mock-server --features cli --bench console` (env:
//! `MOCK_BENCH_SECS`, default 20; `MOCK_BENCH_CONNS`, default 64). The load
//! generator and the reader are this process; the reader takes every
//! message as fast as it comes, as a browser tab does.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use support::{BoxError, Load, Server, env_or, load, mock_command};

fn main() -> Result<(), BoxError> {
    // `cargo test --all-targets` runs bench binaries without `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let secs = env_or("MOCK_BENCH_SECS", 20);
    let conns = env_or("MOCK_BENCH_CONNS", 64);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(secs, conns))
}

/// What one reader saw.
#[derive(Default)]
struct Seen {
    bytes: AtomicU64,
    entries: AtomicU64,
    resyncs: AtomicU64,
}

/// Opens `/_mock/ui/events` and reads it until aborted.
async fn reader(addr: SocketAddr) -> Result<(tokio::task::JoinHandle<()>, Arc<Seen>), BoxError> {
    let mut stream = TcpStream::connect(addr).await?;
    stream
        .write_all(format!("GET /_mock/ui/events HTTP/1.1\r\nhost: {addr}\r\n\r\n").as_bytes())
        .await?;
    let seen = Arc::new(Seen::default());
    let counts = Arc::clone(&seen);
    let task = tokio::spawn(async move {
        let mut buffer = vec![0u8; 1 << 16];
        let mut pending = String::new();
        while let Ok(n) = stream.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            counts.bytes.fetch_add(n as u64, Ordering::Relaxed);
            pending.push_str(&String::from_utf8_lossy(&buffer[..n]));
            // A message ends at a blank line (chunk framing around it).
            while let Some(end) = pending.find("\n\n") {
                let message = &pending[..end];
                if message.contains("event: entries\n") {
                    counts.entries.fetch_add(1, Ordering::Relaxed);
                } else if message.contains("event: resync\n") {
                    counts.resyncs.fetch_add(1, Ordering::Relaxed);
                }
                pending.drain(..end + 2);
            }
        }
    });
    Ok((task, seen))
}

fn median(runs: &[Load], f: fn(&Load) -> f64) -> f64 {
    let mut v: Vec<f64> = runs.iter().map(f).collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn run(secs: u64, conns: u64) -> Result<(), BoxError> {
    let rounds = (secs / 2).clamp(1, 10);
    let round_secs = (secs / (2 * rounds)).max(1);
    println!(
        "loopback, {conns} connections, {rounds} alternating rounds of {round_secs} s without and with one event-stream reader"
    );
    let server = Server::spawn(mock_command()).await?;
    load(server.addr, 1, conns).await?; // warm-up
    let (mut without, mut with) = (Vec::new(), Vec::new());
    let (mut messages, mut resyncs, mut bytes) = (0, 0, 0);
    for _ in 0..rounds {
        without.push(load(server.addr, round_secs, conns).await?);
        let (task, seen) = reader(server.addr).await?;
        with.push(load(server.addr, round_secs, conns).await?);
        task.abort();
        messages += seen.entries.load(Ordering::Relaxed);
        resyncs += seen.resyncs.load(Ordering::Relaxed);
        bytes += seen.bytes.load(Ordering::Relaxed);
    }
    let row = |name: &str, runs: &[Load]| {
        let rate = median(runs, |l| l.per_sec);
        let errors: u64 = runs.iter().map(|l| l.errors).sum();
        println!(
            "{name:<22} {rate:>9.0} req/s  p50 {:>8.2?}  p99 {:>8.2?}  (medians of {} rounds, {errors} errors)",
            std::time::Duration::from_secs_f64(median(runs, |l| l.p50.as_secs_f64())),
            std::time::Duration::from_secs_f64(median(runs, |l| l.p99.as_secs_f64())),
            runs.len()
        );
        rate
    };
    let none = row("no reader", &without);
    let one = row("one event-stream reader", &with);
    #[allow(clippy::cast_precision_loss, reason = "rates")]
    let (reading, messages, resyncs, bytes) = (
        (rounds * round_secs) as f64,
        messages as f64,
        resyncs as f64,
        bytes as f64,
    );
    println!(
        "with a reader / without: throughput {:.1}% ({:+.1}%); the reader got {:.1} entries messages/s, {:.1} resyncs/s, {:.0} KiB/s",
        100.0 * one / none,
        100.0 * (one - none) / none,
        messages / reading,
        resyncs / reading,
        bytes / 1024.0 / reading
    );
    let rss = server
        .rss_kib()
        .map_or_else(|| "?".to_owned(), |kib| kib.to_string());
    println!("mock-server RSS after the run: {rss} KiB");
    Ok(())
}
