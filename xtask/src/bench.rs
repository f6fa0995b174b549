//! `cargo xtask bench-report`: which benches run, how, and the rows each
//! one's output becomes.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::Error;
use crate::output::{self, criterion_result};
use crate::report::{self, Met, Row};

/// Criterion's options for a quick run: short, still a real measurement.
const CRITERION_QUICK: [&str; 4] = ["--warm-up-time", "1", "--measurement-time", "2"];
/// Issue 17, item 1: throughput at least 80 % of bare hyper, p99 at most 1.5x.
const LOAD_THROUGHPUT_TARGET: f64 = 0.80;
const LOAD_P99_TARGET: f64 = 1.5;
/// Item 2: the typical body at least 1.2x faster than `oauth2` v5.
const PARSE_TARGET: f64 = 1.2;
/// Item 3: spawn to first token at most 1.1x bare hyper's.
const STARTUP_TARGET: f64 = 1.1;
/// Item 4: fetch-token at most 1.5x curl.
const CLI_TARGET: f64 = 1.5;
/// Item 5: a cached read at most 50 ns, and "flat" with two threads: within
/// 10 % of one thread's (criterion's own noise on this machine is a few %).
const CACHED_READ_NS: f64 = 50.0;
const CACHED_FLAT: f64 = 1.1;

/// What a row builder gets besides the bench's stdout.
struct Context<'a> {
    criterion_dir: &'a Path,
    /// When this bench started: criterion results older than it are stale.
    since: SystemTime,
}

type Rows = fn(&Context<'_>, &str) -> Result<Vec<Row>, Error>;

/// One benchmark run: `cargo bench --workspace --all-features --bench BENCH [-- ARGS]`.
///
/// `--workspace` with `--bench` builds only that bench and what it needs,
/// with the features of every package unified: the same for every bench of
/// the report, so no bench rebuilds shared crates (ring, rustls, tokio...)
/// another one built with other features (cargo keeps one artifact per
/// crate whatever its features).
struct Spec {
    /// Its name in `BENCH_REPORT_ONLY` and in failures.
    name: &'static str,
    bench: &'static str,
    env: Vec<(String, String)>,
    args: Vec<String>,
    /// The row that stands for the bench when it fails.
    what: &'static str,
    rows: Rows,
}

impl Spec {
    fn new(name: &'static str, bench: &'static str, what: &'static str, rows: Rows) -> Self {
        Self {
            name,
            bench,
            env: Vec::new(),
            args: Vec::new(),
            what,
            rows,
        }
    }

    fn cargo_args(&self) -> Vec<String> {
        let mut args = [
            "bench",
            "--workspace",
            "--all-features",
            "--bench",
            self.bench,
        ]
        .map(str::to_owned)
        .to_vec();
        if !self.args.is_empty() {
            args.push("--".to_owned());
            args.extend(self.args.iter().cloned());
        }
        args
    }

    /// The command as a shell line, environment first.
    fn command_line(&self) -> String {
        let env = self.env.iter().map(|(k, v)| format!("{k}={}", quote(v)));
        let cargo = std::iter::once("cargo".to_owned())
            .chain(self.cargo_args().into_iter().map(|a| quote(&a)));
        env.chain(cargo).collect::<Vec<_>>().join(" ")
    }

    /// Builds the bench (so the load average and the timings do not see the
    /// compiler), waits for idle CPUs, then runs it; its stdout, echoed as
    /// it comes.
    fn run(&self, cargo: &str, root: &Path) -> Result<String, String> {
        let mut build = cargo_command(cargo);
        build
            .current_dir(root)
            .args(self.cargo_args().iter().take(5))
            .arg("--no-run");
        let status = build
            .status()
            .map_err(|e| format!("cannot run {cargo}: {e}"))?;
        if !status.success() {
            return Err(format!(
                "cargo could not build it ({status}; its error is in the run's output)"
            ));
        }
        if let Some(idle) = until_quiet(Duration::from_secs(60))
            && idle < 0.95
        {
            eprintln!(
                "xtask bench-report: the CPUs are only {:.0} % idle; {} runs anyway",
                idle * 100.0,
                self.name
            );
        }
        let mut child = cargo_command(cargo)
            .current_dir(root)
            .args(self.cargo_args())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {cargo}: {e}"))?;
        let mut stdout = String::new();
        if let Some(pipe) = child.stdout.take() {
            let mut reader = BufReader::new(pipe);
            let mut line = Vec::new();
            while reader
                .read_until(b'\n', &mut line)
                .map_err(|e| format!("reading its output: {e}"))?
                > 0
            {
                let text = String::from_utf8_lossy(&line);
                print!("{text}");
                stdout.push_str(&text);
                line.clear();
            }
        }
        let status = child.wait().map_err(|e| format!("waiting for it: {e}"))?;
        if status.success() {
            Ok(stdout)
        } else {
            Err(format!("it exited with {status}"))
        }
    }
}

/// `cargo`, without the variables `cargo run` set for this process
/// (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`...): build scripts watch some of
/// them (ring's `rerun-if-env-changed=CARGO_PKG_NAME`), so passing xtask's
/// down would rebuild ring and all above it, here and again in the next
/// plain `cargo bench`.
fn cargo_command(cargo: &str) -> Command {
    let mut command = Command::new(cargo);
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if name.starts_with("CARGO_PKG_")
            || [
                "CARGO_MANIFEST_DIR",
                "CARGO_MANIFEST_PATH",
                "CARGO_MANIFEST_LINKS",
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "OUT_DIR",
            ]
            .contains(&name)
        {
            command.env_remove(name);
        }
    }
    command
}

