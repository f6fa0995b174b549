//! [`TokenCache`]: one [`TokenManager`] per client identity, bounded
//! (least recently used entries go first), and [`CacheKey`], that
//! identity.
//!
//! Two identities name a token, and this module uses the stricter one:
//!
//! - the **persistent identity**, [`RequestKey`] (token URL, client id,
//!   auth method, sorted scopes, resources, audience, extra parameters;
//!   never the secret), names a token in a [`TokenStore`] that outlives
//!   the process; one client id has one secret at a time there;
//! - the **in-process identity**, [`CacheKey`], is that plus a keyed
//!   fingerprint of the secret and the parse options. A caller with the
//!   right client id and a wrong secret is another entry: it never sees
//!   the token another entry fetched with the right one, and a rotated
//!   secret takes effect on the next lookup (a new entry, a new fetch).
//!
//! Two clients asking for the same token with the same secret share one
//! cache entry and one single-flight; a different scope set is a
//! different token (checklist C-56). Values that change on every attempt
//! (a client assertion, its `jti`) must never be part of either identity:
//! every call would then miss.

use std::collections::HashMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use auth_core::response::ParseOptions;
use auth_core::{Client, Clock, OAuthToken, RequestKey, Unauthorized};
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

use crate::error::Error;
use crate::manager::{RetryPolicy, TokenManager};
use crate::store::{FleetStore, TokenStore};
use crate::transport::Transport;

/// The in-process identity of a client: its [`RequestKey`], an HMAC-SHA256
/// of its secret under a key drawn at random once per process, and its
/// parse options (expiry policy, strict mode), which change what a fetched
/// token looks like.
///
/// The fingerprint is not the secret and cannot be turned back into it
/// without the process's key, which never leaves the process; it is not
/// stable across restarts, which is why stores use the [`RequestKey`]
/// instead. `Debug` shows the fingerprint as `[REDACTED]`.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use auth_core::{Client, ClientCredentials, TokenUrl};
/// use auth_http::CacheKey;
/// let url = TokenUrl::parse("https://as.example/token")?;
/// let right = CacheKey::new(&Client::new(url.clone(), ClientCredentials::new("svc", "right")));
/// let wrong = CacheKey::new(&Client::new(url, ClientCredentials::new("svc", "wrong")));
/// assert_ne!(right, wrong);                      // different entries
/// assert_eq!(right.request(), wrong.request());  // the same stored token
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct CacheKey {
    request: RequestKey,
    secret: [u8; 32],
    options: ParseOptions,
}

impl CacheKey {
    /// The identity of `client`.
    #[must_use]
    pub fn new(client: &Client<Unauthorized>) -> Self {
        Self {
            request: client.request().key(),
            secret: fingerprint(client.credentials().secret().expose_secret()),
            options: *client.options(),
        }
    }

    /// The persistent part: what a store keeps the token under.
    #[must_use]
    pub fn request(&self) -> &RequestKey {
        &self.request
    }
}

/// HMAC-SHA256 of `secret` under this process's random key.
fn fingerprint(secret: &str) -> [u8; 32] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    let key = KEY.get_or_init(rand::random);
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts a key of any length");
    mac.update(secret.as_bytes());
    mac.finalize().into_bytes().into()
}

impl PartialEq for CacheKey {
    fn eq(&self, other: &Self) -> bool {
        self.request == other.request
            && self.secret == other.secret
            && self.options == other.options
    }
}

impl Eq for CacheKey {}

/// Hashes the request and the fingerprint; the options only break ties
/// (equal keys still hash equal).
impl Hash for CacheKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.request.hash(state);
        self.secret.hash(state);
    }
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheKey")
            .field("request", &self.request)
            .field("secret", &format_args!("[REDACTED]"))
            .field("options", &self.options)
            .finish()
    }
}

/// How many clients a [`TokenCache`] holds unless told otherwise.
pub const DEFAULT_CACHE_ENTRIES: usize = 1024;

