//! What a web console costs the token path: token throughput of one mock
//! process with no event-stream reader, and with one reader of
//! `/_mock/ui/events` connected, side by side in alternating rounds of the
//! same run (issue 15 item 5: target under 5 % lower).
//!
//! `cargo bench -p mock-server --features cli --bench console` (env:
//! `MOCK_BENCH_SECS`, default 20; `MOCK_BENCH_CONNS`, default 64;
//! `MOCK_BENCH_ROUNDS`; `MOCK_BENCH_AA=1` opens no reader at all, to see
//! the noise of the comparison itself; `MOCK_BENCH_AA=2` holds an idle
//! keep-alive connection where the reader would be). Three modes in rotated order each
//! round: no reader, one reader, one reader that also reads the journal. The load
//! generator and the reader are this process; the reader takes every
//! message as fast as it comes and, like the console page, reads
//! `GET /_mock/journal` again on a resync, at most every 500 ms.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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
    journal_reads: AtomicU64,
}

/// The page's gap between two journal reads.
const RESYNC_GAP: Duration = Duration::from_millis(500);

/// `GET /_mock/journal` on a connection of its own; the bytes read.
async fn read_journal(addr: SocketAddr) -> u64 {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return 0;
    };
    let head = format!("GET /_mock/journal HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n");
    if stream.write_all(head.as_bytes()).await.is_err() {
        return 0;
    }
    let mut body = Vec::new();
    let _ = stream.read_to_end(&mut body).await;
    body.len() as u64
}

/// Opens `/_mock/ui/events` and reads it until aborted.
async fn reader(
    addr: SocketAddr,
    reads_journal: bool,
) -> Result<(tokio::task::JoinHandle<()>, Arc<Seen>), BoxError> {
    let mut stream = TcpStream::connect(addr).await?;
    stream
        .write_all(format!("GET /_mock/ui/events HTTP/1.1\r\nhost: {addr}\r\n\r\n").as_bytes())
        .await?;
    let seen = Arc::new(Seen::default());
    let counts = Arc::clone(&seen);
    let task = tokio::spawn(async move {
        let mut buffer = vec![0u8; 1 << 16];
        let mut pending = String::new();
        let mut last_read: Option<Instant> = None;
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
                    if reads_journal && last_read.is_none_or(|at| at.elapsed() >= RESYNC_GAP) {
                        last_read = Some(Instant::now());
                        let read = read_journal(addr).await;
                        counts.journal_reads.fetch_add(1, Ordering::Relaxed);
                        counts.bytes.fetch_add(read, Ordering::Relaxed);
                    }
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

/// What one mode of the comparison saw.
#[derive(Default)]
struct Mode {
    runs: Vec<Load>,
    messages: u64,
    resyncs: u64,
    reads: u64,
    bytes: u64,
}

impl Mode {
    async fn round(
        &mut self,
        addr: SocketAddr,
        secs: u64,
        conns: u64,
        reader_kind: Option<bool>,
    ) -> Result<(), BoxError> {
        let Some(reads_journal) = reader_kind else {
            self.runs.push(load(addr, secs, conns).await?);
            return Ok(());
        };
        if env_or("MOCK_BENCH_AA", 0) == 2 {
            // An idle connection in place of the stream.
            let mut idle = TcpStream::connect(addr).await?;
            idle.write_all(format!("GET /healthz HTTP/1.1\r\nhost: {addr}\r\n\r\n").as_bytes())
                .await?;
            self.runs.push(load(addr, secs, conns).await?);
            drop(idle);
            return Ok(());
        }
        let (task, seen) = reader(addr, reads_journal).await?;
        self.runs.push(load(addr, secs, conns).await?);
        task.abort();
        self.messages += seen.entries.load(Ordering::Relaxed);
        self.resyncs += seen.resyncs.load(Ordering::Relaxed);
        self.reads += seen.journal_reads.load(Ordering::Relaxed);
        self.bytes += seen.bytes.load(Ordering::Relaxed);
        Ok(())
    }

    fn row(&self, name: &str, baseline: Option<f64>, secs: f64) -> f64 {
        let rate = median(&self.runs, |l| l.per_sec);
        let errors: u64 = self.runs.iter().map(|l| l.errors).sum();
        let ratio = baseline.map_or_else(String::new, |base| {
            format!("  {:.1}% of no reader", 100.0 * rate / base)
        });
        println!(
            "{name:<34} {rate:>8.0} req/s  p50 {:>8.2?}  p99 {:>8.2?}  ({} rounds, {errors} errors){ratio}",
            Duration::from_secs_f64(median(&self.runs, |l| l.p50.as_secs_f64())),
            Duration::from_secs_f64(median(&self.runs, |l| l.p99.as_secs_f64())),
            self.runs.len()
        );
        if baseline.is_some() {
            #[allow(clippy::cast_precision_loss, reason = "rates")]
            let per_sec = |n: u64| n as f64 / secs;
            println!(
                "{:<34} entries messages {:.1}/s, resyncs {:.1}/s, journal reads {:.1}/s, {:.0} KiB/s in all",
                "",
                per_sec(self.messages),
                per_sec(self.resyncs),
                per_sec(self.reads),
                per_sec(self.bytes) / 1024.0
            );
        }
        rate
    }
}

async fn run(secs: u64, conns: u64) -> Result<(), BoxError> {
    let rounds = env_or("MOCK_BENCH_ROUNDS", (secs / 3).clamp(1, 10));
    let round_secs = (secs / (3 * rounds)).max(1);
    println!(
        "loopback, {conns} connections, {rounds} alternating rounds of {round_secs} s: no reader, one event-stream reader, one reader that also reads the journal on a resync (as the page does)"
    );
    let server = Server::spawn(mock_command()).await?;
    load(server.addr, 1, conns).await?; // warm-up
    let (mut none, mut stream, mut page) = (Mode::default(), Mode::default(), Mode::default());
    // `MOCK_BENCH_AA=1`: the reader modes open no reader (an A/A check of
    // the comparison itself).
    let aa = env_or("MOCK_BENCH_AA", 0) == 1;
    let (plain, with_reads) = if aa {
        (None, None)
    } else {
        (Some(false), Some(true))
    };
    for round in 0..rounds {
        // Each mode goes first, second and third in turn: no mode gains
        // from its place in the round.
        for turn in 0..3 {
            let (mode, reader_kind) = match (round + turn) % 3 {
                0 => (&mut none, None),
                1 => (&mut stream, plain),
                _ => (&mut page, with_reads),
            };
            mode.round(server.addr, round_secs, conns, reader_kind)
                .await?;
        }
    }
    #[allow(clippy::cast_precision_loss, reason = "seconds")]
    let total = (rounds * round_secs) as f64;
    let base = none.row("no reader", None, total);
    stream.row("one event-stream reader", Some(base), total);
    page.row("... and journal reads on resync", Some(base), total);
    let rss = server
        .rss_kib()
        .map_or_else(|| "?".to_owned(), |kib| kib.to_string());
    println!("mock-server RSS after the run: {rss} KiB");
    Ok(())
}
