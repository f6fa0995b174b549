//! [`TokenManager`]: hands out a valid token, fetching only when needed.

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;
use auth_core::{
    Client, Clock, ExpiryPolicy, OAuthToken, RequestKey, RevocationUrl, SystemClock, Unauthorized,
};
use http::HeaderValue;
use http::header::AUTHORIZATION;
use tokio::sync::watch;
use tracing::Instrument as _;

use crate::assertion::AssertionSigner;
use crate::error::{Error, LoopbackOptIn};
use crate::fetch::{check_bearer_target, request_token_signed};
use crate::meter::{Hits, Meter};
use crate::metrics::{
    OP_ACQUIRE, OP_EXTEND, OP_LOAD, OP_PUBLISH, OP_REMOVE, OP_SAVE, STORE_FLEET, STORE_TOKEN,
};
use crate::revoke::revoke_token;
use crate::store::{FleetStore, Lease, PeerFailure, StoreError, TokenStore, Turn, record_ttl};
use crate::transport::Transport;

/// How the manager retries a failed token request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    deadline: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, backoff from 200 ms doubling up to 5 s (each delay
    /// randomly between half and all of it), 30 s deadline for the whole fetch.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            deadline: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries: one attempt.
    #[must_use]
    pub fn none() -> Self {
        Self::default().with_max_attempts(1)
    }

    /// Attempts in total, the first included (at least 1).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first backoff; each next one doubles.
    #[must_use]
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest backoff.
    #[must_use]
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Time allowed for a whole fetch, all attempts and waits included.
    /// Any length is safe: `Duration::MAX` means no deadline in practice.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Attempts in total.
    #[must_use]
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The deadline of a whole fetch.
    #[must_use]
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// The wait after failed attempt number `attempt` (1-based): exponential,
    /// capped, with "equal jitter" (between half and all of it).
    fn backoff(&self, attempt: u32) -> Duration {
        let capped = doubled(self.initial_backoff, attempt).min(self.max_backoff);
        scaled(capped, 0.5 + rand::random::<f64>() * 0.5)
    }
}

/// `first` doubled for each step after the first (1-based), saturating.
fn doubled(first: Duration, step: u32) -> Duration {
    first.saturating_mul(1u32 << step.saturating_sub(1).min(16))
}

/// `duration * fraction` for a fraction in `0.0..=1.0`, never more than
/// `duration`. `Duration::mul_f64` panics when the product rounds past
/// `Duration::MAX`, which a configured `Duration::MAX` backoff reaches.
fn scaled(duration: Duration, fraction: f64) -> Duration {
    Duration::try_from_secs_f64(duration.as_secs_f64() * fraction)
        .map_or(duration, |d| d.min(duration))
}

/// How long a failure is shared: from 100 ms, doubling while failures
/// continue, up to 5 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FailureWindow {
    first: Duration,
    max: Duration,
}

impl Default for FailureWindow {
    fn default() -> Self {
        Self {
            first: Duration::from_millis(100),
            max: Duration::from_secs(5),
        }
    }
}

impl FailureWindow {
    /// The window after the `streak`-th failure in a row (1-based),
    /// stretched to the provider's `Retry-After` up to the maximum.
    fn after(self, streak: u32, retry_after: Option<Duration>) -> Duration {
        let window = doubled(self.first, streak).min(self.max);
        match retry_after {
            Some(asked) if !self.first.is_zero() => window.max(asked.min(self.max)),
            _ => window,
        }
    }
}

/// The last failed fetch, reused until `until`.
#[derive(Default)]
struct Failures {
    /// Failed fetches in a row; a success or `invalidate()` resets it.
    streak: u32,
    recent: Option<RecentFailure>,
}

struct RecentFailure {
    error: Arc<Error>,
    /// Until when it is reused, in the manager clock's Unix nanoseconds.
    until: i128,
}

/// A token in the cache with what the hot path needs, computed once.
struct Cached {
    token: Arc<OAuthToken>,
    header: HeaderValue,
    /// When renewal starts, in Unix nanoseconds (integer compares on the hot path).
    refresh_at: i128,
    /// When the token stops being valid, in Unix nanoseconds.
    expires_at: i128,
    /// Until when the hot path hands it out on the hot path's own clock
    /// reading ([`Inner::hot_now_nanos`]): `refresh_at`, less the most the
    /// coarse clock lags when that is what it reads. From then on every
    /// read takes the precise clock and decides as before.
    hot_until: i128,
    /// The manager's metrics, for the threads counting hits on it.
    meter: Meter,
    /// Names this entry in the threads' copies ([`Local`]); unique in the
    /// process, never reused.
    epoch: u64,
}

/// The next cache epoch: one counter for every manager of the process, so
/// an epoch names one cache entry (or one emptying) and nothing else.
fn next_epoch() -> u64 {
    static EPOCHS: AtomicU64 = AtomicU64::new(1);
    EPOCHS.fetch_add(1, Ordering::Relaxed)
}

type Shared = Result<Arc<Cached>, Arc<Error>>;

struct Inner {
    client: Client<Unauthorized>,
    key: RequestKey,
    expiry: ExpiryPolicy,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
    /// The clock is the system clock: read it without building an
    /// `OffsetDateTime` (the cached path's largest cost otherwise), and
    /// read its coarse twin on the hot path ([`coarse_now_nanos`]).
    system_clock: bool,
    store: Option<Arc<dyn TokenStore>>,
    fleet: Option<Arc<dyn FleetStore>>,
    /// The fleet store failed and has not answered since: its trouble is
    /// warned about once per episode, not once per renewal.
    fleet_degraded: AtomicBool,
    retry: RetryPolicy,
    refresh_jitter: f64,
    cached: ArcSwapOption<Cached>,
    /// The epoch of what `cached` holds (a fresh one when it is empty): a
    /// thread whose own copy has this epoch reads that copy and never
    /// touches `cached`, a plain load of a line no reader writes.
    epoch: AtomicU64,
    /// Held while `cached` and `epoch` change, so the two always agree.
    publish: Mutex<()>,
    inflight: Mutex<Option<watch::Receiver<Option<Shared>>>>,
    store_consulted: AtomicBool,
    /// After a failed renewal, no refresh-ahead before this (Unix ms), so
    /// a failing provider is not asked back to back while the token is
    /// still valid. A miss (expired or no token) always fetches.
    refresh_paused_until_ms: AtomicI64,
    /// True while a fetch task runs: lets refresh-ahead callers skip the
    /// `inflight` lock entirely.
    fetching: AtomicBool,
    failure_window: FailureWindow,
    signer: Option<Arc<dyn AssertionSigner>>,
    /// The last failure, shared with callers on the miss path for a short
    /// window so a failing provider is not asked at request rate. Locked
    /// only on a miss, after `inflight` when both are held.
    failures: Mutex<Failures>,
    /// What is recorded, and where (nothing without a name or the feature).
    meter: Meter,
}

