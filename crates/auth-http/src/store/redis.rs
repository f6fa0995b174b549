//! [`RedisStore`]: one token, and one fetch, for a fleet of processes.

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use auth_core::{AccessToken, ExpiryPolicy, OAuthToken, RequestKey};
use futures_util::StreamExt as _;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Script};
use time::OffsetDateTime;

use super::cipher::EncryptionKeys;
use super::fleet::{Accept, FleetStore, Lease, PeerFailure, Turn, record_ttl};
use super::{StoreError, TokenStore};
use crate::transport::BoxFuture;

/// Default prefix of every Redis key the store writes.
pub const DEFAULT_PREFIX: &str = "auth-http";

/// Version tag that leads every record; anything else is a miss.
const RECORD_VERSION: &str = "1";

/// Leads a failure record whose cause was the provider's rejection.
const FAILURE_REJECTED: char = 'r';
/// Leads a failure record of any other cause.
const FAILURE_OTHER: char = 'o';

/// Lua: take the lease, only if nobody holds it and the record and the
/// failure are still what the caller saw (else a holder published between
/// the caller's look and this, and its token or failure is the answer).
/// KEYS: lease, record, failure. ARGV: fence, ms, identity seen ('' none).
const TAKE_LEASE: &str = r"
local record = redis.call('GET', KEYS[2])
local seen = ''
if record then seen = string.sub(record, 3, 66) end
if seen ~= ARGV[3] or redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0";

/// Lua: renew the lease only while it is ours. KEYS: lease. ARGV: fence, ms.
const EXTEND: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0";

/// Lua: the compare-and-set write of a token. KEYS: lease, record,
/// failure. ARGV: fence, record, ttl ms, channel.
const PUBLISH: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[3], KEYS[1])
redis.call('PUBLISH', ARGV[4], 'token')
return 1";

/// Lua: record a failure and release the lease, only while it is ours.
/// KEYS: lease, failure. ARGV: fence, failure, ttl ms, channel.
const PUBLISH_FAILURE: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[4], 'failure')
return 1";

/// Lua: delete the record if it holds the token with this identity.
/// KEYS: record. ARGV: token identity (64 hex digits).
const REMOVE_TOKEN: &str = r"
local record = redis.call('GET', KEYS[1])
if record and string.sub(record, 3, 66) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// A [`FleetStore`] (and a plain [`TokenStore`]) in Redis 6 or later, or
/// Valkey: N [`TokenManager`](crate::TokenManager)s in N processes with
/// the same request make one token request per renewal, and keep working
/// on their own while Redis is down, slow or refusing writes.
///
/// - **Records** are keyed by the request's persistent identity
///   ([`RequestKey::digest`]), never the secret:
///   `auth-http:{<digest>}` and, next to it, `…:lease`, `…:failure` and the
///   pub/sub channel `…:events`. A record expires when the token needs
///   renewal (its expiry minus the skew), so node clocks that differ by
///   less than the skew never use an expired token. A corrupt or foreign
///   record (another request, another key, another format) is a miss.
/// - **Encryption at rest** (optional): AES-256-GCM under
///   [`EncryptionKeys`], the key id, the Redis key and the token's identity
///   bound as associated data, so a record moved to another key does not
///   decrypt. Rotation: add a key; the newest encrypts, all decrypt.
/// - **Single flight across processes**: a short lease (`SET NX PX`, a
///   random fencing value, extended while the fetch runs); writes are
///   compare-and-set on the fencing value in a script; waiters wake on a
///   pub/sub message or a bounded poll.
/// - **Connections**: `redis://` or `rediss://` (TLS, rustls with the
///   Mozilla roots), with `user:password@` for AUTH or an ACL user. Every
///   command has a short timeout (default 500 ms). Sentinel and Cluster
///   are not supported yet.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// use auth_core::{Client, ClientCredentials, TokenUrl};
/// use auth_http::{EncryptionKeys, HyperTransport, RedisStore, TokenManager};
/// let keys = EncryptionKeys::parse(&std::env::var("TOKEN_STORE_KEYS")?)?;
/// let store = RedisStore::builder(&std::env::var("REDIS_URL")?)?
///     .encryption(keys)
///     .build();
/// let client = Client::new(TokenUrl::parse("https://as.example/token")?, ClientCredentials::new("id", "secret"));
/// let manager = TokenManager::builder(client, HyperTransport::new()?)
///     .fleet_store(store)
///     .build();
/// let token = manager.token().await?;
/// # let _ = token;
/// # Ok(()) }
/// ```
pub struct RedisStore {
    client: redis::Client,
    connection: Mutex<Option<MultiplexedConnection>>,
    prefix: String,
    keys: Option<EncryptionKeys>,
    timeout: Duration,
    lease: Duration,
    poll: Duration,
    take_lease: Script,
    extend: Script,
    publish: Script,
    publish_failure: Script,
    remove_token: Script,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The connection info may hold a password: only the shape shows.
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("encrypted", &self.keys.is_some())
            .field("timeout", &self.timeout)
            .field("lease", &self.lease)
            .field("poll", &self.poll)
            .finish_non_exhaustive()
    }
}

