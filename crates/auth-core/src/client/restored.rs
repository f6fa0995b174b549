//! [`RestoredClient`]: a client from a stored token alone, with no client
//! id or secret. It authorizes requests until the token expires and can
//! still produce grants; it has no way to fetch or renew a token.
//!
//! ```text
//!   OAuthToken ── RestoredClient::new(token) ──────────────► RestoredClient   (cannot fail)
//!   stored JSON ─ RestoredClient::from_stored_json(b, key) ─► Result<RestoredClient, StoredTokenError>
//!                                                              │  authorize_request(&mut req, now)
//!                                                              │  grant::<R>() ──► Result<Grant<R>, MissingScopes>
//!                                                              │  operation_request(&op, &grant, now)
//!                                                              └─ (no token_request, no parse_token_response,
//!                                                                  no with_token: nothing renews)
//! ```

use std::fmt;

use http::HeaderValue;
use http::header::AUTHORIZATION;
use time::OffsetDateTime;

use super::authorize::{self, Authorize as _};
use crate::error::{Error, TokenExpired};
use crate::grant::{Grant, MissingScopes};
use crate::operation::Operation;
use crate::request::RequestKey;
use crate::requirement::Requirement;
use crate::token::{OAuthToken, StoredTokenError};

/// A client from a stored token alone: no client id, no secret, no token
/// URL. It authorizes requests with its token until the token expires, then
/// refuses with [`Error::TokenExpired`]; it produces grants and sends
/// operations under them as [`Client<Authorized>`](crate::Client) does.
///
/// It cannot fetch or renew a token, and that is a compile error, not a
/// run-time one: it has no `token_request`, `parse_token_response` or
/// `with_token`, and it is not a [`Client<S>`](crate::Client), so nothing
/// generic over a client's [`State`](crate::State) (auth-http's
/// `request_token`, `fetch_token`, `revoke_token`) accepts it. When the
/// token expires, get a new one the way the stored one was got.
///
/// Time is passed in: every method that authorizes takes `now`. A token is
/// expired at and after its `expires_at`
/// ([`OAuthToken::is_expired`]); no renewal skew applies, since nothing
/// renews it early. `Debug` shows the token's type, expiry and scope, never
/// its value.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use auth_core::{AccessToken, Error, OAuthToken, RestoredClient};
/// use auth_core::scope::DiscoveryRead;
/// use time::macros::datetime;
///
/// let token = OAuthToken::new(
///     AccessToken::new("2YotnFZFEjr1zCsicMWpAA"),
///     datetime!(2026-01-01 00:00 UTC),
///     datetime!(2026-01-01 01:00 UTC),
///     "discovery:read".parse()?,
/// );
/// let client = RestoredClient::new(token);
/// let grant = client.grant::<DiscoveryRead>()?;
/// assert!(grant.is_for(client.token()));
///
/// let mut call = http::Request::get("https://api.example/services").body(())?;
/// client.authorize_request(&mut call, datetime!(2026-01-01 00:30 UTC))?;
/// assert_eq!(call.headers()["authorization"], "Bearer 2YotnFZFEjr1zCsicMWpAA");
///
/// let late = client.authorize_request(&mut call, datetime!(2026-01-01 01:00 UTC));
/// assert!(matches!(late, Err(Error::TokenExpired(_))));
/// # Ok(()) }
/// ```
///
/// A restored client cannot renew its token, so this does not compile:
///
/// ```compile_fail
/// # fn f(c: &auth_core::RestoredClient) {
/// let _ = c.token_request(); // no credentials to ask with
/// # }
/// ```
///
/// Its compiling twin, on a client with credentials:
///
/// ```
/// # fn f(c: &auth_core::Client<auth_core::Authorized>) {
/// let _ = c.token_request(); // no credentials to ask with
/// # }
/// ```
#[derive(Clone)]
pub struct RestoredClient {
    token: OAuthToken,
}

impl RestoredClient {
    /// A client for `token` alone: one loaded from a store, or handed over
    /// by whoever holds the credentials.
    #[must_use]
    pub fn new(token: OAuthToken) -> Self {
        Self { token }
    }

