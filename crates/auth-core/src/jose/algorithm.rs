//! [`Algorithm`]: the JWS `alg` values this project signs and checks.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::error::JwsError;

/// A JWS signature algorithm (RFC 7518 §3.1, RFC 8037 §3.1).
///
/// Closed on purpose: `none` is not a variant, so an unsecured JWS cannot
/// be represented, and parsing `"none"` is [`JwsError::AlgorithmNone`]
/// (RFC 8725 §3.1, RFC 9068 §4). Unknown names are
/// [`JwsError::UnsupportedAlgorithm`].
///
/// ```
/// # fn main() -> Result<(), auth_core::jose::JwsError> {
/// use auth_core::jose::{Algorithm, JwsError};
/// assert_eq!("RS256".parse::<Algorithm>()?, Algorithm::Rs256);
/// assert_eq!(Algorithm::EdDsa.as_str(), "EdDSA");
/// assert!(matches!("none".parse::<Algorithm>(), Err(JwsError::AlgorithmNone)));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// `RS256`: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3); RFC 9068
    /// §2.1 makes it the one every resource server supports.
    Rs256,
    /// `ES256`: ECDSA on P-256 with SHA-256 (RFC 7518 §3.4).
    Es256,
    /// `EdDSA`: Ed25519 (RFC 8037 §3.1).
    EdDsa,
    /// `HS256`: HMAC with SHA-256 (RFC 7518 §3.2), for `client_secret_jwt`
    /// (RFC 7523); never an access token's algorithm.
    Hs256,
}

impl Algorithm {
    /// Every algorithm, in the order metadata lists them.
    pub const ALL: [Self; 4] = [Self::Rs256, Self::Es256, Self::EdDsa, Self::Hs256];

    /// The asymmetric algorithms, the ones a JWKS can publish a key for.
    pub const ASYMMETRIC: [Self; 3] = [Self::Rs256, Self::Es256, Self::EdDsa];

    /// The wire name (RFC 7518 §3.1 / RFC 8037 §3.1).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
            Self::Hs256 => "HS256",
        }
    }

    /// True for the algorithms whose verification key is public.
    #[must_use]
    pub const fn is_asymmetric(self) -> bool {
        !matches!(self, Self::Hs256)
    }
}

impl FromStr for Algorithm {
    type Err = JwsError;

    /// Exact, case-sensitive match (RFC 7515 §4.1.1: `alg` is a
    /// case-sensitive string).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "RS256" => Ok(Self::Rs256),
            "ES256" => Ok(Self::Es256),
            "EdDSA" => Ok(Self::EdDsa),
            "HS256" => Ok(Self::Hs256),
            // RFC 8725 §3.1: "none" is refused however it is spelled.
            _ if s.eq_ignore_ascii_case("none") => Err(JwsError::AlgorithmNone),
            other => Err(JwsError::UnsupportedAlgorithm(super::error::excerpt(other))),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Algorithm {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Algorithm {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_round_trips_its_wire_name() {
        for alg in Algorithm::ALL {
            assert_eq!(alg.as_str().parse::<Algorithm>().ok(), Some(alg));
            let json = serde_json::to_string(&alg).ok();
            assert_eq!(json, Some(format!("\"{alg}\"")));
        }
    }

    #[test]
    fn none_is_refused_in_any_case() {
        for name in ["none", "None", "NONE"] {
            assert!(matches!(
                name.parse::<Algorithm>(),
                Err(JwsError::AlgorithmNone)
            ));
        }
    }

    #[test]
    fn names_are_case_sensitive() {
        assert!(matches!(
            "rs256".parse::<Algorithm>(),
            Err(JwsError::UnsupportedAlgorithm(_))
        ));
    }
}
