//! The hyper `Service`: reads the body (bounded), dispatches on the path to
//! one file per endpoint, and records the exchange in the journal.

use std::borrow::Cow;
use std::future::Future;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;

use auth_core::form::Form;
use auth_core::{ErrorCode, ProviderError};
use bytes::{Bytes, BytesMut};
use http::Response;
use http::header::{CONNECTION, CONTENT_LENGTH};
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Either, Full, Limited};
use hyper::body::Incoming;

use crate::admin_access::Caller;
use crate::conformance::rules::Findings;
use crate::console::{self, EventStream};
use crate::fault::Fault;
use crate::journal::{BasicDecode, DetectedAuth, Record};
use crate::reply::{self, Because as _, Refusal, Reply};
use crate::routes;
use crate::state::State;
use crate::timed_io::{Busy, Phase};

/// One request, body read.
#[derive(Debug)]
pub(crate) struct Received<'a> {
    pub(crate) state: &'a State,
    pub(crate) peer: SocketAddr,
    /// The address the connection was accepted on.
    pub(crate) local: SocketAddr,
    /// Whether the connection is TLS.
    pub(crate) secure: bool,
    pub(crate) method: &'a Method,
    pub(crate) uri: &'a Uri,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
    /// Where a handler leaves its facts before it waits.
    pub(crate) waiting: &'a Waiting,
}

impl Received<'_> {
    /// What the admin access rules look at.
    pub(crate) fn caller(&self) -> Caller<'_> {
        Caller {
            peer: self.peer,
            local: self.local,
            secure: self.secure,
            method: self.method,
            uri: self.uri,
            headers: self.headers,
        }
    }
}

/// A handler's answer plus what the journal should know.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) response: Reply,
    pub(crate) auth: Option<DetectedAuth>,
    pub(crate) basic: Option<BasicDecode>,
    pub(crate) client_id: Option<String>,
    pub(crate) form: Option<Form>,
    pub(crate) findings: Findings,
    pub(crate) fault: Option<Fault>,
    /// The OAuth `error` code the answer carries.
    pub(crate) error: Option<Cow<'static, str>>,
    /// Journal only: why the request was refused ([`Refusal::reason`]).
    pub(crate) reason: Option<Cow<'static, str>>,
    /// Journal only: a client assertion's encoded header and claims
    /// ([`crate::assertion::header_and_claims`]).
    pub(crate) assertion: Option<String>,
    /// Journal only: an issued JWT's encoded header and claims.
    pub(crate) issued: Option<String>,
}

impl From<Reply> for Outcome {
    fn from(response: Reply) -> Self {
        Self {
            response,
            auth: None,
            basic: None,
            client_id: None,
            form: None,
            findings: Findings::default(),
            fault: None,
            error: None,
            reason: None,
            assertion: None,
            issued: None,
        }
    }
}

impl Outcome {
    /// The reply, or the RFC 6749 §5.2 answer to a refusal, its code and
    /// reason journaled.
    pub(crate) fn from_result(result: Result<Reply, Refusal>, realm: &str) -> Self {
        match result {
            Ok(reply) => Self::from(reply),
            Err(refusal) => {
                let mut outcome = Self::from(reply::build(StatusCode::OK, None, ""));
                outcome.answer(Err(refusal), realm);
                outcome
            }
        }
    }

    /// Sets the response: the reply, or the refusal's error (its code and
    /// reason journaled).
    pub(crate) fn answer(&mut self, result: Result<Reply, Refusal>, realm: &str) {
        match result {
            Ok(reply) => self.response = reply,
            Err(refusal) => {
                self.response = reply::oauth_error(&refusal.error, realm);
                self.error = Some(Cow::Owned(refusal.error.code.as_str().to_owned()));
                self.reason = Some(refusal.reason);
            }
        }
    }

    /// Adds the journal's reason.
    #[must_use]
    pub(crate) fn with_reason(mut self, reason: impl Into<Cow<'static, str>>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Adds the OAuth `error` code the reply carries.
    #[must_use]
    pub(crate) fn with_error(mut self, error: impl Into<Cow<'static, str>>) -> Self {
        self.error = Some(error.into());
        self
    }
}

/// Marks a reply that must not be sent: the connection is dropped instead
/// ([`Fault::Reset`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reset;

impl std::fmt::Display for Reset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset on purpose")
    }
}

