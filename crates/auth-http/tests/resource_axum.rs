//! `Granted<R>`, the axum extractor (feature `axum`), through axum-core's
//! own traits: a handler's argument is extracted from the request parts
//! the bearer layer filled, and a refusal is an axum response.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::convert::Infallible;

use auth_core::scope::{DiscoveryRead, ServiceProfileWrite};
use auth_http::resource::{Granted, JwtValidator, ValidateBearerLayer};
use axum_core::extract::FromRequestParts as _;
use mock_server::MockServer;
use tower::{Layer as _, ServiceExt as _};

#[tokio::test]
async fn granted_extracts_the_grant_or_answers_insufficient_scope() {
    let server = MockServer::start().await.unwrap();
    let validator = JwtValidator::builder(server.url(), server.resource_url(), server.jwks_url())
        .build()
        .unwrap();
    let token = server.mint_token("s6BhdRkqt3", &"discovery:read".parse().unwrap());
    let service = ValidateBearerLayer::new(validator, "api").layer(tower::service_fn(
        |request: http::Request<axum_core::body::Body>| async move {
            let (mut parts, _) = request.into_parts();
            let write = Granted::<ServiceProfileWrite>::from_request_parts(&mut parts, &()).await;
            let read = Granted::<DiscoveryRead>::from_request_parts(&mut parts, &()).await;
            assert!(read.is_ok());
            Ok::<_, Infallible>(match write {
                Ok(Granted(_grant)) => http::Response::new(axum_core::body::Body::empty()),
                Err(refusal) => axum_core::response::IntoResponse::into_response(refusal),
            })
        },
    ));
    let request = http::Request::get("/")
        .header("authorization", format!("Bearer {token}"))
        .body(axum_core::body::Body::empty())
        .unwrap();
    let answer = service.oneshot(request).await.unwrap();
    assert_eq!(answer.status(), 403);
    assert_eq!(
        answer.headers()["www-authenticate"],
        r#"Bearer realm="api", error="insufficient_scope", scope="serviceprofile:write""#
    );
}
