//! `POST /revoke` (RFC 7009): client-authenticated; 200 for unknown or
//! already invalid tokens (§2.2); another client's token is refused and
//! stays active (§2.1, S-52).

use auth_core::{ErrorCode, ProviderError};
use http::header::RETRY_AFTER;
use http::{HeaderValue, Method, StatusCode};

use crate::client_auth::{self, AuthFacts, Purpose, invalid_request};
use crate::fault::Endpoint;
use crate::reply;
use crate::router::{Outcome, Received};
use crate::routes::{fault_reply, read_form};

pub(crate) async fn handle(r: &Received<'_>) -> Outcome {
    let state = r.state;
    if *r.method != Method::POST {
        return reply::no_store(reply::method_not_allowed("POST")).into();
    }
    let (form, checked) = read_form(r.headers, r.body);
    let mut facts = AuthFacts::default();
    let mut outcome = Outcome::from(reply::build(StatusCode::OK, None, ""));
    if let Some(fault) = state.faults.take(Endpoint::Revoke, || {
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
        // An invalid hint is ignored (§2.2, S-50); an invalid token is a 200 (§2.2, S-49).
        let Ok(claims) = state.issuer.validate(token, state.now_unix()) else {
            return Ok(());
        };
        if claims.client_id != client.id {
            return Err(ProviderError::new(ErrorCode::InvalidGrant)
                .with_description("the token was issued to another client"));
        }
        if !state.issuer.revoke(&claims, state.now_unix()) {
            return Err(ProviderError::new(ErrorCode::Other(
                ErrorCode::TEMPORARILY_UNAVAILABLE.into(),
            ))
            .with_description("the revocation list is full")
            .with_status(StatusCode::SERVICE_UNAVAILABLE));
        }
        Ok(())
    });
    outcome.response = match result {
        Ok(()) => reply::no_store(reply::build(StatusCode::OK, None, "")),
        Err(error) => {
            let mut reply = reply::oauth_error(&error, &state.settings.realm);
            if error.status == StatusCode::SERVICE_UNAVAILABLE {
                reply
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            }
            reply
        }
    };
    outcome.auth = Some(facts.detected);
    outcome.basic = facts.basic;
    outcome.client_id = facts.client_id;
    outcome.form = form;
    outcome
}
