//! Client authentication by signed assertion (RFC 7523, issue 12, checklist
//! A7): what `TokenManager` sends to the mock for `private_key_jwt` and
//! `client_secret_jwt`, captured at the transport and verified with
//! `jsonwebtoken` (an independent JOSE implementation) against the public
//! keys openssl wrote.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_core::form::Form;
use auth_core::jose::{Algorithm, AssertionAudience, CLIENT_ASSERTION_TYPE_JWT_BEARER};
use auth_core::{Client, ClientAuthMethod, ClientCredentials, Issuer, TokenRequest, TokenUrl};
use auth_http::{
    AssertionSigner as _, Error, HyperTransport, PrivateKeySigner, RetryPolicy, TokenManager,
    Transport as _, from_fn,
};
use jsonwebtoken::{DecodingKey, Validation};
use mock_server::{Fault, FaultRule, MockServer};
use serde_json::Value;

const ID: &str = "s6BhdRkqt3";
const SECRET: &str = "gX1fBat3bV";

fn key_file(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keys")
        .join(name)
}

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(key_file(name)).unwrap()
}

/// The form bodies of every request the manager sent, in order.
type Sent = Arc<Mutex<Vec<Vec<u8>>>>;

/// A manager whose transport records each request body before sending it
/// to the mock.
fn recording_manager(client: Client, signer: Option<PrivateKeySigner>) -> (TokenManager, Sent) {
    let sent: Sent = Arc::default();
    let record = Arc::clone(&sent);
    let hyper = Arc::new(HyperTransport::new().unwrap());
    let transport = from_fn(move |request: http::Request<Vec<u8>>| {
        record.lock().unwrap().push(request.body().clone());
        let hyper = Arc::clone(&hyper);
        async move { hyper.send(request).await }
    });
    let mut builder = TokenManager::builder(client, transport).retry(
        RetryPolicy::default()
            .with_max_attempts(3)
            .with_initial_backoff(Duration::from_millis(10)),
    );
    if let Some(signer) = signer {
        builder = builder.signer(signer);
    }
    (builder.build(), sent)
}

fn assertions(sent: &Sent) -> Vec<String> {
    sent.lock()
        .unwrap()
        .iter()
        .map(|body| {
            let form = Form::parse(body, 32).unwrap();
            // C-64: one method, one assertion.
            assert_eq!(
                form.get("client_assertion_type"),
                Some(CLIENT_ASSERTION_TYPE_JWT_BEARER)
            );
            assert_eq!(form.count("client_assertion"), 1);
            assert_eq!(form.get("client_secret"), None);
            form.get("client_assertion").unwrap().to_owned()
        })
        .collect()
}

/// Verifies `token` with jsonwebtoken: signature, `alg`, `iss`, `sub`,
/// `aud`, `exp`; returns the claims.
fn verify(token: &str, key: &DecodingKey, alg: jsonwebtoken::Algorithm, aud: &str) -> Value {
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[ID]);
    validation.sub = Some(ID.to_owned());
    validation.set_audience(&[aud]);
    validation.set_required_spec_claims(&["iss", "sub", "aud", "exp", "iat", "jti"]);
    jsonwebtoken::decode::<Value>(token, key, &validation)
        .unwrap()
        .claims
}

fn private_key_client(server: &MockServer, signer: &PrivateKeySigner) -> Client {
    Client::new(
        TokenUrl::parse(&server.token_url()).unwrap(),
        ClientCredentials::private_key_jwt(ID, signer.key().clone()),
    )
}

