//! `/resource`: a bearer-protected test resource (RFC 6750), the oracle of
//! client behaviour. `?scope=read` names the scope the request needs.
//!
//! - no token (or only `?access_token=`, not accepted: RFC 9700 §4.3.2, S-65)
//!   → 401 + `WWW-Authenticate: Bearer realm="mock"`, no `error` (§3, S-60);
//! - expired, revoked, foreign or garbage token → 401 `invalid_token` (§3.1, S-61);
//! - token without the named scope → 403 `insufficient_scope` + `scope` (S-62);
//! - two Authorization headers, header and query token, or a value
//!   outside `b64token` → 400 `invalid_request` (S-63, S-64).

use auth_core::form::Form;
use auth_core::{AccessToken, BearerChallenge, BearerErrorCode, ScopeSet};
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};
use serde_json::json;

use crate::conformance::rules::{self, ResourceObservation};
use crate::fault::Endpoint;
use crate::reply::{self, Reply};
use crate::router::{Outcome, Received};
use crate::routes::{MAX_FORM_PAIRS, fault_reply};

pub(crate) async fn handle(r: &Received<'_>) -> Outcome {
    let mut outcome = respond(r).await;
    let query_token = r
        .uri
        .query()
        .and_then(|q| Form::parse(q.as_bytes(), MAX_FORM_PAIRS).ok())
        .is_some_and(|q| q.get("access_token").is_some());
    outcome.findings = rules::evaluate_resource(&ResourceObservation {
        authorization: r.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()),
        query_token,
        loopback_peer: r.peer.ip().is_loopback(),
        secure: r.secure,
    });
    outcome
}

async fn respond(r: &Received<'_>) -> Outcome {
    let state = r.state;
    if let Some(fault) = state.faults.take(Endpoint::Resource, || None)
        && let Some(reply) = fault_reply(state, &fault).await
    {
        return Outcome {
            fault: Some(fault),
            ..Outcome::from(reply)
        };
    }
    let challenge = BearerChallenge::new().with_realm(state.settings.realm.clone());
    let reject = |status: StatusCode, code: BearerErrorCode, description: &str| {
        let challenge = challenge
            .clone()
            .with_error(code.clone())
            .with_description(description);
        let body = json!({ "error": code.as_str(), "error_description": description }).to_string();
        with_challenge(reply::json(status, body), &challenge)
    };
    let invalid_request = |description: &str| {
        reject(
            StatusCode::BAD_REQUEST,
            BearerErrorCode::InvalidRequest,
            description,
        )
    };

    let (token, query) = match find_token(r) {
        Ok(found) => found,
        Err(description) => return invalid_request(description).into(),
    };
    let Some(token) = token else {
        return with_challenge(reply::build(StatusCode::UNAUTHORIZED, None, ""), &challenge).into();
    };
    let invalid_token = |description: &str| {
        reject(
            StatusCode::UNAUTHORIZED,
            BearerErrorCode::InvalidToken,
            description,
        )
    };
    let claims = match state.issuer.validate(token, state.now_unix()) {
        Ok(claims) => claims,
        Err(why) => return invalid_token(why.description()).into(),
    };
    let client_id = Some(claims.client_id.clone());
    // RFC 8707 §2: an audience-restricted token is good only at its resources.
    if !claims.audience.is_empty() && !claims.audience.iter().any(|a| *a == state.resource_url()) {
        return Outcome {
            client_id,
            ..invalid_token("the access token is for another resource").into()
        };
    }
    let required = match query
        .as_ref()
        .and_then(|q| q.get("scope"))
        .filter(|s| !s.is_empty())
        .map(ScopeSet::parse)
    {
        None => ScopeSet::new(),
        Some(Ok(required)) => required,
        Some(Err(_)) => {
            return Outcome {
                client_id,
                ..invalid_request("the scope query parameter is malformed").into()
            };
        }
    };
    if !claims.scope.is_superset(&required) {
        let challenge = challenge
            .with_error(BearerErrorCode::InsufficientScope)
            .with_description("the access token lacks the required scope")
            .with_scope(required.to_string());
        let body =
            json!({ "error": "insufficient_scope", "scope": required.to_string() }).to_string();
        return Outcome {
            client_id,
            ..with_challenge(reply::json(StatusCode::FORBIDDEN, body), &challenge).into()
        };
    }
    let body =
        json!({ "client_id": claims.client_id, "scope": claims.scope.to_string() }).to_string();
    Outcome {
        client_id,
        ..reply::json(StatusCode::OK, body).into()
    }
}

/// The bearer token of the header, and the decoded query. Errors are
/// RFC 6750 §3.1 `invalid_request` descriptions.
fn find_token<'a>(r: &Received<'a>) -> Result<(Option<&'a str>, Option<Form>), &'static str> {
    let query = match r
        .uri
        .query()
        .map(|q| Form::parse(q.as_bytes(), MAX_FORM_PAIRS))
    {
        None => None,
        Some(Ok(form)) => Some(form),
        Some(Err(_)) => return Err("the query string is malformed"),
    };
    let mut values = r.headers.get_all(AUTHORIZATION).iter();
    let (value, second) = (values.next(), values.next());
    if second.is_some() {
        return Err("more than one Authorization header");
    }
    let token = match value {
        Some(value) => bearer_token(value.as_bytes())?,
        None => None,
    };
    if token.is_some()
        && query
            .as_ref()
            .is_some_and(|q| q.get("access_token").is_some())
    {
        return Err("the access token was sent in more than one way");
    }
    Ok((token, query))
}

/// `Bearer 1*SP b64token`, scheme in any case (RFC 9110 §11.1, RFC 6750
/// §2.1). `Ok(None)` for another scheme.
fn bearer_token(value: &[u8]) -> Result<Option<&str>, &'static str> {
    let value = std::str::from_utf8(value).map_err(|_| "the Authorization header is not ASCII")?;
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    let token = rest.trim_start_matches(' ');
    if !AccessToken::new(token).is_b64token() {
        return Err("the bearer token is malformed");
    }
    Ok(Some(token))
}

fn with_challenge(mut reply: Reply, challenge: &BearerChallenge) -> Reply {
    if let Ok(value) = HeaderValue::from_str(&challenge.to_string()) {
        reply.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
    reply
}
