//! What an external load generator reports, read from its output: `wrk
//! --latency` (its text) or `oha --output-format json`. Shared by the load
//! bench and `tests/load_output.rs`, which reads real outputs of both.

use std::time::Duration;

/// One run of the load generator against one server.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Run {
    /// Responses received.
    pub(crate) requests: u64,
    /// Responses with a status other than 2xx or 3xx.
    pub(crate) non_2xx: u64,
    /// Connect, read, write and timeout errors.
    pub(crate) socket_errors: u64,
    pub(crate) per_sec: f64,
    pub(crate) p99: Duration,
}

impl Run {
    /// A run where anything but a 2xx answer came back measured a broken
    /// server (a mock answering 401s is fast and wrong), not a fast one.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.requests == 0 {
            return Err("no response at all".to_owned());
        }
        if self.non_2xx > 0 {
            return Err(format!(
                "{} of {} responses were not 2xx or 3xx",
                self.non_2xx, self.requests
            ));
        }
        if self.socket_errors > 0 {
            return Err(format!("{} socket errors", self.socket_errors));
        }
        Ok(())
    }
}

/// `wrk --latency` output: `Requests/sec:`, the `99%` line of the latency
/// distribution, `N requests in`, and the optional `Non-2xx or 3xx
/// responses:` and `Socket errors:` lines.
pub(crate) fn parse_wrk(output: &str) -> Result<Run, String> {
    let mut per_sec = None;
    let mut p99 = None;
    let mut requests = None;
    let mut non_2xx = 0;
    let mut socket_errors = 0;
    for line in output.lines().map(str::trim) {
        if let Some(rate) = line.strip_prefix("Requests/sec:") {
            per_sec = Some(
                rate.trim()
                    .parse::<f64>()
                    .map_err(|e| format!("wrk requests/sec {rate:?}: {e}"))?,
            );
        } else if let Some(latency) = line.strip_prefix("99%") {
            p99 = Some(wrk_duration(latency.trim())?);
        } else if let Some(count) = line.strip_prefix("Non-2xx or 3xx responses:") {
            non_2xx = count
                .trim()
                .parse()
                .map_err(|e| format!("wrk non-2xx count {count:?}: {e}"))?;
        } else if let Some(errors) = line.strip_prefix("Socket errors:") {
            // `connect 0, read 0, write 0, timeout 0`
            for part in errors.split(',') {
                let count = part.split_whitespace().nth(1).unwrap_or_default();
                socket_errors += count
                    .parse::<u64>()
                    .map_err(|e| format!("wrk socket errors {errors:?}: {e}"))?;
            }
        } else if let Some((count, _)) = line.split_once(" requests in ") {
            requests = Some(
                count
                    .parse::<u64>()
                    .map_err(|e| format!("wrk request count {count:?}: {e}"))?,
            );
        }
    }
    Ok(Run {
        requests: requests.ok_or("no `requests in` line in wrk's output")?,
        non_2xx,
        socket_errors,
        per_sec: per_sec.ok_or("no `Requests/sec:` line in wrk's output")?,
        p99: p99.ok_or("no `99%` latency line in wrk's output (run it with --latency)")?,
    })
}

/// wrk's latency figures: a number and a unit among `us`, `ms`, `s`, `m`.
fn wrk_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .ok_or_else(|| format!("wrk latency {text:?} has no unit"))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|e| format!("wrk latency {text:?}: {e}"))?;
    let secs = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        _ => return Err(format!("wrk latency {text:?}: unknown unit {unit:?}")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("wrk latency {text:?}: {e}"))
}

/// `oha --output-format json`: `summary.requestsPerSec`,
/// `latencyPercentiles.p99` (seconds), `statusCodeDistribution`,
/// `errorDistribution`.
pub(crate) fn parse_oha(output: &str) -> Result<Run, String> {
    let json: serde_json::Value =
        serde_json::from_str(output).map_err(|e| format!("oha's JSON: {e}"))?;
    let number = |pointer: &str| {
        json.pointer(pointer)
            .and_then(serde_json::Value::as_f64)
            .ok_or_else(|| format!("no number at {pointer} in oha's JSON"))
    };
    let counts = |pointer: &str, keep: fn(&str) -> bool| -> u64 {
        json.pointer(pointer)
            .and_then(serde_json::Value::as_object)
            .map_or(0, |map| {
                map.iter()
                    .filter(|(key, _)| keep(key))
                    .filter_map(|(_, value)| value.as_u64())
                    .sum()
            })
    };
    let ok = |status: &str| status.starts_with('2') || status.starts_with('3');
    let requests = counts("/statusCodeDistribution", |_| true);
    let p99 = number("/latencyPercentiles/p99")?;
    Ok(Run {
        requests,
        non_2xx: requests - counts("/statusCodeDistribution", ok),
        socket_errors: counts("/errorDistribution", |_| true),
        per_sec: number("/summary/requestsPerSec")?,
        p99: Duration::try_from_secs_f64(p99).map_err(|e| format!("oha p99 {p99}: {e}"))?,
    })
}

/// A process's own and its waited-for children's CPU time (user plus
/// system), in clock ticks, from the text of `/proc/PID/stat`. The command
/// name (field 2) is in parentheses and may hold spaces and parentheses
/// itself, so fields are counted from the last `)`.
pub(crate) fn stat_cpu_ticks(stat: &str) -> Result<(u64, u64), String> {
    let (_, rest) = stat
        .rsplit_once(')')
        .ok_or_else(|| format!("/proc stat without a command name: {stat:?}"))?;
    // From field 3 (state) on; utime, stime, cutime, cstime are fields 14-17.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |index: usize| -> Result<u64, String> {
        let field = fields
            .get(index)
            .ok_or_else(|| format!("/proc stat with {} fields after the name", fields.len()))?;
        // cutime and cstime are signed in the kernel's format; never negative.
        field
            .parse::<u64>()
            .map_err(|e| format!("/proc stat field {} {field:?}: {e}", index + 3))
    };
    Ok((tick(11)? + tick(12)?, tick(13)? + tick(14)?))
}

/// Reads `/proc/PID/stat` (`self` for this process) as [`stat_cpu_ticks`],
/// converted to time. `None` where there is no `/proc` (not Linux).
#[cfg(unix)]
pub(crate) fn cpu_times(pid: &str) -> Option<(Duration, Duration)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (own, children) = stat_cpu_ticks(&stat).ok()?;
    let per_second = rustix::param::clock_ticks_per_second().max(1);
    let time = |ticks: u64| Duration::from_nanos(ticks.saturating_mul(1_000_000_000) / per_second);
    Some((time(own), time(children)))
}

#[cfg(not(unix))]
pub(crate) fn cpu_times(_pid: &str) -> Option<(Duration, Duration)> {
    None
}
