//! Token revocation over a [`Transport`] (RFC 7009): [`revoke_token`].
//! auth-core builds the request and classifies the answer; this only
//! moves the bytes.

use auth_core::{AccessToken, Client, RevocationRequest, RevocationUrl, State};
use tracing::Instrument as _;

use crate::error::Error;
use crate::transport::Transport;

/// Revokes `token` at `url` with `client`'s credentials (the same client
/// authentication as its token requests, RFC 7009 §2.1). No retry.
///
/// `Ok(())` on `200` (RFC 7009 §2.2: the token is invalid now, or was
/// already). A `503` gives [`auth_core::Error::RevocationUnavailable`]:
/// the token is still valid, and [`Error::retry_after`] says when to try
/// again ([`Error::is_retryable`] is true).
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// use auth_core::{Client, ClientCredentials, RevocationUrl, TokenUrl};
/// use auth_http::{FetchToken, HyperTransport, revoke_token};
/// let transport = HyperTransport::new()?;
/// let client = Client::new(TokenUrl::parse("https://as.example/token")?, ClientCredentials::new("id", "secret"));
/// let authorized = client.fetch_token(&transport).await?;
/// let url = RevocationUrl::parse("https://as.example/revoke")?;
/// revoke_token(&authorized, &transport, &url, authorized.token().access_token()).await?;
/// # Ok(()) }
/// ```
pub async fn revoke_token<S, T>(
    client: &Client<S>,
    transport: &T,
    url: &RevocationUrl,
    token: &AccessToken,
) -> Result<(), Error>
where
    S: State,
    T: Transport + ?Sized,
{
    let revocation = RevocationRequest::new(url.clone(), client.credentials().clone());
    let request = revocation.to_http(token);
    let span = tracing::debug_span!(
        "revocation_request",
        revocation_url = %url,
        client_id = %client.credentials().id(),
        status = tracing::field::Empty,
    );
    async move {
        let response = transport.send(request).await?;
        tracing::Span::current().record("status", response.status().as_u16());
        revocation
            .parse_response(
                token,
                response.status(),
                response.headers(),
                response.body(),
            )
            .inspect_err(|e| tracing::debug!(error = %e, "revocation failed"))?;
        tracing::debug!("token revoked");
        Ok(())
    }
    .instrument(span)
    .await
}
