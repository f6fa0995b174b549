//! `POST /introspect` (RFC 7662): client-authenticated; an inactive token
//! gets exactly `{"active":false}` (RFC 7662 §2.2, S-45).

use auth_core::ProviderError;
use http::{Method, StatusCode};
use serde_json::{Map, Value};

use crate::client_auth::{self, AuthFacts, Purpose, invalid_request};
use crate::fault::Endpoint;
use crate::issuer::Claims;
use crate::reply;
use crate::router::{Outcome, Received};
use crate::routes::{fault_reply, read_form};

/// The body for every inactive token.
pub(crate) const INACTIVE: &str = r#"{"active":false}"#;

pub(crate) async fn handle(r: &Received<'_>) -> Outcome {
    let state = r.state;
    if *r.method != Method::POST {
        return reply::no_store(reply::method_not_allowed("POST")).into();
    }
    let (form, checked) = read_form(r.headers, r.body);
    let mut facts = AuthFacts::default();
    let mut outcome = Outcome::from(reply::build(StatusCode::OK, None, ""));
    if let Some(fault) = state.faults.take(Endpoint::Introspect, || {
        client_auth::claimed_client(r.headers, form.as_ref())
    }) && let Some(reply) = fault_reply(state, &fault).await
    {
        outcome.response = reply;
        outcome.fault = Some(fault);
        outcome.form = form;
        return outcome;
    }
    let result = checked.and_then(|()| {
        let form = form
            .as_ref()
            .ok_or_else(|| invalid_request("the body is not a form"))?;
        // RFC 7662 §2.1: the endpoint MUST require authorization (S-43).
        client_auth::authenticate(
            state,
            r.peer.ip(),
            r.headers,
            form,
            Purpose::Other,
            &mut facts,
        )?;
        // The hint is only a hint (RFC 7662 §2.1, S-46): it is not read.
        let token = form
            .get("token")
            .filter(|t| !t.is_empty())
            .ok_or_else(|| invalid_request("the token parameter is missing"))?;
        Ok::<_, ProviderError>(match state.issuer.validate(token, state.now_unix()) {
            Ok(claims) => active(state, &claims),
            Err(_) => INACTIVE.to_owned(),
        })
    });
    outcome.response = match result {
        Ok(body) => reply::no_store(reply::json(StatusCode::OK, body)),
        Err(error) => reply::oauth_error(&error, &state.settings.realm),
    };
    outcome.auth = Some(facts.detected);
    outcome.basic = facts.basic;
    outcome.client_id = facts.client_id;
    outcome.form = form;
    outcome
}

fn active(state: &crate::state::State, claims: &Claims) -> String {
    let mut body = Map::new();
    body.insert("active".into(), Value::Bool(true));
    body.insert("client_id".into(), Value::String(claims.client_id.clone()));
    body.insert("token_type".into(), Value::String("Bearer".into()));
    body.insert("exp".into(), Value::from(claims.exp));
    body.insert("iat".into(), Value::from(claims.iat));
    body.insert("iss".into(), Value::String(state.base_url.clone()));
    body.insert("sub".into(), Value::String(claims.client_id.clone()));
    body.insert("jti".into(), Value::String(hex(&claims.jti)));
    if !claims.scope.is_empty() {
        body.insert("scope".into(), Value::String(claims.scope.to_string()));
    }
    if !claims.audience.is_empty() {
        body.insert("aud".into(), Value::from(claims.audience.clone()));
    }
    Value::Object(body).to_string()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}
