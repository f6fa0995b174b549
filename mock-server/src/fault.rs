//! Faults on purpose (checklist S-73): what to serve instead of, or on top
//! of, the correct answer, for which endpoint and client, how many times.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Largest body an [`Fault::Oversized`] answer may have (64 MiB).
pub const MAX_OVERSIZED_BYTES: usize = 64 * 1024 * 1024;
/// Most rules queued at once; pushing more drops the oldest.
pub const MAX_RULES: usize = 1024;

/// A misbehaviour of the provider.
///
/// JSON form (admin API), externally tagged: `"hang"`, `{"status": 503}`,
/// `{"latency": 250}` (milliseconds), `{"retry_after": {"status": 429, "seconds": 1}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Fault {
    /// Answer correctly, after a delay (JSON: milliseconds).
    Latency(#[serde(with = "millis")] Duration),
    /// Never answer (until the server shuts down).
    Hang,
    /// A bare status with a plain-text body and no JSON (e.g. 500, 502, 503).
    Status(u16),
    /// A status with `Retry-After: seconds` (RFC 6585 §4, RFC 9110 §10.2.3).
    RetryAfter {
        /// 429 or 503, usually.
        status: u16,
        /// The delay, in seconds.
        seconds: u64,
    },
    /// An HTML error page, as a proxy or gateway would serve.
    Html {
        /// The status it comes with.
        status: u16,
    },
    /// `200` with a truncated JSON body.
    MalformedJson,
    /// `"expires_in": "3600"` (a string).
    ExpiresInString,
    /// `"token_type": "bearer"`.
    LowercaseTokenType,
    /// Extra, unknown members in the success body.
    ExtraFields,
    /// No `scope` member.
    NoScope,
    /// No `expires_in` member.
    NoExpiresIn,
    /// A token that lives one second.
    ShortLifetime,
    /// A valid success body padded to about `bytes` bytes.
    Oversized {
        /// Body size (capped at [`MAX_OVERSIZED_BYTES`]).
        bytes: usize,
    },
    /// `200` carrying an RFC 6749 §5.2 error body.
    ErrorIn200,
    /// `307` to another location.
    Redirect {
        /// The `Location` header.
        location: String,
    },
    /// `401 invalid_client` whatever the credentials.
    InvalidClient,
    /// Exactly this answer: status, headers (invalid ones skipped) and body
    /// (a BOM, duplicate keys, a truncated document: anything).
    Raw {
        /// The status.
        status: u16,
        /// Header name/value pairs, in order.
        #[serde(default)]
        headers: Vec<(String, String)>,
        /// The body.
        #[serde(default)]
        body: String,
    },
    /// Close the connection without an answer.
    Reset,
    /// `GET /jwks` (endpoint `jwks`) without the key that signs tokens now:
    /// a resource server cannot find the token's `kid`.
    JwksWithoutKid,
    /// `GET /jwks` (endpoint `jwks`) with two keys under the signing key's
    /// `kid`: an impostor (other key material) first, then the real one.
    JwksDuplicateKid,
    /// `GET /jwks` (endpoint `jwks`) with the signing key's entry made
    /// unparseable: its key material is not base64url.
    JwksUnparseableKey,
    /// Rotation without grace, at the token endpoint: a new key (new `kid`)
    /// signs this token and every later one, and the key that signed until
    /// then leaves the JWKS at once, so tokens it signed no longer verify.
    RotateWithoutGrace,
    /// A JWT already expired when issued: `exp` ten minutes in the past
    /// (beyond the five minutes of clock skew resource servers allow at
    /// most), `iat` one lifetime before it.
    ExpiredOnIssue,
    /// A JWT with `nbf` ten minutes in the future.
    NbfInFuture,
    /// A JWT whose `iss` is not the issuer of the metadata
    /// ([`WRONG_ISSUER`]).
    WrongIssuer,
    /// A JWT whose `aud` is a resource nobody asked for ([`WRONG_AUDIENCE`]).
    WrongAudience,
    /// A JWT with header `typ: JWT` instead of `at+jwt` (RFC 9068 §2.1).
    TypJwt,
}

