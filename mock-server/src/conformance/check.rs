//! The checks of the conformance runner, as data: checklist id, title, RFC
//! section, level and an evaluation over what a scenario left behind (the
//! journal, the client's exit, the time it took).
//!
//! Three kinds judge every scenario:
//! - each request-level rule of [`super::rules::RULES`], folded over the
//!   scenario's journal: it fails when any request has a failing finding,
//!   warns when any warns, passes when some pass, and is skipped when no
//!   request gave it something to judge;
//! - [`COMMON`]: the authentication method, the scope, and `EXIT`, the
//!   scenario's expected end (its id, RFC section and level come from the
//!   scenario: [`Scenario::expected_rule`]);
//! - the behavioural [`CHECKS`] the scenario lists ([`Scenario::checks`]).

use std::time::Duration;

use auth_core::{ClientAuthMethod, ScopeSet};
use serde::Serialize;

use super::rules::RULES;
use super::scenario::{Expected, Scenario};
use super::{Level, Verdict};
use crate::journal::{DetectedAuth, JournalEntry};

/// The outcome of one check in one scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    /// The client did the right thing.
    Pass,
    /// It did not.
    Fail,
    /// Suspicious, not wrong per se.
    Warn,
    /// Nothing to judge in this run.
    Skip,
}

impl Status {
    /// Its name in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Warn => "warn",
            Self::Skip => "skip",
        }
    }
}

/// How the client process (or in-process client) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Exit {
    /// It exited with this status.
    Code(i32),
    /// Killed by a signal it did not get from the runner.
    Signal,
    /// The runner killed it at the time bound.
    TimedOut,
    /// It could not be started.
    SpawnFailed(String),
}

impl Exit {
    /// True for exit status 0.
    #[must_use]
    pub fn is_success(&self) -> bool {
        *self == Self::Code(0)
    }
}

/// What a scenario left behind, for the checks to judge.
#[derive(Debug)]
pub struct Evidence<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// Every request the provider saw, oldest first. One whose client hung
    /// up before the answer (a hang) is in it with status 499.
    pub journal: &'a [JournalEntry],
    /// Every request that reached the token endpoint, answered or not.
    pub token_requests_seen: usize,
    /// Connections to the redirect-target listener.
    pub redirect_hits: usize,
    /// How the client ended.
    pub exit: Exit,
    /// How long it ran.
    pub elapsed: Duration,
    /// The time bound it had.
    pub bound: Duration,
    /// The provider's issuer identifier (its token endpoint is
    /// `{issuer}/token`).
    pub issuer: &'a str,
}

impl Evidence<'_> {
    fn token_requests(&self) -> impl Iterator<Item = &JournalEntry> {
        self.journal.iter().filter(|e| is_token(e))
    }

    fn resource_requests(&self) -> impl Iterator<Item = &JournalEntry> {
        self.journal.iter().filter(|e| is_resource(e))
    }

    /// Token-endpoint requests (hung ones included).
    #[must_use]
    pub fn token_count(&self) -> usize {
        self.token_requests().count().max(self.token_requests_seen)
    }

    /// Resource requests.
    #[must_use]
    pub fn resource_count(&self) -> usize {
        self.resource_requests().count()
    }

    /// Resource requests the provider itself rejected with 401 while a
    /// token was presented (requests answered by a fault do not count),
    /// split into `(expired, early)`: *expired* when even the newest token issued
    /// before the call had outlived its advertised `expires_in`; *early*
    /// otherwise. The issuer rounds expiry up to whole seconds, so *early*
    /// should not happen; if it does, the provider is to blame, not a
    /// client that trusted `expires_in`.
    fn rejected_by_age(&self) -> (usize, usize) {
        let lifetime =
            time::Duration::try_from(self.scenario.token_lifetime).unwrap_or(time::Duration::MAX);
        let issued: Vec<time::OffsetDateTime> = self
            .token_requests()
            .filter(|e| e.status == 200 && e.fault.is_none())
            .map(|e| e.received_at)
            .collect();
        let (mut expired, mut early) = (0, 0);
        for entry in self
            .resource_requests()
            .filter(|e| e.status == 401 && e.fault.is_none() && has_authorization(e))
        {
            let newest = issued.iter().filter(|t| **t <= entry.received_at).max();
            match newest {
                Some(t) if entry.received_at < t.saturating_add(lifetime) => early += 1,
                _ => expired += 1,
            }
        }
        (expired, early)
    }

    fn calls(&self) -> usize {
        usize::try_from(self.scenario.calls).unwrap_or(usize::MAX)
    }

    fn ended_in_time(&self) -> bool {
        !matches!(self.exit, Exit::TimedOut)
    }
}