    /// A client for the token in `bytes`, the stored format
    /// ([`OAuthToken::to_stored_json`]) of the request identified by `key`.
    /// The key is the request's identity (token URL, client id, scopes,
    /// ...), never its secret, so it can be built without one; a token
    /// stored for another request is [`StoredTokenError::OtherRequest`].
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use auth_core::{ClientCredentials, RestoredClient, TokenRequest, TokenUrl};
    /// # use auth_core::{AccessToken, OAuthToken, ScopeSet};
    /// # use time::macros::datetime;
    /// let url = TokenUrl::parse("https://as.example/token")?;
    /// // The secret is not part of the key: an empty one will do.
    /// let key = TokenRequest::new(url, ClientCredentials::new("svc", "")).key();
    /// # let token = OAuthToken::new(AccessToken::new("abc"), datetime!(2026-01-01 00:00 UTC),
    /// #     datetime!(2026-01-01 01:00 UTC), ScopeSet::new());
    /// # let stored = token.to_stored_json(&key)?;
    /// let client = RestoredClient::from_stored_json(stored.as_bytes(), &key)?;
    /// assert_eq!(client.expires_at(), datetime!(2026-01-01 01:00 UTC));
    /// # Ok(()) }
    /// ```
    pub fn from_stored_json(bytes: &[u8], key: &RequestKey) -> Result<Self, StoredTokenError> {
        OAuthToken::from_stored_json(bytes, key).map(Self::new)
    }

    /// A client for the token in `bytes` alone, with no client id, token
    /// URL or secret: the stored format of any request
    /// ([`OAuthToken::from_stored_json_unbound`]), as the original SDK
    /// restores a client from a saved token. Prefer
    /// [`from_stored_json`](Self::from_stored_json) when the request is
    /// known: it also proves the file holds that request's token.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use auth_core::RestoredClient;
    /// use auth_core::scope::DiscoveryRead;
    /// # use auth_core::{AccessToken, ClientCredentials, OAuthToken, TokenRequest, TokenUrl};
    /// # use time::macros::datetime;
    /// # let url = TokenUrl::parse("https://as.example/token")?;
    /// # let key = TokenRequest::new(url, ClientCredentials::new("svc", "s3cret")).key();
    /// # let token = OAuthToken::new(AccessToken::new("abc"), datetime!(2026-01-01 00:00 UTC),
    /// #     datetime!(2026-01-01 01:00 UTC), "discovery:read".parse()?);
    /// # let stored = token.to_stored_json(&key)?;
    /// // `stored`: a file another process saved; nothing else is known.
    /// let client = RestoredClient::from_stored_json_unbound(stored.as_bytes())?;
    /// assert!(client.grant::<DiscoveryRead>().is_ok());
    /// # Ok(()) }
    /// ```
    pub fn from_stored_json_unbound(bytes: &[u8]) -> Result<Self, StoredTokenError> {
        OAuthToken::from_stored_json_unbound(bytes).map(Self::new)
    }

    /// The token.
    #[must_use]
    pub fn token(&self) -> &OAuthToken {
        &self.token
    }

    /// When the token expires, and this client stops authorizing.
    #[must_use]
    pub fn expires_at(&self) -> OffsetDateTime {
        self.token.expires_at()
    }

