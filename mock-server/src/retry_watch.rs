//! Checklist C-49 (RFC 6585 §4, RFC 9110 §10.2.3): after a 429 or 503 with
//! `Retry-After`, the client's next token request should wait that long.
//! Real (monotonic) time: the client waits on its own clock, not the mock's.
//! Bounded: at most [`MAX_WATCHED`] clients are watched at once. The wait
//! comes from a fault (admin API or builder, any `u64`), so the deadline is
//! checked arithmetic: a wait beyond what an `Instant` can hold means the
//! client can never have waited long enough. Ids are kept as fixed-size
//! keyed hashes: a locked-out spray gets a `Retry-After` on every request,
//! and 10 000 ids of 64 KiB each must not cost 640 MB.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::state::{IdHash, IdHasher};

/// Most clients watched at once.
pub(crate) const MAX_WATCHED: usize = 10_000;

#[derive(Debug)]
pub(crate) struct RetryWatch {
    ids: IdHasher,
    /// `None`: later than any `Instant` (the wait does not fit).
    not_before: Mutex<HashMap<IdHash, Option<Instant>>>,
    watched: AtomicUsize,
}

impl Default for RetryWatch {
    fn default() -> Self {
        Self {
            ids: IdHasher::random(),
            not_before: Mutex::default(),
            watched: AtomicUsize::new(0),
        }
    }
}

impl RetryWatch {
    /// The client was told to wait `seconds`.
    pub(crate) fn expect_wait(&self, client_id: Option<String>, seconds: u64) {
        let Some(client_id) = client_id.map(|id| self.ids.hash(&id)) else {
            return;
        };
        let mut map = self.lock();
        if map.len() >= MAX_WATCHED && !map.contains_key(&client_id) {
            return;
        }
        map.insert(
            client_id,
            Instant::now().checked_add(Duration::from_secs(seconds)),
        );
        self.watched.store(map.len(), Ordering::Release);
    }

    /// `Some(waited)` for a client that was told to wait; forgets it.
    /// `client_id` is computed only when some client is watched.
    pub(crate) fn check(&self, client_id: impl FnOnce() -> Option<String>) -> Option<bool> {
        if self.watched.load(Ordering::Acquire) == 0 {
            return None;
        }
        let client_id = self.ids.hash(&client_id()?);
        let mut map = self.lock();
        let not_before = map.remove(&client_id)?;
        self.watched.store(map.len(), Ordering::Release);
        Some(not_before.is_some_and(|not_before| Instant::now() >= not_before))
    }

    pub(crate) fn clear(&self) {
        let mut map = self.lock();
        map.clear();
        self.watched.store(0, Ordering::Release);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IdHash, Option<Instant>>> {
        self.not_before
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_too_long_for_an_instant_is_never_waited_out() {
        let watch = RetryWatch::default();
        watch.expect_wait(Some("a".into()), u64::MAX);
        assert_eq!(watch.check(|| Some("a".into())), Some(false));
        watch.expect_wait(Some("b".into()), 0);
        assert_eq!(watch.check(|| Some("b".into())), Some(true));
        assert_eq!(watch.check(|| Some("b".into())), None);
    }

    #[test]
    fn long_ids_are_watched_by_a_fixed_size_hash() {
        let watch = RetryWatch::default();
        let long = "x".repeat(64 * 1024);
        watch.expect_wait(Some(long.clone()), 0);
        assert_eq!(watch.check(|| Some(format!("{long}y"))), None);
        assert_eq!(watch.check(|| Some(long.clone())), Some(true));
        assert_eq!(size_of::<IdHash>(), 16);
    }
}
