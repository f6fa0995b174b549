//! [`FileStore`]: tokens in files, one per request identity or one in all,
//! written atomically and read defensively.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use auth_core::{OAuthToken, RequestKey, StoredTokenError};

use super::{StoreError, TokenStore};
use crate::transport::BoxFuture;

/// Tokens in files, in auth-core's stored format, each recording the
/// digest of the request it answers ([`RequestKey::digest`]).
///
/// - [`FileStore::in_dir`] keeps one file per request identity,
///   `<dir>/<digest>.json`: several clients (scopes, audiences, token URLs)
///   share one directory without touching each other's tokens.
/// - [`FileStore::new`] keeps one token in one file. A token saved for
///   another request (a redeploy with a new token URL, scope or audience)
///   is a miss, and the next save replaces it; a restart with the same
///   configuration reuses it.
///
/// **Writes are atomic**: a temporary file in the same directory
/// (`.<name>.<pid>.<random>.tmp`), written, fsynced, renamed over the
/// target, then the directory fsynced; on unix the file is created with
/// mode 0600. A reader sees the old token or the new one, never half of
/// one, even across a crash. Each save first sweeps the temporary files of
/// writers that died before renaming (their process is gone, or the file
/// is older than ten minutes). `remove` fsyncs the directory too, so a
/// revoked token does not come back after a power loss.
///
/// **Reads trust nothing**: the file is opened without following a
/// symbolic link (`O_NOFOLLOW` on unix) and without waiting on a pipe; it
/// must be a regular file of at most [`FileStore::MAX_FILE_BYTES`]. A link
/// planted at the path, a device or a huge file is a typed [`StoreError`],
/// never a read of `/dev/zero` into memory.
///
/// ```
/// # async fn demo() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// use auth_core::{Client, ClientCredentials, TokenUrl};
/// use auth_http::{FileStore, HyperTransport, TokenManager};
/// let client = Client::new(TokenUrl::parse("https://as.example/token")?, ClientCredentials::new("id", "secret"));
/// let manager = TokenManager::builder(client, HyperTransport::new()?)
///     .store(FileStore::in_dir("/var/lib/my-service/tokens"))
///     .build();
/// # let _ = manager;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
    per_request: bool,
}

impl FileStore {
    /// The largest token file read, in bytes. A stored token is a few
    /// kilobytes (an access token, perhaps an `id_token` and a few extra
    /// members); a quarter of a mebibyte leaves room for large JWTs.
    pub const MAX_FILE_BYTES: u64 = 256 * 1024;

    /// A store of one token in the file at `path` (created on the first
    /// save; its directory must exist).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            per_request: false,
        }
    }

    /// A store of one file per request identity in the directory `dir`
    /// (which must exist): `<dir>/<digest>.json`.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            path: dir.into(),
            per_request: true,
        }
    }

    /// The file ([`FileStore::new`]) or the directory ([`FileStore::in_dir`]).
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file that holds the token for `key`.
    #[must_use]
    pub fn path_for(&self, key: &RequestKey) -> PathBuf {
        if self.per_request {
            self.path.join(format!("{}.json", key.digest()))
        } else {
            self.path.clone()
        }
    }
}

impl TokenStore for FileStore {
    fn load<'a>(
        &'a self,
        key: &'a RequestKey,
    ) -> BoxFuture<'a, Result<Option<OAuthToken>, StoreError>> {
        let path = self.path_for(key);
        let key = key.clone();
        Box::pin(blocking(move || load(&path, &key)))
    }

    fn save<'a>(
        &'a self,
        key: &'a RequestKey,
        token: &'a OAuthToken,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let path = self.path_for(key);
        let json = token.to_stored_json(key);
        let per_request = self.per_request;
        Box::pin(async move {
            let json = json?;
            blocking(move || save(&path, json.as_bytes(), per_request)).await
        })
    }

    fn remove<'a>(&'a self, key: &'a RequestKey) -> BoxFuture<'a, Result<(), StoreError>> {
        let path = self.path_for(key);
        Box::pin(blocking(move || remove(&path)))
    }
}

/// Runs file work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Io(std::io::Error::other(e)))?
}

