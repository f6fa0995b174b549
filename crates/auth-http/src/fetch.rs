//! One token request over a [`Transport`]: [`request_token`], the
//! [`FetchToken`] extension (`client.fetch_token(&transport).await?`) and
//! [`SendAuthorized`] (`client.send(&transport, request).await?`).

use std::future::Future;
use std::time::Duration;

use auth_core::jose::{Algorithm, AssertionKey, ClientAssertion};
use auth_core::{
    Authorized, Client, ClientAuthMethod, Clock, OAuthToken, State, SystemClock, Unauthorized,
};
use http::Uri;
use tracing::Instrument as _;

use crate::assertion::{AssertionSigner, SecretSigner, fresh_jti};
use crate::error::{Error, InsecureUrlError, LoopbackOptIn};
use crate::transport::Transport;

/// Sends `client`'s token request once and parses the answer; no retry.
/// Expiry counts from the moment the request was sent, read from `clock`
/// (checklist C-30). A token that needs renewal by the time the answer is
/// read is [`Error::ExpiredOnArrival`]. Borrows the client: a failed grant
/// loses nothing.
pub async fn request_token<S, T>(
    client: &Client<S>,
    transport: &T,
    clock: &dyn Clock,
) -> Result<OAuthToken, Error>
where
    S: State,
    T: Transport + ?Sized,
{
    request_token_signed(client, transport, clock, None).await
}

/// [`request_token`] for every method, the signed-assertion ones
/// included (RFC 7523 §2.2): for `private_key_jwt` and `client_secret_jwt`
/// it builds an assertion for this attempt (a fresh `jti`, `iat` read from
/// `clock`, C-68) and has `signer` sign it. `client_secret_jwt` without a
/// signer signs with the client secret ([`SecretSigner`]);
/// `private_key_jwt` without one is [`Error::SignerMissing`]. The signer's
/// key must be the credentials' assertion key ([`Error::SignerMismatch`]
/// otherwise), so the request identity names the key that signs.
pub async fn request_token_signed<S, T>(
    client: &Client<S>,
    transport: &T,
    clock: &dyn Clock,
    signer: Option<&dyn AssertionSigner>,
) -> Result<OAuthToken, Error>
where
    S: State,
    T: Transport + ?Sized,
{
    let assertion = if client.credentials().auth_method().uses_assertion() {
        Some(sign_assertion(client, clock, signer).await?)
    } else {
        None
    };
    let request = match &assertion {
        Some(assertion) => client.token_request_with_assertion(assertion)?,
        None => client.token_request()?,
    };
    let span = tracing::debug_span!(
        "token_request",
        token_url = %client.request().url(),
        client_id = %client.credentials().id(),
        auth_method = %client.credentials().auth_method(),
        status = tracing::field::Empty,
    );
    async move {
        let sent_at = clock.now();
        let response = transport.send(request).await.inspect_err(|e| {
            tracing::debug!(error = %e, "token request failed in transport");
        })?;
        tracing::Span::current().record("status", response.status().as_u16());
        let parsed = match &assertion {
            Some(assertion) => {
                client.parse_token_response_with_assertion(&response, sent_at, assertion)
            }
            None => client.parse_token_response(&response, sent_at),
        };
        let token = parsed.inspect_err(|e| {
                tracing::debug!(error = %e, "token request rejected");
            })?;
        // A token already at its renewal point (`expires_in: 0`, or an
        // answer slower than the lifetime allows) would be refused by the
        // resource and renewed at once, in a loop: a typed error instead.
        if client.options().expiry().needs_refresh(&token, clock.now()) {
            let lifetime = Duration::try_from(token.lifetime()).unwrap_or(Duration::ZERO);
            tracing::warn!(lifetime = ?lifetime, "token arrived already expired or due for renewal");
            return Err(Error::ExpiredOnArrival { lifetime });
        }
        tracing::debug!(expires_at = %token.expires_at(), scope = %token.scope(), "token received");
        Ok(token)
    }
    .instrument(span)
    .await
}

/// The assertion for one attempt: fresh `jti`, `iat` now, signed.
async fn sign_assertion<S: State>(
    client: &Client<S>,
    clock: &dyn Clock,
    signer: Option<&dyn AssertionSigner>,
) -> Result<ClientAssertion, Error> {
    let credentials = client.credentials();
    let fallback;
    let signer = match (signer, credentials.auth_method()) {
        (Some(signer), _) => signer,
        (None, ClientAuthMethod::ClientSecretJwt) => {
            fallback = SecretSigner::new(credentials.secret().clone());
            &fallback as &dyn AssertionSigner
        }
        (None, _) => return Err(Error::SignerMissing),
    };
    let expected = credentials
        .assertion_key()
        .cloned()
        .unwrap_or_else(|| AssertionKey::new(Algorithm::Hs256));
    if *signer.key() != expected {
        return Err(Error::SignerMismatch);
    }
    let unsigned = client
        .request()
        .unsigned_assertion(clock.now(), &fresh_jti())
        .map_err(auth_core::Error::from)?;
    let signature = signer
        .sign(unsigned.signing_input())
        .await
        .map_err(Error::Signing)?;
    Ok(unsigned.finish(&signature))
}

