//! The web console (`/_mock/ui`): a page that shows the journal live, the
//! registered clients, the queued faults and the mock clock, and drives the
//! admin API. Plain HTML, CSS and JavaScript embedded in the binary (no
//! build step, no CDN), under a Content-Security-Policy that allows only
//! this server's own script and style (no inline script: an entry is
//! attacker-controlled bytes, and the page writes every value as text).
//!
//! The live part is a server-sent event stream (`GET /_mock/ui/events`,
//! `text/event-stream`) fed by the journal's [`Feed`]:
//!
//! - `event: entries`, data a JSON array of new journal entries (as
//!   `GET /_mock/journal` shows them), at most one message per
//!   [`BATCH_INTERVAL`]: under a high request rate the entries merge, and
//!   a message carries the newest [`MAX_BATCH_ENTRIES`] at most;
//! - `event: skipped`, data `{"count": n}`, before such a message: n
//!   entries went by unsent (the journal still has them);
//! - `event: resync`, first on every stream, and when the journal was
//!   reset: the page reads `GET /_mock/journal` again and merges by `seq`;
//! - a comment line every [`KEEP_ALIVE`] so that a dead reader is found.
//!
//! The token path never waits for a reader: it only sends a sequence
//! number into a bounded broadcast while a stream is open; the stream's own
//! task reads the entries back from the journal, at most
//! [`MAX_BATCH_ENTRIES`] per [`BATCH_INTERVAL`], so its cost does not grow
//! with the request rate. A reader that stops
//! reading is dropped by the connection's write timeout.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, Response, StatusCode};
use hyper::body::{Body, Frame};
use serde_json::json;
use tokio::sync::mpsc;

use crate::conformance::rules::RULES;
use crate::journal::{Feed, Journal, Notice};
use crate::reply::{self, Reply};
use crate::state::State;
use crate::timed_io::Busy;

/// Where the console lives.
pub(crate) const PATH: &str = "/_mock/ui";
/// The event stream.
pub(crate) const EVENTS_PATH: &str = "/_mock/ui/events";

/// At most one `entries` message per interval: what arrives meanwhile is
/// merged into the next one.
pub(crate) const BATCH_INTERVAL: Duration = Duration::from_millis(100);
/// The most entries one message carries (250 a second: more than anyone
/// reads live); more in one interval are counted in an `event: skipped`.
/// Expanding and serializing entries is the stream's whole cost: at 500 a
/// message it took a third of the token throughput under load
/// (`benches/console.rs`).
pub(crate) const MAX_BATCH_ENTRIES: usize = 25;
/// A comment line after this long without a message.
pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The page's policy: its own script, style and API; no inline script or
/// style, no plugins, no framing, forms only to itself.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

const INDEX_HTML: &str = include_str!("../ui/index.html");
const CONSOLE_JS: &str = include_str!("../ui/console.js");
const CONSOLE_CSS: &str = include_str!("../ui/console.css");

/// An embedded asset by its path under [`PATH`], with its media type.
pub(crate) fn asset(path: &str) -> Option<(&'static str, &'static str)> {
    match path {
        "" | "/" => Some(("text/html; charset=utf-8", INDEX_HTML)),
        "/console.js" => Some(("text/javascript; charset=utf-8", CONSOLE_JS)),
        "/console.css" => Some(("text/css; charset=utf-8", CONSOLE_CSS)),
        _ => None,
    }
}

/// An asset reply: the policy on every one, never sniffed, never framed.
pub(crate) fn asset_reply(content_type: &'static str, body: &'static str) -> Reply {
    let mut reply = reply::build(StatusCode::OK, Some(content_type), body);
    let headers = reply.headers_mut();
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    // Not `no-referrer`: under it the browser sends `Origin: null`, and the
    // sign-in and the cookie-authenticated writes need the real one.
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    reply
}

