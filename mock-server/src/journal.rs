//! Every request the mock saw (checklist S-71), with the conformance
//! findings on it. Bounded: the oldest entries are dropped.
//!
//! Redaction is by allowlist, as log scrubbers that must not leak do
//! (Envoy and nginx log chosen fields, never a whole request): only the
//! values of parameters and headers known to carry no credential are kept;
//! every other value shows as [`REDACTED`] with its length, whatever its
//! name or spelling (`password`, `Client_Secret`, `X-Api-Key`, a parameter
//! invented tomorrow). Names are kept. The findings are computed from the
//! raw request before it is recorded.
//!
//! Each entry also keeps the OAuth `error` code the answer carried and, for
//! a refusal, the `reason`: which check failed and on what (a scope token,
//! a client id, a parameter name). The reason exists only here; the wire
//! keeps its fixed descriptions, which never echo input. It follows the
//! same rule as the rest of the entry: no secret, no token, nothing derived
//! from one.
//!
//! The web console follows the journal live through a [`Feed`]: a bounded
//! broadcast of the sequence numbers of new entries, sent only while a
//! console listens (one atomic load otherwise). A sender never waits for a
//! reader: a reader that falls more than [`FEED_CAPACITY`] entries behind
//! learns that it lagged and reads the journal again.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::broadcast;

use crate::conformance::Finding;
use crate::conformance::rules::Findings;
use crate::fault::Fault;

/// What every redacted value in the journal starts with; the length in
/// bytes follows: `[REDACTED] (12 bytes)`.
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
    /// A signed client assertion (`private_key_jwt`, `client_secret_jwt`:
    /// RFC 7523 §2.2).
    Assertion,
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
    /// The entry's sequence number: 1 for the first request the server
    /// saw, one more for each next one (also across a reset), so a reader
    /// can tell new entries from ones it has.
    pub seq: u64,
    /// The request method.
    pub method: String,
    /// The request target (path and query; query values other than the
    /// known-safe parameters redacted).
    pub path: String,
    /// Request headers in order; values other than the known-safe headers
    /// redacted; `Authorization` keeps only a registered scheme.
    pub headers: Vec<(String, String)>,
    /// The decoded form body, if it was one (values other than the
    /// known-safe parameters redacted).
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
    /// The OAuth `error` code the answer carried: the RFC 6749 §5.2 body's
    /// `error` (`invalid_scope`, also when a fault served it) or the
    /// RFC 6750 §3 `WWW-Authenticate` error at the resource.
    pub error: Option<String>,
    /// Why the request was refused, or why a token was inactive at
    /// introspection or revocation: the check that failed and on what.
    /// Only in the journal; the answer's description stays fixed.
    pub reason: Option<String>,
    /// Conformance findings on the request (token endpoint).
    pub findings: Vec<Finding>,
    /// A client assertion's decoded header and claims
    /// (`{"header": ..., "claims": ...}`), never its signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_assertion: Option<serde_json::Value>,
    /// A JWT access token the answer carried, decoded: its header and
    /// claims (`{"header": ..., "claims": ...}`), never its signature, so
    /// that it cannot be used from the journal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_token: Option<serde_json::Value>,
    /// When it arrived (mock clock).
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

/// Text kept per slot between entries; a slot that held a larger request
/// gives its buffer back instead of keeping it.
const MAX_RETAINED_TEXT: usize = 4 * 1024;

