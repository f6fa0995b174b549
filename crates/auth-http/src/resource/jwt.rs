//! [`JwtValidator`]: RFC 9068 JWT access tokens, verified with the
//! issuer's JWKS (keys cached; re-fetched on an unknown `kid`, at most once
//! per [`DEFAULT_REFETCH_INTERVAL`]) and checked by auth-core's
//! [`Validation`].
//!
//! Signatures are verified with `ring`: already in every build through
//! rustls, the fastest RSA verification in the tree, and a small,
//! audited API whose algorithm is chosen by us, never by the token (RFC
//! 8725 §3.1).

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use auth_core::jose::{
    AccessTokenClaims, Algorithm, CompactJws, Jwk, JwkError, JwkSet, Principal, SignatureError,
    Validation, verify_signature,
};
use auth_core::{Clock, Issuer, SystemClock};
use time::OffsetDateTime;

use super::validator::{InvalidTokenError, Validator};
use crate::Error;
use crate::transport::{BoxFuture, Transport};

/// The least time between two JWKS fetches caused by unknown `kid`s: a
/// token with a made-up `kid` costs the issuer at most one request per
/// interval. (jwks-rsa's default is 10 a minute; Microsoft.IdentityModel's
/// 5 minutes: an issuer publishes a new key before signing with it.)
pub const DEFAULT_REFETCH_INTERVAL: Duration = Duration::from_secs(30);

/// The JWS algorithms accepted by default: the asymmetric ones. `HS256` is
/// never an access token's algorithm (the key would be shared), and `none`
/// cannot even be parsed.
const DEFAULT_ALGORITHMS: [Algorithm; 3] = Algorithm::ASYMMETRIC;

/// Validates RFC 9068 JWT access tokens: `typ`, an allowed `alg`, the
/// signature with the issuer's key named by `kid`, then `iss`, `aud`,
/// `exp`, `nbf` (auth-core's [`Validation`], the one source of those
/// rules).
///
/// ```no_run
/// # async fn demo() -> Result<(), auth_http::Error> {
/// use auth_http::resource::JwtValidator;
/// let validator = JwtValidator::discover("https://as.example", "https://api.example").await?;
/// # let _ = validator; Ok(()) }
/// ```
pub struct JwtValidator {
    transport: Arc<dyn Transport>,
    jwks_url: String,
    validation: Validation,
    algorithms: Vec<Algorithm>,
    clock: Arc<dyn Clock>,
    refetch_interval: Duration,
    keys: RwLock<Keys>,
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Keys {
    set: Arc<JwkSet>,
    fetched_at: Option<OffsetDateTime>,
}

/// Builds a [`JwtValidator`].
#[derive(Debug)]
pub struct JwtValidatorBuilder {
    transport: Option<Arc<dyn Transport>>,
    jwks_url: String,
    validation: Validation,
    algorithms: Vec<Algorithm>,
    clock: Arc<dyn Clock>,
    refetch_interval: Duration,
}

impl JwtValidatorBuilder {
    /// The transport the keys are fetched with (default: a
    /// [`HyperTransport`](crate::HyperTransport)).
    #[must_use]
    pub fn transport(mut self, transport: impl Transport + 'static) -> Self {
        self.transport = Some(Arc::new(transport));
        self
    }

    /// The leeway on `exp` and `nbf` (default 60 s, S-67).
    #[must_use]
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.validation = self
            .validation
            .with_leeway(time::Duration::try_from(leeway).unwrap_or(time::Duration::MAX));
        self
    }

    /// The algorithms accepted (default `RS256`, `ES256`, `EdDSA`). `HS256`
    /// is dropped: a JWKS publishes no symmetric key.
    #[must_use]
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms
            .into_iter()
            .filter(|alg| alg.is_asymmetric())
            .collect();
        self
    }

    /// The clock `exp` and `nbf` are checked against (default the system's).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The least time between two fetches caused by an unknown `kid`
    /// (default [`DEFAULT_REFETCH_INTERVAL`]).
    #[must_use]
    pub fn refetch_interval(mut self, interval: Duration) -> Self {
        self.refetch_interval = interval;
        self
    }

    /// The validator. Keys are fetched on the first token.
    pub fn build(self) -> Result<JwtValidator, Error> {
        let transport = match self.transport {
            Some(transport) => transport,
            None => Arc::new(crate::HyperTransport::new()?),
        };
        Ok(JwtValidator {
            transport,
            jwks_url: self.jwks_url,
            validation: self.validation,
            algorithms: self.algorithms,
            clock: self.clock,
            refetch_interval: self.refetch_interval,
            keys: RwLock::default(),
            fetching: tokio::sync::Mutex::new(()),
        })
    }
}

