//! What a [`TokenManager`](crate::TokenManager) records, as handles on the
//! recorder active when it was built (feature `metrics`); the names are in
//! [`crate::metrics`].

use std::sync::Arc;
use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, Unit};

use crate::error::Error;
use crate::metrics::{
    HIT_FLUSH_EVERY, HIT_FLUSH_INTERVAL, LABEL_MANAGER, LABEL_OPERATION, LABEL_OUTCOME,
    LABEL_STORE, ManagerName, OUTCOME_ERROR, OUTCOME_RATE_LIMITED, OUTCOME_REJECTED,
    OUTCOME_SUCCESS, OUTCOME_TIMEOUT, OUTCOMES, STORE_OPERATIONS, TOKEN_CACHE_HITS_TOTAL,
    TOKEN_CACHE_MISSES_TOTAL, TOKEN_EXPIRES_IN_SECONDS, TOKEN_EXPIRY_TIMESTAMP_SECONDS,
    TOKEN_FETCH_DURATION_SECONDS, TOKEN_FETCH_RETRIES_TOTAL, TOKEN_FETCHES_TOTAL,
    TOKEN_REFRESH_AHEAD_TOTAL, TOKEN_STORE_ERRORS_TOTAL,
};

/// A manager's metric handles; `None` when it has no name (no metrics).
#[derive(Clone)]
pub(crate) struct Meter(Option<Arc<Handles>>);

struct Handles {
    hits: Counter,
    misses: Counter,
    refresh_ahead: Counter,
    retries: Counter,
    /// By outcome, in [`OUTCOMES`] order.
    fetches: [Counter; OUTCOMES.len()],
    duration: Histogram,
    /// In [`STORE_OPERATIONS`] order.
    store_errors: [Counter; STORE_OPERATIONS.len()],
    expiry_timestamp: Gauge,
    expires_in: Gauge,
}

impl Meter {
    /// Records nothing.
    pub(crate) fn none() -> Self {
        Self(None)
    }

    /// Registers every series of `name` with the current recorder (all of
    /// them, so a dashboard sees zeros rather than gaps).
    pub(crate) fn new(name: ManagerName) -> Self {
        describe();
        let manager = name.into_string();
        let counter =
            |metric: &'static str| metrics::counter!(metric, LABEL_MANAGER => manager.clone());
        let handles = Handles {
            hits: counter(TOKEN_CACHE_HITS_TOTAL),
            misses: counter(TOKEN_CACHE_MISSES_TOTAL),
            refresh_ahead: counter(TOKEN_REFRESH_AHEAD_TOTAL),
            retries: counter(TOKEN_FETCH_RETRIES_TOTAL),
            fetches: OUTCOMES.map(|outcome| {
                metrics::counter!(TOKEN_FETCHES_TOTAL, LABEL_MANAGER => manager.clone(), LABEL_OUTCOME => outcome)
            }),
            duration: metrics::histogram!(TOKEN_FETCH_DURATION_SECONDS, LABEL_MANAGER => manager.clone()),
            store_errors: STORE_OPERATIONS.map(|(store, operation)| {
                metrics::counter!(
                    TOKEN_STORE_ERRORS_TOTAL,
                    LABEL_MANAGER => manager.clone(),
                    LABEL_STORE => store,
                    LABEL_OPERATION => operation,
                )
            }),
            expiry_timestamp: metrics::gauge!(TOKEN_EXPIRY_TIMESTAMP_SECONDS, LABEL_MANAGER => manager.clone()),
            expires_in: metrics::gauge!(TOKEN_EXPIRES_IN_SECONDS, LABEL_MANAGER => manager.clone()),
        };
        Self(Some(Arc::new(handles)))
    }

    /// A caller found no valid token.
    pub(crate) fn miss(&self) {
        if let Some(h) = &self.0 {
            h.misses.increment(1);
        }
    }

    /// A renewal started ahead of expiry.
    pub(crate) fn refresh_ahead(&self) {
        if let Some(h) = &self.0 {
            h.refresh_ahead.increment(1);
        }
    }

    /// A failed attempt is about to be retried.
    pub(crate) fn retry(&self) {
        if let Some(h) = &self.0 {
            h.retries.increment(1);
        }
    }

    /// A fetch ended after `elapsed`, with `error` if it failed.
    pub(crate) fn fetched(&self, error: Option<&Error>, elapsed: Duration) {
        if let Some(h) = &self.0 {
            let outcome = error.map_or(OUTCOME_SUCCESS, outcome);
            let i = OUTCOMES.iter().position(|o| *o == outcome).unwrap_or(0);
            h.fetches[i].increment(1);
            h.duration.record(elapsed.as_secs_f64());
        }
    }

    /// A `store` call `operation` failed (values from [`STORE_OPERATIONS`]).
    pub(crate) fn store_error(&self, store: &'static str, operation: &'static str) {
        if let Some(h) = &self.0
            && let Some(i) = STORE_OPERATIONS
                .iter()
                .position(|pair| *pair == (store, operation))
        {
            h.store_errors[i].increment(1);
        }
    }

    /// A token expiring at `expires_at` was installed at `now` (Unix ns).
    pub(crate) fn installed(&self, expires_at: i128, now: i128) {
        if let Some(h) = &self.0 {
            h.expiry_timestamp.set(seconds(expires_at));
            h.expires_in.set(seconds(expires_at.saturating_sub(now)));
        }
    }

