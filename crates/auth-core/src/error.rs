//! The crate's one [`Error`] and the detail types it wraps.
//!
//! No value here ever holds a client secret, an access token or the body of
//! a successful token response: provider errors keep what the provider said
//! about the failure, non-OAuth answers keep a bounded excerpt of a failure
//! body, and parse errors keep only a location and a reason.

use std::fmt;
use std::str::FromStr;

use http::StatusCode;
use serde::{Serialize, Serializer};
use time::OffsetDateTime;

use crate::deviation::Deviation;
use crate::grant::MissingScopes;
use crate::jose::{ClaimsError, JwkError, JwsError};
use crate::metadata::MetadataError;
use crate::retry_after::RetryAfter;
use crate::scope::ScopeError;
use crate::scrub::{self, Printable, Scrubber};
use crate::token::{OAuthToken, StoredTokenError};

/// Everything that can go wrong in auth-core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The provider answered with an RFC 6749 §5.2 error.
    #[error("provider rejected the request: {0}")]
    Provider(#[from] ProviderError),
    /// The provider answered something that is not OAuth (an HTML error
    /// page, a 5xx, a redirect).
    #[error("unexpected provider response: {0}")]
    Api(#[from] ApiError),
    /// A success answer that is not a valid token response.
    #[error("malformed token response: {0}")]
    Parse(#[from] ParseError),
    /// Strict mode: the answer would parse leniently, but deviates from the RFC.
    #[error("token response deviates from RFC 6749: {0}")]
    Deviation(#[from] DeviationError),
    /// RFC 6749 §7.1: the client MUST NOT use a token type it does not understand.
    #[error("unsupported token type {0:?}: only Bearer tokens can be sent")]
    UnsupportedTokenType(String),
    /// The token cannot be written into a header (RFC 6750 §2.1 `b64token`).
    #[error("access token is not a valid RFC 6750 b64token")]
    InvalidAccessToken,
    /// The token request could not be built.
    #[error("invalid token request: {0}")]
    Request(#[from] RequestError),
    /// A scope string is invalid.
    #[error("invalid scope: {0}")]
    Scope(#[from] ScopeError),
    /// The client's token was not granted what an operation requires (it
    /// was renewed since its grant was checked, and lost a scope).
    #[error("operation not authorized: {0}")]
    MissingScopes(#[from] MissingScopes),
    /// The token expired before the request it was to authorize: a
    /// [`RestoredClient`](crate::RestoredClient) cannot renew it, and
    /// [`Authorize`](crate::Authorize) refuses an expired token for every
    /// client (sending it would only earn a 401).
    #[error("request not authorized: {0}")]
    TokenExpired(#[from] TokenExpired),
    /// A stored token could not be loaded.
    #[error("stored token: {0}")]
    StoredToken(#[from] StoredTokenError),
    /// RFC 7009 §2.2.1: the revocation endpoint answered 503; the token
    /// was not revoked and is still valid. Retry later (`Retry-After`).
    #[error("revocation endpoint unavailable, token not revoked: {0}")]
    RevocationUnavailable(ApiError),
    /// RFC 8414 metadata that must not be used (issuer mismatch, §3.3;
    /// invalid endpoints; C-17 no usable auth method).
    #[error("authorization server metadata rejected: {0}")]
    Metadata(#[from] MetadataError),
    /// A compact JWS that cannot be built or split (RFC 7515).
    #[error("invalid jws: {0}")]
    Jws(#[from] JwsError),
    /// A JWK or JWK Set that was refused (RFC 7517).
    #[error("invalid jwk: {0}")]
    Jwk(#[from] JwkError),
    /// A JWT access token whose header or claims fail RFC 9068 §4.
    #[error("access token rejected: {0}")]
    Claims(#[from] ClaimsError),
}

impl Error {
    /// The `Retry-After` the provider sent with a failure, if any.
    #[must_use]
    pub fn retry_after(&self) -> Option<RetryAfter> {
        match self {
            Self::Provider(e) => e.retry_after,
            Self::Api(e) | Self::RevocationUnavailable(e) => e.retry_after,
            _ => None,
        }
    }

    /// The HTTP status of the provider's answer, when the error came from one.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Provider(e) => Some(e.status),
            Self::Api(e) | Self::RevocationUnavailable(e) => Some(e.status),
            Self::Parse(e) => Some(e.status),
            _ => None,
        }
    }
}

/// A token used at or after its `expires_at`. Names both instants (they
/// are not secrets), in RFC 3339.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("access token expired at {}, checked at {}", Rfc3339(*.expires_at), Rfc3339(*.now))]
pub struct TokenExpired {
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
}

impl TokenExpired {
    /// `Err` when `token` has expired at `now` (`now >= expires_at`, as
    /// [`OAuthToken::is_expired`]).
    pub(crate) fn check(token: &OAuthToken, now: OffsetDateTime) -> Result<(), Self> {
        if token.is_expired(now) {
            Err(Self {
                expires_at: token.expires_at(),
                now,
            })
        } else {
            Ok(())
        }
    }

    /// When the token expired.
    #[must_use]
    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }

    /// When it was to be used.
    #[must_use]
    pub fn now(&self) -> OffsetDateTime {
        self.now
    }
}

/// An instant in RFC 3339, or as `time` prints it when RFC 3339 cannot
/// hold it (a year past 9999, an offset with seconds).
struct Rfc3339(OffsetDateTime);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self
            .0
            .format(&time::format_description::well_known::Rfc3339)
        {
            Ok(text) => f.write_str(&text),
            Err(_) => fmt::Display::fmt(&self.0, f),
        }
    }
}

/// An RFC 6749 §5.2 `error` code. Open: unknown codes are kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `invalid_request`
    InvalidRequest,
    /// `invalid_client`
    InvalidClient,
    /// `invalid_grant`
    InvalidGrant,
    /// `unauthorized_client`
    UnauthorizedClient,
    /// `unsupported_grant_type`
    UnsupportedGrantType,
    /// `invalid_scope`
    InvalidScope,
    /// Any other code (`invalid_target` of RFC 8707, `slow_down`, ...).
    Other(String),
}

impl ErrorCode {
    /// `invalid_target` (RFC 8707 §2).
    pub const INVALID_TARGET: &'static str = "invalid_target";
    /// `temporarily_unavailable` (RFC 6749 §4.1.2.1); some token endpoints use it.
    pub const TEMPORARILY_UNAVAILABLE: &'static str = "temporarily_unavailable";

    /// The wire string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::Other(code) => code,
        }
    }

    /// True for codes that say "try again later" rather than "this request
    /// is wrong"; every RFC 6749 §5.2 code is permanent.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Other(code) if code == Self::TEMPORARILY_UNAVAILABLE || code == "slow_down")
    }
}

impl FromStr for ErrorCode {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "invalid_scope" => Self::InvalidScope,
            other => Self::Other(other.to_owned()),
        })
    }
}