/// The bounded journal: a ring of `capacity` slots, each behind its own
/// lock, written in place. Steady state allocates nothing per request (the
/// slots reuse their buffers) and frees nothing on another thread's arena,
/// so memory stays flat and writers rarely meet: two requests share a slot
/// only when they are `capacity` requests apart. Entries are expanded to
/// [`JournalEntry`] only when read.
#[derive(Debug)]
pub(crate) struct Journal {
    /// Each slot is allocated on its first entry, so a fresh server does
    /// not touch `capacity` slots' worth of pages before it answers.
    slots: Box<[Mutex<Option<Box<Slot>>>]>,
    /// Sequence number of the next entry (1-based; 0 marks an empty slot).
    next: AtomicU64,
    token_requests: AtomicUsize,
    /// New entries' sequence numbers (0: the journal was cleared), sent
    /// only while `listeners` is not 0. Made by the first follower: the
    /// channel's 4,096 slots are 160 KiB written at creation, a tenth of a
    /// millisecond of a server's start-up that only the console needs
    /// (issue 17).
    feed: OnceLock<broadcast::Sender<u64>>,
    listeners: Arc<AtomicUsize>,
}

/// How many new-entry notices a console reader may fall behind before it
/// lags (it then hears of the newest only).
pub(crate) const FEED_CAPACITY: usize = 4096;

/// One reader of the journal's new entries ([`Journal::follow`]).
#[derive(Debug)]
pub(crate) struct Feed {
    receiver: broadcast::Receiver<u64>,
    listeners: Arc<AtomicUsize>,
}

/// What a [`Feed`] says next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notice {
    /// The entry with this sequence number was recorded.
    Entry(u64),
    /// The reader fell behind: notices were lost, the newest are kept.
    Lagged,
    /// The journal was cleared: read it again.
    Cleared,
    /// The journal is gone (the server stopped).
    Closed,
}

impl Feed {
    /// Waits for the next notice.
    pub(crate) async fn next(&mut self) -> Notice {
        Self::notice(&self.receiver.recv().await)
    }

    /// The next notice if one is waiting.
    pub(crate) fn try_next(&mut self) -> Option<Notice> {
        match self.receiver.try_recv() {
            Err(broadcast::error::TryRecvError::Empty) => None,
            Ok(seq) => Some(Self::notice(&Ok(seq))),
            Err(broadcast::error::TryRecvError::Lagged(_)) => Some(Notice::Lagged),
            Err(broadcast::error::TryRecvError::Closed) => Some(Notice::Closed),
        }
    }

    fn notice(received: &Result<u64, broadcast::error::RecvError>) -> Notice {
        match *received {
            Ok(0) => Notice::Cleared,
            Err(broadcast::error::RecvError::Lagged(_)) => Notice::Lagged,
            Ok(seq) => Notice::Entry(seq),
            Err(broadcast::error::RecvError::Closed) => Notice::Closed,
        }
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        self.listeners.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What one request needs to be journaled, borrowed from the handler.
#[derive(Debug)]
pub(crate) struct Record<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) headers: &'a http::HeaderMap,
    pub(crate) form: Option<&'a auth_core::form::Form>,
    pub(crate) auth_method: Option<DetectedAuth>,
    pub(crate) basic_decode: Option<BasicDecode>,
    pub(crate) status: u16,
    pub(crate) client_id: Option<&'a str>,
    pub(crate) fault: Option<&'a Fault>,
    pub(crate) error: Option<&'a str>,
    pub(crate) reason: Option<&'a str>,
    pub(crate) assertion: Option<&'a str>,
    pub(crate) issued_token: Option<&'a str>,
    pub(crate) findings: Findings,
    /// Unix nanoseconds ([`crate::state::State::now_nanos`]): the date is
    /// worked out when the journal is read, not per request.
    pub(crate) received_at: i128,
}

/// One journal entry, stored compactly: every string in one buffer, cut
/// at the recorded ends.
#[derive(Debug)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "one flag per optional string in `text`, read back in order"
)]
struct Slot {
    seq: u64,
    /// Method, target, header names and values, form names and values,
    /// client id, fault, error, reason, assertion, issued token, in that order.
    text: String,
    ends: Vec<u32>,
    headers: usize,
    form: Option<usize>,
    has_client_id: bool,
    has_fault: bool,
    has_error: bool,
    has_reason: bool,
    has_assertion: bool,
    has_issued_token: bool,
    auth_method: Option<DetectedAuth>,
    basic_decode: Option<BasicDecode>,
    status: u16,
    findings: Findings,
    received_at: i128,
}

