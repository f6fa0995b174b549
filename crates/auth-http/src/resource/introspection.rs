//! [`IntrospectionValidator`]: opaque (or any) tokens, asked of the
//! authorization server's RFC 7662 introspection endpoint, answers cached.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use auth_core::jose::{IntrospectionClaims, Principal};
use auth_core::{ClientId, ClientSecret, Clock, SystemClock, form};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::sync::watch;

use super::validator::{InvalidTokenError, Validator};
use crate::Error;
use crate::transport::{BoxFuture, Transport};

/// The longest an active answer is cached (RFC 7662 §4: a longer cache
/// sees a revocation later). Never past the token's own `exp`.
pub const DEFAULT_MAX_CACHE_TTL: Duration = Duration::from_secs(30);

/// How long an inactive answer is cached: briefly, so a flood of one bad
/// token does not become a flood at the introspection endpoint.
pub const DEFAULT_INACTIVE_TTL: Duration = Duration::from_secs(5);

/// The most answers cached; when full, expired ones go first, then all.
const MAX_ENTRIES: usize = 10_000;

/// Validates tokens with the introspection endpoint (RFC 7662), as a
/// client of it (`client_secret_basic`, §2.1: the endpoint requires
/// authentication). Answers are cached under the SHA-256 of the token,
/// never the token: active ones until the earliest of the token's `exp`
/// and [`DEFAULT_MAX_CACHE_TTL`], inactive ones for
/// [`DEFAULT_INACTIVE_TTL`].
pub struct IntrospectionValidator {
    transport: Arc<dyn Transport>,
    url: String,
    authorization: String,
    audience: String,
    leeway: time::Duration,
    clock: Arc<dyn Clock>,
    max_ttl: Duration,
    inactive_ttl: Duration,
    cache: Mutex<HashMap<[u8; 32], Cached>>,
    /// The introspection call in flight per token hash: later callers wait
    /// for its answer instead of asking again.
    flights: Mutex<HashMap<[u8; 32], watch::Receiver<Option<Answer>>>>,
}

/// One introspection's outcome, shared with the callers that waited for it.
type Answer = Result<Option<Principal>, Arc<Error>>;

#[derive(Clone)]
struct Cached {
    principal: Option<Principal>,
    until: OffsetDateTime,
}

/// Builds an [`IntrospectionValidator`].
#[derive(Debug)]
pub struct IntrospectionValidatorBuilder {
    transport: Option<Arc<dyn Transport>>,
    url: String,
    authorization: String,
    audience: String,
    clock: Arc<dyn Clock>,
    max_ttl: Duration,
    inactive_ttl: Duration,
}

impl IntrospectionValidatorBuilder {
    /// The transport (default: a [`HyperTransport`](crate::HyperTransport)).
    #[must_use]
    pub fn transport(mut self, transport: impl Transport + 'static) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// The clock (default the system's).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The longest an active answer is cached (default
    /// [`DEFAULT_MAX_CACHE_TTL`]; zero: not cached).
    #[must_use]
    pub fn max_cache_ttl(mut self, ttl: Duration) -> Self {
        self.max_ttl = ttl;
        self
    }

    /// How long an inactive answer is cached (default
    /// [`DEFAULT_INACTIVE_TTL`]).
    #[must_use]
    pub fn inactive_ttl(mut self, ttl: Duration) -> Self {
        self.inactive_ttl = ttl;
        self
    }

    /// The validator.
    pub fn build(self) -> Result<IntrospectionValidator, Error> {
        let transport = match self.transport {
            Some(transport) => transport,
            None => Arc::new(crate::HyperTransport::new()?),
        };
        Ok(IntrospectionValidator {
            transport,
            url: self.url,
            authorization: self.authorization,
            audience: self.audience,
            leeway: auth_core::jose::DEFAULT_LEEWAY,
            clock: self.clock,
            max_ttl: self.max_ttl,
            inactive_ttl: self.inactive_ttl,
            cache: Mutex::default(),
            flights: Mutex::default(),
        })
    }
}

impl IntrospectionValidator {
    /// A builder for `url`, authenticating as `client_id` / `secret`;
    /// `audience` is this resource server's identifier, checked against
    /// the answer's `aud` when it has one.
    #[must_use]
    pub fn builder(
        url: impl Into<String>,
        client_id: &ClientId,
        secret: &ClientSecret,
        audience: impl Into<String>,
    ) -> IntrospectionValidatorBuilder {
        IntrospectionValidatorBuilder {
            transport: None,
            url: url.into(),
            authorization: auth_core::basic::encode(client_id, secret),
            audience: audience.into(),
            clock: Arc::new(SystemClock),
            max_ttl: DEFAULT_MAX_CACHE_TTL,
            inactive_ttl: DEFAULT_INACTIVE_TTL,
        }
    }