impl From<&str> for ErrorCode {
    fn from(s: &str) -> Self {
        match s.parse() {
            Ok(code) => code,
            Err(never) => match never {},
        }
    }
}

/// The wire string, control characters escaped (an `Other` code is the
/// provider's text).
impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Printable(self.as_str()).fmt(f)
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// An RFC 6749 §5.2 error answer. Serializes as the §5.2 JSON body, so the
/// provider side writes exactly what the client side reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderError {
    /// REQUIRED. The error code.
    #[serde(rename = "error")]
    pub code: ErrorCode,
    /// OPTIONAL. Human-readable text (bounded when parsed).
    #[serde(rename = "error_description", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// OPTIONAL. A URI of a page about the error.
    #[serde(rename = "error_uri", skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// The HTTP status it came with.
    #[serde(skip)]
    pub status: StatusCode,
    /// The `Retry-After` it came with, if any.
    #[serde(skip)]
    pub retry_after: Option<RetryAfter>,
}

impl ProviderError {
    /// An error with just a code, and the status RFC 6749 §5.2 gives it (400).
    #[must_use]
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            description: None,
            uri: None,
            status: StatusCode::BAD_REQUEST,
            retry_after: None,
        }
    }

    /// Sets the description.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the status.
    #[must_use]
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Sets the `Retry-After` the answer carries.
    #[must_use]
    pub fn with_retry_after(mut self, retry_after: RetryAfter) -> Self {
        self.retry_after = Some(retry_after);
        self
    }

    /// The §5.2 JSON body.
    #[must_use]
    pub fn to_json(&self) -> String {
        // A struct of strings always serializes.
        serde_json::to_string(self).unwrap_or_else(|_| format!(r#"{{"error":"{}"}}"#, self.code))
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (HTTP {})", self.code, self.status.as_u16())?;
        if let Some(description) = &self.description {
            write!(f, ": {}", Printable(description))?;
        }
        Ok(())
    }
}

impl std::error::Error for ProviderError {}

/// A non-OAuth answer: its status and a bounded, printable excerpt of a
/// failure body (never of a success body, which may hold a token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// At most [`ApiError::EXCERPT_LIMIT`] bytes of the body, control
    /// characters escaped; empty for success statuses.
    pub excerpt: String,
    /// The `Retry-After` it came with, if any.
    pub retry_after: Option<RetryAfter>,
}