/// Configures a [`RedisStore`].
pub struct RedisStoreBuilder {
    info: redis::ConnectionInfo,
    client: redis::Client,
    prefix: String,
    keys: Option<EncryptionKeys>,
    timeout: Duration,
    lease: Duration,
    poll: Duration,
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStoreBuilder {
    /// Prefixes every key with `prefix` (default `auth-http`), to share
    /// one Redis between applications.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Trusts exactly the CA certificates in `pem` for `rediss://` (a
    /// private CA) instead of the bundled Mozilla roots.
    pub fn trust_pem(mut self, pem: &[u8]) -> Result<Self, StoreError> {
        let certificates = redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(pem.to_vec()),
        };
        self.client = redis::Client::build_with_tls(self.info.clone(), certificates)
            .map_err(|e| StoreError::Config(Box::new(e)))?;
        Ok(self)
    }

    /// Encrypts records at rest with the newest of `keys`; a record under a
    /// key not in `keys`, or not encrypted, is a miss.
    #[must_use]
    pub fn encryption(mut self, keys: EncryptionKeys) -> Self {
        self.keys = Some(keys);
        self
    }

    /// Time allowed for connecting and for each command (default 500 ms):
    /// a slow Redis costs at most this before the manager fetches on its own.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long a lease lasts without extension (default 5 s): how soon
    /// another instance takes over from a holder that died mid-fetch. The
    /// holder extends it every third of it while its fetch runs.
    #[must_use]
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_millis(30));
        self
    }

    /// How often a waiting instance looks again without a pub/sub message
    /// (default 250 ms): the bound on a missed wake-up.
    #[must_use]
    pub fn poll_interval(mut self, poll: Duration) -> Self {
        self.poll = poll.max(Duration::from_millis(1));
        self
    }

    /// Builds the store. Nothing connects until it is first used.
    #[must_use]
    pub fn build(self) -> RedisStore {
        RedisStore {
            client: self.client,
            connection: Mutex::new(None),
            prefix: self.prefix,
            keys: self.keys,
            timeout: self.timeout,
            lease: self.lease,
            poll: self.poll,
            take_lease: Script::new(TAKE_LEASE),
            extend: Script::new(EXTEND),
            publish: Script::new(PUBLISH),
            publish_failure: Script::new(PUBLISH_FAILURE),
            remove_token: Script::new(REMOVE_TOKEN),
        }
    }
}

/// The Redis names for one request.
struct Names {
    record: String,
    lease: String,
    failure: String,
    channel: String,
}