impl std::error::Error for Reset {}

/// Where a connection comes from and goes to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Endpoints {
    pub(crate) peer: SocketAddr,
    pub(crate) local: SocketAddr,
    /// Whether the connection is TLS.
    pub(crate) secure: bool,
}

/// The per-connection service. A request clones the connection's own
/// `Arc`, never the server-wide [`State`]'s: with several workers, a count
/// that every request bumps on one shared cache line moves between cores
/// each time.
#[derive(Debug, Clone)]
pub(crate) struct Router(Arc<Connection>);

#[derive(Debug)]
struct Connection {
    state: Arc<State>,
    endpoints: Endpoints,
    /// Marks where requests start and end, for the connection's timeouts.
    phase: Arc<Phase>,
}

impl Router {
    pub(crate) fn new(state: Arc<State>, endpoints: Endpoints, phase: Arc<Phase>) -> Self {
        Self(Arc::new(Connection {
            state,
            endpoints,
            phase,
        }))
    }
}

/// What a connection answers with: a whole reply, or the console's event
/// stream.
pub(crate) type Answer = Response<Either<Full<Bytes>, EventStream>>;

impl hyper::service::Service<Request<Incoming>> for Router {
    type Response = Answer;
    type Error = Reset;
    type Future = Pin<Box<dyn Future<Output = Result<Answer, Reset>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let busy = self.0.phase.begin();
        if request.uri().path() == console::EVENTS_PATH {
            let answer = events(&self.0.state, self.0.endpoints, &request, busy);
            return Box::pin(async move { Ok(answer) });
        }
        let (parts, body) = request.into_parts();
        // The boxed future is written to the heap at every request: kept
        // small (issue 17).
        Box::pin(answer(Arc::clone(&self.0), parts, body, busy))
    }
}

/// One request's answer, or [`Reset`] to drop the connection instead. An
/// `async` block, not an `async fn`: its captures are used in place, where
/// an `async fn` would also copy its arguments into its state.
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn keeps a second copy of its arguments in its state"
)]
fn answer(
    connection: Arc<Connection>,
    parts: http::request::Parts,
    body: Incoming,
    busy: Busy,
) -> impl Future<Output = Result<Answer, Reset>> + Send {
    async move {
        let reply = handle(&connection.state, connection.endpoints, &parts, body).await;
        drop(busy);
        // An error makes hyper close the connection without an answer.
        match reply.extensions().get::<Reset>() {
            Some(reset) => Err(*reset),
            None => Ok(reply.map(Either::Left)),
        }
    }
}

/// `GET /_mock/ui/events`: the admin API's rules, then the stream (its
/// request body, if any, is not read: the connection closes after it).
fn events(
    state: &Arc<State>,
    endpoints: Endpoints,
    request: &Request<Incoming>,
    busy: Busy,
) -> Answer {
    let caller = Caller {
        peer: endpoints.peer,
        local: endpoints.local,
        secure: endpoints.secure,
        method: request.method(),
        uri: request.uri(),
        headers: request.headers(),
    };
    if *request.method() != Method::GET {
        return reply::method_not_allowed("GET").map(Either::Left);
    }
    match state.settings.admin.admit(&caller) {
        Ok(()) => console::events(state, busy).map(Either::Right),
        Err(refusal) => refusal.map(Either::Left),
    }
}

async fn handle(
    state: &State,
    endpoints: Endpoints,
    parts: &http::request::Parts,
    body: Incoming,
) -> Reply {
    let waiting = Waiting::default();
    // Declared after `waiting`, so dropped before it: a handler dropped
    // mid-wait is journaled from what it left there.
    let mut accounting = Accounting {
        state,
        parts,
        received_at: state.now_nanos(),
        waiting: &waiting,
        done: false,
    };
    let outcome = match read_body(state, &parts.headers, body).await {
        Ok(body) => {
            let received = Received {
                state,
                peer: endpoints.peer,
                local: endpoints.local,
                secure: endpoints.secure,
                method: &parts.method,
                uri: &parts.uri,
                headers: &parts.headers,
                body: &body,
                waiting: &waiting,
            };
            dispatch(&received).await
        }
        Err(refused) => *refused,
    };
    accounting.account(&outcome);
    outcome.response
}

