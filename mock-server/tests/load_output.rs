//! The load bench's readers of wrk and oha output (`benches/support/loadgen.rs`),
//! on real outputs: a bench that misreads its load generator reports a
//! figure nobody measured, and one that reads past a 401 reports a broken
//! mock as a fast one.

#[path = "../benches/support/loadgen.rs"]
mod loadgen;

use std::time::Duration;

use loadgen::{parse_oha, parse_wrk};

/// `wrk -t2 -c16 -d2s --latency -s benches/support/token.lua` against the mock (wrk 4.1.0).
const WRK_OK: &str = "\
Running 2s test @ http://127.0.0.1:18777/token
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   438.57us  672.10us   9.43ms   93.90%
    Req/Sec    24.71k     8.41k   38.32k    62.50%
  Latency Distribution
     50%  268.00us
     75%  430.00us
     90%  676.00us
     99%    3.60ms
  98235 requests in 2.00s, 31.85MB read
Requests/sec:  49097.35
Transfer/sec:     15.92MB
";

/// The same with a wrong client secret: every answer a 401.
const WRK_401: &str = "\
Running 1s test @ http://127.0.0.1:18777/token
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   260.82us  159.94us   4.93ms   88.86%
    Req/Sec    30.92k     3.23k   37.20k    66.67%
  Latency Distribution
     50%  249.00us
     75%  304.00us
     90%  362.00us
     99%  508.00us
  64526 requests in 1.10s, 18.03MB read
  Non-2xx or 3xx responses: 64526
Requests/sec:  58751.39
Transfer/sec:     16.42MB
";

/// wrk's socket-error line (its format in wrk 4.1.0's `wrk.c`), on an otherwise clean run.
const WRK_SOCKET_ERRORS: &str = "\
Running 1s test @ http://127.0.0.1:18777/token
  2 threads and 64 connections
  Latency Distribution
     50%  600.00us
     99%    1.20s
  1000 requests in 1.00s, 300.00KB read
  Socket errors: connect 0, read 3, write 0, timeout 2
Requests/sec:   1000.00
Transfer/sec:    300.00KB
";

/// `oha --no-tui --output-format json`, in the shape of oha's JSON schema
/// (`schema.json` in its repository; trimmed to the members read and a few
/// around them).
const OHA_JSON: &str = r#"{
  "summary": {"successRate": 1.0, "total": 2.0012, "slowest": 0.0121, "fastest": 0.00004,
              "average": 0.00031, "requestsPerSec": 51234.5, "totalData": 9000000,
              "sizePerRequest": 88, "sizePerSec": 4500000},
  "responseTimeHistogram": {"0.00004": 1, "0.0121": 2},
  "latencyPercentiles": {"p10": 0.0001, "p25": 0.00015, "p50": 0.0002, "p75": 0.0003,
                         "p90": 0.0005, "p95": 0.0007, "p99": 0.00125, "p99.9": 0.004, "p99.99": 0.01},
  "rps": {"mean": 51000.0, "stddev": 900.0, "max": 53000.0, "min": 49000.0, "percentiles": {}},
  "details": {},
  "statusCodeDistribution": {"200": 102400},
  "errorDistribution": {}
}"#;

#[test]
fn wrk_output_gives_the_rate_the_p99_and_the_request_count() {
    let run = parse_wrk(WRK_OK).expect("a whole wrk output");
    assert_eq!(run.requests, 98_235);
    assert_eq!(run.non_2xx, 0);
    assert_eq!(run.socket_errors, 0);
    assert!((run.per_sec - 49_097.35).abs() < 1e-6, "{}", run.per_sec);
    assert_eq!(run.p99, Duration::from_micros(3_600));
    assert_eq!(run.check(), Ok(()));
}

#[test]
fn wrk_run_answered_with_401s_is_a_broken_run_not_a_fast_one() {
    let run = parse_wrk(WRK_401).expect("a whole wrk output");
    assert_eq!(run.non_2xx, 64_526);
    assert_eq!(run.p99, Duration::from_micros(508));
    assert_eq!(
        run.check(),
        Err("64526 of 64526 responses were not 2xx or 3xx".to_owned())
    );
}