impl JwtValidator {
    /// A builder for tokens of `issuer` (matched byte for byte) for
    /// `audience` (this resource server's identifier), with keys from
    /// `jwks_url`.
    #[must_use]
    pub fn builder(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        jwks_url: impl Into<String>,
    ) -> JwtValidatorBuilder {
        JwtValidatorBuilder {
            transport: None,
            jwks_url: jwks_url.into(),
            validation: Validation::new(issuer, audience),
            algorithms: DEFAULT_ALGORITHMS.to_vec(),
            clock: Arc::new(SystemClock),
            refetch_interval: DEFAULT_REFETCH_INTERVAL,
        }
    }

    /// A validator for `issuer`'s tokens for `audience`, its `jwks_uri`
    /// found through the issuer's RFC 8414 metadata, with the defaults.
    pub async fn discover(issuer: &str, audience: &str) -> Result<Self, Error> {
        let transport = crate::HyperTransport::new()?;
        let jwks_url = discover_jwks_url(&transport, issuer).await?;
        Self::builder(issuer, audience, jwks_url)
            .transport(transport)
            .build()
    }

    /// The JWKS URL.
    #[must_use]
    pub fn jwks_url(&self) -> &str {
        &self.jwks_url
    }

    async fn check(&self, token: &str) -> Result<Principal, Error> {
        let jws = CompactJws::parse(token).map_err(invalid)?;
        let header = jws.header();
        if !self.algorithms.contains(&header.alg) {
            return Err(InvalidTokenError::AlgorithmNotAllowed(header.alg).into());
        }
        let kid = header.kid.as_deref().ok_or(InvalidTokenError::NoKeyId)?;
        let set = self.key_set_with(kid).await?;
        verify_any(&set, kid, header.alg, jws.signing_input(), jws.signature())?;
        let claims = AccessTokenClaims::from_json(jws.payload()).map_err(invalid)?;
        self.validation
            .principal(header, &claims, self.clock.now())
            .map_err(|e| InvalidTokenError::Core(e).into())
    }

    /// The cached keys, re-fetched first when they lack `kid` and the last
    /// fetch is older than the refetch interval (or there was none).
    async fn key_set_with(&self, kid: &str) -> Result<Arc<JwkSet>, Error> {
        let cached = self.cached();
        if cached.find(kid).is_some() {
            return Ok(cached);
        }
        // One fetch at a time: the others wait and find its keys.
        let _fetching = self.fetching.lock().await;
        let (set, fetched_at) = {
            let keys = self
                .keys
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            (Arc::clone(&keys.set), keys.fetched_at)
        };
        if set.find(kid).is_some() {
            return Ok(set);
        }
        let now = self.clock.now();
        if fetched_at.is_some_and(|at| now < at + self.refetch_interval) {
            tracing::debug!("unknown jwt key id; jwks refetch is rate limited");
            return Ok(set);
        }
        let fetched = self.fetch().await;
        let mut keys = self
            .keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A failed fetch counts too: a dead issuer is not hammered.
        keys.fetched_at = Some(now);
        keys.set = Arc::new(fetched?);
        Ok(Arc::clone(&keys.set))
    }

    fn cached(&self) -> Arc<JwkSet> {
        let keys = self
            .keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(&keys.set)
    }

    async fn fetch(&self) -> Result<JwkSet, Error> {
        let request = http::Request::get(&self.jwks_url)
            .header(http::header::ACCEPT, "application/json")
            .body(Vec::new())
            .map_err(|e| Error::Transport(e.into()))?;
        let response = self.transport.send(request).await?;
        if !response.status().is_success() {
            tracing::warn!(status = response.status().as_u16(), "jwks fetch failed");
            return Err(auth_core::Error::Api(auth_core::ApiError::new(
                response.status(),
                response.body(),
                None,
            ))
            .into());
        }
        let set = lenient_key_set(response.body())?;
        tracing::debug!(keys = set.keys.len(), "jwks fetched");
        Ok(set)
    }
}

impl Validator for JwtValidator {
    fn validate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Principal, Error>> {
        Box::pin(self.check(token))
    }
}

impl fmt::Debug for JwtValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtValidator")
            .field("jwks_url", &self.jwks_url)
            .field("validation", &self.validation)
            .field("algorithms", &self.algorithms)
            .field("refetch_interval", &self.refetch_interval)
            .finish_non_exhaustive()
    }
}

fn invalid(e: impl Into<auth_core::Error>) -> Error {
    InvalidTokenError::Core(e.into()).into()
}

/// Verifies with the keys named `kid`: RFC 7517 §4.5 says a set SHOULD
/// NOT name two keys alike, and when one does, each is tried, as Envoy's
/// `jwt_authn` and go-oidc do. Every key tried is one the issuer
/// publishes, so accepting a signature by any of them trusts no one new.
fn verify_any(
    set: &JwkSet,
    kid: &str,
    alg: Algorithm,
    input: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    let mut outcome = Err(InvalidTokenError::UnknownKey.into());
    for jwk in set.keys.iter().filter(|k| k.kid.as_deref() == Some(kid)) {
        outcome = verify(jwk, alg, input, signature);
        if outcome.is_ok() {
            break;
        }
    }
    outcome
}

