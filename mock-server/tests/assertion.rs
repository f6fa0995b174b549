//! Client authentication by signed assertion (checklist B13, S-75..S-82),
//! checked with assertions signed by an independent signer: the
//! `jsonwebtoken` crate on the pure-Rust `RustCrypto` crates, which shares
//! no code with the mock's `ring` verifier.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{basic, post_form, token};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use mock_server::{
    AssertionMethod, ClientKey, ClientRegistration, Config, DetectedAuth, JWT_BEARER, MockServer,
};
use serde_json::{Value, json};

const SECRET: &str = "a-client-secret-long-enough-for-hs256-0123456789";
const TYPE: &str = "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keys")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

/// The DER inside a one-block PEM file.
fn der(name: &str) -> Vec<u8> {
    let text = String::from_utf8(read(name)).unwrap();
    let b64: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap()
}

/// The raw key at the end of a `SubjectPublicKeyInfo` PEM.
fn spki_tail(name: &str, len: usize) -> Vec<u8> {
    let der = der(name);
    der[der.len() - len..].to_vec()
}

/// The clients: one per algorithm and key form (PEM file, inline JWK Set,
/// inline PEM), a `client_secret_jwt` client and a Basic one.
fn config(extra: &str) -> Config {
    let point = spki_tail("ec.pub.pem", 64);
    let (x, y) = point.split_at(32);
    let ed_pem = String::from_utf8(read("ed25519.pub.pem")).unwrap();
    let text = format!(
        r#"
{extra}
[[clients]]
id = "pkj-rsa"
auth_method = "private_key_jwt"
scopes = ["read"]
public_keys = ["{rsa}"]

[[clients]]
id = "pkj-ec"
auth_method = "private_key_jwt"
scopes = ["read"]
public_keys = [{{ keys = [{{ kty = "EC", crv = "P-256", kid = "ec-1", x = "{x}", y = "{y}" }}] }}]

[[clients]]
id = "pkj-ed"
auth_method = "private_key_jwt"
scopes = ["read"]
public_keys = ['''{ed_pem}''']

[[clients]]
id = "csj"
secret = "{SECRET}"
auth_method = "client_secret_jwt"
scopes = ["read"]

[[clients]]
id = "basic-svc"
secret = "{SECRET}"
scopes = ["read"]
"#,
        rsa = fixture("rsa.pub.pem").display(),
        x = URL_SAFE_NO_PAD.encode(x),
        y = URL_SAFE_NO_PAD.encode(y),
    );
    Config::from_toml(&text).unwrap()
}

async fn server(extra: &str) -> MockServer {
    MockServer::builder()
        .config(config(extra))
        .start()
        .await
        .unwrap()
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn fresh_jti() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Claims a conforming client sends: `iss` = `sub` = id, `aud` the issuer,
/// 60 s, a fresh `jti`.
fn claims(server: &MockServer, id: &str) -> Value {
    let now = now();
    json!({
        "iss": id, "sub": id, "aud": server.url(),
        "iat": now, "exp": now + 60, "jti": fresh_jti(),
    })
}

/// The signing key and algorithm of each client.
fn key_of(id: &str) -> (Algorithm, EncodingKey) {
    match id {
        "pkj-rsa" | "basic-svc" => (
            Algorithm::RS256,
            EncodingKey::from_rsa_der(&der("rsa-pkcs1.pem")),
        ),
        "pkj-ec" => (
            Algorithm::ES256,
            EncodingKey::from_ec_der(&der("ec-pkcs8.pem")),
        ),
        "pkj-ed" => (
            Algorithm::EdDSA,
            EncodingKey::from_ed_der(&der("ed25519-pkcs8.pem")),
        ),
        _ => (
            Algorithm::HS256,
            EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
        ),
    }
}

fn sign(id: &str, kid: Option<&str>, claims: &Value) -> String {
    let (alg, key) = key_of(id);
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, &key).unwrap()
}

fn form(assertion: &str) -> String {
    format!(
        "grant_type=client_credentials&client_assertion_type={TYPE}&client_assertion={assertion}"
    )
}

