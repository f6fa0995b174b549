//! [`FleetStore`]: a store shared by many processes, with what a shared
//! fetch needs on top of load and save: a lease, a wait, a
//! compare-and-set write and a published failure.

use std::fmt;
use std::time::Duration;

use auth_core::{AccessToken, OAuthToken, RequestKey};
use time::OffsetDateTime;

use super::StoreError;
use crate::transport::BoxFuture;

/// The right to fetch the token for one request on behalf of the whole
/// fleet, held until it is released or lapses. Its fencing value is unique
/// to this holder: every write the holder makes is compared against it, so
/// a holder whose lease lapsed (a long pause, a slow fetch) and was taken
/// over can no longer overwrite the new holder's token.
#[derive(Clone, PartialEq, Eq)]
pub struct Lease {
    fence: String,
}

impl Lease {
    /// A lease with the fencing value `fence` (random, unique per
    /// acquisition; for [`FleetStore`] implementations).
    #[must_use]
    pub fn new(fence: impl Into<String>) -> Self {
        Self {
            fence: fence.into(),
        }
    }

    /// A lease with a fresh random 128-bit fencing value.
    #[must_use]
    pub fn random() -> Self {
        let value: u128 = rand::random();
        Self::new(format!("{value:032x}"))
    }

    /// The fencing value.
    #[must_use]
    pub fn fence(&self) -> &str {
        &self.fence
    }
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease").finish_non_exhaustive()
    }
}

/// A failed fetch as another instance published it: its one-line message
/// (errors never hold a secret or a token) and whether the provider
/// rejected the request (an RFC 6749 §5.2 error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PeerFailure {
    message: String,
    provider_rejection: bool,
    retry_in: Duration,
}

/// Longest message a published failure keeps, in bytes.
pub(crate) const PEER_MESSAGE_LIMIT: usize = 512;

impl PeerFailure {
    /// A failure with `message` (cut to 512 bytes), which the provider's
    /// rejection caused when `provider_rejection`, reused for `retry_in`.
    #[must_use]
    pub fn new(message: impl Into<String>, provider_rejection: bool, retry_in: Duration) -> Self {
        let mut message: String = message.into();
        if message.len() > PEER_MESSAGE_LIMIT {
            let mut end = PEER_MESSAGE_LIMIT;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
        }
        message.retain(|c| !c.is_control());
        Self {
            message,
            provider_rejection,
            retry_in,
        }
    }

    /// The failure's message, as the failing instance printed it.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// True when the provider rejected the request (RFC 6749 §5.2).
    #[must_use]
    pub fn is_provider_rejection(&self) -> bool {
        self.provider_rejection
    }

    /// How long the fleet reuses the failure before asking the provider again.
    #[must_use]
    pub fn retry_in(&self) -> Duration {
        self.retry_in
    }
}

/// What [`FleetStore::acquire`] found.
#[derive(Debug)]
#[non_exhaustive]
pub enum Turn {
    /// A token another instance fetched, accepted by the caller's check.
    Token(OAuthToken),
    /// Another instance's fetch failed moments ago: the fleet reuses it.
    Failed(PeerFailure),
    /// This instance holds the lease: fetch, then [`FleetStore::publish`]
    /// or [`FleetStore::publish_failure`].
    Lease(Lease),
}

/// Accepts a stored token as fresh enough to use; for [`FleetStore::acquire`].
pub type Accept<'a> = &'a (dyn Fn(&OAuthToken) -> bool + Send + Sync);

/// A token store shared by a fleet of processes (see
/// [`RedisStore`](crate::RedisStore), feature `redis`), which the
/// [`TokenManager`](crate::TokenManager) consults on every renewal, so N
/// instances with the same request make one token request per renewal.
///
/// `key` is the request's persistent identity ([`RequestKey`]), never the
/// secret. An implementation hands back only a token saved for an equal
/// key; a corrupt or foreign record is a miss. Any [`StoreError`] makes
/// the manager fetch on its own: a shared store's trouble is never an
/// outage.
pub trait FleetStore: Send + Sync + fmt::Debug {
    /// Waits until the caller may use a token, must reuse a failure, or
    /// holds the lease: loads the record (a token `accept` takes is
    /// [`Turn::Token`]), looks for a published failure, tries to take the
    /// lease, and otherwise waits for another instance to publish (or for
    /// a short poll interval) and starts again. Gives up with an error
    /// after `patience`.
    fn acquire<'a>(
        &'a self,
        key: &'a RequestKey,
        accept: Accept<'a>,
        patience: Duration,
    ) -> BoxFuture<'a, Result<Turn, StoreError>>;

    /// Keeps `lease` while the fetch runs; `Ok(false)` when it was lost.
    fn extend<'a>(
        &'a self,
        key: &'a RequestKey,
        lease: &'a Lease,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Saves `token` for `key`, to expire after `ttl`, releases `lease` and
    /// wakes the waiting instances: all of it only while `lease` is still
    /// held (compare-and-set on its fencing value); `Ok(false)` otherwise.
    fn publish<'a>(
        &'a self,
        key: &'a RequestKey,
        lease: &'a Lease,
        token: &'a OAuthToken,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Records `failure` for its [`PeerFailure::retry_in`], releases
    /// `lease` and wakes the waiting instances, only while `lease` is held.
    fn publish_failure<'a>(
        &'a self,
        key: &'a RequestKey,
        lease: &'a Lease,
        failure: &'a PeerFailure,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Removes the record for `key` if it holds `rejected` (a resource
    /// answered `401 invalid_token` for it); a newer token stays.
    fn remove_token<'a>(
        &'a self,
        key: &'a RequestKey,
        rejected: &'a AccessToken,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// How long a lease lasts without extension.
    fn lease_duration(&self) -> Duration;
}

/// How long a record lives: until `refresh_at`, or `None` if that passed.
pub(crate) fn record_ttl(refresh_at: OffsetDateTime, now: OffsetDateTime) -> Option<Duration> {
    Duration::try_from(refresh_at - now)
        .ok()
        .filter(|ttl| *ttl >= Duration::from_millis(1))
}
