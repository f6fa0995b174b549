//! [`TokenCache`]: one [`TokenManager`] per distinct token request, keyed
//! by [`TokenRequest::key`](auth_core::TokenRequest::key) (token URL,
//! client id, auth method, sorted scopes, resources, audience, extra
//! parameters; never the secret). Two clients asking for the same token
//! share one cache entry and one single-flight; a different scope set is a
//! different token (checklist C-56).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use auth_core::{Client, Clock, OAuthToken, RequestKey, Unauthorized};

use crate::error::Error;
use crate::manager::{RetryPolicy, TokenManager};
use crate::store::TokenStore;
use crate::transport::Transport;

/// Token managers keyed by the whole request, sharing a transport, clock,
/// store and retry policy.
///
/// Looking a manager up builds the key and takes a short lock; on a hot
/// path, keep the [`TokenManager`] that [`TokenCache::manager`] returns.
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
    transport: Arc<dyn Transport>,
    clock: Option<Arc<dyn Clock>>,
    store: Option<Arc<dyn TokenStore>>,
    retry: RetryPolicy,
    managers: Mutex<HashMap<RequestKey, TokenManager>>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("entries", &self.len())
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    /// An empty cache sending through `transport`, with the system clock,
    /// no store and the default retry policy.
    #[must_use]
    pub fn new(transport: impl Transport + 'static) -> Self {
        Self::from_parts(Arc::new(transport), None, None, RetryPolicy::default())
    }

    fn from_parts(
        transport: Arc<dyn Transport>,
        clock: Option<Arc<dyn Clock>>,
        store: Option<Arc<dyn TokenStore>>,
        retry: RetryPolicy,
    ) -> Self {
        let managers = Mutex::new(HashMap::new());
        Self {
            inner: Arc::new(Shared {
                transport,
                clock,
                store,
                retry,
                managers,
            }),
        }
    }

    /// Reads time from `clock` (for managers created from now on).
    #[must_use]
    pub fn with_clock(self, clock: impl Clock + 'static) -> Self {
        let s = &self.inner;
        Self::from_parts(
            Arc::clone(&s.transport),
            Some(Arc::new(clock)),
            s.store.clone(),
            s.retry,
        )
    }

    /// Loads from and saves to `store` (keyed: use a keyed store such as
    /// [`MemoryStore`](crate::MemoryStore); a [`FileStore`](crate::FileStore)
    /// holds a single token).
    #[must_use]
    pub fn with_store(self, store: impl TokenStore + 'static) -> Self {
        let s = &self.inner;
        Self::from_parts(
            Arc::clone(&s.transport),
            s.clock.clone(),
            Some(Arc::new(store)),
            s.retry,
        )
    }

    /// Sets the retry policy.
    #[must_use]
    pub fn with_retry(self, retry: RetryPolicy) -> Self {
        let s = &self.inner;
        Self::from_parts(
            Arc::clone(&s.transport),
            s.clock.clone(),
            s.store.clone(),
            retry,
        )
    }

    /// The manager for `client`'s request, created on first use.
    #[must_use]
    pub fn manager(&self, client: &Client<Unauthorized>) -> TokenManager {
        let key = client.request().key();
        let mut managers = self
            .inner
            .managers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        managers
            .entry(key)
            .or_insert_with(|| {
                let mut builder =
                    TokenManager::builder(client.clone(), Arc::clone(&self.inner.transport))
                        .retry(self.inner.retry);
                if let Some(clock) = &self.inner.clock {
                    builder = builder.shared_clock(Arc::clone(clock));
                }
                if let Some(store) = &self.inner.store {
                    builder = builder.shared_store(Arc::clone(store));
                }
                builder.build()
            })
            .clone()
    }

    /// A valid token for `client`'s request (see [`TokenManager::token`]).
    pub async fn token(&self, client: &Client<Unauthorized>) -> Result<Arc<OAuthToken>, Error> {
        self.manager(client).token().await
    }

    /// How many distinct requests the cache holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.inner
            .managers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// True when no request has been seen.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
