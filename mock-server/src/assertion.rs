//! Client authentication by signed assertion (RFC 7523 §2.2, §3; RFC 7521
//! §4.2; OIDC Core §9): `private_key_jwt` (RS256, ES256, `EdDSA` with the
//! client's registered public keys) and `client_secret_jwt` (HS256 with the
//! client's secret).
//!
//! Check order, each failure `invalid_client` with a journal reason naming
//! its checklist rule and RFC section (S-75..S-81):
//! 1. `client_assertion_type` is the jwt-bearer URN (S-75);
//! 2. the assertion is one compact JWS, `alg` not `none` (S-76);
//! 3. the client (`client_id`, else `sub`) is registered for an assertion
//!    method (S-75, S-77);
//! 4. `alg` is allowed for that method: never HMAC with a public key, never
//!    a public-key algorithm with a secret (S-76, RFC 8725 §2.1, §3.1);
//! 5. the signature, with the key `kid` names or else each key of the
//!    algorithm's type (S-76);
//! 6. `iss` = `sub` = the client id (S-77); `aud` (S-78); `exp`, `nbf`,
//!    `iat` with a 60 s leeway and a maximum lifetime (S-79);
//! 7. `jti` never seen before, remembered until `exp` (S-80): when the
//!    cache is full the assertion is refused, never an entry forgotten.
//!
//! The journal shows the decoded header and claims ([`decoded`]), never the
//! signature; the answer never echoes the assertion (S-81).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use auth_core::jose::{Algorithm, CompactJws, Jwk, JwsError, MAX_COMPACT_LEN, verify_signature};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::keys;
use crate::reply::Quoted;

/// RFC 7523 §2.2: the one `client_assertion_type` this server accepts.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Leeway on `exp`, `nbf` and `iat` (clock skew), in seconds.
pub const LEEWAY_SECS: i64 = 60;

/// The default of `assertion_max_lifetime_secs`: how far after now an
/// assertion's `exp` may be.
pub const DEFAULT_MAX_LIFETIME_SECS: u64 = 300;

/// The default of `assertion_replay_capacity`.
pub const DEFAULT_REPLAY_CAPACITY: usize = 10_000;

/// A client authentication method by signed assertion (RFC 7591 §2 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AssertionMethod {
    /// Signed with the client's private key; verified with its registered
    /// public keys (RS256, ES256, `EdDSA`).
    PrivateKeyJwt,
    /// HS256 with the client's secret as the key.
    ClientSecretJwt,
}

impl AssertionMethod {
    /// Both methods.
    pub const ALL: [Self; 2] = [Self::PrivateKeyJwt, Self::ClientSecretJwt];

    /// The RFC 7591 name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::ClientSecretJwt => "client_secret_jwt",
        }
    }

    /// The algorithms enforced for the method (never `none`; HMAC only with
    /// a secret, public-key algorithms only with a public key).
    #[must_use]
    pub fn algorithms(self) -> &'static [Algorithm] {
        match self {
            Self::PrivateKeyJwt => &Algorithm::ASYMMETRIC,
            Self::ClientSecretJwt => &[Algorithm::Hs256],
        }
    }
}

impl fmt::Display for AssertionMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which `aud` values identify this server (`assertion_audience`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AssertionAudience {
    /// The issuer identifier or the token endpoint URL, as a string or in
    /// an array (RFC 7523 §3 item 3).
    #[default]
    IssuerOrTokenEndpoint,
    /// Only the issuer identifier, as the sole, string-valued audience
    /// (draft-ietf-oauth-rfc7523bis, after the 2025 audience-injection
    /// findings).
    Issuer,
}

/// A client's public key in the configuration or the admin API: a string
/// (PEM text, or the path of a PEM, JWK or JWK Set file) or an inline JWK
/// or JWK Set object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum ClientKey {
    /// PEM text (starts with `-----BEGIN`), else a file path.
    Text(String),
    /// A JWK (`kty` ...) or a JWK Set (`keys` ...).
    Json(Map<String, Value>),
}