impl RedisStore {
    /// A builder for the Redis at `url` (`redis://[user:password@]host[:port][/db]`
    /// or `rediss://` for TLS). Only the URL's syntax is checked here.
    pub fn builder(url: &str) -> Result<RedisStoreBuilder, StoreError> {
        let config = |e: redis::RedisError| StoreError::Config(Box::new(e));
        let info = redis::IntoConnectionInfo::into_connection_info(url).map_err(config)?;
        let client = redis::Client::open(info.clone()).map_err(config)?;
        if url.starts_with("rediss:") {
            // rustls needs a process-wide provider; ours is ring. An
            // application that installed one already keeps it.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        Ok(RedisStoreBuilder {
            info,
            client,
            prefix: DEFAULT_PREFIX.to_owned(),
            keys: None,
            timeout: Duration::from_millis(500),
            lease: Duration::from_secs(5),
            poll: Duration::from_millis(250),
        })
    }

    /// A store for `url` with the defaults.
    pub fn new(url: &str) -> Result<Self, StoreError> {
        Ok(Self::builder(url)?.build())
    }

    /// The Redis key of the record for `key`.
    #[must_use]
    pub fn record_key(&self, key: &RequestKey) -> String {
        self.names(key).record
    }

    fn names(&self, key: &RequestKey) -> Names {
        // The hash tag keeps a request's keys in one slot, should Cluster
        // support come.
        let record = format!("{}:{{{}}}", self.prefix, key.digest());
        Names {
            lease: format!("{record}:lease"),
            failure: format!("{record}:failure"),
            channel: format!("{record}:events"),
            record,
        }
    }

    /// A connection: the cached one, or a new one (`true`).
    async fn connection(&self) -> Result<(MultiplexedConnection, bool), StoreError> {
        if let Some(connection) = self.lock().clone() {
            return Ok((connection, false));
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout));
        let connection = self
            .bounded(
                self.client
                    .get_multiplexed_async_connection_with_config(&config),
            )
            .await?;
        *self.lock() = Some(connection.clone());
        Ok((connection, true))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<MultiplexedConnection>> {
        // A plain Option, written whole: a panic cannot leave it torn.
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `command` on a connection within the timeout. A cached
    /// connection that broke (Redis restarted since) is replaced and the
    /// command runs once more on the new one.
    async fn run<T, F, Fut>(&self, command: F) -> Result<T, StoreError>
    where
        F: Fn(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let (connection, fresh) = self.connection().await?;
        match self.bounded(command(connection)).await {
            Err(StoreError::Unavailable(_)) if !fresh && self.lock().is_none() => {
                let (connection, _) = self.connection().await?;
                self.bounded(command(connection)).await
            }
            other => other,
        }
    }

    /// One command, through [`RedisStore::run`].
    async fn query<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> Result<T, StoreError> {
        self.run(|mut c| async move { command.query_async(&mut c).await })
            .await
    }

    /// One script, through [`RedisStore::run`] (EVALSHA, loading the
    /// script after a restart emptied Redis's script cache).
    async fn invoke<T: redis::FromRedisValue>(
        &self,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        self.run(|mut c| async move { invocation.invoke_async(&mut c).await })
            .await
    }

    /// Awaits `command` within the timeout. A timeout or a broken
    /// connection drops the cached connection, so the next command
    /// reconnects; an error answer (a refused write) keeps it.
    async fn bounded<T>(
        &self,
        command: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, StoreError> {
        let error = match tokio::time::timeout(self.timeout, command).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(error)) => {
                let broken = error.is_io_error()
                    || error.is_connection_dropped()
                    || error.is_connection_refusal()
                    || error.is_timeout()
                    || error.is_unrecoverable_error();
                if broken {
                    *self.lock() = None;
                }
                StoreError::Unavailable(Box::new(error))
            }
            Err(_) => {
                *self.lock() = None;
                StoreError::Timeout(self.timeout)
            }
        };
        Err(error)
    }

    /// The record's text for `token`, encrypted when keys are set.
    fn encode(
        &self,
        names: &Names,
        key: &RequestKey,
        token: &OAuthToken,
    ) -> Result<String, StoreError> {
        let json = token.to_stored_json(key)?;
        let id = token_identity(token.access_token());
        Ok(match &self.keys {
            None => format!("{RECORD_VERSION}:{id}::{json}"),
            Some(keys) => {
                let (kid, sealed) = keys.seal(&associated(&names.record, &id), json.as_bytes());
                format!("{RECORD_VERSION}:{id}:{kid}:{sealed}")
            }
        })
    }

    /// The token in `record`, or `None` for anything that is not a record
    /// this store wrote for `key` (a miss, never an error).
    fn decode(&self, names: &Names, key: &RequestKey, record: &[u8]) -> Option<OAuthToken> {
        let text = std::str::from_utf8(record).ok()?;
        let rest = text.strip_prefix(RECORD_VERSION)?.strip_prefix(':')?;
        let (id, rest) = rest.split_once(':')?;
        let (kid, body) = rest.split_once(':')?;
        let token = match (&self.keys, kid) {
            (None, "") => OAuthToken::from_stored_json(body.as_bytes(), key).ok()?,
            (Some(keys), kid) if !kid.is_empty() => {
                let json = keys.open(kid, &associated(&names.record, id), body)?;
                OAuthToken::from_stored_json(&json, key).ok()?
            }
            // Plain text where keys are set, or the reverse: not ours.
            _ => return None,
        };
        (token_identity(token.access_token()) == id).then_some(token)
    }

    /// The record and the published failure, with its time left.
    async fn peek(
        &self,
        names: &Names,
    ) -> Result<(Option<Vec<u8>>, Option<Vec<u8>>, i64), StoreError> {
        let mut pipe = redis::pipe();
        pipe.get(&names.record)
            .get(&names.failure)
            .pttl(&names.failure);
        let pipe = &pipe;
        self.run(|mut c| async move { pipe.query_async(&mut c).await })
            .await
    }

    /// Takes the lease if nobody holds it and the record is still `seen`
    /// (`Err(())` inside: it changed, look again).
    async fn try_lease(
        &self,
        names: &Names,
        seen: Option<&[u8]>,
    ) -> Result<Result<Option<Lease>, ()>, StoreError> {
        let lease = Lease::random();
        // The bytes Lua's string.sub(record, 3, 66) gives, for any record.
        let seen = seen.map_or(&[][..], |r| &r[r.len().min(2)..r.len().min(66)]);
        let mut invocation = self.take_lease.key(&names.lease);
        invocation
            .key(&names.record)
            .key(&names.failure)
            .arg(lease.fence())
            .arg(millis(self.lease))
            .arg(seen);
        let taken: i64 = self.invoke(&invocation).await?;
        Ok(match taken {
            1 => Ok(Some(lease)),
            0 => Ok(None),
            _ => Err(()),
        })
    }

    /// A pub/sub connection subscribed to `channel`, or `None` (polling
    /// alone then; the wake-up is an optimisation).
    async fn subscribe(&self, channel: &str) -> Option<redis::aio::PubSub> {
        let subscribed = async {
            let mut pubsub = self.client.get_async_pubsub().await?;
            pubsub.subscribe(channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        };
        match tokio::time::timeout(self.timeout, subscribed).await {
            Ok(Ok(pubsub)) => Some(pubsub),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "redis subscribe failed; polling");
                None
            }
            Err(_) => {
                tracing::debug!("redis subscribe timed out; polling");
                None
            }
        }
    }

    async fn acquire_inner(
        &self,
        key: &RequestKey,
        accept: Accept<'_>,
        patience: Duration,
    ) -> Result<Turn, StoreError> {
        let names = self.names(key);
        let now = tokio::time::Instant::now();
        // A patience past what an Instant holds means "a day" (still bounded).
        let deadline = now
            .checked_add(patience)
            .unwrap_or_else(|| now + Duration::from_secs(86_400));
        let mut pubsub: Option<Option<redis::aio::PubSub>> = None;
        loop {
            let (record, failure, failure_ttl) = self.peek(&names).await?;
            if let Some(token) = record.as_deref().and_then(|r| self.decode(&names, key, r))
                && accept(&token)
            {
                return Ok(Turn::Token(token));
            }
            if let Some(failure) = failure
                .as_deref()
                .and_then(|f| parse_failure(f, failure_ttl))
            {
                return Ok(Turn::Failed(failure));
            }
            match self.try_lease(&names, record.as_deref()).await? {
                Ok(Some(lease)) => return Ok(Turn::Lease(lease)),
                Ok(None) => {}
                Err(()) => continue,
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(StoreError::Timeout(patience));
            }
            let Some(subscription) = &mut pubsub else {
                // Subscribed only now, then looked at again at once: a
                // publish between the look and the subscription is not lost.
                pubsub = Some(self.subscribe(&names.channel).await);
                continue;
            };
            let wait = self.poll.min(deadline - now);
            match subscription {
                Some(subscription) => {
                    let _ = tokio::time::timeout(wait, subscription.on_message().next()).await;
                }
                None => tokio::time::sleep(wait).await,
            }
        }
    }
}

