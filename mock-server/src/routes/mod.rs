//! One file per endpoint, and the checks they share.

pub(crate) mod admin;
pub(crate) mod introspect;
pub(crate) mod jwks;
pub(crate) mod metadata;
pub(crate) mod metrics;
pub(crate) mod protected;
pub(crate) mod revoke;
pub(crate) mod token;
pub(crate) mod ui;

use std::borrow::Cow;

use auth_core::form::{CONTENT_TYPE_FORM, Form, FormError};
use auth_core::{ErrorCode, ProviderError, Scope, ScopeSet};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, Method, StatusCode};

use crate::client_auth::{self, AuthFacts, Purpose, invalid_request};
use crate::fault::{Endpoint, Fault};
use crate::issuer::Invalid;
use crate::reply::{self, Because as _, Quoted, Refusal, Reply};
use crate::router::{Outcome, Received, Unanswered};
use crate::state::{Registered, State};

/// What an introspection or revocation answers, and for a token it found
/// inactive, why (journal only: the answer is a 200 either way).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) reply: Reply,
    pub(crate) inactive: Option<Cow<'static, str>>,
}

impl From<Reply> for Answer {
    fn from(reply: Reply) -> Self {
        Self {
            reply,
            inactive: None,
        }
    }
}

/// What the two client-authenticated token-management endpoints share
/// (RFC 7662 §2.1 introspection, RFC 7009 §2.1 revocation): POST only; a
/// queued fault answers first; then the form, client authentication and a
/// non-empty `token` parameter, in that order, before `answer` sees the
/// client and the token. A `token_type_hint` is only a hint (RFC 7662 §2.1,
/// RFC 7009 §2.2) and is never read. The journal facts are kept whatever
/// the result.
pub(crate) async fn client_token_endpoint(
    r: &Received<'_>,
    endpoint: Endpoint,
    answer: impl FnOnce(&Registered, &str) -> Result<Answer, Refusal>,
) -> Outcome {
    let state = r.state;
    if *r.method != Method::POST {
        let mut outcome = method_not_allowed(r.method, "POST");
        outcome.response = reply::no_store(outcome.response);
        return outcome;
    }
    let (form, checked) = read_form(r.headers, r.body);
    let fault = state.faults.take(endpoint, || {
        client_auth::claimed_client(r.headers, form.as_ref())
    });
    if let Some(fired) = &fault
        && let Some(mut outcome) = fault_reply(r, fired, || Unanswered {
            form: form.clone(),
            ..Unanswered::default()
        })
        .await
    {
        outcome.fault = fault;
        outcome.form = form;
        return outcome;
    }
    let mut outcome = Outcome::from(reply::build(StatusCode::OK, None, ""));
    let mut facts = AuthFacts::default();
    let result = checked.and_then(|()| {
        let form = form
            .as_ref()
            .ok_or_else(|| invalid_request("the body is not a form").because("body: not a form"))?;
        let client = client_auth::authenticate(
            state,
            r.peer.ip(),
            r.headers,
            form,
            Purpose::Other,
            &mut facts,
        )?;
        let token = form.get("token").filter(|t| !t.is_empty()).ok_or_else(|| {
            invalid_request("the token parameter is missing")
                .because("token: the token parameter is missing or empty")
        })?;
        answer(&client, token)
    });
    let result = result.map(|answered| {
        outcome.reason = answered.inactive;
        answered.reply
    });
    outcome.answer(result, &state.settings.realm);
    outcome.auth = Some(facts.detected);
    outcome.basic = facts.basic;
    outcome.client_id = facts.client_id;
    outcome.form = form;
    // A fault that only delayed the answer (`latency`) fired too.
    outcome.fault = fault;
    outcome
}

/// 405 with `Allow` (RFC 9110 §15.5.6), its code and the method journaled.
pub(crate) fn method_not_allowed(method: &Method, allow: &'static str) -> Outcome {
    Outcome::from(reply::method_not_allowed(allow))
        .with_error("method_not_allowed")
        .with_reason(format!(
            "method: {} is not allowed here (Allow: {allow})",
            Quoted(method.as_str())
        ))
}

/// Why a token is inactive, for the journal: whose it was and when it
/// expired, never the token.
pub(crate) fn inactive_reason(state: &State, token: &str, why: Invalid) -> Cow<'static, str> {
    let claims = match why {
        Invalid::Garbage => None,
        Invalid::Expired | Invalid::Revoked | Invalid::NotYetValid => {
            state.issuer.decode(token, state.now_unix()).ok()
        }
    };
    let Some(claims) = claims else {
        return Cow::Borrowed(
            "token: not issued by this server (or by an earlier run of it): bad syntax, MAC or signature, an unpublished key, or a wrong typ or iss",
        );
    };
    let client = Quoted(&claims.client_id);
    Cow::Owned(match why {
        Invalid::Expired => format!(
            "token: the token of client {client} expired at {} (mock clock: {})",
            rfc3339(claims.exp),
            rfc3339(state.now_unix())
        ),
        Invalid::NotYetValid => format!(
            "token: the token of client {client} is not valid before {} (mock clock: {})",
            rfc3339(claims.nbf.unwrap_or_default()),
            rfc3339(state.now_unix())
        ),
        _ => format!("token: the token of client {client} was revoked"),
    })
}