/// Token managers keyed by [`CacheKey`] (the whole request, a fingerprint
/// of the secret, the parse options), sharing a transport, clock, store
/// and retry policy.
///
/// Bounded: past [`TokenCache::max_entries`] (default
/// [`DEFAULT_CACHE_ENTRIES`]), the least recently used entry is dropped.
/// A caller still holding that [`TokenManager`] keeps a working manager
/// (managers are reference-counted); the cache just forgets it, and the
/// next lookup for that client builds a new one.
///
/// Looking a manager up builds the key (an HMAC of the secret) and takes a
/// short lock; on a hot path, keep the [`TokenManager`] that
/// [`TokenCache::manager`] returns.
///
/// ```
/// # async fn demo() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// use auth_core::{Client, ClientCredentials, Scope, TokenUrl};
/// use auth_http::{HyperTransport, TokenCache};
/// let cache = TokenCache::new(HyperTransport::new()?);
/// let url = TokenUrl::parse("https://as.example/token")?;
/// let reader = Client::new(url.clone(), ClientCredentials::new("svc", "s").with_scopes([Scope::Read]));
/// let writer = Client::new(url, ClientCredentials::new("svc", "s").with_scopes([Scope::Write, Scope::Read]));
/// let read_token = cache.token(&reader).await?;   // one token per scope set
/// let write_token = cache.token(&writer).await?;
/// # let _ = (read_token, write_token);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TokenCache {
    inner: Arc<Shared>,
}

struct Shared {
    parts: Parts,
    managers: Mutex<Entries>,
}

/// The entries and their last use, for least-recently-used eviction.
#[derive(Default)]
struct Entries {
    map: HashMap<CacheKey, Entry>,
    clock: u64,
}

struct Entry {
    manager: TokenManager,
    last_used: u64,
}

/// What a [`TokenCache`] is configured with.
#[derive(Clone)]
struct Parts {
    transport: Arc<dyn Transport>,
    clock: Option<Arc<dyn Clock>>,
    store: Option<Arc<dyn TokenStore>>,
    fleet: Option<Arc<dyn FleetStore>>,
    retry: RetryPolicy,
    /// `(first, max)` for [`TokenManagerBuilder::failure_window`](crate::TokenManagerBuilder::failure_window);
    /// `None` keeps the manager's default.
    failure_window: Option<(Duration, Duration)>,
    max_entries: usize,
    /// The `manager` label of every manager's metrics.
    #[cfg(feature = "metrics")]
    metrics: Option<crate::metrics::ManagerName>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("entries", &self.len())
            .field("max_entries", &self.inner.parts.max_entries)
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    /// An empty cache sending through `transport`, with the system clock,
    /// no store and the default retry policy.
    #[must_use]
    pub fn new(transport: impl Transport + 'static) -> Self {
        Self::from_parts(Parts {
            transport: Arc::new(transport),
            clock: None,
            store: None,
            fleet: None,
            retry: RetryPolicy::default(),
            failure_window: None,
            max_entries: DEFAULT_CACHE_ENTRIES,
            #[cfg(feature = "metrics")]
            metrics: None,
        })
    }

    fn from_parts(parts: Parts) -> Self {
        Self {
            inner: Arc::new(Shared {
                parts,
                managers: Mutex::default(),
            }),
        }
    }

    /// This cache's configuration, without its entries.
    fn parts(&self) -> Parts {
        self.inner.parts.clone()
    }

    /// Reads time from `clock` (for managers created from now on).
    #[must_use]
    pub fn with_clock(self, clock: impl Clock + 'static) -> Self {
        Self::from_parts(Parts {
            clock: Some(Arc::new(clock)),
            ..self.parts()
        })
    }

    /// Loads from and saves to `store`, under each client's persistent
    /// identity ([`CacheKey::request`]): use a keyed store such as
    /// [`MemoryStore`](crate::MemoryStore) or
    /// [`FileStore::in_dir`](crate::FileStore::in_dir).
    #[must_use]
    pub fn with_store(self, store: impl TokenStore + 'static) -> Self {
        Self::from_parts(Parts {
            store: Some(Arc::new(store)),
            ..self.parts()
        })
    }

    /// Shares each client's tokens and fetches with every other instance
    /// through `store` (see [`TokenManagerBuilder::fleet_store`](crate::TokenManagerBuilder::fleet_store)),
    /// under each client's persistent identity.
    #[must_use]
    pub fn with_fleet_store(self, store: impl FleetStore + 'static) -> Self {
        Self::from_parts(Parts {
            fleet: Some(Arc::new(store)),
            ..self.parts()
        })
    }

    /// Sets the retry policy.
    #[must_use]
    pub fn with_retry(self, retry: RetryPolicy) -> Self {
        Self::from_parts(Parts {
            retry,
            ..self.parts()
        })
    }

