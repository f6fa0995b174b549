//! JOSE for JWT access tokens (RFC 9068), without a crypto library or a
//! clock: the vocabulary ([`Algorithm`], [`Header`], [`AccessTokenClaims`],
//! [`Jwk`], [`JwkSet`]), the JWS compact serialization as a two-step
//! signing protocol ([`SigningInput`]) and a bounded parser
//! ([`CompactJws`]), the RFC 9068 §4 claim checks ([`Validation`]), and
//! RFC 7523 client assertions ([`AssertionClaims`], [`UnsignedAssertion`]).
//!
//! Signing and signature verification are the caller's: a remote signer
//! (a KMS, an HSM) fits the [`SigningInput::as_bytes`] →
//! [`SigningInput::finish`] protocol. With the `ring` feature, `KeyPair`
//! reads PEM and JWK private keys and signs with `ring`, and
//! `verify_signature` checks a signature with a public JWK's key: the
//! one implementation auth-http and the mock server share.
//!
//! ```
//! # fn main() -> Result<(), auth_core::Error> {
//! use auth_core::jose::{AccessTokenClaims, CompactJws, Validation};
//! # let token = auth_core::jose::SigningInput::new(
//! #     &auth_core::jose::Header::access_token(auth_core::jose::Algorithm::Rs256, "k1"),
//! #     &serde_json::json!({"iss":"https://as.example","sub":"svc","aud":"https://api.example",
//! #         "exp":1700000300,"iat":1700000000,"jti":"1","client_id":"svc"}))?.finish(&[1]);
//! let jws = CompactJws::parse(&token)?;
//! // ... verify jws.signature() over jws.signing_input() with the JWKS key
//! // named by jws.header().kid, then:
//! let claims = AccessTokenClaims::from_json(jws.payload())?;
//! # let now = time::OffsetDateTime::from_unix_timestamp(1_700_000_100).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
//! Validation::new("https://as.example", "https://api.example").validate(jws.header(), &claims, now)?;
//! # Ok(()) }
//! ```

mod algorithm;
mod assertion;
mod claims;
mod compact;
mod error;
mod header;
mod jwk;
#[cfg(feature = "ring")]
mod keypair;
mod principal;
mod validation;

pub use algorithm::Algorithm;
pub use assertion::{
    ASSERTION_LIFETIME, AssertionAudience, AssertionClaims, AssertionKey,
    CLIENT_ASSERTION_TYPE_JWT_BEARER, ClientAssertion, TYP_JWT, UnsignedAssertion,
};
pub use claims::{AccessTokenClaims, Audience};
pub use compact::{CompactJws, EncodedHeader, MAX_COMPACT_LEN, SigningInput};
pub use error::{ClaimsError, EXCERPT_LIMIT, JwkError, JwsError, Part};
pub use header::{Header, TYP_APPLICATION_AT_JWT, TYP_AT_JWT};
pub use jwk::{Jwk, JwkSet, PrivateJwk, PrivateKey, PublicKey};
#[cfg(feature = "ring")]
pub use keypair::{KeyPair, KeyPairError, SignFailed, SignatureError, verify_signature};
pub use principal::{IntrospectionClaims, Principal};
pub use validation::{
    DEFAULT_LEEWAY, Validation, check_audience, check_expiry, check_issuer, check_not_before,
    check_type,
};
