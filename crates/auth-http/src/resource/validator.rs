//! [`Validator`]: turns a presented bearer token into a validated
//! [`Principal`], and [`InvalidTokenError`], why it does not.

use std::fmt;

use auth_core::jose::{Algorithm, Principal};

use crate::Error;
use crate::transport::BoxFuture;

/// Validates a bearer token: a [`JwtValidator`](super::JwtValidator), an
/// [`IntrospectionValidator`](super::IntrospectionValidator), or your own.
///
/// `Err(Error::InvalidToken(_))` means the token is bad (answered `401
/// invalid_token`); any other error means it could not be decided (keys
/// or introspection unreachable: answered `503`).
pub trait Validator: Send + Sync + fmt::Debug {
    /// Validates `token` (the b64token after `Bearer `).
    fn validate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Principal, Error>>;
}

impl<V: Validator + ?Sized> Validator for std::sync::Arc<V> {
    fn validate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<Principal, Error>> {
        (**self).validate(token)
    }
}

/// Why a presented token is not valid. Never holds the token, a claim
/// value the token chose, or key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidTokenError {
    /// Not a JWS, or a header or claim check failed (RFC 9068 §4).
    #[error("token refused")]
    Core(#[from] auth_core::Error),
    /// The header has no `kid`, so no key can be chosen.
    #[error("jwt has no `kid` header")]
    NoKeyId,
    /// No key of the issuer's JWKS has the token's `kid`, even after a
    /// re-fetch (a rotated-out key, or not the issuer's token).
    #[error("no key of the issuer has the token's `kid`")]
    UnknownKey,
    /// `alg` is not one this resource server allows (RFC 8725 §3.1).
    #[error("jwt algorithm {0} is not allowed")]
    AlgorithmNotAllowed(Algorithm),
    /// The key named by `kid` is not for the token's `alg` (its type, or
    /// its own `alg`).
    #[error("the key named by `kid` is not for {0}")]
    KeyMismatch(Algorithm),
    /// The signature does not verify with the key named by `kid`.
    #[error("jwt signature does not verify")]
    BadSignature,
    /// The introspection endpoint says the token is not active (expired,
    /// revoked, or unknown: RFC 7662 §2.2).
    #[error("token is not active")]
    Inactive,
}

impl InvalidTokenError {
    /// Which check failed, in words fit for a log line: never a value the
    /// token carries (a `Display` of a claims error quotes the `iss` or
    /// `typ` it found).
    pub(crate) fn reason(&self) -> &'static str {
        use auth_core::jose::ClaimsError;
        match self {
            Self::Core(auth_core::Error::Claims(claims)) => match claims {
                ClaimsError::MissingType | ClaimsError::WrongType(_) => "typ is not at+jwt",
                ClaimsError::IssuerMismatch { .. } => "issuer mismatch",
                ClaimsError::AudienceMismatch { .. } => "audience mismatch",
                ClaimsError::Expired { .. } => "expired",
                ClaimsError::NotYetValid { .. } => "not yet valid",
                _ => "claims refused",
            },
            Self::Core(auth_core::Error::Jws(auth_core::jose::JwsError::AlgorithmNone)) => {
                "alg none"
            }
            Self::Core(auth_core::Error::Scope(_)) => "invalid scope claim",
            Self::Core(_) => "malformed token",
            Self::NoKeyId => "no kid",
            Self::UnknownKey => "unknown kid",
            Self::AlgorithmNotAllowed(_) => "algorithm not allowed",
            Self::KeyMismatch(_) => "key not for the algorithm",
            Self::BadSignature => "bad signature",
            Self::Inactive => "inactive",
        }
    }
}
