//! `POST /revoke` (RFC 7009): client-authenticated; 200 for unknown or
//! already invalid tokens (§2.2); another client's token is refused and
//! stays active (§2.1, S-52).

use std::time::Duration;

use auth_core::{ErrorCode, ProviderError, RetryAfter};
use http::StatusCode;

use crate::fault::Endpoint;
use crate::reply::{self, Because as _, Quoted};
use crate::router::{Outcome, Received};
use crate::routes::{Answer, client_token_endpoint, inactive_reason};

pub(crate) async fn handle(r: &Received<'_>) -> Outcome {
    let state = r.state;
    client_token_endpoint(r, Endpoint::Revoke, |client, token| {
        let ok = || reply::no_store(reply::build(StatusCode::OK, None, ""));
        // An invalid token is a 200 (§2.2, S-49).
        let claims = match state.issuer.validate(token, state.now_unix()) {
            Ok(claims) => claims,
            Err(why) => {
                return Ok(Answer {
                    reply: ok(),
                    inactive: Some(inactive_reason(state, token, why)),
                });
            }
        };
        if claims.client_id != client.id {
            return Err(ProviderError::new(ErrorCode::InvalidGrant)
                .with_description("the token was issued to another client")
                .because(format!(
                    "token: issued to client {}, not to {}; it stays active",
                    Quoted(&claims.client_id),
                    Quoted(&client.id)
                )));
        }
        if !state.issuer.revoke(&claims, state.now_unix()) {
            return Err(ProviderError::new(ErrorCode::Other(
                ErrorCode::TEMPORARILY_UNAVAILABLE.into(),
            ))
            .with_description("the revocation list is full")
            .with_status(StatusCode::SERVICE_UNAVAILABLE)
            .with_retry_after(RetryAfter::Delay(Duration::from_secs(1)))
            .because("revocation: the revocation list is full of live entries"));
        }
        Ok(ok().into())
    })
    .await
}
