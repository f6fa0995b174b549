//! What only a client holding a token does: authorize requests.

use http::HeaderValue;
use http::header::AUTHORIZATION;
use time::OffsetDateTime;

use super::{Authorized, Client, Unauthorized};
use crate::error::Error;
use crate::token::{OAuthToken, TokenType};

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
        let token = &self.state.token;
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