/// The scopes of `wanted` that `held` lacks, space-separated.
pub(crate) fn missing_scopes(wanted: &ScopeSet, held: &ScopeSet) -> String {
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|scope| !held.contains(scope))
        .map(Scope::as_str)
        .collect();
    missing.join(" ")
}

/// Unix seconds in RFC 3339, or as a number if out of range.
pub(crate) fn rfc3339(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{unix} (unix seconds)"))
}

/// Most pairs a form body may hold.
pub(crate) const MAX_FORM_PAIRS: usize = 128;

/// True when the one `Content-Type` is the form media type (any case,
/// RFC 9110 §8.3.1) with no charset other than UTF-8 (RFC 6749 App. B).
pub(crate) fn is_form_media_type(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(CONTENT_TYPE).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return false;
    };
    // The usual header, exactly: no parameters to read.
    if value
        .as_bytes()
        .eq_ignore_ascii_case(CONTENT_TYPE_FORM.as_bytes())
    {
        return true;
    }
    let Ok(value) = value.to_str() else {
        return false;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case(CONTENT_TYPE_FORM)
        && parts.all(|param| match param.split_once('=') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
                value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
            }
            Some(_) => true,
            None => param.trim().is_empty(),
        })
}

/// Why the `Content-Type` is not the form media type, for the journal
/// (the header is one the journal shows).
fn media_type_reason(headers: &HeaderMap) -> Cow<'static, str> {
    let mut values = headers.get_all(CONTENT_TYPE).iter();
    match (values.next(), values.next()) {
        (None, _) => Cow::Borrowed("media type: no Content-Type header"),
        (Some(_), Some(_)) => Cow::Borrowed("media type: more than one Content-Type header"),
        (Some(value), None) => Cow::Owned(format!(
            "media type: Content-Type {} is not application/x-www-form-urlencoded \
             (with charset UTF-8, if any)",
            Quoted(&String::from_utf8_lossy(value.as_bytes()))
        )),
    }
}

/// Media type, decoding and repeats, in that order (S-03, S-12, S-04).
/// The decoded form comes back even when a parameter repeats, for the journal.
pub(crate) fn read_form(headers: &HeaderMap, body: &[u8]) -> (Option<Form>, Result<(), Refusal>) {
    read_form_checked(is_form_media_type(headers), headers, body)
}

/// [`read_form`] for a caller that has checked the media type already
/// ([`is_form_media_type`]), so that it runs once per request.
pub(crate) fn read_form_checked(
    media_type_ok: bool,
    headers: &HeaderMap,
    body: &[u8],
) -> (Option<Form>, Result<(), Refusal>) {
    if !media_type_ok {
        return (
            None,
            Err(
                invalid_request("the body must be application/x-www-form-urlencoded")
                    .because(media_type_reason(headers)),
            ),
        );
    }
    let form = match Form::parse(body, MAX_FORM_PAIRS) {
        Ok(form) => form,
        // The error names an offset or a limit, never a value.
        Err(error @ FormError::TooManyPairs { .. }) => {
            return (
                None,
                Err(invalid_request("the body has too many parameters")
                    .because(format!("body: {error}"))),
            );
        }
        Err(error) => {
            return (
                None,
                Err(
                    invalid_request("the body is not valid form-urlencoded UTF-8")
                        .because(format!("body: {error}")),
                ),
            );
        }
    };
    // RFC 6749 §3.2: no parameter more than once; RFC 8707 §2 allows several `resource`.
    let repeated = form.first_repeated(&["resource"]).map(|name| {
        let description = match name {
            "grant_type" => "the grant_type parameter is repeated",
            "scope" => "the scope parameter is repeated",
            "client_id" => "the client_id parameter is repeated",
            "client_secret" => "the client_secret parameter is repeated",
            "token" => "the token parameter is repeated",
            _ => "a parameter is repeated",
        };
        invalid_request(description).because(format!(
            "repeated parameter: {} appears {} times",
            Quoted(name),
            form.count(name)
        ))
    });
    match repeated {
        Some(refusal) => (Some(form), Err(refusal)),
        None => (Some(form), Ok(())),
    }
}

/// The OAuth `error` code a fault's answer carries: the RFC 6749 §5.2
/// body of the faults that serve one, or a [`Fault::Raw`] JSON body's
/// `error` member.
fn fault_error(fault: &Fault, served: Option<&ProviderError>) -> Option<Cow<'static, str>> {
    if let Some(error) = served {
        return Some(Cow::Owned(error.code.as_str().to_owned()));
    }
    let Fault::Raw { body, .. } = fault else {
        return None;
    };
    let body: serde_json::Value = serde_json::from_str(body).ok()?;
    let error = body.get("error")?.as_str()?;
    Some(Cow::Owned(
        reply::bounded(error, reply::MAX_QUOTED_BYTES).into_owned(),
    ))
}

