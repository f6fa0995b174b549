//! The project's own tasks, run as `cargo xtask <task>` (the alias in
//! `.cargo/config.toml`).
//!
//! `cargo xtask bench-report` (`just bench-report`) runs every benchmark of
//! issue 17 one after the other, reads each one's figures and rewrites the
//! generated section of docs/performance.md, between
//! `<!-- bench-report:begin -->` and `<!-- bench-report:end -->`: one table,
//! each figure with its baseline from the same run, the ratio, the target,
//! whether it is met, the load average before and after its bench, and the
//! command that reproduces it. A bench that fails is named in the section and
//! the task exits non-zero; the file is written whole or not at all (a
//! temporary file renamed over it).
//!
//! A full run takes about 10 minutes once built (the load bench's 5 rounds
//! of 10 s per server and configuration are most of it). Environment:
//! `BENCH_REPORT_QUICK=1` for a smoke run (short criterion measurements, one
//! 2 s load round, 5 start-up runs: about a minute and a half once built); `BENCH_REPORT_ONLY="parse load"` to run only the named benches
//! (`parse parse_allocations load allocations startup cli manager flat`); the
//! benches' own knobs (`MOCK_LOAD_ROUNDS`, `MOCK_LOAD_SECS`, `STARTUP_RUNS`, `FLAT_ROUNDS`)
//! pass through and show in the commands.

mod bench;
mod output;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

/// What can stop the report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum Error {
    #[error("usage: cargo xtask bench-report (got {0:?})")]
    Usage(String),
    #[error("{bench}: {message}")]
    Output { bench: String, message: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("docs/performance.md markers: {0}")]
    Markers(String),
    #[error("{0} failed; the report says so in docs/performance.md")]
    Failed(String),
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [task] if task == "bench-report" => bench::report(),
        _ => Err(Error::Usage(args.join(" "))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error}");
            ExitCode::FAILURE
        }
    }
}
