//! Stateless access tokens, in two formats behind one [`Issuer`]: the
//! token, introspection, revocation and protected-resource routes mint,
//! decode, validate and revoke through it and never ask which format a
//! token has. The server keeps nothing per token but a bounded revocation
//! set (by `jti`, for both formats).
//!
//! - [`TokenFormat::Jwt`] (the default): RFC 9068 JWTs, signed with the
//!   key ring's signer ([`crate::jwt`]).
//! - [`TokenFormat::Opaque`]: the claims under an HMAC-SHA-256 MAC keyed
//!   with a per-server random key, the fastest path. Wire form:
//!   `base64url(claims) "." base64url(mac)`, which is inside the RFC 6750
//!   §2.1 `b64token` alphabet (checklist S-37). Claims are a small binary
//!   record: version, `iat`, `exp`, a 128-bit random `jti` (RFC 6749
//!   §10.10, S-39), client id, scope and audiences (`nbf` and extra claims
//!   are JWT-only).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use auth_core::ScopeSet;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;
use smallvec::SmallVec;

use crate::config::TokenFormat;
use crate::jwt::{self, JwtIssuer, MintError};
use crate::state::HmacSha256;

const VERSION: u8 = 1;
/// Tokens longer than this are garbage without looking further.
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// What a token says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claims {
    pub(crate) client_id: String,
    pub(crate) scope: ScopeSet,
    pub(crate) iat: i64,
    pub(crate) exp: i64,
    pub(crate) jti: [u8; 16],
    pub(crate) audience: Vec<String>,
    /// `nbf` (JWT only; `None`: no such claim).
    pub(crate) nbf: Option<i64>,
    /// More JWT claims, added last (JWT only).
    pub(crate) extra: serde_json::Map<String, serde_json::Value>,
}

/// Why a token is not usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Invalid {
    /// Not ours: bad syntax or MAC.
    Garbage,
    /// Past `exp`.
    Expired,
    /// In the revocation set.
    Revoked,
    /// Before its `nbf`.
    NotYetValid,
}

impl Invalid {
    pub(crate) fn description(self) -> &'static str {
        match self {
            Self::Garbage => "the access token is not valid",
            Self::Expired => "the access token expired",
            Self::Revoked => "the access token was revoked",
            Self::NotYetValid => "the access token is not valid yet",
        }
    }
}

