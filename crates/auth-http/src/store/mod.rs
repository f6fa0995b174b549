//! Where tokens outlive the process: the [`TokenStore`] trait,
//! [`MemoryStore`] and [`FileStore`]; and where a fleet of processes shares
//! one token and one fetch: the [`FleetStore`] trait and, with the `redis`
//! feature, `RedisStore`.
//!
//! Stores hold auth-core's stored format ([`OAuthToken::to_stored_json`]):
//! versioned JSON with absolute RFC 3339 expiry and the digest of the
//! request's persistent identity ([`RequestKey`]), never the client secret.
//! A store hands a token back only for the request it was saved for: a
//! token saved for another token URL, client id, scope set, audience,
//! resource or extra parameter is a miss.

#[cfg(feature = "redis")]
mod cipher;
mod file;
mod fleet;
mod memory;
#[cfg(feature = "redis")]
mod redis;

#[cfg(feature = "redis")]
pub use cipher::EncryptionKeys;
pub use file::FileStore;
pub(crate) use fleet::record_ttl;
pub use fleet::{Accept, FleetStore, Lease, PeerFailure, Turn};
pub use memory::MemoryStore;
#[cfg(feature = "redis")]
pub use redis::{DEFAULT_PREFIX, RedisStore, RedisStoreBuilder};

use auth_core::{OAuthToken, RequestKey, StoredTokenError};

use crate::error::BoxError;
use crate::transport::BoxFuture;

/// Why a store could not load or save a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Reading or writing failed.
    #[error("token store i/o failed")]
    Io(#[from] std::io::Error),
    /// The stored bytes are not a valid stored token, or the token cannot
    /// be written in the stored format (the [`TokenManager`](crate::TokenManager)
    /// counts a load failure as a miss and overwrites it with the next token).
    #[error("stored token is unreadable")]
    Corrupt(#[from] StoredTokenError),
    /// The token file is a symbolic link, a directory, a device or a pipe:
    /// a store reads regular files only, and never follows a link.
    #[error("token store path is not a regular file")]
    NotAFile,
    /// The token file is larger than any stored token can be.
    #[error("token file exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The cap, in bytes.
        limit: u64,
    },
    /// A shared store (Redis) refused the connection or the command.
    #[error("shared token store unavailable")]
    Unavailable(#[source] BoxError),
    /// A shared store did not answer in time.
    #[error("shared token store did not answer within {0:?}")]
    Timeout(std::time::Duration),
    /// The shared store's configuration is invalid (its URL).
    #[error("invalid token store configuration")]
    Config(#[source] BoxError),
    /// An encryption key or key list is malformed; the message says how,
    /// never what the key was.
    #[error("invalid token store encryption key: {0}")]
    InvalidKey(&'static str),
}

/// An async token store. Methods return boxed futures so that the trait is
/// dyn-compatible (the manager holds an `Arc<dyn TokenStore>`); a store is
/// touched once per token, never on the cached path.
///
/// `key` is the request's persistent identity (see [`RequestKey`]): stable
/// across processes and restarts, without the secret. An implementation
/// must hand back only a token saved for an equal key; anything else is
/// `Ok(None)`, because the manager installs what `load` returns.
pub trait TokenStore: Send + Sync + std::fmt::Debug {
    /// The token saved for `key`, if any.
    fn load<'a>(
        &'a self,
        key: &'a RequestKey,
    ) -> BoxFuture<'a, Result<Option<OAuthToken>, StoreError>>;

    /// Saves `token` for `key`, replacing the previous one.
    fn save<'a>(
        &'a self,
        key: &'a RequestKey,
        token: &'a OAuthToken,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Forgets the token for `key` (after a revocation), so a restarted
    /// process does not load it. Removing nothing is not an error.
    fn remove<'a>(&'a self, key: &'a RequestKey) -> BoxFuture<'a, Result<(), StoreError>>;
}