#[tokio::test]
async fn every_algorithm_authenticates_with_its_key_as_pem_file_jwk_set_inline_pem_or_secret() {
    let server = server("").await;
    for (id, kid) in [
        ("pkj-rsa", None),
        ("pkj-ec", Some("ec-1")),
        ("pkj-ed", None),
        ("csj", None),
    ] {
        let assertion = sign(id, kid, &claims(&server, id));
        let response = token(&server, &[], &form(&assertion)).await;
        assert_eq!(response.status, 200, "{id}: {}", response.text());
        assert!(response.json()["access_token"].is_string());
        let entry = server.journal().pop().unwrap();
        assert_eq!(entry.client_id.as_deref(), Some(id));
        assert_eq!(entry.auth_method, Some(DetectedAuth::Assertion));
        // The journal shows the decoded header and claims, never the
        // assertion or its signature.
        let shown = entry.client_assertion.clone().unwrap();
        assert_eq!(shown["claims"]["sub"], id);
        assert!(shown["header"]["alg"].is_string());
        let signature = assertion.rsplit('.').next().unwrap();
        let journal = serde_json::to_string(&entry).unwrap();
        assert!(!journal.contains(signature), "{id}: {journal}");
    }
    // `client_id` may come too, when it is the assertion's `sub`.
    let assertion = sign("csj", None, &claims(&server, "csj"));
    let body = format!("{}&client_id=csj", form(&assertion));
    assert_eq!(token(&server, &[], &body).await.status, 200);
}

/// A broken assertion and the rule its refusal must name.
struct Broken {
    what: &'static str,
    body: String,
    rule: &'static str,
}

#[expect(clippy::too_many_lines, reason = "one table of every broken assertion")]
fn broken(server: &MockServer) -> Vec<Broken> {
    let case = |what, body: String, rule| Broken { what, body, rule };
    let with = |id: &str, change: &dyn Fn(&mut Value)| {
        let mut c = claims(server, id);
        change(&mut c);
        c
    };
    let pkj = |change: &dyn Fn(&mut Value)| form(&sign("pkj-rsa", None, &with("pkj-rsa", change)));
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let good = claims(server, "pkj-rsa");
    let none = format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&good));
    let none_signed = format!("{}.{}.c2ln", b64(&json!({"alg": "none"})), b64(&good));
    // Algorithm confusion: HS256 keyed with the client's public key.
    let confused = encode(
        &Header::new(Algorithm::HS256),
        &good,
        &EncodingKey::from_secret(&read("rsa.pub.pem")).unwrap(),
    )
    .unwrap();
    let foreign = encode(
        &Header::new(Algorithm::RS256),
        &good,
        &EncodingKey::from_rsa_der(&der("other-rsa-pkcs1.pem")),
    )
    .unwrap();
    let now = now();
    vec![
        case(
            "no client_assertion_type",
            format!(
                "grant_type=client_credentials&client_assertion={}",
                sign("pkj-rsa", None, &claims(server, "pkj-rsa"))
            ),
            "S-75",
        ),
        case(
            "another client_assertion_type",
            format!(
                "grant_type=client_credentials&client_assertion_type=urn%3Aother&client_assertion={}",
                sign("pkj-rsa", None, &claims(server, "pkj-rsa"))
            ),
            "S-75",
        ),
        case(
            "a Basic client uses an assertion",
            form(&sign("basic-svc", None, &claims(server, "basic-svc"))),
            "S-75",
        ),
        case("alg none, empty signature", form(&none), "S-76"),
        case("alg none with a signature", form(&none_signed), "S-76"),
        case("HS256 keyed with the public key", form(&confused), "S-76"),
        case(
            "RS256 for a client_secret_jwt client",
            form(&sign("pkj-rsa", None, &claims(server, "csj"))),
            "S-76",
        ),
        case("signed by another key", form(&foreign), "S-76"),
        case(
            "an unknown kid",
            form(&sign("pkj-rsa", Some("nope"), &claims(server, "pkj-rsa"))),
            "S-76",
        ),
        case(
            "another client's secret",
            form(&{
                let key =
                    EncodingKey::from_secret(b"not-the-secret-of-csj-0123456789abcdef").unwrap();
                encode(&Header::new(Algorithm::HS256), &claims(server, "csj"), &key).unwrap()
            }),
            "S-76",
        ),
        case("not a JWS", form("abc.def"), "S-76"),
        case(
            "iss is not the client",
            pkj(&|c| c["iss"] = json!("someone-else")),
            "S-77",
        ),
        case(
            "sub is not the client",
            format!(
                "{}&client_id=pkj-rsa",
                pkj(&|c| c["sub"] = json!("someone-else"))
            ),
            "S-77",
        ),
        case(
            "client_id differs from sub",
            format!("{}&client_id=pkj-ec", pkj(&|_| {})),
            "S-76",
        ),
        case(
            "an unknown client",
            form(&sign("pkj-rsa", None, &claims(server, "ghost"))),
            "S-77",
        ),
        case(
            "aud is another server",
            pkj(&|c| c["aud"] = json!("https://other.example")),
            "S-78",
        ),
        case(
            "aud is missing",
            pkj(&|c| {
                c.as_object_mut().unwrap().remove("aud");
            }),
            "S-78",
        ),
        case(
            "exp is missing",
            pkj(&|c| {
                c.as_object_mut().unwrap().remove("exp");
            }),
            "S-79",
        ),
        case(
            "exp is past the leeway",
            pkj(&|c| c["exp"] = json!(now - 61)),
            "S-79",
        ),
        case(
            "exp is too far ahead",
            pkj(&|c| c["exp"] = json!(now + 400)),
            "S-79",
        ),
        case(
            "nbf is in the future",
            pkj(&|c| c["nbf"] = json!(now + 120)),
            "S-79",
        ),
        case(
            "iat is in the future",
            pkj(&|c| c["iat"] = json!(now + 120)),
            "S-79",
        ),
        case(
            "exp is a string",
            pkj(&|c| c["exp"] = json!("soon")),
            "S-79",
        ),
        case(
            "jti is missing",
            pkj(&|c| {
                c.as_object_mut().unwrap().remove("jti");
            }),
            "S-80",
        ),
    ]
}