/// Counts, journals and matches a request against the expectations once
/// it has its outcome, or, when it is dropped first, as unanswered.
///
/// hyper drops a request's handler when its client closes the connection
/// before the answer; the handler only yields while it waits (a latency or
/// hang fault), and that is when clients give up. nginx logs such a
/// request as 499 ("client closed request"); so does the journal, with
/// what the handler left in [`Waiting`].
struct Accounting<'a> {
    state: &'a State,
    parts: &'a http::request::Parts,
    received_at: i128,
    waiting: &'a Waiting,
    done: bool,
}

/// The status the journal and the metrics give a request whose client
/// closed the connection before its answer (nginx's 499); never sent.
const CLIENT_CLOSED_REQUEST: u16 = 499;

impl Accounting<'_> {
    fn account(&mut self, outcome: &Outcome) {
        self.done = true;
        let (state, parts) = (self.state, self.parts);
        state.metrics.observe(parts.uri.path(), outcome);
        if parts.uri.path().starts_with("/_mock/") {
            return;
        }
        state.journal.record(&Record {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query(),
            headers: &parts.headers,
            form: outcome.form.as_ref(),
            auth_method: outcome.auth,
            basic_decode: outcome.basic,
            status: outcome.response.status().as_u16(),
            client_id: outcome.client_id.as_deref(),
            fault: outcome.fault.as_ref(),
            error: outcome.error.as_deref(),
            reason: outcome.reason.as_deref(),
            assertion: outcome.assertion.as_deref(),
            issued_token: outcome.issued.as_deref(),
            findings: outcome.findings,
            received_at: self.received_at,
        });
        state
            .expectations
            .observe(&parts.method, parts.uri.path(), outcome);
    }
}

impl Drop for Accounting<'_> {
    fn drop(&mut self) {
        // A handler that panicked was not left by its client (and a second
        // panic while unwinding would abort).
        if !self.done && !std::thread::panicking() {
            let outcome = self.waiting.unanswered(self.state);
            self.account(&outcome);
        }
    }
}

/// What a handler leaves before it waits, for the journal if its client
/// hangs up meanwhile ([`Accounting`]).
#[derive(Debug, Default)]
pub(crate) struct Waiting(Mutex<Option<Box<Unanswered>>>);

/// The facts of a request that is waiting for its answer: what the journal
/// would show had it been answered.
#[derive(Debug, Default)]
pub(crate) struct Unanswered {
    pub(crate) fault: Option<Fault>,
    pub(crate) form: Option<Form>,
    pub(crate) client_id: Option<String>,
    pub(crate) auth: Option<DetectedAuth>,
    pub(crate) assertion: Option<String>,
    pub(crate) findings: Findings,
}

impl Waiting {
    /// Leaves the facts of the wait about to start.
    pub(crate) fn hold(&self, unanswered: Unanswered) {
        *self.lock() = Some(Box::new(unanswered));
    }

