//! Time, passed in: the [`Clock`] trait with [`SystemClock`] and
//! [`ManualClock`], and the [`ExpiryPolicy`] that decides when a token needs
//! renewal.
//!
//! Defaults, all configurable:
//! - **skew** 60 s, capped at a quarter of the token's lifetime: a token
//!   needs renewal when `now + skew >= expires_at`, so a 60 s token is
//!   renewed after 45 s instead of being born expired;
//! - **default lifetime** 300 s for answers without `expires_in` (RFC 6749
//!   §5.1 leaves it to the provider's docs; five minutes is short enough to
//!   be safe and long enough not to hammer the provider), never "forever";
//! - **max lifetime** 24 h: absurd `expires_in` values are clamped to it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use time::OffsetDateTime;

use crate::token::OAuthToken;

/// A source of the current time. auth-core never reads a clock itself:
/// callers pass `now` or a `Clock`.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current UTC time.
    fn now(&self) -> OffsetDateTime;

    /// The same instant as [`Clock::now`], as nanoseconds since the Unix
    /// epoch: for callers that only count (an expiry, a timestamp kept
    /// for later) and need no calendar date, which `now` computes.
    fn unix_nanos(&self) -> i128 {
        self.now().unix_timestamp_nanos()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> OffsetDateTime {
        (**self).now()
    }

    fn unix_nanos(&self) -> i128 {
        (**self).unix_nanos()
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> OffsetDateTime {
        (**self).now()
    }

    fn unix_nanos(&self) -> i128 {
        (**self).unix_nanos()
    }
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn unix_nanos(&self) -> i128 {
        let now = std::time::SystemTime::now();
        match now.duration_since(std::time::UNIX_EPOCH) {
            Ok(since) => since.as_nanos().try_into().unwrap_or(i128::MAX),
            Err(before) => i128::try_from(before.duration().as_nanos()).map_or(i128::MIN, |n| -n),
        }
    }
}

/// A clock that moves only when told to. Clones share the same time.
///
/// ```
/// use auth_core::{Clock, ManualClock};
/// use std::time::Duration;
/// let clock = ManualClock::new(time::macros::datetime!(2026-01-01 00:00 UTC));
/// let seen_by_other = clock.clone();
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(seen_by_other.now(), time::macros::datetime!(2026-01-01 00:01:30 UTC));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    // Unix nanoseconds: lock-free reads, range to year 2262.
    nanos: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock showing `start` (clamped to what `i64` nanoseconds can hold).
    #[must_use]
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            nanos: Arc::new(AtomicI64::new(to_nanos(start))),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_nanos()).unwrap_or(i64::MAX);
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(by))
            });
    }

    /// Sets the clock.
    pub fn set(&self, to: OffsetDateTime) {
        self.nanos.store(to_nanos(to), Ordering::SeqCst);
    }
}

fn to_nanos(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos()).unwrap_or(if t.year() < 1970 {
        i64::MIN
    } else {
        i64::MAX
    })
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        // Every i64 nanosecond count is a valid OffsetDateTime.
        OffsetDateTime::from_unix_timestamp_nanos(self.unix_nanos())
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    fn unix_nanos(&self) -> i128 {
        i128::from(self.nanos.load(Ordering::SeqCst))
    }
}

/// When tokens are renewed and how long unknown lifetimes are assumed to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryPolicy {
    skew: Duration,
    default_lifetime: Duration,
    max_lifetime: Duration,
}

impl Default for ExpiryPolicy {
    fn default() -> Self {
        Self {
            skew: Duration::from_secs(60),
            default_lifetime: Duration::from_secs(300),
            max_lifetime: Duration::from_secs(24 * 60 * 60),
        }
    }
}

impl ExpiryPolicy {
    /// Sets how long before expiry a token is renewed (default 60 s; always
    /// capped at a quarter of the token's lifetime).
    #[must_use]
    pub fn with_skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    /// Sets the lifetime assumed when the provider sends no `expires_in`
    /// (default 300 s).
    #[must_use]
    pub fn with_default_lifetime(mut self, lifetime: Duration) -> Self {
        self.default_lifetime = lifetime;
        self
    }

