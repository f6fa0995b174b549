//! Expectations on the in-process server, wiremock style: say which
//! requests a test expects and how many, then [`MockServer::verify`] (or
//! drop the server) to check.
//!
//! A request is counted against every expectation it matches at the moment
//! it is journaled, so counts do not depend on the journal (a bounded ring)
//! still holding it; only requests journaled after an expectation was
//! registered count toward it. Admin calls (`/_mock/...`) are not journaled
//! and never count.
//!
//! [`MockServer::verify`]: crate::MockServer::verify

use std::collections::BTreeSet;
use std::fmt;
use std::ops::{Range, RangeFrom, RangeFull, RangeInclusive, RangeTo, RangeToInclusive};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use auth_core::form::Form;
use http::Method;

use crate::journal::{DetectedAuth, JournalEntry};
use crate::router::Outcome;
use crate::state::State;

/// Most received requests a [`VerifyError`] lists (the newest).
pub const MAX_LISTED_REQUESTS: usize = 100;

/// Requests to the token endpoint (`/token`).
#[must_use]
pub fn token_request() -> RequestMatcher {
    any_request().path("/token")
}

/// Requests to the introspection endpoint (`/introspect`, RFC 7662).
#[must_use]
pub fn introspection_request() -> RequestMatcher {
    any_request().path("/introspect")
}

/// Requests to the revocation endpoint (`/revoke`, RFC 7009).
#[must_use]
pub fn revocation_request() -> RequestMatcher {
    any_request().path("/revoke")
}

/// Requests to the bearer-protected test resource (`/resource`).
#[must_use]
pub fn resource_request() -> RequestMatcher {
    any_request().path("/resource")
}

/// Requests for the RFC 8414 metadata document.
#[must_use]
pub fn metadata_request() -> RequestMatcher {
    any_request().path(crate::routes::metadata::PATH)
}

/// Every journaled request; narrow it with the matcher's methods.
#[must_use]
pub fn any_request() -> RequestMatcher {
    RequestMatcher::default()
}

/// Which requests an [`Expectation`] counts: every condition set must hold.
///
/// Start from [`token_request`], [`introspection_request`],
/// [`revocation_request`], [`resource_request`], [`metadata_request`] or
/// [`any_request`]. Conditions are on what the request carried, as the
/// journal records it: the `scope` a token request asked for, not the one
/// granted.
///
/// ```
/// use mock_server::{DetectedAuth, token_request};
/// let matcher = token_request()
///     .client("svc")
///     .auth(DetectedAuth::Basic)
///     .scope("write read")
///     .resource("https://api.example.com/")
///     .status(200);
/// assert_eq!(
///     matcher.to_string(),
///     r#"* /token client=svc auth=basic scope="read write" resource=https://api.example.com/ status=200"#
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMatcher {
    method: Option<String>,
    path: Option<String>,
    client: Option<String>,
    auth: Option<DetectedAuth>,
    scope: Option<ScopeCondition>,
    resources: Vec<String>,
    status: Option<u16>,
}

/// What the `scope` parameter must be.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ScopeCondition {
    /// Present, and exactly this set.
    Exactly(BTreeSet<String>),
    /// Present, and holding at least these.
    Includes(BTreeSet<String>),
    /// Not sent at all.
    Absent,
}