/// Serves a fault that replaces the answer, with the OAuth `error` code it
/// carries; `None` for faults that delay or reshape the correct answer
/// (the caller goes on). The caller records the fault.
///
/// Before a fault that waits, `facts` (what the journal shows of a request
/// the fault answers, besides the fault) are left in the request's
/// [`Waiting`](crate::router::Waiting), for the journal if its client hangs up meanwhile.
pub(crate) async fn fault_reply(
    r: &Received<'_>,
    fault: &Fault,
    facts: impl FnOnce() -> Unanswered,
) -> Option<Outcome> {
    if fault.waits() {
        r.waiting.hold(Unanswered {
            fault: Some(fault.clone()),
            ..facts()
        });
    }
    serve_fault(r.state, fault).await
}

async fn serve_fault(state: &State, fault: &Fault) -> Option<Outcome> {
    use http::HeaderValue;
    use http::header::LOCATION;

    let realm = &state.settings.realm;
    // The §5.2 error a fault serves, in the body (with its status) or in a 200.
    let mut served = None;
    let status =
        |code: u16| StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut stop = state.shutdown.clone();
    let reply = match fault {
        Fault::Latency(delay) => {
            tokio::select! {
                () = tokio::time::sleep(*delay) => return None,
                () = crate::server::stopping(&mut stop) => reply::build(StatusCode::SERVICE_UNAVAILABLE, Some("text/plain"), "shutting down\n"),
            }
        }
        Fault::Hang => {
            crate::server::stopping(&mut stop).await;
            reply::build(
                StatusCode::SERVICE_UNAVAILABLE,
                Some("text/plain"),
                "shutting down\n",
            )
        }
        Fault::Status(code) => {
            let status = status(*code);
            let text = format!(
                "{} {}\n",
                status.as_str(),
                status.canonical_reason().unwrap_or("Error")
            );
            reply::build(status, Some("text/plain"), text)
        }
        Fault::RetryAfter {
            status: code,
            seconds,
        } => {
            let error =
                ProviderError::new(ErrorCode::Other(ErrorCode::TEMPORARILY_UNAVAILABLE.into()))
                    .with_description("try again later")
                    .with_status(status(*code))
                    .with_retry_after(auth_core::RetryAfter::Delay(
                        std::time::Duration::from_secs(*seconds),
                    ));
            reply::oauth_error(served.insert(error), realm)
        }
        Fault::Html { status: code } => {
            let status = status(*code);
            let page = format!(
                "<!DOCTYPE html>\n<html><head><title>{status}</title></head><body><h1>{status}</h1><p>upstream error</p></body></html>\n"
            );
            reply::build(status, Some("text/html; charset=utf-8"), page)
        }
        Fault::MalformedJson => reply::no_store(reply::json(
            StatusCode::OK,
            r#"{"access_token":"mock","token_type":"Bear"#,
        )),
        Fault::ErrorIn200 => reply::no_store(reply::json(
            StatusCode::OK,
            served
                .insert(
                    ProviderError::new(ErrorCode::InvalidRequest)
                        .with_description("an error with status 200"),
                )
                .to_json(),
        )),
        Fault::Redirect { location } => {
            let mut reply = reply::build(StatusCode::TEMPORARY_REDIRECT, None, "");
            let location = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/"));
            reply.headers_mut().insert(LOCATION, location);
            reply
        }
        Fault::InvalidClient => reply::oauth_error(served.insert(client_auth::failed()), realm),
        Fault::Raw {
            status: code,
            headers,
            body,
        } => raw_reply(status(*code), headers, body),
        Fault::Reset => reset_reply(),
        Fault::ExpiresInString
        | Fault::LowercaseTokenType
        | Fault::ExtraFields
        | Fault::NoScope
        | Fault::NoExpiresIn
        | Fault::ShortLifetime
        | Fault::Oversized { .. }
        | Fault::JwksWithoutKid
        | Fault::JwksDuplicateKid
        | Fault::JwksUnparseableKey
        | Fault::RotateWithoutGrace
        | Fault::ExpiredOnIssue
        | Fault::NbfInFuture
        | Fault::WrongIssuer
        | Fault::WrongAudience
        | Fault::TypJwt => return None,
    };
    let mut outcome = Outcome::from(reply);
    outcome.error = fault_error(fault, served.as_ref());
    Some(outcome)
}

/// [`Fault::Raw`](crate::Fault::Raw): the answer as given; invalid header
/// names or values are skipped.
fn raw_reply(status: StatusCode, headers: &[(String, String)], body: &str) -> Reply {
    let mut reply = reply::build(status, None, body.to_owned());
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            reply.headers_mut().append(name, value);
        }
    }
    reply
}

/// [`Fault::Reset`](crate::Fault::Reset): a reply the router turns into a dropped connection.
fn reset_reply() -> Reply {
    let mut reply = reply::build(StatusCode::INTERNAL_SERVER_ERROR, None, "");
    reply.extensions_mut().insert(crate::router::Reset);
    reply
}