impl FleetStore for RedisStore {
    fn acquire<'a>(
        &'a self,
        key: &'a RequestKey,
        accept: Accept<'a>,
        patience: Duration,
    ) -> BoxFuture<'a, Result<Turn, StoreError>> {
        Box::pin(self.acquire_inner(key, accept, patience))
    }

    fn extend<'a>(
        &'a self,
        key: &'a RequestKey,
        lease: &'a Lease,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let names = self.names(key);
            let mut invocation = self.extend.key(&names.lease);
            invocation.arg(lease.fence()).arg(millis(self.lease));
            let extended: i64 = self.invoke(&invocation).await?;
            Ok(extended == 1)
        })
    }

    fn publish<'a>(
        &'a self,
        key: &'a RequestKey,
        lease: &'a Lease,
        token: &'a OAuthToken,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let names = self.names(key);
            let record = self.encode(&names, key, token)?;
            let mut invocation = self.publish.key(&names.lease);
            invocation
                .key(&names.record)
                .key(&names.failure)
                .arg(lease.fence())
                .arg(record)
                .arg(millis(ttl).max(1))
                .arg(&names.channel);
            let written: i64 = self.invoke(&invocation).await?;
            Ok(written == 1)
        })
    }

    fn publish_failure<'a>(
        &'a self,
        key: &'a RequestKey,
        lease: &'a Lease,
        failure: &'a PeerFailure,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let names = self.names(key);
            let tag = if failure.is_provider_rejection() {
                FAILURE_REJECTED
            } else {
                FAILURE_OTHER
            };
            let mut invocation = self.publish_failure.key(&names.lease);
            invocation
                .key(&names.failure)
                .arg(lease.fence())
                .arg(format!("{tag}{}", failure.message()))
                .arg(millis(failure.retry_in()).max(1))
                .arg(&names.channel);
            let written: i64 = self.invoke(&invocation).await?;
            Ok(written == 1)
        })
    }

    fn remove_token<'a>(
        &'a self,
        key: &'a RequestKey,
        rejected: &'a AccessToken,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let names = self.names(key);
            let mut invocation = self.remove_token.key(&names.record);
            invocation.arg(token_identity(rejected));
            let _: i64 = self.invoke(&invocation).await?;
            Ok(())
        })
    }

    fn lease_duration(&self) -> Duration {
        self.lease
    }
}

