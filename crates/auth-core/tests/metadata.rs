//! Checklist C-62 (RFC 8414 §3, §3.1, §3.3) and C-17 (RFC 8414 §2
//! `token_endpoint_auth_methods_supported`), sans-IO: the metadata URL, the
//! issuer check and the auth method choice.
#![expect(clippy::unwrap_used, reason = "tests")]

use auth_core::{
    AuthorizationServerMetadata, ClientAuthMethod, Error, Issuer, MetadataError, RequestError,
    parse_metadata,
};
use http::{HeaderMap, StatusCode};

fn parse(body: &str, issuer: &str) -> Result<auth_core::Metadata, Error> {
    parse_metadata(
        StatusCode::OK,
        &HeaderMap::new(),
        body.as_bytes(),
        &Issuer::parse(issuer).unwrap(),
    )
}

#[test]
fn well_known_suffix_is_inserted_before_the_issuer_path_c62_rfc8414_3_1() {
    for (issuer, url) in [
        (
            "https://as.example/tenant1",
            "https://as.example/.well-known/oauth-authorization-server/tenant1",
        ),
        (
            "https://as.example/tenant1/",
            "https://as.example/.well-known/oauth-authorization-server/tenant1",
        ),
        (
            "https://as.example/a/b",
            "https://as.example/.well-known/oauth-authorization-server/a/b",
        ),
        (
            "https://as.example",
            "https://as.example/.well-known/oauth-authorization-server",
        ),
        (
            "https://as.example/",
            "https://as.example/.well-known/oauth-authorization-server",
        ),
        (
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/.well-known/oauth-authorization-server",
        ),
    ] {
        assert_eq!(
            Issuer::parse(issuer).unwrap().metadata_url(),
            url,
            "{issuer}"
        );
    }
    let request = Issuer::parse("https://as.example/tenant1")
        .unwrap()
        .metadata_request();
    assert_eq!(request.method(), "GET");
    assert_eq!(request.headers()["accept"], "application/json");
    assert!(request.body().is_empty());
}

#[test]
fn issuer_is_https_without_query_or_fragment_c62_rfc8414_2() {
    assert_eq!(
        Issuer::parse("http://as.example"),
        Err(RequestError::InsecureUrl)
    );
    assert!(Issuer::parse("https://as.example/?t=1").is_err());
    assert!(Issuer::parse("https://as.example/#f").is_err());
}

const DOC: &str = r#"{
    "issuer": "https://as.example/tenant1",
    "token_endpoint": "https://as.example/tenant1/token",
    "revocation_endpoint": "https://as.example/tenant1/revoke",
    "introspection_endpoint": "https://as.example/tenant1/introspect",
    "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
    "grant_types_supported": ["client_credentials"],
    "scopes_supported": ["read", "write"],
    "x_vendor": {"a": 1}
}"#;

#[test]
fn matching_metadata_is_accepted_and_unknown_members_kept_c62_rfc8414_3_3() {
    let metadata = parse(DOC, "https://as.example/tenant1").unwrap();
    assert_eq!(metadata.issuer(), "https://as.example/tenant1");
    assert_eq!(
        metadata.token_url().to_string(),
        "https://as.example/tenant1/token"
    );
    assert_eq!(
        metadata.revocation_url().unwrap().to_string(),
        "https://as.example/tenant1/revoke"
    );
    let doc = metadata.document();
    assert_eq!(
        doc.introspection_endpoint.as_deref(),
        Some("https://as.example/tenant1/introspect")
    );
    assert_eq!(
        doc.grant_types_supported.as_deref(),
        Some(&["client_credentials".to_owned()][..])
    );
    assert_eq!(doc.scopes_supported.as_ref().unwrap().len(), 2);
    assert_eq!(doc.extra["x_vendor"]["a"], 1);
}