fn has_authorization(entry: &JournalEntry) -> bool {
    entry
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("authorization"))
}

/// The result of one check in one scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// Checklist id (`C-11`), or `EXIT`.
    pub id: &'static str,
    /// What it requires.
    pub title: String,
    /// RFC section.
    pub rfc: &'static str,
    /// MUST or SHOULD.
    pub level: Level,
    /// Pass, fail, warn or skip.
    pub status: Status,
    /// One line on why.
    pub reason: String,
    /// A failure the baseline expects (set by [`super::report::Report::new`]).
    pub expected_failure: bool,
    /// Where the check is explained, a path and anchor below
    /// [`super::reference::BASE`]: the rule reference for a checklist id
    /// (`docs/conformance-rules.md#c-11`), the scenario reference for
    /// `EXIT` (`docs/conformance-scenarios.md#invalid-client`).
    pub reference: String,
    /// The requests a failure or a warning rests on, as indices into the
    /// scenario's [`timeline`](super::runner::ScenarioRun::timeline), at
    /// most [`MAX_CITED`]: for a request rule the first requests that broke
    /// it; for the other checks the last requests of the kind they judge
    /// (token requests, resource requests, or any for `EXIT`). Empty for
    /// a pass or a skip (and then left out of the JSON).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<usize>,
}

impl CheckResult {
    /// A failing MUST.
    #[must_use]
    pub fn is_must_failure(&self) -> bool {
        self.status == Status::Fail && self.level == Level::Must
    }
}

type Judgement = (Status, String);

/// Most requests one check cites ([`CheckResult::requests`]): enough to
/// show the pattern of a retry storm without copying it into the report.
pub const MAX_CITED: usize = 5;

fn is_token(entry: &JournalEntry) -> bool {
    entry.path.starts_with("/token")
}

fn is_resource(entry: &JournalEntry) -> bool {
    entry.path.starts_with("/resource")
}

/// Token requests and the resource requests refused with 401 (an expired
/// token presented).
fn is_token_or_refused(entry: &JournalEntry) -> bool {
    is_token(entry) || (is_resource(entry) && entry.status == 401)
}

fn any(_: &JournalEntry) -> bool {
    true
}

/// The last [`MAX_CITED`] requests `cites` picks, for a failure or a
/// warning: the client's last moves are what it failed on (an exit, a
/// storm that went on).
fn cite_last(
    status: Status,
    journal: &[JournalEntry],
    cites: fn(&JournalEntry) -> bool,
) -> Vec<usize> {
    if !matches!(status, Status::Fail | Status::Warn) {
        return Vec::new();
    }
    let mut last: Vec<usize> = journal
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, entry)| cites(entry))
        .map(|(i, _)| i)
        .take(MAX_CITED)
        .collect();
    last.reverse();
    last
}

/// A behavioural (or common) check.
pub struct Check {
    /// Checklist id.
    pub id: &'static str,
    /// What it requires.
    pub title: &'static str,
    /// RFC section.
    pub rfc: &'static str,
    /// MUST or SHOULD.
    pub level: Level,
    /// What the runner looks at, in a sentence or two.
    pub checked: &'static str,
    /// How a client fixes a failure.
    pub fix: &'static str,
    /// The requests a failure or a warning cites (the last
    /// [`MAX_CITED`] of them).
    cites: fn(&JournalEntry) -> bool,
    evaluate: fn(&Evidence<'_>) -> Judgement,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check")
            .field("id", &self.id)
            .field("rfc", &self.rfc)
            .finish_non_exhaustive()
    }
}

