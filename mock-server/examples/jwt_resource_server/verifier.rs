//! A resource server's JWT access-token check, as Spring Security, ASP.NET
//! `JwtBearer` or `jose` do it, on `jsonwebtoken` (a JOSE crate the mock
//! does not sign with): from the issuer URL, the RFC 8414 metadata, then
//! the RFC 7517 JWKS at its `jwks_uri` (cached, fetched again when a token
//! names a `kid` the cache lacks), then RFC 9068 §4 on each token: `typ`
//! `at+jwt`, a signature by the issuer's key for that `kid` with the key's
//! own algorithm, `iss`, `aud`, `exp` and `nbf`, and the claims §2.2
//! requires.
//!
//! The example and `tests/jwt_faults.rs` share this file.
#![allow(dead_code, reason = "the example and the tests each use a part")]

use std::fmt;
use std::str::FromStr as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_http::{HyperTransport, Transport as _};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use tokio::sync::{Mutex, RwLock};

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// RFC 9068 §2.2: what every JWT access token carries.
const REQUIRED_CLAIMS: [&str; 7] = ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"];

/// Why a token was refused (the resource server answers 401
/// `invalid_token` for each).
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Not a JWS in compact form, or its header is not JSON.
    Malformed(jsonwebtoken::errors::Error),
    /// RFC 9068 §4: the header's `typ` is not `at+jwt`.
    Typ(Option<String>),
    /// No `kid` in the header.
    NoKid,
    /// The JWKS, fetched again, has no usable key for this `kid`.
    UnknownKid(String),
    /// The JWKS has more than one key for this `kid`: which one is meant
    /// is not known, so none is trusted.
    AmbiguousKid(String),
    /// The key names no algorithm, or the token's `alg` is not the key's.
    Algorithm(String),
    /// Signature, `iss`, `aud`, `exp` or `nbf` (jsonwebtoken's checks).
    Invalid(jsonwebtoken::errors::Error),
    /// An RFC 9068 §2.2 claim is missing.
    MissingClaim(&'static str),
    /// The JWKS could not be fetched.
    Jwks(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => write!(f, "not a JWT: {e}"),
            Self::Typ(typ) => write!(f, "typ is {typ:?}, not at+jwt"),
            Self::NoKid => f.write_str("no kid in the header"),
            Self::UnknownKid(kid) => write!(f, "no usable key for kid {kid:?} in the JWKS"),
            Self::AmbiguousKid(kid) => write!(f, "more than one key for kid {kid:?} in the JWKS"),
            Self::Algorithm(why) => write!(f, "algorithm: {why}"),
            Self::Invalid(e) => write!(f, "invalid token: {e}"),
            Self::MissingClaim(claim) => write!(f, "no {claim} claim"),
            Self::Jwks(why) => write!(f, "jwks: {why}"),
        }
    }
}

/// Checks the access tokens of one issuer for one audience.
#[derive(Debug)]
pub(crate) struct Verifier {
    issuer: String,
    audience: String,
    jwks_uri: String,
    transport: HyperTransport,
    /// The keys of the last JWKS fetched (each key that parsed).
    keys: RwLock<Vec<Jwk>>,
    /// One fetch at a time: concurrent unknown `kid`s share it.
    fetching: Mutex<()>,
    fetches: AtomicUsize,
}

impl Verifier {
    /// Reads `{issuer}/.well-known/oauth-authorization-server` (RFC 8414
    /// §3) and the JWKS it names.
    pub(crate) async fn discover(issuer: &str, audience: &str) -> Result<Self, BoxError> {
        Self::discover_with(issuer, audience, HyperTransport::new()?).await
    }