/// How long refresh-ahead pauses after a failed renewal.
const REFRESH_PAUSE_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// Hands out a valid token for one client, fetching only when needed. Cheap
/// to clone: clones share the cache.
///
/// - **Cache** of one token per manager, for the request identified by
///   [`TokenRequest::key`](auth_core::TokenRequest::key) (URL, client id,
///   auth method, sorted scopes, resources, audience, extra parameters);
///   the same key names the token in a [`TokenStore`].
/// - **Lock-free reads.** The token sits in an [`ArcSwapOption`], and each
///   thread keeps its own copy of it: a cached read well before the refresh
///   point is one plain load (is this thread's copy still the current
///   one?) and one read of the coarse wall clock, takes no lock a fetch
///   holds, and writes nothing another core reads, so two cores never
///   contend on one reference count. The coarse clock is the wall clock as
///   of the kernel's last tick (Linux's `CLOCK_REALTIME_COARSE`): expiry
///   keeps its wall-clock meaning through clock steps and a suspend, and
///   within a second of the refresh point every read decides on the
///   precise clock. An injected [`Clock`] is read on every call.
/// - **Refresh ahead** of expiry with auth-core's [`ExpiryPolicy`] (skew
///   capped at a quarter of the lifetime) minus a random jitter, so a fleet
///   does not renew in lockstep. Past that point and until the token
///   actually expires, callers still get the valid token while one
///   background fetch renews it; after a failed renewal, refresh-ahead
///   pauses for 5 s so a failing provider is not asked back to back.
/// - **Single-flight.** Concurrent callers on a cold or expired cache share
///   one fetch and all get its result, success or error.
/// - **A failure is shared briefly, never cached.** For a short window
///   after a failed fetch (100 ms, doubling while failures continue, up to
///   5 s, stretched to a `Retry-After` within that; see
///   [`TokenManagerBuilder::failure_window`]) callers on the miss path get
///   [`Error::RecentFailure`] holding that failure instead of a new
///   request, so a revoked secret under load does not hammer the provider.
///   A success or [`TokenManager::invalidate`] resets it; a new manager
///   starts without one.
/// - **The fetch is a spawned task**, so cancelling a caller's future (a
///   timeout, a dropped request) never cancels it for the others.
/// - **Bounded retries** for transient failures ([`Error::is_retryable`]),
///   exponential backoff with jitter, honouring `Retry-After`, all within a
///   deadline; a `Retry-After` past the deadline fails fast with
///   [`Error::RateLimited`] (checklist C-48, C-49). A fetch that gave up
///   after more than one attempt says how many and over how long
///   ([`Error::RetriesExhausted`], the last error as its source).
/// - **Store.** The first fetch looks in the [`TokenStore`] and uses a
///   stored token that is still fresh; each new token is saved. A store
///   failure (corrupt file included) is logged and degrades to a fetch.
/// - **Fleet store** ([`TokenManagerBuilder::fleet_store`], such as
///   `RedisStore` with the `redis` feature): every renewal goes through it,
///   so N managers in N processes make one token request per renewal; its
///   trouble makes this manager fetch on its own, with one warning per
///   episode (docs/fleet.md).
///
/// ```
/// # async fn demo() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// use auth_core::{Client, ClientCredentials, TokenUrl};
/// use auth_http::{FileStore, HyperTransport, TokenManager};
/// let client = Client::new(TokenUrl::parse("https://as.example/token")?, ClientCredentials::new("id", "secret"));
/// let manager = TokenManager::builder(client, HyperTransport::new()?)
///     .store(FileStore::new("/var/lib/my-service/token.json"))
///     .build();
/// let token = manager.token().await?; // fetched once, then cached and renewed ahead of expiry
/// # let _ = token;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TokenManager {
    inner: Arc<Inner>,
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cached = self.inner.cached.load();
        f.debug_struct("TokenManager")
            .field("client", &self.inner.client)
            .field("expires_at", &cached.as_ref().map(|c| c.token.expires_at()))
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

/// Configures a [`TokenManager`].
pub struct TokenManagerBuilder {
    client: Client<Unauthorized>,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
    system_clock: bool,
    store: Option<Arc<dyn TokenStore>>,
    fleet: Option<Arc<dyn FleetStore>>,
    retry: RetryPolicy,
    refresh_jitter: f64,
    failure_window: FailureWindow,
    signer: Option<Arc<dyn AssertionSigner>>,
    meter: Meter,
}

