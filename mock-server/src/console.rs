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
//!   [`BATCH_INTERVAL`]: under a high request rate the entries merge;
//! - `event: resync`, first on every stream, and whenever the reader fell
//!   behind or the journal was reset: the page reads `GET /_mock/journal`
//!   again and merges by `seq`;
//! - a comment line every [`KEEP_ALIVE`] so that a dead reader is found.
//!
//! The token path never waits for a reader: it only sends a sequence
//! number into a bounded broadcast while a stream is open; the stream's own
//! task reads the entries back from the journal. A reader that stops
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
use crate::journal::{Feed, Notice};
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
    let capacity = state.settings.journal_capacity.max(1);
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
        let mut seqs = Vec::new();
        let mut resync = false;
        let mut notice = Some(first);
        while let Some(next) = notice {
            match next {
                Notice::Entry(seq) => seqs.push(seq),
                Notice::Resync => resync = true,
                Notice::Closed => return,
            }
            // More than the journal holds: those are gone, read it again.
            if seqs.len() > capacity {
                resync = true;
            }
            notice = feed.try_next();
        }
        let batch = if resync {
            message("resync", "{}")
        } else {
            let entries: Vec<_> = seqs
                .iter()
                .filter_map(|&seq| state.journal.entry(seq))
                .collect();
            if entries.len() == seqs.len() {
                // Strings, numbers and enums: serialization cannot fail.
                let data = serde_json::to_string(&entries).unwrap_or_else(|_| "[]".to_owned());
                message("entries", &data)
            } else {
                // Overwritten before this task read them.
                message("resync", "{}")
            }
        };
        if !send(&sender, batch, &mut stopped).await {
            return;
        }
        tokio::time::sleep(BATCH_INTERVAL).await;
    }
}
