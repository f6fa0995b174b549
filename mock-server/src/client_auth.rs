//! Client authentication at the token, introspection and revocation
//! endpoints (RFC 6749 §2.3, §2.3.1; RFC 7662 §2.1; RFC 7009 §2.1).
//!
//! Exactly one method per request; Basic is decoded as RFC 6749 §2.3.1
//! requires (auth-core `basic::decode`); the registered method is enforced;
//! every failure to authenticate answers the same `invalid_client` body so
//! an unknown id and a wrong secret cannot be told apart (S-23). The
//! journal's reason tells them apart (the journal is the operator's, not
//! the client's); it names the client id, never the secret.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use auth_core::basic::{self, BasicError};
use auth_core::form::{self, Form};
use auth_core::{ClientAuthMethod, ErrorCode, ProviderError, RetryAfter};
use http::header::AUTHORIZATION;
use http::{HeaderMap, StatusCode};

use crate::assertion::{Client, Verifier};
use crate::conformance::rules::BasicVerdict;
use crate::journal::DetectedAuth;
use crate::lockout::{Locked, LockedBy};
use crate::reply::{Because as _, Quoted, Refusal};
use crate::state::{Registered, State};

/// Colons tried when looking for the split an unencoding client meant.
const MAX_NAIVE_SPLITS: usize = 8;

/// What was learned about the attempt, successful or not.
#[derive(Debug, Clone)]
pub(crate) struct AuthFacts {
    pub(crate) detected: DetectedAuth,
    pub(crate) basic: Option<BasicVerdict>,
    pub(crate) client_id: Option<String>,
    pub(crate) authorization_headers: usize,
    /// A client assertion's encoded header and claims, for the journal
    /// ([`crate::assertion::header_and_claims`]).
    pub(crate) assertion: Option<String>,
}

impl Default for AuthFacts {
    fn default() -> Self {
        Self {
            detected: DetectedAuth::None,
            basic: None,
            client_id: None,
            authorization_headers: 0,
            assertion: None,
        }
    }
}

/// Which endpoint authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// The token endpoint: a public client gets `unauthorized_client`.
    Token,
    /// Introspection and revocation.
    Other,
}

/// The one body for every failed authentication.
#[cold]
pub(crate) fn failed() -> ProviderError {
    ProviderError::new(ErrorCode::InvalidClient)
        .with_description("client authentication failed")
        .with_status(StatusCode::UNAUTHORIZED)
}

#[cold]
pub(crate) fn invalid_request(description: &'static str) -> ProviderError {
    ProviderError::new(ErrorCode::InvalidRequest).with_description(description)
}

/// The client id a request claims, before anything is checked (for
/// per-client faults).
pub(crate) fn claimed_client(headers: &HeaderMap, form: Option<&Form>) -> Option<String> {
    if let Some(value) = headers.get(AUTHORIZATION)
        && let Ok(decoded) = basic::Decoded::parse(value.as_bytes())
    {
        if let Ok((id, _)) = decoded.credentials() {
            return Some(id.into_owned());
        }
        if let Ok((user, _)) = decoded.raw() {
            return Some(user.to_owned());
        }
    }
    let id = form
        .and_then(|f| f.get("client_id"))
        .filter(|id| !id.is_empty());
    if id.is_none()
        && let Some(assertion) = form.and_then(assertion_of)
    {
        return Verifier::claimed_client(assertion, None);
    }
    id.map(str::to_owned)
}

/// The `client_assertion` of a form, if it has a non-empty one.
fn assertion_of(form: &Form) -> Option<&str> {
    form.get("client_assertion").filter(|a| !a.is_empty())
}

/// The methods a request carries, whether or not it got as far as
/// authentication (for the journal's findings).
pub(crate) fn observed(headers: &HeaderMap, form: Option<&Form>) -> DetectedAuth {
    let header = headers
        .get(AUTHORIZATION)
        .is_some_and(|v| basic::is_basic(v.as_bytes()));
    let body = form
        .and_then(|f| f.get("client_secret"))
        .is_some_and(|s| !s.is_empty());
    let assertion = form.and_then(assertion_of).is_some();
    match (header, body, assertion) {
        (true, true, _) | (true, _, true) | (_, true, true) => DetectedAuth::Both,
        (true, false, false) => DetectedAuth::Basic,
        (false, true, false) => DetectedAuth::Post,
        (false, false, true) => DetectedAuth::Assertion,
        (false, false, false) => DetectedAuth::None,
    }
}

