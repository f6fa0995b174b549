//! Readers of what each benchmark of issue 17 prints (or, for criterion,
//! writes under `target/criterion`). Each takes the bench's whole stdout and
//! returns its figures, or an [`Error::Output`] that names what is missing.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::Error;

fn missing(bench: &str, what: &str) -> Error {
    Error::Output {
        bench: bench.to_owned(),
        message: format!("no {what} in its output"),
    }
}

fn unreadable(bench: &str, what: &str, text: &str) -> Error {
    Error::Output {
        bench: bench.to_owned(),
        message: format!("cannot read {what} from {text:?}"),
    }
}

/// The value of `key=value` among the space-separated pairs of a bench's
/// stable line.
fn key_value<'a>(pairs: &'a str, key: &str) -> Option<&'a str> {
    pairs
        .split_whitespace()
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
}

fn number<T: std::str::FromStr>(bench: &str, what: &str, text: &str) -> Result<T, Error> {
    text.trim()
        .parse()
        .map_err(|_| unreadable(bench, what, text))
}

/// The median (ns) of criterion's `estimates.json`.
pub(crate) fn criterion_median(estimates: &str) -> Result<f64, String> {
    let json: serde_json::Value =
        serde_json::from_str(estimates).map_err(|e| format!("estimates.json: {e}"))?;
    json.pointer("/median/point_estimate")
        .and_then(serde_json::Value::as_f64)
        .filter(|ns| ns.is_finite() && *ns > 0.0)
        .ok_or_else(|| "estimates.json has no positive median.point_estimate".to_owned())
}

/// The `full_id` of criterion's `benchmark.json` (`group/function`).
fn criterion_full_id(benchmark: &str) -> Option<String> {
    let json: serde_json::Value = serde_json::from_str(benchmark).ok()?;
    json.get("full_id")?.as_str().map(str::to_owned)
}

/// The median (ns) criterion measured for `full_id` at or after `since`:
/// the `new/benchmark.json` under `criterion_dir` whose `full_id` is
/// `full_id` or ends with `/full_id` (so a group renamed around the same
/// function still matches), the newest where several do, and its
/// `estimates.json` beside it. A result older than `since` is stale (the
/// bench did not run that id this time) and an error.
pub(crate) fn criterion_result(
    bench: &str,
    criterion_dir: &Path,
    full_id: &str,
    since: SystemTime,
) -> Result<f64, Error> {
    let suffix = format!("/{full_id}");
    let mut found: Option<(SystemTime, PathBuf)> = None;
    let mut stack = vec![criterion_dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let matches = path.ends_with("new/benchmark.json")
                && std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|text| criterion_full_id(&text))
                    .is_some_and(|id| id == full_id || id.ends_with(&suffix));
            let Some(estimates) = path.parent().map(|dir| dir.join("estimates.json")) else {
                continue;
            };
            let modified = std::fs::metadata(&estimates).and_then(|m| m.modified());
            if let (true, Ok(modified)) = (matches, modified)
                && found.as_ref().is_none_or(|(newest, _)| modified > *newest)
            {
                found = Some((modified, estimates));
            }
        }
    }
    let (modified, estimates) = found.ok_or_else(|| Error::Output {
        bench: bench.to_owned(),
        message: format!(
            "no criterion result for {full_id:?} under {}",
            criterion_dir.display()
        ),
    })?;
    if modified < since {
        return Err(Error::Output {
            bench: bench.to_owned(),
            message: format!("{} is older than this run (stale)", estimates.display()),
        });
    }
    let text = std::fs::read_to_string(&estimates).map_err(|source| Error::Io {
        path: estimates.clone(),
        source,
    })?;
    criterion_median(&text).map_err(|message| Error::Output {
        bench: bench.to_owned(),
        message: format!("{}: {message}", estimates.display()),
    })
}

/// One line of `parse_allocations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseAllocations {
    pub(crate) case: String,
    pub(crate) bytes: u64,
    pub(crate) ours: u64,
    pub(crate) theirs: u64,
}

