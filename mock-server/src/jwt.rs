//! RFC 9068 JWT access tokens: minting (header and claims from the
//! token's [`Claims`], signed by the [`KeyRing`]'s signer) and checking (a
//! published key's signature, then auth-core's RFC 9068 §4 rules).
//!
//! The building blocks are separate ([`JwtIssuer::header`],
//! [`JwtIssuer::access_token_claims`], [`JwtIssuer::sign`]) so a fault can
//! reshape a token between them; [`JwtIssuer::mint`] is the straight path.

use std::sync::Arc;

use auth_core::ScopeSet;
use auth_core::jose::{
    self, AccessTokenClaims, Audience, CompactJws, EncodedHeader, Header, JwsError, SigningInput,
};
use serde::ser::SerializeMap as _;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::issuer::{Claims, Invalid};
use crate::keys::{KeyRing, SignError, SigningKey};

/// Why a JWT access token could not be made. The token endpoint answers
/// `500 server_error` rather than hand out a token with an empty payload
/// or signature.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MintError {
    /// The claims did not serialize as JSON.
    #[error("the token's claims do not serialize")]
    Claims(#[source] JwsError),
    /// The key did not sign.
    #[error("the token could not be signed")]
    Sign(#[from] SignError),
}

/// Mints and checks JWT access tokens.
#[derive(Debug)]
pub(crate) struct JwtIssuer {
    /// `iss`: the metadata `issuer`, byte for byte (RFC 9068 §2.2, S-55).
    issuer: String,
    /// `aud` when the request named no `resource` (RFC 9068 §3, S-59).
    default_audience: String,
    keys: KeyRing,
}

impl JwtIssuer {
    pub(crate) fn new(issuer: String, default_audience: String, keys: KeyRing) -> Self {
        Self {
            issuer,
            default_audience,
            keys,
        }
    }

    pub(crate) fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// The signer now, and the RFC 9068 §2.1 header naming it.
    pub(crate) fn header(&self) -> (Header, Arc<SigningKey>) {
        let key = self.keys.signer();
        (key.header().header().clone(), key)
    }

    /// The RFC 9068 §2.2 claims of a token: `sub` and `client_id` are the
    /// client, `aud` the requested resources or else the default audience.
    pub(crate) fn access_token_claims(&self, claims: &Claims) -> AccessTokenClaims {
        let aud = if claims.audience.is_empty() {
            Audience::One(self.default_audience.clone())
        } else {
            Audience::from_values(claims.audience.clone())
        };
        AccessTokenClaims {
            iss: self.issuer.clone(),
            sub: claims.client_id.clone(),
            aud,
            exp: claims.exp,
            iat: claims.iat,
            nbf: claims.nbf,
            jti: hex(&claims.jti),
            client_id: claims.client_id.clone(),
            scope: (!claims.scope.is_empty()).then(|| claims.scope.to_string()),
            extra: Map::new(),
        }
    }

    /// Signs `claims` under `header` with `key`: a compact JWS. (A fault's
    /// path: [`mint`](Self::mint) reuses the key's encoded header.)
    pub(crate) fn sign<C: Serialize + ?Sized>(
        key: &SigningKey,
        header: &Header,
        claims: &C,
    ) -> Result<String, MintError> {
        if key.header().header() == header {
            Self::sign_encoded(key, key.header(), claims)
        } else {
            Self::sign_encoded(key, &EncodedHeader::new(header), claims)
        }
    }

    /// One buffer: the encoded header, `.`, the claims serialized and
    /// encoded, then the signature over it appended.
    fn sign_encoded<C: Serialize + ?Sized>(
        key: &SigningKey,
        header: &EncodedHeader,
        claims: &C,
    ) -> Result<String, MintError> {
        let input = SigningInput::with_encoded_header(header, claims).map_err(MintError::Claims)?;
        let signature = key.sign(input.as_bytes())?;
        Ok(input.finish(&signature))
    }

    /// A token for `claims`; `claims.extra` members are added last and win
    /// over registered claims of the same name (a custom `sub`, say).
    pub(crate) fn mint(&self, claims: &Claims) -> Result<String, MintError> {
        let key = self.keys.signer();
        let jti = hex(&claims.jti);
        let scope = claims.scope.to_string();
        let payload = Payload {
            iss: &self.issuer,
            sub: &claims.client_id,
            aud: match claims.audience.as_slice() {
                [] => Aud::One(&self.default_audience),
                [one] => Aud::One(one),
                many => Aud::Many(many),
            },
            exp: claims.exp,
            iat: claims.iat,
            nbf: claims.nbf,
            jti: &jti,
            client_id: &claims.client_id,
            scope: (!scope.is_empty()).then_some(scope.as_str()),
            extra: &claims.extra,
        };
        Self::sign_encoded(&key, key.header(), &payload)
    }

    /// A token's claims when a key published at `now` signed it, with the
    /// algorithm that key is for (RFC 8725 §3.1: the token does not choose),
    /// and it is an access token of this issuer (RFC 9068 §4: `typ`, `iss`).
    /// Time and revocation are the caller's ([`Issuer::validate`](crate::issuer::Issuer::validate)).
    pub(crate) fn decode(&self, token: &str, now: i64) -> Result<Claims, Invalid> {
        let jws = CompactJws::parse(token).map_err(|_| Invalid::Garbage)?;
        let header = jws.header();
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.keys.find(kid, now))
            .ok_or(Invalid::Garbage)?;
        if key.alg() != header.alg || !key.verify(jws.signing_input(), jws.signature()) {
            return Err(Invalid::Garbage);
        }
        let body = AccessTokenClaims::from_json(jws.payload()).map_err(|_| Invalid::Garbage)?;
        jose::check_type(header.typ.as_deref()).map_err(|_| Invalid::Garbage)?;
        jose::check_issuer(&body.iss, &self.issuer).map_err(|_| Invalid::Garbage)?;
        let scope = ScopeSet::parse(body.scope.as_deref().unwrap_or_default())
            .map_err(|_| Invalid::Garbage)?;
        Ok(Claims {
            jti: jti_key(&body.jti),
            audience: body.aud.iter().map(str::to_owned).collect(),
            client_id: body.client_id,
            scope,
            iat: body.iat,
            exp: body.exp,
            nbf: body.nbf,
            extra: body.extra,
        })
    }
}

