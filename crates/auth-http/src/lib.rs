//! Transports and the token lifecycle for OAuth 2.0 client credentials, on
//! top of the sans-IO [`auth_core`].
//!
//! - [`Transport`]: send an `http::Request<Vec<u8>>`, get a bounded
//!   response; [`HyperTransport`] (rustls, timeouts, 1 MiB cap, no
//!   redirects) or any closure via [`from_fn`]; with the `reqwest` feature,
//!   `ReqwestTransport` over an existing `reqwest::Client`.
//! - [`FetchToken`]: `client.fetch_token(&transport).await?` turns a
//!   `Client<Unauthorized>` into a `Client<Authorized>`; [`SendAuthorized`]
//!   sends with the bearer header.
//! - [`TokenManager`]: cache, refresh ahead, single-flight, retries, store;
//!   [`TokenCache`]: one manager per [`CacheKey`] (the request, a keyed
//!   fingerprint of the secret, the parse options), least recently used out.
//! - [`TokenManager::grant`] and [`TokenManager::operation_request`]: an
//!   [`auth_core::Operation`] sent only under a [`ManagedGrant`] for the
//!   scopes it requires; after a renewal the grant re-checks the new token
//!   once, and a lost scope is a typed error ([`Error::missing_scopes`]).
//! - [`AssertionSigner`], [`PrivateKeySigner`], [`SecretSigner`]: client
//!   assertions (`private_key_jwt`, `client_secret_jwt`, RFC 7523), a
//!   fresh `jti` for every attempt; see [`TokenManagerBuilder::signer`].
//! - [`discover`]: RFC 8414 metadata, issuer checked.
//! - [`revoke_token`], [`TokenManager::revoke`]: RFC 7009 revocation.
//! - [`BearerAuthLayer`]: the tower middleware. It sends tokens over https
//!   only; against a local mock on plain http, opt in with
//!   [`BearerAuthLayer::allow_insecure_loopback`]`(true)`.
//! - [`TokenStore`]: [`MemoryStore`], [`FileStore`] (one file, or one per
//!   request identity with [`FileStore::in_dir`]), keyed by the request's
//!   persistent identity ([`auth_core::RequestKey`]).
//! - [`FleetStore`]: a store shared by many processes, consulted on every
//!   renewal, so a fleet makes one token request per renewal; with the
//!   `redis` feature, `RedisStore` (lease with fencing, compare-and-set,
//!   pub/sub wake-up, optional AES-256-GCM at rest). Its trouble is never
//!   an outage: the manager then fetches on its own. See docs/fleet.md.
//! - `auth_http::metrics` (feature `metrics`): the token lifecycle through
//!   the `metrics` facade, for a manager given a `ManagerName`
//!   (`TokenManagerBuilder::metrics`): fetches by outcome, fetch latency, cache hits
//!   and misses, refresh-ahead renewals, retries, store errors, expiry.
//! - [`Error`]: one enum, auth-core's errors wrapped, with
//!   [`Error::is_retryable`]; [`Error::root`] is the error to match and
//!   [`one_line`] the whole chain to print (a fetch that retried says how
//!   many attempts it made, over how long).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use auth_core::{Client, ClientCredentials, Scope, TokenUrl};
//! use auth_http::{FileStore, HyperTransport, TokenManager};
//! let client = Client::new(
//!     TokenUrl::parse("https://as.example/token")?,
//!     ClientCredentials::new("my-service", std::env::var("CLIENT_SECRET")?).with_scopes([Scope::Read]),
//! );
//! let manager = TokenManager::builder(client, HyperTransport::new()?)
//!     .store(FileStore::new("token.json")) // a restarted service reuses its token
//!     .build();
//! let mut request = http::Request::get("https://api.example/things").body(Vec::<u8>::new())?;
//! manager.authorize(&mut request).await?; // Authorization: Bearer ...
//! # Ok(()) }
//! ```

mod assertion;
mod cache;
mod discovery;
mod error;
mod fetch;
mod grant;
mod hyper;
mod layer;
mod manager;
#[cfg(feature = "metrics")]
mod meter;
#[cfg(not(feature = "metrics"))]
#[path = "meter_off.rs"]
mod meter;
// Without the feature only the store and operation names are used (by the
// no-op meter's callers); the rest is not compiled into anything.
#[cfg(feature = "metrics")]
pub mod metrics;
#[cfg(not(feature = "metrics"))]
#[allow(
    dead_code,
    unreachable_pub,
    reason = "names only; public with the `metrics` feature"
)]
mod metrics;
#[cfg(feature = "reqwest")]
mod reqwest;
pub mod resource;
mod revoke;
mod store;
mod transport;

pub use assertion::{AssertionSigner, KeyError, PrivateKeySigner, SecretSigner};
pub use cache::{CacheKey, DEFAULT_CACHE_ENTRIES, TokenCache};
pub use discovery::discover;
pub use error::{BoxError, Error, InsecureUrlError, LoopbackOptIn, one_line};
pub use fetch::{FetchToken, SendAuthorized, request_token, request_token_signed};
pub use grant::ManagedGrant;
pub use hyper::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, HyperTransport, HyperTransportBuilder};
pub use layer::{BearerAuth, BearerAuthLayer, ResponseFuture};
pub use manager::{RetryPolicy, TokenManager, TokenManagerBuilder};
#[cfg(feature = "reqwest")]
pub use reqwest::ReqwestTransport;
pub use revoke::revoke_token;
pub use store::{
    Accept, FileStore, FleetStore, Lease, MemoryStore, PeerFailure, StoreError, TokenStore, Turn,
};
#[cfg(feature = "redis")]
pub use store::{DEFAULT_PREFIX, EncryptionKeys, RedisStore, RedisStoreBuilder};
pub use transport::{BoxFuture, DEFAULT_BODY_LIMIT, FnTransport, Transport, from_fn};
