//! Sans-IO primitives for the OAuth 2.0 Client Credentials Grant
//! (RFC 6749 §4.4).
//!
//! auth-core builds token requests as `http::Request<Vec<u8>>` and parses
//! the provider's answers from status, headers and bytes. It opens no
//! socket, spawns no task and reads no clock it was not given, so any HTTP
//! client (and any provider, like this project's mock server) can use it.
//!
//! - [`ClientCredentials`]: id, redacted secret, scopes, auth method.
//! - [`Scope`], [`ScopeSet`]: the named scopes and validated custom ones;
//!   [`scope`]: every scope as a type too, [`custom_scope!`] for more.
//! - [`Requirement`], [`Grant`], [`Operation`]: what a call needs, the proof
//!   the token was granted it, and calls that cannot be sent without one;
//!   [`Implications`]: declared, never guessed.
//! - [`Client<Unauthorized>`] → [`Client<Authorized>`]: the typestate client;
//!   [`RestoredClient`]: a stored token alone, which cannot renew;
//!   [`Authorize`]: what both do.
//! - [`OAuthToken`]: absolute expiry, stored format; [`ExpiryPolicy`], [`Clock`].
//! - [`response`]: lenient-but-honest parsing; [`Error`]: typed failures.
//! - [`form`], [`basic`], [`BearerChallenge`]: the wire formats, defined once.
//! - [`RevocationRequest`], [`revocation`]: RFC 7009 token revocation.
//! - [`Issuer`], [`parse_metadata`]: RFC 8414 discovery.
//! - [`jose`]: RFC 9068 JWT access tokens: header, claims, compact JWS,
//!   JWK Sets and the claim checks a resource server runs.
//!
//! ```
//! # fn main() -> Result<(), auth_core::Error> {
//! use auth_core::{Client, ClientCredentials, Scope, TokenUrl};
//! let client = Client::new(
//!     TokenUrl::parse("https://as.example/token")?,
//!     ClientCredentials::new("my-service", "s3cret")
//!         .with_scopes([Scope::DiscoveryRead, Scope::ServiceProfileRead]),
//! );
//! let request = client.token_request()?;
//! assert_eq!(request.body(), b"grant_type=client_credentials&scope=discovery%3Aread%20serviceprofile%3Aread");
//! # Ok(()) }
//! ```

pub mod basic;
mod challenge;
mod client;
mod credentials;
mod deviation;
mod error;
mod expiry;
mod extra;
pub mod form;
mod grant;
mod implication;
pub mod jose;
mod metadata;
mod operation;
mod request;
mod requirement;
pub mod response;
mod retry_after;
pub mod revocation;
pub mod scope;
mod scrub;
mod token;

pub use challenge::{BearerChallenge, BearerErrorCode};
pub use client::{Authorize, Authorized, Client, RestoredClient, State, Unauthorized};
pub use credentials::{
    ClientAuthMethod, ClientCredentials, ClientId, ClientSecret, UnknownAuthMethod,
};
pub use deviation::Deviation;
pub use error::{
    ApiError, DeviationError, Error, ErrorCode, ParseError, ParseErrorKind, ProviderError,
    RequestError, TokenExpired,
};
pub use expiry::{Clock, ExpiryPolicy, ManualClock, SystemClock};
pub use extra::ExtraFields;
pub use grant::{Grant, MissingScopes};
pub use implication::Implications;
pub use metadata::{
    AuthorizationServerMetadata, Issuer, Metadata, MetadataError, WELL_KNOWN_METADATA_PATH,
    parse_metadata,
};
pub use operation::{Operation, Operations};
pub use request::{
    ASSERTION_PARAMETERS, GRANT_TYPE_CLIENT_CREDENTIALS, PROTOCOL_PARAMETERS, RequestKey, Resource,
    TokenRequest, TokenUrl,
};
pub use requirement::Requirement;
pub use retry_after::RetryAfter;
pub use revocation::{RevocationRequest, RevocationUrl, TOKEN_TYPE_HINT_ACCESS_TOKEN};
pub use scope::{CustomScope, Scope, ScopeError, ScopeSet};
pub use token::{
    AccessToken, OAuthToken, RefreshToken, STORED_VERSION, StoredTokenError, TokenType,
};
