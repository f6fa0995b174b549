//! Client authentication by signed assertion (RFC 7523 §2.2, §3; RFC 7521
//! §4.2; OIDC Core §9): the claims ([`AssertionClaims`]), the public
//! identity of the signing key ([`AssertionKey`]), the audience choice
//! ([`AssertionAudience`]), and the two signing steps
//! ([`UnsignedAssertion`] → [`ClientAssertion`]).
//!
//! Sans-IO like the rest of this crate: the time (`now`) and the `jti` come
//! in as arguments, and the signature comes from the caller, who signs
//! [`UnsignedAssertion::signing_input`] with a local key, a KMS or an HSM.
//! `auth-http` holds the async signer and a default one for PEM and JWK
//! keys.
//!
//! ```
//! # fn main() -> Result<(), auth_core::Error> {
//! use auth_core::jose::{Algorithm, AssertionClaims, AssertionKey, UnsignedAssertion};
//! let now = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
//! let claims = AssertionClaims::new("svc", "https://as.example", now, "8c1e0f6a");
//! assert_eq!(claims.exp - claims.iat, 60);
//! let unsigned = UnsignedAssertion::new(&AssertionKey::new(Algorithm::Es256).with_kid("k1"), &claims)?;
//! let signature = [7u8; 64]; // from the key's owner, over unsigned.signing_input()
//! let assertion = unsigned.finish(&signature);
//! assert_eq!(format!("{assertion:?}"), "ClientAssertion([REDACTED])");
//! # Ok(()) }
//! ```

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::algorithm::Algorithm;
use super::compact::SigningInput;
use super::error::JwsError;
use super::header::Header;
use super::jwk::PublicKey;

/// `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub const CLIENT_ASSERTION_TYPE_JWT_BEARER: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is valid: 60 s. OIDC Core §9 makes it single-use,
/// and about a minute is what Okta, Entra and Keycloak document (C-67).
pub const ASSERTION_LIFETIME: time::Duration = time::Duration::seconds(60);

/// The `typ` header of a client assertion (RFC 7519 §5.1: `JWT`).
pub const TYP_JWT: &str = "JWT";

/// Which `aud` an assertion carries (RFC 7523 §3 item 3, C-66).
///
/// The default, [`IssuerWhenKnown`](Self::IssuerWhenKnown), is the current
/// guidance (draft-ietf-oauth-rfc7523bis, after the 2025 audience-injection
/// findings): the RFC 8414 issuer identifier as a single string when it is
/// known, else the token endpoint URL. [`TokenEndpoint`](Self::TokenEndpoint)
/// is for older servers that expect only the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum AssertionAudience {
    /// The issuer identifier when known, else the token endpoint URL.
    #[default]
    IssuerWhenKnown,
    /// Always the token endpoint URL.
    TokenEndpoint,
}

impl AssertionAudience {
    /// The configuration name: `issuer` or `token_endpoint`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::IssuerWhenKnown => "issuer",
            Self::TokenEndpoint => "token_endpoint",
        }
    }

    /// The `aud` value: `issuer` when this choice takes it and it is known,
    /// else `token_endpoint`.
    #[must_use]
    pub fn select<'a>(self, issuer: Option<&'a str>, token_endpoint: &'a str) -> &'a str {
        match (self, issuer) {
            (Self::IssuerWhenKnown, Some(issuer)) => issuer,
            _ => token_endpoint,
        }
    }
}

impl FromStr for AssertionAudience {
    type Err = JwsError;

    /// Parses [`AssertionAudience::name`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "issuer" => Ok(Self::IssuerWhenKnown),
            "token_endpoint" => Ok(Self::TokenEndpoint),
            other => Err(JwsError::UnknownAudienceChoice(super::error::excerpt(
                other,
            ))),
        }
    }
}

/// The public identity of the key that signs a client's assertions: its
/// algorithm, its `kid` and its RFC 7638 JWK thumbprint. Not secret; the
/// thumbprint is part of the request identity ([`crate::RequestKey`]), so
/// a token fetched with one key is never taken for one fetched with
/// another.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AssertionKey {
    alg: Algorithm,
    kid: Option<String>,
    thumbprint: Option<String>,
}

impl AssertionKey {
    /// A key for `alg`, with no `kid` and no thumbprint.
    #[must_use]
    pub fn new(alg: Algorithm) -> Self {
        Self {
            alg,
            kid: None,
            thumbprint: None,
        }
    }