/// `parse_token_response_typical (562 bytes): allocations per parse: auth_core 5, oauth2_v5 9`
pub(crate) fn parse_allocations(stdout: &str) -> Result<Vec<ParseAllocations>, Error> {
    const BENCH: &str = "parse_allocations";
    let mut rows = Vec::new();
    for line in stdout.lines() {
        let Some(rest) = line.trim().strip_prefix("parse_token_response_") else {
            continue;
        };
        let bad = || unreadable(BENCH, "an allocation line", line);
        let (case, rest) = rest.split_once(" (").ok_or_else(bad)?;
        let (bytes, rest) = rest
            .split_once(" bytes): allocations per parse: auth_core ")
            .ok_or_else(bad)?;
        let (ours, theirs) = rest.split_once(", oauth2_v5 ").ok_or_else(bad)?;
        rows.push(ParseAllocations {
            case: case.to_owned(),
            bytes: number(BENCH, "a body size", bytes)?,
            ours: number(BENCH, "auth_core's count", ours)?,
            theirs: number(BENCH, "oauth2_v5's count", theirs)?,
        });
    }
    if rows.is_empty() {
        return Err(missing(BENCH, "`parse_token_response_*` line"));
    }
    Ok(rows)
}

/// One configuration of the load bench (its `load key=value...` line).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Load {
    /// `wrk` or `oha`.
    pub(crate) generator: String,
    pub(crate) workers: u64,
    pub(crate) connections: u64,
    pub(crate) rounds: u64,
    pub(crate) secs: u64,
    pub(crate) bare_req_per_s: f64,
    pub(crate) mock_req_per_s: f64,
    pub(crate) bare_p99_us: f64,
    pub(crate) mock_p99_us: f64,
    /// CPU time per request, where the bench could read it (`/proc`).
    pub(crate) cpu: Option<LoadCpu>,
    /// The second baseline, hyper doing a token request's work (benches
    /// before 2026-12-04 did not run it).
    pub(crate) work: Option<TokenWork>,
}

/// The load bench's token-work baseline: bare hyper doing a token
/// request's required work and nothing more.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TokenWork {
    pub(crate) req_per_s: f64,
    pub(crate) p99_us: f64,
    /// Its server's CPU time per request, in microseconds, where measured.
    pub(crate) server_cpu_us: Option<f64>,
}

/// The load bench's CPU time per request, in microseconds, of each server
/// and of the load generator while it drove that server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LoadCpu {
    pub(crate) bare_server: f64,
    pub(crate) mock_server: f64,
    pub(crate) bare_client: f64,
    pub(crate) mock_client: f64,
}

/// `load generator=wrk workers=1 connections=16 rounds=3 secs=10 bare_req_per_s=79712 ...`
pub(crate) fn load(stdout: &str) -> Result<Vec<Load>, Error> {
    const BENCH: &str = "load";
    let mut rows = Vec::new();
    for line in stdout.lines() {
        let Some(rest) = line.trim().strip_prefix("load ") else {
            continue;
        };
        let optional = |key: &str| key_value(rest, key);
        let field = |key: &str| -> Result<&str, Error> {
            optional(key).ok_or_else(|| unreadable(BENCH, key, line))
        };
        // All four or none: the bench prints them together.
        let cpu = if optional("bare_server_cpu_us").is_some() {
            Some(LoadCpu {
                bare_server: number(BENCH, "bare_server_cpu_us", field("bare_server_cpu_us")?)?,
                mock_server: number(BENCH, "mock_server_cpu_us", field("mock_server_cpu_us")?)?,
                bare_client: number(BENCH, "bare_client_cpu_us", field("bare_client_cpu_us")?)?,
                mock_client: number(BENCH, "mock_client_cpu_us", field("mock_client_cpu_us")?)?,
            })
        } else {
            None
        };
        let work = match optional("work_req_per_s") {
            Some(rate) => Some(TokenWork {
                req_per_s: number(BENCH, "work_req_per_s", rate)?,
                p99_us: number(BENCH, "work_p99_us", field("work_p99_us")?)?,
                server_cpu_us: optional("work_server_cpu_us")
                    .map(|cpu| number(BENCH, "work_server_cpu_us", cpu))
                    .transpose()?,
            }),
            None => None,
        };
        rows.push(Load {
            generator: field("generator")?.to_owned(),
            workers: number(BENCH, "workers", field("workers")?)?,
            connections: number(BENCH, "connections", field("connections")?)?,
            rounds: number(BENCH, "rounds", field("rounds")?)?,
            secs: number(BENCH, "secs", field("secs")?)?,
            bare_req_per_s: number(BENCH, "bare_req_per_s", field("bare_req_per_s")?)?,
            mock_req_per_s: number(BENCH, "mock_req_per_s", field("mock_req_per_s")?)?,
            bare_p99_us: number(BENCH, "bare_p99_us", field("bare_p99_us")?)?,
            mock_p99_us: number(BENCH, "mock_p99_us", field("mock_p99_us")?)?,
            cpu,
            work,
        });
    }
    if rows.is_empty() {
        return Err(missing(BENCH, "`load workers=...` line"));
    }
    Ok(rows)
}

