//! `/resource`: a bearer-protected test resource (RFC 6750), the oracle of
//! client behaviour. `?scope=read` names the scope the request needs.
//!
//! - no token (or only `?access_token=`, not accepted: RFC 9700 §4.3.2, S-65)
//!   → 401 + `WWW-Authenticate: Bearer realm="mock"`, no `error` (§3, S-60);
//! - expired, revoked, foreign or garbage token → 401 `invalid_token` (§3.1, S-61);
//! - token without the named scope → 403 `insufficient_scope` + `scope` (S-62);
//!   literally, unless `scope_implications` are configured: then the scope
//!   must be in the closure of the token's scope under them;
//! - two Authorization headers, header and query token, or a value
//!   outside `b64token` → 400 `invalid_request` (S-63, S-64).
//!
//! The journal records the challenge's `error` and, for every refusal, the
//! reason (which token check failed, whose token, which scope was missing).

use auth_core::form::Form;
use auth_core::{AccessToken, BearerChallenge, BearerErrorCode, ScopeSet};
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};
use serde_json::json;

use crate::conformance::rules::{self, ResourceObservation};
use crate::fault::Endpoint;
use crate::issuer::Claims;
use crate::reply::{self, Quoted, Reply};
use crate::router::{Outcome, Received, Unanswered};
use crate::routes::{MAX_FORM_PAIRS, fault_reply, inactive_reason, missing_scopes};

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
        && let Some(mut outcome) = fault_reply(r, &fault, Unanswered::default).await
    {
        outcome.fault = Some(fault);
        return outcome;
    }
    let challenge = BearerChallenge::new().with_realm(state.settings.realm.clone());
    // The journal keeps the challenge's code and the reason; the
    // description on the wire stays fixed.
    let reject = |status: StatusCode, code: BearerErrorCode, description: &str| {
        let challenge = challenge
            .clone()
            .with_error(code.clone())
            .with_description(description);
        let body = json!({ "error": code.as_str(), "error_description": description }).to_string();
        Outcome::from(with_challenge(reply::json(status, body), &challenge))
            .with_error(code.as_str().to_owned())
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
        Err((description, reason)) => return invalid_request(description).with_reason(reason),
    };
    let Some(token) = token else {
        return Outcome::from(with_challenge(
            reply::build(StatusCode::UNAUTHORIZED, None, ""),
            &challenge,
        ))
        .with_reason(no_token_reason(r, query.as_ref()));
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
        Err(why) => {
            return invalid_token(why.description())
                .with_reason(inactive_reason(state, token, why));
        }
    };
    let client_id = Some(claims.client_id.clone());
    let resource_url = state.resource_url();
    if !is_for(&claims, &resource_url) {
        return Outcome {
            client_id,
            ..invalid_token("the access token is for another resource").with_reason(format!(
                "token: the token of client {} is for {}, not {}",
                Quoted(&claims.client_id),
                Quoted(&claims.audience.join(" ")),
                Quoted(&resource_url)
            ))
        };
    }
    let required = match query
        .as_ref()
        .and_then(|q| q.get("scope"))
        .filter(|s| !s.is_empty())
        .map(|scope| (scope, ScopeSet::parse(scope)))
    {
        None => ScopeSet::new(),
        Some((_, Ok(required))) => required,
        Some((scope, Err(error))) => {
            return Outcome {
                client_id,
                ..invalid_request("the scope query parameter is malformed").with_reason(format!(
                    "scope: the scope query parameter {} is not RFC 6749 §3.3 syntax: {error}",
                    Quoted(scope)
                ))
            };
        }
    };
    // Only declared implications, and only when configured; otherwise the
    // check is literal inclusion in the token's scope.
    let implications = &state.settings.implications;
    let effective = (!implications.is_empty()).then(|| implications.closure(&claims.scope));
    if !effective
        .as_ref()
        .unwrap_or(&claims.scope)
        .is_superset(&required)
    {
        return Outcome {
            client_id,
            ..insufficient_scope(challenge, &claims, &required, effective.as_ref())
        };
    }
    let body =
        json!({ "client_id": claims.client_id, "scope": claims.scope.to_string() }).to_string();
    Outcome {
        client_id,
        ..reply::json(StatusCode::OK, body).into()
    }
}

