//! RFC 9068 JWT access tokens (B9), checked by an independent verifier:
//! the `jsonwebtoken` crate on the pure-Rust `RustCrypto` crates, which shares no code with
//! the mock's `ring`. Like a resource server configured with an issuer
//! URL, each test fetches the discovery document, then the JWKS it names,
//! over HTTP, and validates the mock's tokens with them.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use auth_core::jose::Algorithm;
use auth_http::Transport as _;
use common::{F1_BASIC, f1_access_token, f1_token, post_form};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};
use mock_server::{ClientRegistration, Config, Keys, MockServer, TokenFormat};
use serde_json::Value;

/// What a resource server learns from the issuer URL.
struct Discovered {
    issuer: String,
    jwks: JwkSet,
    jwks_response: http::Response<Vec<u8>>,
    metadata: Value,
}

async fn get(url: &str) -> http::Response<Vec<u8>> {
    let request = http::Request::get(url).body(Vec::new()).unwrap();
    auth_http::HyperTransport::new()
        .unwrap()
        .send(request)
        .await
        .unwrap()
}

/// OIDC discovery, then the JWKS at its `jwks_uri`.
async fn discover(issuer: &str) -> Discovered {
    let response = get(&format!("{issuer}/.well-known/openid-configuration")).await;
    assert_eq!(response.status(), 200);
    let metadata: Value = serde_json::from_slice(response.body()).unwrap();
    let jwks_uri = metadata["jwks_uri"].as_str().unwrap();
    let jwks_response = get(jwks_uri).await;
    assert_eq!(jwks_response.status(), 200);
    Discovered {
        issuer: metadata["issuer"].as_str().unwrap().to_owned(),
        jwks: serde_json::from_slice(jwks_response.body()).unwrap(),
        jwks_response,
        metadata,
    }
}

