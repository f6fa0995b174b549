//! The typestate client: [`Client<Unauthorized>`] becomes
//! [`Client<Authorized>`] by receiving a token, and only an authorized client
//! can authorize an outgoing request.
//!
//! ```text
//!                     token_request() ──► bytes to send (borrow)
//!                     parse_token_response(answer, sent_at) ──► Result<OAuthToken, Error> (borrow)
//!   Client<Unauthorized> ── with_token(token) ──► Client<Authorized>       (consume, cannot fail)
//!            ▲                                        │  authorize_request(&mut req)
//!            └──────────── into_unauthorized() ───────┤  needs_refresh(now)
//!                                                     │  grant::<R>() ──► Result<Grant<R>, MissingScopes> (borrow)
//!                                                     │  operation_request(&op, &Grant<Op::Requires>)
//!                                                     └─ with_token(new) ──► Client<Authorized>
//!
//!   OAuthToken ── RestoredClient::new(token) ──► RestoredClient   no credentials: nothing renews
//!                                                     │  authorize_request(&mut req, now) ──► Err(TokenExpired) once expired
//!                                                     │  grant::<R>(), operation_request(&op, &grant, now)
//! ```
//!
//! A failed grant never loses the client: the fallible steps borrow, and the
//! transition that consumes cannot fail. Expiry is a runtime fact, not a
//! state: an authorized client reports it through `needs_refresh(now)`.
//!
//! A [`RestoredClient`] holds a stored token alone, with no id or secret: it
//! is a type of its own, not a third [`State`], because everything a
//! `Client<S>` shares across its states is the configuration it requests
//! tokens with. Code that only sends requests is generic over both through
//! [`Authorize`].
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use auth_core::{Client, ClientCredentials, Scope, TokenUrl};
//! let client = Client::new(
//!     TokenUrl::parse("https://as.example/token")?,
//!     ClientCredentials::new("my-service", "s3cret").with_scopes([Scope::DiscoveryRead]),
//! );
//! let sent_at = time::macros::datetime!(2026-01-01 00:00 UTC);
//! let request = client.token_request()?;          // send it with any HTTP client
//! # let _ = request;
//! let answer = http::Response::builder()           // what the provider answered
//!     .header("content-type", "application/json")
//!     .body(br#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"Bearer","expires_in":3600}"#.to_vec())
//!     ?;
//! let token = client.parse_token_response(&answer, sent_at)?;
//! let client = client.with_token(token);           // Client<Authorized>
//!
//! let mut call = http::Request::get("https://api.example/things").body(())?;
//! client.authorize_request(&mut call)?;
//! assert_eq!(call.headers()["authorization"], "Bearer 2YotnFZFEjr1zCsicMWpAA");
//! assert!(!client.needs_refresh(sent_at));
//! # Ok(()) }
//! ```
//!
//! Sending an authorized request needs a token, so this does not compile:
//!
//! ```compile_fail
//! # fn f(c: auth_core::Client<auth_core::Unauthorized>, r: &mut http::Request<()>) {
//! c.authorize_request(r); // no bearer without a token
//! # }
//! ```
//!
//! Its compiling twin, on an authorized client:
//!
//! ```
//! # fn f(c: auth_core::Client<auth_core::Authorized>, r: &mut http::Request<()>) {
//! c.authorize_request(r); // no bearer without a token
//! # }
//! ```
//!
//! An unauthorized client has no token to give:
//!
//! ```compile_fail
//! # fn f(c: &auth_core::Client<auth_core::Unauthorized>) {
//! let _ = c.token();
//! # }
//! ```
//!
//! ```
//! # fn f(c: &auth_core::Client<auth_core::Authorized>) {
//! let _ = c.token();
//! # }
//! ```

mod authorize;
mod authorized;
mod restored;
mod unauthorized;

pub use authorize::Authorize;
pub use restored::RestoredClient;

use std::fmt;
use std::sync::Arc;

use time::OffsetDateTime;

use crate::credentials::ClientCredentials;
use crate::error::Error;
use crate::jose::ClientAssertion;
use crate::operation::Operations;
use crate::request::{TokenRequest, TokenUrl};
use crate::response::{self, ParseContext, ParseOptions};
use crate::scrub::Scrubber;
use crate::token::{OAuthToken, TokenType};