/// The claims of a token as its payload prints them, borrowed: the
/// registered claims (RFC 9068 §2.2) in [`AccessTokenClaims`]'s order, each
/// unless an extra claim of the same name replaces it (RFC 7519 §4: a name
/// appears once in a claims set), then the extra claims.
pub(crate) struct Payload<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: Aud<'a>,
    exp: i64,
    iat: i64,
    nbf: Option<i64>,
    jti: &'a str,
    client_id: &'a str,
    scope: Option<&'a str>,
    extra: &'a Map<String, Value>,
}

/// `aud`: a string for one audience, else an array (RFC 7519 §4.1.3).
#[derive(Serialize)]
#[serde(untagged)]
enum Aud<'a> {
    One(&'a str),
    Many(&'a [String]),
}

impl<'a> From<&'a AccessTokenClaims> for Payload<'a> {
    fn from(claims: &'a AccessTokenClaims) -> Self {
        Self {
            iss: &claims.iss,
            sub: &claims.sub,
            aud: match &claims.aud {
                Audience::One(one) => Aud::One(one),
                Audience::Many(many) => Aud::Many(many),
            },
            exp: claims.exp,
            iat: claims.iat,
            nbf: claims.nbf,
            jti: &claims.jti,
            client_id: &claims.client_id,
            scope: claims.scope.as_deref(),
            extra: &claims.extra,
        }
    }
}