#[tokio::test]
async fn private_key_jwt_signs_each_algorithm_verifiably_and_retries_with_a_fresh_jti_c64_c69() {
    let server = MockServer::start().await.unwrap();
    let cases = [
        (
            "rs256.pem",
            "rs256.pub.pem",
            Algorithm::Rs256,
            jsonwebtoken::Algorithm::RS256,
        ),
        (
            "es256.pem",
            "es256.pub.pem",
            Algorithm::Es256,
            jsonwebtoken::Algorithm::ES256,
        ),
        (
            "eddsa.pem",
            "eddsa.pub.pem",
            Algorithm::EdDsa,
            jsonwebtoken::Algorithm::EdDSA,
        ),
    ];
    for (private, public, alg, jwt_alg) in cases {
        let signer = PrivateKeySigner::from_file(key_file(private))
            .unwrap()
            .with_kid("k-1")
            .expect_alg(alg)
            .unwrap();
        let client = private_key_client(&server, &signer);
        let (manager, sent) = recording_manager(client, Some(signer));
        // The first attempt gets a 503: the retry must carry a new assertion.
        server.push_fault(FaultRule::new(Fault::Status(503)).times(1));
        let _ = manager.token().await;
        let sent = assertions(&sent);
        assert_eq!(sent.len(), 2, "{alg}: one attempt and one retry");
        let public = pem(public);
        let key = match alg {
            Algorithm::Rs256 => DecodingKey::from_rsa_pem(&public),
            Algorithm::Es256 => DecodingKey::from_ec_pem(&public),
            _ => DecodingKey::from_ed_pem(&public),
        }
        .unwrap();
        let claims: Vec<Value> = sent
            .iter()
            .map(|token| verify(token, &key, jwt_alg, &server.token_url()))
            .collect();
        // C-68: a fresh jti per attempt, retries included.
        assert_ne!(claims[0]["jti"], claims[1]["jti"], "{alg}");
        for claims in &claims {
            // C-67: a one-minute lifetime.
            assert_eq!(
                claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
                60
            );
        }
        let header = jsonwebtoken::decode_header(&sent[0]).unwrap();
        assert_eq!(header.kid.as_deref(), Some("k-1"));
        assert_eq!(header.alg, jwt_alg);
    }
}

#[tokio::test]
async fn client_secret_jwt_signs_hs256_with_the_secret_and_never_sends_it() {
    let server = MockServer::start().await.unwrap();
    let client = Client::new(
        TokenUrl::parse(&server.token_url()).unwrap(),
        ClientCredentials::new(ID, SECRET).with_auth_method(ClientAuthMethod::ClientSecretJwt),
    );
    let (manager, sent) = recording_manager(client, None);
    let _ = manager.token().await;
    let bodies = sent.lock().unwrap().clone();
    for body in &bodies {
        assert!(!String::from_utf8_lossy(body).contains(SECRET));
    }
    let sent = assertions(&sent);
    assert!(!sent.is_empty());
    let key = DecodingKey::from_secret(SECRET.as_bytes()).unwrap();
    let claims = verify(
        &sent[0],
        &key,
        jsonwebtoken::Algorithm::HS256,
        &server.token_url(),
    );
    assert!(claims["jti"].as_str().is_some_and(|jti| jti.len() >= 22));
}

#[tokio::test]
async fn assertion_audience_is_the_issuer_when_known_else_the_token_endpoint_c66() {
    let server = MockServer::start().await.unwrap();
    let signer = || PrivateKeySigner::from_pem(&pem("es256.pem")).unwrap();
    let key = DecodingKey::from_ec_pem(&pem("es256.pub.pem")).unwrap();
    let issuer = Issuer::parse(&server.url()).unwrap();
    for (choice, expected) in [
        (AssertionAudience::IssuerWhenKnown, server.url()),
        (AssertionAudience::TokenEndpoint, server.token_url()),
    ] {
        let request = TokenRequest::new(
            TokenUrl::parse(&server.token_url()).unwrap(),
            ClientCredentials::private_key_jwt(ID, signer().key().clone())
                .with_assertion_audience(choice),
        )
        .with_issuer(issuer.clone());
        let (manager, sent) = recording_manager(Client::from_request(request), Some(signer()));
        let _ = manager.token().await;
        let sent = assertions(&sent);
        let claims = verify(&sent[0], &key, jsonwebtoken::Algorithm::ES256, &expected);
        assert_eq!(
            claims["aud"],
            Value::from(expected.as_str()),
            "a single string"
        );
    }
}

