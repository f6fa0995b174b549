//! Brute-force protection at client authentication (RFC 6749 §2.3.1 "MUST
//! protect any endpoint utilizing it against brute force attacks", RFC 6819
//! §4.3.5; checklist S-68).
//!
//! After `max_failures` failed authentications for one (client id, source
//! IP) within `window_secs`, that pair gets 429 + `Retry-After` until the
//! window ends, even with the right secret. Other clients and other sources
//! are unaffected: locking an id for every source would let anyone who
//! knows the id deny service to the real client. Windows follow the mock
//! clock. Bounded: at most [`MAX_TRACKED`] pairs are tracked.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Most (client id, IP) pairs tracked at once.
pub(crate) const MAX_TRACKED: usize = 10_000;

#[derive(Debug)]
pub(crate) struct Lockout {
    max_failures: u32,
    window_secs: i64,
    failures: Mutex<HashMap<(String, IpAddr), (u32, i64)>>,
    /// Lets the hot path skip the lock when nothing failed.
    tracked: AtomicUsize,
}

impl Lockout {
    /// `max_failures == 0` disables the lockout.
    pub(crate) fn new(max_failures: u32, window_secs: u64) -> Self {
        Self {
            max_failures,
            window_secs: i64::try_from(window_secs).unwrap_or(i64::MAX),
            failures: Mutex::new(HashMap::new()),
            tracked: AtomicUsize::new(0),
        }
    }

    /// Seconds until the pair may try again, if it is locked out at `now`.
    pub(crate) fn locked_for(&self, id: &str, ip: IpAddr, now: i64) -> Option<u64> {
        if self.max_failures == 0 || self.tracked.load(Ordering::Acquire) == 0 {
            return None;
        }
        let failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let &(count, start) = failures.get(&(id.to_owned(), ip))?;
        let end = start.saturating_add(self.window_secs);
        (count >= self.max_failures && now < end)
            .then(|| u64::try_from(end - now).unwrap_or(1).max(1))
    }

    /// Counts one failed authentication.
    pub(crate) fn record_failure(&self, id: &str, ip: IpAddr, now: i64) {
        if self.max_failures == 0 {
            return;
        }
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let window = self.window_secs;
        if failures.len() >= MAX_TRACKED {
            failures.retain(|_, (_, start)| now < start.saturating_add(window));
            if failures.len() >= MAX_TRACKED {
                return;
            }
        }
        let entry = failures.entry((id.to_owned(), ip)).or_insert((0, now));
        if now >= entry.1.saturating_add(window) {
            *entry = (0, now);
        }
        entry.0 = entry.0.saturating_add(1);
        self.tracked.store(failures.len(), Ordering::Release);
    }

    /// True when no failure is tracked (the usual case).
    pub(crate) fn is_idle(&self) -> bool {
        self.max_failures == 0 || self.tracked.load(Ordering::Acquire) == 0
    }

    pub(crate) fn clear(&self) {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        failures.clear();
        self.tracked.store(0, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_a_pair_after_k_failures_until_the_window_ends() {
        let lockout = Lockout::new(3, 60);
        let ip: IpAddr = [127, 0, 0, 1].into();
        let other: IpAddr = [127, 0, 0, 2].into();
        for _ in 0..2 {
            lockout.record_failure("a", ip, 1000);
        }
        assert_eq!(lockout.locked_for("a", ip, 1000), None);
        lockout.record_failure("a", ip, 1010);
        assert_eq!(lockout.locked_for("a", ip, 1010), Some(50));
        assert_eq!(lockout.locked_for("a", other, 1010), None);
        assert_eq!(lockout.locked_for("b", ip, 1010), None);
        assert_eq!(lockout.locked_for("a", ip, 1060), None);
    }

    #[test]
    fn zero_disables() {
        let lockout = Lockout::new(0, 60);
        let ip: IpAddr = [127, 0, 0, 1].into();
        for _ in 0..100 {
            lockout.record_failure("a", ip, 0);
        }
        assert_eq!(lockout.locked_for("a", ip, 0), None);
    }
}