/// The `iss` of a [`Fault::WrongIssuer`] token (`.invalid`: RFC 2606 §2).
pub const WRONG_ISSUER: &str = "https://issuer.invalid";
/// The `aud` of a [`Fault::WrongAudience`] token.
pub const WRONG_AUDIENCE: &str = "https://audience.invalid/";
/// How far [`Fault::ExpiredOnIssue`] puts `exp` in the past and
/// [`Fault::NbfInFuture`] puts `nbf` in the future, in seconds: twice the
/// largest default clock skew of common resource servers (ASP.NET
/// `JwtBearer`: 5 minutes; Spring Security and `jsonwebtoken`: 60 s).
pub const SKEWED_SECS: i64 = 600;

impl Fault {
    /// Faults that change a successful answer rather than replace it.
    pub(crate) fn shapes_success(&self) -> bool {
        matches!(
            self,
            Self::ExpiresInString
                | Self::LowercaseTokenType
                | Self::ExtraFields
                | Self::NoScope
                | Self::NoExpiresIn
                | Self::ShortLifetime
                | Self::Oversized { .. }
        )
    }

    /// Faults that hold the answer back for a while (or for good), the
    /// time a client's own timeout is tested on.
    pub(crate) fn waits(&self) -> bool {
        matches!(self, Self::Latency(_) | Self::Hang)
    }

    /// Faults that change the JWT a successful answer carries (its claims,
    /// header or signing key), not the JSON around it.
    pub(crate) fn shapes_token(&self) -> bool {
        matches!(
            self,
            Self::RotateWithoutGrace
                | Self::ExpiredOnIssue
                | Self::NbfInFuture
                | Self::WrongIssuer
                | Self::WrongAudience
                | Self::TypJwt
        )
    }

    /// Faults that change the JWKS document `GET /jwks` serves.
    pub(crate) fn shapes_jwks(&self) -> bool {
        matches!(
            self,
            Self::JwksWithoutKid | Self::JwksDuplicateKid | Self::JwksUnparseableKey
        )
    }
}

/// `iat` and `exp` of a [`Fault::ExpiredOnIssue`] token issued at `iat`:
/// `exp` [`SKEWED_SECS`] before it, the lifetime `exp - iat` kept.
pub(crate) fn expired_on_issue(iat: i64, exp: i64) -> (i64, i64) {
    let lifetime = exp.saturating_sub(iat);
    let expired = iat.saturating_sub(SKEWED_SECS);
    (expired.saturating_sub(lifetime), expired)
}

/// Applies a token fault to the header and claims of a JWT about to be
/// signed, so the faulted token is still a real JWT signed by the mock's
/// key with only the named thing wrong. Other faults (and
/// [`Fault::RotateWithoutGrace`], which is the signing key's) change
/// nothing here.
pub(crate) fn shape_token(
    fault: &Fault,
    header: &mut auth_core::jose::Header,
    claims: &mut auth_core::jose::AccessTokenClaims,
) {
    match fault {
        Fault::ExpiredOnIssue => {
            (claims.iat, claims.exp) = expired_on_issue(claims.iat, claims.exp);
        }
        Fault::NbfInFuture => claims.nbf = Some(claims.iat.saturating_add(SKEWED_SECS)),
        Fault::WrongIssuer => WRONG_ISSUER.clone_into(&mut claims.iss),
        Fault::WrongAudience => {
            claims.aud = auth_core::jose::Audience::One(WRONG_AUDIENCE.to_owned());
        }
        Fault::TypJwt => header.typ = Some("JWT".to_owned()),
        _ => {}
    }
}

/// Members of a JWK that name or describe the key rather than hold its
/// material (RFC 7517 §4): a [`Fault::JwksUnparseableKey`] keeps them.
const JWK_DESCRIPTORS: [&str; 6] = ["kty", "kid", "alg", "use", "key_ops", "crv"];