/// A shell word: as is when safe, else single-quoted.
fn quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_=./:,".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A knob from the environment, or `default` in a quick run; shown in the
/// command when set either way.
fn knob(env: &mut Vec<(String, String)>, name: &str, quick: bool, quick_value: &str) {
    match std::env::var(name) {
        Ok(value) => env.push((name.to_owned(), value)),
        Err(_) if quick => env.push((name.to_owned(), quick_value.to_owned())),
        Err(_) => {}
    }
}

fn specs(quick: bool) -> Vec<Spec> {
    let criterion = |filter: &str| {
        let mut args: Vec<String> = if quick {
            CRITERION_QUICK.map(str::to_owned).to_vec()
        } else {
            Vec::new()
        };
        args.push(filter.to_owned());
        args
    };
    let mut parse = Spec::new(
        "parse",
        "parse",
        "parse a token response vs `oauth2` v5",
        parse_rows,
    );
    parse.args = criterion("parse_token_response");
    let parse_allocations = Spec::new(
        "parse_allocations",
        "parse_allocations",
        "heap allocations per parse",
        parse_allocation_rows,
    );
    let mut load = Spec::new(
        "load",
        "load",
        "token endpoint under wrk vs bare hyper",
        load_rows,
    );
    knob(&mut load.env, "MOCK_LOAD_ROUNDS", quick, "1");
    knob(&mut load.env, "MOCK_LOAD_SECS", quick, "2");
    knob(&mut load.env, "MOCK_LOAD_WORKERS", false, "");
    knob(&mut load.env, "MOCK_LOAD_CONNS", false, "");
    let allocations = Spec::new(
        "allocations",
        "allocations",
        "heap allocations per token request (mock)",
        allocation_rows,
    );
    let startup = |workers: &str| {
        let mut spec = Spec::new(
            "startup",
            "startup",
            "mock-server spawn to first token vs bare hyper",
            startup_rows,
        );
        spec.env
            .push(("MOCK_SERVER_WORKERS".to_owned(), workers.to_owned()));
        knob(&mut spec.env, "STARTUP_RUNS", quick, "5");
        spec
    };
    let mut cli = Spec::new(
        "cli",
        "cli",
        "fetch-token start to token printed vs curl",
        cli_rows,
    );
    knob(&mut cli.env, "STARTUP_RUNS", quick, "5");
    let mut manager = Spec::new(
        "manager",
        "manager",
        "cached `token()` (TokenManager)",
        manager_rows,
    );
    manager.args = criterion("token_manager/|mutex_baseline/1_thread");
    let mut flat = Spec::new(
        "flat",
        "manager",
        "cached `token()`, 1 and 2 threads in alternating rounds",
        flat_rows,
    );
    flat.args = vec!["--flat".to_owned()];
    knob(&mut flat.env, "FLAT_ROUNDS", quick, "5");
    vec![
        parse,
        parse_allocations,
        load,
        allocations,
        startup("1"),
        startup("2"),
        cli,
        manager,
        flat,
    ]
}