/// Why a registered secret did not match, or that nobody has the id: the
/// journal tells them apart, the answer does not (S-23).
#[cold]
fn no_match(state: &State, id: &str, presented: &'static str) -> Refusal {
    let reason = match state.client(id) {
        None => format!("client authentication: unknown client {}", Quoted(id)),
        Some(client) if client.is_public() => format!(
            "client authentication: client {} is public and has no secret to match",
            Quoted(id)
        ),
        Some(_) => format!(
            "client authentication: the {presented} does not match the secret of client {}",
            Quoted(id)
        ),
    };
    failed().because(reason)
}

/// Authenticates the client of a request whose form is already decoded,
/// behind the brute-force lockout (S-68).
pub(crate) fn authenticate(
    state: &State,
    peer: IpAddr,
    headers: &HeaderMap,
    form: &Form,
    purpose: Purpose,
    facts: &mut AuthFacts,
) -> Result<Arc<Registered>, Refusal> {
    // Read only when the lockout has something to say (not per request).
    let now = || state.now_unix();
    // The usual case (nothing failed yet) skips the guess, the hash and the lock.
    let mut attempt = None;
    if !state.lockout.is_idle()
        && let Some(id) = claimed_client(headers, Some(form))
    {
        let hashed = state.lockout.attempt(&id, peer);
        if let Some(locked) = state.lockout.locked_for(&hashed, now()) {
            let reason = lockout_reason(&locked, &id, peer);
            facts.client_id = Some(id);
            return Err(ProviderError::new(ErrorCode::Other(
                ErrorCode::TEMPORARILY_UNAVAILABLE.into(),
            ))
            .with_description("too many failed client authentications; retry later")
            .with_status(StatusCode::TOO_MANY_REQUESTS)
            .with_retry_after(RetryAfter::Delay(Duration::from_secs(locked.wait)))
            .because(reason));
        }
        attempt = Some((id, hashed));
    }
    let result = check(state, headers, form, purpose, facts);
    if let Err(refusal) = &result
        && refusal.error.code == ErrorCode::InvalidClient
        && let Some((id, hashed)) = attempt.or_else(|| {
            claimed_client(headers, Some(form)).map(|id| {
                let hashed = state.lockout.attempt(&id, peer);
                (id, hashed)
            })
        })
    {
        // Unregistered ids also count per source (spraying).
        let registered = state.client(&id).is_some();
        state.lockout.record_failure(&hashed, registered, now());
    }
    result
}

/// The lockout state, for the journal: which counter locked, how long is
/// left. The source is an address the journal may show; the id is the
/// one claimed.
fn lockout_reason(locked: &Locked, id: &str, peer: IpAddr) -> String {
    let wait = locked.wait;
    let kept = match locked.by {
        LockedBy::Pair { failures, window } => format!(
            "client {} from {peer} failed {failures} times within {window} s",
            Quoted(id)
        ),
        LockedBy::Source { failures, window } => format!(
            "source {peer} failed {failures} times on unregistered client ids within {window} s"
        ),
        LockedBy::Full => {
            "the lockout table is full of locks and cannot count this (client id, source) pair"
                .to_owned()
        }
    };
    format!("lockout: {kept}; refused for {wait} s more, right secret or not")
}