impl ClientKey {
    /// The public keys it holds, each with a `kid` (its RFC 7638
    /// thumbprint when it names none).
    pub(crate) fn load(&self) -> Result<Vec<Jwk>, String> {
        match self {
            Self::Text(text) if text.trim_start().starts_with("-----BEGIN") => {
                keys::public_keys_from_pem(text.as_bytes(), std::path::Path::new("inline PEM"))
                    .map_err(|e| e.to_string())
            }
            Self::Text(path) => {
                let path = std::path::Path::new(path);
                let bytes = std::fs::read(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                if bytes.trim_ascii_start().starts_with(b"{") {
                    let object: Map<String, Value> = serde_json::from_slice(&bytes)
                        .map_err(|e| format!("{}: not a JSON object: {e}", path.display()))?;
                    json_keys(&object).map_err(|e| format!("{}: {e}", path.display()))
                } else {
                    keys::public_keys_from_pem(&bytes, path).map_err(|e| e.to_string())
                }
            }
            Self::Json(object) => json_keys(object),
        }
    }
}

fn json_keys(object: &Map<String, Value>) -> Result<Vec<Jwk>, String> {
    let with_kid = |jwk: Jwk| {
        if jwk.kid.is_some() {
            return jwk;
        }
        let kid = keys::thumbprint(&jwk.key);
        jwk.with_kid(kid)
    };
    match object.get("keys") {
        Some(Value::Array(set)) => set
            .iter()
            .map(|key| match key {
                Value::Object(key) => Jwk::from_object(key)
                    .map(with_kid)
                    .map_err(|e| format!("a key of the set: {e}")),
                _ => Err("a key of the set is not a JSON object".to_owned()),
            })
            .collect(),
        Some(_) => Err("`keys` is not an array".to_owned()),
        None => Jwk::from_object(object)
            .map(|jwk| vec![with_kid(jwk)])
            .map_err(|e| e.to_string()),
    }
}

/// Why an assertion was refused. Each names its checklist rule and RFC
/// section ([`AssertionError::rule`]); none holds the assertion or a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AssertionError {
    /// `client_assertion` without `client_assertion_type`.
    #[error("client_assertion_type is missing")]
    MissingType,
    /// Another assertion type.
    #[error("client_assertion_type is not {JWT_BEARER}")]
    WrongType,
    /// Not one compact JWS.
    #[error("the assertion is not a compact JWS: {0}")]
    Malformed(String),
    /// `alg: none`.
    #[error("alg none is refused")]
    AlgNone,
    /// An algorithm the method does not allow.
    #[error("alg {alg} is not allowed for {method} (allowed: {allowed})")]
    AlgNotAllowed {
        /// The header's algorithm.
        alg: Algorithm,
        /// The registered method.
        method: AssertionMethod,
        /// The allowed algorithms, comma-separated.
        allowed: String,
    },
    /// No `client_id` parameter and no `sub`.
    #[error("no client_id parameter and no sub claim name the client")]
    NoClient,
    /// Nobody has the id.
    #[error("unknown client {0}")]
    UnknownClient(String),
    /// The client is registered for another method.
    #[error("client {id} is registered for {registered}, not {used}")]
    WrongMethod {
        /// The client id, quoted.
        id: String,
        /// Its registered method.
        registered: &'static str,
        /// The method the request used.
        used: &'static str,
    },
    /// No registered key has the header's `kid`.
    #[error("no registered key of the client has kid {0}")]
    UnknownKid(String),
    /// No registered key verifies the signature.
    #[error("the signature does not verify with the client's registered {0}")]
    BadSignature(&'static str),
    /// `iss` is not the client id.
    #[error("iss is not the client id")]
    Issuer,
    /// `sub` is not the client id.
    #[error("sub is not the client id")]
    Subject,
    /// `client_id` differs from `sub`.
    #[error("the client_id parameter differs from sub")]
    ClientIdMismatch,
    /// `aud` does not identify this server.
    #[error("aud {0} does not identify this server (issuer or token endpoint URL)")]
    Audience(String),
    /// Strict mode: `aud` is not the issuer as a single string.
    #[error("aud {0} is not the issuer as the sole, string-valued audience")]
    AudienceNotIssuer(String),
    /// A claim of the wrong JSON type.
    #[error("claim {0} has the wrong type")]
    ClaimType(&'static str),
    /// No `exp`.
    #[error("exp is missing")]
    MissingExp,
    /// `exp` passed (beyond the leeway).
    #[error("exp is {0} s in the past (leeway {LEEWAY_SECS} s)")]
    Expired(i64),
    /// `exp` further ahead than the maximum lifetime.
    #[error("exp is {ahead} s ahead, more than the maximum of {max} s")]
    TooLong {
        /// Seconds from now to `exp`.
        ahead: i64,
        /// `assertion_max_lifetime_secs`.
        max: u64,
    },
    /// `nbf` in the future (beyond the leeway).
    #[error("nbf is {0} s in the future (leeway {LEEWAY_SECS} s)")]
    NotYetValid(i64),
    /// `iat` in the future (beyond the leeway).
    #[error("iat is {0} s in the future (leeway {LEEWAY_SECS} s)")]
    IssuedInFuture(i64),
    /// No `jti`.
    #[error("jti is missing")]
    MissingJti,
    /// The `jti` was used before.
    #[error("jti {0} was already used (replay)")]
    Replayed(String),
    /// The replay cache is full of live entries.
    #[error("the jti replay cache is full ({0} live entries): refused rather than forgotten")]
    ReplayCacheFull(usize),
}

impl AssertionError {
    /// The checklist rule (`S-75`..`S-80`) and its RFC section.
    #[must_use]
    pub fn rule(&self) -> (&'static str, &'static str) {
        match self {
            Self::MissingType | Self::WrongType | Self::WrongMethod { .. } => {
                ("S-75", "RFC 7521 §4.2")
            }
            Self::Malformed(_) | Self::UnknownKid(_) | Self::BadSignature(_) => {
                ("S-76", "RFC 7523 §3 item 9")
            }
            Self::AlgNone | Self::AlgNotAllowed { .. } => {
                ("S-76", "RFC 7523 §3 item 9, RFC 8725 §3.1")
            }
            Self::NoClient
            | Self::UnknownClient(_)
            | Self::Issuer
            | Self::Subject
            | Self::ClientIdMismatch => ("S-77", "RFC 7523 §3 items 1, 2"),
            Self::Audience(_) | Self::AudienceNotIssuer(_) => ("S-78", "RFC 7523 §3 item 3"),
            Self::ClaimType(_)
            | Self::MissingExp
            | Self::Expired(_)
            | Self::TooLong { .. }
            | Self::NotYetValid(_)
            | Self::IssuedInFuture(_) => ("S-79", "RFC 7523 §3 items 4-6"),
            Self::MissingJti | Self::Replayed(_) | Self::ReplayCacheFull(_) => {
                ("S-80", "OIDC Core §9, RFC 7523 §3 item 7")
            }
        }
    }

    /// The journal reason: the failed check, its rule and RFC section.
    #[must_use]
    pub fn reason(&self) -> String {
        let (rule, rfc) = self.rule();
        format!("client assertion: {self} ({rule}, {rfc})")
    }
}

/// The claims of an assertion, as read before anything is trusted.
#[derive(Debug, Default)]
struct Claims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Value>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    jti: Option<String>,
}

impl Claims {
    #[expect(
        clippy::cast_possible_truncation,
        reason = "a finite NumericDate under 1e15, truncated to whole seconds"
    )]
    fn read(payload: &[u8]) -> Result<Self, AssertionError> {
        let object: Map<String, Value> = serde_json::from_slice(payload)
            .map_err(|_| AssertionError::Malformed("the claims are not a JSON object".into()))?;
        let string = |name: &'static str| match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(AssertionError::ClaimType(name)),
        };
        // RFC 7519 §2 NumericDate: seconds, fractions allowed (truncated).
        let date = |name: &'static str| match object.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.is_finite() && f.abs() < 1e15)
                        .map(|f| f.trunc() as i64)
                })
                .map(Some)
                .ok_or(AssertionError::ClaimType(name)),
            Some(_) => Err(AssertionError::ClaimType(name)),
        };
        Ok(Self {
            iss: string("iss")?,
            sub: string("sub")?,
            aud: object.get("aud").cloned(),
            exp: date("exp")?,
            nbf: date("nbf")?,
            iat: date("iat")?,
            jti: string("jti")?,
        })
    }
}