/// Runs the benches and rewrites the section; `Err` when any bench failed
/// (after the section says so) or the section cannot be written.
pub(crate) fn report() -> Result<(), Error> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or_else(|| Error::Usage("xtask is not inside the workspace".to_owned()))?
        .to_path_buf();
    let doc_path = root.join("docs").join("performance.md");
    // The markers are checked before ten minutes of benches, not after.
    report::rewrite(&read(&doc_path)?, "")?;
    let quick = std::env::var("BENCH_REPORT_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let only = std::env::var("BENCH_REPORT_ONLY").ok();
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let criterion_dir = target.join("criterion");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let date = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap_or_default();
    let started = Instant::now();
    let (mut rows, mut failed) = (Vec::new(), Vec::new());
    for spec in specs(quick) {
        if only
            .as_deref()
            .is_some_and(|only| !only.split_whitespace().any(|name| name == spec.name))
        {
            continue;
        }
        let command = spec.command_line();
        eprintln!("xtask bench-report: {command}");
        let context = Context {
            criterion_dir: &criterion_dir,
            since: SystemTime::now(),
        };
        let before = load_average();
        let result = spec
            .run(&cargo, &root)
            .and_then(|stdout| (spec.rows)(&context, &stdout).map_err(|e| e.to_string()));
        let load = format!("{before} → {}", load_average());
        match result {
            Ok(new) => rows.extend(new.into_iter().map(|row| Row {
                load: load.clone(),
                command: command.clone(),
                ..row
            })),
            Err(why) => {
                eprintln!("xtask bench-report: {} failed: {why}", spec.name);
                rows.push(Row {
                    what: spec.what.to_owned(),
                    ours: format!("failed: {why}"),
                    baseline: String::new(),
                    ratio: String::new(),
                    target: String::new(),
                    met: Met::Failed,
                    load,
                    command,
                });
                failed.push((spec.name.to_owned(), why));
            }
        }
    }
    let run = report::Run {
        date,
        cores: std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        ram: ram(),
        quick,
        minutes: started.elapsed().as_secs().div_ceil(60),
        failed: failed.clone(),
    };
    let section = report::render(&run, &rows);
    // Read again: the file may have been edited during the run.
    let rewritten = report::rewrite(&read(&doc_path)?, &section)?;
    write_whole(&doc_path, &rewritten)?;
    eprintln!(
        "xtask bench-report: rewrote the generated section of {}",
        doc_path.display()
    );
    if failed.is_empty() {
        Ok(())
    } else {
        let names: Vec<&str> = failed.iter().map(|(name, _)| name.as_str()).collect();
        Err(Error::Failed(names.join(", ")))
    }
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes a temporary file beside `path` and renames it over `path`: a
/// reader sees the old file or the new one, never half of one.
fn write_whole(path: &Path, text: &str) -> Result<(), Error> {
    let temporary = path.with_extension(format!("md.bench-report-{}.tmp", std::process::id()));
    let io = |source| Error::Io {
        path: temporary.clone(),
        source,
    };
    std::fs::write(&temporary, text).map_err(io)?;
    std::fs::rename(&temporary, path).map_err(|source| {
        let _ = std::fs::remove_file(&temporary);
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// Waits (at most `limit`) until the CPUs were idle for at least 95 % of
/// one second: a bench should not start while the last one's processes
/// still wind down, nor while something else runs. The one-minute load
/// average cannot tell: it decays for minutes after a busy bench. Returns
/// the idle share of the last second, or `None` without `/proc/stat`.
fn until_quiet(limit: Duration) -> Option<f64> {
    let started = Instant::now();
    let read = || cpu_times(&std::fs::read_to_string("/proc/stat").ok()?);
    let mut before = read()?;
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let after = read()?;
        let idle = idle_share(before, after);
        if idle >= 0.95 || started.elapsed() >= limit {
            return Some(idle);
        }
        before = after;
    }
}

/// All CPUs' (idle + iowait, total) jiffies from `/proc/stat`'s `cpu` line.
fn cpu_times(stat: &str) -> Option<(u64, u64)> {
    let fields = stat
        .lines()
        .find_map(|line| line.strip_prefix("cpu "))?
        .split_whitespace()
        .map(str::parse::<u64>)
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    let idle = fields.get(3)? + fields.get(4).copied().unwrap_or(0);
    Some((idle, fields.iter().sum()))
}

#[allow(clippy::cast_precision_loss, reason = "a share of jiffies")]
fn idle_share(before: (u64, u64), after: (u64, u64)) -> f64 {
    let total = after.1.saturating_sub(before.1);
    if total == 0 {
        return 1.0;
    }
    after.0.saturating_sub(before.0) as f64 / total as f64
}

/// The one-minute load average (`/proc/loadavg`), or `?`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

/// Total memory (`/proc/meminfo`), e.g. `23.4 GiB`, or `?`.
fn ram() -> String {
    let kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        });
    #[allow(clippy::cast_precision_loss, reason = "a size shown to one decimal")]
    kib.map_or_else(
        || "?".to_owned(),
        |kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0),
    )
}

