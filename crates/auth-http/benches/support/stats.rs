//! What auth-http's harness-free benches share (each includes this file
//! with `#[path]`): the median of their samples and the counts they read
//! from the environment.

/// The middle sample, the upper one of an even count. Samples that do not
/// compare (a NaN) count as equal.
///
/// # Panics
/// On no samples: each bench takes at least one (see [`env_count`]).
pub(crate) fn median<T: PartialOrd + Copy>(mut samples: Vec<T>) -> T {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    samples[samples.len() / 2]
}

/// A count from the environment variable `name` (`STARTUP_RUNS`,
/// `FLAT_ROUNDS`, ...), `default` when unset or not a number, and never 0.
#[allow(dead_code, reason = "the fleet bench does not use it")]
pub(crate) fn env_count<T: std::str::FromStr + Ord + From<u8>>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
        .max(T::from(1))
}