/// Mints and checks tokens; holds the revocation set.
pub(crate) struct Issuer {
    /// Keyed once with a per-server random key; cloned per token.
    mac: HmacSha256,
    revoked: Mutex<HashMap<[u8; 16], i64>>,
    max_revocations: usize,
    jwt: JwtIssuer,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("key", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

impl Issuer {
    pub(crate) fn new(max_revocations: usize, jwt: JwtIssuer) -> Self {
        Self {
            mac: crate::state::keyed(&crate::state::os_random::<32>()),
            revoked: Mutex::new(HashMap::new()),
            max_revocations,
            jwt,
        }
    }

    /// The JWT half: keys, JWKS, and the minting steps.
    pub(crate) fn jwt(&self) -> &JwtIssuer {
        &self.jwt
    }

    fn mac(&self) -> HmacSha256 {
        self.mac.clone()
    }

    /// A token for `claims` in `format`; only a JWT's signing can fail.
    pub(crate) fn mint(&self, claims: &Claims, format: TokenFormat) -> Result<String, MintError> {
        match format {
            TokenFormat::Jwt => self.jwt.mint(claims),
            TokenFormat::Opaque => Ok(self.mint_opaque(claims)),
        }
    }

    fn mint_opaque(&self, claims: &Claims) -> String {
        // The record is on the stack when it fits (it does for the usual
        // client id and scope): the token is the one allocation (issue 17).
        let payload = encode(claims);
        let mut mac = self.mac();
        mac.update(&payload);
        let tag = mac.finalize().into_bytes();
        // One allocation for the whole token, both parts encoded in place:
        // their lengths are known (`encode_string` goes through a chunked
        // writer and checks UTF-8 per chunk).
        let payload_len = base64::encoded_len(payload.len(), false).unwrap_or(0);
        let tag_len = base64::encoded_len(tag.len(), false).unwrap_or(0);
        let mut token = vec![b'.'; payload_len + 1 + tag_len];
        let (head, tail) = token.split_at_mut(payload_len);
        let encoded = URL_SAFE_NO_PAD
            .encode_slice(&payload, head)
            .and_then(|_| URL_SAFE_NO_PAD.encode_slice(tag, &mut tail[1..]));
        if let (Ok(_), Ok(token)) = (encoded, String::from_utf8(token)) {
            return token;
        }
        // Unreachable (the lengths are base64's own): the slow way.
        let mut token = URL_SAFE_NO_PAD.encode(&payload);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(tag, &mut token);
        token
    }

    /// Decodes and checks the MAC or signature (a JWT's key must be
    /// published at `now`); does not look at `exp`, `nbf` or revocation.
    pub(crate) fn decode(&self, token: &str, now: i64) -> Result<Claims, Invalid> {
        if jwt::is_jwt(token) {
            self.jwt.decode(token, now)
        } else {
            self.decode_opaque(token)
        }
    }

    fn decode_opaque(&self, token: &str) -> Result<Claims, Invalid> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(Invalid::Garbage);
        }
        let (payload, tag) = token.split_once('.').ok_or(Invalid::Garbage)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| Invalid::Garbage)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| Invalid::Garbage)?;
        let mut mac = self.mac();
        mac.update(&payload);
        mac.verify_slice(&tag).map_err(|_| Invalid::Garbage)?;
        decode(&payload).ok_or(Invalid::Garbage)
    }

    /// Decodes and checks time and revocation at `now` (unix seconds).
    /// `exp` and `nbf` are auth-core's RFC 7519 rules, without leeway: the
    /// mock's clock is the one that issued the token.
    pub(crate) fn validate(&self, token: &str, now: i64) -> Result<Claims, Invalid> {
        let claims = self.decode(token, now)?;
        let at = time::OffsetDateTime::from_unix_timestamp(now)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        if auth_core::jose::check_expiry(claims.exp, at, time::Duration::ZERO).is_err() {
            return Err(Invalid::Expired);
        }
        if auth_core::jose::check_not_before(claims.nbf, at, time::Duration::ZERO).is_err() {
            return Err(Invalid::NotYetValid);
        }
        if self.lock().contains_key(&claims.jti) {
            return Err(Invalid::Revoked);
        }
        Ok(claims)
    }

    /// Adds a token to the revocation set; entries leave once expired.
    /// `false` when the set is full of live entries.
    pub(crate) fn revoke(&self, claims: &Claims, now: i64) -> bool {
        let mut revoked = self.lock();
        if revoked.len() >= self.max_revocations {
            revoked.retain(|_, exp| *exp > now);
        }
        if revoked.len() >= self.max_revocations {
            return false;
        }
        revoked.insert(claims.jti, claims.exp);
        true
    }

    pub(crate) fn clear_revocations(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 16], i64>> {
        self.revoked.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Payloads up to this many bytes are written on the stack.
const STACK_PAYLOAD: usize = 256;

/// The claims record, on the stack up to [`STACK_PAYLOAD`] bytes.
type Payload = SmallVec<[u8; STACK_PAYLOAD]>;

fn push_str(out: &mut Payload, s: &str) {
    // Ids, scopes and audiences are bounded by the request body limit.
    let len = u16::try_from(s.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&s.as_bytes()[..usize::from(len)]);
}

/// The scope as [`push_str`] writes its string form, without making the string.
fn push_scope(out: &mut Payload, scope: &ScopeSet) {
    let at = out.len();
    out.extend_from_slice(&[0, 0]);
    let mut first = true;
    for token in scope.iter() {
        if !first {
            out.push(b' ');
        }
        first = false;
        out.extend_from_slice(token.as_str().as_bytes());
    }
    // Cut as `push_str` cuts: scopes are bounded by the request body limit.
    let written = out.len() - at - 2;
    let len = u16::try_from(written).unwrap_or(u16::MAX);
    out.truncate(at + 2 + usize::from(len));
    if let Some(prefix) = out.get_mut(at..at + 2) {
        prefix.copy_from_slice(&len.to_be_bytes());
    }
}

fn encode(claims: &Claims) -> Payload {
    let scope_len: usize = claims.scope.iter().map(|s| s.as_str().len() + 1).sum();
    let audience_len: usize = claims.audience.iter().map(|a| a.len() + 2).sum();
    let mut out = Payload::with_capacity(48 + claims.client_id.len() + scope_len + audience_len);
    out.push(VERSION);
    out.extend_from_slice(&claims.iat.to_be_bytes());
    out.extend_from_slice(&claims.exp.to_be_bytes());
    out.extend_from_slice(&claims.jti);
    push_str(&mut out, &claims.client_id);
    push_scope(&mut out, &claims.scope);
    let count = u8::try_from(claims.audience.len()).unwrap_or(u8::MAX);
    out.push(count);
    for aud in claims.audience.iter().take(usize::from(count)) {
        push_str(&mut out, aud);
    }
    out
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }
    fn string(&mut self) -> Option<String> {
        let len = u16::from_be_bytes(self.take(2)?.try_into().ok()?);
        String::from_utf8(self.take(usize::from(len))?.to_vec()).ok()
    }
}

