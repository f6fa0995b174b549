//! Brute-force protection at client authentication (RFC 6749 §2.3.1 "MUST
//! protect any endpoint utilizing it against brute force attacks", RFC 6819
//! §4.3.5; checklist S-68).
//!
//! After `max_failures` failed authentications for one (client id, source)
//! pair within `window_secs`, that pair gets 429 + `Retry-After` for one
//! window, even with the right secret. Other clients and other sources are
//! unaffected: locking an id for every source would let anyone who knows
//! the id deny service to the real client. Failures on ids nobody
//! registered (spraying) also count per source: past `spray_failures` in a
//! window the whole source is locked for one window. Windows follow the
//! mock clock.
//!
//! It fails closed. The table is bounded (`capacity` entries) and keeps
//! only fixed-size keys: a keyed hash of the client id (HMAC-SHA-256 under
//! a per-process random key, truncated to 128 bits, so a 64 KiB id costs
//! 16 bytes and nobody can aim two ids at one slot) and the source (an IPv4
//! address, or an IPv6 /64: one host usually owns a whole /64, so counting
//! per address would hand it 2^64 fresh counters). A full table makes room
//! by dropping the oldest entry that is still counting, then the oldest
//! lock on an id nobody registered (it guards nothing); a lock on a
//! registered client or on a source is never dropped before it ends. When
//! every entry is such a lock, a pair the table does not hold is refused
//! until the first lock ends (as nginx `limit_req` refuses a request whose
//! state it cannot store) instead of being let through uncounted. Every
//! operation is O(1) amortised: three insertion-ordered maps, and entries
//! only ever leave from the front.

use std::collections::hash_map::RandomState;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use hashlink::LinkedHashMap;

use crate::state::{IdHash, IdHasher};

/// Most entries (pairs and sources) tracked at once by default. An entry
/// is a 16-byte id hash, a 16-byte source and the map's bookkeeping: about
/// 1 MB at this size.
pub(crate) const DEFAULT_CAPACITY: usize = 10_000;

/// Failures on unregistered ids from one source, per window, before the
/// source is locked. High on purpose: every local service shares
/// 127.0.0.1, so one of them retrying with a wrong id must not lock out
/// the others. A client that backs off after a failure (say 100 ms,
/// doubling up to 5 s) makes about 20 attempts a minute; even one that
/// retries every 100 ms makes 600. A spray needs far more
/// than 1000 guesses a minute to find an id, and each registered id found
/// that way still gets only `max_failures` guesses. Well below
/// [`DEFAULT_CAPACITY`]: one source can add at most this many entries (plus
/// one per registered client) per window, too few to push its own counters
/// out of the table.
pub(crate) const DEFAULT_SPRAY_FAILURES: u32 = 1000;

const _: () = assert!((DEFAULT_SPRAY_FAILURES as usize) * 2 < DEFAULT_CAPACITY);

/// The thresholds of a [`Lockout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LockoutPolicy {
    /// Failures per (client id, source) pair before it is locked; 0
    /// disables the whole lockout.
    pub(crate) max_failures: u32,
    /// The counting window and the length of a lock.
    pub(crate) window_secs: u64,
    /// Failures on unregistered ids per source before the source is
    /// locked; 0 disables this counter.
    pub(crate) spray_failures: u32,
    /// Most entries held at once (at least 1).
    pub(crate) capacity: usize,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            max_failures: 10,
            window_secs: 60,
            spray_failures: DEFAULT_SPRAY_FAILURES,
            capacity: DEFAULT_CAPACITY,
        }
    }
}

/// Where an attempt came from: an IPv4 address (IPv4-mapped IPv6 included)
/// or an IPv6 /64 prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Source(u128);

impl From<IpAddr> for Source {
    fn from(ip: IpAddr) -> Self {
        let v6 = match ip {
            IpAddr::V4(v4) => v4.to_ipv6_mapped(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_ipv6_mapped(),
                None => return Self(u128::from(v6) & !u128::from(u64::MAX)),
            },
        };
        Self(u128::from(v6))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    /// A keyed hash of the client id, and the source.
    Pair(IdHash, Source),
    /// Failures on unregistered ids from one source.
    Source(Source),
}

/// One attempt to authenticate, hashed once for the check and the count.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Attempt {
    pair: Key,
    source: Key,
}