impl Check {
    /// Judges one scenario.
    #[must_use]
    pub fn evaluate(&self, evidence: &Evidence<'_>) -> CheckResult {
        let (status, reason) = (self.evaluate)(evidence);
        CheckResult {
            id: self.id,
            title: self.title.to_owned(),
            rfc: self.rfc,
            level: self.level,
            status,
            reason,
            expected_failure: false,
            reference: super::reference::rule_link(self.id),
            requests: cite_last(status, evidence.journal, self.cites),
        }
    }
}

fn pass(reason: impl Into<String>) -> Judgement {
    (Status::Pass, reason.into())
}

fn fail(reason: impl Into<String>) -> Judgement {
    (Status::Fail, reason.into())
}

fn skip(reason: impl Into<String>) -> Judgement {
    (Status::Skip, reason.into())
}

/// Checks that judge every scenario (besides the request rules and `EXIT`).
pub static COMMON: &[Check] = &[
    Check {
        id: "C-14",
        title: "authenticates with the method in OAUTH_AUTH_METHOD, and only that",
        rfc: "RFC 6749 §2.3, §2.3.1",
        level: Level::Must,
        checked: "Every token request authenticates with the method in `OAUTH_AUTH_METHOD`: `client_secret_basic` sends an `Authorization: Basic` header, `client_secret_post` sends `client_id` and `client_secret` in the form body and no `Authorization` header.",
        fix: "Read `OAUTH_AUTH_METHOD` and set the client's authentication method from it; many libraries default to Basic and need `client_secret_post` chosen explicitly (some also need to be told to put the client id in the body).",
        cites: is_token,
        evaluate: |e| {
            let want = e.scenario.auth_method;
            let mut seen = 0;
            for entry in e.token_requests() {
                seen += 1;
                let wrong = match (want, entry.auth_method) {
                    (
                        ClientAuthMethod::PrivateKeyJwt | ClientAuthMethod::ClientSecretJwt,
                        Some(DetectedAuth::Assertion),
                    )
                    | (ClientAuthMethod::ClientSecretPost, Some(DetectedAuth::Post))
                    | (
                        ClientAuthMethod::ClientSecretBasic
                        | ClientAuthMethod::ClientSecretBasicUnencoded,
                        Some(DetectedAuth::Basic | DetectedAuth::NaiveBasic),
                    ) => None,
                    (_, Some(DetectedAuth::Both)) => Some("two authentication methods at once"),
                    (_, Some(DetectedAuth::Assertion)) => {
                        Some("a client assertion where a secret method was asked for")
                    }
                    (
                        ClientAuthMethod::PrivateKeyJwt | ClientAuthMethod::ClientSecretJwt,
                        Some(_),
                    ) => Some("a secret method where a client assertion was asked for"),
                    (
                        ClientAuthMethod::ClientSecretPost,
                        Some(DetectedAuth::Basic | DetectedAuth::NaiveBasic),
                    ) => Some("Basic used where client_secret_post was asked for"),
                    (_, Some(DetectedAuth::Post)) => {
                        Some("client_secret_post used where Basic was asked for")
                    }
                    _ => Some("a token request carries no client credentials"),
                };
                if let Some(wrong) = wrong {
                    return fail(wrong);
                }
            }
            if seen == 0 {
                skip("no token request")
            } else {
                pass(format!("{seen} token request(s), as configured"))
            }
        },
    },
    Check {
        id: "C-21",
        title: "requests exactly the scopes in OAUTH_SCOPES, form-encoded",
        rfc: "RFC 6749 §3.3, App. B",
        level: Level::Must,
        checked: "The form's `scope`, decoded, is exactly the set in `OAUTH_SCOPES` (order ignored); with `OAUTH_SCOPES` empty, no scope is sent.",
        fix: "Request exactly the configured scopes, as one space-delimited `scope` value, form-encoded (a `+` in a scope token goes out as `%2B`, `:` as `%3A`); add none of your own.",
        cites: is_token,
        evaluate: |e| {
            let Ok(want) = ScopeSet::parse(e.scenario.scopes) else {
                return skip("the scenario's scopes do not parse");
            };
            let mut seen = 0;
            for entry in e.token_requests() {
                let Some(form) = &entry.form else { continue };
                seen += 1;
                let sent = form
                    .iter()
                    .find(|(name, _)| name == "scope")
                    .map_or("", |(_, value)| value.as_str());
                match ScopeSet::parse(sent) {
                    Ok(got) if got == want => {}
                    // No scope asked for, none sent (C-22 judges `scope=`).
                    _ if sent.is_empty() && want.is_empty() => {}
                    _ => {
                        return fail(format!(
                            "scope sent as {:?}, asked for {:?}",
                            excerpt(sent, 80),
                            e.scenario.scopes
                        ));
                    }
                }
            }
            if seen == 0 {
                skip("no token request with a form body")
            } else {
                pass(format!("scope {:?} as asked", e.scenario.scopes))
            }
        },
    },
];

