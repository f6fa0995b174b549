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
//! The full reference (check order, judgement calls, admin API, limits,
//! performance) is `docs/mock-server.md`.

mod admin_access;
mod client_auth;
mod config;
pub mod conformance;
mod error;
mod fault;
mod issuer;
mod journal;
mod lockout;
mod reply;
mod retry_watch;
mod router;
mod routes;
mod server;
mod state;
mod timed_io;
mod tls;

pub use admin_access::AdminToken;
pub use config::{ClientRegistration, Config, DEFAULT_CONFIG};
pub use error::{ConfigError, Error};
pub use fault::{Endpoint, Fault, FaultRule, MAX_OVERSIZED_BYTES, MAX_RULES};
pub use journal::{BasicDecode, DetectedAuth, JournalEntry, REDACTED};
pub use server::{MAX_HEADER_BYTES, MockServer, MockServerBuilder};
pub use tls::{Tls, TlsError};

/// Entry points for the fuzz crate (`fuzz/`, its own workspace) into the
/// parsers that are not public: thin wrappers, not API.
#[doc(hidden)]
pub mod fuzzing {
    use crate::issuer::{self, Issuer};

    /// The token decoder of `/resource`, `/introspect` and `/revoke`, with
    /// a fresh random key.
    #[derive(Debug)]
    pub struct TokenDecoder(Issuer);

    impl Default for TokenDecoder {
        fn default() -> Self {
            Self(Issuer::new(16))
        }
    }

    impl TokenDecoder {
        /// Whether a presented token value decodes and carries our MAC.
        #[must_use]
        pub fn accepts(&self, token: &str) -> bool {
            self.0.decode(token).is_ok()
        }

        /// The claims decoder behind the MAC check, on a raw payload:
        /// `None` when it is not a claims record; else the token minted
        /// from the decoded claims and whether it decodes to equal claims.
        #[must_use]
        pub fn reissue(&self, payload: &[u8]) -> Option<(String, bool)> {
            let claims = issuer::decode(payload)?;
            let token = self.0.mint(&claims);
            let same = self.0.decode(&token).as_ref() == Ok(&claims);
            Some((token, same))
        }
    }
}