    /// Sets `kid`, written to the assertion's header (C-69: set when the
    /// client has several keys).
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Sets the RFC 7638 thumbprint (see [`PublicKey::thumbprint`]).
    #[must_use]
    pub fn with_thumbprint(mut self, thumbprint: impl Into<String>) -> Self {
        self.thumbprint = Some(thumbprint.into());
        self
    }

    /// The algorithm.
    #[must_use]
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The key id, if any.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The RFC 7638 thumbprint, if known.
    #[must_use]
    pub fn thumbprint(&self) -> Option<&str> {
        self.thumbprint.as_deref()
    }

    /// The assertion's protected header: `alg`, `typ: JWT`, `kid`.
    #[must_use]
    pub fn header(&self) -> Header {
        Header {
            alg: self.alg,
            typ: Some(TYP_JWT.to_owned()),
            kid: self.kid.clone(),
        }
    }
}

impl PublicKey {
    /// The RFC 7638 JWK thumbprint: SHA-256 over the required members in
    /// lexicographic order, no whitespace (§3.2), base64url without padding.
    ///
    /// ```
    /// use auth_core::jose::PublicKey;
    /// // RFC 8037 Appendix A.3.
    /// let x = [0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    ///          0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a];
    /// assert_eq!(PublicKey::Ed25519 { x: x.to_vec() }.thumbprint(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    /// ```
    #[must_use]
    pub fn thumbprint(&self) -> String {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        // Members in lexicographic order (RFC 7638 §3.3); every value is
        // base64url or a fixed name, so no JSON escaping is needed.
        let json = match self {
            Self::Rsa { n, e } => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, b64(e), b64(n)),
            Self::P256 { x, y } => format!(
                r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                b64(x),
                b64(y)
            ),
            Self::Ed25519 { x } => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, b64(x)),
        };
        b64(&Sha256::digest(json.as_bytes()))
    }
}

/// The claims of a client assertion (RFC 7523 §3, OIDC Core §9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertionClaims {
    /// REQUIRED. The client id (RFC 7523 §3 item 1).
    pub iss: String,
    /// REQUIRED. The client id again (RFC 7523 §3 item 2.B).
    pub sub: String,
    /// REQUIRED. The authorization server, one string (§3 item 3; see
    /// [`AssertionAudience`]).
    pub aud: String,
    /// REQUIRED. Expiry, seconds since the epoch (§3 item 4).
    pub exp: i64,
    /// REQUIRED here. When it was made, seconds since the epoch (§3 item 6;
    /// OIDC Core §9 requires it).
    pub iat: i64,
    /// REQUIRED here. Unique per request, retries included (§3 item 7, OIDC
    /// Core §9, C-68).
    pub jti: String,
}

impl AssertionClaims {
    /// `iss` = `sub` = `client_id`, `aud`, `iat` = `now`, `exp` = `now` +
    /// [`ASSERTION_LIFETIME`], and `jti`, which must be fresh for every
    /// request: a retry needs a new one (C-68).
    #[must_use]
    pub fn new(
        client_id: &str,
        aud: impl Into<String>,
        now: OffsetDateTime,
        jti: impl Into<String>,
    ) -> Self {
        let iat = now.unix_timestamp();
        Self {
            iss: client_id.to_owned(),
            sub: client_id.to_owned(),
            aud: aud.into(),
            exp: iat.saturating_add(ASSERTION_LIFETIME.whole_seconds()),
            iat,
            jti: jti.into(),
        }
    }
}

/// An assertion waiting for its signature: the first of the two signing
/// steps ([`SigningInput`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsignedAssertion {
    input: SigningInput,
    alg: Algorithm,
}

impl UnsignedAssertion {
    /// Serializes the header of `key` and `claims`.
    pub fn new(key: &AssertionKey, claims: &AssertionClaims) -> Result<Self, JwsError> {
        Ok(Self {
            input: SigningInput::new(&key.header(), claims)?,
            alg: key.alg,
        })
    }

    /// The algorithm the signature must use.
    #[must_use]
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The bytes to sign.
    #[must_use]
    pub fn signing_input(&self) -> &[u8] {
        self.input.as_bytes()
    }