#[test]
fn wrk_socket_errors_are_counted_and_fail_the_run() {
    let run = parse_wrk(WRK_SOCKET_ERRORS).expect("a whole wrk output");
    assert_eq!(run.socket_errors, 5);
    assert_eq!(run.p99, Duration::from_millis(1_200));
    assert_eq!(run.check(), Err("5 socket errors".to_owned()));
}

#[test]
fn wrk_output_without_latency_distribution_is_refused() {
    let without = WRK_OK
        .lines()
        .filter(|line| !line.trim_start().starts_with("99%"))
        .collect::<Vec<_>>()
        .join("\n");
    let error = parse_wrk(&without).expect_err("no p99");
    assert!(error.contains("--latency"), "{error}");
}

#[test]
fn wrk_latency_with_an_unknown_unit_is_an_error_not_a_guess() {
    let odd = WRK_OK.replace("3.60ms", "3.60xs");
    let error = parse_wrk(&odd).expect_err("unknown unit");
    assert!(error.contains("unknown unit"), "{error}");
}

#[test]
fn truncated_or_empty_wrk_output_is_an_error() {
    assert!(parse_wrk("").is_err());
    let head: String = WRK_OK.lines().take(5).collect::<Vec<_>>().join("\n");
    assert!(parse_wrk(&head).is_err());
}

#[test]
fn oha_json_gives_the_rate_the_p99_and_the_statuses() {
    let run = parse_oha(OHA_JSON).expect("oha's JSON");
    assert_eq!(run.requests, 102_400);
    assert_eq!(run.non_2xx, 0);
    assert_eq!(run.socket_errors, 0);
    assert!((run.per_sec - 51_234.5).abs() < 1e-6);
    assert_eq!(run.p99, Duration::from_micros(1_250));
    assert_eq!(run.check(), Ok(()));
}

#[test]
fn oha_non_2xx_statuses_and_errors_fail_the_run() {
    let json = OHA_JSON
        .replace(r#"{"200": 102400}"#, r#"{"200": 100, "401": 7}"#)
        .replace(
            r#""errorDistribution": {}"#,
            r#""errorDistribution": {"connection closed": 2}"#,
        );
    let run = parse_oha(&json).expect("oha's JSON");
    assert_eq!((run.requests, run.non_2xx, run.socket_errors), (107, 7, 2));
    assert_eq!(
        run.check(),
        Err("7 of 107 responses were not 2xx or 3xx".to_owned())
    );
}

#[test]
fn oha_output_that_is_not_its_json_is_an_error() {
    assert!(parse_oha("Summary:\n  Success rate: 100.00%").is_err());
    assert!(parse_oha(r#"{"summary": {}}"#).is_err());
}

#[test]
fn proc_stat_gives_own_and_children_cpu_ticks_counted_from_the_last_parenthesis() {
    // A command name with a space and a `)` in it: counting fields from the
    // first `)` would read the wrong columns.
    let stat = "4242 (tokio rt) x) S 1 4242 4242 0 -1 4194560 \
                100 0 0 0 731 269 55 45 20 0 3 0 5000 0 0";
    assert_eq!(loadgen::stat_cpu_ticks(stat), Ok((731 + 269, 55 + 45)));
}

#[test]
fn proc_stat_that_is_cut_short_or_not_numeric_is_an_error() {
    assert!(loadgen::stat_cpu_ticks("4242 (mock) S 1 2 3").is_err());
    assert!(loadgen::stat_cpu_ticks("no name here").is_err());
    let stat = "4242 (mock) S 1 4242 4242 0 -1 4194560 100 0 0 0 7x 269 55 45 20";
    assert!(loadgen::stat_cpu_ticks(stat).is_err());
}

#[cfg(target_os = "linux")]
#[test]
fn this_process_cpu_time_reads_from_proc_and_grows_with_work() {
    let (before, _) = loadgen::cpu_times("self").expect("/proc/self/stat on Linux");
    // Spin until a clock tick of CPU time accrues; ten seconds of wall time
    // is far more than any loaded machine needs for one 10 ms tick.
    let start = std::time::Instant::now();
    let mut x = 0_u64;
    let after = loop {
        for _ in 0..100_000 {
            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
        }
        let (now, _) = loadgen::cpu_times("self").expect("/proc/self/stat on Linux");
        if now > before || start.elapsed() > Duration::from_secs(10) {
            break now;
        }
    };
    assert!(after > before, "{before:?} -> {after:?}");
}
