//! A small resource server validating the mock's RFC 9068 JWT access
//! tokens through discovery and the JWKS, as a production one does with the
//! real provider's issuer URL: `cargo run -p mock-server --example
//! jwt_resource_server`.
//!
//! It starts the mock provider in-process with the resource server's URL as
//! a known RFC 8707 resource, starts the resource server (plain hyper:
//! accept, wrap, spawn, serve) checking tokens with `jsonwebtoken`
//! (`verifier.rs`: metadata, then the JWKS, cached and fetched again on an
//! unknown `kid`), gets a token with the project's own client (auth-http's
//! `TokenManager`, asking for the resource server as audience), and calls
//! it: 200. Then the mock is told to issue the next token with a wrong
//! `aud` (a queued fault), and the resource server refuses it: 401
//! `invalid_token`. It prints what it does, never a token or a secret.

mod verifier;

use std::convert::Infallible;
use std::sync::Arc;

use auth_core::{Client, ClientCredentials, Resource, TokenRequest, TokenUrl};
use auth_http::{HyperTransport, TokenManager, Transport as _};
use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use mock_server::{Fault, FaultRule, MockServer};
use serde_json::json;
use tokio::net::TcpListener;

use verifier::{BoxError, Verifier};

/// Checklist fixture F1 (RFC 6749 §4.4.2), registered in the mock's
/// embedded configuration. A real service reads its secret from the
/// environment.
const CLIENT_ID: &str = "s6BhdRkqt3";
const CLIENT_SECRET: &str = "gX1fBat3bV";

/// The resource server's answer to one request.
async fn answer(
    verifier: &Verifier,
    request: &http::Request<hyper::body::Incoming>,
) -> Response<Full<Bytes>> {
    let token = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let Some(token) = token else {
        // RFC 6750 §3: no credentials, no error code.
        return reply(
            StatusCode::UNAUTHORIZED,
            r#"Bearer realm="api""#,
            &json!({}),
        );
    };
    match verifier.verify(token).await {
        Ok(claims) => reply(
            StatusCode::OK,
            "",
            &json!({ "hello": claims["client_id"], "sub": claims["sub"] }),
        ),
        Err(refusal) => reply(
            StatusCode::UNAUTHORIZED,
            r#"Bearer realm="api", error="invalid_token""#,
            &json!({ "error": "invalid_token", "why": refusal.to_string() }),
        ),
    }
}

fn reply(status: StatusCode, challenge: &str, body: &serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    if let Ok(value) = http::HeaderValue::from_str(challenge)
        && !challenge.is_empty()
    {
        response
            .headers_mut()
            .insert(http::header::WWW_AUTHENTICATE, value);
    }
    response
}

/// Serves `verifier`'s resource server on `listener` until the task is dropped.
async fn serve(listener: TcpListener, verifier: Arc<Verifier>) {
    while let Ok((stream, _)) = listener.accept().await {
        let verifier = Arc::clone(&verifier);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let verifier = Arc::clone(&verifier);
                async move { Ok::<_, Infallible>(answer(&verifier, &request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// `GET api_url` with the manager's token: the status and the body. The
/// token is dropped from the cache afterwards, so the next call gets a
/// fresh one (as after a 401, or once it expires).
async fn call(manager: &TokenManager, api_url: &str) -> Result<(StatusCode, String), BoxError> {
    let mut request = http::Request::get(api_url).body(Vec::new())?;
    let token = manager.authorize(&mut request).await?;
    let response = HyperTransport::new()?.send(request).await?;
    manager.invalidate_token(&token);
    Ok((
        response.status(),
        String::from_utf8_lossy(response.body()).into_owned(),
    ))
}

/// The whole flow; what it did, line by line.
async fn run() -> Result<Vec<String>, BoxError> {
    let mut log = Vec::new();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let api_url = format!("http://{}/", listener.local_addr()?);
    let provider = MockServer::builder().resource(&api_url).start().await?;
    log.push(format!("mock provider (issuer) at {}", provider.url()));

    let verifier = Arc::new(Verifier::discover(&provider.url(), &api_url).await?);
    let server = tokio::spawn(serve(listener, Arc::clone(&verifier)));
    log.push(format!(
        "resource server at {api_url}: discovery read, JWKS fetched"
    ));

    let request = TokenRequest::new(
        TokenUrl::parse(&provider.token_url())?,
        ClientCredentials::new(CLIENT_ID, CLIENT_SECRET),
    )
    .with_resource(Resource::new(api_url.as_str())?);
    let manager = TokenManager::new(Client::from_request(request), HyperTransport::new()?);

    let (status, body) = call(&manager, &api_url).await?;
    log.push(format!(
        "GET {api_url} with a fresh token -> {status} {body}"
    ));

    provider.push_fault(FaultRule::new(Fault::WrongAudience));
    let (status, body) = call(&manager, &api_url).await?;
    log.push(format!(
        "GET {api_url} with a token for another audience -> {status} {body}"
    ));
    log.push(format!(
        "token requests seen by the provider: {}, JWKS fetches: {}",
        provider.token_requests(),
        verifier.jwks_fetches()
    ));
    server.abort();
    provider.shutdown().await;
    Ok(log)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    for line in run().await? {
        println!("{line}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_resource_server_accepts_a_fresh_token_and_refuses_one_for_another_audience() {
        let log = super::run().await.unwrap_or_else(|e| panic!("{e}"));
        let calls: Vec<&String> = log.iter().filter(|l| l.contains(" -> ")).collect();
        assert_eq!(calls.len(), 2, "{log:#?}");
        assert!(
            calls[0].contains("-> 200 OK") && calls[0].contains(r#""hello":"s6BhdRkqt3""#),
            "{log:#?}"
        );
        assert!(
            calls[1].contains("-> 401 Unauthorized") && calls[1].contains("invalid_token"),
            "{log:#?}"
        );
        assert!(
            log.last()
                .is_some_and(|l| l.starts_with("token requests seen by the provider: 2")),
            "{log:#?}"
        );
    }
}
