//! The crate's one [`Error`]: auth-core's typed errors wrapped, not
//! flattened, next to what only IO can cause.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use auth_core::{ErrorCode, RetryAfter};
use http::StatusCode;

use crate::store::{PeerFailure, StoreError};

/// A boxed error from a layer below (an HTTP client, a tower service).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Everything that can go wrong in auth-http.
///
/// Match on the variant; for errors handed out by the
/// [`TokenManager`](crate::TokenManager), which shares one failure among
/// all the callers that waited for it, match on [`Error::root`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// auth-core refused the request or the answer (provider error,
    /// non-OAuth answer, malformed token response, ...).
    #[error(transparent)]
    Core(#[from] auth_core::Error),
    /// The HTTP exchange failed: connection refused or reset, TLS, protocol.
    #[error("transport failed")]
    Transport(#[source] BoxError),
    /// The request did not complete within its deadline.
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
    /// The answer's body is longer than the transport's cap.
    #[error("response body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The provider asked to wait longer than the caller's deadline allows
    /// (`Retry-After`, RFC 9110 §10.2.3; checklist C-49).
    #[error("rate limited: the provider asked to retry after {retry_after:?}, beyond the deadline")]
    RateLimited {
        /// How long the provider asked to wait.
        retry_after: Duration,
        /// The answer that said so.
        #[source]
        source: auth_core::Error,
    },
    /// A token store failed to load or save.
    #[error("token store failed")]
    Store(#[from] StoreError),
    /// RFC 6750 §5.3: a bearer token is only sent over TLS (plain http is
    /// allowed for loopback hosts only when opted in). The detail says
    /// which case it is and how to allow the loopback one.
    #[error(transparent)]
    InsecureUrl(#[from] InsecureUrlError),
    /// A resource server refused a presented bearer token (RFC 6750 §3.1
    /// `invalid_token`).
    #[error("invalid bearer token")]
    InvalidToken(#[from] crate::resource::InvalidTokenError),
    /// The service wrapped by [`BearerAuth`](crate::BearerAuth) failed.
    #[error("inner service failed")]
    Service(#[source] BoxError),
    /// The shared token fetch stopped without an answer (its task panicked
    /// or the runtime is shutting down).
    #[error("token fetch was aborted")]
    FetchAborted,
    /// One failure of a fetch that several callers waited for; each gets
    /// the same error.
    #[error(transparent)]
    Shared(Arc<Error>),
    /// The [`TokenManager`](crate::TokenManager) gave up on a token fetch
    /// after more than one attempt: attempts ran out, the deadline left no
    /// time for another, or a retry got an answer that will not change.
    /// `source` is the last attempt's error, the one to match (as
    /// [`Error::root`] does). A fetch that stopped after its first attempt
    /// returns that attempt's error as it is.
    #[error("token request failed after {attempts} attempts over {}", Millis(*elapsed))]
    RetriesExhausted {
        /// Requests sent, the first included (at least 2).
        attempts: u32,
        /// From the first request to giving up, waits included.
        elapsed: Duration,
        /// The last attempt's error.
        #[source]
        source: Box<Error>,
    },
    /// A token fetch failed moments ago and the
    /// [`TokenManager`](crate::TokenManager) hands out that failure again
    /// instead of asking the provider at request rate (a revoked secret
    /// under load). The window starts short and grows while failures
    /// continue; [`TokenManager::invalidate`](crate::TokenManager::invalidate)
    /// ends it.
    #[error("token fetch failed recently; next attempt in {retry_in:?}")]
    RecentFailure {
        /// How long until the manager asks the provider again.
        retry_in: Duration,
        /// The failure being reused.
        #[source]
        source: Arc<Error>,
    },
    /// Another instance sharing the [`FleetStore`](crate::FleetStore)
    /// failed to fetch this token moments ago, and the fleet reuses that
    /// failure instead of asking the provider again at once.
    #[error("token fetch failed on another instance: {0}")]
    Peer(PeerFailure),
    /// The provider's token was already expired, or already due for
    /// renewal, when its answer arrived (`expires_in: 0`, or a lifetime
    /// shorter than the answer took): it is never handed out as valid, and
    /// asking again at once would only loop.
    #[error("token arrived already expired or due for renewal (lifetime {lifetime:?})")]
    ExpiredOnArrival {
        /// The lifetime the provider gave it.
        lifetime: Duration,
    },
    /// `private_key_jwt` needs an [`AssertionSigner`](crate::AssertionSigner)
    /// ([`TokenManagerBuilder::signer`](crate::TokenManagerBuilder::signer),
    /// [`request_token_signed`](crate::request_token_signed)).
    #[error("private_key_jwt needs a signer")]
    SignerMissing,
    /// The signer's key (algorithm, `kid`, thumbprint) is not the
    /// credentials' assertion key: the request identity would name another
    /// key than the one that signs.
    #[error("the signer's key is not the credentials' assertion key")]
    SignerMismatch,
    /// The signer failed (a remote signer's own error is the source; it
    /// must not hold key material).
    #[error("signing the client assertion failed")]
    Signing(#[source] BoxError),
    /// A private key could not be read.
    #[error("client assertion key: {0}")]
    Key(#[from] crate::assertion::KeyError),
    /// A metrics manager name was refused (feature `metrics`): it would
    /// be an unbounded or secret label value.
    #[cfg(feature = "metrics")]
    #[error("invalid metrics manager name: {0}")]
    ManagerName(#[from] crate::metrics::ManagerNameError),
}

impl Error {
    /// Wraps a transport failure.
    pub fn transport(source: impl Into<BoxError>) -> Self {
        Self::Transport(source.into())
    }

    /// The error itself, looking through [`Error::Shared`],
    /// [`Error::RecentFailure`] and [`Error::RetriesExhausted`] (whose
    /// root is the last attempt's error).
    #[must_use]
    pub fn root(&self) -> &Self {
        match self {
            Self::Shared(inner) | Self::RecentFailure { source: inner, .. } => inner.root(),
            Self::RetriesExhausted { source, .. } => source.root(),
            other => other,
        }
    }

    /// True when trying again later may succeed: only what can change.
    /// Transport failures, timeouts, 5xx, 408 and 429 answers (a gateway's
    /// page included), and provider errors whose code says "try later"
    /// ([`ErrorCode::is_transient`]). A success status with a body that is
    /// not a valid token response is permanent: the provider answered, and
    /// asking again gets the same answer. RFC 6749 §5.2 error codes
    /// (`invalid_client`, `invalid_scope`, ...) are permanent too
    /// (checklist C-47, C-48), and so is a token that arrives expired.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Core(core) | Self::RateLimited { source: core, .. } => is_core_retryable(core),
            // A remote signer (KMS, HSM) is a service like the provider;
            // the retry signs a new assertion anyway.
            Self::Transport(_) | Self::Timeout(_) | Self::FetchAborted | Self::Signing(_) => true,
            Self::Shared(inner) | Self::RecentFailure { source: inner, .. } => inner.is_retryable(),
            // Later, with a new budget of attempts, what the last one hit
            // may have passed.
            Self::RetriesExhausted { source, .. } => source.is_retryable(),
            Self::BodyTooLarge { .. }
            | Self::Store(_)
            | Self::InsecureUrl(_)
            | Self::Service(_)
            | Self::ExpiredOnArrival { .. }
            | Self::SignerMissing
            | Self::SignerMismatch
            | Self::Key(_)
            | Self::Peer(_)
            | Self::InvalidToken(_) => false,
            #[cfg(feature = "metrics")]
            Self::ManagerName(_) => false,
        }
    }

    /// The `Retry-After` the provider sent with the failure, if any.
    #[must_use]
    pub fn retry_after(&self) -> Option<RetryAfter> {
        match self.root() {
            Self::Core(core) | Self::RateLimited { source: core, .. } => core.retry_after(),
            _ => None,
        }
    }

    /// The HTTP status of the provider's answer, when the error came from one.
    #[must_use]
    pub fn status(&self) -> Option<StatusCode> {
        match self.root() {
            Self::Core(core) | Self::RateLimited { source: core, .. } => core.status(),
            _ => None,
        }
    }

    /// The scopes a renewed token lost, when a grant refused it
    /// ([`TokenManager::operation_request`](crate::TokenManager::operation_request))
    /// or the provider granted less than a [`TokenManager::grant`](crate::TokenManager::grant)
    /// requires: [`Error::Core`]`(`[`auth_core::Error::MissingScopes`]`)`,
    /// looked for through [`Error::root`]. Permanent for that token.
    #[must_use]
    pub fn missing_scopes(&self) -> Option<&auth_core::MissingScopes> {
        match self.root() {
            Self::Core(auth_core::Error::MissingScopes(missing)) => Some(missing),
            _ => None,
        }
    }

    /// True when the provider rejected the request with an RFC 6749 §5.2
    /// error (the credentials, the scope, the grant): the `fetch-token`
    /// exit code 3.
    #[must_use]
    pub fn is_provider_rejection(&self) -> bool {
        match self.root() {
            Self::Core(auth_core::Error::Provider(_)) => true,
            Self::Peer(failure) => failure.is_provider_rejection(),
            _ => false,
        }
    }
}

/// Why a bearer token was not sent to a request's URL (RFC 6750 §5.3:
/// tokens travel only over TLS). Match on it to tell a missing opt-in for
/// local development from a URL that must be https.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InsecureUrlError {
    /// The URL is not https and its host is not loopback (or it has no
    /// scheme or no host): only https will do.
    #[non_exhaustive]
    HttpsRequired {
        /// The URL's scheme (`http`, `ws`, ...); `None` for a relative URL.
        scheme: Option<String>,
        /// The URL's host; `None` for a relative URL.
        host: Option<String>,
    },
    /// Plain http to a loopback host (`localhost`, `127.0.0.0/8`, `[::1]`),
    /// which is allowed for local development only after an opt-in, and
    /// that opt-in is missing.
    #[non_exhaustive]
    LoopbackNotAllowed {
        /// The loopback host, as the URL spells it (`127.0.0.1`, `[::1]`).
        host: String,
        /// What allows it for the API that refused.
        opt_in: LoopbackOptIn,
    },
}

/// What allows plain http to a loopback host, which depends on the API
/// that sends the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoopbackOptIn {
    /// [`BearerAuthLayer::allow_insecure_loopback(true)`](crate::BearerAuthLayer::allow_insecure_loopback).
    Layer,
    /// [`TokenManager::authorize`](crate::TokenManager::authorize),
    /// [`TokenManager::operation_request`](crate::TokenManager::operation_request)
    /// and [`SendAuthorized::send`](crate::SendAuthorized::send) allow it when
    /// the client's token URL is plain http on a loopback host too (a
    /// whole local setup, such as the mock provider).
    LoopbackTokenUrl,
}

impl LoopbackOptIn {
    /// How to opt in, for the message.
    fn hint(self) -> &'static str {
        match self {
            Self::Layer => {
                "call allow_insecure_loopback(true) on the layer (local development only)"
            }
            Self::LoopbackTokenUrl => {
                "allowed only when the token URL is plain http on a loopback host too (local development only)"
            }
        }
    }
}

impl fmt::Display for InsecureUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("refusing to send a bearer token ")?;
        match self {
            Self::LoopbackNotAllowed { host, opt_in } => write!(
                f,
                "over plain http to loopback host {host} without opt-in: {}",
                opt_in.hint()
            ),
            Self::HttpsRequired { scheme, host } => {
                match (scheme.as_deref(), host) {
                    (Some("http"), Some(host)) => write!(f, "over plain http to {host}")?,
                    (Some(scheme), Some(host)) => write!(f, "over {scheme} to {host}")?,
                    (Some(scheme), None) => write!(f, "over {scheme}")?,
                    (None, Some(host)) => write!(f, "to {host} without a scheme")?,
                    (None, None) => f.write_str("to a relative URL")?,
                }
                f.write_str(": https is required (RFC 6750 §5.3)")
            }
        }
    }
}

impl std::error::Error for InsecureUrlError {}

/// A duration rounded to milliseconds, for messages (`1.432s`, `200ms`).
struct Millis(Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = u64::try_from(self.0.as_millis()).unwrap_or(u64::MAX);
        write!(f, "{:?}", Duration::from_millis(millis))
    }
}