impl Serialize for Payload<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// A registered claim, unless an extra one replaces it.
        fn registered<M: serde::ser::SerializeMap, V: Serialize + ?Sized>(
            map: &mut M,
            extra: &Map<String, Value>,
            name: &str,
            value: &V,
        ) -> Result<(), M::Error> {
            if extra.contains_key(name) {
                Ok(())
            } else {
                map.serialize_entry(name, value)
            }
        }
        let extra = self.extra;
        let mut map = serializer.serialize_map(None)?;
        registered(&mut map, extra, "iss", self.iss)?;
        registered(&mut map, extra, "sub", self.sub)?;
        registered(&mut map, extra, "aud", &self.aud)?;
        registered(&mut map, extra, "exp", &self.exp)?;
        registered(&mut map, extra, "iat", &self.iat)?;
        if let Some(nbf) = &self.nbf {
            registered(&mut map, extra, "nbf", nbf)?;
        }
        registered(&mut map, extra, "jti", self.jti)?;
        registered(&mut map, extra, "client_id", self.client_id)?;
        if let Some(scope) = self.scope {
            registered(&mut map, extra, "scope", scope)?;
        }
        for (name, value) in extra {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// True for a token in the JWS compact form (three parts); the opaque
/// format has two.
pub(crate) fn is_jwt(token: &str) -> bool {
    token.bytes().filter(|b| *b == b'.').count() == 2
}

/// The revocation-set key of a `jti`: the 16 bytes the mock minted, read
/// back from hex, or for any other `jti` the first 16 bytes of its SHA-256.
fn jti_key(jti: &str) -> [u8; 16] {
    let mut out = [0; 16];
    let hex_ok = jti.len() == 32
        && jti
            .as_bytes()
            .chunks(2)
            .zip(out.iter_mut())
            .all(|(pair, byte)| {
                std::str::from_utf8(pair)
                    .ok()
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                    .map(|value| *byte = value)
                    .is_some()
            });
    if !hex_ok || hex(&out) != jti {
        out.copy_from_slice(&Sha256::digest(jti.as_bytes())[..16]);
    }
    out
}

/// Lowercase hex, as introspection prints a `jti`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;
    use crate::keys::Keys;
    use auth_core::jose::Algorithm;

    fn issuer(alg: Algorithm) -> JwtIssuer {
        JwtIssuer::new(
            "http://127.0.0.1:1".into(),
            "http://127.0.0.1:1/resource".into(),
            KeyRing::load(&Keys::Embedded, alg).unwrap(),
        )
    }

    fn claims() -> Claims {
        Claims {
            client_id: "svc".into(),
            scope: ScopeSet::parse("read write").unwrap(),
            iat: 1_700_000_000,
            exp: 1_700_003_600,
            nbf: None,
            jti: rand::random(),
            audience: Vec::new(),
            extra: Map::new(),
        }
    }

    #[test]
    fn a_minted_jwt_decodes_to_its_claims_for_every_algorithm() {
        for alg in Algorithm::ASYMMETRIC {
            let issuer = issuer(alg);
            let mut claims = claims();
            let token = issuer.mint(&claims).unwrap();
            assert!(is_jwt(&token));
            // No `resource` asked for: the default audience.
            claims.audience = vec!["http://127.0.0.1:1/resource".into()];
            assert_eq!(issuer.decode(&token, 0), Ok(claims), "{alg}");
        }
    }

    #[test]
    fn a_jwt_signed_by_another_key_or_algorithm_is_garbage() {
        let rs = issuer(Algorithm::Rs256);
        let es = issuer(Algorithm::Es256);
        let token = es.mint(&claims()).unwrap();
        assert_eq!(rs.decode(&token, 0), Err(Invalid::Garbage));
        // The right kid, but the header claims another algorithm.
        let (mut header, key) = rs.header();
        header.alg = Algorithm::Hs256;
        let forged = JwtIssuer::sign(&key, &header, &rs.access_token_claims(&claims())).unwrap();
        assert_eq!(rs.decode(&forged, 0), Err(Invalid::Garbage));
    }

    #[test]
    fn a_jwt_with_typ_jwt_or_another_issuer_is_garbage() {
        let rs = issuer(Algorithm::Rs256);
        let (mut header, key) = rs.header();
        header.typ = Some("JWT".into());
        let token = JwtIssuer::sign(&key, &header, &rs.access_token_claims(&claims())).unwrap();
        assert_eq!(rs.decode(&token, 0), Err(Invalid::Garbage));
        let (header, key) = rs.header();
        let mut body = rs.access_token_claims(&claims());
        body.iss.push('/');
        let token = JwtIssuer::sign(&key, &header, &body).unwrap();
        assert_eq!(rs.decode(&token, 0), Err(Invalid::Garbage));
    }

    #[test]
    fn extra_claims_are_added_and_may_replace_registered_ones() {
        let rs = issuer(Algorithm::EdDsa);
        let mut claims = claims();
        claims
            .extra
            .insert("tid".into(), Value::String("tenant".into()));
        claims
            .extra
            .insert("sub".into(), Value::String("u-1".into()));
        let token = rs.mint(&claims).unwrap();
        let jws = CompactJws::parse(&token).unwrap();
        let body: Map<String, Value> = serde_json::from_slice(jws.payload()).unwrap();
        assert_eq!(body["tid"], "tenant");
        assert_eq!(body["sub"], "u-1");
        assert_eq!(body["client_id"], "svc");
    }

    #[test]
    fn claims_that_do_not_serialize_are_an_error_not_an_empty_payload() {
        // A map with non-string keys has no JSON form.
        let unprintable = std::collections::BTreeMap::from([((1, 2), 3)]);
        let rs = issuer(Algorithm::EdDsa);
        let (header, key) = rs.header();
        let error = JwtIssuer::sign(&key, &header, &unprintable).unwrap_err();
        assert!(matches!(error, MintError::Claims(_)), "{error:?}");
        insta::assert_snapshot!(error, @"the token's claims do not serialize");
    }

    #[test]
    fn a_faulted_token_carries_an_extra_claim_named_like_a_registered_one_once() {
        let es = issuer(Algorithm::Es256);
        let (header, key) = es.header();
        let mut body = es.access_token_claims(&claims());
        body.extra
            .insert("iss".into(), Value::String("https://other".into()));
        body.extra.insert("sub".into(), Value::from(7));
        let token = JwtIssuer::sign(&key, &header, &Payload::from(&body)).unwrap();
        let jws = CompactJws::parse(&token).unwrap();
        let text = std::str::from_utf8(jws.payload()).unwrap();
        assert_eq!(text.matches(r#""iss""#).count(), 1, "{text}");
        assert_eq!(text.matches(r#""sub""#).count(), 1, "{text}");
        let printed: Map<String, Value> = serde_json::from_str(text).unwrap();
        assert_eq!(printed["iss"], "https://other");
        assert_eq!(printed["sub"], 7);
        // The straight path prints the registered claims in their order.
        let plain = es.mint(&claims()).unwrap();
        let plain = CompactJws::parse(&plain).unwrap();
        let text = std::str::from_utf8(plain.payload()).unwrap();
        let at = |name: &str| text.find(&format!(r#""{name}":"#)).unwrap();
        let names = [
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "jti",
            "client_id",
            "scope",
        ];
        assert!(names.windows(2).all(|w| at(w[0]) < at(w[1])), "{text}");
        assert_eq!(plain.header(), &header);
    }

    #[test]
    fn jti_keys_read_minted_hex_back_and_hash_anything_else() {
        let bytes: [u8; 16] = rand::random();
        assert_eq!(jti_key(&hex(&bytes)), bytes);
        assert_ne!(jti_key("some-other-jti"), jti_key("some-other-jt1"));
        assert_ne!(jti_key(&hex(&bytes).to_uppercase()), bytes);
    }
}