impl fmt::Debug for TokenManagerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenManagerBuilder")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl TokenManagerBuilder {
    /// Reads time from `clock` (default: the system clock). Expiry and
    /// refresh decisions use it; backoff waits use tokio's timer.
    #[must_use]
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self.system_clock = false;
        self
    }

    /// Reads time from a shared `clock`.
    #[must_use]
    pub fn shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self.system_clock = false;
        self
    }

    /// Starts from, and saves to, `store`.
    #[must_use]
    pub fn store(mut self, store: impl TokenStore + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Starts from, and saves to, a shared `store`.
    #[must_use]
    pub fn shared_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Shares tokens and fetches with every other manager (in any process)
    /// for the same request through `store`, consulted on every renewal:
    /// one instance fetches under a lease, the others wait and take its
    /// token (or its failure). When `store` fails or is slow, this manager
    /// fetches on its own and warns once, and returns to the shared path
    /// when the store answers again.
    #[must_use]
    pub fn fleet_store(mut self, store: impl FleetStore + 'static) -> Self {
        self.fleet = Some(Arc::new(store));
        self
    }

    /// Shares tokens and fetches through a shared `store` (see
    /// [`TokenManagerBuilder::fleet_store`]).
    #[must_use]
    pub fn shared_fleet_store(mut self, store: Arc<dyn FleetStore>) -> Self {
        self.fleet = Some(store);
        self
    }

    /// Signs the client assertions of `private_key_jwt` (and, instead of
    /// the secret, of `client_secret_jwt`) with `signer`: a fresh `jti`
    /// and `iat` for every attempt, retries included (C-68). Its key must
    /// be the credentials' assertion key.
    ///
    /// ```
    /// # fn f(pem: &[u8]) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// use auth_core::{Client, ClientCredentials, TokenUrl};
    /// use auth_http::{AssertionSigner as _, HyperTransport, PrivateKeySigner, TokenManager};
    /// let signer = PrivateKeySigner::from_pem(pem)?.with_kid("k1");
    /// let client = Client::new(
    ///     TokenUrl::parse("https://as.example/token")?,
    ///     ClientCredentials::private_key_jwt("svc", signer.key().clone()),
    /// );
    /// let manager = TokenManager::builder(client, HyperTransport::new()?).signer(signer).build();
    /// # let _ = manager; Ok(()) }
    /// ```
    #[must_use]
    pub fn signer(mut self, signer: impl AssertionSigner + 'static) -> Self {
        self.signer = Some(Arc::new(signer));
        self
    }

    /// Signs client assertions with a shared `signer` (see
    /// [`TokenManagerBuilder::signer`]).
    #[must_use]
    pub fn shared_signer(mut self, signer: Arc<dyn AssertionSigner>) -> Self {
        self.signer = Some(signer);
        self
    }

    /// Sets the retry policy.
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Renews up to this fraction of the effective skew earlier than the
    /// policy says, chosen at random per token (default 0.1; 0 renews
    /// exactly at `expires_at - skew`). Clamped to `0.0..=1.0`.
    #[must_use]
    pub fn refresh_jitter(mut self, fraction: f64) -> Self {
        self.refresh_jitter = if fraction.is_nan() {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        };
        self
    }

    /// How long a failed fetch is handed out again, as
    /// [`Error::RecentFailure`], before the provider is asked again: `first`
    /// after one failure, doubling with each failure in a row up to `max`
    /// (default 100 ms up to 5 s). A provider's `Retry-After` stretches the
    /// window, up to `max`. A `first` of zero turns sharing off: every miss
    /// asks the provider.
    #[must_use]
    pub fn failure_window(mut self, first: Duration, max: Duration) -> Self {
        self.failure_window = FailureWindow {
            first,
            max: max.max(first),
        };
        self
    }

    /// Records this manager's token lifecycle through the `metrics` facade
    /// (feature `metrics`), every series labelled `manager="<name>"`; see
    /// [`crate::metrics`] for the series. The handles are taken from the
    /// recorder active now (the global one, or a
    /// [`metrics::with_local_recorder`] one): install it first. Without
    /// this call the manager records nothing.
    ///
    /// Refuses ([`Error::ManagerName`]) a name that contains the client's
    /// secret; [`ManagerName::new`](crate::metrics::ManagerName::new)
    /// already refused anything that is not a short lowercase name.
    #[cfg(feature = "metrics")]
    pub fn metrics(mut self, name: crate::metrics::ManagerName) -> Result<Self, Error> {
        name.check_secret(self.client.credentials().secret().expose_secret())?;
        self.meter = Meter::new(name);
        Ok(self)
    }

    /// Builds the manager. Nothing is sent until the first [`TokenManager::token`].
    #[must_use]
    pub fn build(self) -> TokenManager {
        let key = self.client.request().key();
        let expiry = *self.client.options().expiry();
        TokenManager {
            inner: Arc::new(Inner {
                client: self.client,
                key,
                expiry,
                transport: self.transport,
                clock: self.clock,
                system_clock: self.system_clock,
                store: self.store,
                fleet: self.fleet,
                fleet_degraded: AtomicBool::new(false),
                retry: self.retry,
                refresh_jitter: self.refresh_jitter,
                cached: ArcSwapOption::empty(),
                epoch: AtomicU64::new(next_epoch()),
                publish: Mutex::new(()),
                inflight: Mutex::new(None),
                store_consulted: AtomicBool::new(false),
                refresh_paused_until_ms: AtomicI64::new(i64::MIN),
                fetching: AtomicBool::new(false),
                failure_window: self.failure_window,
                signer: self.signer,
                failures: Mutex::new(Failures::default()),
                meter: self.meter,
            }),
        }
    }
}

impl TokenManager {
    /// A manager with the defaults.
    #[must_use]
    pub fn new(client: Client<Unauthorized>, transport: impl Transport + 'static) -> Self {
        Self::builder(client, transport).build()
    }

    /// A builder.
    #[must_use]
    pub fn builder(
        client: Client<Unauthorized>,
        transport: impl Transport + 'static,
    ) -> TokenManagerBuilder {
        TokenManagerBuilder {
            client,
            transport: Arc::new(transport),
            clock: Arc::new(SystemClock),
            system_clock: true,
            store: None,
            fleet: None,
            retry: RetryPolicy::default(),
            refresh_jitter: 0.1,
            failure_window: FailureWindow::default(),
            signer: None,
            meter: Meter::none(),
        }
    }

    /// The client whose tokens this manager holds.
    #[must_use]
    pub fn client(&self) -> &Client<Unauthorized> {
        &self.inner.client
    }

    /// The request's persistent identity, which the [`TokenStore`] keeps
    /// the token under: the whole token request, never the secret (a
    /// store hands back only a token saved for it).
    #[must_use]
    pub fn key(&self) -> &RequestKey {
        &self.inner.key
    }

    /// A valid token: the cached one, or one fetched now (shared with every
    /// concurrent caller). Must run inside a tokio runtime.
    pub async fn token(&self) -> Result<Arc<OAuthToken>, Error> {
        self.with_current(|token, _| Arc::clone(token)).await
    }

