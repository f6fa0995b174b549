//! Building responses: JSON, RFC 6749 §5.2 errors with their headers.

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
pub(crate) fn basic_challenge(realm: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("Basic realm=\"{realm}\""))
        .unwrap_or(HeaderValue::from_static("Basic"))
}

/// An RFC 6749 §5.2 error: JSON body, no-store; 401 carries a Basic
/// challenge (RFC 6749 §5.2, RFC 9110 §15.5.2); 405 carries `Allow: POST`.
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