pub(crate) fn decode(payload: &[u8]) -> Option<Claims> {
    let mut r = Reader(payload);
    if r.take(1)? != [VERSION] {
        return None;
    }
    let iat = r.i64()?;
    let exp = r.i64()?;
    let jti: [u8; 16] = r.take(16)?.try_into().ok()?;
    let client_id = r.string()?;
    let scope = ScopeSet::parse(&r.string()?).ok()?;
    let count = r.take(1)?[0];
    let audience = (0..count).map(|_| r.string()).collect::<Option<Vec<_>>>()?;
    r.0.is_empty().then_some(Claims {
        client_id,
        scope,
        iat,
        exp,
        jti,
        audience,
        nbf: None,
        extra: serde_json::Map::new(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn claims() -> Claims {
        Claims {
            client_id: "client:id+1".into(),
            scope: ScopeSet::parse("read write").unwrap(),
            iat: 1_700_000_000,
            exp: 1_700_003_600,
            jti: rand::random(),
            audience: vec!["https://api.example.com/".into()],
            nbf: None,
            extra: serde_json::Map::new(),
        }
    }

    /// Any string, rarely one longer than a claim's 16-bit length prefix.
    fn any_text() -> impl Strategy<Value = String> {
        prop_oneof![
            10 => "\\PC{0,40}",
            1 => proptest::collection::vec(any::<char>(), 16_000..17_000)
                .prop_map(|chars| chars.into_iter().collect()),
        ]
    }

    /// Claims as the token endpoint builds them: a scope that parsed, and
    /// at most one audience per form pair.
    fn any_claims() -> impl Strategy<Value = Claims> {
        (
            any_text(),
            proptest::collection::vec("[!#-\\[\\]-~]{1,12}", 0..6),
            any::<i64>(),
            any::<i64>(),
            any::<[u8; 16]>(),
            prop_oneof![
                9 => proptest::collection::vec("\\PC{0,40}", 0..4),
                1 => proptest::collection::vec("[a-z:/]{0,8}", 0..=crate::routes::MAX_FORM_PAIRS),
            ],
        )
            .prop_map(|(client_id, scopes, iat, exp, jti, audience)| Claims {
                client_id,
                scope: ScopeSet::parse(&scopes.join(" ")).unwrap(),
                iat,
                exp,
                jti,
                audience,
                nbf: None,
                extra: serde_json::Map::new(),
            })
    }

    pub(crate) fn test_issuer(max_revocations: usize) -> Issuer {
        let keys = crate::keys::KeyRing::load(
            &crate::keys::Keys::Embedded,
            auth_core::jose::Algorithm::EdDsa,
        )
        .unwrap();
        Issuer::new(
            max_revocations,
            JwtIssuer::new(
                "http://127.0.0.1:1".into(),
                "http://127.0.0.1:1/resource".into(),
                keys,
            ),
        )
    }

    fn issuer() -> &'static Issuer {
        static ISSUER: std::sync::OnceLock<Issuer> = std::sync::OnceLock::new();
        ISSUER.get_or_init(|| test_issuer(8))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// A minted token is a `b64token` (RFC 6750 §2.1) and decodes to
        /// exactly its claims, or is refused whole: never other claims.
        #[test]
        fn prop_mint_decode_roundtrip(claims in any_claims()) {
            let token = issuer().mint(&claims, TokenFormat::Opaque).unwrap();
            prop_assert!(
                token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b)),
                "{token}"
            );
            match issuer().decode(&token, 0) {
                Ok(decoded) => prop_assert_eq!(decoded, claims),
                Err(invalid) => {
                    prop_assert_eq!(invalid, Invalid::Garbage);
                    prop_assert!(token.len() > MAX_TOKEN_LEN, "a short token must decode");
                }
            }
        }

        #[test]
        fn prop_any_text_decodes_to_garbage_without_panicking(token in "\\PC{0,200}") {
            prop_assert_eq!(issuer().decode(&token, 0), Err(Invalid::Garbage));
        }
    }

    #[test]
    fn tampered_or_foreign_tokens_are_garbage() {
        let issuer = test_issuer(8);
        let token = issuer.mint(&claims(), TokenFormat::Opaque).unwrap();
        let other = test_issuer(8);
        assert_eq!(other.decode(&token, 0), Err(Invalid::Garbage));
        let mut bytes = token.into_bytes();
        bytes[3] = if bytes[3] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            issuer.decode(&String::from_utf8(bytes).unwrap(), 0),
            Err(Invalid::Garbage)
        );
        for junk in ["", ".", "a.b", "abc", "..."] {
            assert_eq!(issuer.decode(junk, 0), Err(Invalid::Garbage));
        }
    }

    #[test]
    fn expiry_and_revocation_are_checked() {
        for format in [TokenFormat::Opaque, TokenFormat::Jwt] {
            expiry_and_revocation_are_checked_in(format);
        }
    }

    fn expiry_and_revocation_are_checked_in(format: TokenFormat) {
        let issuer = test_issuer(1);
        let c = claims();
        let token = issuer.mint(&c, format).unwrap();
        assert!(issuer.validate(&token, c.iat).is_ok());
        assert_eq!(issuer.validate(&token, c.exp), Err(Invalid::Expired));
        assert!(issuer.revoke(&c, c.iat));
        assert_eq!(issuer.validate(&token, c.iat), Err(Invalid::Revoked));
        // The set is bounded: a second live entry does not fit, an expired one is dropped.
        let mut d = claims();
        d.jti = [1; 16];
        assert!(!issuer.revoke(&d, c.iat));
        assert!(issuer.revoke(&d, c.exp));
    }
}