impl TokenStore for RedisStore {
    fn load<'a>(
        &'a self,
        key: &'a RequestKey,
    ) -> BoxFuture<'a, Result<Option<OAuthToken>, StoreError>> {
        Box::pin(async move {
            let names = self.names(key);
            let record: Option<Vec<u8>> = self.query(redis::cmd("GET").arg(&names.record)).await?;
            Ok(record.and_then(|r| self.decode(&names, key, &r)))
        })
    }

    /// Saves `token` until it needs renewal under the default
    /// [`ExpiryPolicy`]; a token already due is not saved.
    fn save<'a>(
        &'a self,
        key: &'a RequestKey,
        token: &'a OAuthToken,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let names = self.names(key);
            let Some(ttl) = record_ttl(
                ExpiryPolicy::default().refresh_at(token),
                OffsetDateTime::now_utc(),
            ) else {
                return Ok(());
            };
            let record = self.encode(&names, key, token)?;
            self.query(
                redis::cmd("SET")
                    .arg(&names.record)
                    .arg(record)
                    .arg("PX")
                    .arg(millis(ttl)),
            )
            .await
        })
    }

    fn remove<'a>(&'a self, key: &'a RequestKey) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let names = self.names(key);
            self.query(redis::cmd("DEL").arg(&names.record)).await
        })
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The identity of a token in a record: SHA-256 of the access token in
/// hex. It matches a rejected token to the record (RFC 9449 `ath` hashes
/// the token the same way) and cannot be turned back into it.
fn token_identity(token: &AccessToken) -> String {
    use sha2::Digest as _;
    let hash = sha2::Sha256::digest(token.expose_secret().as_bytes());
    hash.iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            use fmt::Write as _;
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// What a sealed record is bound to besides its key id: where it is stored
/// and which token it claims to hold.
fn associated(record_key: &str, token_id: &str) -> String {
    format!("{record_key}\0{token_id}")
}

/// A failure record: its cause tag and message, reused for `ttl_ms`.
fn parse_failure(record: &[u8], ttl_ms: i64) -> Option<PeerFailure> {
    let text = std::str::from_utf8(record).ok()?;
    let mut chars = text.chars();
    let rejected = match chars.next()? {
        FAILURE_REJECTED => true,
        FAILURE_OTHER => false,
        _ => return None,
    };
    let retry_in = Duration::from_millis(u64::try_from(ttl_ms).unwrap_or(0));
    Some(PeerFailure::new(chars.as_str(), rejected, retry_in))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_record_keeps_its_cause_and_message() {
        let failure = parse_failure(b"rinvalid_client", 1500).unwrap();
        assert!(failure.is_provider_rejection());
        assert_eq!(failure.message(), "invalid_client");
        assert_eq!(failure.retry_in(), Duration::from_millis(1500));
        assert!(parse_failure(b"xwhat", 10).is_none());
        assert!(parse_failure(b"", 10).is_none());
        assert!(parse_failure(&[0xff, 0xfe], 10).is_none());
    }

    #[test]
    fn a_record_due_for_renewal_gets_no_lifetime() {
        let now = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(record_ttl(now, now), None);
        assert_eq!(
            record_ttl(now + time::Duration::seconds(3), now),
            Some(Duration::from_secs(3))
        );
    }
}