    /// Sets the longest lifetime believed (default 24 h).
    #[must_use]
    pub fn with_max_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_lifetime = lifetime;
        self
    }

    /// The configured skew.
    #[must_use]
    pub fn skew(&self) -> Duration {
        self.skew
    }

    /// The configured default lifetime.
    #[must_use]
    pub fn default_lifetime(&self) -> Duration {
        self.default_lifetime
    }

    /// The configured maximum lifetime.
    #[must_use]
    pub fn max_lifetime(&self) -> Duration {
        self.max_lifetime
    }

    /// The lifetime to believe for an `expires_in` in seconds (`None` when absent).
    #[must_use]
    pub fn lifetime(&self, expires_in: Option<u64>) -> Duration {
        expires_in.map_or(self.default_lifetime, |secs| {
            Duration::from_secs(secs).min(self.max_lifetime)
        })
    }

    /// The skew that applies to `token`: `min(skew, lifetime / 4)`.
    #[must_use]
    pub fn effective_skew(&self, token: &OAuthToken) -> Duration {
        let lifetime = Duration::try_from(token.lifetime()).unwrap_or(Duration::ZERO);
        self.skew.min(lifetime / 4)
    }

    /// The moment from which `token` needs renewal: `expires_at - effective_skew`.
    #[must_use]
    pub fn refresh_at(&self, token: &OAuthToken) -> OffsetDateTime {
        token
            .expires_at()
            .checked_sub(
                self.effective_skew(token)
                    .try_into()
                    .unwrap_or(time::Duration::MAX),
            )
            .unwrap_or(token.expires_at())
    }

    /// True when `now + effective_skew >= expires_at`.
    #[must_use]
    pub fn needs_refresh(&self, token: &OAuthToken, now: OffsetDateTime) -> bool {
        now >= self.refresh_at(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::AccessToken;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

    fn token_lasting(secs: i64) -> OAuthToken {
        OAuthToken::new(
            AccessToken::new("t"),
            T0,
            T0 + time::Duration::seconds(secs),
            crate::ScopeSet::default(),
        )
    }

    #[test]
    fn unix_nanos_is_the_instant_now_shows() {
        let manual = ManualClock::new(datetime!(2026-01-01 00:00:00.123456789 UTC));
        assert_eq!(manual.unix_nanos(), manual.now().unix_timestamp_nanos());
        assert_eq!(manual.unix_nanos(), 1_767_225_600_123_456_789);
        let shared: Arc<dyn Clock> = Arc::new(manual.clone());
        manual.advance(Duration::from_nanos(1));
        assert_eq!(shared.unix_nanos(), 1_767_225_600_123_456_790);
        assert_eq!(Clock::unix_nanos(&&manual), shared.unix_nanos());

        let before = SystemClock.now().unix_timestamp_nanos();
        let read = SystemClock.unix_nanos();
        let after = SystemClock.now().unix_timestamp_nanos();
        assert!(
            before <= read && read <= after,
            "{before} <= {read} <= {after}"
        );
    }

    #[test]
    fn renewal_starts_skew_before_expiry() {
        let policy = ExpiryPolicy::default();
        let token = token_lasting(3600);
        assert!(!policy.needs_refresh(&token, T0 + time::Duration::seconds(3539)));
        assert!(policy.needs_refresh(&token, T0 + time::Duration::seconds(3540)));
    }

    #[test]
    fn short_tokens_are_not_born_expired() {
        let policy = ExpiryPolicy::default();
        let token = token_lasting(60);
        assert!(!policy.needs_refresh(&token, T0));
        assert!(!policy.needs_refresh(&token, T0 + time::Duration::seconds(44)));
        assert!(policy.needs_refresh(&token, T0 + time::Duration::seconds(45)));
    }

    #[test]
    fn skew_30_on_120s_token_renews_at_90s_c54() {
        let policy = ExpiryPolicy::default().with_skew(Duration::from_secs(30));
        let token = token_lasting(120);
        assert!(!policy.needs_refresh(&token, T0 + time::Duration::seconds(89)));
        assert!(policy.needs_refresh(&token, T0 + time::Duration::seconds(91)));
    }

    #[test]
    fn zero_lifetime_is_expired_on_arrival_c32() {
        assert!(ExpiryPolicy::default().needs_refresh(&token_lasting(0), T0));
    }

    #[test]
    fn lifetimes_are_clamped_and_defaulted_c31_c34() {
        let policy = ExpiryPolicy::default();
        assert_eq!(policy.lifetime(None), Duration::from_secs(300));
        assert_eq!(policy.lifetime(Some(u64::MAX)), Duration::from_secs(86_400));
        assert_eq!(policy.lifetime(Some(10)), Duration::from_secs(10));
    }

    #[test]
    fn manual_clock_saturates() {
        let clock = ManualClock::new(T0);
        clock.advance(Duration::MAX);
        assert!(clock.now().year() >= 2262);
    }
}