    /// How long each manager hands a failed fetch out again before it asks
    /// the provider again (see [`TokenManagerBuilder::failure_window`](crate::TokenManagerBuilder::failure_window)).
    #[must_use]
    pub fn with_failure_window(self, first: Duration, max: Duration) -> Self {
        Self::from_parts(Parts {
            failure_window: Some((first, max)),
            ..self.parts()
        })
    }

    /// Records the metrics of every manager it creates from now on under
    /// one `manager="<name>"` label (feature `metrics`; see
    /// [`TokenManagerBuilder::metrics`](crate::TokenManagerBuilder::metrics)):
    /// counters and histograms add up over the clients, and the expiry
    /// gauges show the token renewed last. A client whose secret the name
    /// contains gets a manager without metrics (and a warning), never a
    /// label that shows its secret.
    #[cfg(feature = "metrics")]
    #[must_use]
    pub fn with_metrics(self, name: crate::metrics::ManagerName) -> Self {
        Self::from_parts(Parts {
            metrics: Some(name),
            ..self.parts()
        })
    }

    /// Holds at most `max` clients (at least 1), dropping the least
    /// recently used one past that.
    #[must_use]
    pub fn with_max_entries(self, max: usize) -> Self {
        Self::from_parts(Parts {
            max_entries: max.max(1),
            ..self.parts()
        })
    }

    /// The most clients the cache holds.
    #[must_use]
    pub fn max_entries(&self) -> usize {
        self.inner.parts.max_entries
    }

    /// The manager for `client` ([`CacheKey`]: request, secret, parse
    /// options), created on first use.
    #[must_use]
    pub fn manager(&self, client: &Client<Unauthorized>) -> TokenManager {
        let key = CacheKey::new(client);
        let mut entries = self.lock();
        entries.clock += 1;
        let now = entries.clock;
        if let Some(entry) = entries.map.get_mut(&key) {
            entry.last_used = now;
            return entry.manager.clone();
        }
        if entries.map.len() >= self.inner.parts.max_entries {
            // O(entries), on a miss in a full cache only; hits stay O(1).
            let oldest = entries
                .map
                .iter()
                .min_by_key(|(_, entry)| entry.last_used)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                entries.map.remove(&oldest);
                tracing::debug!("token cache full: dropped the least recently used client");
            }
        }
        let manager = self.build_manager(client);
        entries.map.insert(
            key,
            Entry {
                manager: manager.clone(),
                last_used: now,
            },
        );
        manager
    }

    fn build_manager(&self, client: &Client<Unauthorized>) -> TokenManager {
        let mut builder =
            TokenManager::builder(client.clone(), Arc::clone(&self.inner.parts.transport))
                .retry(self.inner.parts.retry);
        if let Some(clock) = &self.inner.parts.clock {
            builder = builder.shared_clock(Arc::clone(clock));
        }
        if let Some(store) = &self.inner.parts.store {
            builder = builder.shared_store(Arc::clone(store));
        }
        if let Some(fleet) = &self.inner.parts.fleet {
            builder = builder.shared_fleet_store(Arc::clone(fleet));
        }
        if let Some((first, max)) = self.inner.parts.failure_window {
            builder = builder.failure_window(first, max);
        }
        #[cfg(feature = "metrics")]
        if let Some(name) = &self.inner.parts.metrics {
            builder = match builder.metrics(name.clone()) {
                Ok(builder) => builder,
                Err(e) => {
                    tracing::warn!(error = %e, "token cache: this client's manager records no metrics");
                    return self.build_manager_without_metrics(client);
                }
            };
        }
        builder.build()
    }

    /// A manager for `client` with this cache's configuration, no metrics.
    #[cfg(feature = "metrics")]
    fn build_manager_without_metrics(&self, client: &Client<Unauthorized>) -> TokenManager {
        let cache = Self::from_parts(Parts {
            metrics: None,
            ..self.parts()
        });
        cache.build_manager(client)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // Every critical section leaves the map whole (one get, remove or
        // insert), so a panic elsewhere cannot leave it torn.
        self.inner
            .managers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A valid token for `client`'s request (see [`TokenManager::token`]).
    pub async fn token(&self, client: &Client<Unauthorized>) -> Result<Arc<OAuthToken>, Error> {
        self.manager(client).token().await
    }

    /// How many clients the cache holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// True when no request has been seen.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
