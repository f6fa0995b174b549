//! [`Refusal`]: a request the resource server does not serve, as the RFC
//! 6750 §3 answer it gets.

use std::fmt;

use auth_core::scope::ScopeSet;
use auth_core::{BearerChallenge, BearerErrorCode};
use http::header::{CACHE_CONTROL, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};

/// How long a `503` asks the client to wait, in seconds.
const UNAVAILABLE_RETRY_AFTER: &str = "5";

/// A refused request and its answer: status and `WWW-Authenticate`
/// challenge (RFC 6750 §3). Holds no token.
///
/// ```
/// use auth_http::resource::Refusal;
/// let answer: http::Response<String> = Refusal::invalid_token("api").into_response();
/// assert_eq!(answer.status(), 401);
/// assert_eq!(answer.headers()["www-authenticate"], r#"Bearer realm="api", error="invalid_token""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    status: StatusCode,
    // Boxed: a refusal travels in `Result`s, and the challenge is five
    // optional strings.
    challenge: Option<Box<BearerChallenge>>,
}

impl Refusal {
    /// `401` with a bare challenge: the request has no bearer credentials
    /// (RFC 6750 §3: no `error` attribute then).
    #[must_use]
    pub fn missing(realm: &str) -> Self {
        Self::challenge(StatusCode::UNAUTHORIZED, realm, None)
    }

    /// `400 invalid_request`: malformed credentials (RFC 6750 §3.1).
    #[must_use]
    pub fn invalid_request(realm: &str) -> Self {
        Self::challenge(
            StatusCode::BAD_REQUEST,
            realm,
            Some(BearerErrorCode::InvalidRequest),
        )
    }

    /// `401 invalid_token`: expired, revoked, malformed or not for this
    /// resource (RFC 6750 §3.1).
    #[must_use]
    pub fn invalid_token(realm: &str) -> Self {
        Self::challenge(
            StatusCode::UNAUTHORIZED,
            realm,
            Some(BearerErrorCode::InvalidToken),
        )
    }

    /// `403 insufficient_scope` naming the scope needed (RFC 6750 §3.1).
    #[must_use]
    pub fn insufficient_scope(realm: &str, needed: &ScopeSet) -> Self {
        let mut refusal = Self::challenge(
            StatusCode::FORBIDDEN,
            realm,
            Some(BearerErrorCode::InsufficientScope),
        );
        if let Some(challenge) = &mut refusal.challenge {
            challenge.scope = Some(needed.to_string());
        }
        refusal
    }

    /// `503` with `Retry-After`: the token could not be validated (the
    /// issuer's keys or the introspection endpoint are unreachable). Not
    /// `401`: the token may be fine, and a `401` would send every client to
    /// fetch a new one from an authorization server that is struggling.
    #[must_use]
    pub fn unavailable() -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            challenge: None,
        }
    }

    fn challenge(status: StatusCode, realm: &str, error: Option<BearerErrorCode>) -> Self {
        let mut challenge = BearerChallenge::new().with_realm(realm);
        challenge.error = error;
        Self {
            status,
            challenge: Some(Box::new(challenge)),
        }
    }

    /// The status of the answer.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `WWW-Authenticate` challenge, if the answer has one.
    #[must_use]
    pub fn bearer_challenge(&self) -> Option<&BearerChallenge> {
        self.challenge.as_deref()
    }

    /// The answer, with an empty (default) body.
    #[must_use]
    pub fn into_response<B: Default>(self) -> http::Response<B> {
        let mut response = http::Response::new(B::default());
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        if let Some(challenge) = &self.challenge {
            // The challenge's Display keeps printable ASCII only.
            if let Ok(value) = HeaderValue::try_from(challenge.to_string()) {
                headers.insert(WWW_AUTHENTICATE, value);
            }
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(
                RETRY_AFTER,
                HeaderValue::from_static(UNAVAILABLE_RETRY_AFTER),
            );
        }
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.challenge.as_ref().and_then(|c| c.error.as_ref()) {
            Some(error) => write!(f, "{} {}", self.status.as_u16(), error.as_str()),
            None => write!(f, "{}", self.status.as_u16()),
        }
    }
}
