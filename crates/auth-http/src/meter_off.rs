//! Without the `metrics` feature: the [`TokenManager`](crate::TokenManager)'s
//! recording calls, as nothing (zero-sized, inlined away).

#![allow(
    clippy::unused_self,
    reason = "the same calls as the recording meter, doing nothing"
)]

use std::time::Duration;

use crate::error::Error;

/// Records nothing.
#[derive(Clone)]
pub(crate) struct Meter;

impl Meter {
    #[inline]
    pub(crate) fn none() -> Self {
        Self
    }
    #[inline]
    pub(crate) fn miss(&self) {}
    #[inline]
    pub(crate) fn refresh_ahead(&self) {}
    #[inline]
    pub(crate) fn retry(&self) {}
    #[inline]
    pub(crate) fn fetched(&self, _error: Option<&Error>, _elapsed: Duration) {}
    #[inline]
    pub(crate) fn store_error(&self, _store: &'static str, _operation: &'static str) {}
    #[inline]
    pub(crate) fn installed(&self, _expires_at: i128, _now: i128) {}
    #[inline]
    pub(crate) fn hits(&self, _expires_at: i128) -> Hits {
        Hits
    }
    #[inline]
    pub(crate) fn hit(&self) {}
}

/// Counts nothing.
pub(crate) struct Hits;

impl Hits {
    #[inline]
    pub(crate) fn is_due(&self, _now: i128) -> bool {
        false
    }
    #[inline]
    pub(crate) fn count(&mut self, _now: i128) {}
    #[inline]
    pub(crate) fn flush(&mut self, _now: Option<i128>) {}
}