/// The scope tokens of a `scope` value: RFC 6749 §3.3 makes it a
/// space-delimited list whose order does not matter.
fn scope_set(scope: &str) -> BTreeSet<String> {
    scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn join(set: &BTreeSet<String>) -> String {
    set.iter().map(String::as_str).collect::<Vec<_>>().join(" ")
}

impl RequestMatcher {
    /// Only requests with this method (`"POST"`, `"GET"`; case-sensitive,
    /// RFC 9110 §9.1).
    #[must_use]
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Only requests to this path (exactly; the query is not part of it),
    /// e.g. `"/healthz"`.
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Only requests from this client: the id the client authenticated as,
    /// or claimed when authentication failed.
    #[must_use]
    pub fn client(mut self, client_id: impl Into<String>) -> Self {
        self.client = Some(client_id.into());
        self
    }

    /// Only requests whose client authentication was detected as `auth`
    /// (client-authenticated endpoints: token, introspection, revocation).
    #[must_use]
    pub fn auth(mut self, auth: DetectedAuth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Only requests whose `scope` parameter is exactly this set of scopes
    /// (space-separated; order does not matter, RFC 6749 §3.3). A request
    /// without a `scope` parameter does not match, even when it was granted
    /// the client's default scopes. Replaces an earlier scope condition.
    #[must_use]
    pub fn scope(mut self, scope: &str) -> Self {
        self.scope = Some(ScopeCondition::Exactly(scope_set(scope)));
        self
    }

    /// Only requests whose `scope` parameter holds at least these scopes
    /// (space-separated), others allowed. Replaces an earlier scope condition.
    #[must_use]
    pub fn scope_includes(mut self, scopes: &str) -> Self {
        self.scope = Some(ScopeCondition::Includes(scope_set(scopes)));
        self
    }

    /// Only requests without a `scope` parameter. Replaces an earlier scope
    /// condition.
    #[must_use]
    pub fn without_scope(mut self) -> Self {
        self.scope = Some(ScopeCondition::Absent);
        self
    }

    /// Only requests with this RFC 8707 `resource` parameter among theirs
    /// (exact string). Call again to require several.
    #[must_use]
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resources.push(resource.into());
        self
    }

    /// Only requests that were answered with this status.
    #[must_use]
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    fn matches(&self, seen: &Seen<'_>) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m == seen.method.as_str())
            && self.path.as_deref().is_none_or(|p| p == seen.path)
            && self
                .client
                .as_deref()
                .is_none_or(|c| Some(c) == seen.client)
            && self.auth.is_none_or(|a| Some(a) == seen.auth)
            && self.status.is_none_or(|s| s == seen.status)
            && self.scope.as_ref().is_none_or(|condition| {
                let sent = seen.form.and_then(|form| form.get("scope"));
                match (condition, sent) {
                    (ScopeCondition::Absent, sent) => sent.is_none(),
                    (_, None) => false,
                    (ScopeCondition::Exactly(want), Some(sent)) => &scope_set(sent) == want,
                    (ScopeCondition::Includes(want), Some(sent)) => {
                        want.is_subset(&scope_set(sent))
                    }
                }
            })
            && self.resources.iter().all(|want| {
                seen.form
                    .is_some_and(|form| form.get_all("resource").any(|r| r == want))
            })
    }
}

/// The line format of [`VerifyError`]: method (`*` for any), path, then the
/// conditions set.
impl fmt::Display for RequestMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.method {
            Some(method) => write!(f, "{method}")?,
            None => f.write_str("*")?,
        }
        write!(f, " {}", self.path.as_deref().unwrap_or("*"))?;
        if let Some(client) = &self.client {
            write!(f, " client={client}")?;
        }
        if let Some(auth) = self.auth {
            write!(f, " auth={}", auth_name(auth))?;
        }
        match &self.scope {
            Some(ScopeCondition::Exactly(set)) => write!(f, " scope={:?}", join(set))?,
            Some(ScopeCondition::Includes(set)) => write!(f, " scope includes {:?}", join(set))?,
            Some(ScopeCondition::Absent) => f.write_str(" no scope")?,
            None => {}
        }
        for resource in &self.resources {
            write!(f, " resource={resource}")?;
        }
        if let Some(status) = self.status {
            write!(f, " status={status}")?;
        }
        Ok(())
    }
}

/// The journal's name for a detected authentication (its JSON form).
fn auth_name(auth: DetectedAuth) -> &'static str {
    match auth {
        DetectedAuth::Basic => "basic",
        DetectedAuth::Post => "post",
        DetectedAuth::Both => "both",
        DetectedAuth::None => "none",
        DetectedAuth::NaiveBasic => "naive_basic",
        DetectedAuth::Assertion => "assertion",
    }
}

/// How many matching requests an expectation wants, like wiremock's
/// `Times`: a number, or any range of numbers.
///
/// ```
/// use mock_server::Times;
/// assert_eq!(Times::from(2).to_string(), "exactly 2");
/// assert_eq!(Times::from(1..).to_string(), "at least 1");
/// assert_eq!(Times::from(..=3).to_string(), "at most 3");
/// assert_eq!(Times::from(1..3).to_string(), "between 1 and 2");
/// assert!(Times::from(1..=3).contains(3) && !Times::from(1..3).contains(3));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Times {
    min: u64,
    /// Inclusive; `None`: no upper bound.
    max: Option<u64>,
}

impl Times {
    /// Exactly `n`.
    #[must_use]
    pub const fn exactly(n: u64) -> Self {
        Self {
            min: n,
            max: Some(n),
        }
    }

    /// `n` or more.
    #[must_use]
    pub const fn at_least(n: u64) -> Self {
        Self { min: n, max: None }
    }

    /// `n` or fewer.
    #[must_use]
    pub const fn at_most(n: u64) -> Self {
        Self {
            min: 0,
            max: Some(n),
        }
    }