/// `651 ns`, `64.3 ns`, `1.80 µs`.
fn nanos(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else if ns >= 100.0 {
        format!("{ns:.0} ns")
    } else {
        format!("{ns:.1} ns")
    }
}

/// `3.26 ms`, `850 µs`.
fn secs(s: f64) -> String {
    if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

/// `79,712 req/s`.
fn rate(per_sec: f64) -> String {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a rate shown whole"
    )]
    let digits = (per_sec.max(0.0).round() as u64).to_string();
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{grouped} req/s")
}

/// The ratio of a time against its baseline: `1.20x faster`, `1.03x slower`.
fn speedup(ours: f64, theirs: f64) -> String {
    if ours <= theirs {
        format!("{:.2}x faster", theirs / ours)
    } else {
        format!("{:.2}x slower", ours / theirs)
    }
}

fn row(what: String, ours: String, baseline: String, ratio: String, target: &str, met: Met) -> Row {
    Row {
        what,
        ours,
        baseline,
        ratio,
        target: target.to_owned(),
        met,
        load: String::new(),
        command: String::new(),
    }
}

fn parse_rows(context: &Context<'_>, _stdout: &str) -> Result<Vec<Row>, Error> {
    let cases = [
        ("typical", "parse a typical token response", true),
        (
            "large_jwt_10_extensions",
            "parse a large JWT body with 10 extension members",
            false,
        ),
        ("minimal_opaque", "parse a minimal opaque body", false),
    ];
    let mut rows = Vec::new();
    for (case, what, targeted) in cases {
        let median = |side: &str| {
            criterion_result(
                "parse",
                context.criterion_dir,
                &format!("parse_token_response_{case}/{side}"),
                context.since,
            )
        };
        let (ours, theirs) = (median("auth_core")?, median("oauth2_v5")?);
        let (target, met) = if targeted {
            (
                "≥ 1.2x faster",
                Met::from_bool(theirs / ours >= PARSE_TARGET),
            )
        } else {
            ("reported", Met::Reported)
        };
        rows.push(row(
            format!("{what} (auth-core vs `oauth2` v5, criterion median)"),
            nanos(ours),
            format!("{} (`oauth2` v5)", nanos(theirs)),
            speedup(ours, theirs),
            target,
            met,
        ));
    }
    Ok(rows)
}

fn parse_allocation_rows(_: &Context<'_>, stdout: &str) -> Result<Vec<Row>, Error> {
    Ok(output::parse_allocations(stdout)?
        .into_iter()
        .map(|a| {
            #[allow(clippy::cast_precision_loss, reason = "small counts")]
            let ratio = a.ours as f64 / a.theirs as f64;
            row(
                format!(
                    "heap allocations per parse, {} body ({} B)",
                    a.case.replace('_', " "),
                    a.bytes
                ),
                a.ours.to_string(),
                format!("{} (`oauth2` v5)", a.theirs),
                format!("{ratio:.2}x"),
                "reported",
                Met::Reported,
            )
        })
        .collect())
}