impl ApiError {
    /// The most bytes of a body an excerpt keeps.
    pub const EXCERPT_LIMIT: usize = 512;

    /// Builds the error, cutting the excerpt from `body`.
    #[must_use]
    pub fn new(status: StatusCode, body: &[u8], retry_after: Option<RetryAfter>) -> Self {
        Self::scrubbed(status, body, retry_after, &Scrubber::NONE)
    }

    /// [`ApiError::new`] with the client's secrets scrubbed from the
    /// excerpt, in every spelling, before it is cut.
    pub(crate) fn scrubbed(
        status: StatusCode,
        body: &[u8],
        retry_after: Option<RetryAfter>,
        scrubber: &Scrubber,
    ) -> Self {
        let excerpt = if status.is_success() {
            String::new()
        } else {
            excerpt(body, Self::EXCERPT_LIMIT, scrubber)
        };
        Self {
            status,
            excerpt,
            retry_after,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status.as_u16())?;
        if !self.excerpt.is_empty() {
            write!(f, ": {}", Printable(&self.excerpt))?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// At most `limit` bytes of text from the start of `body`, lossily decoded,
/// scrubbed, whitespace runs folded and control characters escaped, so it
/// prints on one line. The bound holds for the output (escapes and
/// replacement characters make it longer than the input), ellipsis
/// included. Scrubbing comes first, on the text as the provider wrote it
/// (a secret spelled with escapes or whitespace runs is found), then again
/// on the folded line; the line is cut last, and never inside the first
/// part of a secret.
fn excerpt(body: &[u8], limit: usize, scrubber: &Scrubber) -> String {
    const MORE: char = '…';
    // Folding only shortens and escapes only lengthen what is kept, so a
    // few `limit`s of the body always fill the excerpt.
    let window = body.len().min(limit.saturating_mul(4));
    let cut = window < body.len();
    let text = scrubber.redact(&String::from_utf8_lossy(&body[..window]), cut);
    let line = scrubber.redact(scrub::one_line(&text).trim(), false);
    if !cut && line.len() <= limit {
        return line;
    }
    let (out, _) = scrubber.bounded(&line, limit - MORE.len_utf8(), true);
    let mut out = out.trim_end().to_owned();
    out.push(MORE);
    out
}

/// Why a success answer is not a token response.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct ParseError {
    /// What is wrong.
    pub kind: ParseErrorKind,
    /// The HTTP status of the answer.
    pub status: StatusCode,
    /// The JSON syntax error, when there was one (its message names a line
    /// and column, never a value).
    #[source]
    pub source: Option<serde_json::Error>,
}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, status: StatusCode) -> Self {
        Self {
            kind,
            status,
            source: None,
        }
    }
}

/// What made a token response unreadable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The body is not JSON (or not UTF-8 JSON).
    #[error("body is not JSON (line {line}, column {column})")]
    NotJson {
        /// 1-based line of the syntax error.
        line: usize,
        /// 1-based column of the syntax error.
        column: usize,
    },
    /// The body is empty.
    #[error("body is empty")]
    Empty,
    /// JSON, but not an object.
    #[error("body is not a JSON object")]
    NotObject,
    /// A REQUIRED member is absent or null.
    #[error("missing required member `{0}`")]
    Missing(&'static str),
    /// A member has the wrong type or an invalid value.
    #[error("invalid member `{field}`: {reason}")]
    Invalid {
        /// The member name.
        field: &'static str,
        /// Why it is invalid (never the value).
        reason: &'static str,
    },
    /// A member appears twice (RFC 6749 §3.2, RFC 8259 §4).
    #[error("member `{}` appears more than once", Printable(.0))]
    Duplicate(String),
}