    /// Whether `n` matching requests satisfy it.
    #[must_use]
    pub fn contains(&self, n: u64) -> bool {
        n >= self.min && self.max.is_none_or(|max| n <= max)
    }
}

impl fmt::Display for Times {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.min, self.max) {
            (0, Some(0)) => f.write_str("never"),
            (0, None) => f.write_str("any number"),
            (min, None) => write!(f, "at least {min}"),
            (0, Some(max)) => write!(f, "at most {max}"),
            (min, Some(max)) if min == max => write!(f, "exactly {min}"),
            (min, Some(max)) if min > max => f.write_str("a number in an empty range"),
            (min, Some(max)) => write!(f, "between {min} and {max}"),
        }
    }
}

impl From<u64> for Times {
    fn from(n: u64) -> Self {
        Self::exactly(n)
    }
}

impl From<RangeInclusive<u64>> for Times {
    fn from(range: RangeInclusive<u64>) -> Self {
        Self {
            min: *range.start(),
            max: Some(*range.end()),
        }
    }
}

impl From<Range<u64>> for Times {
    /// An empty range (`3..3`, `..0`) is satisfied by no count.
    fn from(range: Range<u64>) -> Self {
        match range.end.checked_sub(1) {
            Some(max) => Self {
                min: range.start,
                max: Some(max),
            },
            None => Self {
                min: 1,
                max: Some(0),
            },
        }
    }
}

impl From<RangeFrom<u64>> for Times {
    fn from(range: RangeFrom<u64>) -> Self {
        Self::at_least(range.start)
    }
}

impl From<RangeTo<u64>> for Times {
    fn from(range: RangeTo<u64>) -> Self {
        Self::from(0..range.end)
    }
}

impl From<RangeToInclusive<u64>> for Times {
    fn from(range: RangeToInclusive<u64>) -> Self {
        Self::at_most(range.end)
    }
}

impl From<RangeFull> for Times {
    fn from(_: RangeFull) -> Self {
        Self::at_least(0)
    }
}

/// One registered expectation: the matcher, the wanted count, and the
/// count so far.
#[derive(Debug)]
struct Registered {
    matcher: RequestMatcher,
    terms: Mutex<Terms>,
    matched: AtomicU64,
    /// Verified by its [`ExpectationGuard`], not by the server.
    scoped: bool,
}

#[derive(Debug, Clone)]
struct Terms {
    times: Times,
    name: Option<String>,
}

impl Registered {
    fn terms(&self) -> std::sync::MutexGuard<'_, Terms> {
        self.terms.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn unmet(&self) -> Option<UnmetExpectation> {
        let terms = self.terms().clone();
        let matched = self.matched.load(Ordering::Acquire);
        (!terms.times.contains(matched)).then(|| UnmetExpectation {
            matcher: self.matcher.clone(),
            name: terms.name,
            times: terms.times,
            matched,
        })
    }
}

/// A handle on a registered expectation: set how many matching requests
/// it wants (default: at least one) and read how many it has counted.
///
/// From [`MockServer::expect`](crate::MockServer::expect); the server
/// checks it on [`verify`](crate::MockServer::verify) and when dropped.
/// Dropping the handle does not remove the expectation.
#[derive(Debug, Clone)]
pub struct Expectation {
    registered: Arc<Registered>,
}

#[expect(
    clippy::must_use_candidate,
    clippy::return_self_not_must_use,
    reason = "registered already: `server.expect(m).times(1);` drops the handle on purpose"
)]
impl Expectation {
    fn set_times(&self, times: Times) {
        self.registered.terms().times = times;
    }

    /// Wants a number of matching requests: `times(1)`, `times(2..=3)`,
    /// `times(1..)`, `times(..5)` ([`Times`]).
    pub fn times(self, times: impl Into<Times>) -> Self {
        self.set_times(times.into());
        self
    }

    /// Wants `n` or more matching requests.
    pub fn at_least(self, n: u64) -> Self {
        self.times(Times::at_least(n))
    }

    /// Wants `n` or fewer matching requests.
    pub fn at_most(self, n: u64) -> Self {
        self.times(Times::at_most(n))
    }

    /// Wants no matching request.
    pub fn never(self) -> Self {
        self.times(Times::exactly(0))
    }

    /// A name shown in the verification message.
    pub fn named(self, name: impl Into<String>) -> Self {
        self.registered.terms().name = Some(name.into());
        self
    }

    /// How many requests it has counted so far.
    #[must_use]
    pub fn match_count(&self) -> u64 {
        self.registered.matched.load(Ordering::Acquire)
    }

    /// Whether the count so far is one it wants.
    #[must_use]
    pub fn is_satisfied(&self) -> bool {
        self.registered.unmet().is_none()
    }
}

