//! Checklist C-62 (RFC 8414 §3, §3.1, §3.3) and C-17 through
//! `HyperTransport`: the in-process mock (its issuer is its base URL) and
//! wiremock for an issuer with a path and for a mismatching issuer.

use auth_core::{Client, ClientAuthMethod, ClientCredentials, Issuer, MetadataError, Scope};
use auth_http::{Error, FetchToken as _, HyperTransport, discover};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn mock_metadata_is_discovered_and_used_for_a_token_c62_c17_rfc8414_3() {
    let server = mock_server::MockServer::start().await.unwrap();
    let transport = HyperTransport::new().unwrap();
    let issuer = Issuer::parse(&server.url()).unwrap();

    let metadata = discover(&transport, &issuer).await.unwrap();

    assert_eq!(metadata.issuer(), server.url());
    assert_eq!(metadata.token_url().to_string(), server.token_url());
    assert_eq!(
        metadata.revocation_url().unwrap().to_string(),
        server.revocation_url()
    );
    assert_eq!(
        metadata.document().introspection_endpoint.as_deref(),
        Some(server.introspection_url().as_str())
    );
    assert_eq!(
        metadata.document().grant_types_supported.as_deref(),
        Some(&["client_credentials".to_owned()][..])
    );
    // The mock lists both Basic and post: C-17 picks Basic.
    assert_eq!(
        metadata.choose_auth_method().unwrap(),
        ClientAuthMethod::ClientSecretBasic
    );
    let journal = server.journal();
    assert_eq!(journal[0].method, "GET");
    assert_eq!(journal[0].path, "/.well-known/oauth-authorization-server");

    // The discovered endpoint and method work.
    let client = Client::new(
        metadata.token_url().clone(),
        ClientCredentials::new("s6BhdRkqt3", "gX1fBat3bV")
            .with_scopes([Scope::Read])
            .with_auth_method(metadata.choose_auth_method().unwrap()),
    );
    client.fetch_token(&transport).await.unwrap();
    assert_eq!(server.token_requests(), 1);
    server.shutdown().await;
}

fn document(issuer: &str, base: &str) -> String {
    format!(
        r#"{{"issuer":"{issuer}","token_endpoint":"{base}/tenant1/token","token_endpoint_auth_methods_supported":["client_secret_post"],"x_unknown":true}}"#
    )
}

#[tokio::test]
async fn issuer_with_a_path_gets_the_suffix_inserted_c62_rfc8414_3_1() {
    let server = wiremock::MockServer::start().await;
    let issuer = format!("{}/tenant1", server.uri());
    Mock::given(method("GET"))
        .and(path("/.well-known/oauth-authorization-server/tenant1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(document(&issuer, &server.uri())),
        )
        .expect(1)
        .mount(&server)
        .await;

    let metadata = discover(
        &HyperTransport::new().unwrap(),
        &Issuer::parse(&issuer).unwrap(),
    )
    .await
    .unwrap();

    assert_eq!(metadata.issuer(), issuer);
    assert_eq!(
        metadata.token_url().to_string(),
        format!("{}/tenant1/token", server.uri())
    );
    assert_eq!(
        metadata.choose_auth_method().unwrap(),
        ClientAuthMethod::ClientSecretPost
    );
    assert_eq!(metadata.document().extra["x_unknown"], true);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    // Inserted, not appended (`/tenant1/.well-known/...` is wrong).
    assert_eq!(
        requests[0].url.path(),
        "/.well-known/oauth-authorization-server/tenant1"
    );
}

#[tokio::test]
async fn mismatching_issuer_is_a_typed_error_and_the_metadata_unused_c62_rfc8414_3_3() {
    let server = wiremock::MockServer::start().await;
    let issuer = format!("{}/tenant1", server.uri());
    // An attacker-controlled or misconfigured document naming another issuer.
    Mock::given(method("GET"))
        .and(path("/.well-known/oauth-authorization-server/tenant1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(document("https://evil.example/tenant1", &server.uri())),
        )
        .mount(&server)
        .await;

    let error = discover(
        &HyperTransport::new().unwrap(),
        &Issuer::parse(&issuer).unwrap(),
    )
    .await
    .unwrap_err();

    let Error::Core(auth_core::Error::Metadata(MetadataError::IssuerMismatch { expected, found })) =
        &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(expected, &issuer);
    assert_eq!(found, "https://evil.example/tenant1");
    assert!(!error.is_retryable());
    // Nothing of it was used: one GET, no token request.
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
}