    /// Sets `Authorization: Bearer <token>` (sensitive) on `request` and
    /// returns the token used (hand it to [`TokenManager::invalidate_token`]
    /// if the resource rejects it). Refuses plain http (RFC 6750 §5.3),
    /// except to a loopback host when the token URL is plain http on
    /// loopback too (local development, as [`SendAuthorized`](crate::SendAuthorized)).
    pub async fn authorize<B>(
        &self,
        request: &mut http::Request<B>,
    ) -> Result<Arc<OAuthToken>, Error> {
        self.check_bearer_target(request.uri())?;
        let (token, header) = self.bearer().await?;
        request.headers_mut().insert(AUTHORIZATION, header);
        Ok(token)
    }

    /// RFC 6750 §5.3 for `uri`: https, or plain http to a loopback host
    /// when the token URL is plain http on loopback too.
    pub(crate) fn check_bearer_target(&self, uri: &http::Uri) -> Result<(), Error> {
        let loopback_setup = self.inner.client.request().url().is_insecure_loopback();
        check_bearer_target(uri, loopback_setup, LoopbackOptIn::LoopbackTokenUrl)
    }

    /// The token and its `Authorization` value (sensitive).
    pub(crate) async fn bearer(&self) -> Result<(Arc<OAuthToken>, HeaderValue), Error> {
        self.with_current(|token, header| (Arc::clone(token), header.clone()))
            .await
    }

    /// The cached token, valid or not, without fetching.
    #[must_use]
    pub fn cached(&self) -> Option<Arc<OAuthToken>> {
        self.inner
            .cached
            .load()
            .as_ref()
            .map(|c| Arc::clone(&c.token))
    }

    /// Forgets the cached token and any recent failure: the next
    /// [`TokenManager::token`] fetches, even within a failure window. The
    /// store is not consulted again (it likely holds the same token).
    pub fn invalidate(&self) {
        self.inner.store_consulted.store(true, Ordering::SeqCst);
        self.inner.publish(None);
        *self.inner.lock_failures() = Failures::default();
        tracing::debug!("token invalidated");
    }

    /// Forgets the cached token if it still is `rejected` (same access
    /// token value; a resource answered `invalid_token` for it). A token renewed meanwhile by
    /// another caller is kept, so concurrent rejections renew once.
    pub fn invalidate_token(&self, rejected: &Arc<OAuthToken>) {
        self.inner.store_consulted.store(true, Ordering::SeqCst);
        let publishing = self.inner.lock_publish();
        let current = self.inner.cached.load();
        if current
            .as_ref()
            .is_some_and(|c| c.token.access_token() == rejected.access_token())
        {
            self.inner.publish_held(&publishing, None);
            tracing::debug!("rejected token invalidated");
        }
        drop(publishing);
        self.remove_shared(rejected);
    }

    /// Removes `rejected` from the fleet store, if it still holds it, in
    /// the background: every instance then renews instead of loading it.
    fn remove_shared(&self, rejected: &Arc<OAuthToken>) {
        let Some(fleet) = self.inner.fleet.clone() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let inner = Arc::clone(&self.inner);
        let rejected = Arc::clone(rejected);
        runtime.spawn(async move {
            match fleet
                .remove_token(&inner.key, rejected.access_token())
                .await
            {
                Ok(()) => {
                    inner.fleet_answered();
                    tracing::debug!("rejected token removed from the fleet store");
                }
                Err(e) => inner.fleet_failed(&e, OP_REMOVE),
            }
        });
    }

    /// Revokes the cached token at `url` (RFC 7009 §2.1, the client's own
    /// authentication) and, once the server confirmed it (`200`), forgets
    /// it: the next [`TokenManager::token`] fetches a new one. Without a
    /// cached token there is nothing to revoke and nothing is sent. On a
    /// `503` (RFC 7009 §2.2.1) or any other failure the token stays cached,
    /// since it is still valid; the error says when to retry.
    ///
    /// After a `200` the token also leaves the store
    /// ([`TokenStore::remove`]), so a restarted process does not load it.
    /// A failing store is logged, not returned: the revocation itself
    /// succeeded, and a stale stored token only costs a restarted process
    /// a `401` and one renewal.
    pub async fn revoke(&self, url: &RevocationUrl) -> Result<(), Error> {
        let Some(token) = self.cached() else {
            return Ok(());
        };
        revoke_token(
            &self.inner.client,
            &*self.inner.transport,
            url,
            token.access_token(),
        )
        .await?;
        self.invalidate_token(&token);
        // A revoked token must not come back from the store after a restart;
        // a store failure only costs a 401 and one renewal then.
        if let Some(store) = &self.inner.store
            && let Err(e) = store.remove(&self.inner.key).await
        {
            self.inner.meter.store_error(STORE_TOKEN, OP_REMOVE);
            tracing::warn!(error = %e, "token store remove failed after revocation");
        }
        Ok(())
    }

    /// The hot path: this thread's own copy of the current entry, well
    /// before its refresh point. `None` sends the caller down the full
    /// path ([`TokenManager::with_current`]), which decides with the
    /// precise clock.
    ///
    /// One plain load of the epoch (a line only a renewal writes), a scan
    /// of this thread's few copies, one clock read: no `ArcSwap` guard (its
    /// debt slot costs two atomic read-modify-writes), no reference count
    /// another core touches.
    #[inline]
    fn read_local<R>(&self, read: impl FnOnce(&Arc<OAuthToken>, &HeaderValue) -> R) -> Option<R> {
        let epoch = self.inner.epoch.load(Ordering::Acquire);
        LOCAL.with(|cell| {
            let mut locals = cell.try_borrow_mut().ok()?;
            let local = locals.iter_mut().find(|l| l.epoch == epoch)?;
            let now = self.inner.hot_now_nanos();
            if now >= local.hot_until || local.hits.is_due(now) {
                return None;
            }
            local.hits.count(now);
            tracing::trace!("token cache hit");
            Some(read(&local.token, &local.header))
        })
    }

