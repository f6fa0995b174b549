//! Checklist C-63 (RFC 7009 §2.1, §2.2), sans-IO: the revocation request
//! bytes and the classification of the answer.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::time::Duration;

use auth_core::form::Form;
use auth_core::revocation::parse_revocation_response;
use auth_core::{
    AccessToken, ClientAuthMethod, ClientCredentials, Error, ErrorCode, RequestError, RetryAfter,
    RevocationRequest, RevocationUrl, TokenRequest, TokenUrl,
};
use http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, StatusCode};

fn request(credentials: ClientCredentials) -> RevocationRequest {
    RevocationRequest::new(
        RevocationUrl::parse("https://as.example/revoke").unwrap(),
        credentials,
    )
}

#[test]
fn revocation_is_a_form_post_with_token_and_hint_c63_rfc7009_2_1() {
    let http = request(ClientCredentials::new("s6BhdRkqt3", "gX1fBat3bV"))
        .to_http(&AccessToken::new("45ghiukldjahdnhzdauz"));
    assert_eq!(http.method(), "POST");
    assert_eq!(http.uri(), "https://as.example/revoke");
    assert_eq!(
        http.headers()[CONTENT_TYPE],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        http.body(),
        b"token=45ghiukldjahdnhzdauz&token_type_hint=access_token"
    );
}

#[test]
fn token_value_is_form_encoded_c63_rfc7009_2_1() {
    let body = request(ClientCredentials::new("a", "b")).form_body(&AccessToken::new("a+b/c="));
    let form = Form::parse(body.as_bytes(), 8).unwrap();
    assert_eq!(form.get("token"), Some("a+b/c="));
    assert_eq!(form.get("token_type_hint"), Some("access_token"));
}

#[test]
fn client_authentication_is_the_token_requests_for_every_method_c63_rfc7009_2_1() {
    let token_url = TokenUrl::parse("https://as.example/token").unwrap();
    for method in [
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::ClientSecretBasicUnencoded,
        ClientAuthMethod::ClientSecretPost,
    ] {
        let creds =
            ClientCredentials::new("client:id+1", "a b+c/d%e&f=g:h~i").with_auth_method(method);
        let token = TokenRequest::new(token_url.clone(), creds.clone())
            .to_http()
            .unwrap();
        let revoke = request(creds).to_http(&AccessToken::new("t"));
        assert_eq!(
            revoke.headers().get(AUTHORIZATION),
            token.headers().get(AUTHORIZATION),
            "{method:?}"
        );
        if let Some(value) = revoke.headers().get(AUTHORIZATION) {
            assert!(value.is_sensitive());
        }
        let token_form = Form::parse(token.body(), 8).unwrap();
        let revoke_form = Form::parse(revoke.body(), 8).unwrap();
        for name in ["client_id", "client_secret"] {
            assert_eq!(
                revoke_form.get(name),
                token_form.get(name),
                "{method:?} {name}"
            );
        }
    }
}

#[test]
fn revocation_url_follows_the_token_url_rules_c63_c06_c07() {
    assert_eq!(
        RevocationUrl::parse("http://as.example/revoke"),
        Err(RequestError::InsecureUrl)
    );
    assert_eq!(
        RevocationUrl::parse("https://as.example/revoke#x"),
        Err(RequestError::UrlFragment)
    );
    assert!(RevocationUrl::parse("http://127.0.0.1:9/revoke").is_ok());
}

#[test]
fn ok_200_with_any_body_is_revoked_c63_rfc7009_2_2() {
    for body in [&b""[..], b"{}", b"<html>done</html>", b"{\"error\":\"x\"}"] {
        assert!(parse_revocation_response(StatusCode::OK, &HeaderMap::new(), body).is_ok());
    }
}

#[test]
fn unavailable_503_is_retryable_with_its_retry_after_c63_rfc7009_2_2_1() {
    let mut headers = HeaderMap::new();
    headers.insert(RETRY_AFTER, HeaderValue::from_static("30"));
    let error = parse_revocation_response(
        StatusCode::SERVICE_UNAVAILABLE,
        &headers,
        br#"{"error":"temporarily_unavailable"}"#,
    )
    .unwrap_err();
    assert!(
        matches!(error, Error::RevocationUnavailable(_)),
        "{error:?}"
    );
    assert_eq!(
        error.retry_after(),
        Some(RetryAfter::Delay(Duration::from_secs(30)))
    );
    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    insta::assert_snapshot!(error, @r#"revocation endpoint unavailable, token not revoked: HTTP 503: {"error":"temporarily_unavailable"}"#);
}

#[test]
fn error_json_is_a_provider_error_c63_rfc7009_2_2_1() {
    let error = parse_revocation_response(
        StatusCode::BAD_REQUEST,
        &HeaderMap::new(),
        br#"{"error":"unsupported_token_type"}"#,
    )
    .unwrap_err();
    let Error::Provider(provider) = error else {
        panic!("{error:?}")
    };
    assert_eq!(
        provider.code,
        ErrorCode::Other("unsupported_token_type".into())
    );
    let error = parse_revocation_response(StatusCode::UNAUTHORIZED, &HeaderMap::new(), b"<html>")
        .unwrap_err();
    assert!(matches!(error, Error::Api(_)), "{error:?}");
}

#[test]
fn an_echoed_token_or_secret_never_reaches_the_error_c63_c18() {
    for method in [
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::ClientSecretPost,
    ] {
        let secret = "s3cr3t P@ss/wörd=";
        let token = AccessToken::new("tok.en-value_1");
        let request = request(ClientCredentials::new("svc", secret).with_auth_method(method));
        let sent = request.to_http(&token);
        // A server that echoes the whole request body and headers back.
        let mut echo = String::from_utf8(sent.body().clone()).unwrap();
        if let Some(basic) = sent.headers().get(AUTHORIZATION) {
            echo.push_str(basic.to_str().unwrap());
        }
        for status in [StatusCode::SERVICE_UNAVAILABLE, StatusCode::BAD_GATEWAY] {
            let error = request
                .parse_response(&token, status, &HeaderMap::new(), echo.as_bytes())
                .unwrap_err();
            let text = format!("{error} {error:?}");
            assert!(!text.contains("tok.en-value_1"), "{text}");
            assert!(!text.contains("s3cr3t"), "{text}");
            assert!(text.contains("[REDACTED]"), "{text}");
        }
        let json = format!(r#"{{"error":"invalid_request","error_description":"bad {echo}"}}"#);
        let error = request
            .parse_response(
                &token,
                StatusCode::BAD_REQUEST,
                &HeaderMap::new(),
                json.as_bytes(),
            )
            .unwrap_err();
        assert!(matches!(error, Error::Provider(_)), "{error:?}");
        let text = format!("{error} {error:?}");
        assert!(
            !text.contains("tok.en-value_1") && !text.contains("s3cr3t"),
            "{text}"
        );
    }
}