fn load(path: &Path, key: &RequestKey) -> Result<Option<OAuthToken>, StoreError> {
    let Some(bytes) = read_capped(path)? else {
        return Ok(None);
    };
    match OAuthToken::from_stored_json(&bytes, key) {
        Ok(token) => Ok(Some(token)),
        Err(StoredTokenError::OtherRequest) => {
            tracing::debug!(path = %path.display(), "stored token was saved for another request: a miss");
            Ok(None)
        }
        Err(StoredTokenError::Unbound) => {
            tracing::debug!(path = %path.display(), "stored token does not record its request (format version 1): a miss");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// The file's bytes, `None` when there is no file.
fn read_capped(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    let file = match open_regular(path) {
        Ok(file) => file,
        Err(StoreError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(StoreError::NotAFile);
    }
    let limit = FileStore::MAX_FILE_BYTES;
    if metadata.len() > limit {
        return Err(StoreError::TooLarge { limit });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    // The file may grow after the size check: never read past the cap.
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(StoreError::TooLarge { limit });
    }
    Ok(Some(bytes))
}

/// Opens `path` for reading without following a symbolic link and without
/// blocking on a FIFO (`O_NOFOLLOW | O_NONBLOCK`, as `sshd` reads keys).
#[cfg(unix)]
fn open_regular(path: &Path) -> Result<File, StoreError> {
    use rustix::fs::{Mode, OFlags};
    use rustix::io::Errno;
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    match rustix::fs::open(path, flags, Mode::empty()) {
        Ok(fd) => Ok(File::from(fd)),
        // Linux reports a link under O_NOFOLLOW as ELOOP, FreeBSD as EMLINK.
        Err(Errno::LOOP | Errno::MLINK) => Err(StoreError::NotAFile),
        Err(e) => Err(StoreError::Io(e.into())),
    }
}

/// Without `O_NOFOLLOW`, a link seen before opening is refused (best
/// effort: the check and the open are two steps).
#[cfg(not(unix))]
fn open_regular(path: &Path) -> Result<File, StoreError> {
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(StoreError::NotAFile);
    }
    Ok(File::open(path)?)
}

fn save(path: &Path, bytes: &[u8], per_request: bool) -> Result<(), StoreError> {
    // `to_stored_json` never returns an empty text; this keeps it so.
    if bytes.is_empty() {
        return Err(StoreError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "refusing to write an empty token file",
        )));
    }
    let (dir, name) = split(path)?;
    sweep_stale_temps(&dir, |target| {
        target == name || (per_request && is_identity_file_name(target))
    });
    write_atomically(&dir, &name, path, bytes)?;
    Ok(())
}

fn remove(path: &Path) -> Result<(), StoreError> {
    match std::fs::remove_file(path) {
        Ok(()) => {
            let (dir, _) = split(path)?;
            sync_dir(&dir)?;
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The directory and the UTF-8 file name of `path`.
fn split(path: &Path) -> Result<(PathBuf, String), StoreError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| std::io::Error::other("token store path has no UTF-8 file name"))?;
    Ok((dir, name.to_owned()))
}

/// `<64 lowercase hex>.json`, the files of [`FileStore::in_dir`].
fn is_identity_file_name(name: &str) -> bool {
    name.strip_suffix(".json").is_some_and(|digest| {
        digest.len() == 64
            && digest
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// Temporary files this process is writing now: never swept, even when
/// an earlier process with the same pid (pid 1 in a container) left some.
static IN_FLIGHT: LazyLock<Mutex<HashSet<OsString>>> = LazyLock::new(Mutex::default);

fn in_flight() -> std::sync::MutexGuard<'static, HashSet<OsString>> {
    // A set of names: a panic cannot leave it torn.
    IN_FLIGHT.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A temporary file older than this is stale whoever wrote it: a write
/// takes milliseconds, and a pid may have been reused meanwhile.
const STALE_TEMP_AGE: Duration = Duration::from_secs(600);

/// `.<target>.<pid>.<16 hex>.tmp`.
fn temp_name(target: &str) -> String {
    format!(
        ".{target}.{}.{:016x}.tmp",
        std::process::id(),
        rand::random::<u64>()
    )
}

/// The target name and writer pid of a temporary file name of ours.
fn parse_temp_name(name: &str) -> Option<(&str, u32)> {
    let inner = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let mut parts = inner.rsplitn(3, '.');
    let random = parts.next()?;
    let pid = parts.next()?.parse().ok()?;
    let target = parts.next()?;
    let random_ok = random.len() == 16 && random.bytes().all(|b| b.is_ascii_hexdigit());
    (random_ok && !target.is_empty()).then_some((target, pid))
}

/// Removes the temporary files, for targets `wanted` accepts, that a
/// writer killed between create and rename left behind: its process is
/// gone (the way vim and Emacs judge their lock files), or the file is
/// older than [`STALE_TEMP_AGE`]. Best effort: a failure here never fails
/// the save.
fn sweep_stale_temps(dir: &Path, wanted: impl Fn(&str) -> bool) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let own = std::process::id();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some((target, pid)) = file_name.to_str().and_then(parse_temp_name) else {
            continue;
        };
        if !wanted(target) {
            continue;
        }
        let path = entry.path();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok())
            .is_some_and(|age| age > STALE_TEMP_AGE);
        let writer_gone = if pid == own {
            !in_flight().contains(path.as_os_str())
        } else {
            !process_exists(pid)
        };
        if (old || writer_gone) && std::fs::remove_file(&path).is_ok() {
            tracing::debug!(path = %path.display(), "removed a stale temporary token file");
        }
    }
}

#[cfg(unix)]
fn process_exists(pid: u32) -> bool {
    use rustix::io::Errno;
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    // Signal 0 checks without signalling; EPERM means it exists, not ours.
    !matches!(rustix::process::test_kill_process(pid), Err(Errno::SRCH))
}

/// Without a portable check, assume the writer lives: age alone decides.
#[cfg(not(unix))]
fn process_exists(_pid: u32) -> bool {
    true
}

fn write_atomically(dir: &Path, name: &str, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = dir.join(temp_name(name));
    in_flight().insert(tmp.clone().into_os_string());
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        // `create_new` is O_EXCL: it never follows a planted link either.
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    in_flight().remove(tmp.as_os_str());
    result
}

/// Makes a rename or an unlink in `dir` durable (POSIX leaves it in the
/// page cache until the directory itself is synced).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_recognised_and_nothing_else_is() {
        let name = temp_name("token.json");
        assert_eq!(
            parse_temp_name(&name),
            Some(("token.json", std::process::id()))
        );
        for other in [
            "token.json",
            ".token.json",
            ".token.json.12.tmp",
            ".token.json.x.0123456789abcdef.tmp",
            ".token.json.12.0123456789abcdeg.tmp",
            "..12.0123456789abcdef.tmp",
        ] {
            assert_eq!(parse_temp_name(other), None, "{other}");
        }
    }
}