fn load_rows(_: &Context<'_>, stdout: &str) -> Result<Vec<Row>, Error> {
    let mut rows = Vec::new();
    for l in output::load(stdout)? {
        let config = format!(
            "{} worker{}, {} connections, median of {} × {} s",
            l.workers,
            if l.workers == 1 { "" } else { "s" },
            l.connections,
            l.rounds,
            l.secs
        );
        let throughput = l.mock_req_per_s / l.bare_req_per_s;
        rows.push(row(
            format!("token endpoint throughput under {}, {config}", l.generator),
            rate(l.mock_req_per_s),
            format!("{} (bare hyper)", rate(l.bare_req_per_s)),
            format!("{:.1} %", throughput * 100.0),
            "≥ 80 %",
            Met::from_bool(throughput >= LOAD_THROUGHPUT_TARGET),
        ));
        let p99 = l.mock_p99_us / l.bare_p99_us;
        rows.push(row(
            format!("token endpoint p99 under {}, {config}", l.generator),
            secs(l.mock_p99_us * 1e-6),
            format!("{} (bare hyper)", secs(l.bare_p99_us * 1e-6)),
            format!("{p99:.2}x"),
            "≤ 1.5x",
            Met::from_bool(p99 <= LOAD_P99_TARGET),
        ));
        if let Some(work) = l.work {
            // Issue 17's decision (a): the mock against a server that does
            // the token work and nothing more. Reported, not judged.
            let cpu = match (work.server_cpu_us, l.cpu) {
                (Some(work_cpu), Some(cpu)) => format!(
                    "; server CPU {:.2} µs against {work_cpu:.2} µs, {:.2}x",
                    cpu.mock_server,
                    cpu.mock_server / work_cpu
                ),
                _ => String::new(),
            };
            rows.push(row(
                format!(
                    "token endpoint throughput under {} against hyper doing the same token work (form, Basic, secret HMAC, scope, opaque mint, JSON), {config}",
                    l.generator
                ),
                rate(l.mock_req_per_s),
                format!(
                    "{} (hyper + token work, {:.1} % of bare hyper; p99 {})",
                    rate(work.req_per_s),
                    work.req_per_s / l.bare_req_per_s * 100.0,
                    secs(work.p99_us * 1e-6)
                ),
                format!(
                    "{:.1} %{cpu}",
                    l.mock_req_per_s / work.req_per_s * 100.0
                ),
                "reported",
                Met::Reported,
            ));
        }
        if let Some(cpu) = l.cpu {
            rows.push(row(
                format!("CPU per token request, server / load generator, {config}"),
                format!("{:.2} µs / {:.2} µs", cpu.mock_server, cpu.mock_client),
                format!(
                    "{:.2} µs / {:.2} µs (bare hyper)",
                    cpu.bare_server, cpu.bare_client
                ),
                format!(
                    "{:.2}x / {:.2}x",
                    cpu.mock_server / cpu.bare_server,
                    cpu.mock_client / cpu.bare_client
                ),
                "reported",
                Met::Reported,
            ));
        }
    }
    Ok(rows)
}

fn allocation_rows(_: &Context<'_>, stdout: &str) -> Result<Vec<Row>, Error> {
    let a = output::allocations(stdout)?;
    Ok(vec![row(
        "heap allocations per token request (mock, opaque tokens, counting allocator)".to_owned(),
        format!("{} ({} B)", a.count, a.bytes),
        String::new(),
        String::new(),
        "reported (before/after in the issue's section)",
        Met::Reported,
    )])
}

fn startup_rows(_: &Context<'_>, stdout: &str) -> Result<Vec<Row>, Error> {
    let s = output::startup(stdout)?;
    let ratio = s.mock_first_secs / s.bare_first_secs;
    Ok(vec![row(
        format!(
            "mock-server spawn to first token, {} worker{}, median of {}",
            s.workers,
            if s.workers == 1 { "" } else { "s" },
            s.runs
        ),
        secs(s.mock_first_secs),
        format!("{} (bare hyper)", secs(s.bare_first_secs)),
        format!("{ratio:.2}x"),
        "≤ 1.1x",
        Met::from_bool(ratio <= STARTUP_TARGET),
    )])
}

fn cli_rows(_: &Context<'_>, stdout: &str) -> Result<Vec<Row>, Error> {
    let c = output::cli(stdout)?;
    let ratio = c.fetch_token_secs / c.curl_secs;
    Ok(vec![row(
        format!(
            "`fetch-token` start to token printed, loopback, median of {}",
            c.runs
        ),
        secs(c.fetch_token_secs),
        format!("{} (curl)", secs(c.curl_secs)),
        format!("{ratio:.2}x"),
        "≤ 1.5x",
        Met::from_bool(ratio <= CLI_TARGET),
    )])
}