/// Validates `token` as a resource server whose identifier is `audience`
/// does: `typ`, the `kid`'s key from the JWKS, the algorithm that key is
/// for, signature, `iss`, `aud`, `exp`, and every RFC 9068 claim present.
fn verify(found: &Discovered, token: &str, audience: &str) -> Result<Value, String> {
    let header = decode_header(token).map_err(|e| e.to_string())?;
    let typ = header.typ.clone().unwrap_or_default();
    if !typ.eq_ignore_ascii_case("at+jwt") {
        return Err(format!("typ {typ}"));
    }
    let kid = header.kid.as_deref().ok_or("no kid")?;
    let jwk = found
        .jwks
        .find(kid)
        .ok_or(format!("kid {kid} not in the JWKS"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let alg = jwk
        .common
        .key_algorithm
        .ok_or("jwk without alg")?
        .to_string()
        .parse()
        .map_err(|e: jsonwebtoken::errors::Error| e.to_string())?;
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[&found.issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["iss", "sub", "aud", "exp", "iat", "jti"]);
    let data = decode::<Value>(token, &key, &validation).map_err(|e| e.to_string())?;
    Ok(data.claims)
}

async fn server_with(alg: Algorithm) -> MockServer {
    MockServer::builder()
        .signing_alg(alg)
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn s57_a_token_of_each_algorithm_verifies_through_discovery_and_jwks_rfc9068() {
    for alg in Algorithm::ASYMMETRIC {
        let server = server_with(alg).await;
        let response = f1_token(&server, "grant_type=client_credentials&scope=read write").await;
        assert_eq!(response.status, 200, "{}", response.text());
        let body = response.json();
        let token = body["access_token"].as_str().unwrap();
        let found = discover(&server.url()).await;
        let claims = verify(&found, token, &server.resource_url()).unwrap();
        let header = decode_header(token).unwrap();
        assert_eq!(format!("{:?}", header.alg), alg.as_str());
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(header.kid.as_deref(), Some(server.signing_kid().as_str()));
        // S-55: `iss` is the metadata issuer byte for byte.
        assert_eq!(claims["iss"], server.url());
        assert_eq!(found.issuer, server.url());
        assert_eq!(claims["sub"], "s6BhdRkqt3");
        assert_eq!(claims["client_id"], "s6BhdRkqt3");
        assert_eq!(claims["scope"], "read write");
        // S-59: no `resource`: the mock's own protected resource.
        assert_eq!(claims["aud"], server.resource_url());
        // S-57: `exp - iat == expires_in`.
        let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
        assert_eq!(Some(lifetime), body["expires_in"].as_i64());
        assert_eq!(claims["jti"].as_str().unwrap().len(), 32);
        // The same token works at the mock's resource and introspects active.
        let answer = resource(&server, token).await;
        assert_eq!(answer.status, 200, "{alg}: {}", answer.text());
        assert_eq!(introspect(&server, token).await["active"], true);
    }
}

#[tokio::test]
async fn every_token_gets_its_own_jti() {
    let server = MockServer::start().await.unwrap();
    let found = discover(&server.url()).await;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..20 {
        let token = f1_access_token(&server, "read").await;
        let claims = verify(&found, &token, &server.resource_url()).unwrap();
        assert!(seen.insert(claims["jti"].as_str().unwrap().to_owned()));
    }
}

#[tokio::test]
async fn s59_aud_is_the_requested_resource_else_the_default_audience_rfc8707() {
    let api = "https://api.example.com/";
    let server = MockServer::builder().resource(api).start().await.unwrap();
    let found = discover(&server.url()).await;
    let response = f1_token(
        &server,
        "grant_type=client_credentials&scope=read&resource=https%3A%2F%2Fapi.example.com%2F",
    )
    .await;
    let token = response.json()["access_token"].as_str().unwrap().to_owned();
    let claims = verify(&found, &token, api).unwrap();
    assert_eq!(claims["aud"], api);
    // Not for the mock's own resource: refused there, and by a verifier
    // that is that resource.
    assert!(verify(&found, &token, &server.resource_url()).is_err());
    assert_eq!(resource(&server, &token).await.status, 401);

    let configured = MockServer::builder()
        .default_audience(api)
        .start()
        .await
        .unwrap();
    let token = f1_access_token(&configured, "read").await;
    let found = discover(&configured.url()).await;
    assert_eq!(verify(&found, &token, api).unwrap()["aud"], api);
}

#[tokio::test]
async fn a_token_signed_before_rotation_verifies_during_the_grace_and_not_after_a_rotation_without_grace()
 {
    for alg in Algorithm::ASYMMETRIC {
        let server = server_with(alg).await;
        let before = f1_access_token(&server, "read").await;
        let old_kid = server.signing_kid();
        let new_kid = server.rotate_signing_key(Duration::from_secs(300)).unwrap();
        assert_ne!(old_kid, new_kid);
        let after = f1_access_token(&server, "read").await;
        let found = discover(&server.url()).await;
        assert_eq!(found.jwks.keys.len(), 2, "{alg}: old key still published");
        verify(&found, &before, &server.resource_url()).unwrap();
        let claims = verify(&found, &after, &server.resource_url()).unwrap();
        assert_eq!(claims["client_id"], "s6BhdRkqt3");
        assert_eq!(
            decode_header(&after).unwrap().kid.as_deref(),
            Some(new_kid.as_str())
        );
        assert_eq!(resource(&server, &before).await.status, 200);

        // The grace ends on the mock clock.
        server.advance_clock(Duration::from_secs(300));
        let found = discover(&server.url()).await;
        assert!(found.jwks.find(&old_kid).is_none());
        assert!(verify(&found, &before, &server.resource_url()).is_err());

        // Grace 0: the signer of `after` leaves the JWKS at once.
        server.rotate_signing_key(Duration::ZERO).unwrap();
        let found = discover(&server.url()).await;
        assert_eq!(found.jwks.keys.len(), 1);
        let refused = verify(&found, &after, &server.resource_url()).unwrap_err();
        assert!(refused.contains("not in the JWKS"), "{refused}");
        assert_eq!(resource(&server, &after).await.status, 401);
        assert_eq!(introspect(&server, &after).await["active"], false);
    }
}

#[tokio::test]
async fn rotation_through_the_admin_api_lists_both_keys_until_the_grace_ends() {
    let server = server_with(Algorithm::Es256).await;
    let admin = |method: &'static str, path: &'static str, body: &'static str| {
        let server = &server;
        async move {
            common::request(
                server,
                method,
                path,
                &[("content-type", "application/json")],
                body.as_bytes(),
            )
            .await
        }
    };
    let keys = admin("GET", "/_mock/keys", "").await.json();
    assert_eq!(keys["signing_alg"], "ES256");
    assert_eq!(keys["embedded_development_key"], true);
    assert_eq!(keys["keys"][0]["kid"], "mock-dev-es256");
    let rotated = admin("POST", "/_mock/keys/rotate", r#"{"grace_seconds":60}"#).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    let rotated = rotated.json();
    assert_eq!(rotated["embedded_development_key"], false);
    assert_eq!(rotated["keys"][0]["signing"], true);
    assert_eq!(rotated["keys"][1]["kid"], "mock-dev-es256");
    assert!(rotated["keys"][1]["published_until"].is_string());
    assert!(
        rotated["keys"][0]["jwk"].get("d").is_none(),
        "public keys only"
    );
    let bad = admin("POST", "/_mock/keys/rotate", r#"{"grace":60}"#).await;
    assert_eq!(bad.status, 400);
    assert_eq!(admin("DELETE", "/_mock/keys", "").await.status, 405);
    // Reset: back to the key the server started with.
    server.reset();
    assert_eq!(server.signing_kid(), "mock-dev-es256");
}

#[tokio::test]
async fn generated_keys_verify_and_differ_per_server() {
    for alg in Algorithm::ASYMMETRIC {
        let a = MockServer::builder()
            .signing_alg(alg)
            .keys(Keys::Generate)
            .start()
            .await
            .unwrap();
        let b = MockServer::builder()
            .signing_alg(alg)
            .keys(Keys::Generate)
            .start()
            .await
            .unwrap();
        assert_ne!(a.signing_kid(), b.signing_kid());
        assert!(!a.signing_kid().starts_with("mock-dev"));
        let token = f1_access_token(&a, "read").await;
        verify(&discover(&a.url()).await, &token, &a.resource_url()).unwrap();
        // Another server's keys do not verify it.
        let mut found = discover(&b.url()).await;
        found.issuer = a.url();
        assert!(verify(&found, &token, &a.resource_url()).is_err());
    }
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keys")
        .join(name)
}

#[tokio::test]
async fn keys_loaded_from_pem_and_jwk_files_sign_verifiable_tokens() {
    for (alg, file, kid) in [
        (Algorithm::Rs256, "rsa-pkcs1.pem", None),
        (Algorithm::Es256, "ec-pkcs8.pem", None),
        (Algorithm::EdDsa, "ed25519-pkcs8.pem", None),
        (Algorithm::Rs256, "rsa.jwk.json", Some("file-rsa")),
        (Algorithm::Es256, "ec.jwk.json", Some("file-es256")),
        (Algorithm::EdDsa, "ed25519.jwk.json", Some("file-eddsa")),
    ] {
        let server = MockServer::builder()
            .signing_alg(alg)
            .keys(Keys::Files(vec![fixture(file)]))
            .start()
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        if let Some(kid) = kid {
            assert_eq!(server.signing_kid(), kid);
        }
        let token = f1_access_token(&server, "read").await;
        let found = discover(&server.url()).await;
        verify(&found, &token, &server.resource_url()).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
}

#[tokio::test]
async fn every_key_file_is_published_and_the_first_of_the_signing_alg_signs() {
    let server = MockServer::builder()
        .signing_alg(Algorithm::Es256)
        .keys(Keys::Files(vec![
            fixture("rsa.jwk.json"),
            fixture("ec.jwk.json"),
            fixture("ec-pkcs8.pem"),
        ]))
        .start()
        .await
        .unwrap();
    assert_eq!(server.signing_kid(), "file-es256");
    let found = discover(&server.url()).await;
    assert_eq!(found.jwks.keys.len(), 3);
    assert_eq!(
        found.metadata["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256", "RS256"])
    );
}

#[tokio::test]
async fn bad_key_files_are_typed_errors_at_start() {
    let start = |alg: Algorithm, files: Vec<PathBuf>| async move {
        MockServer::builder()
            .signing_alg(alg)
            .keys(Keys::Files(files))
            .start()
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    let missing = start(Algorithm::Rs256, vec![fixture("absent.pem")]).await;
    assert!(
        missing.starts_with("signing keys: cannot read key file"),
        "{missing}"
    );
    let garbage = start(Algorithm::Rs256, vec![fixture("garbage.pem")]).await;
    assert!(garbage.contains("is not a PEM private key"), "{garbage}");
    let sec1 = start(Algorithm::Es256, vec![fixture("ec-sec1.pem")]).await;
    assert!(sec1.contains("convert to PKCS#8"), "{sec1}");
    let wrong = start(Algorithm::EdDsa, vec![fixture("ec-pkcs8.pem")]).await;
    assert_eq!(
        wrong,
        "signing keys: no key file holds a key for signing_alg EdDSA"
    );
    let empty = start(Algorithm::Rs256, Vec::new()).await;
    assert_eq!(empty, "signing keys: keys: the list of key files is empty");
    let dir = std::env::temp_dir().join(format!("mock-jwk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let torn = dir.join("torn.jwk.json");
    std::fs::write(
        &torn,
        r#"{"kty":"OKP","crv":"Ed25519","x":"CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk"}"#,
    )
    .unwrap();
    // The message names the file; its source, auth-core's, the member.
    let torn_error = MockServer::builder()
        .signing_alg(Algorithm::EdDsa)
        .keys(Keys::Files(vec![torn]))
        .start()
        .await
        .unwrap_err();
    let source = std::error::Error::source(&torn_error)
        .and_then(std::error::Error::source)
        .map(ToString::to_string);
    assert!(
        torn_error
            .to_string()
            .ends_with("is not a usable private JWK"),
        "{torn_error}"
    );
    assert_eq!(source.as_deref(), Some("OKP jwk is missing member `d`"));
    let _ = std::fs::remove_dir_all(&dir);
    // HS256 has no public key to publish.
    let hs = MockServer::builder()
        .signing_alg(Algorithm::Hs256)
        .start()
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(hs.contains("signing_alg"), "{hs}");
}

#[tokio::test]
async fn a_revoked_jwt_introspects_inactive_and_is_refused_at_the_resource() {
    let server = MockServer::start().await.unwrap();
    let token = f1_access_token(&server, "read").await;
    assert_eq!(introspect(&server, &token).await["active"], true);
    let revoked = post_form(
        &server,
        "/revoke",
        &[("authorization", F1_BASIC)],
        &format!("token={token}"),
    )
    .await;
    assert_eq!(revoked.status, 200);
    assert_eq!(
        introspect(&server, &token).await,
        serde_json::json!({"active": false})
    );
    let refused = resource(&server, &token).await;
    assert_eq!(refused.status, 401);
    assert!(
        refused
            .header("www-authenticate")
            .unwrap()
            .contains("invalid_token")
    );
    // Still a valid signature: only the mock knows it was revoked.
    let found = discover(&server.url()).await;
    assert!(verify(&found, &token, &server.resource_url()).is_ok());
}

#[tokio::test]
async fn an_expired_jwt_is_refused_at_the_resource_and_introspects_inactive() {
    let server = MockServer::builder()
        .token_lifetime(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let token = f1_access_token(&server, "read").await;
    server.advance_clock(Duration::from_secs(61));
    assert_eq!(resource(&server, &token).await.status, 401);
    assert_eq!(introspect(&server, &token).await["active"], false);
}

#[tokio::test]
async fn a_tampered_or_unsigned_jwt_is_refused_at_the_resource() {
    let server = MockServer::start().await.unwrap();
    let token = f1_access_token(&server, "read").await;
    let (head, rest) = token.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let forged_claims = {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
            br#"{"iss":"x","sub":"s6BhdRkqt3","client_id":"s6BhdRkqt3","scope":"read write"}"#,
        )
    };
    let none = {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"alg":"none","typ":"at+jwt","kid":"mock-dev-rs256"}"#)
    };
    for bad in [
        format!("{head}.{forged_claims}.{signature}"),
        format!("{none}.{}.", rest.split_once('.').unwrap().0),
        format!("{head}.{rest}x"),
    ] {
        assert_eq!(resource(&server, &bad).await.status, 401, "{bad}");
    }
}

#[tokio::test]
async fn metadata_and_openid_configuration_state_the_same_facts() {
    let server = MockServer::start().await.unwrap();
    let found = discover(&server.url()).await;
    let rfc8414: Value = serde_json::from_slice(get(&server.metadata_url()).await.body()).unwrap();
    let mut openid = found.metadata.clone();
    // OIDC Discovery §3 REQUIRED, true of every token: `sub` is the client id.
    assert_eq!(
        openid
            .as_object_mut()
            .unwrap()
            .remove("subject_types_supported"),
        Some(serde_json::json!(["public"]))
    );
    assert_eq!(openid, rfc8414);
    assert_eq!(rfc8414["jwks_uri"], server.jwks_url());
    assert_eq!(
        rfc8414["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
    // Never an endpoint the mock does not have.
    for absent in [
        "authorization_endpoint",
        "userinfo_endpoint",
        "response_types_supported",
    ] {
        assert!(rfc8414.get(absent).is_none(), "{absent}");
    }
    assert_eq!(
        found.jwks_response.headers()["content-type"],
        "application/json"
    );
    assert_eq!(
        found.jwks_response.headers()["cache-control"],
        "public, max-age=300"
    );
    let jwk = &found.jwks.keys[0];
    assert_eq!(jwk.common.key_id.as_deref(), Some("mock-dev-rs256"));
    // auth-core's strict parser reads the same document.
    let parsed = auth_core::jose::JwkSet::from_json(found.jwks_response.body()).unwrap();
    assert_eq!(parsed.keys.len(), 1);
}

#[tokio::test]
async fn an_all_opaque_server_has_no_jwks_uri_and_a_jwt_client_brings_it_back() {
    let server = MockServer::builder()
        .token_format(TokenFormat::Opaque)
        .start()
        .await
        .unwrap();
    let metadata: Value = serde_json::from_slice(get(&server.metadata_url()).await.body()).unwrap();
    assert!(metadata.get("jwks_uri").is_none());
    let token = f1_access_token(&server, "read").await;
    assert_eq!(token.matches('.').count(), 1, "opaque");
    assert_eq!(introspect(&server, &token).await["active"], true);

    server
        .add_client(
            ClientRegistration::new("jwt-client", "s3cret")
                .with_scopes(["read"])
                .with_token_format(TokenFormat::Jwt),
        )
        .unwrap();
    let metadata: Value = serde_json::from_slice(get(&server.metadata_url()).await.body()).unwrap();
    assert_eq!(metadata["jwks_uri"], server.jwks_url());
    let response = common::token(
        &server,
        &[("authorization", &common::basic("jwt-client", "s3cret"))],
        "grant_type=client_credentials",
    )
    .await;
    let token = response.json()["access_token"].as_str().unwrap().to_owned();
    let found = discover(&server.url()).await;
    verify(&found, &token, &server.resource_url()).unwrap();
}

#[test]
fn token_format_signing_alg_keys_and_default_audience_are_read_from_toml() {
    let config = Config::from_toml(
        "token_format = \"opaque\"\nsigning_alg = \"EdDSA\"\nkeys = [\"a.pem\", \"b.jwk.json\"]\n\
         default_audience = \"https://api.example.com/\"\n\
         [[clients]]\nid = \"x\"\nsecret = \"y\"\ntoken_format = \"jwt\"\n",
    )
    .unwrap();
    assert_eq!(config.token_format, TokenFormat::Opaque);
    assert_eq!(config.signing_alg, Algorithm::EdDsa);
    assert_eq!(
        config.keys,
        Keys::Files(vec!["a.pem".into(), "b.jwk.json".into()])
    );
    assert_eq!(config.clients[0].token_format(), Some(TokenFormat::Jwt));
    assert_eq!(
        Config::from_toml("keys = \"generate\"").unwrap().keys,
        Keys::Generate
    );
    assert_eq!(Config::default().keys, Keys::Embedded);
    for (text, field) in [
        ("keys = \"random\"", "keys"),
        ("signing_alg = \"none\"", "signing_alg"),
        ("signing_alg = \"HS256\"", "signing_alg"),
        ("token_format = \"jws\"", "token_format"),
        ("default_audience = \"not a uri\"", "default_audience"),
    ] {
        let error = Config::from_toml(text).unwrap_err().to_string();
        assert!(error.contains(field), "{text}: {error}");
    }
}

async fn resource(server: &MockServer, token: &str) -> common::Raw {
    common::request(
        server,
        "GET",
        "/resource",
        &[("authorization", &format!("Bearer {token}"))],
        b"",
    )
    .await
}

async fn introspect(server: &MockServer, token: &str) -> Value {
    let response = post_form(
        server,
        "/introspect",
        &[("authorization", F1_BASIC)],
        &format!("token={token}"),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// Signs `claims` under `header` with the embedded `EdDSA` development key
/// (public in the repository), as a forger who knows it would.
fn signed_with_dev_key(header: &auth_core::jose::Header, claims: &Value) -> String {
    use rustls::pki_types::PrivateKeyDer;
    use rustls::pki_types::pem::PemObject as _;
    let pem =
        std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("keys/mock-dev-eddsa.pem"))
            .unwrap();
    let PrivateKeyDer::Pkcs8(der) = PrivateKeyDer::from_pem_slice(&pem).unwrap() else {
        panic!("the dev key is PKCS#8");
    };
    let pair = ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der.secret_pkcs8_der())
        .unwrap();
    let input = auth_core::jose::SigningInput::new(header, claims).unwrap();
    let signature = pair.sign(input.as_bytes());
    input.finish(signature.as_ref())
}

#[tokio::test]
async fn s67_the_resource_refuses_typ_jwt_wrong_iss_wrong_aud_expired_and_not_yet_valid_rfc9068_4()
{
    let server = server_with(Algorithm::EdDsa).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let good = serde_json::json!({
        "iss": server.url(), "sub": "s6BhdRkqt3", "client_id": "s6BhdRkqt3",
        "aud": server.resource_url(), "iat": now, "exp": now + 600,
        "jti": "0123456789abcdef0123456789abcdef", "scope": "read",
    });
    let header = auth_core::jose::Header::access_token(Algorithm::EdDsa, "mock-dev-eddsa");
    // The control: the same key and claims pass.
    let token = signed_with_dev_key(&header, &good);
    assert_eq!(resource(&server, &token).await.status, 200);

    let with = |name: &str, value: Value| {
        let mut claims = good.clone();
        claims[name] = value;
        claims
    };
    let mut typ_jwt = header.clone();
    typ_jwt.typ = Some("JWT".into());
    let mut no_typ = header.clone();
    no_typ.typ = None;
    for (what, header, claims) in [
        ("typ JWT", &typ_jwt, good.clone()),
        ("no typ", &no_typ, good.clone()),
        (
            "wrong iss",
            &header,
            with("iss", format!("{}/", server.url()).into()),
        ),
        (
            "wrong aud",
            &header,
            with("aud", "https://elsewhere.example/".into()),
        ),
        ("expired", &header, with("exp", (now - 1).into())),
        (
            "nbf in the future",
            &header,
            with("nbf", (now + 600).into()),
        ),
    ] {
        let token = signed_with_dev_key(header, &claims);
        let refused = resource(&server, &token).await;
        assert_eq!(refused.status, 401, "{what}");
        assert!(
            refused
                .header("www-authenticate")
                .unwrap()
                .contains(r#"error="invalid_token""#),
            "{what}"
        );
    }
}
