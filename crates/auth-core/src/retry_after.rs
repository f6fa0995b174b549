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
    /// Parses a header value; `None` for anything that is neither form
    /// (`soon`, negative numbers): callers then use their normal backoff.
    #[must_use]
    pub fn parse(value: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(value).ok()?.trim();
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            // Absurd values saturate; the caller bounds them by its deadline.
            let secs = text.parse::<u64>().unwrap_or(u64::MAX);
            return Some(Self::Delay(Duration::from_secs(secs)));
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

    /// How long to wait from `now`; zero for a date in the past.
    #[must_use]
    pub fn delay_from(self, now: OffsetDateTime) -> Duration {
        match self {
            Self::Delay(delay) => delay,
            Self::At(at) => Duration::try_from(at - now).unwrap_or(Duration::ZERO),
        }
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
        assert_eq!(
            RetryAfter::parse(b"99999999999999999999999"),
            Some(RetryAfter::Delay(Duration::from_secs(u64::MAX)))
        );
    }
}
