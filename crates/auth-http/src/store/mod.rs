//! Where tokens outlive the process: the [`TokenStore`] trait,
//! [`MemoryStore`] and [`FileStore`].
//!
//! Stores hold auth-core's stored format ([`OAuthToken::to_stored_json`]):
//! versioned JSON with absolute RFC 3339 expiry and the digest of the
//! request's persistent identity ([`RequestKey`]), never the client secret.
//! A store hands a token back only for the request it was saved for: a
//! token saved for another token URL, client id, scope set, audience,
//! resource or extra parameter is a miss.

mod file;
mod memory;

pub use file::FileStore;
pub use memory::MemoryStore;

use auth_core::{OAuthToken, RequestKey, StoredTokenError};

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
