//! [`Authorize`]: what every client that holds a token does, so code can
//! be generic over [`Client<Authorized>`](super::Client) and
//! [`RestoredClient`]; and the bearer header both write.

use http::HeaderValue;
use http::header::AUTHORIZATION;
use time::OffsetDateTime;

use super::{Authorized, Client, RestoredClient};
use crate::error::{Error, TokenExpired};
use crate::grant::{Grant, MissingScopes};
use crate::operation::Operation;
use crate::requirement::Requirement;
use crate::token::{OAuthToken, TokenType};

mod sealed {
    pub trait Sealed {}
}

impl sealed::Sealed for Client<Authorized> {}
impl sealed::Sealed for RestoredClient {}

/// A client that holds a token: [`Client<Authorized>`] and
/// [`RestoredClient`]. For code that sends requests and operations with
/// either. Sealed: the two are the only ones, and none of these methods can
/// fetch or renew a token.
///
/// Every method that authorizes takes `now` and refuses a token expired at
/// `now` with [`Error::TokenExpired`] (sending it would only earn a 401),
/// for both clients. An authorized client's own
/// [`authorize_request`](Client::authorize_request) leaves expiry to its
/// caller, who renews on [`needs_refresh`](Client::needs_refresh).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use auth_core::{AccessToken, Authorize, Error, OAuthToken, RestoredClient};
/// use time::macros::datetime;
///
/// /// Reads the service list with whichever client the service has.
/// fn list_services(client: &impl Authorize, now: time::OffsetDateTime) -> Result<http::Request<()>, Error> {
///     let mut request = http::Request::new(());
///     *request.uri_mut() = http::Uri::from_static("https://api.example/services");
///     client.authorize(&mut request, now)?;
///     Ok(request)
/// }
///
/// let token = OAuthToken::new(
///     AccessToken::new("abc"),
///     datetime!(2026-01-01 00:00 UTC),
///     datetime!(2026-01-01 01:00 UTC),
///     "discovery:read".parse()?,
/// );
/// let client = RestoredClient::new(token);
/// let request = list_services(&client, datetime!(2026-01-01 00:30 UTC))?;
/// assert_eq!(request.headers()["authorization"], "Bearer abc");
/// assert!(matches!(
///     list_services(&client, datetime!(2026-01-01 01:00 UTC)),
///     Err(Error::TokenExpired(_))
/// ));
/// # Ok(()) }
/// ```
pub trait Authorize: sealed::Sealed {
    /// The token requests are authorized with.
    fn token(&self) -> &OAuthToken;

    /// Sets `Authorization: Bearer <token>` (RFC 6750 §2.1), marked
    /// sensitive, on a request sent at `now`. Refuses a token expired at
    /// `now`, one that is not Bearer (RFC 6749 §7.1) and one that cannot be
    /// written as a `b64token`.
    fn authorize<B>(
        &self,
        request: &mut http::Request<B>,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        TokenExpired::check(self.token(), now)?;
        request
            .headers_mut()
            .insert(AUTHORIZATION, bearer_header(self.token())?);
        Ok(())
    }

    /// Checks that the token was granted what `R` names. See
    /// [`Grant::check`].
    fn grant<R: Requirement>(&self) -> Result<Grant<R>, MissingScopes> {
        Grant::check(self.token())
    }

    /// The request for `operation`, authorized at `now` under `grant`, which
    /// must be a grant for exactly what the operation requires (or this
    /// does not compile) and must hold for this client's token
    /// ([`Grant::verify`]).
    fn authorize_operation<Op: Operation>(
        &self,
        operation: &Op,
        grant: &Grant<Op::Requires>,
        now: OffsetDateTime,
    ) -> Result<http::Request<Op::Body>, Error> {
        grant.verify(self.token())?;
        let mut request = operation.to_request();
        self.authorize(&mut request, now)?;
        Ok(request)
    }
}

impl Authorize for Client<Authorized> {
    fn token(&self) -> &OAuthToken {
        &self.state.token
    }
}

impl Authorize for RestoredClient {
    fn token(&self) -> &OAuthToken {
        RestoredClient::token(self)
    }
}

/// The `Authorization` value for `token`, marked sensitive. Refuses a token
/// that is not Bearer (RFC 6749 §7.1) or not a `b64token` (RFC 6750 §2.1).
pub(super) fn bearer_header(token: &OAuthToken) -> Result<HeaderValue, Error> {
    if *token.token_type() != TokenType::Bearer {
        return Err(Error::UnsupportedTokenType(
            token.token_type().as_str().to_owned(),
        ));
    }
    if !token.access_token().is_b64token() {
        return Err(Error::InvalidAccessToken);
    }
    let mut value =
        HeaderValue::from_str(&format!("Bearer {}", token.access_token().expose_secret()))
            .map_err(|_| Error::InvalidAccessToken)?;
    value.set_sensitive(true);
    Ok(value)
}