/// An attempt refused: for how long, and which counter said so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Locked {
    /// Seconds until the attempt may be made again (at least 1).
    pub(crate) wait: u64,
    pub(crate) by: LockedBy,
}

/// Which counter refused an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockedBy {
    /// The (client id, source) pair reached `max_failures` in a window.
    Pair { failures: u32, window: u64 },
    /// The source reached `spray_failures` on unregistered ids in a window.
    Source { failures: u32, window: u64 },
    /// The table is full of locks and cannot count this pair (fail closed).
    Full,
}

#[derive(Debug, Clone, Copy)]
struct Counting {
    failures: u32,
    /// Unix seconds of the first failure in the window.
    start: i64,
}

type Ordered<V> = LinkedHashMap<Key, V, RandomState>;

/// The three tiers. Each key is in at most one of them; each map is in
/// time order (monotonic mock clock), so expired entries are at the front.
#[derive(Debug)]
struct Table {
    /// Entries still counting, oldest window first.
    counting: Ordered<Counting>,
    /// Locks on registered clients and on sources (never dropped early),
    /// by end.
    guarding: Ordered<i64>,
    /// Locks on ids nobody registered (dropped before `guarding`), by end.
    idle_locks: Ordered<i64>,
}

impl Table {
    fn new() -> Self {
        Self {
            counting: LinkedHashMap::with_hasher(RandomState::new()),
            guarding: LinkedHashMap::with_hasher(RandomState::new()),
            idle_locks: LinkedHashMap::with_hasher(RandomState::new()),
        }
    }

    fn len(&self) -> usize {
        self.counting.len() + self.guarding.len() + self.idle_locks.len()
    }

    fn contains(&self, key: &Key) -> bool {
        self.counting.contains_key(key)
            || self.guarding.contains_key(key)
            || self.idle_locks.contains_key(key)
    }

    /// When the lock on `key` ends, if it is locked at `now`.
    fn lock_end(&self, key: &Key, now: i64) -> Option<i64> {
        let end = *self
            .guarding
            .get(key)
            .or_else(|| self.idle_locks.get(key))?;
        (now < end).then_some(end)
    }

    /// Drops ended locks and ended windows (each entry leaves once).
    fn purge(&mut self, now: i64, window: i64) {
        for locks in [&mut self.guarding, &mut self.idle_locks] {
            while locks.front().is_some_and(|(_, &end)| end <= now) {
                locks.pop_front();
            }
        }
        while self
            .counting
            .front()
            .is_some_and(|(_, c)| c.start.saturating_add(window) <= now)
        {
            self.counting.pop_front();
        }
    }

    /// Makes room for one entry: the oldest counting entry goes first, then
    /// the oldest lock on an unregistered id. `false` when every entry is a
    /// guarding lock.
    fn make_room(&mut self, capacity: usize) -> bool {
        while self.len() >= capacity {
            if self.counting.pop_front().is_none() && self.idle_locks.pop_front().is_none() {
                return false;
            }
        }
        true
    }

    /// Whether the table is full of locks that may not be dropped.
    fn is_saturated(&self, capacity: usize) -> bool {
        self.len() >= capacity && self.counting.is_empty() && self.idle_locks.is_empty()
    }
}

#[derive(Debug)]
pub(crate) struct Lockout {
    policy: LockoutPolicy,
    window: i64,
    /// Random per process.
    ids: IdHasher,
    table: Mutex<Table>,
    /// Entries in the table; lets the hot path skip the lock when nothing
    /// failed.
    tracked: AtomicUsize,
}

impl Lockout {
    pub(crate) fn new(policy: LockoutPolicy) -> Self {
        Self {
            window: i64::try_from(policy.window_secs).unwrap_or(i64::MAX),
            policy: LockoutPolicy {
                capacity: policy.capacity.max(1),
                ..policy
            },
            ids: IdHasher::random(),
            table: Mutex::new(Table::new()),
            tracked: AtomicUsize::new(0),
        }
    }

    /// Hashes the claimed id once for [`Self::locked_for`] and
    /// [`Self::record_failure`].
    pub(crate) fn attempt(&self, client_id: &str, ip: IpAddr) -> Attempt {
        let source = Source::from(ip);
        Attempt {
            pair: Key::Pair(self.ids.hash(client_id), source),
            source: Key::Source(source),
        }
    }

