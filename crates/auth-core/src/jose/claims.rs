//! [`AccessTokenClaims`]: the JWT claims set of an RFC 9068 access token,
//! and its [`Audience`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::{JwsError, Part};

/// The `aud` claim: one string or an array of strings (RFC 7519 §4.1.3).
/// Printed the way it was parsed, so a token's claims round-trip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    /// A single audience, as a JSON string.
    One(String),
    /// Several (or, as parsed, any number of) audiences, as an array.
    Many(Vec<String>),
}

impl Audience {
    /// Builds the claim from a list: a single value prints as a string
    /// (what most resource servers expect), several as an array.
    #[must_use]
    pub fn from_values(mut values: Vec<String>) -> Self {
        if values.len() == 1 {
            Self::One(values.remove(0))
        } else {
            Self::Many(values)
        }
    }

    /// True when `identifier` is one of the audiences (compared exactly,
    /// RFC 7519 §4.1.3 "case-sensitive strings").
    #[must_use]
    pub fn contains(&self, identifier: &str) -> bool {
        self.iter().any(|aud| aud == identifier)
    }

    /// Every audience.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let slice = match self {
            Self::One(one) => std::slice::from_ref(one),
            Self::Many(many) => many.as_slice(),
        };
        slice.iter().map(String::as_str)
    }
}

/// The claims of a JWT access token (RFC 9068 §2.2).
///
/// Every claim RFC 9068 §2.2 makes REQUIRED is a plain field, so a token
/// without one does not parse. Members this type does not name stay in
/// [`extra`](Self::extra), verbatim, and print back: a resource server's
/// custom claims (`tid`, `roles`) round-trip.
///
/// ```
/// # fn main() -> Result<(), auth_core::Error> {
/// use auth_core::jose::{AccessTokenClaims, Audience};
/// let claims = AccessTokenClaims::from_json(br#"{"iss":"https://as.example","sub":"svc",
///     "aud":"https://api.example","exp":1700000300,"iat":1700000000,"jti":"1",
///     "client_id":"svc","scope":"read write","tid":"t-1"}"#)?;
/// assert!(claims.aud.contains("https://api.example"));
/// assert_eq!(claims.scopes().collect::<Vec<_>>(), ["read", "write"]);
/// assert_eq!(claims.extra["tid"], "t-1");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// REQUIRED. The issuer, byte for byte the metadata `issuer` (RFC 9068
    /// §2.2, RFC 8414 §2).
    pub iss: String,
    /// REQUIRED. For a client credentials token, the client (RFC 9068 §2.2).
    pub sub: String,
    /// REQUIRED. The resource servers it is for (RFC 9068 §3, RFC 8707).
    pub aud: Audience,
    /// REQUIRED. Expiry, in seconds since the epoch (RFC 7519 §4.1.4).
    pub exp: i64,
    /// REQUIRED. When it was issued, in seconds since the epoch (RFC 7519
    /// §4.1.6).
    pub iat: i64,
    /// OPTIONAL. Not valid before, in seconds since the epoch (RFC 7519
    /// §4.1.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// REQUIRED. A unique identifier of this token (RFC 7519 §4.1.7).
    pub jti: String,
    /// REQUIRED. The client the token was issued to (RFC 8693 §4.3).
    pub client_id: String,
    /// OPTIONAL. Space-delimited scopes (RFC 9068 §2.2.3, RFC 8693 §4.2),
    /// present when the token carries scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Every other member, verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AccessTokenClaims {
    /// Reads a JWS payload as access token claims.
    pub fn from_json(payload: &[u8]) -> Result<Self, JwsError> {
        serde_json::from_slice(payload).map_err(|source| JwsError::Json {
            part: Part::Payload,
            source,
        })
    }

    /// The scopes of the `scope` claim, in order (none when it is absent).
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope
            .as_deref()
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(json: &str) -> Result<AccessTokenClaims, JwsError> {
        AccessTokenClaims::from_json(json.as_bytes())
    }

    const MINIMAL: &str =
        r#"{"iss":"i","sub":"s","aud":["a","b"],"exp":2,"iat":1,"jti":"j","client_id":"c"}"#;

    #[test]
    fn claims_print_back_byte_for_byte_including_extra_members() -> Result<(), JwsError> {
        let json = r#"{"iss":"i","sub":"s","aud":"a","exp":2,"iat":1,"nbf":1,"jti":"j","client_id":"c","scope":"x y","roles":["admin"],"tid":{"n":1}}"#;
        let parsed = claims(json)?;
        assert_eq!(serde_json::to_string(&parsed).ok().as_deref(), Some(json));
        Ok(())
    }

    #[test]
    fn audience_array_keeps_its_shape() -> Result<(), JwsError> {
        let parsed = claims(MINIMAL)?;
        assert_eq!(parsed.aud, Audience::Many(vec!["a".into(), "b".into()]));
        assert!(parsed.aud.contains("b"));
        assert!(!parsed.aud.contains("B"));
        assert_eq!(
            serde_json::to_string(&parsed).ok().as_deref(),
            Some(MINIMAL)
        );
        Ok(())
    }

    #[test]
    fn a_token_without_a_required_claim_does_not_parse() {
        for missing in ["iss", "sub", "aud", "exp", "iat", "jti", "client_id"] {
            let mut value: Map<String, Value> = serde_json::from_str(MINIMAL).unwrap_or_default();
            value.remove(missing);
            let json = serde_json::to_string(&value).unwrap_or_default();
            assert!(claims(&json).is_err(), "{missing} missing yet parsed");
        }
    }

    #[test]
    fn fractional_or_string_dates_do_not_parse() {
        assert!(claims(&MINIMAL.replace(r#""exp":2"#, r#""exp":"2""#)).is_err());
        assert!(claims(&MINIMAL.replace(r#""exp":2"#, r#""exp":2.5"#)).is_err());
    }
}