/// An expectation verified when this guard is dropped (and then removed),
/// like wiremock's `MockGuard`; from
/// [`MockServer::expect_scoped`](crate::MockServer::expect_scoped). The
/// server's own [`verify`](crate::MockServer::verify) leaves it out.
///
/// Dropping it with the count unmet panics with the [`VerifyError`]
/// message, unless the thread is panicking already.
#[must_use = "the expectation is verified when the guard is dropped: bind it, `let _guard = ...`"]
#[derive(Debug)]
pub struct ExpectationGuard {
    expectation: Expectation,
    state: Arc<State>,
}

impl ExpectationGuard {
    /// Wants a number of matching requests ([`Expectation::times`]).
    pub fn times(self, times: impl Into<Times>) -> Self {
        self.expectation.set_times(times.into());
        self
    }

    /// Wants `n` or more matching requests.
    pub fn at_least(self, n: u64) -> Self {
        self.times(Times::at_least(n))
    }

    /// Wants `n` or fewer matching requests.
    pub fn at_most(self, n: u64) -> Self {
        self.times(Times::at_most(n))
    }

    /// Wants no matching request.
    pub fn never(self) -> Self {
        self.times(Times::exactly(0))
    }

    /// A name shown in the verification message.
    pub fn named(self, name: impl Into<String>) -> Self {
        self.expectation.registered.terms().name = Some(name.into());
        self
    }

    /// The expectation ([`Expectation::match_count`] and the like).
    #[must_use]
    pub fn expectation(&self) -> &Expectation {
        &self.expectation
    }

    /// Checks the expectation now, without panicking.
    pub fn try_verify(&self) -> Result<(), VerifyError> {
        let unmet: Vec<_> = self.expectation.registered.unmet().into_iter().collect();
        check(&self.state, unmet)
    }
}

impl Drop for ExpectationGuard {
    fn drop(&mut self) {
        self.state.expectations.remove(&self.expectation.registered);
        // A second panic while unwinding would abort the test binary and
        // hide the first (wiremock's `MockGuard` holds back the same way).
        if !std::thread::panicking()
            && let Err(error) = self.try_verify()
        {
            panic!("{error}");
        }
    }
}

/// Some expectations were not met: each of them, with what was received.
///
/// `Display` lists one line per unmet expectation (its matcher, the count
/// wanted, the count seen), then one line per request the journal still
/// holds (method, path, client, auth method, scope, resource, status), the
/// newest [`MAX_LISTED_REQUESTS`] at most. Journal values are redacted, so
/// the message carries no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyError {
    unmet: Vec<UnmetExpectation>,
    received: Vec<String>,
    /// Requests in the journal not listed.
    not_listed: usize,
    /// The journal is full: older requests are gone.
    journal_full: bool,
}

impl VerifyError {
    /// The expectations whose count is not one they want.
    #[must_use]
    pub fn unmet(&self) -> &[UnmetExpectation] {
        &self.unmet
    }

    /// The requests received, oldest first, one line each as `Display`
    /// shows them (the newest [`MAX_LISTED_REQUESTS`] the journal holds).
    #[must_use]
    pub fn received(&self) -> &[String] {
        &self.received
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.unmet.len();
        let plural = if n == 1 { "" } else { "s" };
        write!(f, "{n} expectation{plural} not met:")?;
        for unmet in &self.unmet {
            write!(f, "\n- {unmet}")?;
        }
        if self.received.is_empty() {
            return f.write_str("\nno requests received");
        }
        f.write_str("\nrequests received, oldest first")?;
        if self.journal_full {
            f.write_str(" (the journal is full: earlier ones are gone)")?;
        }
        f.write_str(":")?;
        if self.not_listed > 0 {
            write!(f, "\n  ({} earlier not listed)", self.not_listed)?;
        }
        for line in &self.received {
            write!(f, "\n  {line}")?;
        }
        Ok(())
    }
}

impl std::error::Error for VerifyError {}

/// One expectation that was not met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmetExpectation {
    matcher: RequestMatcher,
    name: Option<String>,
    times: Times,
    matched: u64,
}

impl UnmetExpectation {
    /// Which requests it counted.
    #[must_use]
    pub fn matcher(&self) -> &RequestMatcher {
        &self.matcher
    }

    /// Its name, if it was given one.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// How many it wanted.
    #[must_use]
    pub fn times(&self) -> Times {
        self.times
    }

    /// How many it counted.
    #[must_use]
    pub fn match_count(&self) -> u64 {
        self.matched
    }
}

