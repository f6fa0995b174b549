//! Authorization server discovery over a [`Transport`] (RFC 8414):
//! [`discover`]. auth-core builds the URL and validates the document; this
//! only moves the bytes.

use auth_core::{Issuer, Metadata, parse_metadata};
use tracing::Instrument as _;

use crate::error::Error;
use crate::transport::Transport;

/// Fetches and validates `issuer`'s metadata (RFC 8414 §3): `GET` the
/// well-known URL inserted before the issuer's path (§3.1), then accept the
/// document only if its `issuer` is identical to `issuer` and its
/// `token_endpoint` is a valid token URL (§3.3); otherwise
/// [`auth_core::Error::Metadata`] and nothing of it is used. No retry, no
/// redirect (the transport never follows one).
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// use auth_core::{Client, ClientCredentials, Issuer};
/// use auth_http::{HyperTransport, discover};
/// let transport = HyperTransport::new()?;
/// let metadata = discover(&transport, &Issuer::parse("https://as.example/tenant1")?).await?;
/// let credentials = ClientCredentials::new("id", "secret").with_auth_method(metadata.choose_auth_method()?);
/// let client = Client::new(metadata.token_url().clone(), credentials);
/// # let _ = client;
/// # Ok(()) }
/// ```
pub async fn discover<T: Transport + ?Sized>(
    transport: &T,
    issuer: &Issuer,
) -> Result<Metadata, Error> {
    let request = issuer.metadata_request();
    let span = tracing::debug_span!(
        "discovery",
        metadata_url = %request.uri(),
        status = tracing::field::Empty,
    );
    async move {
        let response = transport.send(request).await?;
        tracing::Span::current().record("status", response.status().as_u16());
        let metadata = parse_metadata(
            response.status(),
            response.headers(),
            response.body(),
            issuer,
        )
        .inspect_err(|e| tracing::debug!(error = %e, "metadata rejected"))?;
        tracing::debug!(token_url = %metadata.token_url(), "metadata accepted");
        Ok(metadata)
    }
    .instrument(span)
    .await
}