/// Judges the client assertion of every token request: a refusal whose
/// journal reason names the provider's rule `server_rule` fails it, then
/// `each` looks at the decoded header and claims.
fn judge_assertions(
    e: &Evidence<'_>,
    server_rule: &str,
    each: impl Fn(&serde_json::Value, &serde_json::Value) -> Option<String>,
) -> Judgement {
    let tag = format!("({server_rule},");
    let mut seen = 0;
    for entry in e.token_requests() {
        seen += 1;
        if let Some(reason) = entry.reason.as_deref().filter(|r| r.contains(&tag)) {
            return fail(reason.to_owned());
        }
        let Some(decoded) = &entry.client_assertion else {
            return fail("a token request carries no decodable client_assertion");
        };
        if let Some(wrong) = each(&decoded["header"], &decoded["claims"]) {
            return fail(wrong);
        }
    }
    if seen == 0 {
        skip("no token request")
    } else {
        pass(format!("{seen} client assertion(s)"))
    }
}

/// The behavioural checks a scenario may list.
pub static CHECKS: &[Check] = &[
    Check {
        id: "C-53",
        title: "a valid token is reused: exactly one token request",
        rfc: "RFC 6749 §5.1 (expires_in)",
        level: Level::Should,
        checked: "All `OAUTH_CALLS` calls fall within the token's lifetime, so exactly one token request is expected.",
        fix: "Cache the token and reuse it while it is valid (its `expires_in`, less a margin); fetch a new one only when none is.",
        cites: is_token,
        evaluate: |e| match e.token_count() {
            1 => pass(format!("1 token request for {} calls", e.calls())),
            0 => fail("no token request"),
            n => fail(format!("{n} token requests for {} calls", e.calls())),
        },
    },
    Check {
        id: "C-54",
        title: "renews before expiry: never presents an expired token",
        rfc: "RFC 6749 §5.1 (expires_in)",
        level: Level::Should,
        checked: "With a 3 s token and calls 1.5 s apart, no resource request is refused for presenting a token that outlived its `expires_in`, and the token is renewed at least once.",
        fix: "Record the expiry as the time the request was sent plus `expires_in`, and renew ahead of it by a margin (a fixed skew, or a fraction of a short lifetime) before the call, not only after a refusal.",
        cites: is_token_or_refused,
        evaluate: |e| {
            let (expired, early) = e.rejected_by_age();
            if expired > 0 {
                return fail(format!("presented an expired token {expired} time(s)"));
            }
            let note = if early > 0 {
                format!(" ({early} rejected within its expires_in, tolerated)")
            } else {
                String::new()
            };
            match e.token_count() {
                0 | 1 => fail(format!("the token was never renewed{note}")),
                n => pass(format!(
                    "{n} token requests, no expired token presented{note}"
                )),
            }
        },
    },
    Check {
        id: "C-57",
        title: "after 401 invalid_token: one renewal, one retry, no loop",
        rfc: "RFC 6750 §3.1",
        level: Level::Should,
        checked: "The resource answers `401` with `WWW-Authenticate: Bearer error=\"invalid_token\"` once: exactly 2 token requests and `OAUTH_CALLS` + 1 resource requests are expected (one renewal, one retry, no loop).",
        fix: "On a `401` whose challenge says `invalid_token`, drop the cached token, fetch one new token and retry the call once; a second `401` is an error.",
        cites: any,
        evaluate: |e| {
            let (tokens, calls) = (e.token_count(), e.resource_count());
            let want_calls = e.calls() + 1;
            if tokens == 2 && calls == want_calls {
                pass(format!("2 token requests, {calls} resource requests"))
            } else if tokens < 2 {
                fail(format!(
                    "{tokens} token request(s): the rejected token was not renewed"
                ))
            } else {
                fail(format!(
                    "{tokens} token requests and {calls} resource requests (want 2 and {want_calls})"
                ))
            }
        },
    },
    Check {
        id: "C-47",
        title: "invalid_client is permanent: no retry storm",
        rfc: "RFC 6749 §5.2",
        level: Level::Should,
        checked: "After `401 invalid_client` the client makes no further token request (one retry is a warning, more fail).",
        fix: "Treat `invalid_client`, `unauthorized_client`, `invalid_grant`, `invalid_scope` and `unsupported_grant_type` as permanent: return the error, do not retry.",
        cites: is_token,
        evaluate: |e| match e.token_count() {
            0 => fail("no token request"),
            1 => pass("1 token request"),
            2 => (Status::Warn, "retried invalid_client once".to_owned()),
            n => fail(format!("{n} token requests after invalid_client")),
        },
    },
    Check {
        id: "C-48",
        title: "transient token-endpoint errors: bounded retries",
        rfc: "RFC 9110 §15.6, RFC 6585 §4",
        level: Level::Should,
        checked: "Transient token-endpoint errors (5xx) are retried a bounded number of times: at most 4 token requests in the scenario.",
        fix: "Retry 500, 502, 503, 504 and connection errors a few times (up to 3 retries, say) with exponential backoff and jitter, inside the caller's deadline; then fail.",
        cites: is_token,
        evaluate: |e| match e.token_count() {
            0 => fail("no token request"),
            n @ 1..=4 => pass(format!("{n} token request(s)")),
            n => fail(format!("{n} token requests: retries are not bounded")),
        },
    },
    Check {
        id: "C-43",
        title: "no access token taken from an error answer",
        rfc: "RFC 6749 §5.1",
        level: Level::Must,
        checked: "When the token endpoint answered with an error (even with status 200), the resource is never called.",
        fix: "Treat a token answer without `access_token` as a failure (RFC 6749 §5.1: it is REQUIRED), surfacing its `error` member if it has one; never go on with an empty or missing token.",
        cites: is_resource,
        evaluate: |e| match e.resource_count() {
            0 => pass("the resource was never called"),
            n => fail(format!(
                "the resource was called {n} time(s) without a valid token"
            )),
        },
    },
    Check {
        id: "C-50",
        title: "token-endpoint redirects are not followed (credentials not re-posted)",
        rfc: "RFC 9700 §4.12, RFC 9110 §15.4",
        level: Level::Must,
        checked: "The token endpoint answers `307` with a `Location` on another origin (a second listener of the runner); any connection to that listener fails.",
        fix: "Turn redirect following off for token requests (most HTTP clients follow by default) and treat a 3xx answer as an error: a 307 re-posts the credentials to the new location.",
        cites: is_token,
        evaluate: |e| match e.redirect_hits {
            0 => pass("the redirect target saw no connection"),
            n => fail(format!(
                "followed the redirect: {n} connection(s) to the target"
            )),
        },
    },
    Check {
        id: "C-51",
        title: "gives up on its own before the time bound",
        rfc: "RFC 9110 §15.6 (derived)",
        level: Level::Should,
        checked: "The client ends on its own before the runner's per-scenario bound (`--timeout-secs`, 30 s by default); a token endpoint that never answers must become a timeout error.",
        fix: "Set a timeout on every HTTP request (`OAUTH_TIMEOUT_MS`) and a deadline over all retries, so a hung provider becomes an error.",
        cites: any,
        evaluate: |e| {
            if e.ended_in_time() {
                pass(format!("ended after {} ms", e.elapsed.as_millis()))
            } else {
                fail(format!(
                    "still running at the {} s bound",
                    e.bound.as_secs()
                ))
            }
        },
    },
    // Client assertions (A7).
    Check {
        id: "C-64",
        title: "a jwt-bearer client_assertion, and no other method",
        rfc: "RFC 7521 §4.2, RFC 7523 §2.2",
        level: Level::Must,
        checked: "Every token request carries `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and one `client_assertion`, no `client_secret` and no `Authorization` header; a `client_id`, if sent, equals the assertion's `sub` (the provider's S-75 and S-77 refusals).",
        fix: "Send the assertion in the form body with the jwt-bearer `client_assertion_type`; drop Basic and `client_secret`; send `client_id` only with the same value as `sub`.",
        cites: is_token,
        evaluate: |e| {
            if let Some(entry) = e
                .token_requests()
                .find(|entry| entry.auth_method != Some(DetectedAuth::Assertion))
            {
                return fail(match entry.auth_method {
                    Some(DetectedAuth::Both) => "a client_assertion next to another method",
                    _ => "a token request without a client_assertion",
                });
            }
            judge_assertions(e, "S-75", |_, _| None)
        },
    },
    Check {
        id: "C-65",
        title: "iss and sub are both the client id",
        rfc: "RFC 7523 §3 items 1, 2",
        level: Level::Must,
        checked: "The assertion's `iss` and `sub` are both the registered client id (`OAUTH_CLIENT_ID`).",
        fix: "Set `iss` and `sub` to the client id, byte for byte.",
        cites: is_token,
        evaluate: |e| {
            let id = e.scenario.client_id;
            judge_assertions(e, "S-77", |_, claims| {
                (claims["iss"] != id || claims["sub"] != id)
                    .then(|| "iss or sub is not the client id".to_owned())
            })
        },
    },
    Check {
        id: "C-66",
        title: "aud identifies the authorization server",
        rfc: "RFC 7523 §3 item 3, draft-ietf-oauth-rfc7523bis",
        level: Level::Must,
        checked: "The assertion's `aud` is the issuer identifier or the token endpoint URL (a string, or one value of an array); the issuer as a single string is the safe default.",
        fix: "Set `aud` to the issuer from the RFC 8414 metadata as one JSON string (or, for older servers, the token endpoint URL); never another server's identifier.",
        cites: is_token,
        evaluate: |e| {
            let token_endpoint = format!("{}/token", e.issuer);
            let ours = |v: &serde_json::Value| {
                v.as_str()
                    .is_some_and(|s| s == e.issuer || s == token_endpoint)
            };
            judge_assertions(e, "S-78", |_, claims| {
                let aud = &claims["aud"];
                let ok = ours(aud) || aud.as_array().is_some_and(|values| values.iter().any(ours));
                (!ok).then(|| format!("aud {aud} is neither the issuer nor the token endpoint"))
            })
        },
    },
    Check {
        id: "C-67",
        title: "exp present and short, iat present",
        rfc: "RFC 7523 §3 item 4, OIDC Core §9",
        level: Level::Must,
        checked: "The assertion has a numeric `exp` and `iat`, `exp` at most 300 s after `iat` (a minute is usual), and the provider accepted its times (S-79).",
        fix: "Set `iat` to now and `exp` to about a minute later, for each request.",
        cites: is_token,
        evaluate: |e| {
            judge_assertions(e, "S-79", |_, claims| {
                let (Some(exp), Some(iat)) = (claims["exp"].as_i64(), claims["iat"].as_i64())
                else {
                    return Some("exp or iat is missing or not a number".to_owned());
                };
                (exp.saturating_sub(iat) > 300)
                    .then(|| format!("lives {} s: more than 300 s", exp.saturating_sub(iat)))
            })
        },
    },
    Check {
        id: "C-68",
        title: "a fresh jti for every request, retries included",
        rfc: "OIDC Core §9, RFC 7523 §3 item 7",
        level: Level::Must,
        checked: "Every token request's assertion has a `jti` no other request of the scenario used, the retry after a 503 included (the provider refuses a replay: S-80).",
        fix: "Build a new assertion (new `jti`, `iat`, `exp`) for each attempt, never reuse the one of a failed request.",
        cites: is_token,
        evaluate: |e| {
            let mut seen = std::collections::HashSet::new();
            for entry in e.token_requests() {
                let jti = entry
                    .client_assertion
                    .as_ref()
                    .and_then(|d| d["claims"]["jti"].as_str());
                match jti {
                    None => return fail("an assertion without jti"),
                    Some(jti) if !seen.insert(jti.to_owned()) => {
                        return fail(format!(
                            "jti reused across {} token requests",
                            e.token_requests().count()
                        ));
                    }
                    Some(_) => {}
                }
            }
            judge_assertions(e, "S-80", |_, _| None)
        },
    },
    Check {
        id: "C-69",
        title: "signed with an allowed algorithm; kid when there are several keys",
        rfc: "RFC 7523 §3 item 9, RFC 8725 §3.1",
        level: Level::Must,
        checked: "The assertion's `alg` is RS256, ES256 or EdDSA for `private_key_jwt` and HS256 for `client_secret_jwt`, never `none`; its signature verifies (S-76); with several registered keys it names its key in `kid`.",
        fix: "Sign with the client's key (or the secret, HS256) and set `kid` to the key's id (`OAUTH_KEY_ID`).",
        cites: is_token,
        evaluate: |e| {
            let method = e.scenario.auth_method;
            let several = e.scenario.client_keys > 1;
            judge_assertions(e, "S-76", |header, _| {
                let alg = header["alg"].as_str().unwrap_or_default();
                let allowed: &[&str] = if method == ClientAuthMethod::ClientSecretJwt {
                    &["HS256"]
                } else {
                    &["RS256", "ES256", "EdDSA"]
                };
                if !allowed.contains(&alg) {
                    return Some(format!("alg {alg:?} is not allowed for {method}"));
                }
                (several && !header["kid"].is_string())
                    .then(|| "no kid, with several keys registered".to_owned())
            })
        },
    },
];

