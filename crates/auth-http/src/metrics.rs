//! The token lifecycle on a dashboard: the series a [`TokenManager`] given
//! a [`ManagerName`] records through the [`metrics`] facade (feature
//! `metrics`), so any exporter the application installs (Prometheus,
//! `OpenTelemetry`, `StatsD`) renders them. Every name and label is defined
//! here, once, in the Prometheus naming style: the unit in the name,
//! `_total` on counters.
//!
//! | Series | Kind | Labels | What moves it |
//! |---|---|---|---|
//! | [`TOKEN_FETCHES_TOTAL`] | counter | `manager`, `outcome` | a fetch ended (all its attempts) |
//! | [`TOKEN_FETCH_DURATION_SECONDS`] | histogram | `manager` | the same fetch, from the first request to its end, backoff included |
//! | [`TOKEN_FETCH_RETRIES_TOTAL`] | counter | `manager` | a failed attempt is retried |
//! | [`TOKEN_CACHE_HITS_TOTAL`] | counter | `manager` | `token()` answered from the cache (batched per thread) |
//! | [`TOKEN_CACHE_MISSES_TOTAL`] | counter | `manager` | `token()` had no valid token and waited for a fetch |
//! | [`TOKEN_REFRESH_AHEAD_TOTAL`] | counter | `manager` | a renewal started ahead of expiry, the old token still served |
//! | [`TOKEN_STORE_ERRORS_TOTAL`] | counter | `manager`, `store`, `operation` | a [`TokenStore`] or [`FleetStore`] call failed |
//! | [`TOKEN_EXPIRY_TIMESTAMP_SECONDS`] | gauge | `manager` | a token was installed: its expiry, Unix seconds |
//! | [`TOKEN_EXPIRES_IN_SECONDS`] | gauge | `manager` | seconds until that expiry, as of the last renewal or hit flush |
//!
//! Label values come from fixed sets ([`OUTCOME_SUCCESS`] and its
//! siblings, [`STORE_TOKEN`]/[`STORE_FLEET`], the `OP_*` operations) and
//! the manager name, which the user chooses and [`ManagerName::new`]
//! validates: short, lowercase words, so it can be neither a URL, nor
//! credentials, nor a token. No label carries a client id, URL, scope,
//! error message or anything else that is unbounded or secret.
//!
//! **Handles are taken when the manager is built**, from the recorder
//! active then (the global one, or [`metrics::with_local_recorder`]'s):
//! install the recorder first. Cache hits cost no shared write: each
//! thread counts its own and adds them to the counter every
//! [`HIT_FLUSH_EVERY`] hits, at its first hit [`HIT_FLUSH_INTERVAL`] after
//! the last report, when it first sees a renewed token, when its copy of
//! a token is dropped, when it exits, and on [`flush_hits`]. No hit is
//! lost; a scrape may lag behind by one batch per thread.
//!
//! For alerting on expiry, prefer
//! `auth_http_token_expiry_timestamp_seconds - time()`: the timestamp is
//! exact whenever it is scraped, while [`TOKEN_EXPIRES_IN_SECONDS`] is only
//! refreshed when the manager is used (the `metrics` facade has no
//! callback gauges), so an idle manager's value is stale.
//!
//! ```
//! # #[cfg(feature = "metrics")] // the module is public with the feature only
//! # async fn demo() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use auth_core::{Client, ClientCredentials, TokenUrl};
//! use auth_http::metrics::ManagerName;
//! use auth_http::{HyperTransport, TokenManager};
//! let client = Client::new(TokenUrl::parse("https://as.example/token")?, ClientCredentials::new("svc", "s3cret-value"));
//! let manager = TokenManager::builder(client, HyperTransport::new()?)
//!     .metrics(ManagerName::new("billing-api")?)? // manager="billing-api" on every series
//!     .build();
//! # let _ = manager; Ok(()) }
//! ```
//!
//! [`TokenManager`]: crate::TokenManager
//! [`TokenStore`]: crate::TokenStore
//! [`FleetStore`]: crate::FleetStore

use std::fmt;