/// Applies a JWKS fault to the document `GET /jwks` serves (`{"keys":
/// [...]}`), where `kid` names the key that signs tokens now. Other faults,
/// or a document without that key, leave it as it is.
pub(crate) fn shape_jwks(fault: &Fault, jwks: &mut serde_json::Value, kid: &str) {
    use serde_json::Value;

    let Some(keys) = jwks.get_mut("keys").and_then(Value::as_array_mut) else {
        return;
    };
    let Some(index) = keys
        .iter()
        .position(|key| key.get("kid").and_then(Value::as_str) == Some(kid))
    else {
        return;
    };
    match fault {
        Fault::JwksWithoutKid => {
            keys.retain(|key| key.get("kid").and_then(Value::as_str) != Some(kid));
        }
        Fault::JwksDuplicateKid => {
            let mut impostor = keys[index].clone();
            if let Some(members) = impostor.as_object_mut() {
                for (name, value) in members.iter_mut() {
                    if IMPOSTOR_MEMBERS.contains(&name.as_str())
                        && let Value::String(material) = value
                    {
                        *material = other_material(material);
                    }
                }
            }
            keys.insert(index, impostor);
        }
        Fault::JwksUnparseableKey => {
            if let Some(members) = keys[index].as_object_mut() {
                for (name, value) in members.iter_mut() {
                    if !JWK_DESCRIPTORS.contains(&name.as_str()) {
                        *value = Value::String("%%not base64url%%".to_owned());
                    }
                }
            }
        }
        _ => {}
    }
}

/// The members an impostor key changes: the RSA modulus, the curve point's
/// `x` (RFC 7518 §6.3.1.1, §6.2.1.2; RFC 8037 §2). The exponent and `y`
/// stay, so the impostor reads like a real key.
const IMPOSTOR_MEMBERS: [&str; 2] = ["n", "x"];

/// Other key material of the same length and alphabet: every base64url
/// character of `material` but the last moved one place along the
/// alphabet (the last may carry padding bits a strict decoder checks), so
/// the impostor parses like the real key (an RSA modulus stays a modulus)
/// but no signature of the real key verifies under it.
fn other_material(material: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = material.len().saturating_sub(1);
    material
        .bytes()
        .enumerate()
        .map(|(i, b)| match ALPHABET.iter().position(|&a| a == b) {
            Some(at) if i != last => char::from(ALPHABET[(at + 1) % 64]),
            _ => char::from(b),
        })
        .collect()
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// The endpoint a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Endpoint {
    /// `POST /token` (the default).
    #[default]
    Token,
    /// `POST /introspect`.
    Introspect,
    /// `POST /revoke`.
    Revoke,
    /// The protected resource.
    Resource,
    /// `GET /jwks` (RFC 7517 key set): [`Fault::Latency`] there is the slow
    /// JWKS; the `jwks_*` faults change the document.
    Jwks,
}

/// The name a queued [`FaultRule`] gets, unique for the server's life:
/// what [`MockServer::remove_fault`](crate::MockServer::remove_fault) and
/// `DELETE /_mock/faults/{id}` take. JSON: a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct FaultId(u64);

impl std::fmt::Display for FaultId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for FaultId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Self)
    }
}

/// A fault, with whom and how often it applies.
///
/// ```
/// use mock_server::{Fault, FaultRule};
/// let rule = FaultRule::new(Fault::RetryAfter { status: 429, seconds: 1 }).for_client("svc").times(2);
/// assert_eq!(rule.remaining(), Some(2));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// Given by the queue; never read from JSON (the server names rules).
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    id: Option<FaultId>,
    fault: Fault,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(default)]
    endpoint: Endpoint,
    /// `None`: always.
    #[serde(default = "one")]
    times: Option<u32>,
}

#[allow(
    clippy::unnecessary_wraps,
    reason = "serde default for an Option field"
)]
fn one() -> Option<u32> {
    Some(1)
}

impl FaultRule {
    /// The next token request (any client) gets `fault`.
    #[must_use]
    pub fn new(fault: Fault) -> Self {
        Self {
            id: None,
            fault,
            client_id: None,
            endpoint: Endpoint::Token,
            times: Some(1),
        }
    }

    /// The next `n` matching requests.
    #[must_use]
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Every matching request, until reset.
    #[must_use]
    pub fn always(mut self) -> Self {
        self.times = None;
        self
    }