/// The behavioural check with this id.
#[must_use]
pub fn find(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id == id)
}

/// Every check id a report may hold, for validating baselines.
#[must_use]
pub fn known_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = RULES.iter().map(|r| r.id).collect();
    ids.extend(COMMON.iter().map(|c| c.id));
    ids.extend(CHECKS.iter().map(|c| c.id));
    ids.extend(
        super::scenario::SCENARIOS
            .iter()
            .flat_map(|s| s.rule_overrides.iter().map(|o| o.id)),
    );
    ids.push(EXIT);
    ids
}

/// The id of the exit expectation.
pub const EXIT: &str = "EXIT";

/// Every check of a scenario, in report order: request rules, common
/// checks, the scenario's behavioural checks, then `EXIT`.
#[must_use]
pub fn evaluate(evidence: &Evidence<'_>) -> Vec<CheckResult> {
    let mut results: Vec<CheckResult> = RULES.iter().map(|r| fold_rule(r, evidence)).collect();
    results.extend(COMMON.iter().map(|c| c.evaluate(evidence)));
    results.extend(
        evidence
            .scenario
            .checks
            .iter()
            .filter_map(|id| find(id))
            .map(|c| c.evaluate(evidence)),
    );
    results.push(exit_check(evidence));
    results
}

fn fold_rule(rule: &super::rules::Rule, e: &Evidence<'_>) -> CheckResult {
    let findings: Vec<_> = e
        .journal
        .iter()
        .flat_map(|entry| &entry.findings)
        .filter(|f| f.rule == rule.id)
        .collect();
    let count = |v: Verdict| findings.iter().filter(|f| f.verdict == v).count();
    let first = |v: Verdict| {
        findings
            .iter()
            .find(|f| f.verdict == v)
            .map_or("", |f| f.reason)
    };
    let total = findings.len();
    let deciding = if count(Verdict::Fail) > 0 {
        Some(Verdict::Fail)
    } else if count(Verdict::Warn) > 0 {
        Some(Verdict::Warn)
    } else {
        None
    };
    // The first requests that broke the rule: the reason quotes the first.
    let cited = deciding.map_or_else(Vec::new, |verdict| {
        e.journal
            .iter()
            .enumerate()
            .filter(|(_, entry)| {
                entry
                    .findings
                    .iter()
                    .any(|f| f.rule == rule.id && f.verdict == verdict)
            })
            .map(|(i, _)| i)
            .take(MAX_CITED)
            .collect()
    });
    let (status, reason) = if count(Verdict::Fail) > 0 {
        (
            Status::Fail,
            format!(
                "{} ({} of {})",
                first(Verdict::Fail),
                count(Verdict::Fail),
                requests(total)
            ),
        )
    } else if count(Verdict::Warn) > 0 {
        (
            Status::Warn,
            format!(
                "{} ({} of {})",
                first(Verdict::Warn),
                count(Verdict::Warn),
                requests(total)
            ),
        )
    } else if total > 0 {
        (
            Status::Pass,
            format!("{} ({})", first(Verdict::Pass), requests(total)),
        )
    } else {
        (Status::Skip, "not exercised".to_owned())
    };
    let (id, title, rfc, level) = e
        .scenario
        .rule_overrides
        .iter()
        .find(|o| o.rule == rule.id)
        .map_or((rule.id, rule.title, rule.rfc, rule.level), |o| {
            (o.id, o.title, o.rfc, o.level)
        });
    CheckResult {
        id,
        title: title.to_owned(),
        rfc,
        level,
        status,
        reason,
        expected_failure: false,
        reference: super::reference::rule_link(id),
        requests: cited,
    }
}