    /// Whether the attempt is refused at `now`, for how long and why: its
    /// source or its pair is locked, or the table is full of locks and
    /// cannot count it (fail closed).
    pub(crate) fn locked_for(&self, attempt: &Attempt, now: i64) -> Option<Locked> {
        if self.is_idle() {
            return None;
        }
        let window = self.policy.window_secs;
        let mut table = self.lock();
        table.purge(now, self.window);
        let end = table
            .lock_end(&attempt.source, now)
            .map(|end| {
                let failures = self.policy.spray_failures;
                (end, LockedBy::Source { failures, window })
            })
            .or_else(|| {
                let end = table.lock_end(&attempt.pair, now)?;
                let failures = self.policy.max_failures;
                Some((end, LockedBy::Pair { failures, window }))
            })
            .or_else(|| {
                (table.is_saturated(self.policy.capacity) && !table.contains(&attempt.pair)).then(
                    || {
                        let end = table.guarding.front().map_or(now, |(_, &end)| end);
                        (end, LockedBy::Full)
                    },
                )
            });
        self.tracked.store(table.len(), Ordering::Release);
        end.map(|(end, by)| Locked {
            wait: u64::try_from(end.saturating_sub(now)).unwrap_or(1).max(1),
            by,
        })
    }

    /// Counts one failed authentication. `registered`: whether the id names
    /// a registered client (failures on other ids also count per source).
    pub(crate) fn record_failure(&self, attempt: &Attempt, registered: bool, now: i64) {
        if self.policy.max_failures == 0 {
            return;
        }
        let mut table = self.lock();
        table.purge(now, self.window);
        self.count(
            &mut table,
            attempt.pair,
            self.policy.max_failures,
            registered,
            now,
        );
        if !registered && self.policy.spray_failures > 0 {
            self.count(
                &mut table,
                attempt.source,
                self.policy.spray_failures,
                true,
                now,
            );
        }
        self.tracked.store(table.len(), Ordering::Release);
    }

    /// One failure for `key`; locks it at `threshold`. `guards`: its lock
    /// may not be dropped early.
    fn count(&self, table: &mut Table, key: Key, threshold: u32, guards: bool, now: i64) {
        if table.lock_end(&key, now).is_some() {
            return;
        }
        if !table.counting.contains_key(&key) {
            // An ended lock that the purge has not reached yet.
            table.guarding.remove(&key);
            table.idle_locks.remove(&key);
            if !table.make_room(self.policy.capacity) {
                // Saturated: `locked_for` refuses untracked pairs until a lock ends.
                return;
            }
            table.counting.insert(
                key,
                Counting {
                    failures: 0,
                    start: now,
                },
            );
        }
        let Some(entry) = table.counting.get_mut(&key) else {
            return;
        };
        if now >= entry.start.saturating_add(self.window) {
            *entry = Counting {
                failures: 0,
                start: now,
            };
            table.counting.to_back(&key);
        }
        let Some(entry) = table.counting.get_mut(&key) else {
            return;
        };
        entry.failures = entry.failures.saturating_add(1);
        if entry.failures >= threshold {
            table.counting.remove(&key);
            let end = now.saturating_add(self.window);
            if guards {
                table.guarding.insert(key, end);
            } else {
                table.idle_locks.insert(key, end);
            }
        }
    }

    /// True when nothing is tracked (the usual case).
    pub(crate) fn is_idle(&self) -> bool {
        self.policy.max_failures == 0 || self.tracked.load(Ordering::Acquire) == 0
    }

    pub(crate) fn clear(&self) {
        let mut table = self.lock();
        *table = Table::new();
        self.tracked.store(0, Ordering::Release);
    }

    /// Entries held (pairs and sources).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv6Addr;

    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn with_policy(max_failures: u32, spray_failures: u32, capacity: usize) -> Lockout {
        Lockout::new(LockoutPolicy {
            max_failures,
            window_secs: 60,
            spray_failures,
            capacity,
        })
    }

    /// A distinct IPv4 source per `n`.
    fn source(n: u32) -> IpAddr {
        IpAddr::V4((0x0a00_0000 + n).into())
    }

    fn fail(lockout: &Lockout, id: &str, registered: bool, ip: IpAddr, now: i64) {
        lockout.record_failure(&lockout.attempt(id, ip), registered, now);
    }