/// The conformance rules the findings name (id, RFC section, level and
/// texts), from the rule table itself.
pub(crate) fn rules_json() -> String {
    let rules: Vec<_> = RULES
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id,
                "rfc": rule.rfc,
                "level": rule.level.as_str(),
                "title": rule.title,
                "checked": rule.checked,
                "fix": rule.fix,
            })
        })
        .collect();
    serde_json::Value::from(rules).to_string()
}

/// The body of an event stream: what its task sends, until the task ends.
/// It holds the connection's [`Busy`] mark: a stream is an answer still
/// going out, not an idle connection.
#[derive(Debug)]
pub(crate) struct EventStream {
    messages: mpsc::Receiver<Bytes>,
    _busy: Busy,
}

impl Body for EventStream {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.messages
            .poll_recv(cx)
            .map(|message| message.map(|bytes| Ok(Frame::data(bytes))))
    }
}

/// Opens an event stream on the journal: the answer's head now, the
/// messages from a task of its own.
pub(crate) fn events(state: &Arc<State>, busy: Busy) -> Response<EventStream> {
    // Two messages in flight: a reader that stops reading holds the task
    // at `send`, never the token path, until the write timeout drops it.
    let (sender, messages) = mpsc::channel(2);
    let feed = state.journal.follow();
    tokio::spawn(pump(Arc::clone(state), feed, sender));
    let mut response = Response::new(EventStream {
        messages,
        _busy: busy,
    });
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// One message: `event: {name}` and one `data:` line (JSON has no raw
/// newline).
fn message(name: &str, data: &str) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

/// Sends unless the server is stopping; false when the stream is over.
async fn send(
    sender: &mpsc::Sender<Bytes>,
    bytes: Bytes,
    stopped: &mut tokio::sync::watch::Receiver<bool>,
) -> bool {
    tokio::select! {
        sent = sender.send(bytes) => sent.is_ok(),
        () = crate::server::stopping(stopped) => false,
    }
}

/// The stream's task: a resync first, then batches of new entries.
async fn pump(state: Arc<State>, mut feed: Feed, sender: mpsc::Sender<Bytes>) {
    let mut stopped = state.shutdown.clone();
    if !send(&sender, message("resync", "{}"), &mut stopped).await {
        return;
    }
    // The newest entry sent, or already in the journal the page reads on
    // a resync.
    let mut sent = state.journal.latest_seq();
    loop {
        let first = tokio::select! {
            notice = feed.next() => notice,
            () = tokio::time::sleep(KEEP_ALIVE) => {
                if send(&sender, Bytes::from_static(b": keep-alive\n\n"), &mut stopped).await {
                    continue;
                }
                return;
            }
            () = crate::server::stopping(&mut stopped) => return,
        };
        let mut newest = 0;
        let mut cleared = false;
        let mut notice = Some(first);
        while let Some(next) = notice {
            match next {
                Notice::Entry(seq) => newest = newest.max(seq),
                // Lost notices name older entries: the newest still come.
                Notice::Lagged => {}
                Notice::Cleared => cleared = true,
                Notice::Closed => return,
            }
            notice = feed.try_next();
        }
        let batch = if cleared {
            sent = state.journal.latest_seq();
            message("resync", "{}")
        } else if newest > sent {
            let batch = Batch::newest(&state.journal, sent, newest);
            sent = newest;
            batch.to_message()
        } else {
            continue;
        };
        if !send(&sender, batch, &mut stopped).await {
            return;
        }
        tokio::time::sleep(BATCH_INTERVAL).await;
    }
}

/// The entries of one message: the newest [`MAX_BATCH_ENTRIES`] recorded
/// since the last message, and how many went by unsent. Under a high
/// request rate a batch is bounded, so the stream costs the server the
/// same at 100 or 100,000 requests a second; the journal keeps them all.
struct Batch {
    entries: Vec<crate::journal::JournalEntry>,
    skipped: u64,
}

impl Batch {
    /// Entries `after + 1 ..= newest`, the newest ones first in line.
    fn newest(journal: &Journal, after: u64, newest: u64) -> Self {
        let limit = u64::try_from(MAX_BATCH_ENTRIES).unwrap_or(u64::MAX);
        let first = (after + 1).max(newest.saturating_sub(limit - 1));
        let entries: Vec<_> = (first..=newest)
            .filter_map(|seq| journal.entry(seq))
            .collect();
        let wanted = newest - after;
        let skipped = wanted - u64::try_from(entries.len()).unwrap_or(wanted);
        Self { entries, skipped }
    }

    /// `event: skipped` (when entries went by unsent), then `event: entries`.
    fn to_message(&self) -> Bytes {
        // Strings, numbers and enums: serialization cannot fail.
        let data = serde_json::to_string(&self.entries).unwrap_or_else(|_| "[]".to_owned());
        let entries = message("entries", &data);
        if self.skipped == 0 {
            return entries;
        }
        let mut both = message("skipped", &format!("{{\"count\":{}}}", self.skipped)).to_vec();
        both.extend_from_slice(&entries);
        Bytes::from(both)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;
    use crate::conformance::rules::Findings;
    use crate::journal::Record;

    fn record(journal: &Journal) {
        journal.record(&Record {
            method: "POST",
            path: "/token",
            query: None,
            headers: &http::HeaderMap::new(),
            form: None,
            auth_method: None,
            basic_decode: None,
            status: 200,
            client_id: None,
            fault: None,
            error: None,
            reason: None,
            assertion: None,
            issued_token: None,
            findings: Findings::default(),
            received_at: 0,
        });
    }

    fn data_of<'a>(message: &'a str, event: &str) -> Option<&'a str> {
        let rest = message.split(&format!("event: {event}\ndata: ")).nth(1)?;
        rest.split('\n').next()
    }

    #[test]
    fn a_burst_beyond_one_batch_sends_the_newest_entries_and_counts_the_rest_as_skipped() {
        let journal = Journal::new(2000);
        for _ in 0..1200 {
            record(&journal);
        }
        let batch = Batch::newest(&journal, 100, 1200);
        let limit = u64::try_from(MAX_BATCH_ENTRIES).unwrap();
        assert_eq!(batch.entries.len(), MAX_BATCH_ENTRIES);
        assert_eq!(batch.skipped, 1100 - limit);
        let message = batch.to_message();
        let message = std::str::from_utf8(&message).unwrap();
        assert!(message.starts_with("event: skipped\n"), "{message}");
        let skipped = format!(r#"{{"count":{}}}"#, 1100 - limit);
        assert_eq!(data_of(message, "skipped"), Some(skipped.as_str()));
        let entries: serde_json::Value =
            serde_json::from_str(data_of(message, "entries").unwrap()).unwrap();
        let seqs: Vec<u64> = entries
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["seq"].as_u64().unwrap())
            .collect();
        assert_eq!(
            seqs,
            (1200 - limit + 1..=1200).collect::<Vec<_>>(),
            "the newest, in order"
        );
    }

    #[test]
    fn a_small_batch_is_sent_whole_without_a_skipped_event() {
        let journal = Journal::new(16);
        for _ in 0..5 {
            record(&journal);
        }
        let batch = Batch::newest(&journal, 2, 5);
        assert_eq!(batch.skipped, 0);
        let message = batch.to_message();
        let message = std::str::from_utf8(&message).unwrap();
        assert!(message.starts_with("event: entries\n"), "{message}");
        assert!(!message.contains("skipped"));
    }

    #[test]
    fn entries_the_ring_no_longer_holds_count_as_skipped() {
        let journal = Journal::new(4);
        for _ in 0..10 {
            record(&journal);
        }
        // 3..=10 asked; the ring holds 7..=10.
        let batch = Batch::newest(&journal, 2, 10);
        assert_eq!(batch.entries.len(), 4);
        assert_eq!(batch.skipped, 4);
    }
}