    /// The outcome of a request dropped before its answer: its client hung
    /// up, or the server shut down before the request was done.
    #[cold]
    fn unanswered(&self, state: &State) -> Outcome {
        let held = self.lock().take().map(|held| *held).unwrap_or_default();
        let status = StatusCode::from_u16(CLIENT_CLOSED_REQUEST)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut outcome = Outcome::from(reply::build(status, None, ""));
        let stopping = *state.shutdown.borrow();
        outcome.reason = Some(Cow::Borrowed(match (&held.fault, stopping) {
            (_, true) => "no answer: the server shut down before the request was done",
            (Some(_), false) => {
                "no answer: the client closed the connection while the fault held the answer back"
            }
            (None, false) => "no answer: the client closed the connection first",
        }));
        outcome.fault = held.fault;
        outcome.form = held.form;
        outcome.client_id = held.client_id;
        outcome.auth = held.auth;
        outcome.assertion = held.assertion;
        outcome.findings = held.findings;
        outcome
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Box<Unanswered>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

async fn dispatch(received: &Received<'_>) -> Outcome {
    // The token endpoint's future is kept inline; the others are boxed, so
    // this future (part of every request's boxed state) is the size of
    // the token endpoint's alone.
    match received.uri.path() {
        "/token" => routes::token::handle(received).await,
        "/introspect" => Box::pin(routes::introspect::handle(received)).await,
        "/revoke" => Box::pin(routes::revoke::handle(received)).await,
        routes::metadata::PATH => routes::metadata::handle(received),
        routes::metadata::OPENID_PATH => routes::metadata::handle_openid(received),
        routes::jwks::PATH => Box::pin(routes::jwks::handle(received)).await,
        "/resource" => Box::pin(routes::protected::handle(received)).await,
        "/healthz" => reply::build(StatusCode::OK, Some("text/plain"), "ok\n").into(),
        crate::metrics::PATH => routes::metrics::handle(received).into(),
        path if path == console::PATH || path.starts_with("/_mock/ui/") => {
            routes::ui::handle(received).into()
        }
        path if path.starts_with("/_mock/") => {
            Box::pin(routes::admin::handle(received)).await.into()
        }
        _ => Outcome::from(reply::not_found())
            .with_error("not_found")
            .with_reason("no endpoint at this path"),
    }
}

/// Reads the whole body, at most `max_body_bytes` (413 beyond, S-12), within
/// [`BODY_TIMEOUT`] (408 after).
async fn read_body(
    state: &State,
    headers: &HeaderMap,
    body: Incoming,
) -> Result<Bytes, Box<Outcome>> {
    let limit = state.settings.max_body_bytes;
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(declared) = declared.filter(|&n| n > limit as u64) {
        return Err(too_large(
            state,
            limit,
            format!("body: Content-Length {declared} is over max_body_bytes ({limit})"),
        ));
    }
    let mut body = Limited::new(body, limit);
    let mut collecting = pin!(collect(&mut body));
    // The usual body came with the head: polled once, it is complete, and
    // needs no timer (nor the clock read that sets one).
    let first = poll_fn(|cx| Poll::Ready(collecting.as_mut().poll(cx))).await;
    let collected = match first {
        Poll::Ready(collected) => Ok(collected),
        // Boxed: the timer is most of this future's size, and rare.
        Poll::Pending => {
            Box::pin(tokio::time::timeout(
                state.settings.body_timeout,
                collecting,
            ))
            .await
        }
    };
    match collected {
        Ok(Ok(collected)) => Ok(collected),
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => Err(too_large(
            state,
            limit,
            format!("body: more than max_body_bytes ({limit}) arrived"),
        )),
        Ok(Err(_)) => Err(closing(Outcome::from_result(
            Err(ProviderError::new(ErrorCode::InvalidRequest)
                .with_description("the request body could not be read")
                .because("body: the connection failed while the body was read")),
            &state.settings.realm,
        ))),
        Err(_) => Err(closing(
            Outcome::from(reply::build(
                StatusCode::REQUEST_TIMEOUT,
                Some("text/plain"),
                "request body timeout\n",
            ))
            .with_reason(format!(
                "body: not complete within body_timeout_ms ({} ms)",
                state.settings.body_timeout.as_millis()
            )),
        )),
    }
}

/// The body's data frames joined (trailers are not read). The usual body
/// is one frame: its bytes are the body, with no list and no copy.
async fn collect(body: &mut Limited<Incoming>) -> Result<Bytes, BoxError> {
    let mut first: Option<Bytes> = None;
    let mut joined: Option<BytesMut> = None;
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        if let Some(joined) = joined.as_mut() {
            joined.extend_from_slice(&data);
        } else if let Some(head) = first.take() {
            let mut both = BytesMut::with_capacity(head.len() + data.len());
            both.extend_from_slice(&head);
            both.extend_from_slice(&data);
            joined = Some(both);
        } else {
            first = Some(data);
        }
    }
    Ok(joined.map_or_else(|| first.unwrap_or_default(), BytesMut::freeze))
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[cold]
fn too_large(state: &State, limit: usize, reason: String) -> Box<Outcome> {
    let error = ProviderError::new(ErrorCode::InvalidRequest)
        .with_description(format!("the request body is larger than {limit} bytes"))
        .with_status(StatusCode::PAYLOAD_TOO_LARGE);
    closing(Outcome::from_result(
        Err(error.because(reason)),
        &state.settings.realm,
    ))
}

/// The connection cannot be reused after an unread body.
#[cold]
fn closing(mut outcome: Outcome) -> Box<Outcome> {
    outcome
        .response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    Box::new(outcome)
}