impl Slot {
    fn empty() -> Self {
        Self {
            seq: 0,
            text: String::new(),
            ends: Vec::new(),
            headers: 0,
            form: None,
            has_client_id: false,
            has_fault: false,
            has_error: false,
            has_reason: false,
            has_assertion: false,
            has_issued_token: false,
            auth_method: None,
            basic_decode: None,
            status: 0,
            findings: Findings::default(),
            received_at: 0,
        }
    }

    /// Ends the string written since the previous end.
    fn cut(&mut self) {
        // The text is bounded by the request limits, far below 4 GiB.
        self.ends
            .push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }

    fn write(&mut self, seq: u64, record: &Record<'_>) {
        if self.text.capacity() > MAX_RETAINED_TEXT {
            self.text = String::new();
        }
        self.text.clear();
        self.ends.clear();
        self.seq = seq;
        self.text.push_str(record.method);
        self.cut();
        push_target(&mut self.text, record.path, record.query);
        self.cut();
        for (name, value) in record.headers {
            self.text.push_str(name.as_str());
            self.cut();
            push_header_value(&mut self.text, name, value);
            self.cut();
        }
        self.headers = record.headers.len();
        self.form = record.form.map(|form| {
            for (name, value) in form.pairs() {
                self.text.push_str(name);
                self.cut();
                push_param_value(&mut self.text, name, value);
                self.cut();
            }
            form.len()
        });
        self.has_client_id = record.client_id.is_some();
        if let Some(id) = record.client_id {
            self.text.push_str(id);
            self.cut();
        }
        self.has_fault = record.fault.is_some();
        if let Some(fault) = record.fault {
            let _ = write!(self.text, "{fault:?}");
            self.cut();
        }
        self.has_error = record.error.is_some();
        if let Some(error) = record.error {
            self.text.push_str(error);
            self.cut();
        }
        self.has_reason = record.reason.is_some();
        if let Some(reason) = record.reason {
            self.text.push_str(reason);
            self.cut();
        }
        self.has_assertion = record.assertion.is_some();
        if let Some(assertion) = record.assertion {
            self.text.push_str(assertion);
            self.cut();
        }
        self.has_issued_token = record.issued_token.is_some();
        if let Some(issued) = record.issued_token {
            self.text.push_str(issued);
            self.cut();
        }
        self.auth_method = record.auth_method;
        self.basic_decode = record.basic_decode;
        self.status = record.status;
        self.findings = record.findings;
        self.received_at = record.received_at;
    }

    fn expand(&self) -> JournalEntry {
        let mut start = 0;
        let mut strings = self.ends.iter().map(|&end| {
            let end = end as usize;
            let piece = self.text.get(start..end).unwrap_or_default().to_owned();
            start = end;
            piece
        });
        let mut next = || strings.next().unwrap_or_default();
        let method = next();
        let path = next();
        let headers = (0..self.headers).map(|_| (next(), next())).collect();
        let form = self
            .form
            .map(|pairs| (0..pairs).map(|_| (next(), next())).collect());
        let client_id = self.has_client_id.then(&mut next);
        let fault = self.has_fault.then(&mut next);
        let error = self.has_error.then(&mut next);
        let reason = self.has_reason.then(&mut next);
        let client_assertion = self
            .has_assertion
            .then(&mut next)
            .and_then(|text| crate::assertion::decoded(&text));
        let issued_token = self
            .has_issued_token
            .then(&mut next)
            .and_then(|text| crate::assertion::decoded(&text));
        JournalEntry {
            seq: self.seq,
            method,
            path,
            headers,
            form,
            auth_method: self.auth_method,
            basic_decode: self.basic_decode,
            status: self.status,
            client_id,
            fault,
            error,
            reason,
            findings: self.findings.expanded(),
            client_assertion,
            issued_token,
            received_at: crate::state::date_of(self.received_at),
        }
    }
}