/// The client as the verifier needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Client<'a> {
    pub(crate) id: &'a str,
    /// The registered assertion method; `None` for a secret method (named).
    pub(crate) method: Result<AssertionMethod, &'static str>,
    pub(crate) keys: &'a [Jwk],
    pub(crate) secret: Option<&'a str>,
}

/// The server-wide settings and the `jti` replay cache.
#[derive(Debug)]
pub(crate) struct Verifier {
    pub(crate) issuer: String,
    pub(crate) token_endpoint: String,
    pub(crate) audience: AssertionAudience,
    pub(crate) max_lifetime_secs: u64,
    replay: Mutex<Replay>,
}

/// `(client id, jti)` → the unix second after which it may be forgotten.
#[derive(Debug)]
struct Replay {
    capacity: usize,
    seen: HashMap<(String, String), i64>,
}

/// What a successful verification learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verified {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<String>,
}

impl Verifier {
    pub(crate) fn new(
        issuer: String,
        audience: AssertionAudience,
        max_lifetime_secs: u64,
        replay_capacity: usize,
    ) -> Self {
        Self {
            token_endpoint: format!("{issuer}/token"),
            issuer,
            audience,
            max_lifetime_secs,
            replay: Mutex::new(Replay {
                capacity: replay_capacity.max(1),
                seen: HashMap::new(),
            }),
        }
    }