    /// Only requests from this client (as claimed by the request).
    #[must_use]
    pub fn for_client(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// Another endpoint than the token endpoint.
    #[must_use]
    pub fn for_endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = endpoint;
        self
    }

    /// The fault.
    #[must_use]
    pub fn fault(&self) -> &Fault {
        &self.fault
    }

    /// Its name once queued (`None` before). The name is part of the rule:
    /// a queued rule (from [`MockServer::faults`](crate::MockServer::faults))
    /// is not equal to a fresh rule of the same fault.
    #[must_use]
    pub fn id(&self) -> Option<FaultId> {
        self.id
    }

    /// How many more times it applies (`None`: always).
    #[must_use]
    pub fn remaining(&self) -> Option<u32> {
        self.times
    }

    /// The client it is limited to, if any.
    pub(crate) fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }

    fn matches(&self, endpoint: Endpoint, client_id: Option<&str>) -> bool {
        self.endpoint == endpoint
            && self.times != Some(0)
            && self
                .client_id
                .as_deref()
                .is_none_or(|want| client_id == Some(want))
    }
}

/// The queue of rules, first match wins.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    rules: Mutex<VecDeque<FaultRule>>,
    /// Lets the hot path skip the lock (and the client-id guess) when idle.
    queued: AtomicUsize,
    /// The last [`FaultId`] given (ids start at 1).
    last_id: AtomicU64,
}

impl FaultQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<FaultRule>> {
        self.rules.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `rule` last and names it.
    pub(crate) fn push(&self, mut rule: FaultRule) -> FaultId {
        let id = FaultId(self.last_id.fetch_add(1, Ordering::Relaxed) + 1);
        rule.id = Some(id);
        let mut rules = self.lock();
        if rules.len() >= MAX_RULES {
            rules.pop_front();
        }
        rules.push_back(rule);
        self.queued.store(rules.len(), Ordering::Release);
        id
    }

    /// Removes the rule named `id`; `false` when none is queued (used up,
    /// cleared, dropped as the oldest, or never given).
    pub(crate) fn remove(&self, id: FaultId) -> bool {
        let mut rules = self.lock();
        let Some(index) = rules.iter().position(|rule| rule.id == Some(id)) else {
            return false;
        };
        rules.remove(index);
        self.queued.store(rules.len(), Ordering::Release);
        true
    }

    /// The queued rules, first match first, with the uses each has left.
    pub(crate) fn rules(&self) -> Vec<FaultRule> {
        self.lock().iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        let mut rules = self.lock();
        rules.clear();
        self.queued.store(0, Ordering::Release);
    }

