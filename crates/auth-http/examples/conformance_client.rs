//! This project's client in the conformance client contract
//! (`docs/conformance.md`): what `mock-server conformance -- <command>`
//! runs for auth-http.
//!
//! It reads the contract's `OAUTH_*` environment, builds an auth-core
//! [`Client`] (client credentials with the auth method and scopes; for
//! `private_key_jwt` a [`PrivateKeySigner`] from `OAUTH_PRIVATE_KEY_FILE`
//! with `OAUTH_KEY_ID` as its `kid`, for `client_secret_jwt` HS256 with the
//! secret), a [`HyperTransport`] whose per-request timeout is
//! `OAUTH_TIMEOUT_MS`, a [`TokenManager`] with its default retry policy
//! (and the signer), and calls the resource `OAUTH_CALLS` times through
//! [`BearerAuthLayer`], which renews once and retries once on
//! `401 invalid_token`.
//!
//! ```text
//! cargo build -p auth-http --example conformance_client
//! mock-server conformance -- target/debug/examples/conformance_client
//! ```
//!
//! Exit codes: 0 every resource call succeeded, 2 the contract environment
//! is missing or invalid, 3 the provider rejected the token request (an
//! RFC 6749 §5.2 error), 4 transport failure, timeout or a non-OAuth
//! answer, 5 the resource refused a call. Errors are one line on stderr;
//! the secret and the token are never printed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use auth_core::{Client, ClientAuthMethod, ClientCredentials, ScopeSet, TokenUrl};
use auth_http::{
    AssertionSigner as _, BearerAuthLayer, HyperTransport, PrivateKeySigner, TokenManager,
    Transport as _,
};
use tower::{Service as _, ServiceBuilder, ServiceExt as _};

const EXIT_USAGE: u8 = 2;
const EXIT_REJECTED: u8 = 3;
const EXIT_TRANSPORT: u8 = 4;
const EXIT_RESOURCE: u8 = 5;

/// What the contract's environment asks for.
struct Contract {
    token_url: TokenUrl,
    client_id: String,
    client_secret: String,
    auth_method: ClientAuthMethod,
    /// `private_key_jwt` only: the PKCS#8 PEM key and its `kid`, if any.
    private_key: Option<(PathBuf, Option<String>)>,
    scopes: ScopeSet,
    resource_url: String,
    calls: u64,
    interval: Duration,
    timeout: Duration,
}

/// A one-line failure and its exit code.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn usage(message: impl std::fmt::Display) -> Self {
        Self {
            code: EXIT_USAGE,
            message: message.to_string(),
        }
    }

    /// A failure of resource call `call`: of the call itself, or of
    /// getting its token.
    fn from_error(error: &auth_http::Error, call: u64) -> Self {
        let root = error.root();
        let during = match root {
            auth_http::Error::Service(_) => format!("resource call {call}"),
            _ => format!("token for resource call {call}"),
        };
        Self {
            code: if root.is_provider_rejection() {
                EXIT_REJECTED
            } else {
                EXIT_TRANSPORT
            },
            // The whole chain: a fetch that retried says how many times.
            message: format!("{during}: {}", auth_http::one_line(error)),
        }
    }
}

fn var(name: &str) -> Result<String, Failure> {
    std::env::var(name).map_err(|_| Failure::usage(format!("{name} is not set")))
}

fn millis(name: &str) -> Result<Duration, Failure> {
    var(name)?
        .parse()
        .map(Duration::from_millis)
        .map_err(|_| Failure::usage(format!("{name} is not a number of milliseconds")))
}