fn check(
    state: &State,
    headers: &HeaderMap,
    form: &Form,
    purpose: Purpose,
    facts: &mut AuthFacts,
) -> Result<Arc<Registered>, Refusal> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let first = values.next();
    let count = usize::from(first.is_some()) + values.count();
    facts.authorization_headers = count;
    // RFC 6749 §3.2: parameters sent without a value are treated as omitted.
    let body_secret = form.get("client_secret").filter(|s| !s.is_empty());
    let body_id = form.get("client_id").filter(|s| !s.is_empty());
    let assertion = assertion_of(form);
    if count > 1 {
        return Err(
            invalid_request("more than one Authorization header").because(format!(
                "client authentication: {count} Authorization headers"
            )),
        );
    }
    let other = if first.is_none() {
        body_secret.map(|_| "client_secret_post")
    } else {
        Some("an Authorization header")
    };
    if let Some(result) = by_assertion(state, form, assertion, other, body_id, facts) {
        return result;
    }
    if let Some(value) = first {
        let value = value.as_bytes();
        if body_secret.is_some() {
            facts.detected = DetectedAuth::Both;
            let header = if basic::is_basic(value) {
                "Basic"
            } else {
                "an Authorization header"
            };
            return Err(
                invalid_request("the client used more than one authentication method").because(
                    format!(
                        "client authentication: both {header} and client_secret_post were used"
                    ),
                ),
            );
        }
        if !basic::is_basic(value) {
            return Err(failed()
                .with_description("only the Basic scheme authenticates clients here")
                .because("client authentication: the Authorization scheme is not Basic"));
        }
        facts.detected = DetectedAuth::Basic;
        return authenticate_basic(state, value, body_id, facts);
    }
    if let Some(secret) = body_secret {
        facts.detected = DetectedAuth::Post;
        let Some(id) = body_id else {
            return Err(failed()
                .because("client authentication: client_secret without a client_id in the body"));
        };
        facts.client_id = Some(id.to_owned());
        let client = state
            .verify(id, secret)
            .ok_or_else(|| no_match(state, id, "client_secret"))?;
        if client.auth_method != ClientAuthMethod::ClientSecretPost || client.assertion.is_some() {
            return Err(failed()
                .with_description("the client is not registered for client_secret_post")
                .because(format!(
                    "client authentication: client {} is registered for {}, not client_secret_post",
                    Quoted(id),
                    client.registration.auth_method_name()
                )));
        }
        return Ok(client);
    }
    if let Some(id) = body_id {
        facts.client_id = Some(id.to_owned());
        if purpose == Purpose::Token && state.client(id).is_some_and(|c| c.is_public()) {
            // RFC 6749 §4.4: the grant is for confidential clients only (S-26).
            return Err(ProviderError::new(ErrorCode::UnauthorizedClient)
                .with_description("a public client cannot use the client_credentials grant")
                .because(format!(
                    "client authentication: client {} is public (no secret); \
                     the client_credentials grant is for confidential clients",
                    Quoted(id)
                )));
        }
        return Err(failed()
            .with_description("client authentication is required")
            .because(format!(
                "client authentication: client_id {} came without credentials \
                 (no Authorization header, no client_secret)",
                Quoted(id)
            )));
    }
    Err(failed()
        .with_description("client authentication is required")
        .because(
            "client authentication: no credentials (no Authorization header, no client_secret)",
        ))
}

/// The assertion path, when the request has a `client_assertion` (or
/// only its type): `other` is the other method the request carries.
fn by_assertion(
    state: &State,
    form: &Form,
    assertion: Option<&str>,
    other: Option<&'static str>,
    body_id: Option<&str>,
    facts: &mut AuthFacts,
) -> Option<Result<Arc<Registered>, Refusal>> {
    let Some(assertion) = assertion else {
        let typed = form
            .get("client_assertion_type")
            .is_some_and(|t| !t.is_empty());
        return (typed && other.is_none()).then(|| {
            Err(failed().because(
                "client authentication: client_assertion_type without a client_assertion \
                 (S-75, RFC 7521 §4.2)",
            ))
        });
    };
    if let Some(other) = other {
        facts.detected = DetectedAuth::Both;
        // RFC 6749 §2.3, RFC 7521 §4.2: one method (S-75, C-64).
        return Some(Err(invalid_request(
            "the client used more than one authentication method",
        )
        .because(format!(
            "client authentication: both a client_assertion and {other} were used \
             (S-75, RFC 7521 §4.2)"
        ))));
    }
    facts.detected = DetectedAuth::Assertion;
    Some(authenticate_assertion(
        state, form, assertion, body_id, facts,
    ))
}

/// A `client_assertion` (RFC 7523 §2.2, §3): every failure is the one
/// `invalid_client` answer; the journal names the check, its rule and RFC
/// section, and shows the decoded header and claims (never the signature).
fn authenticate_assertion(
    state: &State,
    form: &Form,
    assertion: &str,
    body_id: Option<&str>,
    facts: &mut AuthFacts,
) -> Result<Arc<Registered>, Refusal> {
    facts.assertion = Some(crate::assertion::header_and_claims(assertion).to_owned());
    let id = Verifier::claimed_client(assertion, body_id);
    facts.client_id.clone_from(&id);
    let client = id.as_deref().and_then(|id| state.client(id));
    let view = client.as_deref().map(|c| Client {
        id: &c.id,
        method: c.assertion.ok_or(c.registration.auth_method_name()),
        keys: &c.keys,
        secret: c.registration.expose_secret(),
    });
    match state.assertions.verify(
        form.get("client_assertion_type").filter(|t| !t.is_empty()),
        assertion,
        body_id,
        view,
        state.now_unix(),
    ) {
        Ok(_) => client.ok_or_else(|| failed().because("client authentication: no client")),
        Err(error) => Err(failed().because(error.reason())),
    }
}