impl Journal {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            slots: (0..capacity.max(1)).map(|_| Mutex::new(None)).collect(),
            next: AtomicU64::new(1),
            token_requests: AtomicUsize::new(0),
            feed: OnceLock::new(),
            listeners: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Follows the new entries from now on.
    pub(crate) fn follow(&self) -> Feed {
        self.listeners.fetch_add(1, Ordering::Relaxed);
        Feed {
            receiver: self
                .feed
                .get_or_init(|| broadcast::channel(FEED_CAPACITY).0)
                .subscribe(),
            listeners: Arc::clone(&self.listeners),
        }
    }

    /// Tells the readers, if any (never waits: the channel is bounded and
    /// overwrites what a slow reader has not taken).
    fn announce(&self, seq: u64) {
        if self.listeners.load(Ordering::Relaxed) != 0
            && let Some(feed) = self.feed.get()
        {
            let _ = feed.send(seq);
        }
    }

    /// The newest sequence number handed out (0 before the first entry).
    pub(crate) fn latest_seq(&self) -> u64 {
        self.next.load(Ordering::Relaxed).saturating_sub(1)
    }

    /// The entry with this sequence number, while the ring still holds it.
    pub(crate) fn entry(&self, seq: u64) -> Option<JournalEntry> {
        let slot = self.slot(seq);
        slot.as_ref()
            .filter(|slot| slot.seq == seq && seq != 0)
            .map(|slot| slot.expand())
    }