    /// A per-thread batch of hits on a token expiring at `expires_at`.
    pub(crate) fn hits(&self, expires_at: i128) -> Hits {
        Hits {
            handles: self.0.clone(),
            pending: 0,
            flush_at: i128::MIN,
            expires_at,
        }
    }

    /// One hit counted at once (when the thread's batch is busy).
    pub(crate) fn hit(&self) {
        if let Some(h) = &self.0 {
            h.hits.increment(1);
        }
    }
}

/// Unix nanoseconds as seconds.
#[expect(
    clippy::cast_precision_loss,
    reason = "a gauge in seconds needs no nanosecond precision"
)]
fn seconds(nanos: i128) -> f64 {
    nanos as f64 / 1e9
}

/// The `outcome` label of a failed fetch.
fn outcome(error: &Error) -> &'static str {
    let root = error.root();
    if matches!(root, Error::RateLimited { .. })
        || error.status() == Some(http::StatusCode::TOO_MANY_REQUESTS)
    {
        OUTCOME_RATE_LIMITED
    } else if error.is_provider_rejection() || matches!(root, Error::ExpiredOnArrival { .. }) {
        OUTCOME_REJECTED
    } else if matches!(root, Error::Timeout(_)) {
        OUTCOME_TIMEOUT
    } else {
        OUTCOME_ERROR
    }
}

/// Hits one thread counted on one token and has not added to the counter
/// yet: a plain integer in the thread's own memory, so counting a hit
/// writes no cache line another core reads. Dropping it adds the rest.
pub(crate) struct Hits {
    handles: Option<Arc<Handles>>,
    pending: u32,
    /// When the pending hits go to the counter however few they are (Unix
    /// ns): a thread serving a trickle of requests still reports them.
    flush_at: i128,
    expires_at: i128,
}

impl Hits {
    /// One more hit at `now`; every [`HIT_FLUSH_EVERY`] hits, and at the
    /// first hit [`HIT_FLUSH_INTERVAL`] after the last flush, they go to
    /// the counter.
    #[inline]
    pub(crate) fn count(&mut self, now: i128) {
        self.pending += 1;
        if self.pending >= HIT_FLUSH_EVERY || now >= self.flush_at {
            self.flush(Some(now));
        }
    }

    /// True when the next hit at `now` would flush. The hot path reads a
    /// coarse clock: it leaves that hit to the precise path, so the
    /// seconds-until-expiry gauge never counts from a lagging `now` (it
    /// would show more than the token's lifetime). One call in 256, or one
    /// a second.
    #[inline]
    pub(crate) fn is_due(&self, now: i128) -> bool {
        self.handles.is_some() && (self.pending + 1 >= HIT_FLUSH_EVERY || now >= self.flush_at)
    }

    /// Adds the pending hits to the counter and, given `now`, refreshes
    /// the seconds-until-expiry gauge.
    pub(crate) fn flush(&mut self, now: Option<i128>) {
        if let Some(h) = &self.handles {
            if self.pending > 0 {
                h.hits.increment(u64::from(self.pending));
            }
            if let Some(now) = now {
                h.expires_in
                    .set(seconds(self.expires_at.saturating_sub(now)));
            }
        }
        if let Some(now) = now {
            let interval = i128::try_from(HIT_FLUSH_INTERVAL.as_nanos()).unwrap_or(i128::MAX);
            self.flush_at = now.saturating_add(interval);
        }
        self.pending = 0;
    }
}

impl Drop for Hits {
    fn drop(&mut self) {
        self.flush(None);
    }
}

/// Units and help text, once per recorder (describing again is harmless).
fn describe() {
    metrics::describe_counter!(
        TOKEN_FETCHES_TOTAL,
        Unit::Count,
        "Token fetches that ended, by outcome (all attempts of one fetch count once)."
    );
    metrics::describe_histogram!(
        TOKEN_FETCH_DURATION_SECONDS,
        Unit::Seconds,
        "Duration of a token fetch, all attempts and backoff included, whatever its outcome."
    );
    metrics::describe_counter!(
        TOKEN_FETCH_RETRIES_TOTAL,
        Unit::Count,
        "Token request attempts retried after a transient failure."
    );
    metrics::describe_counter!(
        TOKEN_CACHE_HITS_TOTAL,
        Unit::Count,
        "Token requests answered from the cache (counted per thread, added in batches)."
    );
    metrics::describe_counter!(
        TOKEN_CACHE_MISSES_TOTAL,
        Unit::Count,
        "Token requests that found no valid token and waited for a fetch."
    );
    metrics::describe_counter!(
        TOKEN_REFRESH_AHEAD_TOTAL,
        Unit::Count,
        "Renewals started ahead of expiry while the cached token was still served."
    );
    metrics::describe_counter!(
        TOKEN_STORE_ERRORS_TOTAL,
        Unit::Count,
        "Failed token store calls, by store and operation (each degrades to a fetch)."
    );
    metrics::describe_gauge!(
        TOKEN_EXPIRY_TIMESTAMP_SECONDS,
        Unit::Seconds,
        "Expiry of the current token, in Unix seconds."
    );
    metrics::describe_gauge!(
        TOKEN_EXPIRES_IN_SECONDS,
        Unit::Seconds,
        "Seconds until the current token expires, as of the last renewal or hit flush."
    );
}