    /// Takes one use of the first matching rule. `client_id` is asked for
    /// only when a queued rule names a client.
    pub(crate) fn take(
        &self,
        endpoint: Endpoint,
        client_id: impl FnOnce() -> Option<String>,
    ) -> Option<Fault> {
        if self.queued.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut rules = self.lock();
        let client_id = if rules.iter().any(|r| r.client_id.is_some()) {
            client_id()
        } else {
            None
        };
        let index = rules
            .iter()
            .position(|r| r.matches(endpoint, client_id.as_deref()))?;
        let rule = &mut rules[index];
        let fault = rule.fault.clone();
        if let Some(n) = rule.times.as_mut() {
            *n -= 1;
            if *n == 0 {
                rules.remove(index);
            }
        }
        self.queued.store(rules.len(), Ordering::Release);
        Some(fault)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    #[test]
    fn rules_apply_per_client_and_count_down() {
        let queue = FaultQueue::default();
        queue.push(FaultRule::new(Fault::Status(503)).for_client("a").times(2));
        queue.push(FaultRule::new(Fault::Hang).always());
        assert_eq!(
            queue.take(Endpoint::Token, || Some("b".into())),
            Some(Fault::Hang)
        );
        assert_eq!(
            queue.take(Endpoint::Token, || Some("a".into())),
            Some(Fault::Status(503))
        );
        assert_eq!(
            queue.take(Endpoint::Token, || Some("a".into())),
            Some(Fault::Status(503))
        );
        assert_eq!(
            queue.take(Endpoint::Token, || Some("a".into())),
            Some(Fault::Hang)
        );
        assert_eq!(queue.take(Endpoint::Revoke, || Some("a".into())), None);
    }

    #[test]
    fn queued_rules_are_named_and_removed_by_name_alone() {
        let queue = FaultQueue::default();
        let first = queue.push(FaultRule::new(Fault::Status(503)).always());
        let second = queue.push(FaultRule::new(Fault::Hang).always());
        assert_ne!(first, second);
        let ids: Vec<_> = queue.rules().iter().map(FaultRule::id).collect();
        assert_eq!(ids, [Some(first), Some(second)]);
        assert!(queue.remove(first));
        assert!(!queue.remove(first), "already gone");
        assert_eq!(queue.take(Endpoint::Token, || None), Some(Fault::Hang));
        assert!(queue.remove(second));
        assert_eq!(queue.take(Endpoint::Token, || None), None, "nothing left");
        // Names are never given twice, a cleared queue included.
        queue.clear();
        let third = queue.push(FaultRule::new(Fault::Hang));
        assert!(third > second);
        // A rule's JSON shows its name; a name in the JSON is refused.
        let listed = serde_json::to_value(queue.rules()).unwrap();
        assert_eq!(
            listed[0]["id"],
            serde_json::json!(third.to_string().parse::<u64>().unwrap())
        );
        let named: Result<FaultRule, _> = serde_json::from_str(r#"{"id":7,"fault":"hang"}"#);
        assert!(
            named
                .unwrap_err()
                .to_string()
                .contains("unknown field `id`")
        );
    }

    #[test]
    fn json_form_is_readable() {
        let rule: FaultRule = serde_json::from_str(
            r#"{"fault":{"retry_after":{"status":429,"seconds":2}},"client_id":"x"}"#,
        )
        .unwrap();
        assert_eq!(
            rule,
            FaultRule::new(Fault::RetryAfter {
                status: 429,
                seconds: 2
            })
            .for_client("x")
        );
        let rule: FaultRule =
            serde_json::from_str(r#"{"fault":{"latency":250},"times":null}"#).unwrap();
        assert_eq!(
            rule,
            FaultRule::new(Fault::Latency(Duration::from_millis(250))).always()
        );
        let rule: FaultRule = serde_json::from_str(r#"{"fault":"hang"}"#).unwrap();
        assert_eq!(rule.remaining(), Some(1));
    }

    fn token_parts() -> (auth_core::jose::Header, auth_core::jose::AccessTokenClaims) {
        let header = auth_core::jose::Header::access_token(auth_core::jose::Algorithm::Rs256, "k1");
        let claims = auth_core::jose::AccessTokenClaims::from_json(
            br#"{"iss":"http://127.0.0.1:1","sub":"svc","aud":"http://127.0.0.1:1/resource",
                "exp":1700003600,"iat":1700000000,"jti":"j","client_id":"svc","scope":"read"}"#,
        )
        .unwrap();
        (header, claims)
    }

    #[test]
    fn token_faults_change_only_the_named_thing() {
        let (header, claims) = token_parts();
        let shaped = |fault: Fault| {
            let (mut h, mut c) = token_parts();
            shape_token(&fault, &mut h, &mut c);
            (h, c)
        };
        let (h, c) = shaped(Fault::ExpiredOnIssue);
        assert_eq!(
            (c.iat, c.exp),
            (1_700_000_000 - 600 - 3600, 1_700_000_000 - 600)
        );
        assert_eq!(
            (&h, &c.iss, &c.aud, c.nbf),
            (&header, &claims.iss, &claims.aud, None)
        );
        let (h, c) = shaped(Fault::NbfInFuture);
        assert_eq!(c.nbf, Some(1_700_000_600));
        assert_eq!((&h, c.exp), (&header, claims.exp));
        let (_, c) = shaped(Fault::WrongIssuer);
        assert_eq!(c.iss, WRONG_ISSUER);
        assert_eq!(c.aud, claims.aud);
        let (_, c) = shaped(Fault::WrongAudience);
        assert!(c.aud.contains(WRONG_AUDIENCE) && !c.aud.contains("http://127.0.0.1:1/resource"));
        assert_eq!(c.iss, claims.iss);
        let (h, c) = shaped(Fault::TypJwt);
        assert_eq!(h.typ.as_deref(), Some("JWT"));
        assert_eq!((h.kid, c), (header.kid.clone(), claims.clone()));
        for fault in [
            Fault::RotateWithoutGrace,
            Fault::JwksWithoutKid,
            Fault::NoScope,
        ] {
            assert_eq!(shaped(fault), (header.clone(), claims.clone()));
        }
    }

    fn jwks() -> serde_json::Value {
        serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "old", "alg": "RS256", "use": "sig", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "now", "alg": "RS256", "use": "sig", "n": "sXch_-9z", "e": "AQAB"},
        ]})
    }

    fn kids(jwks: &serde_json::Value) -> Vec<&str> {
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn jwks_without_kid_drops_only_the_signing_key() {
        let mut doc = jwks();
        shape_jwks(&Fault::JwksWithoutKid, &mut doc, "now");
        assert_eq!(kids(&doc), ["old"]);
    }

    #[test]
    fn jwks_duplicate_kid_puts_an_impostor_with_other_material_first() {
        let mut doc = jwks();
        shape_jwks(&Fault::JwksDuplicateKid, &mut doc, "now");
        assert_eq!(kids(&doc), ["old", "now", "now"]);
        let (impostor, real) = (&doc["keys"][1], &doc["keys"][2]);
        assert_eq!(real, &jwks()["keys"][1]);
        assert_eq!(impostor["n"], "tYdiA_-z");
        assert_eq!(impostor["e"], "AQAB");
        assert_eq!(
            (&impostor["kty"], &impostor["alg"]),
            (&real["kty"], &real["alg"])
        );
    }

    #[test]
    fn jwks_unparseable_key_keeps_the_kid_and_spoils_the_material() {
        let mut doc = jwks();
        shape_jwks(&Fault::JwksUnparseableKey, &mut doc, "now");
        let key = &doc["keys"][1];
        assert_eq!(
            (key["kid"].as_str(), key["kty"].as_str()),
            (Some("now"), Some("RSA"))
        );
        assert_eq!(key["n"], "%%not base64url%%");
        assert_eq!(key["e"], "%%not base64url%%");
        assert_eq!(doc["keys"][0], jwks()["keys"][0]);
    }

    #[test]
    fn jwks_faults_leave_a_document_without_the_signing_key_alone() {
        for fault in [
            Fault::JwksWithoutKid,
            Fault::JwksDuplicateKid,
            Fault::JwksUnparseableKey,
            Fault::Hang,
        ] {
            let mut doc = jwks();
            shape_jwks(&fault, &mut doc, "gone");
            assert_eq!(doc, jwks(), "{fault:?}");
        }
    }

    #[test]
    fn resource_server_faults_have_snake_case_json_names() {
        for (json, fault) in [
            (r#""jwks_without_kid""#, Fault::JwksWithoutKid),
            (r#""jwks_duplicate_kid""#, Fault::JwksDuplicateKid),
            (r#""jwks_unparseable_key""#, Fault::JwksUnparseableKey),
            (r#""rotate_without_grace""#, Fault::RotateWithoutGrace),
            (r#""expired_on_issue""#, Fault::ExpiredOnIssue),
            (r#""nbf_in_future""#, Fault::NbfInFuture),
            (r#""wrong_issuer""#, Fault::WrongIssuer),
            (r#""wrong_audience""#, Fault::WrongAudience),
            (r#""typ_jwt""#, Fault::TypJwt),
        ] {
            assert_eq!(serde_json::from_str::<Fault>(json).unwrap(), fault);
        }
        let slow: FaultRule =
            serde_json::from_str(r#"{"fault":{"latency":2000},"endpoint":"jwks"}"#).unwrap();
        assert_eq!(
            slow,
            FaultRule::new(Fault::Latency(Duration::from_secs(2))).for_endpoint(Endpoint::Jwks)
        );
    }
}
