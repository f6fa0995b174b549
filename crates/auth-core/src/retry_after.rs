//! `Retry-After` (RFC 9110 §10.2.3): seconds or an HTTP-date.

use std::time::{Duration, SystemTime};

use http::HeaderMap;
use time::OffsetDateTime;

/// When the provider asked the client to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: <delay-seconds>`
    Delay(Duration),
    /// `Retry-After: <HTTP-date>`
    At(OffsetDateTime),
}

impl RetryAfter {
    /// The longest wait believed: one day. Longer delays (and dates further
    /// ahead) are clamped to it at parse, so adding any `Retry-After` to a
    /// clock reading cannot overflow; a caller whose deadline is shorter
    /// fails at once with its rate-limit error anyway.
    pub const MAX_DELAY: Duration = Duration::from_secs(24 * 60 * 60);

    /// Parses a header value; `None` for anything that is neither form
    /// (`soon`, negative numbers): callers then use their normal backoff.
    /// A delay longer than [`RetryAfter::MAX_DELAY`] is clamped to it.
    #[must_use]
    pub fn parse(value: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(value).ok()?.trim();
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            // `99999999999999999999` overflows u64: it is a very long wait,
            // not a malformed header.
            let secs = text.parse::<u64>().unwrap_or(u64::MAX);
            return Some(Self::Delay(Duration::from_secs(secs).min(Self::MAX_DELAY)));
        }
        let at: SystemTime = httpdate::parse_http_date(text).ok()?;
        Some(Self::At(OffsetDateTime::from(at)))
    }

    /// The first `Retry-After` header of a response, parsed.
    #[must_use]
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        headers
            .get(http::header::RETRY_AFTER)
            .and_then(|v| Self::parse(v.as_bytes()))
    }

    /// How long to wait from `now`; zero for a date in the past, at most
    /// [`RetryAfter::MAX_DELAY`].
    #[must_use]
    pub fn delay_from(self, now: OffsetDateTime) -> Duration {
        let delay = match self {
            Self::Delay(delay) => delay,
            Self::At(at) => Duration::try_from(at - now).unwrap_or(Duration::ZERO),
        };
        delay.min(Self::MAX_DELAY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn seconds_and_dates_parse_rfc9110_10_2_3() {
        assert_eq!(
            RetryAfter::parse(b"2"),
            Some(RetryAfter::Delay(Duration::from_secs(2)))
        );
        let at = RetryAfter::parse(b"Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(at, RetryAfter::At(datetime!(1994-11-06 08:49:37 UTC)));
        assert_eq!(
            at.delay_from(datetime!(1994-11-06 08:49:30 UTC)),
            Duration::from_secs(7)
        );
        assert_eq!(
            at.delay_from(datetime!(1994-11-07 00:00:00 UTC)),
            Duration::ZERO
        );
    }

    #[test]
    fn nonsense_is_ignored_c49() {
        for bad in [&b"soon"[..], b"-1", b"", b"1.5", b"\xff"] {
            assert_eq!(RetryAfter::parse(bad), None);
        }
    }

    #[test]
    fn absurd_delays_are_clamped_to_a_day_at_parse() {
        for huge in [
            &b"99999999999999999999"[..],
            b"99999999999999999999999",
            b"86401",
        ] {
            assert_eq!(
                RetryAfter::parse(huge),
                Some(RetryAfter::Delay(RetryAfter::MAX_DELAY))
            );
        }
        let far = RetryAfter::parse(b"Fri, 31 Dec 9999 23:59:59 GMT").unwrap();
        assert_eq!(
            far.delay_from(datetime!(1970-01-01 00:00:00 UTC)),
            RetryAfter::MAX_DELAY
        );
        let clamped = RetryAfter::Delay(Duration::MAX).delay_from(datetime!(2026-01-01 00:00 UTC));
        assert_eq!(clamped, RetryAfter::MAX_DELAY);
    }
}
