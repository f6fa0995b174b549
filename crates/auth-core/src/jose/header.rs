//! [`Header`]: the JWS protected header (RFC 7515 §4.1) of a JWT access
//! token.

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::algorithm::Algorithm;
use super::error::{JwsError, Part};

/// The RFC 9068 §2.1 `typ` of a JWT access token.
pub const TYP_AT_JWT: &str = "at+jwt";

/// The media type form of [`TYP_AT_JWT`], also accepted (RFC 9068 §4).
pub const TYP_APPLICATION_AT_JWT: &str = "application/at+jwt";

/// A JWS protected header: `alg`, `typ` and `kid`.
///
/// Other registered members are ignored when parsed, except `crit` (RFC
/// 7515 §4.1.11), which this crate cannot honour and so refuses.
///
/// ```
/// # fn main() -> Result<(), auth_core::Error> {
/// use auth_core::jose::{Algorithm, Header};
/// let header = Header::access_token(Algorithm::Rs256, "key-1");
/// assert_eq!(header.to_json(), r#"{"alg":"RS256","typ":"at+jwt","kid":"key-1"}"#);
/// assert_eq!(Header::from_json(header.to_json().as_bytes())?, header);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Header {
    /// REQUIRED. The signature algorithm (RFC 7515 §4.1.1); never `none`.
    pub alg: Algorithm,
    /// OPTIONAL. The media type of the whole JWS (RFC 7515 §4.1.9);
    /// `at+jwt` for access tokens (RFC 9068 §2.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// OPTIONAL. Which key signed (RFC 7515 §4.1.4); the JWKS key with
    /// this `kid` verifies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

/// The header as read, before `alg` is checked.
#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    typ: Option<String>,
    kid: Option<String>,
    crit: Option<IgnoredAny>,
}

impl Header {
    /// The header of an RFC 9068 access token: `typ: at+jwt` and `kid`.
    #[must_use]
    pub fn access_token(alg: Algorithm, kid: impl Into<String>) -> Self {
        Self {
            alg,
            typ: Some(TYP_AT_JWT.to_owned()),
            kid: Some(kid.into()),
        }
    }

    /// Reads a decoded header: a JSON object with a string `alg` naming a
    /// supported algorithm, `typ` and `kid` strings if present, no `crit`.
    pub fn from_json(json: &[u8]) -> Result<Self, JwsError> {
        let raw: RawHeader = serde_json::from_slice(json).map_err(|source| JwsError::Json {
            part: Part::Header,
            source,
        })?;
        if raw.crit.is_some() {
            return Err(JwsError::CriticalHeader);
        }
        Ok(Self {
            alg: raw.alg.parse()?,
            typ: raw.typ,
            kid: raw.kid,
        })
    }

    /// The header as compact JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        // Strings and an enum of strings always serialize.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_refuses_alg_none() {
        let err = Header::from_json(br#"{"alg":"none","typ":"at+jwt"}"#);
        assert!(matches!(err, Err(JwsError::AlgorithmNone)));
    }

    #[test]
    fn header_refuses_critical_extensions() {
        let err = Header::from_json(br#"{"alg":"RS256","crit":["exp"],"exp":1}"#);
        assert!(matches!(err, Err(JwsError::CriticalHeader)));
    }

    #[test]
    fn header_ignores_other_members() -> Result<(), JwsError> {
        let header = Header::from_json(br#"{"alg":"ES256","x5t":"abc","cty":"JWT"}"#)?;
        assert_eq!(header.alg, Algorithm::Es256);
        assert_eq!(header.kid, None);
        Ok(())
    }

    #[test]
    fn header_without_alg_is_invalid_json() {
        let err = Header::from_json(br#"{"typ":"at+jwt"}"#);
        assert!(matches!(
            err,
            Err(JwsError::Json {
                part: Part::Header,
                ..
            })
        ));
    }
}