fn exit_check(e: &Evidence<'_>) -> CheckResult {
    let s = e.scenario;
    let (status, reason) = match (&e.exit, s.expected) {
        (Exit::SpawnFailed(why), _) => fail(format!("the client could not start: {why}")),
        (Exit::TimedOut, _) => fail(format!("killed at the {} s bound", e.bound.as_secs())),
        (Exit::Signal, _) => fail("killed by a signal"),
        (Exit::Code(0), Expected::Success) => pass(format!(
            "exit 0 after {} resource request(s)",
            e.resource_count()
        )),
        (Exit::Code(code), Expected::Success) => {
            fail(format!("exit {code}: expected every call to succeed"))
        }
        (Exit::Code(0), Expected::Failure) => fail("exit 0: expected an unrecoverable error"),
        (Exit::Code(code), Expected::Failure) => pass(format!("exit {code}, a clean failure")),
    };
    let title = match s.expected {
        Expected::Success => format!("completes every call, exit 0 ({})", s.expected_rule),
        Expected::Failure => format!("fails cleanly, non-zero exit in time ({})", s.expected_rule),
    };
    CheckResult {
        id: EXIT,
        title,
        rfc: s.expected_rfc,
        level: s.expected_level,
        status,
        reason,
        expected_failure: false,
        reference: super::reference::scenario_link(s.id),
        requests: cite_last(status, e.journal, any),
    }
}

/// `1 request`, `2 requests`.
fn requests(n: usize) -> String {
    if n == 1 {
        "1 request".to_owned()
    } else {
        format!("{n} requests")
    }
}

/// At most `max` characters of `text`.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