/// The mock's heap allocations per token request: averages over many
/// requests, so they may have a fraction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Allocations {
    pub(crate) count: f64,
    pub(crate) bytes: f64,
}

/// `allocations per token request: N (bytes: B)`, N and B whole numbers or
/// with a fraction (`23.0 (bytes: 11639.0)`, as the bench prints them)
pub(crate) fn allocations(stdout: &str) -> Result<Allocations, Error> {
    const BENCH: &str = "allocations";
    let line = stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("allocations per token request:"))
        .ok_or_else(|| missing(BENCH, "`allocations per token request:` line"))?;
    let bad = || unreadable(BENCH, "the allocation count", line);
    let (count, rest) = line.split_once("(bytes:").ok_or_else(bad)?;
    let bytes = rest.trim().strip_suffix(')').ok_or_else(bad)?;
    let count: f64 = number(BENCH, "the allocation count", count)?;
    let bytes: f64 = number(BENCH, "the allocated bytes", bytes)?;
    // `f64` also reads `NaN`, `inf` and `-1`: none is a count.
    if !(count.is_finite() && bytes.is_finite() && count >= 0.0 && bytes >= 0.0) {
        return Err(bad());
    }
    Ok(Allocations { count, bytes })
}

/// Rust's `{:.2?}` of a `Duration` (`1.42ms`, `999.50µs`, `12.00ns`, `1.00s`), in seconds.
fn debug_duration(bench: &str, text: &str) -> Result<f64, Error> {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_alphabetic())
        .ok_or_else(|| unreadable(bench, "a duration", text))?;
    let (value, unit) = text.split_at(split);
    let value: f64 = number(bench, "a duration", value)?;
    let scale = match unit {
        "ns" => 1e-9,
        "µs" | "us" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        _ => return Err(unreadable(bench, "a duration's unit", text)),
    };
    Ok(value * scale)
}

/// `median of 21` in a header line.
fn runs_in(bench: &str, stdout: &str) -> Result<u64, Error> {
    let header = stdout
        .lines()
        .find(|line| line.contains("median of "))
        .ok_or_else(|| missing(bench, "`median of N` header"))?;
    let after = header
        .split_once("median of ")
        .map_or("", |(_, after)| after);
    number(
        bench,
        "the run count",
        after.split_whitespace().next().unwrap_or_default(),
    )
}

/// The start-up bench: spawn to first token, bare hyper and the mock.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Startup {
    pub(crate) workers: u64,
    pub(crate) runs: u64,
    pub(crate) bare_first_secs: f64,
    pub(crate) mock_first_secs: f64,
}

/// ```text
/// spawn to first token answered, 1 worker(s), median of 21 alternating runs
/// server        ready line   first token
/// bare hyper        1.42ms        2.72ms
/// mock-server       2.25ms        2.60ms
/// ```
pub(crate) fn startup(stdout: &str) -> Result<Startup, Error> {
    const BENCH: &str = "startup";
    let header = stdout
        .lines()
        .find(|line| line.starts_with("spawn to first token answered"))
        .ok_or_else(|| missing(BENCH, "`spawn to first token answered` header"))?;
    let workers = header
        .split(", ")
        .find_map(|part| part.strip_suffix(" worker(s)"))
        .ok_or_else(|| unreadable(BENCH, "the worker count", header))?;
    let first = |server: &str| -> Result<f64, Error> {
        let line = stdout
            .lines()
            .find_map(|line| line.strip_prefix(server))
            .ok_or_else(|| missing(BENCH, server))?;
        let columns: Vec<&str> = line.split_whitespace().collect();
        match columns.as_slice() {
            [_ready, first] => debug_duration(BENCH, first),
            _ => Err(unreadable(BENCH, "ready line and first token", line)),
        }
    };
    Ok(Startup {
        workers: number(BENCH, "the worker count", workers)?,
        runs: runs_in(BENCH, stdout)?,
        bare_first_secs: first("bare hyper ")?,
        mock_first_secs: first("mock-server ")?,
    })
}