#[test]
fn issuer_not_identical_is_a_typed_error_c62_rfc8414_3_3() {
    // Not identical: another tenant, a trailing slash, another case.
    for configured in [
        "https://as.example/tenant2",
        "https://as.example/tenant1/",
        "https://AS.example/tenant1",
    ] {
        let error = parse(DOC, configured).unwrap_err();
        let Error::Metadata(MetadataError::IssuerMismatch { expected, found }) = &error else {
            panic!("{error:?}")
        };
        assert_eq!(expected, configured);
        assert_eq!(found, "https://as.example/tenant1");
    }
    insta::assert_snapshot!(
        parse(DOC, "https://as.example/tenant2").unwrap_err(),
        @r#"authorization server metadata rejected: metadata issuer "https://as.example/tenant1" is not the configured issuer "https://as.example/tenant2""#
    );
}

#[test]
fn token_endpoint_must_pass_the_token_url_rules_c62_c07() {
    let doc = r#"{"issuer":"https://as.example","token_endpoint":"http://as.example/token"}"#;
    let error = parse(doc, "https://as.example").unwrap_err();
    assert!(
        matches!(
            error,
            Error::Metadata(MetadataError::InvalidEndpoint {
                member: "token_endpoint",
                source: RequestError::InsecureUrl
            })
        ),
        "{error:?}"
    );
    let error = parse(r#"{"issuer":"https://as.example"}"#, "https://as.example").unwrap_err();
    assert!(
        matches!(error, Error::Metadata(MetadataError::MissingTokenEndpoint)),
        "{error:?}"
    );
    let error = parse("<html>", "https://as.example").unwrap_err();
    assert!(
        matches!(error, Error::Metadata(MetadataError::Json(_))),
        "{error:?}"
    );
}

#[test]
fn a_failure_status_is_an_api_error_c62_rfc8414_3_2() {
    let error = parse_metadata(
        StatusCode::NOT_FOUND,
        &HeaderMap::new(),
        b"not found",
        &Issuer::parse("https://as.example").unwrap(),
    )
    .unwrap_err();
    assert!(matches!(error, Error::Api(_)), "{error:?}");
}

fn with_methods(methods: Option<&[&str]>) -> AuthorizationServerMetadata {
    let mut doc = serde_json::json!({"issuer": "https://as.example", "token_endpoint": "https://as.example/token"});
    if let Some(methods) = methods {
        doc["token_endpoint_auth_methods_supported"] = serde_json::json!(methods);
    }
    serde_json::from_value(doc).unwrap()
}

#[test]
fn auth_method_defaults_to_basic_prefers_basic_and_needs_one_listed_c17_rfc8414_2() {
    assert_eq!(
        with_methods(None).choose_auth_method().unwrap(),
        ClientAuthMethod::ClientSecretBasic
    );
    assert_eq!(
        with_methods(Some(&["client_secret_post", "client_secret_basic"]))
            .choose_auth_method()
            .unwrap(),
        ClientAuthMethod::ClientSecretBasic
    );
    assert_eq!(
        with_methods(Some(&["private_key_jwt", "client_secret_post"]))
            .choose_auth_method()
            .unwrap(),
        ClientAuthMethod::ClientSecretPost
    );
    for listed in [&["private_key_jwt", "tls_client_auth"][..], &[]] {
        assert!(matches!(
            with_methods(Some(listed)).choose_auth_method(),
            Err(MetadataError::NoSupportedAuthMethod)
        ));
    }
}

/// Found by the `metadata` fuzz target: `21e300` read as 2.1e301 printed
/// and read again as 2.1000000000000002e+301. Unknown members must come
/// back exactly as they were kept (no data lost), so floats parse exactly.
#[test]
fn unknown_numeric_members_survive_a_print_and_parse_exactly() {
    let issuer = "https://as.example/t";
    let parsed = parse(
        r#"{"issuer":"https://as.example/t","token_endpoint":"https://as.example/token","extra":{"n":[21e300,7e+300,2.5,-0.0,1e-310,0.1]}}"#,
        issuer,
    )
    .unwrap();
    let printed = serde_json::to_vec(parsed.document()).unwrap();
    let again = parse(std::str::from_utf8(&printed).unwrap(), issuer).unwrap();
    assert_eq!(again, parsed);
    assert_eq!(
        parsed.document().extra["extra"]["n"][0].as_f64(),
        Some(2.1e301)
    );
}