/// Verifies `signature` over `input` with `jwk`, for `alg` only: the key's
/// type must be `alg`'s, and its own `alg`, if set, must be `alg`.
fn verify(jwk: &Jwk, alg: Algorithm, input: &[u8], signature: &[u8]) -> Result<(), Error> {
    if jwk.alg.as_deref().is_some_and(|own| own != alg.as_str()) {
        return Err(InvalidTokenError::KeyMismatch(alg).into());
    }
    verify_signature(&jwk.key, alg, input, signature).map_err(|e| match e {
        SignatureError::KeyMismatch => InvalidTokenError::KeyMismatch(alg).into(),
        _ => InvalidTokenError::BadSignature.into(),
    })
}

/// A JWK Set with the keys this validator cannot use left out: RFC 7517
/// §5, "implementations SHOULD ignore JWKs within a JWK Set that use "kty"
/// values that are not understood by them, that are missing required
/// members, or for which values are out of the supported ranges". One bad
/// key does not take the issuer's other keys down with it. A document
/// that is not a set at all is an error.
fn lenient_key_set(body: &[u8]) -> Result<JwkSet, Error> {
    let document: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| auth_core::Error::from(JwkError::Json(e)))?;
    let Some(serde_json::Value::Array(members)) = document.get("keys") else {
        return Err(auth_core::Error::from(JwkError::MissingKeys).into());
    };
    let keys: Vec<Jwk> = members
        .iter()
        .filter_map(serde_json::Value::as_object)
        .filter_map(|object| Jwk::from_object(object).ok())
        .collect();
    if keys.len() < members.len() {
        tracing::debug!(
            skipped = members.len() - keys.len(),
            "jwks members this validator cannot use were left out"
        );
    }
    Ok(JwkSet { keys })
}

/// The `jwks_uri` of `issuer`'s RFC 8414 metadata.
async fn discover_jwks_url<T: Transport + ?Sized>(
    transport: &T,
    issuer: &str,
) -> Result<String, Error> {
    let issuer = Issuer::parse(issuer).map_err(auth_core::Error::from)?;
    let metadata = crate::discover(transport, &issuer).await?;
    metadata
        .document()
        .extra
        .get("jwks_uri")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            auth_core::Error::Metadata(auth_core::MetadataError::InvalidEndpoint {
                member: "jwks_uri",
                source: auth_core::RequestError::InvalidUrl,
            })
            .into()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth_core::jose::PublicKey;

    const GOOD: &str = r#"{"kty":"OKP","crv":"Ed25519","kid":"good","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;

    #[test]
    fn a_jwks_member_that_cannot_be_used_is_left_out_not_fatal_rfc7517_5() {
        let body = format!(
            r#"{{"keys":[{{"kty":"RSA","kid":"bad","n":"%%not base64url%%","e":"AQAB"}},{GOOD},{{"kty":"oct","k":"c2VjcmV0"}},7]}}"#
        );
        let set = lenient_key_set(body.as_bytes()).unwrap_or_default();
        assert_eq!(set.keys.len(), 1);
        assert!(set.find("good").is_some());
        assert!(lenient_key_set(br#"{"nokeys":[]}"#).is_err());
        assert!(lenient_key_set(b"[").is_err());
    }

    #[test]
    fn every_key_under_a_duplicated_kid_is_tried() {
        let good = Jwk::from_json(GOOD.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let mut impostor = good.clone();
        impostor.key = PublicKey::Ed25519 { x: vec![7; 32] };
        // RFC 8032 §7.1 test 1: the empty message under this key.
        let signature = base64_decode(
            "5VZDAMNgrHKQhuLMgG6CioSHfx645dl02HPgZSJJAVVfuIIVkKM7rMYeOXAc-bRr0lv18FlbviRlUUFDjnoQCw",
        );
        let alone = JwkSet {
            keys: vec![impostor.clone()],
        };
        let both = JwkSet {
            keys: vec![impostor, good],
        };
        assert!(verify_any(&alone, "good", Algorithm::EdDsa, b"", &signature).is_err());
        assert!(verify_any(&both, "good", Algorithm::EdDsa, b"", &signature).is_ok());
        assert!(matches!(
            verify_any(&both, "other", Algorithm::EdDsa, b"", &signature),
            Err(Error::InvalidToken(InvalidTokenError::UnknownKey))
        ));
    }

    fn base64_decode(text: &str) -> Vec<u8> {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .unwrap_or_default()
    }
}