impl Contract {
    fn from_env() -> Result<Self, Failure> {
        let token_url = TokenUrl::parse(&var("OAUTH_TOKEN_URL")?)
            .map_err(|e| Failure::usage(format!("OAUTH_TOKEN_URL: {e}")))?;
        let auth_method: ClientAuthMethod = var("OAUTH_AUTH_METHOD")?
            .parse()
            .map_err(|e| Failure::usage(format!("OAUTH_AUTH_METHOD: {e}")))?;
        // The key is the credential of `private_key_jwt`; every other
        // method authenticates with the secret.
        let (private_key, client_secret) = if auth_method == ClientAuthMethod::PrivateKeyJwt {
            let file = PathBuf::from(var("OAUTH_PRIVATE_KEY_FILE")?);
            let kid = std::env::var("OAUTH_KEY_ID")
                .ok()
                .filter(|kid| !kid.is_empty());
            (Some((file, kid)), String::new())
        } else {
            (None, var("OAUTH_CLIENT_SECRET")?)
        };
        let scopes = ScopeSet::parse_lenient(&std::env::var("OAUTH_SCOPES").unwrap_or_default())
            .map_err(|e| Failure::usage(format!("OAUTH_SCOPES: {e}")))?;
        let calls = var("OAUTH_CALLS")?
            .parse()
            .map_err(|_| Failure::usage("OAUTH_CALLS is not a number"))?;
        Ok(Self {
            token_url,
            client_id: var("OAUTH_CLIENT_ID")?,
            client_secret,
            auth_method,
            private_key,
            scopes,
            resource_url: var("OAUTH_RESOURCE_URL")?,
            calls,
            interval: millis("OAUTH_CALL_INTERVAL_MS")?,
            timeout: millis("OAUTH_TIMEOUT_MS")?,
        })
    }
}

async fn run(contract: Contract) -> Result<(), Failure> {
    // Plain http to the resource only when the token URL is plain-http
    // loopback too (the mock): the rule `TokenManager::authorize` applies.
    let loopback = contract.token_url.is_insecure_loopback();
    let signer = match &contract.private_key {
        Some((file, kid)) => {
            let signer = PrivateKeySigner::from_file(file)
                .map_err(|e| Failure::usage(format!("OAUTH_PRIVATE_KEY_FILE: {e}")))?;
            Some(match kid {
                Some(kid) => signer.with_kid(kid.as_str()),
                None => signer,
            })
        }
        None => None,
    };
    let credentials = match &signer {
        Some(signer) => {
            ClientCredentials::private_key_jwt(contract.client_id, signer.key().clone())
        }
        None => ClientCredentials::new(contract.client_id, contract.client_secret)
            .with_auth_method(contract.auth_method),
    }
    .with_scopes(contract.scopes.iter().cloned());
    let client = Client::new(contract.token_url, credentials);
    let transport = HyperTransport::builder()
        .timeout(contract.timeout)
        .build()
        .map_err(|e| Failure {
            code: EXIT_TRANSPORT,
            message: format!("transport: {}", auth_http::one_line(&e)),
        })?;
    let manager = match signer {
        Some(signer) => TokenManager::builder(client, transport.clone())
            .signer(signer)
            .build(),
        None => TokenManager::new(client, transport.clone()),
    };

    let http = tower::service_fn(move |request: http::Request<Vec<u8>>| {
        let transport = transport.clone();
        async move { transport.send(request).await }
    });
    let mut api = ServiceBuilder::new()
        .layer(BearerAuthLayer::new(manager).allow_insecure_loopback(loopback))
        .service(http);

    for call in 1..=contract.calls {
        if call > 1 {
            tokio::time::sleep(contract.interval).await;
        }
        let request = http::Request::get(contract.resource_url.as_str())
            .body(Vec::new())
            .map_err(|e| Failure::usage(format!("OAUTH_RESOURCE_URL: {e}")))?;
        let ready = api
            .ready()
            .await
            .map_err(|e| Failure::from_error(&e, call))?;
        let response = ready
            .call(request)
            .await
            .map_err(|e| Failure::from_error(&e, call))?;
        if !response.status().is_success() {
            return Err(Failure {
                code: EXIT_RESOURCE,
                message: format!(
                    "resource call {call}: the resource answered {}",
                    response.status()
                ),
            });
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let result = Contract::from_env().and_then(|contract| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure {
                code: EXIT_TRANSPORT,
                message: format!("cannot start the runtime: {e}"),
            })?
            .block_on(run(contract))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("conformance_client: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