    /// How many answers are cached.
    #[must_use]
    pub fn cached_answers(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<[u8; 32], Cached>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn flights(&self) -> MutexGuard<'_, HashMap<[u8; 32], watch::Receiver<Option<Answer>>>> {
        self.flights.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached answer, if one is still good.
    fn cached(&self, key: &[u8; 32], now: OffsetDateTime) -> Option<Cached> {
        self.lock().get(key).filter(|c| now < c.until).cloned()
    }

    async fn check(&self, token: &str) -> Result<Principal, Error> {
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = self.clock.now();
        let principal = loop {
            if let Some(cached) = self.cached(&key, now) {
                break cached.principal;
            }
            let joined = {
                let mut flights = self.flights();
                // The leader caches its answer before it leaves `flights`:
                // looked at again under the lock, a finished call is seen.
                if let Some(cached) = self.cached(&key, now) {
                    break cached.principal;
                }
                if let Some(flight) = flights.get(&key) {
                    Err(flight.clone())
                } else {
                    let (sender, receiver) = watch::channel(None);
                    flights.insert(key, receiver);
                    Ok(sender)
                }
            };
            match joined {
                Ok(sender) => {
                    let flight = Flight {
                        validator: self,
                        key,
                        sender,
                    };
                    let answer = self.introspect_and_remember(token, key, now).await;
                    break flight.land(answer)?;
                }
                Err(mut receiver) => {
                    // The leader was dropped (its caller went away) with no
                    // answer: look again, and lead if nobody else does.
                    if let Ok(answer) = receiver.wait_for(Option::is_some).await
                        && let Some(answer) = answer.clone()
                    {
                        break answer.map_err(Error::Shared)?;
                    }
                }
            }
        };
        principal.ok_or_else(|| InvalidTokenError::Inactive.into())
    }

    async fn introspect_and_remember(
        &self,
        token: &str,
        key: [u8; 32],
        now: OffsetDateTime,
    ) -> Result<Option<Principal>, Error> {
        let answer = self.introspect(token).await?;
        let principal = Principal::from_introspection(&answer, &self.audience, now, self.leeway)
            .map_err(InvalidTokenError::Core)?;
        self.remember(key, principal.clone(), now);
        Ok(principal)
    }

    fn remember(&self, key: [u8; 32], principal: Option<Principal>, now: OffsetDateTime) {
        let until = match &principal {
            Some(p) if p.expires_at() > OffsetDateTime::UNIX_EPOCH => {
                (now + self.max_ttl).min(p.expires_at())
            }
            Some(_) => now + self.max_ttl,
            None => now + self.inactive_ttl,
        };
        if until <= now {
            return;
        }
        let mut cache = self.lock();
        if cache.len() >= MAX_ENTRIES {
            cache.retain(|_, c| now < c.until);
            if cache.len() >= MAX_ENTRIES {
                cache.clear();
            }
        }
        cache.insert(key, Cached { principal, until });
    }

    async fn introspect(&self, token: &str) -> Result<IntrospectionClaims, Error> {
        let mut body = form::FormBuilder::new();
        body.append("token", token)
            .append("token_type_hint", "access_token");
        let request = http::Request::post(&self.url)
            .header(http::header::AUTHORIZATION, &self.authorization)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(http::header::ACCEPT, "application/json")
            .body(body.finish().into_bytes())
            .map_err(|e| Error::Transport(e.into()))?;
        let response = self.transport.send(request).await?;
        if !response.status().is_success() {
            tracing::warn!(status = response.status().as_u16(), "introspection failed");
            return Err(auth_core::Error::Api(auth_core::ApiError::new(
                response.status(),
                response.body(),
                None,
            ))
            .into());
        }
        Ok(IntrospectionClaims::from_json(response.body())?)
    }
}

/// The call in flight for one token: ends its entry in
/// [`IntrospectionValidator::flights`] when it lands or is dropped.
struct Flight<'a> {
    validator: &'a IntrospectionValidator,
    key: [u8; 32],
    sender: watch::Sender<Option<Answer>>,
}

impl Flight<'_> {
    /// Takes this call out of `flights` (if it is still there: a later
    /// call for the same token may have taken the place).
    fn leave(&self) {
        let mut flights = self.validator.flights();
        if flights
            .get(&self.key)
            .is_some_and(|flight| flight.same_channel(&self.sender.subscribe()))
        {
            flights.remove(&self.key);
        }
    }

    /// Hands the answer to the callers that waited for it, and returns it
    /// (an error as [`Error::Shared`] when it was handed on too).
    fn land(self, answer: Result<Option<Principal>, Error>) -> Result<Option<Principal>, Error> {
        self.leave();
        if self.sender.receiver_count() == 0 {
            return answer;
        }
        let shared = answer.map_err(Arc::new);
        self.sender.send_replace(Some(shared.clone()));
        shared.map_err(Error::Shared)
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        self.leave();
    }
}

impl Validator for IntrospectionValidator {
    fn validate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Principal, Error>> {
        Box::pin(self.check(token))
    }
}

impl fmt::Debug for IntrospectionValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntrospectionValidator")
            .field("url", &self.url)
            .field("audience", &self.audience)
            .field("max_ttl", &self.max_ttl)
            .field("inactive_ttl", &self.inactive_ttl)
            .finish_non_exhaustive()
    }
}