/// Counter: token fetches that ended, by `outcome` (one per fetch, however
/// many attempts it made).
pub const TOKEN_FETCHES_TOTAL: &str = "auth_http_token_fetches_total";
/// Histogram: how long a fetch took, all attempts and backoff included,
/// whatever its outcome, in seconds. Not split by outcome: a histogram
/// costs a series per bucket, and a failure's time is mostly the deadline
/// or the backoff its policy set ([`TOKEN_FETCHES_TOTAL`] has the outcome).
pub const TOKEN_FETCH_DURATION_SECONDS: &str = "auth_http_token_fetch_duration_seconds";
/// Counter: attempts retried after a transient failure.
pub const TOKEN_FETCH_RETRIES_TOTAL: &str = "auth_http_token_fetch_retries_total";
/// Counter: `token()` calls answered from the cache.
pub const TOKEN_CACHE_HITS_TOTAL: &str = "auth_http_token_cache_hits_total";
/// Counter: `token()` calls that found no valid token and waited for a
/// fetch (their own or a shared one).
pub const TOKEN_CACHE_MISSES_TOTAL: &str = "auth_http_token_cache_misses_total";
/// Counter: renewals started ahead of expiry while the cached token was
/// still handed out.
pub const TOKEN_REFRESH_AHEAD_TOTAL: &str = "auth_http_token_refresh_ahead_total";
/// Counter: failed store calls, by `store` and `operation` (each one is
/// degraded to a fetch, never returned to the caller).
pub const TOKEN_STORE_ERRORS_TOTAL: &str = "auth_http_token_store_errors_total";
/// Gauge: when the current token expires, in Unix seconds (the Prometheus
/// convention for expiry, as in `x509_cert_not_after`).
pub const TOKEN_EXPIRY_TIMESTAMP_SECONDS: &str = "auth_http_token_expiry_timestamp_seconds";
/// Gauge: seconds until the current token expires, as of the last renewal
/// or hit flush (negative once expired).
pub const TOKEN_EXPIRES_IN_SECONDS: &str = "auth_http_token_expires_in_seconds";

/// Label on every series: the [`ManagerName`].
pub const LABEL_MANAGER: &str = "manager";
/// Label of the fetch series: how it ended (an `OUTCOME_*` value).
pub const LABEL_OUTCOME: &str = "outcome";
/// Label of [`TOKEN_STORE_ERRORS_TOTAL`]: which store ([`STORE_TOKEN`], [`STORE_FLEET`]).
pub const LABEL_STORE: &str = "store";
/// Label of [`TOKEN_STORE_ERRORS_TOTAL`]: which call (an `OP_*` value).
pub const LABEL_OPERATION: &str = "operation";

/// Outcome: a token was fetched.
pub const OUTCOME_SUCCESS: &str = "success";
/// Outcome: the provider refused (an RFC 6749 §5.2 error such as
/// `invalid_client`), or its token arrived already expired.
pub const OUTCOME_REJECTED: &str = "rejected";
/// Outcome: the provider asked to wait (`429`, or a `Retry-After` past the deadline).
pub const OUTCOME_RATE_LIMITED: &str = "rate_limited";
/// Outcome: the fetch ran out of time.
pub const OUTCOME_TIMEOUT: &str = "timeout";
/// Outcome: anything else (transport, `5xx`, an unreadable answer, signing).
pub const OUTCOME_ERROR: &str = "error";
/// Every outcome, in a fixed order.
pub const OUTCOMES: [&str; 5] = [
    OUTCOME_SUCCESS,
    OUTCOME_REJECTED,
    OUTCOME_RATE_LIMITED,
    OUTCOME_TIMEOUT,
    OUTCOME_ERROR,
];

/// Store: the [`TokenStore`](crate::TokenStore) (memory, file).
pub const STORE_TOKEN: &str = "token";
/// Store: the [`FleetStore`](crate::FleetStore) (Redis).
pub const STORE_FLEET: &str = "fleet";
/// Operation: loading the token at start.
pub const OP_LOAD: &str = "load";
/// Operation: saving a new token.
pub const OP_SAVE: &str = "save";
/// Operation: removing a revoked or rejected token.
pub const OP_REMOVE: &str = "remove";
/// Operation (fleet): taking the lease, or the fleet's token or failure.
pub const OP_ACQUIRE: &str = "acquire";
/// Operation (fleet): publishing a token or a failure.
pub const OP_PUBLISH: &str = "publish";
/// Operation (fleet): extending the lease during a long fetch.
pub const OP_EXTEND: &str = "extend";
/// Every `(store, operation)` pair counted, in a fixed order.
pub const STORE_OPERATIONS: [(&str, &str); 7] = [
    (STORE_TOKEN, OP_LOAD),
    (STORE_TOKEN, OP_SAVE),
    (STORE_TOKEN, OP_REMOVE),
    (STORE_FLEET, OP_ACQUIRE),
    (STORE_FLEET, OP_PUBLISH),
    (STORE_FLEET, OP_EXTEND),
    (STORE_FLEET, OP_REMOVE),
];