/// The fetch-token bench: process start to token printed, against curl.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cli {
    pub(crate) runs: u64,
    pub(crate) curl_secs: f64,
    pub(crate) fetch_token_secs: f64,
}

/// ```text
/// process start to token printed, plain http on loopback, median of 21 alternating runs
/// curl             8.75ms
/// fetch-token      3.25ms
/// ```
pub(crate) fn cli(stdout: &str) -> Result<Cli, Error> {
    const BENCH: &str = "cli";
    let figure = |name: &str| -> Result<f64, Error> {
        let line = stdout
            .lines()
            .find_map(|line| line.strip_prefix(name).filter(|rest| rest.starts_with(' ')))
            .ok_or_else(|| missing(BENCH, name))?;
        debug_duration(BENCH, line)
    };
    Ok(Cli {
        runs: runs_in(BENCH, stdout)?,
        curl_secs: figure("curl")?,
        fetch_token_secs: figure("fetch-token")?,
    })
}

/// The manager bench's alternating rounds (`-- --flat`): medians of the
/// one- and two-thread reads and of the rounds' paired ratios.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Flat {
    pub(crate) rounds: u64,
    pub(crate) one_thread_ns: f64,
    pub(crate) two_threads_ns: f64,
    pub(crate) ratio: f64,
    /// The same ratio for loops that share nothing: what the host alone
    /// costs a second thread (absent from older output).
    pub(crate) control_ratio: Option<f64>,
}