    fn slot(&self, seq: u64) -> std::sync::MutexGuard<'_, Option<Box<Slot>>> {
        let len = self.slots.len() as u64;
        // `seq % len` is below `len`, a `usize`.
        let index = usize::try_from(seq % len).unwrap_or_default();
        self.slots[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn record(&self, record: &Record<'_>) {
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        let mut guard = self.slot(seq);
        let slot = guard.get_or_insert_with(|| Box::new(Slot::empty()));
        // A later request that shares this slot finished first: this one
        // would have been dropped already.
        if slot.seq < seq {
            slot.write(seq, record);
        }
        drop(guard);
        self.announce(seq);
    }

    pub(crate) fn count_token_request(&self) {
        self.token_requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn token_requests(&self) -> usize {
        self.token_requests.load(Ordering::Relaxed)
    }

    /// Oldest first.
    pub(crate) fn entries(&self) -> Vec<JournalEntry> {
        let mut entries: Vec<(u64, JournalEntry)> = self
            .slots
            .iter()
            .filter_map(|slot| {
                let slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
                let slot = slot.as_ref().filter(|slot| slot.seq != 0)?;
                Some((slot.seq, slot.expand()))
            })
            .collect();
        entries.sort_unstable_by_key(|(seq, _)| *seq);
        entries.into_iter().map(|(_, entry)| entry).collect()
    }

    pub(crate) fn clear(&self) {
        for slot in &self.slots {
            if let Some(slot) = slot.lock().unwrap_or_else(PoisonError::into_inner).as_mut() {
                slot.seq = 0;
            }
        }
        self.token_requests.store(0, Ordering::Relaxed);
        self.announce(0);
    }
}

/// Parameters whose values the journal shows (exact names: OAuth
/// parameter names are case-sensitive, so `Client_Id` is not `client_id`).
/// What a reader needs to judge a token, introspection or revocation
/// request, none of it a credential: the grant and what it asks for (RFC
/// 6749 §4.4.2, RFC 8707 §2, `audience` as RFC 8693 §2.1 and common
/// providers use it), the client's public identifier (RFC 6749 §2.2), the
/// type URIs that name an assertion or token without being one (RFC 7521
/// §4.2, RFC 8693 §2.1) and a token type hint (RFC 7009 §2.1, RFC 7662
/// §2.1). Secrets, assertions and tokens (`client_secret`,
/// `client_assertion`, `token`, `subject_token`, `refresh_token`,
/// `password`, `code`, ...) are not listed, nor is anything unknown.
const SAFE_PARAMS: [&str; 10] = [
    "grant_type",
    "scope",
    "resource",
    "audience",
    "client_id",
    "client_assertion_type",
    "token_type_hint",
    "requested_token_type",
    "subject_token_type",
    "actor_token_type",
];

/// Defines `SAFE_HEADERS` (for tests) and `is_safe_header` from one list: the
/// check is a `match` (a length switch, then one compare), run for every
/// header of every request.
macro_rules! safe_headers {
    ($($name:literal,)*) => {
        /// Headers whose values the journal shows (names as `http` stores
        /// them, lowercase): framing, content negotiation and caching (RFC
        /// 9110, RFC 9111, RFC 9112), which the conformance review reads and
        /// which carry no credential. `Cookie`, API-key headers, `DPoP`
        /// proofs, forwarding and tracing headers and anything unknown are
        /// redacted.
        #[cfg(test)]
        const SAFE_HEADERS: &[&str] = &[$($name),*];

        /// Whether the journal shows this header's value.
        fn is_safe_header(name: &str) -> bool {
            matches!(name, $($name)|*)
        }
    };
}

safe_headers! {
    "accept",
    "accept-charset",
    "accept-encoding",
    "accept-language",
    "cache-control",
    "connection",
    "content-encoding",
    "content-language",
    "content-length",
    "content-type",
    "date",
    "expect",
    "host",
    "keep-alive",
    "pragma",
    "te",
    "transfer-encoding",
    "user-agent",
}

/// `Authorization` schemes shown before the redacted credentials (the IANA
/// HTTP Authentication Scheme Registry, compared case-insensitively as RFC
/// 9110 §11.1 says). Anything else in the scheme's place might be the
/// credential itself, sent without a scheme.
const KNOWN_SCHEMES: [&str; 14] = [
    "Basic",
    "Bearer",
    "Concealed",
    "Digest",
    "DPoP",
    "GNAP",
    "HOBA",
    "Mutual",
    "Negotiate",
    "OAuth",
    "PrivateToken",
    "SCRAM-SHA-1",
    "SCRAM-SHA-256",
    "vapid",
];

fn is_safe_param(name: &str) -> bool {
    SAFE_PARAMS.contains(&name)
}

/// Appends `[REDACTED] (n bytes)` (several times per request: no `fmt`).
fn push_redacted(out: &mut String, len: usize) {
    out.push_str(REDACTED);
    out.push_str(" (");
    out.push_str(itoa::Buffer::new().format(len));
    out.push_str(if len == 1 { " byte)" } else { " bytes)" });
}

/// A header value as text: borrowed when it is UTF-8, which `from_utf8`
/// checks a word at a time (`from_utf8_lossy` goes byte by byte).
fn header_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Appends a (decoded) parameter value, or its redaction.
fn push_param_value(out: &mut String, name: &str, value: &str) {
    if is_safe_param(name) {
        out.push_str(value);
    } else {
        push_redacted(out, value.len());
    }
}

/// Appends a request target; query values other than the safe
/// parameters' are redacted (their decoded length shown).
fn push_target(out: &mut String, path: &str, query: Option<&str>) {
    out.push_str(path);
    let Some(query) = query else {
        return;
    };
    out.push('?');
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        let Some((name, value)) = pair.split_once('=') else {
            out.push_str(pair);
            continue;
        };
        let decoded = auth_core::form::decode_component(name.as_bytes()).unwrap_or_default();
        out.push_str(name);
        out.push('=');
        if is_safe_param(&decoded) {
            out.push_str(value);
        } else {
            let len = auth_core::form::decode_component(value.as_bytes())
                .map_or(value.len(), |v| v.len());
            push_redacted(out, len);
        }
    }
}

/// Appends a header value as text: safe headers as sent, credentials with
/// only a registered scheme, everything else redacted.
fn push_header_value(out: &mut String, name: &http::HeaderName, value: &http::HeaderValue) {
    let bytes = value.as_bytes();
    match name.as_str() {
        "authorization" | "proxy-authorization" => {
            let text = header_text(bytes);
            let text = text.trim_start();
            match text.split_once(' ') {
                Some((scheme, credentials))
                    if KNOWN_SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(scheme)) =>
                {
                    out.push_str(scheme);
                    out.push(' ');
                    push_redacted(out, credentials.trim().len());
                }
                _ => push_redacted(out, bytes.len()),
            }
        }
        safe if is_safe_header(safe) => out.push_str(&header_text(bytes)),
        _ => push_redacted(out, bytes.len()),
    }
}