#[tokio::test]
async fn a_signer_for_another_key_or_none_at_all_sends_nothing() {
    let server = MockServer::start().await.unwrap();
    let es = PrivateKeySigner::from_pem(&pem("es256.pem")).unwrap();
    let ed = PrivateKeySigner::from_pem(&pem("eddsa.pem")).unwrap();
    let (manager, sent) = recording_manager(private_key_client(&server, &es), Some(ed));
    assert!(matches!(
        manager.token().await.unwrap_err().root(),
        Error::SignerMismatch
    ));
    let (manager, _) = recording_manager(private_key_client(&server, &es), None);
    assert!(matches!(
        manager.token().await.unwrap_err().root(),
        Error::SignerMissing
    ));
    assert!(sent.lock().unwrap().is_empty());
}

#[test]
fn keys_load_from_pem_and_jwk_and_unsupported_ones_are_typed_errors() {
    let es = PrivateKeySigner::from_pem(&pem("es256.pem")).unwrap();
    assert_eq!(es.key().alg(), Algorithm::Es256);
    // The thumbprint (RFC 7638) is the public JWK's, as jsonwebtoken computes it.
    let public: jsonwebtoken::jwk::Jwk = serde_json::from_str(&es.public_jwk().to_json()).unwrap();
    assert_eq!(
        es.key().thumbprint(),
        Some(
            public
                .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
                .unwrap()
                .as_str()
        )
    );
    let jwk = r#"{"kty":"OKP","crv":"Ed25519","kid":"ed-1",
        "d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
        "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    let ed = PrivateKeySigner::from_jwk(jwk.as_bytes()).unwrap();
    assert_eq!(ed.key().kid(), Some("ed-1"));
    assert_eq!(ed.key().alg(), Algorithm::EdDsa);
    let message = |result: Result<PrivateKeySigner, auth_http::KeyError>| {
        result.err().map(|e| e.to_string()).unwrap_or_default()
    };
    insta::assert_snapshot!(message(PrivateKeySigner::from_pem(&pem("es256.sec1.pem"))), @"unsupported key: SEC 1 EC keys are not read: convert to PKCS#8 (openssl pkcs8 -topk8 -nocrypt)");
    insta::assert_snapshot!(message(PrivateKeySigner::from_pem(b"not a key")), @"not a PEM private key");
    insta::assert_snapshot!(message(PrivateKeySigner::from_jwk(br#"{"kty":"oct","k":"c2VjcmV0"}"#)), @"not a usable private JWK");
    // auth-core's parser (shared with the mock) names the member at fault.
    let torn = PrivateKeySigner::from_jwk(
        br#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#,
    )
    .unwrap_err();
    let source = std::error::Error::source(&torn).map(ToString::to_string);
    insta::assert_snapshot!(source.unwrap_or_default(), @"OKP jwk is missing member `d`");
    insta::assert_snapshot!(message(es.expect_alg(Algorithm::Rs256)), @"key of type EC cannot sign RS256");
}

#[test]
fn signers_never_print_key_material() {
    let rs = PrivateKeySigner::from_pem(&pem("rs256.pem")).unwrap();
    let printed = format!("{rs:?}");
    assert!(printed.starts_with("PrivateKeySigner"), "{printed}");
    let body = String::from_utf8(pem("rs256.pem")).unwrap();
    let line = body.lines().nth(2).unwrap();
    assert!(!printed.contains(line));
    let secret = auth_http::SecretSigner::new(SECRET.into());
    assert!(!format!("{secret:?}").contains(SECRET));
}

/// A mock that verifies assertions (t12b's side): one client per
/// algorithm, each registered with the public key openssl wrote, and a
/// `client_secret_jwt` client.
async fn verifying_mock(audience: mock_server::AssertionAudience) -> MockServer {
    use mock_server::{AssertionMethod, ClientKey, ClientRegistration, Config};
    let config = Config {
        assertion_audience: audience,
        ..Config::default()
    };
    let mut builder = MockServer::builder().config(config);
    for (id, public) in [
        ("pk-rs256", "rs256.pub.pem"),
        ("pk-es256", "es256.pub.pem"),
        ("pk-eddsa", "eddsa.pub.pem"),
    ] {
        let pem = String::from_utf8(pem(public)).unwrap();
        builder = builder.client(
            ClientRegistration::new(id, "unused")
                .with_assertion_method(AssertionMethod::PrivateKeyJwt)
                .with_public_key(ClientKey::Text(pem)),
        );
    }
    builder
        .client(
            ClientRegistration::new("cs-hs256", SECRET)
                .with_assertion_method(AssertionMethod::ClientSecretJwt),
        )
        .start()
        .await
        .unwrap()
}

fn manager_for(server: &MockServer, id: &str, private: Option<&str>) -> TokenManager {
    let url = TokenUrl::parse(&server.token_url()).unwrap();
    let retry = RetryPolicy::default().with_initial_backoff(Duration::from_millis(10));
    let builder =
        |creds| TokenManager::builder(Client::new(url, creds), HyperTransport::new().unwrap());
    if let Some(file) = private {
        let signer = PrivateKeySigner::from_file(key_file(file)).unwrap();
        let creds = ClientCredentials::private_key_jwt(id, signer.key().clone());
        builder(creds).signer(signer).retry(retry).build()
    } else {
        let creds =
            ClientCredentials::new(id, SECRET).with_auth_method(ClientAuthMethod::ClientSecretJwt);
        builder(creds).retry(retry).build()
    }
}

#[tokio::test]
async fn each_method_and_algorithm_authenticates_against_the_verifying_mock() {
    let server = verifying_mock(mock_server::AssertionAudience::default()).await;
    for (id, private) in [
        ("pk-rs256", Some("rs256.pem")),
        ("pk-es256", Some("es256.pem")),
        ("pk-eddsa", Some("eddsa.pem")),
        ("cs-hs256", None),
    ] {
        let manager = manager_for(&server, id, private);
        // A retry after a 503, then a second fetch: three assertions, each
        // accepted, so none was a replay of another (S-80, C-68).
        server.push_fault(FaultRule::new(Fault::Status(503)).times(1));
        let first = manager.token().await;
        assert!(first.is_ok(), "{id}: {:?}", first.err());
        manager.invalidate();
        let second = manager.token().await;
        assert!(second.is_ok(), "{id}: {:?}", second.err());
    }
}

#[tokio::test]
async fn a_strict_mock_accepts_the_issuer_audience_and_refuses_the_token_endpoint_c66() {
    let server = verifying_mock(mock_server::AssertionAudience::Issuer).await;
    let signer = || PrivateKeySigner::from_pem(&pem("es256.pem")).unwrap();
    let issuer = Issuer::parse(&server.url()).unwrap();
    for (choice, accepted) in [
        (AssertionAudience::IssuerWhenKnown, true),
        (AssertionAudience::TokenEndpoint, false),
    ] {
        let request = TokenRequest::new(
            TokenUrl::parse(&server.token_url()).unwrap(),
            ClientCredentials::private_key_jwt("pk-es256", signer().key().clone())
                .with_assertion_audience(choice),
        )
        .with_issuer(issuer.clone());
        let manager = TokenManager::builder(
            Client::from_request(request),
            HyperTransport::new().unwrap(),
        )
        .signer(signer())
        .build();
        let result = manager.token().await;
        assert_eq!(result.is_ok(), accepted, "{choice:?}: {:?}", result.err());
        if let Err(error) = result {
            assert!(error.is_provider_rejection());
        }
    }
}