    /// [`discover`](Self::discover) with a transport of your own (its
    /// timeout is how long a JWKS fetch may take).
    pub(crate) async fn discover_with(
        issuer: &str,
        audience: &str,
        transport: HyperTransport,
    ) -> Result<Self, BoxError> {
        let metadata = get_json(
            &transport,
            &format!("{issuer}/.well-known/oauth-authorization-server"),
        )
        .await?;
        // RFC 8414 §3.3: the issuer in the document is the one asked for.
        if metadata["issuer"].as_str() != Some(issuer) {
            return Err(
                format!("metadata names issuer {}, not {issuer}", metadata["issuer"]).into(),
            );
        }
        let jwks_uri = metadata["jwks_uri"]
            .as_str()
            .ok_or("the metadata has no jwks_uri")?
            .to_owned();
        let verifier = Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            jwks_uri,
            transport,
            keys: RwLock::new(Vec::new()),
            fetching: Mutex::new(()),
            fetches: AtomicUsize::new(0),
        };
        verifier.refresh().await.map_err(|e| e.to_string())?;
        Ok(verifier)
    }

    /// How many times the JWKS was fetched.
    pub(crate) fn jwks_fetches(&self) -> usize {
        self.fetches.load(Ordering::Relaxed)
    }

    /// Fetches the JWKS again. Keys that do not parse are skipped (RFC 7517
    /// §5: ignore what is not understood).
    pub(crate) async fn refresh(&self) -> Result<(), Refusal> {
        let _one = self.fetching.lock().await;
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let document = get_json(&self.transport, &self.jwks_uri)
            .await
            .map_err(|e| Refusal::Jwks(e.to_string()))?;
        let keys = document["keys"]
            .as_array()
            .ok_or_else(|| Refusal::Jwks("no keys array".to_owned()))?
            .iter()
            .filter_map(|key| serde_json::from_value::<Jwk>(key.clone()).ok())
            .collect();
        *self.keys.write().await = keys;
        Ok(())
    }

    /// The claims of a token this resource server accepts.
    pub(crate) async fn verify(&self, token: &str) -> Result<Value, Refusal> {
        let header = jsonwebtoken::decode_header(token).map_err(Refusal::Malformed)?;
        // RFC 9068 §4: "at+jwt" or "application/at+jwt", any case.
        let typ = header.typ.as_deref().map(str::to_ascii_lowercase);
        if !matches!(typ.as_deref(), Some("at+jwt" | "application/at+jwt")) {
            return Err(Refusal::Typ(header.typ));
        }
        let kid = header.kid.ok_or(Refusal::NoKid)?;
        let (key, alg) = match self.key(&kid).await {
            Err(Refusal::UnknownKid(_)) => {
                // A key the cache lacks: the issuer may have rotated.
                self.refresh().await?;
                self.key(&kid).await?
            }
            found => found?,
        };
        // The key's algorithm decides, never the token's alone (RFC 8725 §3.1).
        if header.alg != alg {
            return Err(Refusal::Algorithm(format!(
                "token says {:?}, the key is for {alg:?}",
                header.alg
            )));
        }
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
            .map_err(Refusal::Invalid)?
            .claims;
        for claim in REQUIRED_CLAIMS {
            if claims.get(claim).is_none() {
                return Err(Refusal::MissingClaim(claim));
            }
        }
        Ok(claims)
    }

    /// The one key for `kid` in the cache, and its algorithm.
    async fn key(&self, kid: &str) -> Result<(DecodingKey, Algorithm), Refusal> {
        let keys = self.keys.read().await;
        let mut matching = keys
            .iter()
            .filter(|key| key.common.key_id.as_deref() == Some(kid));
        let jwk = matching
            .next()
            .ok_or_else(|| Refusal::UnknownKid(kid.to_owned()))?;
        if matching.next().is_some() {
            return Err(Refusal::AmbiguousKid(kid.to_owned()));
        }
        let alg = jwk
            .common
            .key_algorithm
            .and_then(|alg| Algorithm::from_str(&alg.to_string()).ok())
            .ok_or_else(|| Refusal::Algorithm(format!("the key for kid {kid:?} names none")))?;
        let key = DecodingKey::from_jwk(jwk).map_err(|_| Refusal::UnknownKid(kid.to_owned()))?;
        Ok((key, alg))
    }
}

async fn get_json(transport: &HyperTransport, url: &str) -> Result<Value, BoxError> {
    let request = http::Request::get(url).body(Vec::new())?;
    let response = transport.send(request).await?;
    if !response.status().is_success() {
        return Err(format!("GET {url}: {}", response.status()).into());
    }
    Ok(serde_json::from_slice(response.body())?)
}