/// 403 `insufficient_scope` with the scope needed (RFC 6750 §3.1, S-62);
/// the journal names what the token lacks and, when scope implications are
/// configured, what they added to its scope (`effective`, the closure).
fn insufficient_scope(
    challenge: BearerChallenge,
    claims: &Claims,
    required: &ScopeSet,
    effective: Option<&ScopeSet>,
) -> Outcome {
    let challenge = challenge
        .with_error(BearerErrorCode::InsufficientScope)
        .with_description("the access token lacks the required scope")
        .with_scope(required.to_string());
    let body = json!({ "error": "insufficient_scope", "scope": required.to_string() }).to_string();
    let held = effective.unwrap_or(&claims.scope);
    let implied = match effective {
        None => String::new(),
        Some(effective) => match missing_scopes(effective, &claims.scope) {
            added if added.is_empty() => "; no configured scope implication applies".to_owned(),
            added => format!(", and {} by configured scope implications", Quoted(&added)),
        },
    };
    let reason = format!(
        "scope: the token of client {} lacks {} (it has {}{implied})",
        Quoted(&claims.client_id),
        Quoted(&missing_scopes(required, held)),
        Quoted(&claims.scope.to_string())
    );
    Outcome::from(with_challenge(
        reply::json(StatusCode::FORBIDDEN, body),
        &challenge,
    ))
    .with_error(BearerErrorCode::InsufficientScope.as_str().to_owned())
    .with_reason(reason)
}

/// Why a request came without a usable bearer token (401, no `error`):
/// for the journal.
fn no_token_reason(r: &Received<'_>, query: Option<&Form>) -> &'static str {
    if query.is_some_and(|q| q.get("access_token").is_some()) {
        "token: only in the access_token query parameter, which is not accepted \
         (RFC 9700 §4.3.2); send it in the Authorization header"
    } else if r.headers.contains_key(AUTHORIZATION) {
        "token: the Authorization scheme is not Bearer"
    } else {
        "token: no Authorization header (RFC 6750 §3: a challenge without an error code)"
    }
}

/// An RFC 6750 §3.1 `invalid_request`: the description on the wire, and
/// the journal's reason.
type Malformed = (&'static str, &'static str);

/// The bearer token of the header, and the decoded query.
fn find_token<'a>(r: &Received<'a>) -> Result<(Option<&'a str>, Option<Form>), Malformed> {
    let query = match r
        .uri
        .query()
        .map(|q| Form::parse(q.as_bytes(), MAX_FORM_PAIRS))
    {
        None => None,
        Some(Ok(form)) => Some(form),
        Some(Err(_)) => {
            return Err((
                "the query string is malformed",
                "query: not valid form-urlencoded UTF-8, or too many parameters",
            ));
        }
    };
    let mut values = r.headers.get_all(AUTHORIZATION).iter();
    let (value, second) = (values.next(), values.next());
    if second.is_some() {
        return Err((
            "more than one Authorization header",
            "token: more than one Authorization header",
        ));
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
        return Err((
            "the access token was sent in more than one way",
            "token: sent both in the Authorization header and as the access_token query \
             parameter (RFC 6750 §2: one method per request)",
        ));
    }
    Ok((token, query))
}

/// `Bearer 1*SP b64token`, scheme in any case (RFC 9110 §11.1, RFC 6750
/// §2.1). `Ok(None)` for another scheme.
fn bearer_token(value: &[u8]) -> Result<Option<&str>, Malformed> {
    let value = std::str::from_utf8(value).map_err(|_| {
        (
            "the Authorization header is not ASCII",
            "token: the Authorization header is not ASCII",
        )
    })?;
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    let token = rest.trim_start_matches(' ');
    if !AccessToken::new(token).is_b64token() {
        return Err((
            "the bearer token is malformed",
            "token: the Bearer value is not an RFC 6750 §2.1 b64token",
        ));
    }
    Ok(Some(token))
}

fn with_challenge(mut reply: Reply, challenge: &BearerChallenge) -> Reply {
    if let Ok(value) = HeaderValue::from_str(&challenge.to_string()) {
        reply.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
    reply
}

/// RFC 8707 §2: an audience-restricted token is good only at its
/// resources; RFC 9068 §4: a JWT's `aud` must name this one (auth-core's
/// rule). A JWT always has an `aud`; an opaque token without one is good
/// anywhere.
fn is_for(claims: &Claims, resource_url: &str) -> bool {
    claims.audience.is_empty()
        || auth_core::jose::check_audience(
            &auth_core::jose::Audience::Many(claims.audience.clone()),
            resource_url,
        )
        .is_ok()
}
