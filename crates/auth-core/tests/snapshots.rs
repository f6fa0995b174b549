//! Pinned text: the stored-token format and every error message. Message
//! text is not API, but a change to it must be deliberate (jiff style inline
//! snapshots; refresh with `INSTA_UPDATE=always` and review the diff).
#![expect(clippy::unwrap_used, reason = "tests")]

use auth_core::basic::{self, BasicError};
use auth_core::form::FormError;
use auth_core::response::{self, ParseContext, ParseOptions};
use auth_core::{
    AccessToken, ApiError, Deviation, DeviationError, Error, ErrorCode, OAuthToken, ParseError,
    ParseErrorKind, ProviderError, RequestError, RetryAfter, ScopeError, ScopeSet,
    StoredTokenError,
};
use http::{HeaderMap, StatusCode};
use insta::assert_snapshot;
use time::macros::datetime;

/// The persistent identity stored tokens are saved for in these tests.
fn stored_key() -> auth_core::RequestKey {
    auth_core::TokenRequest::new(
        auth_core::TokenUrl::parse("https://as.example/token").unwrap(),
        auth_core::ClientCredentials::new("s6BhdRkqt3", "gX1fBat3bV"),
    )
    .key()
}

fn lines<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|item| item.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_failure(status: u16, body: &[u8]) -> Error {
    let scope: ScopeSet = "read".parse().unwrap();
    let options = ParseOptions::default();
    let ctx = ParseContext {
        requested_at: datetime!(2026-01-01 00:00 UTC),
        requested_scope: &scope,
        options: &options,
    };
    response::parse_parts(
        StatusCode::from_u16(status).unwrap(),
        &HeaderMap::new(),
        body,
        &ctx,
    )
    .unwrap_err()
}

