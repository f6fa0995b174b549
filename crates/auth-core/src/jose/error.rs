//! The JOSE detail errors: [`JwsError`] (compact serialization, header,
//! algorithm), [`JwkError`] (keys) and [`ClaimsError`] (RFC 9068 §4 checks).
//! Each is wrapped by one variant of [`crate::Error`].
//!
//! None of them holds a token, a signature or key material: values from
//! the input are kept only where they say what was wrong (an algorithm
//! name, an issuer), cut to [`EXCERPT_LIMIT`] characters.

use std::fmt;

use time::OffsetDateTime;

use crate::scrub::Printable;

/// The most characters of an input value an error keeps.
pub const EXCERPT_LIMIT: usize = 64;

/// At most [`EXCERPT_LIMIT`] characters of `value`, with `…` when cut.
pub(crate) fn excerpt(value: &str) -> String {
    match value.char_indices().nth(EXCERPT_LIMIT) {
        Some((end, _)) => format!("{}…", &value[..end]),
        None => value.to_owned(),
    }
}

/// A part of a compact JWS (RFC 7515 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The protected header.
    Header,
    /// The payload (the claims).
    Payload,
    /// The signature.
    Signature,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Header => "header",
            Self::Payload => "payload",
            Self::Signature => "signature",
        })
    }
}

/// Why a compact JWS could not be built or split, or its header read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JwsError {
    /// The token is longer than the limit it was parsed with.
    #[error("jws is {len} bytes, more than the limit of {limit}")]
    TooLong {
        /// Its length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// RFC 7515 §7.1: a compact JWS is exactly three parts joined by `.`
    /// (five parts would be a JWE, RFC 7516 §7.1).
    #[error("jws has {0} dot-separated parts, not 3")]
    Parts(usize),
    /// A part is not unpadded base64url (RFC 7515 §2).
    #[error("jws {0} is not unpadded base64url")]
    Base64(Part),
    /// A part is not the JSON it must be (RFC 7515 §4: the header is a JSON
    /// object; RFC 7519 §7.2: so are JWT claims).
    #[error("jws {part} is not valid JSON")]
    Json {
        /// Which part.
        part: Part,
        /// The JSON error (a line and column, never the value).
        #[source]
        source: serde_json::Error,
    },
    /// A name that is not an [`AssertionAudience`](super::AssertionAudience)
    /// choice (`issuer`, `token_endpoint`).
    #[error("unknown assertion audience choice `{}` (expected issuer or token_endpoint)", Printable(.0))]
    UnknownAudienceChoice(String),
    /// `alg` is `none` (RFC 8725 §3.1: never accepted).
    #[error("algorithm `none` is refused")]
    AlgorithmNone,
    /// `alg` names an algorithm this crate does not implement.
    #[error("unsupported algorithm `{}`", Printable(.0))]
    UnsupportedAlgorithm(String),
    /// RFC 7515 §4.1.11: a `crit` header names extensions that "MUST be
    /// understood"; this crate understands none, so it must reject them.
    #[error("jws header has critical extensions (`crit`), none of which is understood")]
    CriticalHeader,
    /// The signature is empty.
    #[error("jws signature is empty")]
    EmptySignature,
}