/// `client.fetch_token(&transport).await?`: one token request, giving an
/// authorized client. Borrows `self` (a [`Client`] is cheap to clone), so a
/// failed grant never loses the client. No retries: that is the
/// [`TokenManager`](crate::TokenManager)'s job.
///
/// ```
/// # async fn demo() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// use auth_core::{Client, ClientCredentials, TokenUrl};
/// use auth_http::{FetchToken, HyperTransport};
/// let transport = HyperTransport::new()?;
/// let client = Client::new(TokenUrl::parse("https://as.example/token")?, ClientCredentials::new("id", "secret"));
/// let authorized = client.fetch_token(&transport).await?;
/// # let _ = authorized;
/// # Ok(()) }
/// ```
pub trait FetchToken {
    /// Fetches a token with the system clock.
    fn fetch_token<T: Transport + ?Sized>(
        &self,
        transport: &T,
    ) -> impl Future<Output = Result<Client<Authorized>, Error>> + Send;

    /// Fetches a token, reading the send time from `clock`.
    fn fetch_token_with_clock<T: Transport + ?Sized>(
        &self,
        transport: &T,
        clock: &dyn Clock,
    ) -> impl Future<Output = Result<Client<Authorized>, Error>> + Send;
}

impl FetchToken for Client<Unauthorized> {
    fn fetch_token<T: Transport + ?Sized>(
        &self,
        transport: &T,
    ) -> impl Future<Output = Result<Client<Authorized>, Error>> + Send {
        self.fetch_token_with_clock(transport, &SystemClock)
    }

    async fn fetch_token_with_clock<T: Transport + ?Sized>(
        &self,
        transport: &T,
        clock: &dyn Clock,
    ) -> Result<Client<Authorized>, Error> {
        let token = request_token(self, transport, clock).await?;
        Ok(self.clone().with_token(token))
    }
}

impl FetchToken for Client<Authorized> {
    /// Renews: a new grant (client credentials has no refresh token flow).
    fn fetch_token<T: Transport + ?Sized>(
        &self,
        transport: &T,
    ) -> impl Future<Output = Result<Client<Authorized>, Error>> + Send {
        self.fetch_token_with_clock(transport, &SystemClock)
    }

    async fn fetch_token_with_clock<T: Transport + ?Sized>(
        &self,
        transport: &T,
        clock: &dyn Clock,
    ) -> Result<Client<Authorized>, Error> {
        let token = request_token(self, transport, clock).await?;
        Ok(self.clone().with_token(token))
    }
}

/// `client.send(&transport, request).await?`: adds
/// `Authorization: Bearer <token>` (marked sensitive, RFC 6750 §2.1) and
/// sends. Refuses plain http (RFC 6750 §5.3, C-60), except to a loopback
/// host when the client's token URL is itself plain http on loopback (a
/// local development setup, the opt-in of C-07).
/// The answer comes back as it is, 401 and 403 included: see
/// [`BearerAuth`](crate::BearerAuth) for the renew-and-retry-once policy.
///
/// Only an authorized client can send, so this does not compile:
///
/// ```compile_fail
/// # async fn f(c: auth_core::Client<auth_core::Unauthorized>, t: auth_http::HyperTransport, r: http::Request<Vec<u8>>) {
/// use auth_http::SendAuthorized as _;
/// let _ = c.send(&t, r).await; // no bearer without a token
/// # }
/// ```
///
/// Its compiling twin, on an authorized client:
///
/// ```
/// # async fn f(c: auth_core::Client<auth_core::Authorized>, t: auth_http::HyperTransport, r: http::Request<Vec<u8>>) {
/// use auth_http::SendAuthorized as _;
/// let _ = c.send(&t, r).await; // no bearer without a token
/// # }
/// ```
pub trait SendAuthorized {
    /// Authorizes and sends `request`.
    fn send<T: Transport + ?Sized>(
        &self,
        transport: &T,
        request: http::Request<Vec<u8>>,
    ) -> impl Future<Output = Result<http::Response<Vec<u8>>, Error>> + Send;
}

impl SendAuthorized for Client<Authorized> {
    async fn send<T: Transport + ?Sized>(
        &self,
        transport: &T,
        mut request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        // Plain http to loopback only for a client whose token endpoint is
        // itself plain http on loopback: a local development setup.
        let loopback_setup = self.request().url().is_insecure_loopback();
        check_bearer_target(
            request.uri(),
            loopback_setup,
            LoopbackOptIn::LoopbackTokenUrl,
        )?;
        self.authorize_request(&mut request)?;
        transport.send(request).await
    }
}

/// RFC 6750 §5.3: a bearer token travels only over TLS. Plain http is
/// accepted for loopback hosts when `allow_loopback` is set (C-60, as C-07
/// for the token URL); a URI without a scheme is refused, since nothing
/// says it will be TLS. The error tells a loopback host without the opt-in
/// (and names `opt_in`, what would allow it) from a URL that must be https.
pub(crate) fn check_bearer_target(
    uri: &Uri,
    allow_loopback: bool,
    opt_in: LoopbackOptIn,
) -> Result<(), Error> {
    let host = uri.host();
    match (uri.scheme_str(), host) {
        (Some("https"), _) => Ok(()),
        (Some("http"), Some(host)) if is_loopback(host) => {
            if allow_loopback {
                Ok(())
            } else {
                Err(InsecureUrlError::LoopbackNotAllowed {
                    host: host.to_owned(),
                    opt_in,
                }
                .into())
            }
        }
        (scheme, host) => Err(InsecureUrlError::HttpsRequired {
            scheme: scheme.map(str::to_owned),
            host: host.map(str::to_owned),
        }
        .into()),
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