mod sealed {
    pub trait Sealed {}
}

/// Where a [`Client`] is in its life. Sealed: [`Unauthorized`] and
/// [`Authorized`] are the only states.
pub trait State: sealed::Sealed + fmt::Debug {
    /// The state's name, for `Debug`.
    const NAME: &'static str;
}

/// No token yet: the client can build token requests and parse answers.
#[derive(Debug)]
pub struct Unauthorized(());

/// Holds a token: the client can authorize outgoing requests.
#[derive(Debug)]
pub struct Authorized {
    token: OAuthToken,
}

impl sealed::Sealed for Unauthorized {}
impl sealed::Sealed for Authorized {}
impl State for Unauthorized {
    const NAME: &'static str = "Unauthorized";
}
impl State for Authorized {
    const NAME: &'static str = "Authorized";
}

/// A client-credentials client in state `S`. Cheap to clone: the
/// configuration is shared.
pub struct Client<S: State = Unauthorized> {
    config: Arc<ClientConfig>,
    state: S,
}

#[derive(Debug)]
struct ClientConfig {
    request: TokenRequest,
    options: ParseOptions,
}

impl Client<Unauthorized> {
    /// A client for `credentials` at `token_url`, with default options.
    #[must_use]
    pub fn new(token_url: TokenUrl, credentials: ClientCredentials) -> Self {
        Self::from_request(TokenRequest::new(token_url, credentials))
    }

    /// A client built for the operations `Ops` (one [`Operation`](crate::Operation) or a
    /// tuple of them): it requests exactly the union of their scopes,
    /// whatever `credentials` asked for before. Least privilege by
    /// construction: adding an operation to the tuple is the only way to
    /// widen the request.
    ///
    /// ```
    /// # fn main() -> Result<(), auth_core::Error> {
    /// use auth_core::scope::{DiscoveryRead, ServiceProfileRead, ServiceProfileWrite};
    /// use auth_core::{Client, ClientCredentials, Operation, Scope, TokenUrl};
    /// struct ListServices;
    /// impl Operation for ListServices {
    ///     type Requires = DiscoveryRead;
    ///     type Body = ();
    ///     fn to_request(&self) -> http::Request<()> { http::Request::new(()) }
    /// }
    /// struct UpdateProfile;
    /// impl Operation for UpdateProfile {
    ///     type Requires = (ServiceProfileRead, ServiceProfileWrite);
    ///     type Body = ();
    ///     fn to_request(&self) -> http::Request<()> { http::Request::new(()) }
    /// }
    /// let client = Client::for_operations::<(ListServices, UpdateProfile)>(
    ///     TokenUrl::parse("https://as.example/token")?,
    ///     ClientCredentials::new("svc", "s3cret").with_scopes([Scope::Read]), // replaced
    /// );
    /// assert_eq!(
    ///     client.credentials().scopes().to_string(),
    ///     "discovery:read serviceprofile:read serviceprofile:write",
    /// );
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn for_operations<Ops: Operations>(
        token_url: TokenUrl,
        credentials: ClientCredentials,
    ) -> Self {
        Self::new(token_url, credentials.with_scopes(Ops::scopes()))
    }

    /// A client for a fully configured request (resources, audience, extra
    /// parameters).
    #[must_use]
    pub fn from_request(request: TokenRequest) -> Self {
        Self {
            config: Arc::new(ClientConfig {
                request,
                options: ParseOptions::default(),
            }),
            state: Unauthorized(()),
        }
    }

    /// Sets how answers are parsed (expiry policy, strict mode).
    #[must_use]
    pub fn with_options(self, options: ParseOptions) -> Self {
        let request = self.config.request.clone();
        Self {
            config: Arc::new(ClientConfig { request, options }),
            state: self.state,
        }
    }
}

impl<S: State> Client<S> {
    /// The token request this client sends.
    #[must_use]
    pub fn request(&self) -> &TokenRequest {
        &self.config.request
    }

