//! Where tokens outlive the process: the [`TokenStore`] trait,
//! [`MemoryStore`] and [`FileStore`].
//!
//! Stores hold auth-core's stored format ([`OAuthToken::to_stored_json`]):
//! versioned JSON with absolute RFC 3339 expiry, never the client secret.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use auth_core::{OAuthToken, RequestKey, StoredTokenError};

use crate::transport::BoxFuture;

/// Why a store could not load or save a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Reading or writing failed.
    #[error("token store i/o failed")]
    Io(#[from] std::io::Error),
    /// The stored bytes are not a valid stored token (the
    /// [`TokenManager`](crate::TokenManager) counts this as a miss and
    /// overwrites it with the next token).
    #[error("stored token is unreadable")]
    Corrupt(#[from] StoredTokenError),
}

/// An async token store. Methods return boxed futures so that the trait is
/// dyn-compatible (the manager holds an `Arc<dyn TokenStore>`); a store is
/// touched once per token, never on the cached path.
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

/// Tokens in memory, keyed by the whole request.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tokens: Mutex<HashMap<RequestKey, OAuthToken>>,
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RequestKey, OAuthToken>> {
        // A panic while holding the lock cannot leave the map half-written:
        // every critical section is a single insert or clone.
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl TokenStore for MemoryStore {
    fn load<'a>(
        &'a self,
        key: &'a RequestKey,
    ) -> BoxFuture<'a, Result<Option<OAuthToken>, StoreError>> {
        let token = self.lock().get(key).cloned();
        Box::pin(async move { Ok(token) })
    }

    fn save<'a>(
        &'a self,
        key: &'a RequestKey,
        token: &'a OAuthToken,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.lock().insert(key.clone(), token.clone());
        Box::pin(async move { Ok(()) })
    }

    fn remove<'a>(&'a self, key: &'a RequestKey) -> BoxFuture<'a, Result<(), StoreError>> {
        self.lock().remove(key);
        Box::pin(async move { Ok(()) })
    }
}

/// One token in one file, in auth-core's stored format.
///
/// Writes are atomic: a temporary file in the same directory, written,
/// fsynced, renamed over the target, then the directory fsynced; on unix
/// the file is created with mode 0600. A reader therefore sees the old
/// token or the new one, never half of one, even across a crash.
///
/// The file holds one token and does not record which request it answers:
/// use one file per client configuration (the key is ignored).
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// A store at `path` (created on the first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl TokenStore for FileStore {
    fn load<'a>(
        &'a self,
        _key: &'a RequestKey,
    ) -> BoxFuture<'a, Result<Option<OAuthToken>, StoreError>> {
        Box::pin(async move {
            let bytes = match tokio::fs::read(&self.path).await {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            Ok(Some(OAuthToken::from_stored_json(&bytes)?))
        })
    }

    fn save<'a>(
        &'a self,
        _key: &'a RequestKey,
        token: &'a OAuthToken,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let json = token.to_stored_json();
        let path = self.path.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || write_atomically(&path, json.as_bytes()))
                .await
                .map_err(std::io::Error::other)??;
            Ok(())
        })
    }

    fn remove<'a>(&'a self, _key: &'a RequestKey) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            match tokio::fs::remove_file(&self.path).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            }
        })
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("token store path has no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".{}.{}.tmp",
        std::process::id(),
        rand::random::<u32>()
    ));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        #[cfg(unix)]
        std::fs::File::open(&dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