impl fmt::Display for UnmetExpectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = &self.name {
            write!(f, "{name:?}: ")?;
        }
        write!(
            f,
            "{}: wanted {}, matched {}",
            self.matcher, self.times, self.matched
        )
    }
}

/// `Ok` when nothing is unmet; else the error with what was received.
fn check(state: &State, unmet: Vec<UnmetExpectation>) -> Result<(), VerifyError> {
    if unmet.is_empty() {
        return Ok(());
    }
    let entries = state.journal.entries();
    let journal_full = entries.len() >= state.settings.journal_capacity;
    let not_listed = entries.len().saturating_sub(MAX_LISTED_REQUESTS);
    let received = entries.iter().skip(not_listed).map(received_line).collect();
    Err(VerifyError {
        unmet,
        received,
        not_listed,
        journal_full,
    })
}

/// `POST /token client=svc auth=basic scope="read" resource=... status=200`.
fn received_line(entry: &JournalEntry) -> String {
    use fmt::Write as _;
    let mut line = format!("{} {}", entry.method, entry.path);
    if let Some(client) = &entry.client_id {
        let _ = write!(line, " client={client}");
    }
    if let Some(auth) = entry.auth_method {
        let _ = write!(line, " auth={}", auth_name(auth));
    }
    for (name, value) in entry.form.iter().flatten() {
        match name.as_str() {
            "scope" => {
                let _ = write!(line, " scope={value:?}");
            }
            "resource" => {
                let _ = write!(line, " resource={value}");
            }
            _ => {}
        }
    }
    let _ = write!(line, " status={}", entry.status);
    line
}

/// What a request carried, for matching.
struct Seen<'a> {
    method: &'a Method,
    path: &'a str,
    client: Option<&'a str>,
    auth: Option<DetectedAuth>,
    form: Option<&'a Form>,
    status: u16,
}

/// Every registered expectation of one server.
#[derive(Debug, Default)]
pub(crate) struct Expectations {
    registered: RwLock<Vec<Arc<Registered>>>,
    /// How many are registered: the hot path reads only this when none is.
    count: AtomicUsize,
}

impl Expectations {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Arc<Registered>>> {
        self.registered
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Arc<Registered>>> {
        self.registered
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn register(&self, matcher: RequestMatcher, scoped: bool) -> Expectation {
        let registered = Arc::new(Registered {
            matcher,
            terms: Mutex::new(Terms {
                times: Times::at_least(1),
                name: None,
            }),
            matched: AtomicU64::new(0),
            scoped,
        });
        let mut all = self.write();
        all.push(Arc::clone(&registered));
        self.count.store(all.len(), Ordering::Release);
        Expectation { registered }
    }

    pub(crate) fn expect(&self, matcher: RequestMatcher) -> Expectation {
        self.register(matcher, false)
    }

    pub(crate) fn expect_scoped(state: &Arc<State>, matcher: RequestMatcher) -> ExpectationGuard {
        ExpectationGuard {
            expectation: state.expectations.register(matcher, true),
            state: Arc::clone(state),
        }
    }

    fn remove(&self, registered: &Arc<Registered>) {
        let mut all = self.write();
        all.retain(|r| !Arc::ptr_eq(r, registered));
        self.count.store(all.len(), Ordering::Release);
    }

    /// Forgets every expectation registered with [`MockServer::expect`]
    /// (scoped ones stay with their guard).
    ///
    /// [`MockServer::expect`]: crate::MockServer::expect
    pub(crate) fn clear(&self) {
        let mut all = self.write();
        all.retain(|r| r.scoped);
        self.count.store(all.len(), Ordering::Release);
    }

    /// Counts a journaled request against every expectation it matches.
    /// Costs one atomic load when none is registered.
    #[inline]
    pub(crate) fn observe(&self, method: &Method, path: &str, outcome: &Outcome) {
        if self.count.load(Ordering::Acquire) == 0 {
            return;
        }
        let seen = Seen {
            method,
            path,
            client: outcome.client_id.as_deref(),
            auth: outcome.auth,
            form: outcome.form.as_ref(),
            status: outcome.response.status().as_u16(),
        };
        for registered in self.read().iter() {
            if registered.matcher.matches(&seen) {
                registered.matched.fetch_add(1, Ordering::AcqRel);
            }
        }
    }

    /// Checks the expectations registered with [`MockServer::expect`].
    ///
    /// [`MockServer::expect`]: crate::MockServer::expect
    pub(crate) fn verify(state: &State) -> Result<(), VerifyError> {
        let unmet = state
            .expectations
            .read()
            .iter()
            .filter(|r| !r.scoped)
            .filter_map(|r| r.unmet())
            .collect();
        check(state, unmet)
    }
}