    async fn with_current<R>(
        &self,
        read: impl Fn(&Arc<OAuthToken>, &HeaderValue) -> R,
    ) -> Result<R, Error> {
        if let Some(hit) = self.read_local(&read) {
            return Ok(hit);
        }
        let now = self.inner.now_nanos();
        // The precise path: one `ArcSwap` load, no lock.
        if let Some(cached) = &*self.inner.cached.load() {
            if now < cached.refresh_at {
                tracing::trace!("token cache hit");
                return Ok(local_view(cached, Some(now), read));
            }
            if now < cached.expires_at {
                let paused_until = self.inner.refresh_paused_until_ms.load(Ordering::Relaxed);
                let fetching = self.inner.fetching.load(Ordering::Acquire);
                if !fetching && now / 1_000_000 >= i128::from(paused_until) {
                    tracing::debug!(expires_at = %cached.token.expires_at(), "refreshing token ahead of expiry");
                    drop(Inner::start_or_join(&self.inner, true));
                }
                return Ok(local_view(cached, Some(now), read));
            }
        }
        tracing::debug!("token cache miss");
        self.inner.meter.miss();
        let rx = match Inner::start_or_join(&self.inner, false) {
            Join::Ready(cached) => return Ok(local_view(&cached, None, read)),
            Join::Failed(error) => return Err(error),
            Join::Wait(rx) => rx,
        };
        // Only a pointer lives across this await, so every `token()`
        // future is small to build and move, hits included: inline, the
        // wait's state (a watch receiver and its notification) would take
        // hundreds of bytes. A wait is rare and costs a fetch anyway.
        let cached = Box::pin(wait(rx)).await?;
        Ok(local_view(&cached, None, read))
    }
}

/// This thread's copy of a cached token and its header.
struct Local {
    /// The epoch of the cache entry it copies ([`Cached::epoch`]).
    epoch: u64,
    /// That entry; weak, so it never keeps a token alive. Only tells
    /// whether the copy can go.
    source: Weak<Cached>,
    token: Arc<OAuthToken>,
    header: HeaderValue,
    /// [`Cached::hot_until`].
    hot_until: i128,
    /// Hits this thread served from this copy and has not counted yet.
    hits: Hits,
}

/// Most cache entries a thread keeps copies of.
const LOCAL_ENTRIES: usize = 32;

thread_local! {
    static LOCAL: RefCell<Vec<Local>> = const { RefCell::new(Vec::new()) };
}

/// Reads `cached` through this thread's own copy of its token and header.
///
/// Handing every caller a clone of one shared `Arc` makes all cores
/// increment and decrement the same reference count, and that cache line
/// bouncing between cores was most of a cached read with two threads. Each
/// thread instead clones the token once per renewal and then hands out
/// clones of its own `Arc`, which no other core writes.
///
/// A cache hit (`hit_at`: now) is counted the same way, in the thread's
/// own copy ([`Hits`]), and added to the shared counter in batches: when
/// the batch is full, when the thread first sees a renewed token, when the
/// copy is dropped (thread exit included).
fn local_view<R>(
    cached: &Arc<Cached>,
    hit_at: Option<i128>,
    read: impl FnOnce(&Arc<OAuthToken>, &HeaderValue) -> R,
) -> R {
    LOCAL.with(|cell| {
        let Ok(mut locals) = cell.try_borrow_mut() else {
            if hit_at.is_some() {
                cached.meter.hit();
            }
            return read(&cached.token, &cached.header);
        };
        if let Some(local) = locals.iter_mut().find(|l| l.epoch == cached.epoch) {
            if let Some(now) = hit_at {
                local.hits.count(now);
            }
            return read(&local.token, &local.header);
        }
        // A token this thread has not seen: a renewal, a good moment to
        // hand over the hits counted on the older ones (their counts only:
        // their expiry is no longer the current one).
        for local in locals.iter_mut() {
            local.hits.flush(None);
        }
        locals.retain(|l| l.source.strong_count() > 0);
        if locals.len() >= LOCAL_ENTRIES {
            locals.remove(0);
        }
        let mut header = HeaderValue::from_bytes(cached.header.as_bytes())
            .unwrap_or_else(|_| cached.header.clone());
        header.set_sensitive(true);
        let mut local = Local {
            epoch: cached.epoch,
            source: Arc::downgrade(cached),
            token: Arc::new((*cached.token).clone()),
            header,
            hot_until: cached.hot_until,
            hits: cached.meter.hits(cached.expires_at),
        };
        if let Some(now) = hit_at {
            local.hits.count(now);
        }
        let result = read(&local.token, &local.header);
        locals.push(local);
        result
    })
}

/// Reports the hits this thread counted on every cached token (see
/// [`crate::metrics::flush_hits`]).
pub(crate) fn flush_local_hits() {
    LOCAL.with(|cell| {
        if let Ok(mut locals) = cell.try_borrow_mut() {
            for local in locals.iter_mut() {
                local.hits.flush(None);
            }
        }
    });
}

/// The wall clock, in Unix nanoseconds (what [`SystemClock`] reads).
fn system_now_nanos() -> i128 {
    match SystemTime::now().duration_since(SystemTime::UNIX_EPOCH) {
        Ok(since) => i128::try_from(since.as_nanos()).unwrap_or(i128::MAX),
        Err(before) => -i128::try_from(before.duration().as_nanos()).unwrap_or(i128::MAX),
    }
}

/// The wall clock at the kernel's last tick, in Unix nanoseconds
/// (`CLOCK_REALTIME_COARSE`, a vDSO read without the timestamp counter:
/// a few ns where `CLOCK_REALTIME` costs about 20).
///
/// Same clock as [`SystemTime::now`], only never ahead of it: it follows
/// every step of the wall clock and runs on through a suspend, so expiry
/// keeps its wall-clock meaning (a laptop resuming after the token's
/// expiry sees it expired, where a monotonic deadline, stopped during the
/// suspend, would still call it fresh).
#[cfg(target_os = "linux")]
#[inline]
fn coarse_now_nanos() -> i128 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse);
    i128::from(now.tv_sec) * 1_000_000_000 + i128::from(now.tv_nsec)
}

/// Without a coarse clock, the precise one.
#[cfg(not(target_os = "linux"))]
#[inline]
fn coarse_now_nanos() -> i128 {
    system_now_nanos()
}