    /// The signed assertion.
    #[must_use]
    pub fn finish(self, signature: &[u8]) -> ClientAssertion {
        ClientAssertion(SecretString::from(self.input.finish(signature)))
    }
}

/// A signed client assertion (a compact JWS). A credential for its
/// lifetime (C-70): `Debug` prints `[REDACTED]`, there is no `Display`,
/// the memory is zeroed on drop; read it with
/// [`expose_secret`](Self::expose_secret).
#[derive(Clone)]
pub struct ClientAssertion(SecretString);

impl ClientAssertion {
    /// Wraps an assertion signed elsewhere.
    pub fn new(compact: impl Into<String>) -> Self {
        Self(SecretString::from(compact.into()))
    }

    /// The compact JWS.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for ClientAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientAssertion([REDACTED])")
    }
}

impl PartialEq for ClientAssertion {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.expose_secret()
            .as_bytes()
            .ct_eq(other.expose_secret().as_bytes())
            .into()
    }
}

impl Eq for ClientAssertion {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::CompactJws;

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    #[test]
    fn claims_name_the_client_twice_and_live_sixty_seconds_rfc7523_3() {
        let claims = AssertionClaims::new("svc", "https://as.example", at(1_700_000_000), "j1");
        assert_eq!(claims.iss, "svc");
        assert_eq!(claims.sub, "svc");
        assert_eq!(claims.aud, "https://as.example");
        assert_eq!(claims.iat, 1_700_000_000);
        assert_eq!(claims.exp, 1_700_000_060);
        assert_eq!(claims.jti, "j1");
        assert_eq!(
            serde_json::to_string(&claims).ok().as_deref(),
            Some(
                r#"{"iss":"svc","sub":"svc","aud":"https://as.example","exp":1700000060,"iat":1700000000,"jti":"j1"}"#
            )
        );
    }

    #[test]
    fn header_carries_alg_typ_and_kid_never_none() -> Result<(), JwsError> {
        let key = AssertionKey::new(Algorithm::Rs256).with_kid("k1");
        assert_eq!(
            key.header().to_json(),
            r#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#
        );
        let unsigned = UnsignedAssertion::new(
            &AssertionKey::new(Algorithm::Hs256),
            &AssertionClaims::new("c", "a", at(1), "j"),
        )?;
        let token = unsigned.finish(&[1, 2, 3]);
        let jws = CompactJws::parse(token.expose_secret())?;
        assert_eq!(jws.header().alg, Algorithm::Hs256);
        assert_eq!(jws.header().kid, None);
        assert_eq!(jws.signature(), &[1, 2, 3]);
        let claims: AssertionClaims =
            serde_json::from_slice(jws.payload()).map_err(|source| JwsError::Json {
                part: super::super::Part::Payload,
                source,
            })?;
        assert_eq!(claims.jti, "j");
        Ok(())
    }

    #[test]
    fn audience_is_the_issuer_when_known_else_the_token_endpoint_c66() {
        let endpoint = "https://as.example/oauth/token";
        let issuer = Some("https://as.example");
        assert_eq!(
            AssertionAudience::default().select(issuer, endpoint),
            "https://as.example"
        );
        assert_eq!(
            AssertionAudience::default().select(None, endpoint),
            endpoint
        );
        assert_eq!(
            AssertionAudience::TokenEndpoint.select(issuer, endpoint),
            endpoint
        );
        for choice in [
            AssertionAudience::IssuerWhenKnown,
            AssertionAudience::TokenEndpoint,
        ] {
            assert_eq!(
                choice.name().parse::<AssertionAudience>().ok(),
                Some(choice)
            );
        }
        assert!("both".parse::<AssertionAudience>().is_err());
    }

    #[test]
    fn assertion_never_prints() {
        let assertion = ClientAssertion::new("eyJhbGciOiJIUzI1NiJ9.e30.c2ln");
        assert_eq!(format!("{assertion:?}"), "ClientAssertion([REDACTED])");
        assert_eq!(format!("{assertion:#?}"), "ClientAssertion([REDACTED])");
    }

    #[test]
    fn rsa_thumbprint_matches_rfc7638_3_1() {
        // RFC 7638 §3.1's example key.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let n = URL_SAFE_NO_PAD.decode(n).unwrap_or_default();
        let key = PublicKey::Rsa {
            n,
            e: vec![1, 0, 1],
        };
        assert_eq!(
            key.thumbprint(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
