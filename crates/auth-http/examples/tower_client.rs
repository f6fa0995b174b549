//! A tower HTTP client with `BearerAuthLayer`: every request gets the
//! `TokenManager`'s current token; when the resource says `invalid_token`
//! the layer renews once and retries once.
//!
//! It starts the mock provider in-process, so it runs offline:
//! `cargo run -p auth-http --example tower_client`. It prints what it does,
//! never the token or the secret.

use auth_core::{Client, ClientCredentials, Scope, TokenUrl};
use auth_http::{BearerAuthLayer, HyperTransport, TokenManager, Transport as _};
use tower::{Service as _, ServiceBuilder, ServiceExt as _};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let server = mock_server::MockServer::start().await?;
    println!("mock provider at {}", server.url());

    let transport = HyperTransport::new()?;
    let client = Client::new(
        TokenUrl::parse(&server.token_url())?,
        ClientCredentials::new("dev-service", "dev-secret").with_scopes([Scope::Read]),
    );
    let manager = TokenManager::new(client, transport.clone());

    // Any tower service of `http::Request<B: Clone>` works; here, the transport.
    let http = tower::service_fn(move |request: http::Request<Vec<u8>>| {
        let transport = transport.clone();
        async move { transport.send(request).await }
    });
    // The mock is plain http on 127.0.0.1: opt in (local development only).
    // Without it each call fails with "refusing to send a bearer token over
    // plain http to loopback host 127.0.0.1 without opt-in: ...".
    let mut api = ServiceBuilder::new()
        .layer(BearerAuthLayer::new(manager.clone()).allow_insecure_loopback(true))
        .service(http);

    for i in 1..=3 {
        let request = http::Request::get(server.resource_url()).body(Vec::new())?;
        let response = api.ready().await?.call(request).await?;
        println!(
            "call {i}: {} (token requests so far: {})",
            response.status(),
            server.token_requests()
        );
    }

    // The provider revokes the token: the layer renews once and retries.
    if let Some(token) = manager.cached() {
        server.revoke_token(token.access_token().expose_secret());
        println!("provider revoked the current token");
    }
    let request = http::Request::get(server.resource_url()).body(Vec::new())?;
    let response = api.ready().await?.call(request).await?;
    println!(
        "call 4: {} (token requests so far: {})",
        response.status(),
        server.token_requests()
    );

    // A scope the token lacks: 403 insufficient_scope is returned, not retried.
    let request =
        http::Request::get(format!("{}?scope=write", server.resource_url())).body(Vec::new())?;
    let response = api.ready().await?.call(request).await?;
    println!(
        "call needing scope write: {} (token requests so far: {})",
        response.status(),
        server.token_requests()
    );

    server.shutdown().await;
    Ok(())
}