fn is_transient_status(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
}

fn is_core_retryable(error: &auth_core::Error) -> bool {
    match error {
        auth_core::Error::Provider(provider) => match &provider.code {
            // Unknown codes with a "try later" status are treated like the
            // status says; the RFC's own codes never are.
            ErrorCode::Other(code) if code != ErrorCode::INVALID_TARGET => {
                provider.code.is_transient() || is_transient_status(provider.status)
            }
            _ => false,
        },
        // A non-OAuth answer: a gateway's 502 page, a 503, a 429 without
        // JSON. Redirects (C-50), other 4xx pages and a 2xx will not change.
        auth_core::Error::Api(api) => is_transient_status(api.status),
        // A 503 from the revocation endpoint (RFC 7009 §2.2.1): the token
        // is still valid; revoke again later.
        auth_core::Error::RevocationUnavailable(_) => true,
        // A 2xx whose body is not a token response (`expires_in: -1`, a
        // portal's page, a truncated body) is the provider's answer, not a
        // hiccup: retrying only multiplies the requests (issue 8 item 6).
        _ => false,
    }
}

/// An error and its sources on one line (`a: b: c`), skipping a source whose
/// text the line already holds: for command-line tools and logs that want
/// the whole chain in one place. Our errors never hold a secret or a token,
/// so neither does the line.
///
/// ```
/// let error = auth_http::Error::Timeout(std::time::Duration::from_secs(1));
/// assert_eq!(auth_http::one_line(&error), error.to_string());
/// ```
#[must_use]
pub fn one_line(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line.replace(['\n', '\r'], " ")
}