fn manager_rows(context: &Context<'_>, _stdout: &str) -> Result<Vec<Row>, Error> {
    let median = |id: &str| criterion_result("manager", context.criterion_dir, id, context.since);
    let one = median("token_manager/1_thread")?;
    let two = median("token_manager/2_threads")?;
    let mutex = median("mutex_baseline/1_thread")?;
    Ok(vec![
        row(
            "cached `token()`, 1 thread (TokenManager, criterion median)".to_owned(),
            nanos(one),
            format!("{} (mutex held across the fetch)", nanos(mutex)),
            format!("{:.2}x", one / mutex),
            "≤ 50 ns",
            Met::from_bool(one <= CACHED_READ_NS),
        ),
        // Flatness is judged on the alternating rounds ([`flat_rows`]):
        // criterion measures the two rows tens of seconds apart.
        row(
            "cached `token()`, 2 threads (TokenManager, criterion median)".to_owned(),
            nanos(two),
            format!("{} (1 thread)", nanos(one)),
            format!("{:.2}x", two / one),
            "≤ 50 ns (flat: the alternating rounds' row)",
            Met::from_bool(two <= CACHED_READ_NS),
        ),
    ])
}

/// Item 5's "flat": the one- and two-thread reads in alternating rounds,
/// each round's ratio paired, so a burst of load on a shared host weighs on
/// both sides (criterion runs its one- and two-thread rows tens of seconds apart).
fn flat_rows(_: &Context<'_>, stdout: &str) -> Result<Vec<Row>, Error> {
    let f = output::flat(stdout)?;
    Ok(vec![row(
        format!(
            "cached `token()`, 2 threads against 1, {} alternating rounds (median of the paired ratios)",
            f.rounds
        ),
        nanos(f.two_threads_ns),
        match f.control_ratio {
            Some(control) => format!(
                "{} (1 thread; loops sharing nothing: {control:.2}x)",
                nanos(f.one_thread_ns)
            ),
            None => format!("{} (1 thread)", nanos(f.one_thread_ns)),
        },
        format!("{:.2}x", f.ratio),
        "flat (≤ 1.1x of 1 thread)",
        Met::from_bool(f.ratio <= CACHED_FLAT),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_idle_share_comes_from_the_cpu_line_of_proc_stat() {
        let before = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 50 0 25 400 25 0 0 0 0 0\nintr 1\n";
        let after = "cpu  130 0 70 1700 100 0 0 0 0 0\ncpu0 65 0 35 850 50 0 0 0 0 0\n";
        let (before, after) = (cpu_times(before).unwrap(), cpu_times(after).unwrap());
        assert_eq!(before, (850, 1000));
        assert_eq!(after, (1800, 2000));
        // 950 of 1000 jiffies idle or waiting for io.
        assert!((idle_share(before, after) - 0.95).abs() < 1e-9);
        assert!(
            (idle_share(after, after) - 1.0).abs() < 1e-9,
            "no time passed"
        );
        assert_eq!(cpu_times("intr 1\n"), None);
        assert_eq!(cpu_times("cpu  1 2 x 4\n"), None);
        assert_eq!(cpu_times("cpu  1 2 3\n"), None, "no idle column");
    }

    #[test]
    fn commands_show_their_environment_and_quote_what_the_shell_would_split() {
        let specs = specs(true);
        let manager = specs.iter().find(|s| s.name == "manager").expect("manager");
        assert_eq!(
            manager.command_line(),
            "cargo bench --workspace --all-features --bench manager -- --warm-up-time 1 \
             --measurement-time 2 'token_manager/|mutex_baseline/1_thread'"
        );
        let startup = specs.iter().find(|s| s.name == "startup").expect("startup");
        assert!(
            startup.command_line().starts_with("MOCK_SERVER_WORKERS=1 "),
            "{}",
            startup.command_line()
        );
        assert!(
            startup
                .command_line()
                .ends_with("cargo bench --workspace --all-features --bench startup")
        );
    }

    #[test]
    fn nested_cargo_does_not_inherit_what_cargo_run_set_for_xtask() {
        // `cargo test` runs this binary with the same variables `cargo run` sets.
        assert!(
            std::env::var_os("CARGO_PKG_NAME").is_some(),
            "run under cargo"
        );
        let command = cargo_command("cargo");
        let removed: Vec<String> = command
            .get_envs()
            .filter(|(_, value)| value.is_none())
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        for name in [
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_MAJOR",
            "CARGO_MANIFEST_DIR",
        ] {
            assert!(removed.iter().any(|r| r == name), "{name} in {removed:?}");
        }
        assert!(
            !removed.iter().any(|r| r == "PATH" || r == "CARGO_HOME"),
            "{removed:?}"
        );
    }

    #[test]
    fn every_issue_17_bench_is_run() {
        let names: Vec<&str> = specs(false).iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "parse",
                "parse_allocations",
                "load",
                "allocations",
                "startup",
                "startup",
                "cli",
                "manager",
                "flat"
            ]
        );
    }

    #[test]
    fn flat_rows_judge_the_paired_ratio_not_criterions() {
        let context = Context {
            criterion_dir: Path::new("/nonexistent"),
            since: SystemTime::now(),
        };
        let line = |ratio: &str| {
            format!(
                "flat rounds=21 reads=2000000 one_thread_ns=29.61 two_threads_ns=30.20 ratio={ratio} control_ratio=1.031\n"
            )
        };
        let rows = flat_rows(&context, &line("1.020")).expect("the bench's line");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].ours, "30.2 ns");
        assert_eq!(
            rows[0].baseline,
            "29.6 ns (1 thread; loops sharing nothing: 1.03x)"
        );
        assert_eq!(rows[0].ratio, "1.02x");
        assert_eq!(rows[0].met, Met::Yes);
        let rows = flat_rows(&context, &line("1.150")).expect("the bench's line");
        assert_eq!(rows[0].met, Met::No);
    }

    #[test]
    fn load_rows_judge_throughput_and_p99_against_their_targets() {
        let context = Context {
            criterion_dir: Path::new("/nonexistent"),
            since: SystemTime::now(),
        };
        let rows = load_rows(&context, include_str!("../samples/load.txt")).expect("real output");
        assert_eq!(rows.len(), 8);
        assert_eq!(
            rows[0].what,
            "token endpoint throughput under wrk, 1 worker, 16 connections, median of 1 × 2 s"
        );
        assert_eq!(rows[0].ours, "24,227 req/s");
        assert_eq!(rows[0].baseline, "46,300 req/s (bare hyper)");
        assert_eq!(rows[0].ratio, "52.3 %");
        assert_eq!(rows[0].met, Met::No);
        assert_eq!(rows[1].ours, "6.94 ms");
        assert_eq!(rows[1].ratio, "0.76x");
        assert_eq!(rows[1].met, Met::Yes);
        assert_eq!(rows[4].ratio, "103.2 %");
        assert_eq!(rows[4].met, Met::Yes);
        assert_eq!(rows[5].ratio, "1.44x");
        assert_eq!(rows[5].met, Met::Yes);
    }

    #[test]
    fn load_rows_report_the_mock_against_the_token_work_baseline() {
        let context = Context {
            criterion_dir: Path::new("/nonexistent"),
            since: SystemTime::now(),
        };
        let rows =
            load_rows(&context, include_str!("../samples/load_work.txt")).expect("real output");
        let work = rows
            .iter()
            .find(|r| r.what.contains("same token work"))
            .expect("a token-work row");
        assert_eq!(work.ours, "44,414 req/s");
        assert_eq!(
            work.baseline,
            "52,776 req/s (hyper + token work, 87.3 % of bare hyper; p99 688 µs)"
        );
        assert_eq!(
            work.ratio,
            "84.2 %; server CPU 11.70 µs against 9.65 µs, 1.21x"
        );
        assert_eq!(work.met, Met::Reported);
        // The target is still judged against bare hyper.
        assert_eq!(rows[0].ratio, "73.5 %");
        assert_eq!(rows[0].met, Met::No);
        // A line without the baseline (older benches) has no such row.
        let old = load_rows(&context, include_str!("../samples/load.txt")).expect("real output");
        assert!(old.iter().all(|r| !r.what.contains("same token work")));
    }

    #[test]
    fn figures_are_shown_in_readable_units() {
        assert_eq!(nanos(64.34), "64.3 ns");
        assert_eq!(nanos(651.2), "651 ns");
        assert_eq!(nanos(1804.0), "1.80 µs");
        assert_eq!(secs(3.26e-3), "3.26 ms");
        assert_eq!(secs(850e-6), "850 µs");
        assert_eq!(rate(79_712.4), "79,712 req/s");
        assert_eq!(rate(512.0), "512 req/s");
        assert_eq!(rate(1_234_567.0), "1,234,567 req/s");
        assert_eq!(speedup(651.0, 783.0), "1.20x faster");
        assert_eq!(speedup(232.0, 226.0), "1.03x slower");
    }
}