#[tokio::test]
async fn every_broken_assertion_is_refused_invalid_client_with_a_finding_naming_its_rule() {
    // Without the brute-force lockout, which would answer 429 after ten.
    let server = server("lockout_failures = 0\nlockout_spray_failures = 0").await;
    for case in broken(&server) {
        let response = token(&server, &[], &case.body).await;
        response.assert_oauth_error(401, "invalid_client");
        // S-81: the answer never echoes the assertion.
        let assertion = case.body.rsplit("client_assertion=").next().unwrap();
        let head = assertion.split('.').next().unwrap();
        assert!(!response.text().contains(head), "{}", case.what);
        let entry = server.journal().pop().unwrap();
        let reason = entry.reason.unwrap_or_default();
        assert!(
            reason.contains(case.rule) && reason.contains("RFC"),
            "{}: {reason}",
            case.what
        );
    }
}

#[tokio::test]
async fn a_replayed_jti_is_refused_at_the_token_and_introspection_endpoints() {
    let server = server("").await;
    let assertion = sign("pkj-ed", None, &claims(&server, "pkj-ed"));
    assert_eq!(token(&server, &[], &form(&assertion)).await.status, 200);
    let again = token(&server, &[], &form(&assertion)).await;
    again.assert_oauth_error(401, "invalid_client");
    let reason = server.journal().pop().unwrap().reason.unwrap();
    assert!(
        reason.contains("replay") && reason.contains("S-80"),
        "{reason}"
    );
    // The same jti at another endpoint is a replay too.
    let introspect = post_form(
        &server,
        "/introspect",
        &[],
        &format!("token=x&{}", form(&assertion)),
    )
    .await;
    assert_eq!(introspect.status, 401);
}

