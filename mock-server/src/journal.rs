//! Every request the mock saw (checklist S-71), secrets redacted, with the
//! conformance findings on it. Bounded: the oldest entries are dropped.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use time::OffsetDateTime;

use crate::conformance::Finding;

/// What replaces a secret in the journal.
pub const REDACTED: &str = "[REDACTED]";

/// How the client tried to authenticate (RFC 6749 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DetectedAuth {
    /// `Authorization: Basic`, RFC 6749 §2.3.1 encoded (or not matching anyone).
    Basic,
    /// `client_id` + `client_secret` in the body.
    Post,
    /// Both at once (refused: RFC 6749 §2.3).
    Both,
    /// No client credentials.
    None,
    /// Basic without the §2.3.1 form-encoding: only the raw decode matches a client.
    NaiveBasic,
}

/// How `Authorization: Basic` decoded, judged against the registry
/// (checklist S-71 "decode verdict").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BasicDecode {
    /// The RFC 6749 §2.3.1 decode matches a registered client.
    Strict,
    /// Only the raw (unencoded, RFC 7617 style) decode matches a client.
    OnlyNaive,
    /// The strict decode matches, but the halves hold characters a form
    /// encoder escapes (raw UTF-8, space, `:`): the client did not encode.
    Unencoded,
    /// Not standard padded base64 (RFC 7617 §2, RFC 4648 §4).
    BadBase64,
    /// Neither matches (unknown client, wrong secret, broken encoding).
    NoMatch,
}

/// One request and the answer it got.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct JournalEntry {
    /// The request method.
    pub method: String,
    /// The request target (path and query; secret query values redacted).
    pub path: String,
    /// Request headers in order; `Authorization` keeps only its scheme.
    pub headers: Vec<(String, String)>,
    /// The decoded form body, if it was one (`client_secret` and tokens redacted).
    pub form: Option<Vec<(String, String)>>,
    /// How the client authenticated (client-authenticated endpoints only).
    pub auth_method: Option<DetectedAuth>,
    /// How Basic credentials decoded, when there were some.
    pub basic_decode: Option<BasicDecode>,
    /// The status served.
    pub status: u16,
    /// The client, as authenticated or claimed.
    pub client_id: Option<String>,
    /// The fault served, if any (its debug form).
    pub fault: Option<String>,
    /// Conformance findings on the request (token endpoint).
    pub findings: Vec<Finding>,
    /// When it arrived (mock clock).
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

/// The bounded journal.
#[derive(Debug)]
pub(crate) struct Journal {
    entries: Mutex<VecDeque<JournalEntry>>,
    capacity: usize,
    token_requests: AtomicUsize,
}

impl Journal {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(VecDeque::new()),
            capacity: capacity.max(1),
            token_requests: AtomicUsize::new(0),
        }
    }

    pub(crate) fn record(&self, entry: JournalEntry) {
        let evicted = {
            let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            let evicted = if entries.len() >= self.capacity {
                entries.pop_front()
            } else {
                None
            };
            entries.push_back(entry);
            evicted
        };
        // Freed outside the lock.
        drop(evicted);
    }

    pub(crate) fn count_token_request(&self) {
        self.token_requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn token_requests(&self) -> usize {
        self.token_requests.load(Ordering::Relaxed)
    }

    pub(crate) fn entries(&self) -> Vec<JournalEntry> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    pub(crate) fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.token_requests.store(0, Ordering::Relaxed);
    }
}

/// Parameter names whose values are secrets.
const SECRET_PARAMS: [&str; 5] = [
    "client_secret",
    "token",
    "access_token",
    "refresh_token",
    "client_assertion",
];

pub(crate) fn is_secret_param(name: &str) -> bool {
    SECRET_PARAMS.contains(&name)
}

/// Form pairs with secret values replaced.
pub(crate) fn redact_form(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| {
            (
                n.clone(),
                if is_secret_param(n) {
                    REDACTED.to_owned()
                } else {
                    v.clone()
                },
            )
        })
        .collect()
}

/// A request target with secret query values replaced.
pub(crate) fn redact_target(path: &str, query: Option<&str>) -> String {
    let Some(query) = query else {
        return path.to_owned();
    };
    let redacted: Vec<String> = query
        .split('&')
        .map(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            let decoded = auth_core::form::decode_component(name.as_bytes()).unwrap_or_default();
            if is_secret_param(&decoded) {
                format!("{name}={REDACTED}")
            } else {
                pair.to_owned()
            }
        })
        .collect();
    format!("{path}?{}", redacted.join("&"))
}

/// Headers as strings; credentials keep only their scheme.
pub(crate) fn redact_headers(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let text = String::from_utf8_lossy(value.as_bytes());
            let shown = match name.as_str() {
                "authorization" | "proxy-authorization" => match text.trim().split_once(' ') {
                    Some((scheme, _)) => format!("{scheme} {REDACTED}"),
                    None => REDACTED.to_owned(),
                },
                "cookie" => REDACTED.to_owned(),
                _ => text.into_owned(),
            };
            (name.as_str().to_owned(), shown)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_secrets_are_redacted_s10() {
        assert_eq!(
            redact_target("/token", Some("client_id=a&client_secret=b&x")),
            "/token?client_id=a&client_secret=[REDACTED]&x"
        );
        assert_eq!(
            redact_target("/r", Some("access_token=t")),
            "/r?access_token=[REDACTED]"
        );
    }

    #[test]
    fn authorization_keeps_only_the_scheme() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "authorization",
            http::HeaderValue::from_static("Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"),
        );
        assert_eq!(
            redact_headers(&headers),
            [("authorization".to_owned(), "Basic [REDACTED]".to_owned())]
        );
    }
}