fn authenticate_basic(
    state: &State,
    value: &[u8],
    body_id: Option<&str>,
    facts: &mut AuthFacts,
) -> Result<Arc<Registered>, Refusal> {
    // One base64 decode feeds the strict reading, the raw one and the
    // verdict (issue 17).
    let decoded = basic::Decoded::parse(value);
    let strict = match &decoded {
        Ok(decoded) => decoded.credentials(),
        Err(error) => Err(error.clone()),
    };
    let raw = || decoded.as_ref().ok().and_then(|d| d.raw().ok());
    match &strict {
        Ok((id, secret)) => {
            let id = id.as_ref();
            facts.client_id = Some(id.to_owned());
            // RFC 6749 §3.2.1: a client_id next to Basic must name the same client (S-20).
            if let Some(body_id) = body_id.filter(|body_id| *body_id != id) {
                return Err(invalid_request(
                    "client_id in the body differs from the Basic user name",
                )
                .because(format!(
                    "client authentication: client_id {} in the body differs from \
                             the Basic user name {}",
                    Quoted(body_id),
                    Quoted(id)
                )));
            }
            if let Some(client) = state.verify(id, secret) {
                facts.basic = Some(verdict(raw, id, secret));
                if !client.auth_method.uses_authorization_header() || client.assertion.is_some() {
                    return Err(failed()
                        .with_description("the client is not registered for client_secret_basic")
                        .because(format!(
                            "client authentication: client {} is registered for {}, \
                             not client_secret_basic",
                            Quoted(id),
                            client.registration.auth_method_name()
                        )));
                }
                return Ok(client);
            }
        }
        Err(BasicError::Base64) => facts.basic = Some(BasicVerdict::BadBase64),
        Err(_) => {}
    }
    // Judge, never accept (unless the client opted into the quirk): did an
    // unencoded `id:secret` match a client at one of its colons? (C-11, S-15)
    if let Some((user, password)) = raw() {
        let joined = format!("{user}:{password}");
        let splits = joined.match_indices(':').take(MAX_NAIVE_SPLITS);
        for (at, _) in splits {
            let (user, password) = (&joined[..at], &joined[at + 1..]);
            if let Some(client) = state.verify(user, password) {
                facts.basic = Some(BasicVerdict::OnlyNaive);
                facts.detected = DetectedAuth::NaiveBasic;
                facts.client_id = Some(user.to_owned());
                if client.auth_method == ClientAuthMethod::ClientSecretBasicUnencoded {
                    return Ok(client);
                }
                return Err(failed().because(format!(
                    "client authentication: the Basic credentials of client {} match only \
                     without the RFC 6749 §2.3.1 form-encoding of id and secret (finding C-11)",
                    Quoted(user)
                )));
            }
        }
    }
    facts.basic.get_or_insert(BasicVerdict::NoMatch);
    Err(match &strict {
        Ok((id, _)) => no_match(state, id, "Basic password"),
        // The error names what is wrong with the encoding, never a value.
        Err(error) => failed().because(format!("client authentication: {error}")),
    })
}

/// Strict, or Unencoded when the raw halves hold characters a form encoder
/// escapes. Decoded halves of unreserved characters only can only come from
/// encoded halves, so the raw halves are not looked at (the usual case).
fn verdict<'a>(
    raw: impl FnOnce() -> Option<(&'a str, &'a str)>,
    id: &str,
    secret: &str,
) -> BasicVerdict {
    let unreserved = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~*".contains(&b))
    };
    if unreserved(id) && unreserved(secret) {
        return BasicVerdict::Strict;
    }
    match raw() {
        Some((user, password))
            if !(form::is_encoded_component(user) && form::is_encoded_component(password)) =>
        {
            BasicVerdict::Unencoded
        }
        _ => BasicVerdict::Strict,
    }
}
