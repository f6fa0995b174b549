//! The `oauth2` crate (v5) in the conformance client contract, written the
//! way its documentation shows: a `BasicClient` with the token URL and the
//! auth type, `exchange_client_credentials().add_scope(..)
//! .request_async(&http_client)`, and a `reqwest::Client` built with
//! redirects off (the crate's docs: following redirects opens the client
//! up to SSRF). The token is cached the way a typical user does: kept
//! until `expires_in` has passed since it arrived (forever when the
//! provider sends none), then fetched again. No retries, no renewal on a
//! 401: the crate offers neither, and this adapter does not add them.
//!
//! Exit codes: 0 every resource call succeeded, 1 any failure, 2 the
//! contract environment is incomplete. Never prints the secret or the token.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{AuthType, ClientId, ClientSecret, Scope, TokenResponse as _, TokenUrl};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

fn env_u64(name: &str) -> Result<u64, String> {
    env(name)?
        .parse()
        .map_err(|_| format!("{name} is not a number"))
}

/// A token and when it stops being usable, by the typical reading:
/// arrival time plus `expires_in`.
struct Cached {
    token: BasicTokenResponse,
    expires_at: Option<Instant>,
}

impl Cached {
    fn is_expired(&self) -> bool {
        self.expires_at.is_some_and(|at| Instant::now() >= at)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("oauth2-adapter: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("oauth2-adapter: {}", one_line(&*e));
            ExitCode::FAILURE
        }
    }
}

struct Config {
    token_url: String,
    client_id: String,
    client_secret: String,
    auth_type: AuthType,
    scopes: Vec<String>,
    resource_url: String,
    calls: u64,
    interval: Duration,
    timeout: Duration,
}

impl Config {
    fn from_env() -> Result<Self, String> {
        let auth_type = match env("OAUTH_AUTH_METHOD")?.as_str() {
            "client_secret_basic" => AuthType::BasicAuth,
            "client_secret_post" => AuthType::RequestBody,
            other => return Err(format!("OAUTH_AUTH_METHOD {other:?} is not supported")),
        };
        Ok(Self {
            token_url: env("OAUTH_TOKEN_URL")?,
            client_id: env("OAUTH_CLIENT_ID")?,
            client_secret: env("OAUTH_CLIENT_SECRET")?,
            auth_type,
            scopes: std::env::var("OAUTH_SCOPES")
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            resource_url: env("OAUTH_RESOURCE_URL")?,
            calls: env_u64("OAUTH_CALLS")?,
            interval: Duration::from_millis(env_u64("OAUTH_CALL_INTERVAL_MS").unwrap_or(0)),
            timeout: Duration::from_millis(env_u64("OAUTH_TIMEOUT_MS").unwrap_or(30_000)),
        })
    }
}

async fn run(config: &Config) -> Result<(), BoxError> {
    let client = BasicClient::new(ClientId::new(config.client_id.clone()))
        .set_client_secret(ClientSecret::new(config.client_secret.clone()))
        .set_token_uri(TokenUrl::new(config.token_url.clone())?)
        .set_auth_type(config.auth_type.clone());
    let http_client = reqwest::ClientBuilder::new()
        // Following redirects opens the client up to SSRF vulnerabilities.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.timeout)
        .build()?;

    let fetch = || async {
        let mut request = client.exchange_client_credentials();
        for scope in &config.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let token = request.request_async(&http_client).await?;
        let expires_at = token.expires_in().map(|lifetime| Instant::now() + lifetime);
        Ok::<_, BoxError>(Cached { token, expires_at })
    };

    let mut cached = fetch().await?;
    for call in 1..=config.calls {
        if call > 1 {
            tokio::time::sleep(config.interval).await;
        }
        if cached.is_expired() {
            cached = fetch().await?;
        }
        let response = http_client
            .get(&config.resource_url)
            .bearer_auth(cached.token.access_token().secret())
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(format!("resource call {call}: HTTP {}", response.status()).into());
        }
    }
    Ok(())
}

/// The error and its sources on one line.
fn one_line(error: &(dyn std::error::Error + 'static)) -> String {
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
