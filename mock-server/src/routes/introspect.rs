//! `POST /introspect` (RFC 7662): client-authenticated; an inactive token
//! gets exactly `{"active":false}` (RFC 7662 §2.2, S-45).

use http::StatusCode;
use serde_json::{Map, Value};

use crate::fault::Endpoint;
use crate::issuer::Claims;
use crate::reply;
use crate::router::{Outcome, Received};
use crate::routes::{Answer, client_token_endpoint, inactive_reason};

/// The body for every inactive token.
pub(crate) const INACTIVE: &str = r#"{"active":false}"#;

pub(crate) async fn handle(r: &Received<'_>) -> Outcome {
    let state = r.state;
    client_token_endpoint(r, Endpoint::Introspect, |_, token| {
        let (body, inactive) = match state.issuer.validate(token, state.now_unix()) {
            Ok(claims) => (active(state, &claims), None),
            Err(why) => (
                INACTIVE.to_owned(),
                Some(inactive_reason(state, token, why)),
            ),
        };
        Ok(Answer {
            reply: reply::no_store(reply::json(StatusCode::OK, body)),
            inactive,
        })
    })
    .await
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
    body.insert("jti".into(), Value::String(crate::jwt::hex(&claims.jti)));
    if !claims.scope.is_empty() {
        body.insert("scope".into(), Value::String(claims.scope.to_string()));
    }
    if !claims.audience.is_empty() {
        body.insert("aud".into(), Value::from(claims.audience.clone()));
    }
    Value::Object(body).to_string()
}
