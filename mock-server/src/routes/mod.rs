//! One file per endpoint, and the checks they share.

pub(crate) mod admin;
pub(crate) mod introspect;
pub(crate) mod metadata;
pub(crate) mod protected;
pub(crate) mod revoke;
pub(crate) mod token;

use auth_core::ProviderError;
use auth_core::form::{CONTENT_TYPE_FORM, Form, FormError};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, Method, StatusCode};

use crate::client_auth::{self, AuthFacts, Purpose, invalid_request};
use crate::fault::Endpoint;
use crate::reply::{self, Reply};
use crate::router::{Outcome, Received};
use crate::state::Registered;

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
    answer: impl FnOnce(&Registered, &str) -> Result<Reply, ProviderError>,
) -> Outcome {
    let state = r.state;
    if *r.method != Method::POST {
        return reply::no_store(reply::method_not_allowed("POST")).into();
    }
    let (form, checked) = read_form(r.headers, r.body);
    let mut outcome = Outcome::from(reply::build(StatusCode::OK, None, ""));
    if let Some(fault) = state.faults.take(endpoint, || {
        client_auth::claimed_client(r.headers, form.as_ref())
    }) && let Some(reply) = fault_reply(state, &fault).await
    {
        outcome.response = reply;
        outcome.fault = Some(fault);
        outcome.form = form;
        return outcome;
    }
    let mut facts = AuthFacts::default();
    let result = checked.and_then(|()| {
        let form = form
            .as_ref()
            .ok_or_else(|| invalid_request("the body is not a form"))?;
        let client = client_auth::authenticate(
            state,
            r.peer.ip(),
            r.headers,
            form,
            Purpose::Other,
            &mut facts,
        )?;
        let token = form
            .get("token")
            .filter(|t| !t.is_empty())
            .ok_or_else(|| invalid_request("the token parameter is missing"))?;
        answer(&client, token)
    });
    outcome.response =
        result.unwrap_or_else(|error| reply::oauth_error(&error, &state.settings.realm));
    outcome.auth = Some(facts.detected);
    outcome.basic = facts.basic;
    outcome.client_id = facts.client_id;
    outcome.form = form;
    outcome
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

/// Media type, decoding and repeats, in that order (S-03, S-12, S-04).
/// The decoded form comes back even when a parameter repeats, for the journal.
pub(crate) fn read_form(
    headers: &HeaderMap,
    body: &[u8],
) -> (Option<Form>, Result<(), ProviderError>) {
    if !is_form_media_type(headers) {
        return (
            None,
            Err(invalid_request(
                "the body must be application/x-www-form-urlencoded",
            )),
        );
    }
    let form = match Form::parse(body, MAX_FORM_PAIRS) {
        Ok(form) => form,
        Err(FormError::TooManyPairs { .. }) => {
            return (
                None,
                Err(invalid_request("the body has too many parameters")),
            );
        }
        Err(_) => {
            return (
                None,
                Err(invalid_request(
                    "the body is not valid form-urlencoded UTF-8",
                )),
            );
        }
    };
    // RFC 6749 §3.2: no parameter more than once; RFC 8707 §2 allows several `resource`.
    let repeated = form.first_repeated(&["resource"]).map(|name| match name {
        "grant_type" => "the grant_type parameter is repeated",
        "scope" => "the scope parameter is repeated",
        "client_id" => "the client_id parameter is repeated",
        "client_secret" => "the client_secret parameter is repeated",
        "token" => "the token parameter is repeated",
        _ => "a parameter is repeated",
    });
    match repeated {
        Some(description) => (Some(form), Err(invalid_request(description))),
        None => (Some(form), Ok(())),
    }
}

/// Serves a fault that replaces the answer; `None` for faults that delay
/// or reshape the correct answer (the caller goes on).
pub(crate) async fn fault_reply(
    state: &crate::state::State,
    fault: &crate::fault::Fault,
) -> Option<Reply> {
    use auth_core::ErrorCode;
    use http::header::LOCATION;
    use http::{HeaderValue, StatusCode};

    use crate::fault::Fault;
    use crate::reply;

    let status =
        |code: u16| StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut stop = state.shutdown.clone();
    Some(match fault {
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
            reply::oauth_error(&error, &state.settings.realm)
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
            ProviderError::new(ErrorCode::InvalidRequest)
                .with_description("an error with status 200")
                .to_json(),
        )),
        Fault::Redirect { location } => {
            let mut reply = reply::build(StatusCode::TEMPORARY_REDIRECT, None, "");
            let location = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/"));
            reply.headers_mut().insert(LOCATION, location);
            reply
        }
        Fault::InvalidClient => reply::oauth_error(&client_auth::failed(), &state.settings.realm),
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
        | Fault::Oversized { .. } => return None,
    })
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