#[tokio::test]
async fn a_full_replay_cache_refuses_new_assertions_rather_than_forgetting() {
    let server = server("assertion_replay_capacity = 1").await;
    let first = sign("csj", None, &claims(&server, "csj"));
    assert_eq!(token(&server, &[], &form(&first)).await.status, 200);
    let second = sign("csj", None, &claims(&server, "csj"));
    token(&server, &[], &form(&second))
        .await
        .assert_oauth_error(401, "invalid_client");
    let reason = server.journal().pop().unwrap().reason.unwrap();
    assert!(
        reason.contains("full") && reason.contains("S-80"),
        "{reason}"
    );
    // Once the first has expired (exp + leeway), there is room again.
    server.advance_clock(std::time::Duration::from_secs(125));
    let mut late = claims(&server, "csj");
    late["exp"] = json!(now() + 125 + 60);
    late["iat"] = json!(now() + 125);
    assert_eq!(
        token(&server, &[], &form(&sign("csj", None, &late)))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn the_token_endpoint_url_is_an_audience_unless_the_strict_option_is_set() {
    let lenient = server("").await;
    for aud in [
        json!(format!("{}/token", lenient.url())),
        json!([lenient.url(), "https://other.example"]),
    ] {
        let mut c = claims(&lenient, "pkj-ec");
        c["aud"] = aud.clone();
        let response = token(&lenient, &[], &form(&sign("pkj-ec", Some("ec-1"), &c))).await;
        assert_eq!(response.status, 200, "{aud}: {}", response.text());
    }
    let strict = server(r#"assertion_audience = "issuer""#).await;
    for aud in [
        json!(format!("{}/token", strict.url())),
        json!([strict.url()]),
    ] {
        let mut c = claims(&strict, "pkj-ec");
        c["aud"] = aud.clone();
        token(&strict, &[], &form(&sign("pkj-ec", Some("ec-1"), &c)))
            .await
            .assert_oauth_error(401, "invalid_client");
        let reason = strict.journal().pop().unwrap().reason.unwrap();
        assert!(reason.contains("S-78"), "{aud}: {reason}");
    }
    let c = claims(&strict, "pkj-ec");
    let response = token(&strict, &[], &form(&sign("pkj-ec", Some("ec-1"), &c))).await;
    assert_eq!(response.status, 200, "{}", response.text());
}

#[tokio::test]
async fn the_registered_method_is_enforced_and_one_method_only() {
    let server = server("").await;
    // The client_secret_jwt client's secret does not work as Basic or post.
    let basic_auth = basic("csj", SECRET);
    token(
        &server,
        &[("authorization", &basic_auth)],
        "grant_type=client_credentials",
    )
    .await
    .assert_oauth_error(401, "invalid_client");
    let post = format!("grant_type=client_credentials&client_id=csj&client_secret={SECRET}");
    token(&server, &[], &post)
        .await
        .assert_oauth_error(401, "invalid_client");
    // An assertion next to Basic: two methods.
    let assertion = sign("csj", None, &claims(&server, "csj"));
    token(
        &server,
        &[("authorization", &basic_auth)],
        &form(&assertion),
    )
    .await
    .assert_oauth_error(400, "invalid_request");
    let both = format!("{}&client_secret={SECRET}&client_id=csj", form(&assertion));
    token(&server, &[], &both)
        .await
        .assert_oauth_error(400, "invalid_request");
}

#[tokio::test]
async fn metadata_lists_the_assertion_methods_and_the_algorithms_enforced() {
    let server = server("").await;
    let response = common::request(
        &server,
        "GET",
        "/.well-known/oauth-authorization-server",
        &[],
        b"",
    )
    .await;
    let metadata = response.json();
    let methods = &metadata["token_endpoint_auth_methods_supported"];
    for method in [
        "private_key_jwt",
        "client_secret_jwt",
        "client_secret_basic",
    ] {
        assert!(
            methods.as_array().unwrap().contains(&json!(method)),
            "{methods}"
        );
    }
    assert_eq!(
        metadata["token_endpoint_auth_signing_alg_values_supported"],
        json!(["RS256", "ES256", "EdDSA", "HS256"])
    );
    // Without assertion clients, neither is claimed.
    let plain = MockServer::builder().start().await.unwrap();
    let response = common::request(
        &plain,
        "GET",
        "/.well-known/oauth-authorization-server",
        &[],
        b"",
    )
    .await;
    let metadata = response.json();
    assert!(
        metadata
            .get("token_endpoint_auth_signing_alg_values_supported")
            .is_none()
    );
    let methods = metadata["token_endpoint_auth_methods_supported"].to_string();
    assert!(!methods.contains("jwt"), "{methods}");
}

#[tokio::test]
async fn a_client_registered_through_the_admin_api_with_a_jwk_authenticates() {
    let server = MockServer::builder().start().await.unwrap();
    let x = spki_tail("ed25519.pub.pem", 32);
    server
        .add_client(
            ClientRegistration::public("late")
                .with_scopes(["read"])
                .with_assertion_method(AssertionMethod::PrivateKeyJwt)
                .with_public_key(ClientKey::Json(
                    json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(&x)})
                        .as_object()
                        .unwrap()
                        .clone(),
                )),
        )
        .unwrap();
    let mut c = claims(&server, "late");
    c["iss"] = json!("late");
    c["sub"] = json!("late");
    let (alg, key) = key_of("pkj-ed");
    let assertion = encode(&Header::new(alg), &c, &key).unwrap();
    let response = token(&server, &[], &form(&assertion)).await;
    assert_eq!(response.status, 200, "{}", response.text());
    // Over HTTP, as JSON: a JWK Set.
    let body = json!({
        "id": "late-2", "auth_method": "private_key_jwt", "scopes": ["read"],
        "public_keys": [{"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "k", "x": URL_SAFE_NO_PAD.encode(&x)}]}],
    })
    .to_string();
    let added = common::request(
        &server,
        "POST",
        "/_mock/clients",
        &[("content-type", "application/json")],
        body.as_bytes(),
    )
    .await;
    assert!(added.status < 300, "{}", added.text());
    let mut c = claims(&server, "late-2");
    c["aud"] = json!(format!("{}/token", server.url()));
    let mut header = Header::new(alg);
    header.kid = Some("k".into());
    let response = token(&server, &[], &form(&encode(&header, &c, &key).unwrap())).await;
    assert_eq!(response.status, 200, "{}", response.text());
}

#[test]
fn a_private_key_jwt_client_without_keys_or_with_a_bad_key_is_a_config_error() {
    for (text, field) in [
        (
            "[[clients]]\nid = \"x\"\nauth_method = \"private_key_jwt\"\n",
            "clients[x].public_keys",
        ),
        (
            "[[clients]]\nid = \"x\"\nauth_method = \"client_secret_jwt\"\n",
            "clients[x].secret",
        ),
        (
            "[[clients]]\nid = \"x\"\nauth_method = \"private_key_jwt\"\npublic_keys = [{ kty = \"oct\", k = \"AA\" }]\n",
            "clients[x].public_keys[0]",
        ),
        (
            "[[clients]]\nid = \"x\"\nsecret = \"s\"\npublic_keys = [\"/nonexistent.pem\"]\n",
            "clients[x].public_keys[0]",
        ),
        (
            "[[clients]]\nid = \"x\"\nauth_method = \"private_jwt\"\n",
            "private_key_jwt",
        ),
    ] {
        let err = Config::from_toml(text).unwrap_err().to_string();
        assert!(err.contains(field), "{text}: {err}");
    }
    assert_eq!(
        JWT_BEARER,
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
}

#[tokio::test]
async fn our_client_authenticates_with_each_method_and_algorithm() {
    use auth_http::AssertionSigner as _;
    let server = server("").await;
    let url = auth_core::TokenUrl::parse(&format!("{}/token", server.url())).unwrap();
    let transport = auth_http::HyperTransport::new().unwrap();
    for (id, file, kid) in [
        ("pkj-rsa", "rsa-pkcs1.pem", None),
        ("pkj-ec", "ec-pkcs8.pem", Some("ec-1")),
        ("pkj-ed", "ed25519-pkcs8.pem", None),
    ] {
        let mut signer = auth_http::PrivateKeySigner::from_file(fixture(file)).unwrap();
        if let Some(kid) = kid {
            signer = signer.with_kid(kid);
        }
        let credentials = auth_core::ClientCredentials::private_key_jwt(id, signer.key().clone())
            .with_scopes([auth_core::Scope::new("read").unwrap()]);
        let client = auth_core::Client::new(url.clone(), credentials);
        let token = auth_http::request_token_signed(
            &client,
            &transport,
            &auth_core::SystemClock,
            Some(&signer),
        )
        .await;
        assert!(token.is_ok(), "{id}: {token:?}");
        let entry = server.journal().pop().unwrap();
        assert_eq!(entry.auth_method, Some(DetectedAuth::Assertion), "{id}");
    }
    let credentials = auth_core::ClientCredentials::new("csj", SECRET)
        .with_auth_method(auth_core::ClientAuthMethod::ClientSecretJwt)
        .with_scopes([auth_core::Scope::new("read").unwrap()]);
    let client = auth_core::Client::new(url, credentials);
    let token =
        auth_http::request_token_signed(&client, &transport, &auth_core::SystemClock, None).await;
    assert!(token.is_ok(), "csj: {token:?}");
}