/// Strict mode: every way the answer deviated from the RFC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.deviations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct DeviationError {
    /// What deviated, in the order it was seen.
    pub deviations: Vec<Deviation>,
}

/// Why a token request could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The token URL is not an absolute URI.
    #[error("token url is not an absolute URI")]
    InvalidUrl,
    /// RFC 6749 §3.2: "The endpoint URI MUST NOT include a fragment component".
    #[error("token url must not have a fragment")]
    UrlFragment,
    /// The token URL carries `user:password@` (RFC 6749 §2.3.1: credentials
    /// never go in the request URI).
    #[error("token url must not carry credentials (userinfo)")]
    UrlUserinfo,
    /// RFC 6749 §3.2, §10.9: TLS is required; plain http only on loopback.
    #[error("token url must use https (plain http is allowed only for loopback hosts)")]
    InsecureUrl,
    /// A `resource` is not an absolute URI without fragment (RFC 8707 §2).
    #[error("resource must be an absolute URI without a fragment")]
    InvalidResource,
    /// An extra parameter would repeat or override a protocol parameter
    /// (RFC 6749 §3.2: parameters MUST NOT be included more than once).
    #[error("parameter `{0}` is set by the client and cannot be added again")]
    ReservedParameter(String),
    /// An extra parameter name is empty.
    #[error("parameter name is empty")]
    EmptyParameterName,
    /// `private_key_jwt` and `client_secret_jwt` send a signed assertion
    /// (RFC 7523 §2.2): build the request with
    /// [`TokenRequest::to_http_with_assertion`](crate::TokenRequest::to_http_with_assertion).
    #[error("{0} needs a signed client assertion")]
    AssertionRequired(&'static str),
    /// An assertion was given for a method that does not send one.
    #[error("{0} does not send a client assertion")]
    NotAssertionMethod(&'static str),
    /// `private_key_jwt` without the signing key's identity (algorithm,
    /// `kid`): see [`ClientCredentials::with_assertion_key`](crate::ClientCredentials::with_assertion_key).
    #[error("private_key_jwt needs the signing key (algorithm and key id)")]
    AssertionKeyMissing,
    /// An algorithm the method cannot use: `private_key_jwt` signs with a
    /// private key (RS256, ES256, `EdDSA`), `client_secret_jwt` with HMAC
    /// (HS256) (RFC 7523 §3 item 9, RFC 8725 §3.1).
    #[error("{method} cannot sign with {alg}")]
    AssertionAlgorithm {
        /// The method.
        method: &'static str,
        /// The algorithm.
        alg: crate::jose::Algorithm,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_their_wire_strings_rfc6749_5_2() {
        for wire in [
            "invalid_request",
            "invalid_client",
            "invalid_grant",
            "unauthorized_client",
            "unsupported_grant_type",
            "invalid_scope",
            "slow_down",
        ] {
            assert_eq!(ErrorCode::from(wire).as_str(), wire);
        }
        assert_eq!(
            ErrorCode::from("invalid_target"),
            ErrorCode::Other("invalid_target".into())
        );
    }

    #[test]
    fn provider_error_serializes_as_the_5_2_body() {
        let e = ProviderError::new(ErrorCode::InvalidScope).with_description("scope not allowed");
        assert_eq!(
            e.to_json(),
            r#"{"error":"invalid_scope","error_description":"scope not allowed"}"#
        );
    }

    #[test]
    fn excerpt_is_bounded_and_one_line() {
        let body = format!("<html>\n\t<body>{}</body>\u{1b}", "x".repeat(2000));
        let e = ApiError::new(StatusCode::BAD_GATEWAY, body.as_bytes(), None);
        assert!(e.excerpt.len() <= ApiError::EXCERPT_LIMIT + '…'.len_utf8());
        assert!(e.excerpt.starts_with("<html> <body>xxx"));
        assert!(!e.excerpt.contains('\n'));
    }

    #[test]
    fn success_bodies_are_never_excerpted() {
        let e = ApiError::new(StatusCode::OK, b"access_token=secret", None);
        assert!(e.excerpt.is_empty());
    }
}