    /// True at and after the token's `expires_at`: from then on every
    /// authorization is [`Error::TokenExpired`].
    #[must_use]
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.token.is_expired(now)
    }

    /// Sets `Authorization: Bearer <token>` (RFC 6750 §2.1), marked
    /// sensitive, on a request sent at `now`. Refuses a token expired at
    /// `now` ([`Error::TokenExpired`]), one that is not Bearer (RFC 6749
    /// §7.1) and one that cannot be written as a `b64token`.
    pub fn authorize_request<B>(
        &self,
        request: &mut http::Request<B>,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        request
            .headers_mut()
            .insert(AUTHORIZATION, self.bearer_header(now)?);
        Ok(())
    }

    /// The `Authorization` value for a request sent at `now`, marked
    /// sensitive; the same refusals as
    /// [`authorize_request`](Self::authorize_request).
    pub fn bearer_header(&self, now: OffsetDateTime) -> Result<HeaderValue, Error> {
        TokenExpired::check(&self.token, now)?;
        authorize::bearer_header(&self.token)
    }

    /// Checks that the token was granted what `R` names: the proof that
    /// operations requiring `R` take. See [`Grant::check`]. An expired
    /// token still yields its grants (scopes do not expire); sending under
    /// them is what expiry refuses.
    pub fn grant<R: Requirement>(&self) -> Result<Grant<R>, MissingScopes> {
        Grant::check(&self.token)
    }

    /// The request for `operation`, authorized at `now` under `grant`. The
    /// grant's type must be exactly what the operation requires, or this
    /// does not compile; a grant checked against another token is used only
    /// if this token also meets it ([`Grant::verify`]), otherwise
    /// [`Error::MissingScopes`]. A token expired at `now` is
    /// [`Error::TokenExpired`]; nothing is built.
    pub fn operation_request<Op: Operation>(
        &self,
        operation: &Op,
        grant: &Grant<Op::Requires>,
        now: OffsetDateTime,
    ) -> Result<http::Request<Op::Body>, Error> {
        self.authorize_operation(operation, grant, now)
    }

    /// The token, dropping the client.
    #[must_use]
    pub fn into_token(self) -> OAuthToken {
        self.token
    }
}

/// Named after the type, with what is safe to print: the token's type,
/// expiry and scope, never its value.
impl fmt::Debug for RestoredClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestoredClient")
            .field("token_type", self.token.token_type())
            .field("expires_at", &self.token.expires_at())
            .field("scope", self.token.scope())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::token::{AccessToken, TokenType};

    const ISSUED: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);
    const EXPIRES: OffsetDateTime = datetime!(2026-01-01 01:00 UTC);

    fn client(value: &str) -> RestoredClient {
        RestoredClient::new(OAuthToken::new(
            AccessToken::new(value),
            ISSUED,
            EXPIRES,
            crate::ScopeSet::new(),
        ))
    }

    #[test]
    fn debug_names_the_type_and_never_prints_the_token() {
        let printed = format!("{:?}", client("2YotnFZFEjr1zCsicMWpAA"));
        assert!(printed.starts_with("RestoredClient { token_type: Bearer"));
        assert!(printed.contains("expires_at"));
        assert!(!printed.contains("2YotnFZFEjr1zCsicMWpAA"));
        let alternate = format!("{:#?}", client("2YotnFZFEjr1zCsicMWpAA"));
        assert!(!alternate.contains("2YotnFZFEjr1zCsicMWpAA"));
    }

    #[test]
    fn authorizes_until_the_instant_the_token_expires() {
        let client = client("abc");
        let last_moment = EXPIRES - time::Duration::NANOSECOND;
        assert_eq!(
            client.bearer_header(last_moment).ok(),
            Some(HeaderValue::from_static("Bearer abc"))
        );
        assert!(
            client
                .bearer_header(last_moment)
                .is_ok_and(|v| v.is_sensitive())
        );
        assert!(matches!(
            client.bearer_header(EXPIRES),
            Err(Error::TokenExpired(e)) if e.expires_at() == EXPIRES && e.now() == EXPIRES
        ));
    }

    #[test]
    fn a_token_of_another_type_is_never_sent_as_bearer() {
        let client = RestoredClient::new(
            client("abc")
                .into_token()
                .with_token_type(TokenType::Other("mac".into())),
        );
        assert!(matches!(
            client.bearer_header(ISSUED),
            Err(Error::UnsupportedTokenType(t)) if t == "mac"
        ));
    }

    #[test]
    fn a_token_outside_b64token_is_refused_not_written() {
        assert!(matches!(
            client("a b").bearer_header(ISSUED),
            Err(Error::InvalidAccessToken)
        ));
    }

    #[test]
    fn expiry_is_checked_before_the_token_type() {
        // An expired token is reported as expired, whatever else is wrong.
        assert!(matches!(
            client("a b").bearer_header(EXPIRES),
            Err(Error::TokenExpired(_))
        ));
    }
}