    /// The credentials.
    #[must_use]
    pub fn credentials(&self) -> &ClientCredentials {
        self.config.request.credentials()
    }

    /// The parse options.
    #[must_use]
    pub fn options(&self) -> &ParseOptions {
        &self.config.options
    }

    /// Builds the token request (RFC 6749 §4.4.2). Borrows: on an
    /// authorized client it builds the renewal request.
    pub fn token_request(&self) -> Result<http::Request<Vec<u8>>, Error> {
        Ok(self.config.request.to_http()?)
    }

    /// Parses the provider's answer to a request sent at `sent_at`. Tokens
    /// of a type other than Bearer are refused (RFC 6749 §7.1), and any
    /// excerpt or provider text has the client's secret scrubbed.
    pub fn parse_token_response<B: AsRef<[u8]>>(
        &self,
        response: &http::Response<B>,
        sent_at: OffsetDateTime,
    ) -> Result<OAuthToken, Error> {
        self.parse_scrubbing(response, sent_at, None)
    }

    /// Builds the token request of an assertion method
    /// (`private_key_jwt`, `client_secret_jwt`) with the assertion signed
    /// for this attempt (see [`TokenRequest::unsigned_assertion`]).
    pub fn token_request_with_assertion(
        &self,
        assertion: &ClientAssertion,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        Ok(self.config.request.to_http_with_assertion(assertion)?)
    }

    /// [`parse_token_response`](Self::parse_token_response) for a request
    /// that carried `assertion`: provider text that echoes it is scrubbed
    /// too (C-70, an assertion is a credential for its lifetime).
    pub fn parse_token_response_with_assertion<B: AsRef<[u8]>>(
        &self,
        response: &http::Response<B>,
        sent_at: OffsetDateTime,
        assertion: &ClientAssertion,
    ) -> Result<OAuthToken, Error> {
        self.parse_scrubbing(response, sent_at, Some(assertion))
    }

    fn parse_scrubbing<B: AsRef<[u8]>>(
        &self,
        response: &http::Response<B>,
        sent_at: OffsetDateTime,
        assertion: Option<&ClientAssertion>,
    ) -> Result<OAuthToken, Error> {
        let ctx = ParseContext {
            requested_at: sent_at,
            requested_scope: self.credentials().scopes(),
            options: &self.config.options,
        };
        match response::parse(response, &ctx) {
            Ok(token) if *token.token_type() != TokenType::Bearer => Err(
                Error::UnsupportedTokenType(token.token_type().as_str().to_owned()),
            ),
            Ok(token) => Ok(token),
            // Read the failure again, scrubbing every spelling of the
            // secret (raw, escaped, encoded, inside the Basic value) from
            // the decoded text before anything is cut (RFC 6749 §10.3).
            Err(Error::Api(_) | Error::Provider(_)) => Err(response::parse_error_scrubbed(
                response.status(),
                response.headers(),
                response.body().as_ref(),
                &Scrubber::for_credentials(self.credentials())
                    .with_assertion(assertion.map(ClientAssertion::expose_secret)),
            )),
            Err(other) => Err(other),
        }
    }
}

impl<S: State> Clone for Client<S>
where
    S: Clone,
{
    fn clone(&self) -> Self {
        Self {
            config: Arc::clone(&self.config),
            state: self.state.clone(),
        }
    }
}

impl Clone for Unauthorized {
    fn clone(&self) -> Self {
        Self(())
    }
}

impl Clone for Authorized {
    fn clone(&self) -> Self {
        Self {
            token: self.token.clone(),
        }
    }
}

impl<S: State> fmt::Debug for Client<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct(&format!("Client<{}>", S::NAME));
        out.field("token_url", self.config.request.url())
            .field("client_id", self.credentials().id())
            .field("auth_method", &self.credentials().auth_method());
        self.state.debug_fields(&mut out);
        out.finish()
    }
}

trait DebugFields {
    fn debug_fields(&self, out: &mut fmt::DebugStruct<'_, '_>);
}

impl<S: State> DebugFields for S {
    fn debug_fields(&self, out: &mut fmt::DebugStruct<'_, '_>) {
        out.field("state", self);
    }
}