/// The most [`coarse_now_nanos`] is taken to lag the precise wall clock.
/// The kernel updates it every tick (1 to 10 ms); a second covers a
/// descheduled VM's late ticks too, and only moves the switch to the
/// precise clock a second before a token's refresh point.
#[cfg(target_os = "linux")]
const COARSE_LAG_NANOS: i128 = 1_000_000_000;

/// No coarse clock: no lag.
#[cfg(not(target_os = "linux"))]
const COARSE_LAG_NANOS: i128 = 0;

/// Clears `fetching` when the fetch task ends, by a panic (a transport
/// that panics) or cancellation included, so refresh-ahead is never left
/// switched off.
struct FetchingFlag<'a>(&'a AtomicBool);

impl Drop for FetchingFlag<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

enum Join {
    Ready(Arc<Cached>),
    Wait(watch::Receiver<Option<Shared>>),
    /// A fetch failed moments ago: its error, reused.
    Failed(Error),
}

async fn wait(mut rx: watch::Receiver<Option<Shared>>) -> Result<Arc<Cached>, Error> {
    let result = match rx.wait_for(Option::is_some).await {
        Ok(value) => value.clone(),
        Err(_) => return Err(Error::FetchAborted),
    };
    match result {
        Some(Ok(cached)) => Ok(cached),
        Some(Err(error)) => Err(Error::Shared(error)),
        None => Err(Error::FetchAborted),
    }
}

impl Inner {
    /// Now, in Unix nanoseconds.
    fn now_nanos(&self) -> i128 {
        if self.system_clock {
            system_now_nanos()
        } else {
            self.clock.now().unix_timestamp_nanos()
        }
    }

    /// Now for the hot path, in Unix nanoseconds: the coarse wall clock
    /// for the system clock (behind the precise one by at most
    /// [`COARSE_LAG_NANOS`]), the injected clock itself otherwise.
    #[inline]
    fn hot_now_nanos(&self) -> i128 {
        if self.system_clock {
            coarse_now_nanos()
        } else {
            self.clock.now().unix_timestamp_nanos()
        }
    }

    /// Puts `cached` (or nothing) in the cache, under a new epoch: every
    /// thread's copy of the previous entry stops being read.
    fn publish(&self, cached: Option<Arc<Cached>>) {
        self.publish_held(&self.lock_publish(), cached);
    }

    /// [`Inner::publish`] for a caller that holds the lock already.
    fn publish_held(&self, _held: &MutexGuard<'_, ()>, cached: Option<Arc<Cached>>) {
        let epoch = cached.as_ref().map_or_else(next_epoch, |c| c.epoch);
        self.cached.store(cached);
        self.epoch.store(epoch, Ordering::Release);
    }

    fn lock_publish(&self) -> MutexGuard<'_, ()> {
        // Guards no data of its own: a panic leaves nothing torn.
        self.publish.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_inflight(&self) -> MutexGuard<'_, Option<watch::Receiver<Option<Shared>>>> {
        // The guarded value is a plain Option: a panic cannot leave it torn.
        self.inflight.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_failures(&self) -> MutexGuard<'_, Failures> {
        // Plain values, each written whole: a panic cannot leave them torn.
        self.failures.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The failure to reuse at `now`, if one is recent enough.
    fn recent_failure(&self, now: i128) -> Option<Error> {
        let failures = self.lock_failures();
        let recent = failures.recent.as_ref().filter(|r| now < r.until)?;
        let left = u64::try_from(recent.until.saturating_sub(now)).unwrap_or(u64::MAX);
        Some(Error::RecentFailure {
            retry_in: Duration::from_nanos(left),
            source: Arc::clone(&recent.error),
        })
    }

    /// Records how a fetch ended: a failure opens (or extends) the window,
    /// a success closes it.
    fn record_outcome(&self, result: &Shared) {
        let mut failures = self.lock_failures();
        let Err(error) = result else {
            *failures = Failures::default();
            return;
        };
        failures.streak = failures.streak.saturating_add(1);
        let now = self.now_nanos();
        let asked = error.retry_after().map(|r| r.delay_from(self.clock.now()));
        let window = self.failure_window.after(failures.streak, asked);
        if window.is_zero() {
            failures.recent = None;
            return;
        }
        let window = i128::try_from(window.as_nanos()).unwrap_or(i128::MAX);
        failures.recent = Some(RecentFailure {
            error: Arc::clone(error),
            until: now.saturating_add(window),
        });
    }

    /// Joins the fetch in flight or starts one. The lock is held only to
    /// look at and set `inflight`, never across an await.
    /// `ahead`: the caller still has a valid token (refresh-ahead).
    fn start_or_join(this: &Arc<Self>, ahead: bool) -> Join {
        let mut inflight = this.lock_inflight();
        if let Some(rx) = &*inflight {
            // A sender dropped without an answer (a panicked task) is stale.
            if rx.has_changed().is_ok() {
                return Join::Wait(rx.clone());
            }
        }
        // A fetch may have finished between the caller's read and the lock:
        // it stores the token before clearing `inflight`, so this sees it.
        let now = this.now_nanos();
        if let Some(cached) = this.cached.load_full()
            && now < cached.refresh_at
        {
            return Join::Ready(cached);
        }
        // The fetch task records its failure before clearing `inflight`, so
        // no caller slips between the two and starts a new fetch.
        if let Some(error) = this.recent_failure(now) {
            tracing::debug!(error = %error, "reusing a recent token fetch failure");
            return Join::Failed(error);
        }
        let (tx, rx) = watch::channel(None);
        *inflight = Some(rx.clone());
        this.fetching.store(true, Ordering::Release);
        drop(inflight);
        if ahead {
            this.meter.refresh_ahead();
        }
        let span = tracing::info_span!(
            "token_fetch",
            token_url = %this.client.request().url(),
            client_id = %this.client.credentials().id(),
            scope = %this.client.credentials().scopes(),
        );
        let task = Arc::clone(this);
        tokio::spawn(
            async move {
                let fetching = FetchingFlag(&task.fetching);
                let result = task.fetch().await.map_err(Arc::new);
                if result.is_err() {
                    let pause = i128::try_from(REFRESH_PAUSE_AFTER_FAILURE.as_millis())
                        .unwrap_or(i128::MAX);
                    let until = (task.now_nanos() / 1_000_000).saturating_add(pause);
                    let until = i64::try_from(until).unwrap_or(i64::MAX);
                    task.refresh_paused_until_ms.store(until, Ordering::Relaxed);
                }
                task.record_outcome(&result);
                drop(fetching);
                *task.lock_inflight() = None;
                let _ = tx.send(Some(result));
            }
            .instrument(span),
        );
        Join::Wait(rx)
    }