/// ```text
/// flat rounds=21 reads=2000000 one_thread_ns=29.61 two_threads_ns=30.20 ratio=1.020 control_ratio=1.031
/// ```
pub(crate) fn flat(stdout: &str) -> Result<Flat, Error> {
    const BENCH: &str = "manager --flat";
    let line = stdout
        .lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix("flat "))
        .ok_or_else(|| missing(BENCH, "flat"))?;
    let optional = |key: &str| key_value(line, key);
    let field = |key: &str| -> Result<&str, Error> {
        optional(key).ok_or_else(|| unreadable(BENCH, key, line))
    };
    Ok(Flat {
        rounds: number(BENCH, "rounds", field("rounds")?)?,
        one_thread_ns: number(BENCH, "one_thread_ns", field("one_thread_ns")?)?,
        two_threads_ns: number(BENCH, "two_threads_ns", field("two_threads_ns")?)?,
        ratio: number(BENCH, "ratio", field("ratio")?)?,
        control_ratio: optional("control_ratio")
            .map(|text| number(BENCH, "control_ratio", text))
            .transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo bench -p auth-core --all-features --bench parse_allocations`, 2026-12-02.
    const PARSE_ALLOCATIONS: &str = include_str!("../samples/parse_allocations.txt");
    /// `cargo bench -p mock-server --all-features --bench load` (`MOCK_LOAD_ROUNDS=1 MOCK_LOAD_SECS=2`), 2026-12-02.
    const LOAD: &str = include_str!("../samples/load.txt");
    /// `cargo bench -p mock-server --all-features --bench startup`, 2026-12-02.
    const STARTUP: &str = include_str!("../samples/startup.txt");
    /// `cargo bench -p auth-http --all-features --bench cli`, 2026-12-02.
    const CLI: &str = include_str!("../samples/cli.txt");
    /// The allocations bench's one line (issue 17 item 1, its stated format).
    const ALLOCATIONS: &str = "allocations per token request: 23 (bytes: 4711)\n";
    /// What the bench prints: averages with one decimal.
    const ALLOCATIONS_AVERAGE: &str = "allocations per token request: 23.0 (bytes: 11639.5)\n";
    /// criterion 0.5's `new/estimates.json` and `new/benchmark.json` of one run.
    const ESTIMATES: &str = include_str!("../samples/criterion/new/estimates.json");
    const BENCHMARK: &str = include_str!("../samples/criterion/new/benchmark.json");

    fn message(error: &Error) -> String {
        error.to_string()
    }

    #[test]
    fn parse_allocations_lines_give_each_body_and_both_counts() {
        let rows = parse_allocations(PARSE_ALLOCATIONS).expect("real output");
        let cases: Vec<&str> = rows.iter().map(|r| r.case.as_str()).collect();
        assert_eq!(
            cases,
            ["typical", "large_jwt_10_extensions", "minimal_opaque"]
        );
        assert!(
            rows.iter()
                .all(|r| r.bytes > 0 && r.ours > 0 && r.theirs > 0)
        );
    }

    #[test]
    fn parse_allocations_output_without_its_lines_is_an_error() {
        let error = parse_allocations("Finished\n").expect_err("no lines");
        assert_eq!(
            message(&error),
            "parse_allocations: no `parse_token_response_*` line in its output"
        );
        let error = parse_allocations(
            "parse_token_response_typical (562 bytes): allocations per parse: auth_core five, oauth2_v5 9",
        )
        .expect_err("not a number");
        assert!(message(&error).contains("auth_core's count"), "{error}");
    }

    #[test]
    fn load_lines_give_every_configuration_with_rates_and_p99s() {
        let rows = load(LOAD).expect("real output");
        let configurations: Vec<(u64, u64)> =
            rows.iter().map(|r| (r.workers, r.connections)).collect();
        assert_eq!(configurations, [(1, 16), (1, 64), (2, 16), (2, 64)]);
        let first = &rows[0];
        assert_eq!(
            (first.generator.as_str(), first.rounds, first.secs),
            ("wrk", 1, 2)
        );
        assert!((first.bare_req_per_s - 46_300.0).abs() < 0.5);
        assert!((first.mock_req_per_s - 24_227.0).abs() < 0.5);
        assert!((first.bare_p99_us - 9_110.0).abs() < 0.5);
        assert!((first.mock_p99_us - 6_940.0).abs() < 0.5);
        assert_eq!(first.cpu, None, "this sample predates the CPU fields");
    }

    #[test]
    fn load_lines_with_cpu_fields_give_the_cpu_per_request() {
        let line = "load generator=wrk workers=2 connections=16 rounds=5 secs=10 \
                    bare_req_per_s=103217 mock_req_per_s=71600 req_per_s_ratio=0.694 \
                    bare_p99_us=5260 mock_p99_us=2030 p99_ratio=0.386 \
                    bare_server_cpu_us=9.61 mock_server_cpu_us=14.90 \
                    bare_client_cpu_us=9.80 mock_client_cpu_us=12.90\n";
        let rows = load(line).expect("a line with CPU fields");
        assert_eq!(
            rows[0].cpu,
            Some(LoadCpu {
                bare_server: 9.61,
                mock_server: 14.90,
                bare_client: 9.80,
                mock_client: 12.90,
            })
        );
        let cut = line.replace("mock_client_cpu_us=12.90", "");
        let error = load(&cut).expect_err("three of the four");
        assert!(
            message(&error).contains("cannot read mock_client_cpu_us"),
            "{error}"
        );
    }

    #[test]
    fn load_output_with_a_missing_field_or_no_summary_is_an_error() {
        let error = load("1 worker(s), 16 connections, round 1: ...\n").expect_err("no summary");
        assert_eq!(
            message(&error),
            "load: no `load workers=...` line in its output"
        );
        let cut = LOAD.replace("mock_p99_us=6940 ", "");
        let error = load(&cut).expect_err("a field missing");
        assert!(
            message(&error).contains("cannot read mock_p99_us"),
            "{error}"
        );
    }

    #[test]
    fn allocations_line_gives_the_count_and_the_bytes() {
        assert_eq!(
            allocations(ALLOCATIONS).expect("its line"),
            Allocations {
                count: 23.0,
                bytes: 4711.0
            }
        );
        assert_eq!(
            allocations(ALLOCATIONS_AVERAGE).expect("its line"),
            Allocations {
                count: 23.0,
                bytes: 11_639.5
            }
        );
        let error = allocations("allocations per token request: 23\n").expect_err("no bytes");
        assert!(
            message(&error).contains("cannot read the allocation count"),
            "{error}"
        );
        assert!(allocations("").is_err());
        assert!(allocations("allocations per token request: NaN (bytes: 1)\n").is_err());
        assert!(allocations("allocations per token request: 1 (bytes: -2)\n").is_err());
    }

    #[test]
    fn startup_output_gives_both_first_token_medians() {
        let startup = startup(STARTUP).expect("real output");
        assert_eq!((startup.workers, startup.runs), (1, 21));
        assert!((startup.bare_first_secs - 2.72e-3).abs() < 1e-9);
        assert!((startup.mock_first_secs - 2.60e-3).abs() < 1e-9);
    }

    #[test]
    fn startup_durations_in_microseconds_and_seconds_are_read() {
        let text = STARTUP
            .replace("2.72ms", "999.50µs")
            .replace("2.60ms", "1.00s");
        let startup = startup(&text).expect("other units");
        assert!((startup.bare_first_secs - 999.5e-6).abs() < 1e-12);
        assert!((startup.mock_first_secs - 1.0).abs() < 1e-12);
        let error = super::startup(&STARTUP.replace("2.60ms", "2.60 fortnights"))
            .expect_err("three columns");
        assert!(message(&error).contains("cannot read"), "{error}");
    }

    #[test]
    fn cli_output_gives_curl_and_fetch_token_medians() {
        let cli = cli(CLI).expect("real output");
        assert_eq!(cli.runs, 21);
        assert!((cli.curl_secs - 8.75e-3).abs() < 1e-9);
        assert!((cli.fetch_token_secs - 3.25e-3).abs() < 1e-9);
        let error = super::cli(&CLI.replace("curl ", "wget ")).expect_err("no curl line");
        assert_eq!(message(&error), "cli: no curl in its output");
    }

    #[test]
    fn flat_output_gives_the_medians_and_the_paired_ratio() {
        let stdout = "round 1: 1 thread 29.50 ns, 2 threads 31.00 ns, 1.051x\n\
                      flat rounds=21 reads=2000000 one_thread_ns=29.61 two_threads_ns=30.20 ratio=1.020 control_ratio=1.031\n";
        let flat = flat(stdout).expect("the bench's line");
        assert_eq!(flat.control_ratio, Some(1.031));
        let without = "flat rounds=5 one_thread_ns=1 two_threads_ns=1 ratio=1\n";
        assert_eq!(
            super::flat(without).expect("no control").control_ratio,
            None
        );
        let bad = "flat rounds=5 one_thread_ns=1 two_threads_ns=1 ratio=1 control_ratio=x\n";
        assert!(super::flat(bad).is_err());
        assert_eq!(flat.rounds, 21);
        assert!((flat.one_thread_ns - 29.61).abs() < 1e-9);
        assert!((flat.two_threads_ns - 30.20).abs() < 1e-9);
        assert!((flat.ratio - 1.020).abs() < 1e-9);
        let error = super::flat("round 1: ...\n").expect_err("no flat line");
        assert_eq!(message(&error), "manager --flat: no flat in its output");
        let error = super::flat("flat rounds=21 ratio=x\n").expect_err("no medians");
        assert!(
            message(&error).contains("one_thread_ns"),
            "{}",
            message(&error)
        );
    }

    #[test]
    fn criterion_estimates_give_the_median_in_nanoseconds() {
        let median = criterion_median(ESTIMATES).expect("real estimates.json");
        assert!(median > 1.0 && median < 1e6, "{median}");
        assert!(criterion_median(r#"{"mean": {"point_estimate": 3.0}}"#).is_err());
        assert!(criterion_median("not json").is_err());
    }

    #[test]
    fn criterion_results_are_found_by_full_id_and_refused_when_stale() {
        let dir = std::env::temp_dir().join(format!("xtask-criterion-{}", std::process::id()));
        let new = dir.join("some_group").join("some_id").join("new");
        std::fs::create_dir_all(&new).expect("temp dir");
        std::fs::write(new.join("benchmark.json"), BENCHMARK).expect("write");
        std::fs::write(new.join("estimates.json"), ESTIMATES).expect("write");
        let full_id = criterion_full_id(BENCHMARK).expect("real benchmark.json");
        let before = SystemTime::now() - std::time::Duration::from_secs(60);
        let median = criterion_result("parse", &dir, &full_id, before).expect("found");
        assert!((median - criterion_median(ESTIMATES).expect("median")).abs() < 1e-9);
        let later = SystemTime::now() + std::time::Duration::from_secs(60);
        let stale = criterion_result("parse", &dir, &full_id, later).expect_err("stale");
        assert!(message(&stale).contains("older than this run"), "{stale}");
        let absent = criterion_result("parse", &dir, "no/such_id", before).expect_err("absent");
        assert!(
            message(&absent).contains("no criterion result for \"no/such_id\""),
            "{absent}"
        );
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