    fn locked(lockout: &Lockout, id: &str, ip: IpAddr, now: i64) -> Option<u64> {
        lockout
            .locked_for(&lockout.attempt(id, ip), now)
            .map(|locked| locked.wait)
    }

    #[test]
    fn a_refusal_says_which_counter_locked() {
        let lockout = with_policy(2, 3, 8);
        let by = |id: &str| {
            lockout
                .locked_for(&lockout.attempt(id, IP), 0)
                .map(|locked| locked.by)
        };
        fail(&lockout, "real", true, IP, 0);
        fail(&lockout, "real", true, IP, 0);
        assert_eq!(
            by("real"),
            Some(LockedBy::Pair {
                failures: 2,
                window: 60
            })
        );
        for n in 0..3 {
            fail(&lockout, &format!("junk-{n}"), false, IP, 0);
        }
        assert_eq!(
            by("other"),
            Some(LockedBy::Source {
                failures: 3,
                window: 60
            })
        );
        let full = with_policy(1, 1_000_000, 1);
        fail(&full, "real", true, IP, 0);
        assert_eq!(
            full.locked_for(&full.attempt("other", IP), 0)
                .map(|locked| locked.by),
            Some(LockedBy::Full)
        );
    }

    #[test]
    fn locks_a_pair_after_k_failures_for_one_window() {
        let lockout = with_policy(3, 1000, 100);
        let other: IpAddr = [127, 0, 0, 2].into();
        for _ in 0..2 {
            fail(&lockout, "a", true, IP, 1000);
        }
        assert_eq!(locked(&lockout, "a", IP, 1000), None);
        fail(&lockout, "a", true, IP, 1010);
        assert_eq!(locked(&lockout, "a", IP, 1010), Some(60));
        assert_eq!(locked(&lockout, "a", IP, 1069), Some(1));
        assert_eq!(locked(&lockout, "a", other, 1010), None);
        assert_eq!(locked(&lockout, "b", IP, 1010), None);
        assert_eq!(locked(&lockout, "a", IP, 1070), None);
    }

    #[test]
    fn failures_outside_one_window_do_not_add_up() {
        let lockout = with_policy(3, 1000, 100);
        fail(&lockout, "a", true, IP, 0);
        fail(&lockout, "a", true, IP, 10);
        fail(&lockout, "a", true, IP, 60);
        fail(&lockout, "a", true, IP, 61);
        assert_eq!(locked(&lockout, "a", IP, 61), None);
        fail(&lockout, "a", true, IP, 62);
        assert_eq!(locked(&lockout, "a", IP, 62), Some(60));
    }

    #[test]
    fn zero_disables() {
        let lockout = with_policy(0, 1, 100);
        for _ in 0..100 {
            fail(&lockout, "a", false, IP, 0);
        }
        assert_eq!(locked(&lockout, "a", IP, 0), None);
        assert_eq!(lockout.len(), 0);
    }

    #[test]
    fn a_spray_of_twenty_thousand_junk_ids_leaves_the_real_pair_lockable() {
        let lockout = with_policy(10, DEFAULT_SPRAY_FAILURES, DEFAULT_CAPACITY);
        let guesser = source(1_000_000);
        // From many sources, so that no source reaches the spray threshold
        // and every junk entry competes for the table.
        for n in 0..20_000 {
            fail(&lockout, &format!("junk-{n}"), false, source(n % 5_000), 0);
            assert!(lockout.len() <= DEFAULT_CAPACITY);
        }
        for _ in 0..10 {
            assert_eq!(locked(&lockout, "real", guesser, 1), None);
            fail(&lockout, "real", true, guesser, 1);
        }
        assert_eq!(locked(&lockout, "real", guesser, 1), Some(60));
        // More spraying does not push the lock out.
        for n in 0..20_000 {
            fail(&lockout, &format!("more-{n}"), false, source(n % 5_000), 2);
        }
        assert_eq!(locked(&lockout, "real", guesser, 2), Some(59));
        assert!(lockout.len() <= DEFAULT_CAPACITY);
    }