    async fn fetch(&self) -> Result<Arc<Cached>, Error> {
        if let Some(cached) = self.load_stored().await {
            return Ok(cached);
        }
        if let Some(fleet) = &self.fleet {
            match self.fetch_shared(&**fleet).await {
                Ok(result) => return result,
                Err(e) => self.fleet_failed(&e, OP_ACQUIRE),
            }
        }
        let token = self.fetch_with_retries().await?;
        let cached = self.install(token)?;
        self.save(&cached).await;
        Ok(cached)
    }

    /// The fetch through the fleet store: its token, its failure, or this
    /// instance's fetch under the lease. `Err` only for the store's own
    /// trouble, after which the caller fetches on its own.
    async fn fetch_shared(
        &self,
        fleet: &dyn FleetStore,
    ) -> Result<Result<Arc<Cached>, Error>, StoreError> {
        let accept = |token: &OAuthToken| !self.expiry.needs_refresh(token, self.clock.now());
        // Long enough for a holder's whole fetch and one lapsed lease;
        // after that, fetching alone beats waiting.
        let patience = self
            .retry
            .deadline
            .min(FAR_FUTURE)
            .saturating_add(fleet.lease_duration().saturating_mul(2));
        let turn = fleet.acquire(&self.key, &accept, patience).await?;
        self.fleet_answered();
        let lease = match turn {
            Turn::Token(token) => {
                tracing::debug!(expires_at = %token.expires_at(), "token taken from the fleet store");
                return Ok(self.install(token));
            }
            Turn::Failed(failure) => {
                tracing::debug!(error = %failure, "reusing another instance's token fetch failure");
                return Ok(Err(Error::Peer(failure)));
            }
            Turn::Lease(lease) => lease,
        };
        tracing::debug!("fleet lease taken; fetching for the fleet");
        let fetched = self.fetch_under_lease(fleet, &lease).await;
        let token = match fetched {
            Ok(token) => token,
            Err(error) => {
                let window = {
                    let failures = self.lock_failures();
                    let asked = error.retry_after().map(|r| r.delay_from(self.clock.now()));
                    self.failure_window
                        .after(failures.streak.saturating_add(1), asked)
                };
                let failure = PeerFailure::new(
                    crate::one_line(&error),
                    error.is_provider_rejection(),
                    window,
                );
                match fleet.publish_failure(&self.key, &lease, &failure).await {
                    Ok(_) => {}
                    Err(e) => self.fleet_failed(&e, OP_PUBLISH),
                }
                return Ok(Err(error));
            }
        };
        let cached = match self.install(token) {
            Ok(cached) => cached,
            Err(error) => return Ok(Err(error)),
        };
        let now = self.clock.now();
        // A token due for renewal already is published for a moment only:
        // that still releases the lease and wakes the waiters.
        let ttl = record_ttl(self.expiry.refresh_at(&cached.token), now)
            .unwrap_or(Duration::from_millis(1));
        match fleet.publish(&self.key, &lease, &cached.token, ttl).await {
            Ok(true) => tracing::debug!("token published to the fleet store"),
            Ok(false) => tracing::debug!("fleet lease lost during the fetch; token kept locally"),
            Err(e) => self.fleet_failed(&e, OP_PUBLISH),
        }
        self.save(&cached).await;
        Ok(Ok(cached))
    }