/// A request target as the journal shows it.
#[cfg(test)]
fn redact_target(path: &str, query: Option<&str>) -> String {
    let mut out = String::new();
    push_target(&mut out, path, query);
    out
}

/// Headers as the journal shows them.
#[cfg(test)]
fn redact_headers(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let mut shown = String::new();
            push_header_value(&mut shown, name, value);
            (name.as_str().to_owned(), shown)
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn query_values_outside_the_allowlist_are_redacted_with_their_length_s10() {
        assert_eq!(
            redact_target("/token", Some("client_id=a&client_secret=b&x")),
            "/token?client_id=a&client_secret=[REDACTED] (1 byte)&x"
        );
        assert_eq!(
            redact_target("/r", Some("access_token=t%2Bt")),
            "/r?access_token=[REDACTED] (3 bytes)"
        );
        assert_eq!(
            redact_target(
                "/token",
                Some("scope=a+b&password=hunter2&Client_Secret=s3cret&subject%5Ftoken=eyJ")
            ),
            "/token?scope=a+b&password=[REDACTED] (7 bytes)&Client_Secret=[REDACTED] (6 bytes)\
             &subject%5Ftoken=[REDACTED] (3 bytes)"
        );
    }

    #[test]
    fn form_values_outside_the_allowlist_are_redacted_in_every_spelling() {
        let safe = [
            ("grant_type", "client_credentials"),
            ("scope", "read write"),
            ("client_id", "svc"),
            ("resource", "https://api.example.com/"),
            ("audience", "api"),
            ("token_type_hint", "access_token"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
        ];
        // (name, value, what the journal shows)
        let secret = [
            ("password", "hunter2", "[REDACTED] (7 bytes)"),
            ("assertion", "eyJhbGciOi", "[REDACTED] (10 bytes)"),
            (
                "client_assertion",
                "eyJhbGciOiJSUzI1NiJ9",
                "[REDACTED] (20 bytes)",
            ),
            ("subject_token", "tok", "[REDACTED] (3 bytes)"),
            ("Client_Secret", "s3cret", "[REDACTED] (6 bytes)"),
            ("CLIENT_ID", "looks-safe", "[REDACTED] (10 bytes)"),
            ("x-new-thing", "", "[REDACTED] (0 bytes)"),
        ];
        let sent: Vec<_> = safe
            .into_iter()
            .chain(secret.iter().map(|&(name, value, _)| (name, value)))
            .collect();
        let expected: Vec<_> = safe
            .into_iter()
            .chain(secret.iter().map(|&(name, _, shown)| (name, shown)))
            .collect();
        let journal = Journal::new(1);
        record(&journal, "/token", &pairs(&sent));
        let shown = journal.entries().pop().unwrap().form.unwrap();
        assert_eq!(shown, pairs(&expected));
    }

    #[test]
    fn header_values_outside_the_allowlist_are_redacted_with_their_length() {
        let mut headers = http::HeaderMap::new();
        for (name, value) in [
            ("host", "127.0.0.1:8080"),
            ("content-type", "application/x-www-form-urlencoded"),
            ("content-length", "29"),
            ("user-agent", "auth-http/0.1"),
            ("x-api-key", "k3y-value"),
            ("X-Api-Key", "second"),
            ("cookie", "session=abc"),
            ("dpop", "eyJ0eXAiOiJkcG9wK2p3dCJ9"),
            ("x-custom", "anything"),
        ] {
            headers.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                http::HeaderValue::from_static(value),
            );
        }
        assert_eq!(
            redact_headers(&headers),
            pairs(&[
                ("host", "127.0.0.1:8080"),
                ("content-type", "application/x-www-form-urlencoded"),
                ("content-length", "29"),
                ("user-agent", "auth-http/0.1"),
                ("x-api-key", "[REDACTED] (9 bytes)"),
                ("x-api-key", "[REDACTED] (6 bytes)"),
                ("cookie", "[REDACTED] (11 bytes)"),
                ("dpop", "[REDACTED] (24 bytes)"),
                ("x-custom", "[REDACTED] (8 bytes)"),
            ])
        );
    }

    #[test]
    fn the_safe_headers_are_shown_and_nothing_else_is() {
        for name in SAFE_HEADERS {
            assert!(is_safe_header(name), "{name}");
        }
        for name in [
            "",
            "a",
            "authorization",
            "cookie",
            "hostx",
            "tf",
            "user-agent2",
            "zzz",
        ] {
            assert!(!is_safe_header(name), "{name}");
        }
    }

    #[test]
    fn a_header_value_that_is_not_utf8_is_shown_lossily() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "user-agent",
            http::HeaderValue::from_bytes(b"caf\xe9 \xff/1").unwrap(),
        );
        assert_eq!(
            redact_headers(&headers),
            pairs(&[("user-agent", "caf\u{fffd} \u{fffd}/1")])
        );
    }

    #[test]
    fn authorization_keeps_only_a_registered_scheme() {
        for (value, shown) in [
            (
                "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW",
                "Basic [REDACTED] (28 bytes)",
            ),
            ("bearer abc.def", "bearer [REDACTED] (7 bytes)"),
            ("DPoP  tok", "DPoP [REDACTED] (3 bytes)"),
            // No scheme, or one nobody registered: it may be the credential.
            ("s3cret-token", "[REDACTED] (12 bytes)"),
            ("s3cret tail", "[REDACTED] (11 bytes)"),
        ] {
            for name in ["authorization", "proxy-authorization"] {
                let mut headers = http::HeaderMap::new();
                headers.insert(name, http::HeaderValue::from_static(value));
                assert_eq!(redact_headers(&headers), pairs(&[(name, shown)]), "{value}");
            }
        }
    }

    fn record(journal: &Journal, path: &str, form: &[(String, String)]) {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "authorization",
            http::HeaderValue::from_static("Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"),
        );
        headers.append("x-a", http::HeaderValue::from_static("1"));
        headers.append("x-a", http::HeaderValue::from_static("2"));
        journal.record(&Record {
            method: "POST",
            path,
            query: Some("access_token=t&x=1"),
            headers: &headers,
            form: Some(&form.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()),
            auth_method: Some(DetectedAuth::Basic),
            basic_decode: None,
            status: 200,
            client_id: Some("c"),
            fault: None,
            error: Some("invalid_scope"),
            reason: Some("scope `admin` is not allowed for client `c`"),
            assertion: None,
            issued_token: None,
            findings: Findings::default(),
            received_at: 0,
        });
    }

    #[test]
    fn the_ring_keeps_the_newest_entries_oldest_first_and_redacted() {
        let journal = Journal::new(3);
        let form = [
            ("client_secret".to_owned(), "s".to_owned()),
            ("scope".to_owned(), "read".to_owned()),
        ];
        for i in 0..5 {
            record(&journal, &format!("/{i}"), &form);
        }
        let entries = journal.entries();
        let paths: Vec<&str> = entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/2?access_token=[REDACTED] (1 byte)&x=[REDACTED] (1 byte)",
                "/3?access_token=[REDACTED] (1 byte)&x=[REDACTED] (1 byte)",
                "/4?access_token=[REDACTED] (1 byte)&x=[REDACTED] (1 byte)"
            ]
        );
        let entry = &entries[0];
        assert_eq!(entry.method, "POST");
        assert_eq!(
            entry.headers,
            [
                (
                    "authorization".to_owned(),
                    "Basic [REDACTED] (28 bytes)".to_owned()
                ),
                ("x-a".to_owned(), "[REDACTED] (1 byte)".to_owned()),
                ("x-a".to_owned(), "[REDACTED] (1 byte)".to_owned()),
            ]
        );
        assert_eq!(
            entry.form.as_deref(),
            Some(
                &[
                    ("client_secret".to_owned(), "[REDACTED] (1 byte)".to_owned()),
                    ("scope".to_owned(), "read".to_owned()),
                ][..]
            )
        );
        assert_eq!(entry.client_id.as_deref(), Some("c"));
        assert_eq!(entry.fault, None);
        assert_eq!(entry.error.as_deref(), Some("invalid_scope"));
        assert_eq!(
            entry.reason.as_deref(),
            Some("scope `admin` is not allowed for client `c`")
        );
        journal.clear();
        assert!(journal.entries().is_empty());
    }

    #[test]
    fn a_follower_hears_of_each_new_entry_and_reads_it_back_by_its_seq() {
        let journal = Journal::new(4);
        record(&journal, "/before", &[]);
        let mut feed = journal.follow();
        record(&journal, "/token", &[]);
        assert_eq!(feed.try_next(), Some(Notice::Entry(2)));
        assert_eq!(feed.try_next(), None);
        let entry = journal.entry(2).unwrap();
        assert_eq!(
            (entry.seq, entry.path.as_str()),
            (
                2,
                "/token?access_token=[REDACTED] (1 byte)&x=[REDACTED] (1 byte)"
            )
        );
        assert_eq!(journal.entries()[0].seq, 1);
    }

    #[test]
    fn a_follower_that_falls_behind_hears_it_lagged_then_the_newest_and_a_clear_as_cleared() {
        let journal = Journal::new(2);
        let mut feed = journal.follow();
        for _ in 0..=FEED_CAPACITY {
            record(&journal, "/token", &[]);
        }
        assert_eq!(feed.try_next(), Some(Notice::Lagged));
        let mut newest = 0;
        while let Some(Notice::Entry(seq)) = feed.try_next() {
            newest = seq;
        }
        assert_eq!(newest, u64::try_from(FEED_CAPACITY).unwrap() + 1);
        // The ring no longer holds the first entries.
        assert!(journal.entry(1).is_none());
        journal.clear();
        let mut fresh = journal.follow();
        journal.clear();
        assert_eq!(fresh.try_next(), Some(Notice::Cleared));
    }

    #[test]
    fn followers_are_counted_while_they_listen() {
        let journal = Journal::new(2);
        let feed = journal.follow();
        assert_eq!(journal.listeners.load(Ordering::Relaxed), 1);
        drop(feed);
        assert_eq!(journal.listeners.load(Ordering::Relaxed), 0);
        // No follower: nothing is sent.
        record(&journal, "/token", &[]);
        assert_eq!(journal.feed.get().map_or(0, broadcast::Sender::len), 0);
    }

    #[test]
    fn the_feed_channel_is_made_by_the_first_follower_not_at_start() {
        let journal = Journal::new(2);
        record(&journal, "/token", &[]);
        assert!(journal.feed.get().is_none(), "made before anyone followed");
        let mut feed = journal.follow();
        assert!(journal.feed.get().is_some());
        record(&journal, "/token", &[]);
        assert_eq!(feed.try_next(), Some(Notice::Entry(2)));
    }
}