    /// Forgets every `jti` (the admin reset).
    pub(crate) fn reset(&self) {
        self.lock().seen.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Replay> {
        self.replay.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The client id an assertion names: the `client_id` parameter, else
    /// its `sub` (RFC 7521 §4.2: `client_id` is optional), read without
    /// trusting anything.
    pub(crate) fn claimed_client(assertion: &str, client_id: Option<&str>) -> Option<String> {
        if let Some(id) = client_id {
            return Some(id.to_owned());
        }
        let jws = CompactJws::parse(assertion).ok()?;
        Claims::read(jws.payload()).ok()?.sub
    }

    /// Checks the type, then the assertion of `client` (looked up by the
    /// caller from [`Self::claimed_client`]), at `now` (unix seconds).
    pub(crate) fn verify(
        &self,
        assertion_type: Option<&str>,
        assertion: &str,
        client_id: Option<&str>,
        client: Option<Client<'_>>,
        now: i64,
    ) -> Result<Verified, AssertionError> {
        match assertion_type {
            None => return Err(AssertionError::MissingType),
            Some(JWT_BEARER) => {}
            Some(_) => return Err(AssertionError::WrongType),
        }
        let jws =
            CompactJws::parse_with_limit(assertion, MAX_COMPACT_LEN).map_err(|e| match e {
                JwsError::AlgorithmNone => AssertionError::AlgNone,
                other => AssertionError::Malformed(other.to_string()),
            })?;
        let claims = Claims::read(jws.payload())?;
        let Some(client) = client else {
            return Err(match client_id.map(str::to_owned).or(claims.sub) {
                Some(id) => AssertionError::UnknownClient(Quoted(&id).to_string()),
                None => AssertionError::NoClient,
            });
        };
        let method = client
            .method
            .map_err(|registered| AssertionError::WrongMethod {
                id: Quoted(client.id).to_string(),
                registered,
                used: if jws.header().alg.is_asymmetric() {
                    AssertionMethod::PrivateKeyJwt.as_str()
                } else {
                    AssertionMethod::ClientSecretJwt.as_str()
                },
            })?;
        let alg = jws.header().alg;
        if !method.algorithms().contains(&alg) {
            return Err(AssertionError::AlgNotAllowed {
                alg,
                method,
                allowed: method
                    .algorithms()
                    .iter()
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let kid = jws.header().kid.clone();
        match method {
            AssertionMethod::PrivateKeyJwt => {
                let candidates: Vec<&Jwk> = match &kid {
                    Some(kid) => {
                        let named: Vec<&Jwk> = client
                            .keys
                            .iter()
                            .filter(|k| k.kid.as_deref() == Some(kid.as_str()))
                            .collect();
                        if named.is_empty() {
                            return Err(AssertionError::UnknownKid(Quoted(kid).to_string()));
                        }
                        named
                    }
                    None => client.keys.iter().collect(),
                };
                // RFC 8725 §3.1: the key's type decides the algorithm
                // (`verify_signature` refuses a key of another type); a
                // JWK's own `alg`, when it has one, must agree.
                let verified = candidates.iter().any(|key| {
                    key.alg.as_deref().is_none_or(|a| a == alg.as_str())
                        && verify_signature(&key.key, alg, jws.signing_input(), jws.signature())
                            .is_ok()
                });
                if !verified {
                    return Err(AssertionError::BadSignature("public keys"));
                }
            }
            AssertionMethod::ClientSecretJwt => {
                let Some(secret) = client.secret.filter(|s| !s.is_empty()) else {
                    return Err(AssertionError::BadSignature("secret (it has none)"));
                };
                let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
                    .map_err(|_| AssertionError::BadSignature("secret"))?;
                mac.update(jws.signing_input());
                // Constant time.
                mac.verify_slice(jws.signature())
                    .map_err(|_| AssertionError::BadSignature("secret"))?;
            }
        }
        self.check_claims(&claims, client.id, client_id, now)?;
        self.remember(client.id, &claims, now)?;
        Ok(Verified { alg, kid })
    }

    fn check_claims(
        &self,
        claims: &Claims,
        id: &str,
        client_id: Option<&str>,
        now: i64,
    ) -> Result<(), AssertionError> {
        if claims.iss.as_deref() != Some(id) {
            return Err(AssertionError::Issuer);
        }
        if claims.sub.as_deref() != Some(id) {
            return Err(AssertionError::Subject);
        }
        if client_id.is_some_and(|c| c != id) {
            return Err(AssertionError::ClientIdMismatch);
        }
        self.check_audience(claims.aud.as_ref())?;
        let exp = claims.exp.ok_or(AssertionError::MissingExp)?;
        if exp.saturating_add(LEEWAY_SECS) <= now {
            return Err(AssertionError::Expired(now.saturating_sub(exp)));
        }
        let ahead = exp.saturating_sub(now);
        if ahead > i64::try_from(self.max_lifetime_secs).unwrap_or(i64::MAX) {
            return Err(AssertionError::TooLong {
                ahead,
                max: self.max_lifetime_secs,
            });
        }
        if let Some(nbf) = claims.nbf
            && nbf > now.saturating_add(LEEWAY_SECS)
        {
            return Err(AssertionError::NotYetValid(nbf.saturating_sub(now)));
        }
        if let Some(iat) = claims.iat
            && iat > now.saturating_add(LEEWAY_SECS)
        {
            return Err(AssertionError::IssuedInFuture(iat.saturating_sub(now)));
        }
        Ok(())
    }

    fn check_audience(&self, aud: Option<&Value>) -> Result<(), AssertionError> {
        let shown = |aud: Option<&Value>| {
            aud.map_or_else(
                || "(missing)".to_owned(),
                |v| {
                    let text = v.to_string();
                    Quoted(&text).to_string()
                },
            )
        };
        match self.audience {
            AssertionAudience::Issuer => match aud {
                Some(Value::String(s)) if *s == self.issuer => Ok(()),
                other => Err(AssertionError::AudienceNotIssuer(shown(other))),
            },
            AssertionAudience::IssuerOrTokenEndpoint => {
                let ours = |v: &Value| {
                    v.as_str()
                        .is_some_and(|s| s == self.issuer || s == self.token_endpoint)
                };
                let ok = match aud {
                    Some(Value::String(_)) => aud.is_some_and(ours),
                    Some(Value::Array(values)) => values.iter().any(ours),
                    _ => false,
                };
                if ok {
                    Ok(())
                } else {
                    Err(AssertionError::Audience(shown(aud)))
                }
            }
        }
    }

    /// Records the `jti` until `exp` (plus the leeway it is accepted in).
    fn remember(&self, id: &str, claims: &Claims, now: i64) -> Result<(), AssertionError> {
        let jti = claims
            .jti
            .as_deref()
            .filter(|j| !j.is_empty())
            .ok_or(AssertionError::MissingJti)?;
        let until = claims.exp.unwrap_or(now).saturating_add(LEEWAY_SECS);
        let mut replay = self.lock();
        let key = (id.to_owned(), jti.to_owned());
        if replay.seen.get(&key).is_some_and(|until| *until >= now) {
            return Err(AssertionError::Replayed(Quoted(jti).to_string()));
        }
        if replay.seen.len() >= replay.capacity {
            replay.seen.retain(|_, until| *until >= now);
        }
        if replay.seen.len() >= replay.capacity {
            return Err(AssertionError::ReplayCacheFull(replay.seen.len()));
        }
        replay.seen.insert(key, until);
        Ok(())
    }
}

/// What the journal keeps of a compact JWS (a client assertion, an issued
/// JWT): its first two parts, the encoded header and claims, never the
/// signature, so that nothing usable is kept. They are decoded only when
/// the journal is read ([`decoded`]), not on the request's path.
pub(crate) fn header_and_claims(token: &str) -> &str {
    let end = token
        .match_indices('.')
        .nth(1)
        .map_or(token.len(), |(at, _)| at);
    token.get(..end).unwrap_or_default()
}

/// The decoded header and claims of a compact JWS (or of what
/// [`header_and_claims`] kept of it), for the journal: JSON
/// `{"header": ..., "claims": ...}`; never the signature. `None` when the
/// first two parts are not base64url JSON.
pub(crate) fn decoded(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let mut part = || -> Option<Value> {
        let bytes = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
        serde_json::from_slice(&bytes).ok()
    };
    let header = part()?;
    let claims = part()?;
    Some(serde_json::json!({ "header": header, "claims": claims }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    fn claims(jti: &str, exp: i64) -> Claims {
        Claims {
            jti: Some(jti.into()),
            exp: Some(exp),
            ..Claims::default()
        }
    }

    #[test]
    fn the_replay_cache_refuses_when_full_and_frees_expired_entries() {
        let verifier = Verifier::new("http://as".into(), AssertionAudience::default(), 300, 2);
        verifier.remember("c", &claims("1", 100), 0).unwrap();
        assert!(matches!(
            verifier.remember("c", &claims("1", 100), 50),
            Err(AssertionError::Replayed(_))
        ));
        // Another client may use the same jti.
        verifier.remember("d", &claims("1", 100), 0).unwrap();
        assert_eq!(
            verifier.remember("c", &claims("2", 100), 10),
            Err(AssertionError::ReplayCacheFull(2))
        );
        // Past exp + leeway the entries go, and room is made.
        verifier.remember("c", &claims("2", 500), 161).unwrap();
    }

    #[test]
    fn decoded_shows_header_and_claims_never_the_signature() {
        let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
        let token = format!(
            "{}.{}.{}",
            b64(r#"{"alg":"RS256"}"#),
            b64(r#"{"sub":"c"}"#),
            b64("SIGNATURE")
        );
        let shown = decoded(&token).unwrap().to_string();
        assert_eq!(shown, r#"{"claims":{"sub":"c"},"header":{"alg":"RS256"}}"#);
        assert!(decoded("a.b").is_none());
        let kept = header_and_claims(&token);
        assert!(!kept.contains(&b64("SIGNATURE")), "{kept}");
        assert_eq!(decoded(kept).unwrap().to_string(), shown);
    }

    #[test]
    fn every_error_names_a_b13_rule() {
        let errors = [
            AssertionError::MissingType,
            AssertionError::AlgNone,
            AssertionError::Subject,
            AssertionError::Audience(String::new()),
            AssertionError::MissingExp,
            AssertionError::MissingJti,
        ];
        for (error, rule) in errors
            .iter()
            .zip(["S-75", "S-76", "S-77", "S-78", "S-79", "S-80"])
        {
            assert_eq!(error.rule().0, rule);
            assert!(error.reason().contains(rule), "{}", error.reason());
        }
    }
}
