//! The original SDK's complete flow, in Rust: load a stored token, otherwise
//! fetch and store one, then make authorized calls to a protected resource.
//!
//! It starts the mock provider in-process, so it runs offline:
//! `cargo run -p auth-http --example sdk_flow`. It prints what it does,
//! never the token or the secret.

use auth_core::{Client, ClientCredentials, Clock as _, Scope, SystemClock, TokenUrl};
use auth_http::{FetchToken as _, FileStore, HyperTransport, SendAuthorized as _, TokenStore as _};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `at` in RFC 3339 to the second (`2026-01-01T00:00:00Z`; lifetimes are
/// whole seconds), as people and log tools read times. A time RFC 3339
/// cannot hold (an offset with seconds) prints as `time` does.
fn rfc3339(at: OffsetDateTime) -> String {
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// What a service does at start-up: reuse its stored token when it is still
/// fresh, otherwise fetch one and store it; then call the API with it.
async fn start_service(
    token_url: &str,
    resource_url: &str,
    store: &FileStore,
) -> Result<(), BoxError> {
    let transport = HyperTransport::new()?;
    let client = Client::new(
        TokenUrl::parse(token_url)?,
        ClientCredentials::new("dev-service", "dev-secret") // a real service reads its secret from the environment
            .with_scopes([Scope::DiscoveryRead, Scope::ServiceProfileRead]),
    );
    let key = client.request().key();
    let client = match store.load(&key).await {
        Ok(Some(token))
            if !client
                .options()
                .expiry()
                .needs_refresh(&token, SystemClock.now()) =>
        {
            println!(
                "  loaded a stored token, valid until {}",
                rfc3339(token.expires_at())
            );
            client.with_token(token)
        }
        stored => {
            if let Err(e) = stored {
                println!("  stored token unusable ({e}); fetching a new one");
            }
            let client = client.fetch_token(&transport).await?;
            store.save(&key, client.token()).await?;
            println!(
                "  fetched a token (scope {:?}, valid until {}) and stored it in {}",
                client.token().scope().to_string(),
                rfc3339(client.token().expires_at()),
                store.path().display()
            );
            client
        }
    };
    for url in [
        resource_url.to_owned(),
        format!("{resource_url}?scope=serviceprofile:read"),
    ] {
        let response = client
            .send(&transport, http::Request::get(&url).body(Vec::new())?)
            .await?;
        println!("  GET {url} -> {}", response.status());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let server = mock_server::MockServer::start().await?;
    println!("mock provider at {}", server.url());
    let path = std::env::temp_dir().join(format!("auth-http-sdk-flow-{}.json", std::process::id()));
    let store = FileStore::new(&path);

    println!("first start:");
    start_service(&server.token_url(), &server.resource_url(), &store).await?;
    println!("restart (same token file):");
    start_service(&server.token_url(), &server.resource_url(), &store).await?;
    println!(
        "token requests seen by the provider: {}",
        server.token_requests()
    );

    let _ = std::fs::remove_file(&path);
    server.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::rfc3339;

    #[test]
    fn times_print_in_rfc_3339() {
        assert_eq!(
            rfc3339(datetime!(2026-12-02 06:41:45.173_664_778 UTC)),
            "2026-12-02T06:41:45Z"
        );
        assert_eq!(
            rfc3339(datetime!(2026-01-01 00:00 +02:00)),
            "2026-01-01T00:00:00+02:00"
        );
    }

    #[test]
    fn a_time_rfc_3339_cannot_hold_still_prints() {
        assert_eq!(
            rfc3339(datetime!(2026-01-01 00:00 +00:00:30)),
            "2026-01-01 0:00:00.0 +00:00:30"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_flow_fetches_once_and_a_restart_reuses_the_stored_token() {
        let server = mock_server::MockServer::start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = super::FileStore::new(dir.path().join("token.json"));
        for _ in 0..2 {
            super::start_service(&server.token_url(), &server.resource_url(), &store)
                .await
                .unwrap();
        }
        assert_eq!(server.token_requests(), 1);
        server.shutdown().await;
    }
}
