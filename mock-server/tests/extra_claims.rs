//! Extra claims per client (issue 11 item 1): from the config file, from
//! the admin API and from `MockServer::set_extra_claims`, checked in tokens
//! an independent verifier (the example's `verifier.rs`, on
//! `jsonwebtoken`) accepts.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;
#[path = "../examples/jwt_resource_server/verifier.rs"]
mod verifier;

use std::collections::BTreeMap;

use mock_server::{ClientRegistration, Config, Error, ExtraClaim, MockServer};
use serde_json::json;
use verifier::Verifier;

const JSON: [(&str, &str); 1] = [("content-type", "application/json")];

/// The claims of a token F1 gets with `body`, as the verifier reads them.
async fn f1_claims(server: &MockServer, body: &str) -> serde_json::Value {
    let answer = common::f1_token(server, body).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let token = answer.json()["access_token"].as_str().unwrap().to_owned();
    let verifier = Verifier::discover(&server.url(), &server.resource_url())
        .await
        .unwrap();
    verifier
        .verify(&token)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn f1_with(claims: &str) -> Config {
    let mut config = Config::embedded();
    let f1 = config
        .clients
        .iter()
        .position(|c| c.id() == "s6BhdRkqt3")
        .unwrap();
    let extra: toml::Table = toml::from_str(&format!("extra_claims = {claims}")).unwrap();
    let extra: BTreeMap<String, ExtraClaim> = extra["extra_claims"].clone().try_into().unwrap();
    config.clients[f1] = config.clients[f1].clone().with_extra_claims(extra);
    config
}

#[tokio::test]
async fn configured_claims_are_fixed_or_taken_from_the_request_and_sub_can_be_replaced() {
    let config = f1_with(
        r#"{ sub = "svc@tenant-a", roles = ["reader", "auditor"], tid = { from_param = "tenant" } }"#,
    );
    let server = MockServer::builder().config(config).start().await.unwrap();
    let claims = f1_claims(&server, "grant_type=client_credentials&tenant=t-42").await;
    assert_eq!(claims["sub"], "svc@tenant-a");
    assert_eq!(claims["client_id"], "s6BhdRkqt3");
    assert_eq!(claims["roles"], json!(["reader", "auditor"]));
    assert_eq!(claims["tid"], "t-42");
    // Without the parameter, no claim (and no error).
    let claims = f1_claims(&server, "grant_type=client_credentials").await;
    assert!(claims.get("tid").is_none(), "{claims}");
    assert_eq!(claims["roles"], json!(["reader", "auditor"]));
}

#[tokio::test]
async fn a_client_without_extra_claims_gets_only_the_rfc_9068_claims_and_its_id_as_sub() {
    let server = MockServer::start().await.unwrap();
    let claims = f1_claims(&server, "grant_type=client_credentials&tenant=t-42").await;
    assert_eq!(claims["sub"], "s6BhdRkqt3");
    assert!(claims.get("tid").is_none(), "{claims}");
}

#[tokio::test]
async fn the_admin_api_replaces_a_clients_extra_claims_and_refuses_reserved_ones() {
    let server = MockServer::start().await.unwrap();
    let put = |path: &'static str, body: &'static str| {
        let server = &server;
        async move { common::request(server, "PUT", path, &JSON, body.as_bytes()).await }
    };
    let answer = put(
        "/_mock/clients/s6BhdRkqt3/extra_claims",
        r#"{"tid":{"from_param":"tenant"},"roles":["reader"]}"#,
    )
    .await;
    assert_eq!(answer.status, 204, "{}", answer.text());
    let claims = f1_claims(&server, "grant_type=client_credentials&tenant=t-7").await;
    assert_eq!(
        (&claims["tid"], &claims["roles"]),
        (&json!("t-7"), &json!(["reader"]))
    );
    // The listing shows them, in the form PUT takes.
    let listed = common::request(&server, "GET", "/_mock/clients", &[], b"").await;
    let f1 = listed
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "s6BhdRkqt3")
        .cloned()
        .unwrap();
    assert_eq!(f1["extra_claims"]["tid"], json!({"from_param": "tenant"}));

    let refused = put(
        "/_mock/clients/s6BhdRkqt3/extra_claims",
        r#"{"iss":"https://evil.example"}"#,
    )
    .await;
    assert_eq!(
        (refused.status, refused.error()),
        (400, "invalid_request".to_owned())
    );
    assert_eq!(
        refused.json()["error_description"],
        "clients[s6BhdRkqt3].extra_claims.iss: is set by the mock and cannot be overridden"
    );
    // The refused replacement left the claims as they were.
    let claims = f1_claims(&server, "grant_type=client_credentials&tenant=t-8").await;
    assert_eq!(claims["tid"], "t-8");
    assert_eq!(claims["iss"], server.url());

    let unknown = put("/_mock/clients/nobody/extra_claims", "{}").await;
    assert_eq!(unknown.status, 404);
    let not_json = put("/_mock/clients/s6BhdRkqt3/extra_claims", "[1]").await;
    assert_eq!(
        (not_json.status, not_json.error()),
        (400, "invalid_request".to_owned())
    );
}

#[tokio::test]
async fn set_extra_claims_names_an_unknown_client_and_a_reserved_claim() {
    let server = MockServer::start().await.unwrap();
    let claims = |name: &str| BTreeMap::from([(name.to_owned(), ExtraClaim::Fixed(json!("x")))]);
    assert!(matches!(
        server.set_extra_claims("nobody", claims("tid")),
        Err(Error::UnknownClient { id }) if id == "nobody"
    ));
    let error = server
        .set_extra_claims("s6BhdRkqt3", claims("exp"))
        .unwrap_err();
    assert!(
        matches!(&error, Error::Config(e) if e.field == "clients[s6BhdRkqt3].extra_claims.exp"),
        "{error:?}"
    );
    server
        .set_extra_claims("s6BhdRkqt3", claims("sub"))
        .unwrap();
    let claims = f1_claims(&server, "grant_type=client_credentials").await;
    assert_eq!(claims["sub"], "x");
    // A reset brings the configured registration back.
    server.reset();
    let claims = f1_claims(&server, "grant_type=client_credentials").await;
    assert_eq!(claims["sub"], "s6BhdRkqt3");
}

#[test]
fn a_registration_built_in_code_with_a_reserved_claim_does_not_validate() {
    let client = ClientRegistration::new("svc", "s3cret")
        .with_extra_claim("client_id", ExtraClaim::Fixed(json!("other")));
    let error = client.validate().unwrap_err();
    assert_eq!(error.field, "clients[svc].extra_claims.client_id");
}
