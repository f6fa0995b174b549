//! `POST /revoke` (RFC 7009): client-authenticated; 200 for unknown or
//! already invalid tokens (§2.2); another client's token is refused and
//! stays active (§2.1, S-52).

use std::time::Duration;

use auth_core::{ErrorCode, ProviderError, RetryAfter};
use http::StatusCode;

use crate::fault::Endpoint;
use crate::reply;
use crate::router::{Outcome, Received};
use crate::routes::client_token_endpoint;

pub(crate) async fn handle(r: &Received<'_>) -> Outcome {
    let state = r.state;
    client_token_endpoint(r, Endpoint::Revoke, |client, token| {
        // An invalid token is a 200 (§2.2, S-49).
        let Ok(claims) = state.issuer.validate(token, state.now_unix()) else {
            return Ok(reply::no_store(reply::build(StatusCode::OK, None, "")));
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
            .with_status(StatusCode::SERVICE_UNAVAILABLE)
            .with_retry_after(RetryAfter::Delay(Duration::from_secs(1))));
        }
        Ok(reply::no_store(reply::build(StatusCode::OK, None, "")))
    })
    .await
}
