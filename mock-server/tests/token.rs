//! The token endpoint, rule by rule: checklist B1-B5 (S-01..S-42), raw
//! HTTP against an in-process server.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use common::{F1_BASIC, FORM, b64, basic, f1_token, request, token};
use mock_server::{ClientRegistration, MockServer};

const CC: &str = "grant_type=client_credentials";

async fn server() -> MockServer {
    MockServer::start().await.unwrap()
}

// ---------- B1: HTTP and parameter handling ----------

#[tokio::test]
async fn s01_get_is_405_with_allow_post_rfc6749_3_2() {
    let server = server().await;
    let response = request(
        &server,
        "GET",
        "/token?grant_type=client_credentials",
        &[("authorization", F1_BASIC)],
        b"",
    )
    .await;
    response.assert_oauth_error(405, "invalid_request");
    assert_eq!(response.header("allow"), Some("POST"));
}

#[tokio::test]
async fn s03_json_body_is_invalid_request_rfc6749_4_4_2() {
    let server = server().await;
    let json = request(
        &server,
        "POST",
        "/token",
        &[
            ("authorization", F1_BASIC),
            ("content-type", "application/json"),
        ],
        br#"{"grant_type":"client_credentials"}"#,
    )
    .await;
    json.assert_oauth_error(400, "invalid_request");
    insta::assert_snapshot!(json.text(), @r#"{"error":"invalid_request","error_description":"the body must be application/x-www-form-urlencoded"}"#);
    let missing = request(
        &server,
        "POST",
        "/token",
        &[("authorization", F1_BASIC)],
        CC.as_bytes(),
    )
    .await;
    missing.assert_oauth_error(400, "invalid_request");
    let latin1 = token(
        &server,
        &[
            ("authorization", F1_BASIC),
            (
                "content-type",
                "application/x-www-form-urlencoded; charset=ISO-8859-1",
            ),
        ],
        CC,
    )
    .await;
    // `token()` already sent one content type: two are refused too.
    latin1.assert_oauth_error(400, "invalid_request");
    let latin1 = request(
        &server,
        "POST",
        "/token",
        &[
            ("authorization", F1_BASIC),
            (
                "content-type",
                "application/x-www-form-urlencoded; charset=ISO-8859-1",
            ),
        ],
        CC.as_bytes(),
    )
    .await;
    latin1.assert_oauth_error(400, "invalid_request");
}

#[tokio::test]
async fn s03_form_media_type_is_case_insensitive_and_accepts_utf8_charset() {
    let server = server().await;
    for content_type in [
        "application/x-www-form-urlencoded; charset=UTF-8",
        "APPLICATION/X-WWW-FORM-URLENCODED",
    ] {
        let response = request(
            &server,
            "POST",
            "/token",
            &[("authorization", F1_BASIC), ("content-type", content_type)],
            CC.as_bytes(),
        )
        .await;
        assert_eq!(response.status, 200, "{content_type}: {}", response.text());
    }
}

#[tokio::test]
async fn s04_repeated_parameters_are_invalid_request_rfc6749_3_2() {
    let server = server().await;
    for body in [
        "grant_type=client_credentials&grant_type=client_credentials",
        "grant_type=client_credentials&scope=read&scope=read",
        "grant_type=client_credentials&client_id=s6BhdRkqt3&client_id=s6BhdRkqt3",
        "grant_type=client_credentials&client_secret=x&client_secret=x",
    ] {
        f1_token(&server, body)
            .await
            .assert_oauth_error(400, "invalid_request");
    }
    let response = f1_token(
        &server,
        "grant_type=client_credentials&grant_type=client_credentials",
    )
    .await;
    insta::assert_snapshot!(response.text(), @r#"{"error":"invalid_request","error_description":"the grant_type parameter is repeated"}"#);
}

#[tokio::test]
async fn s05_several_resource_parameters_are_allowed_rfc8707_2() {
    let server = server().await;
    let response = f1_token(
        &server,
        "grant_type=client_credentials&resource=https%3A%2F%2Fapi.example.com%2F&resource=https://api2.example.com/",
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let token = response.json()["access_token"].as_str().unwrap().to_owned();
    let introspection = common::post_form(
        &server,
        "/introspect",
        &[("authorization", F1_BASIC)],
        &format!("token={token}"),
    )
    .await;
    assert_eq!(
        introspection.json()["aud"],
        serde_json::json!(["https://api.example.com/", "https://api2.example.com/"])
    );
}

#[tokio::test]
async fn s06_unrecognized_parameters_are_ignored_rfc6749_3_2() {
    let server = server().await;
    let response = f1_token(&server, "grant_type=client_credentials&foo=bar&x_y=%00").await;
    assert_eq!(response.status, 200, "{}", response.text());
}

#[tokio::test]
async fn s07_empty_values_count_as_omitted_rfc6749_3_2() {
    let server = server().await;
    let response = f1_token(&server, "grant_type=&scope=read").await;
    response.assert_oauth_error(400, "invalid_request");
    let response = f1_token(&server, "grant_type=client_credentials&scope=").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["scope"], "read");
}

#[tokio::test]
async fn s08_missing_grant_type_is_invalid_request_rfc6749_4_4_2() {
    let server = server().await;
    let response = f1_token(&server, "scope=read").await;
    response.assert_oauth_error(400, "invalid_request");
    insta::assert_snapshot!(response.text(), @r#"{"error":"invalid_request","error_description":"the grant_type parameter is missing"}"#);
}

#[tokio::test]
async fn s09_grant_types_and_names_are_case_sensitive_rfc6749_1_9() {
    let server = server().await;
    for grant in [
        "urn:example:unknown",
        "password",
        "Client_Credentials",
        "authorization_code",
    ] {
        f1_token(&server, &format!("grant_type={grant}"))
            .await
            .assert_oauth_error(400, "unsupported_grant_type");
    }
    let response = f1_token(&server, "grant_type=password").await;
    insta::assert_snapshot!(response.text(), @r#"{"error":"unsupported_grant_type","error_description":"only the client_credentials grant is supported"}"#);
    f1_token(&server, "Grant_Type=client_credentials")
        .await
        .assert_oauth_error(400, "invalid_request");
    let upper = token(
        &server,
        &[("authorization", &basic("S6BHDRKQT3", "gX1fBat3bV"))],
        CC,
    )
    .await;
    upper.assert_oauth_error(401, "invalid_client");
}

#[tokio::test]
async fn s10_credentials_in_the_query_are_never_read_rfc6749_2_3_1() {
    let server = server().await;
    let response = request(
        &server,
        "POST",
        "/token?client_id=s6BhdRkqt3&client_secret=gX1fBat3bV",
        &[("content-type", FORM)],
        CC.as_bytes(),
    )
    .await;
    response.assert_oauth_error(401, "invalid_client");
    let entry = server.journal().pop().unwrap();
    assert_eq!(
        entry.path,
        "/token?client_id=s6BhdRkqt3&client_secret=[REDACTED] (10 bytes)"
    );
    let c05 = entry.findings.iter().find(|f| f.rule == "C-05").unwrap();
    assert!(c05.is_failure());
}

#[tokio::test]
async fn s71_the_served_journal_shows_no_value_outside_the_allowlist_in_any_spelling() {
    let server = server().await;
    let secrets = [
        ("password", "pw-hunter2"),
        ("assertion", "as-eyJhbGciOi"),
        ("client_assertion", "ca-eyJhbGciOiJSUzI1NiJ9"),
        ("subject_token", "st-subject"),
        ("Client_Secret", "cs-otherCase"),
    ];
    let body: Vec<String> = secrets.iter().map(|(n, v)| format!("{n}={v}")).collect();
    let response = request(
        &server,
        "POST",
        "/token?api_key=qk-query&scope=read",
        &[
            ("content-type", FORM),
            ("authorization", F1_BASIC),
            ("x-api-key", "hk-header"),
            ("X-Auth-Token", "hk-other"),
        ],
        format!("{CC}&scope=read&{}", body.join("&")).as_bytes(),
    )
    .await;
    // A client_assertion next to Basic is two methods (S-75, RFC 7521
    // §4.2); the journal redacts the refused request all the same.
    response.assert_oauth_error(400, "invalid_request");
    let page = request(&server, "GET", "/_mock/journal", &[], b"").await;
    assert_eq!(page.status, 200);
    let text = page.text();
    for leaked in [
        "pw-",
        "as-",
        "ca-",
        "st-",
        "cs-",
        "qk-",
        "hk-",
        "czZCaGRSa3F0MzpnWDFmQmF0M2JW",
    ] {
        assert!(!text.contains(leaked), "{leaked} in {text}");
    }
    let entry = server.journal().pop().unwrap();
    let form = entry.form.unwrap();
    for (name, value) in secrets {
        let shown = format!("[REDACTED] ({} bytes)", value.len());
        assert!(form.contains(&(name.to_owned(), shown)), "{name}: {form:?}");
    }
    assert!(form.contains(&("grant_type".to_owned(), "client_credentials".to_owned())));
    assert!(form.contains(&("scope".to_owned(), "read".to_owned())));
    assert_eq!(entry.path, "/token?api_key=[REDACTED] (8 bytes)&scope=read");
    for (name, shown) in [
        ("authorization", "Basic [REDACTED] (28 bytes)"),
        ("x-api-key", "[REDACTED] (9 bytes)"),
        ("x-auth-token", "[REDACTED] (8 bytes)"),
        ("content-type", FORM),
    ] {
        assert!(
            entry.headers.contains(&(name.to_owned(), shown.to_owned())),
            "{name}: {:?}",
            entry.headers
        );
    }
}

#[tokio::test]
async fn s11_scope_spaces_decode_from_plus_and_percent20_rfc6749_appendix_b() {
    let server = MockServer::builder()
        .client(ClientRegistration::new("plus", "pw").with_scopes(["a+b", "read"]))
        .start()
        .await
        .unwrap();
    for body in [
        "grant_type=client_credentials&scope=read+write",
        "grant_type=client_credentials&scope=read%20write",
    ] {
        let response = f1_token(&server, body).await;
        assert_eq!(response.json()["scope"], "read write", "{body}");
    }
    let plus = basic("plus", "pw");
    let response = token(
        &server,
        &[("authorization", &plus)],
        "grant_type=client_credentials&scope=a%2Bb",
    )
    .await;
    assert_eq!(response.json()["scope"], "a+b");
    token(
        &server,
        &[("authorization", &plus)],
        "grant_type=client_credentials&scope=a+b",
    )
    .await
    .assert_oauth_error(400, "invalid_scope");
}

#[tokio::test]
async fn s12_oversized_and_undecodable_bodies_are_4xx_never_5xx() {
    let server = server().await;
    let big = format!("{CC}&pad={}", "x".repeat(70 * 1024));
    let response = f1_token(&server, &big).await;
    assert_eq!(response.status, 413);
    assert_eq!(response.json()["error"], "invalid_request");
    for body in [
        "grant_type=client_credentials&scope=%ZZ",
        "grant_type=client_credentials&scope=%FF%FE",
    ] {
        let response = f1_token(&server, body).await;
        response.assert_oauth_error(400, "invalid_request");
    }
    let response = f1_token(&server, "grant_type=client_credentials&scope=%ZZ").await;
    insta::assert_snapshot!(response.text(), @r#"{"error":"invalid_request","error_description":"the body is not valid form-urlencoded UTF-8"}"#);
    let raw = b"POST /token HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/x-www-form-urlencoded\r\nauthorization: Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW\r\ncontent-length: 33\r\n\r\ngrant_type=client_credentials&\xff\xfe=".to_vec();
    let response = common::send_raw(server.local_addr(), &raw).await;
    response.assert_oauth_error(400, "invalid_request");
}

#[tokio::test]
async fn s70_garbage_never_gets_a_5xx() {
    let server = server().await;
    let many = vec!["a=1"; 10_000].join("&");
    let response = f1_token(&server, &many).await;
    assert!((400..500).contains(&response.status), "{}", response.status);
    let huge_header = format!(
        "POST /token HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
        "a".repeat(100 * 1024)
    );
    let response = common::send_raw(server.local_addr(), huge_header.as_bytes()).await;
    assert!((400..500).contains(&response.status), "{}", response.status);
    let response = f1_token(&server, r#"{"a":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]}"#).await;
    response.assert_oauth_error(400, "invalid_request");
}

// ---------- B2: client authentication ----------

#[tokio::test]
async fn s13_f1_basic_gets_a_token_rfc6749_2_3_1() {
    let server = server().await;
    let response = f1_token(&server, CC).await;
    assert_eq!(response.status, 200, "{}", response.text());
}

#[tokio::test]
async fn s14_basic_halves_are_form_decoded_f2_f3_rfc6749_2_3_1() {
    let server = server().await;
    for value in [
        "Basic Y2xpZW50JTNBaWQlMkIxOmErYiUyQmMlMkZkJTI1ZSUyNmYlM0RnJTNBaH5p",
        "Basic Y2xpZW50JTNBaWQlMkIxOmErYiUyQmMlMkZkJTI1ZSUyNmYlM0RnJTNBaCU3RWk=",
        "Basic c3ZjLTE6cCVDMyVBNHNzdyVDMyVCNnJkJUUyJTgyJUFD",
        "Basic Y2lkOn5+fiUzRSUzRg==",
        "Basic Y2lkOiU3RSU3RSU3RSUzRSUzRg==",
    ] {
        let response = token(&server, &[("authorization", value)], CC).await;
        assert_eq!(response.status, 200, "{value}: {}", response.text());
        let entry = server.journal().pop().unwrap();
        assert!(
            entry.findings.iter().all(|f| !f.is_failure()),
            "{value}: {:?}",
            entry.findings
        );
    }
    // F2 with %20 for the space and %7E for the tilde.
    let value = format!(
        "Basic {}",
        b64(b"client%3Aid%2B1:a%20b%2Bc%2Fd%25e%26f%3Dg%3Ah%7Ei")
    );
    assert_eq!(
        token(&server, &[("authorization", &value)], CC)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn s15_unencoded_basic_gets_no_token_and_a_c11_failure() {
    let server = server().await;
    let response = token(
        &server,
        &[(
            "authorization",
            "Basic Y2xpZW50OmlkKzE6YSBiK2MvZCVlJmY9Zzpofmk=",
        )],
        CC,
    )
    .await;
    response.assert_oauth_error(401, "invalid_client");
    let entry = server.journal().pop().unwrap();
    assert_eq!(
        entry.auth_method,
        Some(mock_server::DetectedAuth::NaiveBasic)
    );
    assert_eq!(entry.client_id.as_deref(), Some("client:id+1"));
    assert_eq!(
        entry.basic_decode,
        Some(mock_server::BasicDecode::OnlyNaive)
    );
    let c11 = entry.findings.iter().find(|f| f.rule == "C-11").unwrap();
    assert!(c11.is_failure());
    assert_eq!(c11.reason, "unencoded Basic credentials");
}

#[tokio::test]
async fn s15_lenient_basic_quirk_accepts_unencoded_credentials_when_opted_in() {
    let server = MockServer::builder()
        .client(
            ClientRegistration::new("client:id+1", "a b+c/d%e&f=g:h~i")
                .with_auth_method(auth_core::ClientAuthMethod::ClientSecretBasicUnencoded),
        )
        .start()
        .await
        .unwrap();
    let response = token(
        &server,
        &[(
            "authorization",
            "Basic Y2xpZW50OmlkKzE6YSBiK2MvZCVlJmY9Zzpofmk=",
        )],
        CC,
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
}

#[tokio::test]
async fn s15_raw_utf8_in_basic_is_reported_as_unencoded_c12() {
    let server = server().await;
    let raw = format!("Basic {}", b64("svc-1:pässwörd€".as_bytes()));
    let response = token(&server, &[("authorization", &raw)], CC).await;
    // Decodes to the registered secret (no `%` or `+` in it), but the client skipped the encoding.
    assert_eq!(response.status, 200);
    let entry = server.journal().pop().unwrap();
    assert_eq!(
        entry.basic_decode,
        Some(mock_server::BasicDecode::Unencoded)
    );
    assert!(
        entry
            .findings
            .iter()
            .any(|f| f.rule == "C-11" && f.is_failure())
    );
}

#[tokio::test]
async fn s16_basic_scheme_is_case_insensitive_rfc9110_11_1() {
    let server = server().await;
    let response = token(
        &server,
        &[("authorization", "basic czZCaGRSa3F0MzpnWDFmQmF0M2JW")],
        CC,
    )
    .await;
    assert_eq!(response.status, 200);
}

#[tokio::test]
async fn s17_malformed_basic_is_401_invalid_client_with_challenge() {
    let server = server().await;
    let no_colon = format!("Basic {}", b64(b"nocolon"));
    let bad_escape = format!("Basic {}", b64(b"cid:%ZZ"));
    let bad_utf8 = format!("Basic {}", b64(b"\xff:\xfe"));
    for value in [
        "Basic !!!",
        no_colon.as_str(),
        bad_escape.as_str(),
        bad_utf8.as_str(),
        "Basic",
        "Basic Y2lkOn5-fiUzRSUzRg",
    ] {
        let response = token(&server, &[("authorization", value)], CC).await;
        response.assert_oauth_error(401, "invalid_client");
        assert_eq!(
            response.header("www-authenticate"),
            Some(r#"Basic realm="mock""#)
        );
    }
    let entry = server.journal().pop().unwrap();
    assert!(
        entry
            .findings
            .iter()
            .any(|f| f.rule == "C-13" && f.is_failure()),
        "{:?}",
        entry.findings
    );
}

#[tokio::test]
async fn s18_client_secret_post_is_supported_rfc6749_2_3_1() {
    let server = MockServer::builder()
        .client(
            ClientRegistration::new("client:id+1", "a b+c/d%e&f=g:h~i")
                .with_scopes(["read"])
                .with_auth_method(auth_core::ClientAuthMethod::ClientSecretPost),
        )
        .start()
        .await
        .unwrap();
    let response =
        token(&server, &[], "grant_type=client_credentials&client_id=client%3Aid%2B1&client_secret=a+b%2Bc%2Fd%25e%26f%3Dg%3Ah~i")
            .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let f7 = token(
        &server,
        &[],
        "grant_type=client_credentials&client_id=post-only&client_secret=s3cret-post",
    )
    .await;
    assert_eq!(f7.status, 200);
    assert_eq!(
        server.journal().pop().unwrap().auth_method,
        Some(mock_server::DetectedAuth::Post)
    );
}

#[tokio::test]
async fn s19_two_authentication_methods_are_invalid_request_rfc6749_2_3() {
    let server = server().await;
    let both = f1_token(
        &server,
        "grant_type=client_credentials&client_id=s6BhdRkqt3&client_secret=gX1fBat3bV",
    )
    .await;
    both.assert_oauth_error(400, "invalid_request");
    insta::assert_snapshot!(both.text(), @r#"{"error":"invalid_request","error_description":"the client used more than one authentication method"}"#);
    assert_eq!(
        server.journal().pop().unwrap().auth_method,
        Some(mock_server::DetectedAuth::Both)
    );
    let two = token(
        &server,
        &[("authorization", F1_BASIC), ("authorization", F1_BASIC)],
        CC,
    )
    .await;
    two.assert_oauth_error(400, "invalid_request");
}

#[tokio::test]
async fn s20_client_id_next_to_basic_must_match_rfc6749_3_2_1() {
    let server = server().await;
    assert_eq!(
        f1_token(
            &server,
            "grant_type=client_credentials&client_id=s6BhdRkqt3"
        )
        .await
        .status,
        200
    );
    f1_token(&server, "grant_type=client_credentials&client_id=other")
        .await
        .assert_oauth_error(400, "invalid_request");
}

#[tokio::test]
async fn s21_no_credentials_is_401_invalid_client_rfc6749_4_4_2() {
    let server = server().await;
    let response = token(&server, &[], CC).await;
    response.assert_oauth_error(401, "invalid_client");
    assert_eq!(
        response.header("www-authenticate"),
        Some(r#"Basic realm="mock""#)
    );
}

#[tokio::test]
async fn s22_s23_unknown_client_and_wrong_secret_are_byte_identical_rfc6749_5_2() {
    let server = server().await;
    let unknown = token(
        &server,
        &[("authorization", &basic("nobody", "gX1fBat3bV"))],
        CC,
    )
    .await;
    let wrong = token(
        &server,
        &[("authorization", &basic("s6BhdRkqt3", "gX1fBat3bW"))],
        CC,
    )
    .await;
    unknown.assert_oauth_error(401, "invalid_client");
    wrong.assert_oauth_error(401, "invalid_client");
    assert_eq!(unknown.body, wrong.body);
    assert_eq!(
        unknown.header("www-authenticate"),
        wrong.header("www-authenticate")
    );
    insta::assert_snapshot!(wrong.text(), @r#"{"error":"invalid_client","error_description":"client authentication failed"}"#);
}

#[tokio::test]
async fn s24_wrong_secret_via_post_is_401_with_challenge() {
    let server = server().await;
    let response = token(
        &server,
        &[],
        "grant_type=client_credentials&client_id=post-only&client_secret=nope",
    )
    .await;
    response.assert_oauth_error(401, "invalid_client");
}

#[tokio::test]
async fn s25_registered_auth_method_is_enforced_rfc7591_2() {
    let server = server().await;
    let response = token(
        &server,
        &[("authorization", &basic("post-only", "s3cret-post"))],
        CC,
    )
    .await;
    response.assert_oauth_error(401, "invalid_client");
    insta::assert_snapshot!(response.text(), @r#"{"error":"invalid_client","error_description":"the client is not registered for client_secret_basic"}"#);
    let f1_post = token(
        &server,
        &[],
        "grant_type=client_credentials&client_id=s6BhdRkqt3&client_secret=gX1fBat3bV",
    )
    .await;
    f1_post.assert_oauth_error(401, "invalid_client");
}

#[tokio::test]
async fn s26_public_client_gets_unauthorized_client_rfc6749_4_4() {
    let server = server().await;
    let response = token(&server, &[], "grant_type=client_credentials&client_id=pub").await;
    response.assert_oauth_error(400, "unauthorized_client");
    let with_secret = token(&server, &[("authorization", &basic("pub", ""))], CC).await;
    with_secret.assert_oauth_error(401, "invalid_client");
}

#[tokio::test]
async fn s27_client_not_allowed_the_grant_is_unauthorized_client_rfc6749_5_2() {
    let server = server().await;
    let response = token(
        &server,
        &[("authorization", &basic("no-cc", "s3cret-no-cc"))],
        CC,
    )
    .await;
    response.assert_oauth_error(400, "unauthorized_client");
    insta::assert_snapshot!(response.text(), @r#"{"error":"unauthorized_client","error_description":"the client is not allowed the client_credentials grant"}"#);
}

// ---------- B3: scope and resource ----------

#[tokio::test]
async fn s29_no_scope_grants_and_echoes_the_default_rfc6749_3_3() {
    let server = server().await;
    assert_eq!(f1_token(&server, CC).await.json()["scope"], "read");
}

#[tokio::test]
async fn s30_s31_unknown_or_excess_scope_is_invalid_scope_rfc6749_5_2() {
    let server = server().await;
    for scope in ["nonexistent", "read+admin"] {
        let response = f1_token(&server, &format!("{CC}&scope={scope}")).await;
        response.assert_oauth_error(400, "invalid_scope");
    }
    let response = f1_token(&server, &format!("{CC}&scope=read+admin")).await;
    insta::assert_snapshot!(response.text(), @r#"{"error":"invalid_scope","error_description":"the requested scope exceeds what the client may have"}"#);
}

#[tokio::test]
async fn s32_malformed_scope_is_invalid_scope_rfc6749_appendix_a4() {
    let server = server().await;
    for scope in [
        "a%22b",
        "a%5Cb",
        "%C3%A9",
        "a%09b",
        "read%20%20write",
        "%20read",
    ] {
        let response = f1_token(&server, &format!("{CC}&scope={scope}")).await;
        response.assert_oauth_error(400, "invalid_scope");
    }
}

#[tokio::test]
async fn s33_scope_order_does_not_matter_and_repeats_collapse_rfc6749_3_3() {
    let server = server().await;
    assert_eq!(
        f1_token(&server, &format!("{CC}&scope=write+read"))
            .await
            .json()["scope"],
        "read write"
    );
    assert_eq!(
        f1_token(&server, &format!("{CC}&scope=read+read"))
            .await
            .json()["scope"],
        "read"
    );
}

#[tokio::test]
async fn s34_resource_must_be_known_absolute_without_fragment_rfc8707_2() {
    let server = server().await;
    for resource in [
        "%2Frelative",
        "https%3A%2F%2Fapi.example.com%2F%23frag",
        "https%3A%2F%2Funknown.example%2F",
    ] {
        let response = f1_token(&server, &format!("{CC}&resource={resource}")).await;
        response.assert_oauth_error(400, "invalid_target");
    }
    let response = f1_token(&server, &format!("{CC}&resource=%2Frelative")).await;
    insta::assert_snapshot!(response.text(), @r#"{"error":"invalid_target","error_description":"a resource is not an absolute URI without a fragment"}"#);
    assert_eq!(
        f1_token(
            &server,
            &format!("{CC}&resource=https%3A%2F%2Fapi.example.com%2F")
        )
        .await
        .status,
        200
    );
}

// ---------- B4: success response ----------

#[tokio::test]
async fn s35_to_s38_success_response_is_exactly_rfc6749_5_1() {
    let server = server().await;
    let response = f1_token(&server, &format!("{CC}&scope=read+write")).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    response.assert_no_store();
    assert_eq!(response.body.first(), Some(&b'{'), "no BOM");
    let json = response.json();
    let object = json.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["access_token", "expires_in", "scope", "token_type"]);
    let token = json["access_token"].as_str().unwrap();
    let body = token.trim_end_matches('=');
    assert!(
        !body.is_empty()
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)),
        "{token}"
    );
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["expires_in"], 3600);
    assert_eq!(json["scope"], "read write");
    assert!(json.get("refresh_token").is_none());
}

#[tokio::test]
async fn s39_tokens_are_pairwise_distinct_rfc6749_10_10() {
    let server = server().await;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..1000 {
        assert!(seen.insert(common::f1_access_token(&server, "read").await));
    }
}

// ---------- B5: error responses ----------

#[tokio::test]
async fn s40_error_description_never_echoes_input_rfc6749_5_2() {
    let server = server().await;
    let response = f1_token(&server, &format!("{CC}&scope=a%22b%5Cc%C3%A9%0A")).await;
    response.assert_oauth_error(400, "invalid_scope");
    insta::assert_snapshot!(response.text(), @r#"{"error":"invalid_scope","error_description":"the scope parameter is malformed"}"#);
}

#[tokio::test]
async fn s42_check_order_is_deterministic() {
    let server = server().await;
    // Method before everything.
    request(
        &server,
        "GET",
        "/token",
        &[("content-type", "application/json")],
        b"",
    )
    .await
    .assert_oauth_error(405, "invalid_request");
    // Media type before authentication.
    request(
        &server,
        "POST",
        "/token",
        &[("content-type", "text/plain")],
        b"x",
    )
    .await
    .assert_oauth_error(400, "invalid_request");
    // Repeats before authentication.
    token(&server, &[], "grant_type=a&grant_type=b")
        .await
        .assert_oauth_error(400, "invalid_request");
    // Authentication before grant_type.
    token(
        &server,
        &[("authorization", &basic("s6BhdRkqt3", "x"))],
        "grant_type=password",
    )
    .await
    .assert_oauth_error(401, "invalid_client");
    // grant_type before scope.
    f1_token(&server, "grant_type=password&scope=admin")
        .await
        .assert_oauth_error(400, "unsupported_grant_type");
    // unauthorized_client before scope.
    token(
        &server,
        &[("authorization", &basic("no-cc", "s3cret-no-cc"))],
        &format!("{CC}&scope=admin"),
    )
    .await
    .assert_oauth_error(400, "unauthorized_client");
    // Scope before resource.
    f1_token(&server, &format!("{CC}&scope=admin&resource=%2Fx"))
        .await
        .assert_oauth_error(400, "invalid_scope");
}

// ---------- B11: abuse resistance ----------

#[tokio::test]
async fn s68_repeated_failures_lock_the_client_and_source_pair_rfc6749_2_3_1() {
    let server = server().await;
    let wrong = basic("s6BhdRkqt3", "wrong");
    for _ in 0..10 {
        token(&server, &[("authorization", &wrong)], CC)
            .await
            .assert_oauth_error(401, "invalid_client");
    }
    // Locked, even with the right secret; other clients are unaffected.
    let locked = f1_token(&server, CC).await;
    locked.assert_oauth_error(429, "temporarily_unavailable");
    assert_eq!(locked.header("retry-after"), Some("60"));
    let other = token(
        &server,
        &[("authorization", &basic("svc-1", "pässwörd€"))],
        CC,
    )
    .await;
    assert_eq!(other.status, 200);
    // The window follows the mock clock.
    server.advance_clock(std::time::Duration::from_secs(60));
    assert_eq!(f1_token(&server, CC).await.status, 200);
}

#[tokio::test]
async fn s68_lockout_can_be_disabled() {
    let mut config = mock_server::Config::embedded();
    config.lockout_failures = 0;
    let server = MockServer::builder().config(config).start().await.unwrap();
    let wrong = basic("s6BhdRkqt3", "wrong");
    for _ in 0..12 {
        token(&server, &[("authorization", &wrong)], CC).await;
    }
    assert_eq!(f1_token(&server, CC).await.status, 200);
}
