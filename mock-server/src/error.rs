//! The crate's one error type.

use std::io;

/// Why the mock server could not be configured, started or steered, or
/// why its expectations were not met.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address that was asked for.
        addr: String,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// Another IO failure while starting.
    #[error("io failure while starting the mock server")]
    Io(#[from] io::Error),
    /// The TOML configuration could not be read (the message names the field).
    #[error("invalid configuration: {0}")]
    Toml(#[from] toml::de::Error),
    /// TLS could not be set up.
    #[error("tls setup failed")]
    Tls(#[from] crate::tls::TlsError),
    /// The JWT signing keys could not be loaded or made.
    #[error("signing keys: {0}")]
    Key(#[from] crate::keys::KeyError),
    /// A token could not be made ([`MockServer::try_mint_token`](crate::MockServer::try_mint_token)).
    #[error("cannot mint a token")]
    Mint(#[from] crate::jwt::MintError),
    /// The configuration parsed but a value is not acceptable.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// A fault rule names a client that is not registered: it would never
    /// fire ([`MockServer::try_push_fault`](crate::MockServer::try_push_fault);
    /// the admin API answers 422 `unknown_client`).
    #[error(
        "no client {id:?} is registered: register it first (add_client) or fix the rule's client id"
    )]
    UnknownClient {
        /// The client id the rule names.
        id: String,
    },
    /// Expectations were not met ([`MockServer::try_verify`](crate::MockServer::try_verify)).
    #[error("expectations not met")]
    Verify(#[from] crate::expect::VerifyError),
}

/// A configuration value that parsed but is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ConfigError {
    /// Which value, e.g. `clients[s6BhdRkqt3].scopes`.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl ConfigError {
    pub(crate) fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