#[test]
fn stored_token_format_v2() {
    let token = OAuthToken::new(
        AccessToken::new("2YotnFZFEjr1zCsicMWpAA"),
        datetime!(2026-01-01 00:00 UTC),
        datetime!(2026-01-01 01:00 UTC),
        "read write".parse().unwrap(),
    );
    assert_snapshot!(token.to_stored_json(&stored_key()).unwrap(), @r#"{"version":2,"request":"c8cf03b2563f07a0ff53f63a7a0a7a9264e01baf1a0896ec90f68a3199563e33","access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"Bearer","issued_at":"2026-01-01T00:00:00Z","expires_at":"2026-01-01T01:00:00Z","expiry_assumed":false,"scope":"read write","extra":{}}"#);
}

#[test]
fn stored_token_format_v2_with_every_member() {
    let scope: ScopeSet = "read write".parse().unwrap();
    let options = ParseOptions::default();
    let ctx = ParseContext {
        requested_at: datetime!(2026-01-01 00:00:00.25 +01:00),
        requested_scope: &scope,
        options: &options,
    };
    let body = br#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"bearer","refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA","scope":"read","id_token":"x.y.z","ext":{"a":[1,{"b":null}]}}"#;
    let token = response::parse_parts(StatusCode::OK, &HeaderMap::new(), body, &ctx)
        .unwrap()
        .token;
    assert_snapshot!(token.to_stored_json(&stored_key()).unwrap(), @r#"{"version":2,"request":"c8cf03b2563f07a0ff53f63a7a0a7a9264e01baf1a0896ec90f68a3199563e33","access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"Bearer","issued_at":"2026-01-01T00:00:00.25+01:00","expires_at":"2026-01-01T00:05:00.25+01:00","expiry_assumed":true,"scope":"read","refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA","extra":{"ext":{"a":[1,{"b":null}]},"id_token":"x.y.z"}}"#);
}

#[test]
fn error_messages() {
    let errors = [
        Error::Provider(
            ProviderError::new(ErrorCode::InvalidScope).with_description("scope not allowed"),
        ),
        Error::Provider(
            ProviderError::new(ErrorCode::Other("slow_down".into()))
                .with_status(StatusCode::TOO_MANY_REQUESTS),
        ),
        Error::Api(ApiError::new(
            StatusCode::BAD_GATEWAY,
            b"<html>\n  <body>Bad Gateway</body>\n</html>",
            None,
        )),
        Error::Api(ApiError::new(
            StatusCode::OK,
            b"access_token=never-shown",
            Some(RetryAfter::Delay(std::time::Duration::from_secs(2))),
        )),
        Error::Parse(ParseError {
            kind: ParseErrorKind::Missing("access_token"),
            status: StatusCode::OK,
            source: None,
        }),
        Error::Deviation(DeviationError {
            deviations: vec![Deviation::Status(201), Deviation::ContentType],
        }),
        Error::UnsupportedTokenType("mac".into()),
        Error::InvalidAccessToken,
        Error::Request(RequestError::InsecureUrl),
        Error::Scope(ScopeError::Empty),
        Error::StoredToken(StoredTokenError::UnsupportedVersion(3)),
    ];
    assert_snapshot!(lines(&errors), @r#"
        provider rejected the request: invalid_scope (HTTP 400): scope not allowed
        provider rejected the request: slow_down (HTTP 429)
        unexpected provider response: HTTP 502: <html> <body>Bad Gateway</body> </html>
        unexpected provider response: HTTP 200
        malformed token response: missing required member `access_token`
        token response deviates from RFC 6749: status 201 instead of 200; content type is not application/json
        unsupported token type "mac": only Bearer tokens can be sent
        access token is not a valid RFC 6750 b64token
        invalid token request: token url must use https (plain http is allowed only for loopback hosts)
        invalid scope: empty scope token
        stored token: stored token version 3 is not supported (this build reads versions 1 and 2)
        "#);
}

#[test]
fn error_messages_of_checklist_bodies() {
    let errors = [
        parse_failure(200, b""),
        parse_failure(200, b"<html>login</html>"),
        parse_failure(200, br#"{"access_token":"2Yotn"#),
        parse_failure(200, br#"["2YotnFZFEjr1zCsicMWpAA"]"#),
        parse_failure(200, br#"{"token_type":"Bearer"}"#),
        parse_failure(200, br#"{"access_token":"","token_type":"Bearer"}"#),
        parse_failure(200, br#"{"access_token":"a b","token_type":"Bearer"}"#),
        parse_failure(
            200,
            br#"{"access_token":"a","token_type":"Bearer","expires_in":-1}"#,
        ),
        parse_failure(
            200,
            br#"{"access_token":"a","token_type":"Bearer","access_token":"b"}"#,
        ),
        parse_failure(
            200,
            br#"{"error":"invalid_client","error_description":"bad"}"#,
        ),
        parse_failure(
            400,
            br#"{"error":"invalid_target","error_description":"unknown resource"}"#,
        ),
        parse_failure(401, br#"{"error_description":"no code"}"#),
        parse_failure(503, b"Service Unavailable\r\n"),
    ];
    assert_snapshot!(lines(&errors), @r#"
        malformed token response: body is empty
        malformed token response: body is not JSON (line 1, column 1)
        malformed token response: body is not JSON (line 1, column 22)
        malformed token response: body is not a JSON object
        malformed token response: missing required member `access_token`
        malformed token response: invalid member `access_token`: empty
        malformed token response: invalid member `access_token`: not an RFC 6750 b64token
        malformed token response: invalid member `expires_in`: negative
        malformed token response: member `access_token` appears more than once
        provider rejected the request: invalid_client (HTTP 200): bad
        provider rejected the request: invalid_target (HTTP 400): unknown resource
        unexpected provider response: HTTP 401: {"error_description":"no code"}
        unexpected provider response: HTTP 503: Service Unavailable
        "#);
}

#[test]
fn parse_error_kind_messages() {
    let kinds = [
        ParseErrorKind::NotJson { line: 1, column: 7 },
        ParseErrorKind::Empty,
        ParseErrorKind::NotObject,
        ParseErrorKind::Missing("token_type"),
        ParseErrorKind::Invalid {
            field: "expires_in",
            reason: "negative",
        },
        ParseErrorKind::Duplicate("access_token".into()),
    ];
    assert_snapshot!(lines(&kinds), @r#"
        body is not JSON (line 1, column 7)
        body is empty
        body is not a JSON object
        missing required member `token_type`
        invalid member `expires_in`: negative
        member `access_token` appears more than once
        "#);
}

#[test]
fn deviation_messages() {
    let all = DeviationError {
        deviations: vec![
            Deviation::Status(203),
            Deviation::ContentType,
            Deviation::ByteOrderMark,
            Deviation::ExpiresInString,
            Deviation::ExpiresInFraction,
            Deviation::TokenTypeAssumed,
            Deviation::ScopeArray,
            Deviation::ScopeWhitespace,
        ],
    };
    assert_snapshot!(all, @"status 203 instead of 200; content type is not application/json; body starts with a byte order mark; expires_in is a string; expires_in has a fraction; token_type is missing; scope is an array; scope is not separated by single spaces");
}

#[test]
fn request_error_messages() {
    let errors = [
        RequestError::InvalidUrl,
        RequestError::UrlFragment,
        RequestError::InsecureUrl,
        RequestError::UrlUserinfo,
        RequestError::InvalidResource,
        RequestError::ReservedParameter("scope".into()),
        RequestError::EmptyParameterName,
    ];
    assert_snapshot!(lines(&errors), @r#"
        token url is not an absolute URI
        token url must not have a fragment
        token url must use https (plain http is allowed only for loopback hosts)
        token url must not carry credentials (userinfo)
        resource must be an absolute URI without a fragment
        parameter `scope` is set by the client and cannot be added again
        parameter name is empty
        "#);
}

#[test]
fn request_key_canonical_form_and_digest_are_stable() {
    // Files and shared stores outlive builds: a change here orphans every
    // stored token, so it must be deliberate (and bump the key's version).
    let request = auth_core::TokenRequest::new(
        auth_core::TokenUrl::parse("https://as.example/token?tenant=t1").unwrap(),
        auth_core::ClientCredentials::new("svc", "s3cret")
            .with_auth_method(auth_core::ClientAuthMethod::ClientSecretPost)
            .with_scopes(["write".parse().unwrap(), "read".parse().unwrap()]),
    )
    .with_resource(auth_core::Resource::new("urn:b").unwrap())
    .with_resource(auth_core::Resource::new("https://a.example/").unwrap())
    .with_audience("api://x")
    .with_extra_param("z", "1")
    .with_extra_param("a", "2");
    let key = request.key();
    assert_snapshot!(key.canonical(), @r#"[1,"https://as.example/token?tenant=t1","svc","client_secret_post","read write",["https://a.example/","urn:b"],"api://x",[["a","2"],["z","1"]]]"#);
    assert_snapshot!(key.digest(), @"252bb73b54a79168f79534a9e0436592f6ed5c177c7ec3ac76f5e6a671986e5c");
    assert!(!key.canonical().contains("s3cret"));
}

#[test]
fn stored_token_error_messages() {
    let errors = [
        OAuthToken::from_stored_json(b"{\"version\":1,", &stored_key()).unwrap_err(),
        OAuthToken::from_stored_json(b"{}", &stored_key()).unwrap_err(),
        OAuthToken::from_stored_json(br#"{"version":7}"#, &stored_key()).unwrap_err(),
        StoredTokenError::Invalid("expires_at"),
        StoredTokenError::OtherRequest,
        StoredTokenError::Unbound,
        StoredTokenError::Unstorable("expires_at"),
    ];
    assert_snapshot!(lines(&errors), @r#"
        corrupt stored token (line 1, column 13)
        stored token has no version
        stored token version 7 is not supported (this build reads versions 1 and 2)
        stored token has an invalid `expires_at`
        stored token was saved for another token request
        stored token does not record its token request (format version 1)
        token cannot be stored: `expires_at` is out of range
        "#);
}

#[test]
fn scope_error_messages() {
    let errors = [
        ScopeSet::parse("read  write").unwrap_err(),
        ScopeSet::parse("read wri\"te").unwrap_err(),
    ];
    assert_snapshot!(lines(&errors), @r#"
        empty scope token
        invalid character '"' at byte 8 of a scope token
        "#);
}

#[test]
fn basic_error_messages() {
    let errors = [
        basic::decode(b"Bearer abc").unwrap_err(),
        basic::decode(b"Basic").unwrap_err(),
        basic::decode(b"Basic Y2lkOn5-fiUzRSUzRg").unwrap_err(),
        basic::decode(b"Basic bm9jb2xvbg==").unwrap_err(),
        basic::decode_raw(b"Basic /zr+").unwrap_err(),
        basic::decode(b"Basic Y2lkOiVaWg==").unwrap_err(),
    ];
    assert!(matches!(errors[5], BasicError::Form(_)));
    assert_snapshot!(lines(&errors), @r#"
        authorization scheme is not Basic
        basic credentials are missing
        basic credentials are not valid base64
        basic credentials have no ':' separator
        basic credentials are not valid UTF-8
        basic credentials are not form-urlencoded: invalid percent-encoding at byte 0
        "#);
}

#[test]
fn form_error_messages() {
    let errors = [
        FormError::InvalidPercentEncoding { offset: 10 },
        FormError::InvalidUtf8,
        FormError::TooManyPairs { limit: 64 },
    ];
    assert_snapshot!(lines(&errors), @r#"
        invalid percent-encoding at byte 10
        decoded form value is not valid UTF-8
        form has more than 64 parameters
        "#);
}

#[test]
fn error_messages_of_echoed_secrets_and_control_characters() {
    use auth_core::{
        Client, ClientAuthMethod, ClientCredentials, RevocationRequest, RevocationUrl, TokenUrl,
    };
    let secret = "ab/cd wörd&x";
    let client = Client::new(
        TokenUrl::parse("https://as.example/token").unwrap(),
        ClientCredentials::new("cid", secret).with_auth_method(ClientAuthMethod::ClientSecretPost),
    );
    let token_error = |status: u16, body: &str| {
        let response = http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap();
        client
            .parse_token_response(&response, datetime!(2026-01-01 00:00 UTC))
            .unwrap_err()
    };
    let revocation = RevocationRequest::new(
        RevocationUrl::parse("https://as.example/revoke").unwrap(),
        ClientCredentials::new("cid", secret),
    );
    let token = AccessToken::new("tok/en");
    let errors = [
        token_error(
            401,
            r#"{"error":"invalid_client","error_description":"secret ab\/cd w\u00f6rd&x is wrong"}"#,
        ),
        token_error(
            401,
            r#"{"error":"invalid_client","error_description":"secret ab&#x2F;cd w&#246;rd&amp;x is wrong"}"#,
        ),
        token_error(
            500,
            "<p>client_secret=ab%2Fcd+w%C3%B6rd%26x</p>\n<p>ab&#47;cd w&#xF6;rd&amp;x</p>",
        ),
        token_error(
            400,
            "{\"error\":\"invalid_request\\u001b]0;pwned\\u0007\",\"error_description\":\"one\\ntwo \\u001b[31mred\"}",
        ),
        token_error(502, "<html>\u{1b}[2J\u{202e}gnp.exe</html>"),
        revocation
            .parse_response(
                &token,
                StatusCode::BAD_REQUEST,
                &HeaderMap::new(),
                br#"{"error":"invalid_request","error_description":"token tok\/en"}"#,
            )
            .unwrap_err(),
        revocation
            .parse_response(
                &token,
                StatusCode::SERVICE_UNAVAILABLE,
                &HeaderMap::new(),
                b"<p>token=tok%2Fen&amp;secret=ab&#x2f;cd w&#xf6;rd&amp;amp;x</p>",
            )
            .unwrap_err(),
    ];
    assert_snapshot!(lines(&errors), @r#"
        provider rejected the request: invalid_client (HTTP 401): secret [REDACTED] is wrong
        provider rejected the request: invalid_client (HTTP 401): secret [REDACTED] is wrong
        unexpected provider response: HTTP 500: <p>client_secret=[REDACTED]</p> <p>[REDACTED]</p>
        provider rejected the request: invalid_request\u{1b}]0;pwned\u{7} (HTTP 400): one\ntwo \u{1b}[31mred
        unexpected provider response: HTTP 502: <html>\u{1b}[2J\u{202e}gnp.exe</html>
        provider rejected the request: invalid_request (HTTP 400): token [REDACTED]
        revocation endpoint unavailable, token not revoked: HTTP 503: <p>token=[REDACTED]&amp;secret=[REDACTED]</p>
        "#);
}
