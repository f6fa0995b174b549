//! Building responses: JSON, RFC 6749 §5.2 errors with their headers, and
//! refusals that tell the journal why.

use std::borrow::Cow;
use std::fmt;

use auth_core::response::CONTENT_TYPE_JSON;
use auth_core::{ProviderError, RetryAfter};
use bytes::Bytes;
use http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, PRAGMA, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;

/// Every response the server sends.
pub(crate) type Reply = Response<Full<Bytes>>;

pub(crate) fn build(
    status: StatusCode,
    content_type: Option<&'static str>,
    body: impl Into<Bytes>,
) -> Reply {
    let mut reply = Response::new(Full::new(body.into()));
    *reply.status_mut() = status;
    if let Some(content_type) = content_type {
        reply
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    reply
}

pub(crate) fn json(status: StatusCode, body: impl Into<Bytes>) -> Reply {
    build(status, Some(CONTENT_TYPE_JSON), body)
}

/// RFC 6749 §5.1: "Cache-Control: no-store" and "Pragma: no-cache" on
/// responses with tokens or credentials (errors too, S-36, S-41).
pub(crate) fn no_store(mut reply: Reply) -> Reply {
    reply
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    reply
        .headers_mut()
        .insert(PRAGMA, HeaderValue::from_static("no-cache"));
    reply
}

/// `Basic realm="..."` (the realm is validated printable ASCII).
#[cold]
pub(crate) fn basic_challenge(realm: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("Basic realm=\"{realm}\""))
        .unwrap_or(HeaderValue::from_static("Basic"))
}

/// An RFC 6749 §5.2 error: JSON body, no-store; 401 carries a Basic
/// challenge (RFC 6749 §5.2, RFC 9110 §15.5.2); 405 carries `Allow: POST`.
#[cold]
pub(crate) fn oauth_error(error: &ProviderError, realm: &str) -> Reply {
    let mut reply = no_store(json(error.status, error.to_json()));
    if error.status == StatusCode::UNAUTHORIZED {
        reply
            .headers_mut()
            .insert(WWW_AUTHENTICATE, basic_challenge(realm));
    }
    if let Some(RetryAfter::Delay(delay)) = error.retry_after {
        reply
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(delay.as_secs()));
    }
    if error.status == StatusCode::METHOD_NOT_ALLOWED {
        reply
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
    }
    reply
}

pub(crate) fn not_found() -> Reply {
    json(StatusCode::NOT_FOUND, r#"{"error":"not_found"}"#)
}

pub(crate) fn method_not_allowed(allow: &'static str) -> Reply {
    let mut reply = json(
        StatusCode::METHOD_NOT_ALLOWED,
        r#"{"error":"method_not_allowed"}"#,
    );
    reply
        .headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    reply
}

/// A refused request: the RFC 6749 §5.2 error the client is sent (fixed
/// descriptions, input never echoed) and, for the journal only, why.
#[derive(Debug)]
pub(crate) struct Refusal {
    /// Boxed: refusals are the rare path, and results stay small.
    pub(crate) error: Box<ProviderError>,
    /// Which check failed and on what, for a person reading the journal:
    /// client ids, scope tokens, resource URIs and parameter names, never a
    /// secret, a token or anything derived from one (the journal shows
    /// only what its allowlist shows).
    pub(crate) reason: Cow<'static, str>,
}

/// Attaches the journal's reason to a wire error.
pub(crate) trait Because {
    /// The refusal: `self` on the wire, `reason` in the journal.
    fn because(self, reason: impl Into<Cow<'static, str>>) -> Refusal;
}

impl Because for ProviderError {
    // Cold: the branch that refuses is laid out away from the hot path,
    // keeping the usual request's code dense in the instruction cache.
    #[cold]
    fn because(self, reason: impl Into<Cow<'static, str>>) -> Refusal {
        Refusal {
            error: Box::new(self),
            reason: reason.into(),
        }
    }
}

/// Most bytes of a value quoted in an error or a journal reason.
pub(crate) const MAX_QUOTED_BYTES: usize = 128;

/// At most `max` bytes of `text`, cut on a character boundary, `…` marking a cut.
pub(crate) fn bounded(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}…", &text[..end]))
}

/// A value in backticks, at most [`MAX_QUOTED_BYTES`] of it: for a client
/// id, a scope token, a resource or a parameter name in a journal reason.
pub(crate) struct Quoted<'a>(pub(crate) &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", bounded(self.0, MAX_QUOTED_BYTES))
    }
}
