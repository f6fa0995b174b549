//! A strict, fast conformance OAuth 2.0 provider for the Client Credentials
//! grant (RFC 6749 §4.4), to run in tests in one line or as a dev server.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), mock_server::Error> {
//! use mock_server::{ClientRegistration, Fault, FaultRule, MockServer};
//!
//! let server = MockServer::builder()
//!     .client(ClientRegistration::new("svc", "s3cret").with_scopes(["read"]).with_default_scopes(["read"]))
//!     .start()
//!     .await?;
//! server.push_fault(FaultRule::new(Fault::Status(503)).times(1));
//! // ... point the client under test at server.token_url() ...
//! assert_eq!(server.token_requests(), 0);
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Endpoints: `POST /token` (strict, with a documented check order: method,
//! media type, body, repeated parameters, client authentication,
//! `grant_type`, `scope`, `resource`), `POST /introspect` (RFC 7662),
//! `POST /revoke` (RFC 7009), `GET /.well-known/oauth-authorization-server`
//! (RFC 8414), `/resource` (RFC 6750), `/healthz`, and the admin API under
//! `/_mock/`. Tokens are stateless: claims under an HMAC-SHA-256 MAC with a
//! per-server random key; only revocations are stored, bounded. Every
//! request is journaled ([`MockServer::journal`]) with conformance findings
//! from the rules in [`conformance::rules`]. Faults on purpose:
//! [`Fault`], [`FaultRule`]. Optional TLS: [`Tls`].
//!
//! # Expectations (wiremock style)
//!
//! Say which requests a test expects and how many; the server checks on
//! [`MockServer::verify`] and when it is dropped or shut down, and the
//! panic message lists every unmet expectation and every request received
//! ([`VerifyError`]; [`MockServer::try_verify`] returns it instead).
//! Matchers: endpoint ([`token_request`], [`introspection_request`],
//! [`revocation_request`], [`resource_request`], [`metadata_request`],
//! [`any_request`] with a path), client id, [`DetectedAuth`], scope
//! (exact set or includes), RFC 8707 resource, method and status
//! ([`RequestMatcher`]). Counts: [`Expectation::times`] with a number or a
//! range ([`Times`]), `at_least`, `at_most`, `never`; the default is at
//! least one. A request counts when it is journaled, so counts survive the
//! journal's bound; requests before the expectation do not count.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use auth_http::Transport as _;
//! use mock_server::{MockServer, token_request};
//!
//! let server = MockServer::start().await?;
//! server.expect(token_request().client("s6BhdRkqt3").scope("read")).times(1);
//! server.expect(token_request().status(401)).never();
//! // The client under test, here a hand-written request as fixture F1:
//! let request = http::Request::post(server.token_url())
//!     .header("authorization", "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW")
//!     .header("content-type", "application/x-www-form-urlencoded")
//!     .body(b"grant_type=client_credentials&scope=read".to_vec())?;
//! auth_http::HyperTransport::new()?.send(request).await?;
//! server.verify(); // also done when `server` is dropped
//! # Ok(()) }
//! ```
//!
//! The full reference (check order, judgement calls, admin API, limits,
//! performance) is `docs/mock-server.md`.

mod admin_access;
mod assertion;
mod client_auth;
mod config;
pub mod conformance;
mod console;
mod drain;
mod error;
mod expect;
mod extra_claim;
mod fault;
mod issuer;
mod journal;
mod jwt;
mod keys;
mod lockout;
mod metrics;
mod reply;
mod retry_watch;
mod router;
mod routes;
mod server;
mod state;
mod timed_io;
mod tls;

pub use admin_access::{AdminToken, MetricsToken};
pub use assertion::{
    AssertionAudience, AssertionError, AssertionMethod, ClientKey, DEFAULT_MAX_LIFETIME_SECS,
    DEFAULT_REPLAY_CAPACITY, JWT_BEARER, LEEWAY_SECS,
};
pub use config::{ClientRegistration, Config, DEFAULT_CONFIG, TokenFormat};
pub use error::{ConfigError, Error};
pub use expect::{
    Expectation, ExpectationGuard, MAX_LISTED_REQUESTS, RequestMatcher, Times, UnmetExpectation,
    VerifyError, any_request, introspection_request, metadata_request, resource_request,
    revocation_request, token_request,
};
pub use extra_claim::{ExtraClaim, RESERVED_CLAIMS};
pub use fault::{
    Endpoint, Fault, FaultId, FaultRule, MAX_OVERSIZED_BYTES, MAX_RULES, SKEWED_SECS,
    WRONG_AUDIENCE, WRONG_ISSUER,
};
pub use journal::{BasicDecode, DetectedAuth, JournalEntry, REDACTED};
pub use jwt::MintError;
pub use keys::{KeyError, Keys, SignError};
pub use server::{MAX_HEADER_BYTES, MockServer, MockServerBuilder};
pub use tls::{Tls, TlsError};

/// Entry points for the fuzz crate (`fuzz/`, its own workspace) into the
/// parsers that are not public: thin wrappers, not API.
#[doc(hidden)]
pub mod fuzzing {
    use crate::config::TokenFormat;
    use crate::issuer::{self, Issuer};
    use crate::jwt::JwtIssuer;
    use crate::keys::{KeyRing, Keys};

    /// The token decoder of `/resource`, `/introspect` and `/revoke`, with
    /// a fresh random MAC key and the embedded RS256 signing key.
    #[derive(Debug)]
    pub struct TokenDecoder(Issuer);

    impl Default for TokenDecoder {
        fn default() -> Self {
            let keys = KeyRing::load(&Keys::Embedded, auth_core::jose::Algorithm::Rs256)
                .unwrap_or_else(|e| unreachable!("the embedded key is valid: {e}"));
            let jwt = JwtIssuer::new(
                "http://127.0.0.1:1".to_owned(),
                "http://127.0.0.1:1/resource".to_owned(),
                keys,
            );
            Self(Issuer::new(16, jwt))
        }
    }

    impl TokenDecoder {
        /// Whether a presented token value decodes and carries our MAC (or,
        /// for a JWT, our signature).
        #[must_use]
        pub fn accepts(&self, token: &str) -> bool {
            self.0.decode(token, 0).is_ok()
        }

        /// The claims decoder behind the MAC check, on a raw payload:
        /// `None` when it is not a claims record; else the token minted
        /// from the decoded claims and whether it decodes to equal claims.
        #[must_use]
        pub fn reissue(&self, payload: &[u8]) -> Option<(String, bool)> {
            let claims = issuer::decode(payload)?;
            let token = self.0.mint(&claims, TokenFormat::Opaque).ok()?;
            let same = self.0.decode(&token, 0).as_ref() == Ok(&claims);
            Some((token, same))
        }
    }
}