    #[test]
    fn one_source_spraying_junk_ids_is_locked_at_the_spray_threshold_and_no_other() {
        let lockout = with_policy(10, 1000, DEFAULT_CAPACITY);
        let other: IpAddr = [127, 0, 0, 2].into();
        for n in 0..999 {
            fail(&lockout, &format!("junk-{n}"), false, IP, 0);
        }
        // A registered client on the same host is still served.
        assert_eq!(locked(&lockout, "real", IP, 0), None);
        fail(&lockout, "junk-999", false, IP, 0);
        assert_eq!(locked(&lockout, "real", IP, 0), Some(60));
        assert_eq!(locked(&lockout, "junk-0", IP, 30), Some(30));
        assert_eq!(locked(&lockout, "real", other, 0), None);
        assert_eq!(locked(&lockout, "real", IP, 60), None);
    }

    #[test]
    fn failures_on_a_registered_id_do_not_count_as_spraying() {
        let lockout = with_policy(10_000, 5, 100);
        for _ in 0..100 {
            fail(&lockout, "real", true, IP, 0);
        }
        assert_eq!(locked(&lockout, "other", IP, 0), None);
    }

    #[test]
    fn an_unregistered_id_locks_like_a_registered_one() {
        // No enumeration oracle: the 429 comes after as many failures.
        let lockout = with_policy(3, 1000, 100);
        for _ in 0..3 {
            assert_eq!(locked(&lockout, "nobody", IP, 0), None);
            fail(&lockout, "nobody", false, IP, 0);
        }
        assert_eq!(locked(&lockout, "nobody", IP, 0), Some(60));
    }

    #[test]
    fn a_locked_pair_is_never_evicted_when_the_table_is_full() {
        let lockout = with_policy(2, 1_000_000, 8);
        fail(&lockout, "real", true, IP, 0);
        fail(&lockout, "real", true, IP, 0);
        // Counting entries and locks on unregistered ids come and go.
        for n in 0..1000 {
            let id = format!("junk-{n}");
            fail(&lockout, &id, false, source(n), 1);
            fail(&lockout, &id, false, source(n), 1);
            fail(&lockout, "svc", true, source(n), 1);
            assert!(lockout.len() <= 8);
        }
        assert_eq!(locked(&lockout, "real", IP, 1), Some(59));
    }

    #[test]
    fn a_table_full_of_locks_refuses_pairs_it_cannot_count_until_a_lock_ends() {
        let lockout = with_policy(1, 1_000_000, 4);
        for n in 0..4 {
            fail(&lockout, "real", true, source(n), n.into());
        }
        assert_eq!(lockout.len(), 4);
        // Fail closed: a fifth pair cannot be counted, so it is refused
        // until the first lock ends, right secret or not.
        assert_eq!(locked(&lockout, "real", source(9), 10), Some(50));
        fail(&lockout, "real", true, source(9), 10);
        assert_eq!(lockout.len(), 4);
        assert_eq!(locked(&lockout, "real", source(0), 10), Some(50));
        // The first lock ended: room again, and the fifth pair is served.
        assert_eq!(locked(&lockout, "real", source(9), 60), None);
        assert_eq!(locked(&lockout, "real", source(1), 60), Some(1));
    }

    #[test]
    fn ids_are_kept_as_fixed_size_hashes() {
        let lockout = with_policy(10, 1000, 100);
        let long = "x".repeat(64 * 1024);
        fail(&lockout, &long, false, IP, 0);
        assert_eq!(locked(&lockout, &long, IP, 0), None);
        assert_eq!(lockout.len(), 2);
        // What is stored per pair does not grow with the id.
        assert!(size_of::<Key>() <= 48);
        let a = lockout.attempt(&long, IP);
        let b = lockout.attempt(&format!("{long}y"), IP);
        assert_ne!(a.pair, b.pair);
        // Keyed per process: another lockout hashes the same id elsewhere.
        assert_ne!(with_policy(10, 1000, 100).attempt(&long, IP).pair, a.pair);
    }

    #[test]
    fn an_ipv6_slash_64_is_one_source_and_mapped_ipv4_is_ipv4() {
        let a = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 1, 2, 3, 4));
        let b = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 9, 9, 9, 9));
        let c = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 2, 1, 2, 3, 4));
        assert_eq!(Source::from(a), Source::from(b));
        assert_ne!(Source::from(a), Source::from(c));
        let mapped = IpAddr::V6(std::net::Ipv4Addr::LOCALHOST.to_ipv6_mapped());
        assert_eq!(Source::from(mapped), Source::from(IP));
        assert_ne!(Source::from(IP), Source::from(IpAddr::from([127, 0, 0, 2])));
    }
}