/// Why a JWK or JWK Set (RFC 7517) was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JwkError {
    /// Not JSON, or not the JSON shape of a JWK / JWK Set.
    #[error("jwk is not valid JSON: {0}")]
    Json(#[source] serde_json::Error),
    /// A JWK Set without the REQUIRED `keys` array (RFC 7517 §5.1).
    #[error("jwk set has no `keys` array")]
    MissingKeys,
    /// A member of a set's `keys` is not a JSON object.
    #[error("jwk set member {0} is not a JSON object")]
    NotObject(usize),
    /// No `kty` (RFC 7517 §4.1: REQUIRED).
    #[error("jwk has no `kty`")]
    MissingKeyType,
    /// A key type this crate does not implement (only when a single key is
    /// parsed: a set skips it, RFC 7517 §5).
    #[error("unsupported key type `{}`", Printable(.0))]
    UnsupportedKeyType(String),
    /// A curve this crate does not implement (skipped in a set, as an
    /// unsupported `kty`: RFC 7517 §5 "out of the supported ranges").
    #[error("unsupported curve `{}` for key type {kty}", Printable(.crv))]
    UnsupportedCurve {
        /// The key type.
        kty: &'static str,
        /// The curve named.
        crv: String,
    },
    /// A REQUIRED member of the key type is absent or not a string
    /// (RFC 7518 §6.2.1, §6.3.1; RFC 8037 §2).
    #[error("{kty} jwk is missing member `{member}`")]
    Missing {
        /// The key type.
        kty: &'static str,
        /// The member.
        member: &'static str,
    },
    /// A member is not unpadded base64url (RFC 7518 §2 `Base64urlUInt`).
    #[error("jwk member `{0}` is not unpadded base64url")]
    Base64(&'static str),
    /// A member has the wrong length for its curve, or an RSA number is
    /// empty or has leading zero bytes (RFC 7518 §2, §6.2.1.2).
    #[error("jwk member `{member}` is invalid: {reason}")]
    Invalid {
        /// The member.
        member: &'static str,
        /// Why (never the value).
        reason: &'static str,
    },
    /// A member other than `keys`' members has the wrong JSON type (`kid`,
    /// `use`, `alg` are strings).
    #[error("jwk member `{0}` must be a string")]
    NotString(&'static str),
    /// A public JWK carries private key members (`d`, `p`, ...): publishing
    /// it would leak the key (RFC 7517 §5 sets hold public keys here).
    #[error("jwk carries private key member `{0}`")]
    PrivateMember(&'static str),
}

/// Why a JWT access token's header or claims fail RFC 9068 §4.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimsError {
    /// No `typ` header: RFC 9068 §4 requires `at+jwt`.
    #[error("jwt has no `typ` header, expected `at+jwt`")]
    MissingType,
    /// `typ` is not `at+jwt` / `application/at+jwt` (RFC 9068 §4, RFC 8725
    /// §3.11: explicit typing keeps other JWTs from passing as access tokens).
    #[error("jwt `typ` is `{}`, expected `at+jwt`", Printable(.0))]
    WrongType(String),
    /// `iss` is not exactly the expected issuer (RFC 9068 §4: "MUST exactly
    /// match").
    #[error("jwt issuer `{}` is not the expected issuer", Printable(.found))]
    IssuerMismatch {
        /// The `iss` the token carries (cut).
        found: String,
    },
    /// `aud` does not contain this resource server's identifier (RFC 9068
    /// §4, RFC 7519 §4.1.3).
    #[error("jwt audience does not contain `{}`", Printable(.expected))]
    AudienceMismatch {
        /// The identifier that was looked for (cut).
        expected: String,
    },
    /// `exp` has passed, beyond the leeway (RFC 7519 §4.1.4).
    #[error("jwt expired at {exp} (unix seconds), checked at {now}")]
    Expired {
        /// The `exp` claim.
        exp: i64,
        /// When it was checked (unix seconds).
        now: i64,
    },
    /// `nbf` is in the future, beyond the leeway (RFC 7519 §4.1.5).
    #[error("jwt not valid before {nbf} (unix seconds), checked at {now}")]
    NotYetValid {
        /// The `nbf` claim.
        nbf: i64,
        /// When it was checked (unix seconds).
        now: i64,
    },
}

impl ClaimsError {
    pub(crate) fn expired(exp: i64, now: OffsetDateTime) -> Self {
        Self::Expired {
            exp,
            now: now.unix_timestamp(),
        }
    }

    pub(crate) fn not_yet_valid(nbf: i64, now: OffsetDateTime) -> Self {
        Self::NotYetValid {
            nbf,
            now: now.unix_timestamp(),
        }
    }
}