/// Bucket bounds, in seconds, suited to [`TOKEN_FETCH_DURATION_SECONDS`]
/// (a token request takes milliseconds; a fetch with retries, seconds).
/// Exporters choose their own buckets: with metrics-exporter-prometheus,
/// pass these to `set_buckets_for_metric`.
pub const FETCH_DURATION_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Hits a thread counts before adding them to the hit counter.
pub const HIT_FLUSH_EVERY: u32 = 256;
/// How long a thread keeps hits before adding them to the hit counter at
/// its next hit, however few they are.
pub const HIT_FLUSH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Adds the cache hits the calling thread has counted and not reported
/// yet to their counters, for every manager. Hits are otherwise reported
/// in batches (see the [module docs](self)); call this before reading a
/// counter on the thread that made the calls (a test, a
/// `current_thread` runtime, a short program about to print its scrape).
pub fn flush_hits() {
    crate::manager::flush_local_hits();
}

/// The longest [`ManagerName`], in bytes.
pub const MANAGER_NAME_MAX: usize = 64;
/// The longest run of letters and digits in a [`ManagerName`] between two
/// separators (`-`, `_`, `.`): names are words, and a longer run is more
/// likely a key or a token than a word.
pub const MANAGER_NAME_MAX_WORD: usize = 24;

/// The `manager` label value: chosen by the user, checked to be a short,
/// bounded name that cannot carry a secret.
///
/// Lowercase ASCII letters, digits, `-`, `_` and `.`, starting with a
/// letter, at most [`MANAGER_NAME_MAX`] bytes, no run of letters and digits
/// longer than [`MANAGER_NAME_MAX_WORD`]. That leaves out URLs (`:`, `/`),
/// credentials (`@`, `:`), base64 and JWTs (uppercase, `=`, long runs) and
/// whitespace; [`TokenManagerBuilder::metrics`](crate::TokenManagerBuilder::metrics)
/// also refuses a name containing the client's secret.
///
/// ```
/// # #[cfg(feature = "metrics")] // the module is public with the feature only
/// # fn main() {
/// use auth_http::metrics::ManagerName;
/// assert!(ManagerName::new("billing-api").is_ok());
/// assert!(ManagerName::new("https://svc:s3cret@as.example").is_err());
/// # }
/// # #[cfg(not(feature = "metrics"))]
/// # fn main() {}
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ManagerName(String);

impl ManagerName {
    /// Checks `name` (see [`ManagerName`]).
    pub fn new(name: impl Into<String>) -> Result<Self, ManagerNameError> {
        let name = name.into();
        if name.is_empty() {
            return Err(ManagerNameError::Empty);
        }
        if name.len() > MANAGER_NAME_MAX {
            return Err(ManagerNameError::TooLong {
                max: MANAGER_NAME_MAX,
            });
        }
        let mut word = 0;
        for (position, byte) in name.bytes().enumerate() {
            let allowed = match byte {
                b'a'..=b'z' => true,
                b'0'..=b'9' | b'-' | b'_' | b'.' => position > 0,
                _ => false,
            };
            if !allowed {
                return Err(ManagerNameError::Character { position });
            }
            word = if byte.is_ascii_alphanumeric() {
                word + 1
            } else {
                0
            };
            if word > MANAGER_NAME_MAX_WORD {
                return Err(ManagerNameError::WordTooLong {
                    max: MANAGER_NAME_MAX_WORD,
                });
            }
        }
        Ok(Self(name))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }

    /// Refuses this name for a client whose secret it contains.
    pub(crate) fn check_secret(&self, secret: &str) -> Result<(), ManagerNameError> {
        if !secret.is_empty() && self.0.contains(secret) {
            return Err(ManagerNameError::ContainsSecret);
        }
        Ok(())
    }
}

impl fmt::Debug for ManagerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ManagerName").field(&self.0).finish()
    }
}

impl fmt::Display for ManagerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for ManagerName {
    type Err = ManagerNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// Why a [`ManagerName`] was refused. The message never repeats the name
/// (it may be the secret it was refused for).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ManagerNameError {
    /// The name is empty.
    #[error("manager name is empty")]
    Empty,
    /// The name is longer than `max` bytes.
    #[error("manager name exceeds {max} bytes")]
    TooLong {
        /// The limit, [`MANAGER_NAME_MAX`].
        max: usize,
    },
    /// A byte other than a lowercase letter, a digit, `-`, `_` or `.`
    /// (or a first byte that is not a letter).
    #[error("manager name has a character other than a-z, 0-9, '-', '_', '.' at byte {position}")]
    Character {
        /// Where, 0-based.
        position: usize,
    },
    /// A run of letters and digits longer than `max`: a key or a token,
    /// not a word.
    #[error("manager name has a word longer than {max} characters")]
    WordTooLong {
        /// The limit, [`MANAGER_NAME_MAX_WORD`].
        max: usize,
    },
    /// The name contains the client's secret.
    #[error("manager name contains the client secret")]
    ContainsSecret,
}