    /// The fetch with retries, extending `lease` every third of its
    /// length meanwhile, so retries inside the fetch never let a second
    /// instance in.
    async fn fetch_under_lease(
        &self,
        fleet: &dyn FleetStore,
        lease: &Lease,
    ) -> Result<OAuthToken, Error> {
        let fetch = self.fetch_with_retries();
        tokio::pin!(fetch);
        let period = (fleet.lease_duration() / 3).max(Duration::from_millis(10));
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                result = &mut fetch => return result,
                _ = ticks.tick() => match fleet.extend(&self.key, lease).await {
                    Ok(true) => {}
                    Ok(false) => tracing::debug!("fleet lease lost during the fetch"),
                    Err(e) => self.fleet_failed(&e, OP_EXTEND),
                },
            }
        }
    }

    /// The fleet store answered: ends an episode of trouble.
    fn fleet_answered(&self) {
        if self.fleet_degraded.swap(false, Ordering::Relaxed) {
            tracing::info!("fleet token store answers again; sharing tokens");
        }
    }

    /// The fleet store failed at `operation`: counted every time, warned
    /// once per episode, then debug.
    fn fleet_failed(&self, error: &StoreError, operation: &'static str) {
        self.meter.store_error(STORE_FLEET, operation);
        let source = std::error::Error::source(error).map(ToString::to_string);
        if self.fleet_degraded.swap(true, Ordering::Relaxed) {
            tracing::debug!(error = %error, source = ?source, "fleet token store still failing");
        } else {
            tracing::warn!(error = %error, source = ?source, "fleet token store failed; fetching tokens locally until it answers");
        }
    }

    /// Saves a new token to the [`TokenStore`], if any; a failure is logged.
    async fn save(&self, cached: &Cached) {
        if let Some(store) = &self.store {
            match store.save(&self.key, &cached.token).await {
                Ok(()) => tracing::debug!("token saved to store"),
                Err(e) => {
                    self.meter.store_error(STORE_TOKEN, OP_SAVE);
                    let source = std::error::Error::source(&e).map(ToString::to_string);
                    tracing::warn!(error = %e, source = ?source, "token store save failed");
                }
            }
        }
    }

    /// The first fetch looks in the store; any failure there is a miss.
    async fn load_stored(&self) -> Option<Arc<Cached>> {
        let store = self.store.as_ref()?;
        if self.store_consulted.swap(true, Ordering::SeqCst) {
            return None;
        }
        match store.load(&self.key).await {
            Ok(Some(token)) if !self.expiry.needs_refresh(&token, self.clock.now()) => {
                match self.install(token) {
                    Ok(cached) => {
                        tracing::debug!(expires_at = %cached.token.expires_at(), "token loaded from store");
                        Some(cached)
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "stored token is unusable; fetching");
                        None
                    }
                }
            }
            Ok(Some(_)) => {
                tracing::debug!("stored token needs renewal; fetching");
                None
            }
            Ok(None) => {
                tracing::debug!("no stored token; fetching");
                None
            }
            Err(e) => {
                self.meter.store_error(STORE_TOKEN, OP_LOAD);
                let source = std::error::Error::source(&e).map(ToString::to_string);
                tracing::warn!(error = %e, source = ?source, "token store load failed; fetching");
                None
            }
        }
    }

    /// Puts `token` in the cache, with its header and jittered refresh time.
    fn install(&self, token: OAuthToken) -> Result<Arc<Cached>, Error> {
        let header = self
            .client
            .clone()
            .with_token(token.clone())
            .bearer_header()?;
        let skew = self.expiry.effective_skew(&token);
        let jitter = scaled(skew, self.refresh_jitter * rand::random::<f64>());
        let planned = self.expiry.refresh_at(&token);
        let refresh_at = time::Duration::try_from(jitter)
            .ok()
            .and_then(|jitter| planned.checked_sub(jitter))
            .unwrap_or(planned)
            .unix_timestamp_nanos();
        let expires_at = token.expires_at().unix_timestamp_nanos();
        let hot_until = if self.system_clock {
            refresh_at.saturating_sub(COARSE_LAG_NANOS)
        } else {
            refresh_at
        };
        let cached = Arc::new(Cached {
            token: Arc::new(token),
            header,
            refresh_at,
            expires_at,
            hot_until,
            meter: self.meter.clone(),
            epoch: next_epoch(),
        });
        self.meter.installed(expires_at, self.now_nanos());
        self.publish(Some(Arc::clone(&cached)));
        Ok(cached)
    }

    /// Up to `max_attempts` requests within the deadline, recorded as one
    /// fetch.
    async fn fetch_with_retries(&self) -> Result<OAuthToken, Error> {
        let started = tokio::time::Instant::now();
        let result = self.attempts().await;
        self.meter.fetched(result.as_ref().err(), started.elapsed());
        result
    }

    /// [`Inner::fetch_with_retries`] without the recording.
    async fn attempts(&self) -> Result<OAuthToken, Error> {
        let started = tokio::time::Instant::now();
        let deadline = deadline_after(started, self.retry.deadline);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let sent = tokio::time::timeout_at(
                deadline,
                // A new assertion (jti, iat) for each attempt (C-68).
                request_token_signed(
                    &self.client,
                    &*self.transport,
                    &*self.clock,
                    self.signer.as_deref(),
                ),
            );
            let error = match sent.await {
                Ok(Ok(token)) => return Ok(token),
                Ok(Err(error)) => error,
                Err(_) => Error::Timeout(self.retry.deadline),
            };
            if !error.is_retryable() || attempt >= self.retry.max_attempts {
                return Err(gave_up(error, attempt, started));
            }
            let backoff = self.retry.backoff(attempt);
            let delay = match error.retry_after() {
                Some(retry_after) => {
                    let asked = retry_after.delay_from(self.clock.now());
                    if reaches(asked, deadline) {
                        tracing::warn!(retry_after = ?asked, "provider asked to wait past the deadline");
                        let error = match error {
                            Error::Core(source) => Error::RateLimited {
                                retry_after: asked,
                                source,
                            },
                            other => other,
                        };
                        return Err(gave_up(error, attempt, started));
                    }
                    asked.max(backoff)
                }
                None => backoff,
            };
            if reaches(delay, deadline) {
                return Err(gave_up(error, attempt, started));
            }
            tracing::info!(attempt, delay = ?delay, error = %error, "retrying token request");
            self.meter.retry();
            tokio::time::sleep(delay).await;
        }
    }
}

/// The error a fetch gives up with after `attempts` requests since
/// `started`: after more than one, [`Error::RetriesExhausted`] says how
/// many and over how long, the last error as its source; after one, that
/// error as it is ("after 1 attempt" adds nothing, and a caller matching
/// the error of a single request keeps matching it directly).
fn gave_up(error: Error, attempts: u32, started: tokio::time::Instant) -> Error {
    if attempts > 1 {
        Error::RetriesExhausted {
            attempts,
            elapsed: started.elapsed(),
            source: Box::new(error),
        }
    } else {
        error
    }
}

/// tokio's own "far future": 30 years. A longer deadline never fires.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// The instant `within` after `now`; `Duration::MAX` means "never" and must
/// not overflow `Instant + Duration`.
fn deadline_after(now: tokio::time::Instant, within: Duration) -> tokio::time::Instant {
    now.checked_add(within.min(FAR_FUTURE))
        .or_else(|| now.checked_add(Duration::from_secs(86_400)))
        .unwrap_or(now)
}

/// True when waiting `wait` from now ends at or past `deadline`.
fn reaches(wait: Duration, deadline: tokio::time::Instant) -> bool {
    tokio::time::Instant::now()
        .checked_add(wait)
        .is_none_or(|end| end >= deadline)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::{COARSE_LAG_NANOS, coarse_now_nanos, system_now_nanos};

    /// The hot path serves a copy until `refresh_at - COARSE_LAG_NANOS` on
    /// the coarse clock; that is before `refresh_at` on the precise clock
    /// only while the coarse clock is never ahead and never lags by the
    /// margin. Checked on the machine that runs the tests.
    #[test]
    fn the_coarse_clock_is_never_ahead_of_the_wall_clock_nor_behind_by_the_margin() {
        for _ in 0..100_000 {
            let coarse = coarse_now_nanos();
            let precise = system_now_nanos();
            let lag = precise - coarse;
            assert!(
                (0..COARSE_LAG_NANOS.max(1)).contains(&lag),
                "coarse {coarse} vs precise {precise}: lag {lag} ns"
            );
        }
    }
}
