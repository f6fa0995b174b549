//! What only a client holding a token does: authorize requests, check
//! grants and send operations under them.

use http::HeaderValue;
use http::header::AUTHORIZATION;
use time::OffsetDateTime;

use super::{Authorized, Client, Unauthorized, authorize};
use crate::error::Error;
use crate::grant::{Grant, MissingScopes};
use crate::operation::Operation;
use crate::requirement::Requirement;
use crate::token::OAuthToken;

impl Client<Authorized> {
    /// The token.
    #[must_use]
    pub fn token(&self) -> &OAuthToken {
        &self.state.token
    }

    /// True when the token should be renewed before use:
    /// `now + skew >= expires_at` under the client's expiry policy.
    #[must_use]
    pub fn needs_refresh(&self, now: OffsetDateTime) -> bool {
        self.options()
            .expiry()
            .needs_refresh(&self.state.token, now)
    }

    /// Sets `Authorization: Bearer <token>` (RFC 6750 §2.1), marked
    /// sensitive. Refuses a token that is not Bearer (RFC 6749 §7.1) or
    /// that cannot be written as a `b64token`.
    pub fn authorize_request<B>(&self, request: &mut http::Request<B>) -> Result<(), Error> {
        request
            .headers_mut()
            .insert(AUTHORIZATION, self.bearer_header()?);
        Ok(())
    }

    /// The `Authorization` value for this token, marked sensitive.
    pub fn bearer_header(&self) -> Result<HeaderValue, Error> {
        authorize::bearer_header(&self.state.token)
    }

    /// Checks that the token was granted what `R` names: the proof that
    /// operations requiring `R` take. See [`Grant::check`].
    ///
    /// ```
    /// # fn f(client: &auth_core::Client<auth_core::Authorized>) -> Result<(), auth_core::MissingScopes> {
    /// use auth_core::scope::{ServiceProfileRead, ServiceProfileWrite};
    /// let grant = client.grant::<(ServiceProfileRead, ServiceProfileWrite)>()?;
    /// # let _ = grant; Ok(()) }
    /// ```
    pub fn grant<R: Requirement>(&self) -> Result<Grant<R>, MissingScopes> {
        Grant::check(&self.state.token)
    }

    /// The request for `operation`, authorized with this client's token
    /// under `grant`. The grant's type must be exactly what the operation
    /// requires, or this does not compile. If the token was replaced since
    /// the grant was checked, the new token is checked again and a missing
    /// scope is [`Error::MissingScopes`]: a renewed token with fewer scopes
    /// is never used under an old grant.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use auth_core::{AccessToken, Client, ClientCredentials, OAuthToken, Operation, TokenUrl};
    /// use auth_core::scope::DiscoveryRead;
    ///
    /// struct ListServices;
    /// impl Operation for ListServices {
    ///     type Requires = DiscoveryRead;
    ///     type Body = ();
    ///     fn to_request(&self) -> http::Request<()> {
    ///         let mut request = http::Request::new(());
    ///         *request.uri_mut() = http::Uri::from_static("https://api.example/services");
    ///         request
    ///     }
    /// }
    ///
    /// # let now = time::OffsetDateTime::UNIX_EPOCH;
    /// # let token = OAuthToken::new(AccessToken::new("abc"), now, now, "discovery:read".parse()?);
    /// # let client = Client::new(TokenUrl::parse("https://as.example/token")?, ClientCredentials::new("id", "s"))
    /// #     .with_token(token);
    /// let grant = client.grant::<DiscoveryRead>()?;
    /// let request = client.operation_request(&ListServices, &grant)?;
    /// assert_eq!(request.headers()["authorization"], "Bearer abc");
    /// # Ok(()) }
    /// ```
    pub fn operation_request<Op: Operation>(
        &self,
        operation: &Op,
        grant: &Grant<Op::Requires>,
    ) -> Result<http::Request<Op::Body>, Error> {
        grant.verify(&self.state.token)?;
        let mut request = operation.to_request();
        self.authorize_request(&mut request)?;
        Ok(request)
    }

    /// Replaces the token (after a renewal).
    #[must_use]
    pub fn with_token(self, token: OAuthToken) -> Self {
        Client {
            config: self.config,
            state: Authorized { token },
        }
    }

    /// Forgets the token (say, after the resource answered `invalid_token`).
    #[must_use]
    pub fn into_unauthorized(self) -> Client<Unauthorized> {
        Client {
            config: self.config,
            state: Unauthorized(()),
        }
    }

    /// The token, dropping the client.
    #[must_use]
    pub fn into_token(self) -> OAuthToken {
        self.state.token
    }
}
