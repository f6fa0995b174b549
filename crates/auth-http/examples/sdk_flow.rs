//! The original SDK's complete flow, in Rust: load a stored token, otherwise
//! fetch and store one, then make authorized calls to a protected resource.
//!
//! It starts the mock provider in-process, so it runs offline:
//! `cargo run -p auth-http --example sdk_flow`. It prints what it does,
//! never the token or the secret.

use auth_core::{Client, ClientCredentials, Clock as _, Scope, SystemClock, TokenUrl};
use auth_http::{FetchToken as _, FileStore, HyperTransport, SendAuthorized as _, TokenStore as _};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

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
                token.expires_at()
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
                "  fetched a token (scope {:?}) and stored it in {}",
                client.token().scope().to_string(),
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
