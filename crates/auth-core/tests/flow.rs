//! Conformance tests for auth-core: checklist sections A1-A4 (request
//! building, client authentication, scope, response parsing), the error
//! rules of A5 that are visible without a transport (C-46, C-49), strict
//! mode, the typestate lifecycle and secret hygiene (C-18).
//!
//! Each test names the checklist rule and the RFC section it checks.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::fmt::Write as _;
use std::time::Duration;

use auth_core::response::{self, ParseContext, ParseOptions, Parsed};
use auth_core::{
    AccessToken, ApiError, Client, ClientAuthMethod, ClientCredentials, Deviation, Error,
    ErrorCode, ExpiryPolicy, OAuthToken, ParseErrorKind, RequestError, Resource, RetryAfter, Scope,
    ScopeError, ScopeSet, StoredTokenError, TokenRequest, TokenType, TokenUrl, Unauthorized, basic,
    form::Form,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, StatusCode};
use time::OffsetDateTime;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);
const TOKEN_URL: &str = "https://as.example/token";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The persistent identity stored tokens are saved for in these tests.
fn stored_key() -> auth_core::RequestKey {
    TokenRequest::new(
        TokenUrl::parse("https://as.example/token").unwrap(),
        ClientCredentials::new("s6BhdRkqt3", "gX1fBat3bV"),
    )
    .key()
}

fn url() -> TokenUrl {
    TokenUrl::parse(TOKEN_URL).unwrap()
}

fn request_for(credentials: ClientCredentials) -> TokenRequest {
    TokenRequest::new(url(), credentials)
}

fn http_for(credentials: ClientCredentials) -> http::Request<Vec<u8>> {
    request_for(credentials).to_http().unwrap()
}

fn body_form(request: &http::Request<Vec<u8>>) -> Form {
    Form::parse(request.body(), 64).unwrap()
}

fn authorization(request: &http::Request<Vec<u8>>) -> Option<&str> {
    request
        .headers()
        .get(AUTHORIZATION)
        .map(|v| v.to_str().unwrap())
}

/// Checklist "decoded-compare": base64 (standard, padded), first `:`, then
/// form-urldecode each half.
fn decoded_basic(request: &http::Request<Vec<u8>>) -> (String, String) {
    let creds = basic::decode(authorization(request).unwrap().as_bytes()).unwrap();
    (
        creds.id.as_str().to_owned(),
        creds.secret.expose_secret().to_owned(),
    )
}

fn json_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers
}

fn read_write() -> ScopeSet {
    "read write".parse().unwrap()
}

/// Parses `body` as a 200 JSON answer to a `read write` request sent at T0.
fn parse_ok_with(body: &[u8], options: &ParseOptions) -> Result<Parsed, Error> {
    let scope = read_write();
    let ctx = ParseContext {
        requested_at: T0,
        requested_scope: &scope,
        options,
    };
    response::parse_parts(StatusCode::OK, &json_headers(), body, &ctx)
}

fn parse_ok(body: &[u8]) -> Result<Parsed, Error> {
    parse_ok_with(body, &ParseOptions::default())
}

fn token_of(body: &str) -> OAuthToken {
    parse_ok(body.as_bytes()).unwrap().token
}

fn parse_kind(body: &[u8]) -> ParseErrorKind {
    match parse_ok(body) {
        Err(Error::Parse(e)) => {
            assert_eq!(e.status, StatusCode::OK);
            e.kind
        }
        other => panic!(
            "expected a parse error for {:?}, got {other:?}",
            String::from_utf8_lossy(body)
        ),
    }
}

fn invalid_field(body: &str) -> &'static str {
    match parse_kind(body.as_bytes()) {
        ParseErrorKind::Invalid { field, .. } => field,
        other => panic!("expected an invalid member for {body}, got {other:?}"),
    }
}

fn answer(
    status: u16,
    content_type: Option<&str>,
    body: impl Into<Vec<u8>>,
) -> http::Response<Vec<u8>> {
    let mut builder = http::Response::builder().status(status);
    if let Some(content_type) = content_type {
        builder = builder.header(CONTENT_TYPE, content_type);
    }
    builder.body(body.into()).unwrap()
}

fn f1_client() -> Client<Unauthorized> {
    Client::new(
        url(),
        ClientCredentials::new("s6BhdRkqt3", "gX1fBat3bV").with_scopes([Scope::Read, Scope::Write]),
    )
}

/// Display, alternate Display, Debug, pretty Debug and every `source()` in
/// the chain: everything a logger could print about an error.
fn everything_printed(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = format!("{error} | {error:#} | {error:?} | {error:#?}");
    let mut source = error.source();
    while let Some(inner) = source {
        write!(out, " | {inner} | {inner:?}").unwrap();
        source = inner.source();
    }
    out
}

// ---------------------------------------------------------------------------
// A1. Request building
// ---------------------------------------------------------------------------

#[test]
fn token_request_is_a_post_c01_rfc6749_3_2() {
    for method in [
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::ClientSecretBasicUnencoded,
        ClientAuthMethod::ClientSecretPost,
    ] {
        let request = http_for(ClientCredentials::new("a", "b").with_auth_method(method));
        assert_eq!(request.method(), http::Method::POST, "{method:?}");
    }
}

#[test]
fn token_request_body_is_a_utf8_form_with_json_accept_c02_rfc6749_4_4_2_appendix_b() {
    let request = http_for(ClientCredentials::new("a", "b").with_scope(Scope::Read));
    assert_eq!(
        request.headers()[CONTENT_TYPE],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(request.headers().get_all(CONTENT_TYPE).iter().count(), 1);
    assert_eq!(request.headers()[ACCEPT], "application/json");
    let body = std::str::from_utf8(request.body()).unwrap();
    assert!(!body.starts_with('{'), "not JSON");
    assert_eq!(body_form(&request).pairs().len(), 2);
}

#[test]
fn grant_type_is_client_credentials_exactly_once_c03_rfc6749_4_4_2() {
    for method in [
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::ClientSecretPost,
    ] {
        let request = http_for(
            ClientCredentials::new("a", "b")
                .with_auth_method(method)
                .with_scope(Scope::Write),
        );
        let form = body_form(&request);
        assert_eq!(
            form.get_all("grant_type").collect::<Vec<_>>(),
            ["client_credentials"]
        );
    }
}

#[test]
fn no_parameter_repeats_except_resource_c04_rfc6749_3_2() {
    let request = request_for(
        ClientCredentials::new("client:id+1", "x")
            .with_auth_method(ClientAuthMethod::ClientSecretPost)
            .with_scopes([Scope::Read, Scope::Write, Scope::Read]),
    )
    .with_resource(Resource::new("https://api.example.com/").unwrap())
    .with_resource(Resource::new("https://api2.example.com/").unwrap())
    .with_audience("aud")
    .with_extra_param("tenant", "t1");
    let form = body_form(&request.to_http().unwrap());
    assert_eq!(form.first_repeated(&["resource"]), None);
    for name in [
        "grant_type",
        "scope",
        "client_id",
        "client_secret",
        "audience",
        "tenant",
    ] {
        assert_eq!(form.count(name), 1, "{name}");
    }
}

#[test]
fn extra_scope_param_twice_is_a_build_error_c04_rfc6749_3_2() {
    let twice = request_for(ClientCredentials::new("a", "b"))
        .with_extra_param("scope", "x")
        .with_extra_param("scope", "y");
    assert_eq!(
        twice.to_http().unwrap_err(),
        RequestError::ReservedParameter("scope".into())
    );
    for reserved in [
        "grant_type",
        "scope",
        "client_id",
        "client_secret",
        "resource",
        "audience",
    ] {
        let request = request_for(ClientCredentials::new("a", "b")).with_extra_param(reserved, "x");
        assert_eq!(
            request.to_http().unwrap_err(),
            RequestError::ReservedParameter(reserved.into())
        );
    }
    let repeated = request_for(ClientCredentials::new("a", "b"))
        .with_extra_param("t", "1")
        .with_extra_param("t", "2");
    assert_eq!(
        repeated.form_body().unwrap_err(),
        RequestError::ReservedParameter("t".into())
    );
    let empty = request_for(ClientCredentials::new("a", "b")).with_extra_param("", "1");
    assert_eq!(
        empty.to_http().unwrap_err(),
        RequestError::EmptyParameterName
    );
    // And the typestate client surfaces it before anything is sent.
    let client = Client::from_request(
        request_for(ClientCredentials::new("a", "b")).with_extra_param("scope", "x"),
    );
    assert!(matches!(
        client.token_request(),
        Err(Error::Request(RequestError::ReservedParameter(_)))
    ));
}

#[test]
fn endpoint_query_is_kept_and_parameters_stay_in_the_body_c05_rfc6749_2_3_1_3_2() {
    let credentials = ClientCredentials::new("cid", "sec")
        .with_auth_method(ClientAuthMethod::ClientSecretPost)
        .with_scope(Scope::Read);
    let request = TokenRequest::new(
        TokenUrl::parse("https://as.example/token?tenant=t1").unwrap(),
        credentials,
    )
    .to_http()
    .unwrap();
    assert_eq!(
        request.uri().path_and_query().unwrap().as_str(),
        "/token?tenant=t1"
    );
    let query = request.uri().query().unwrap();
    for name in ["grant_type", "scope", "client_id", "client_secret"] {
        assert!(!query.contains(name), "{name} must not be in the query");
    }
    let form = body_form(&request);
    assert_eq!(form.get("client_id"), Some("cid"));
    assert_eq!(form.get("client_secret"), Some("sec"));
    assert_eq!(form.get("scope"), Some("read"));
}

#[test]
fn endpoint_with_fragment_is_a_configuration_error_c06_rfc6749_3_2() {
    assert_eq!(
        TokenUrl::parse("https://as.example/token#x"),
        Err(RequestError::UrlFragment)
    );
    assert_eq!(
        TokenUrl::parse("https://as.example/token?a=b#"),
        Err(RequestError::UrlFragment)
    );
}

#[test]
fn endpoint_with_credentials_in_the_authority_is_refused_c05_c18_rfc6749_2_3_1() {
    for url in [
        "https://cid:secret@as.example/token",
        "https://cid@as.example/token",
        "http://cid:secret@127.0.0.1/token",
    ] {
        assert_eq!(
            TokenUrl::parse(url),
            Err(RequestError::UrlUserinfo),
            "{url}"
        );
    }
    // An `@` in the path or query is not userinfo.
    assert!(TokenUrl::parse("https://as.example/t@x?u=a@b").is_ok());
}

#[test]
fn plain_http_endpoint_is_refused_except_loopback_c07_rfc6749_10_9() {
    assert_eq!(
        TokenUrl::parse("http://as.example/token"),
        Err(RequestError::InsecureUrl)
    );
    assert_eq!(
        TokenUrl::parse("http://127.0.0.1.nip.io/token"),
        Err(RequestError::InsecureUrl)
    );
    assert_eq!(
        TokenUrl::parse("http://localhost.as.example/token"),
        Err(RequestError::InsecureUrl)
    );
    assert_eq!(TokenUrl::parse("token"), Err(RequestError::InvalidUrl));
    assert_eq!(
        TokenUrl::parse("ftp://as.example/token"),
        Err(RequestError::InvalidUrl)
    );
    for loopback in [
        "http://127.0.0.1/token",
        "http://[::1]:8080/token",
        "http://localhost:1/t",
        "http://LOCALHOST/t",
    ] {
        let url = TokenUrl::parse(loopback).unwrap();
        assert!(url.is_insecure_loopback(), "{loopback}");
    }
    assert!(!url().is_insecure_loopback());
}

#[test]
fn token_request_carries_only_the_configured_authorization_c09_rfc6749_2_3() {
    let basic = http_for(ClientCredentials::new("a", "b"));
    assert_eq!(basic.headers().get_all(AUTHORIZATION).iter().count(), 1);
    assert!(authorization(&basic).unwrap().starts_with("Basic "));
    let post = http_for(
        ClientCredentials::new("a", "b").with_auth_method(ClientAuthMethod::ClientSecretPost),
    );
    assert_eq!(post.headers().get_all(AUTHORIZATION).iter().count(), 0);
    // An authorized client renews with the same request: never a stray Bearer.
    let client = f1_client().with_token(OAuthToken::new(
        AccessToken::new("tok"),
        T0,
        T0,
        ScopeSet::new(),
    ));
    let renewal = client.token_request().unwrap();
    assert_eq!(renewal.headers().get_all(AUTHORIZATION).iter().count(), 1);
    assert!(authorization(&renewal).unwrap().starts_with("Basic "));
}

// ---------------------------------------------------------------------------
// A2. Client authentication encoding
// ---------------------------------------------------------------------------

#[test]
fn default_method_is_basic_with_the_rfc_example_f1_c10_rfc6749_2_3_1_4_4_2() {
    let request = http_for(ClientCredentials::new("s6BhdRkqt3", "gX1fBat3bV"));
    assert_eq!(
        authorization(&request),
        Some("Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW")
    );
    assert!(request.headers()[AUTHORIZATION].is_sensitive());
    assert_eq!(request.body(), b"grant_type=client_credentials");
}

#[test]
fn id_and_secret_are_form_encoded_before_base64_f2_c11_rfc6749_2_3_1() {
    let request = http_for(ClientCredentials::new("client:id+1", "a b+c/d%e&f=g:h~i"));
    assert_eq!(
        decoded_basic(&request),
        ("client:id+1".to_owned(), "a b+c/d%e&f=g:h~i".to_owned())
    );
    let value = authorization(&request).unwrap();
    assert_ne!(
        value, "Basic Y2xpZW50OmlkKzE6YSBiK2MvZCVlJmY9Zzpofmk=",
        "naive Basic is a FAILURE"
    );
    // Issue #2 writes a space as %20 (both are valid form encodings), so the
    // exact value is the fixture's with `+` -> `%20`.
    let inner = STANDARD
        .decode(value.strip_prefix("Basic ").unwrap())
        .unwrap();
    assert_eq!(
        String::from_utf8(inner).unwrap(),
        "client%3Aid%2B1:a%20b%2Bc%2Fd%25e%26f%3Dg%3Ah~i"
    );
    // The fixture's exact forms decode to the same client (decoded-compare).
    for fixture in [
        "Basic Y2xpZW50JTNBaWQlMkIxOmErYiUyQmMlMkZkJTI1ZSUyNmYlM0RnJTNBaH5p",
        "Basic Y2xpZW50JTNBaWQlMkIxOmErYiUyQmMlMkZkJTI1ZSUyNmYlM0RnJTNBaCU3RWk=",
    ] {
        let creds = basic::decode(fixture.as_bytes()).unwrap();
        assert_eq!(
            (creds.id.as_str(), creds.secret.expose_secret()),
            ("client:id+1", "a b+c/d%e&f=g:h~i")
        );
    }
}

#[test]
fn appendix_b_vector_round_trips_c11_rfc6749_appendix_b() {
    // RFC 6749 Appendix B: " %&+£€" <-> "+%25%26%2B%C2%A3%E2%82%AC".
    assert_eq!(
        auth_core::form::decode_component(b"+%25%26%2B%C2%A3%E2%82%AC").unwrap(),
        " %&+£€"
    );
    let encoded = auth_core::form::encode_component(" %&+£€");
    assert_eq!(encoded, "%20%25%26%2B%C2%A3%E2%82%AC");
    assert_eq!(
        auth_core::form::decode_component(encoded.as_bytes()).unwrap(),
        " %&+£€"
    );
}

#[test]
fn non_ascii_is_utf8_percent_encoded_f3_c12_rfc6749_appendix_b() {
    let request = http_for(ClientCredentials::new("svc-1", "pässwörd€"));
    assert_eq!(
        authorization(&request),
        Some("Basic c3ZjLTE6cCVDMyVBNHNzdyVDMyVCNnJkJUUyJTgyJUFD")
    );
    // Same for a client_id.
    let request = http_for(ClientCredentials::new("clïent", "x"));
    let inner = STANDARD
        .decode(
            authorization(&request)
                .unwrap()
                .strip_prefix("Basic ")
                .unwrap(),
        )
        .unwrap();
    assert_eq!(inner, b"cl%C3%AFent:x");
}

#[test]
fn base64_is_standard_and_padded_f4_c13_rfc7617_2() {
    let request = http_for(ClientCredentials::new("cid", "~~~>?"));
    let value = authorization(&request).unwrap();
    assert_eq!(value, "Basic Y2lkOn5+fiUzRSUzRg==");
    assert_eq!(value.matches(' ').count(), 1, "exactly one SP after Basic");
    assert_ne!(value, "Basic Y2lkOn5-fiUzRSUzRg");
}

#[test]
fn post_mode_sends_form_encoded_body_credentials_and_no_header_f2_c14_rfc6749_2_3_1() {
    let credentials = ClientCredentials::new("client:id+1", "a b+c/d%e&f=g:h~i")
        .with_auth_method(ClientAuthMethod::ClientSecretPost);
    let request = http_for(credentials);
    assert!(request.headers().get(AUTHORIZATION).is_none());
    let form = body_form(&request);
    assert_eq!(form.get("client_id"), Some("client:id+1"));
    assert_eq!(form.get("client_secret"), Some("a b+c/d%e&f=g:h~i"));
    let body = std::str::from_utf8(request.body()).unwrap();
    assert!(
        body.contains("client_id=client%3Aid%2B1&client_secret=a%20b%2Bc%2Fd%25e%26f%3Dg%3Ah~i"),
        "{body}"
    );
}

#[test]
fn exactly_one_authentication_method_per_request_c15_rfc6749_2_3() {
    for method in [
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::ClientSecretBasicUnencoded,
    ] {
        let request = http_for(ClientCredentials::new("cid", "sec").with_auth_method(method));
        let form = body_form(&request);
        assert_eq!(form.count("client_secret"), 0, "{method:?}");
        assert_eq!(
            form.count("client_id"),
            0,
            "the library SHOULD NOT send client_id with Basic"
        );
        assert_eq!(request.headers().get_all(AUTHORIZATION).iter().count(), 1);
    }
    let request = http_for(
        ClientCredentials::new("cid", "sec").with_auth_method(ClientAuthMethod::ClientSecretPost),
    );
    assert!(request.headers().get(AUTHORIZATION).is_none());
    assert_eq!(body_form(&request).count("client_secret"), 1);
}

#[test]
fn empty_secret_is_allowed_c16_rfc6749_2_3_1() {
    let request = http_for(ClientCredentials::new("cid", ""));
    assert_eq!(
        authorization(&request),
        Some(format!("Basic {}", STANDARD.encode("cid:")).as_str())
    );
    let post = http_for(
        ClientCredentials::new("cid", "").with_auth_method(ClientAuthMethod::ClientSecretPost),
    );
    let form = body_form(&post);
    assert_eq!(form.get("client_id"), Some("cid"));
    assert_eq!(form.count("client_secret"), 0, "MAY omit the empty secret");
}

#[test]
fn unencoded_escape_hatch_sends_the_raw_pair() {
    let request = http_for(
        ClientCredentials::new("client:id+1", "a b+c/d%e&f=g:h~i")
            .with_auth_method(ClientAuthMethod::ClientSecretBasicUnencoded),
    );
    assert_eq!(
        authorization(&request),
        Some("Basic Y2xpZW50OmlkKzE6YSBiK2MvZCVlJmY9Zzpofmk=")
    );
    assert!(request.headers()[AUTHORIZATION].is_sensitive());
}

#[test]
fn secrets_with_special_characters_round_trip_through_basic_rfc6749_2_3_1() {
    for secret in [
        "+",
        ":",
        "/",
        "%",
        "=",
        " ",
        "é",
        "+ : / % = é",
        "%2B",
        "a:b:c",
        "::",
        "%%",
        "+%20+",
    ] {
        for id in ["cid", "a:b", "+ %", "é:é", ""] {
            let request = http_for(ClientCredentials::new(id, secret));
            assert_eq!(
                decoded_basic(&request),
                (id.to_owned(), secret.to_owned()),
                "id {id:?} secret {secret:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// A3. Scope and resource
// ---------------------------------------------------------------------------

#[test]
fn scopes_are_joined_with_one_space_c19_rfc6749_3_3() {
    let request =
        http_for(ClientCredentials::new("a", "b").with_scopes([Scope::Read, Scope::Write]));
    let form = body_form(&request);
    assert_eq!(form.get_all("scope").collect::<Vec<_>>(), ["read write"]);
    assert!(!std::str::from_utf8(request.body()).unwrap().contains(','));
}

#[test]
fn named_scopes_have_their_wire_strings() {
    let all = ClientCredentials::new("a", "b").with_scopes(Scope::NAMED);
    let form = body_form(&http_for(all));
    assert_eq!(
        form.get("scope"),
        Some(
            "discovery:read read serviceprofile:read serviceprofile:write serviceregistry:read serviceregistry:write \
             ts.application.ro ts.mec.fullaccess ts.mec.limitaccess write"
        )
    );
}

#[test]
fn invalid_scope_tokens_are_build_time_errors_c20_rfc6749_appendix_a_4() {
    for bad in ["a b", "a\"b", "a\\b", "", "é", "a\tb", "a\u{7f}", "\u{0}"] {
        assert!(Scope::new(bad).is_err(), "{bad:?}");
        assert!(bad.parse::<Scope>().is_err(), "{bad:?}");
    }
    assert_eq!(Scope::new(""), Err(ScopeError::Empty));
    assert_eq!(
        Scope::new("a\"b"),
        Err(ScopeError::InvalidCharacter {
            character: '"',
            offset: 1
        })
    );
    assert_eq!(
        Scope::new("é"),
        Err(ScopeError::InvalidCharacter {
            character: 'é',
            offset: 0
        })
    );
    assert_eq!(
        ScopeSet::parse("read a\\b"),
        Err(ScopeError::InvalidCharacter {
            character: '\\',
            offset: 6
        })
    );
}

#[test]
fn form_special_scope_characters_are_percent_encoded_c21_rfc6749_appendix_b() {
    let credentials = ClientCredentials::new("a", "b").with_scopes([
        Scope::new("a+b").unwrap(),
        Scope::new("urn:x:read").unwrap(),
        Scope::TsMecFullAccess,
    ]);
    let request = http_for(credentials);
    let body = std::str::from_utf8(request.body()).unwrap();
    assert!(body.contains("a%2Bb"), "{body}");
    assert!(body.contains("urn%3Ax%3Aread"), "{body}");
    assert!(body.contains("ts.mec.fullaccess"), "{body}");
    let scope: ScopeSet = body_form(&request).get("scope").unwrap().parse().unwrap();
    assert_eq!(
        scope.len(),
        3,
        "the AS sees three tokens, not a split `a b`"
    );
    assert!(scope.contains(&Scope::new("a+b").unwrap()));
}

#[test]
fn empty_scope_set_omits_the_parameter_c22_rfc6749_3_2() {
    let request = http_for(ClientCredentials::new("a", "b"));
    assert_eq!(body_form(&request).count("scope"), 0);
    assert_eq!(request.body(), b"grant_type=client_credentials");
}

#[test]
fn scope_sets_are_order_insensitive_and_deduplicated_c23_rfc6749_3_3() {
    let messy = request_for(ClientCredentials::new("a", "b").with_scopes([
        Scope::Write,
        Scope::Read,
        Scope::Read,
    ]));
    let tidy =
        request_for(ClientCredentials::new("a", "b").with_scopes([Scope::Read, Scope::Write]));
    let scope = body_form(&messy.to_http().unwrap())
        .get("scope")
        .unwrap()
        .to_owned();
    assert!(scope == "read write" || scope == "write read", "{scope}");
    assert_eq!(messy.key(), tidy.key(), "same cache key");
    let other = request_for(ClientCredentials::new("a", "b").with_scopes([Scope::Read]));
    assert_ne!(messy.key(), other.key());
    assert_eq!("write read read".parse::<ScopeSet>().unwrap(), read_write());
}

#[test]
fn resources_are_absolute_and_repeat_c24_rfc8707_2() {
    let request = request_for(ClientCredentials::new("a", "b"))
        .with_resource(Resource::new("https://api.example.com/").unwrap())
        .with_resource(Resource::new("https://api2.example.com/").unwrap())
        .to_http()
        .unwrap();
    let form = body_form(&request);
    assert_eq!(
        form.get_all("resource").collect::<Vec<_>>(),
        ["https://api.example.com/", "https://api2.example.com/"]
    );
    assert_eq!(Resource::new("/api"), Err(RequestError::InvalidResource));
    assert_eq!(
        Resource::new("https://api.example.com/#f"),
        Err(RequestError::InvalidResource)
    );
    // RFC 3986 §4.3: any absolute URI, not only URLs with an authority.
    for absolute in [
        "urn:example:api",
        "urn:ietf:params:oauth:token-type:jwt",
        "https://api.example.com/v1?x=%20y",
        "tag:example.com,2026:api",
    ] {
        assert_eq!(Resource::new(absolute).unwrap().as_str(), absolute);
    }
    for bad in [
        "",
        "urn:",
        "api",
        "1urn:x",
        "ur n:x",
        "urn:a b",
        "urn:a%zz",
        "urn:a%2",
        "urn:é",
        "https://api.example.com/a b",
        "urn:x#frag",
    ] {
        assert_eq!(
            Resource::new(bad),
            Err(RequestError::InvalidResource),
            "{bad:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// A4. Success-response parsing
// ---------------------------------------------------------------------------

const GOOD: &str =
    r#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"Bearer","expires_in":3600}"#;

#[test]
fn json_content_types_and_member_order_are_accepted_c25_rfc6749_5_1() {
    let scope = read_write();
    let options = ParseOptions::default();
    let ctx = ParseContext {
        requested_at: T0,
        requested_scope: &scope,
        options: &options,
    };
    for content_type in [
        "application/json",
        "application/json; charset=UTF-8",
        "Application/JSON",
        "application/jwt+json",
    ] {
        let parsed =
            response::parse_with_report(&answer(200, Some(content_type), GOOD), &ctx).unwrap();
        assert_eq!(parsed.deviations, [], "{content_type}");
    }
    let reordered =
        r#"{"expires_in":3600,"token_type":"Bearer","access_token":"2YotnFZFEjr1zCsicMWpAA"}"#;
    assert_eq!(token_of(reordered), token_of(GOOD));
    assert_eq!(
        token_of(GOOD).access_token().expose_secret(),
        "2YotnFZFEjr1zCsicMWpAA"
    );
}

#[test]
fn json_with_another_content_type_is_read_and_reported_c25() {
    let scope = read_write();
    let options = ParseOptions::default();
    let ctx = ParseContext {
        requested_at: T0,
        requested_scope: &scope,
        options: &options,
    };
    for content_type in [Some("text/plain"), Some("text/html; charset=utf-8"), None] {
        let parsed = response::parse_with_report(&answer(200, content_type, GOOD), &ctx).unwrap();
        assert_eq!(
            parsed.deviations,
            [Deviation::ContentType],
            "{content_type:?}"
        );
    }
}

#[test]
fn missing_or_wrongly_typed_access_token_is_malformed_c26_rfc6749_5_1() {
    assert_eq!(
        parse_kind(br#"{"token_type":"Bearer","expires_in":3600}"#),
        ParseErrorKind::Missing("access_token")
    );
    assert_eq!(
        parse_kind(br#"{"access_token":null,"token_type":"Bearer"}"#),
        ParseErrorKind::Missing("access_token")
    );
    for body in [
        r#"{"access_token":"","token_type":"Bearer"}"#,
        r#"{"access_token":12345,"token_type":"Bearer"}"#,
        r#"{"access_token":{"a":"b"},"token_type":"Bearer"}"#,
        r#"{"access_token":["a"],"token_type":"Bearer"}"#,
        r#"{"access_token":true,"token_type":"Bearer"}"#,
    ] {
        assert_eq!(invalid_field(body), "access_token", "{body}");
    }
}

#[test]
fn token_type_is_case_insensitive_and_sent_as_bearer_c27_rfc6749_5_1() {
    for wire in ["bearer", "BEARER", "Bearer", "bEaReR"] {
        let response = answer(
            200,
            Some("application/json"),
            format!(r#"{{"access_token":"tok","token_type":"{wire}"}}"#),
        );
        let client = f1_client();
        let token = client.parse_token_response(&response, T0).unwrap();
        assert_eq!(*token.token_type(), TokenType::Bearer);
        let mut call = http::Request::new(());
        client
            .with_token(token)
            .authorize_request(&mut call)
            .unwrap();
        assert_eq!(call.headers()[AUTHORIZATION], "Bearer tok", "{wire}");
    }
}

#[test]
fn unknown_token_types_are_refused_c28_rfc6749_7_1() {
    for wire in ["mac", "N_A", "DPoP", "Basic", "bearer2", ""] {
        let body = format!(r#"{{"access_token":"tok","token_type":"{wire}","expires_in":60}}"#);
        // The lenient parser keeps the type as data...
        assert_eq!(
            *token_of(&body).token_type(),
            TokenType::Other(wire.to_owned())
        );
        // ...but the client refuses it.
        let err = f1_client()
            .parse_token_response(&answer(200, Some("application/json"), body), T0)
            .unwrap_err();
        assert!(
            matches!(&err, Error::UnsupportedTokenType(t) if t == wire),
            "{wire}: {err:?}"
        );
    }
}

#[test]
fn a_client_holding_a_non_bearer_token_never_sends_it_c28_rfc6749_7_1() {
    let token = OAuthToken::new(
        AccessToken::new("tok"),
        T0,
        T0 + time::Duration::HOUR,
        ScopeSet::new(),
    )
    .with_token_type(TokenType::Other("mac".into()));
    let client = f1_client().with_token(token);
    let mut call = http::Request::new(());
    assert!(
        matches!(client.authorize_request(&mut call), Err(Error::UnsupportedTokenType(t)) if t == "mac")
    );
    assert!(call.headers().get(AUTHORIZATION).is_none());
}

#[test]
fn missing_token_type_is_an_error_unless_assumed_c29_rfc6749_5_1() {
    let body = br#"{"access_token":"tok","expires_in":60}"#;
    assert_eq!(parse_kind(body), ParseErrorKind::Missing("token_type"));
    assert_eq!(
        parse_kind(br#"{"access_token":"tok","token_type":null}"#),
        ParseErrorKind::Missing("token_type")
    );
    assert_eq!(
        invalid_field(r#"{"access_token":"tok","token_type":1}"#),
        "token_type"
    );
    let lenient = ParseOptions::default().with_assume_bearer_when_missing(true);
    let parsed = parse_ok_with(body, &lenient).unwrap();
    assert_eq!(*parsed.token.token_type(), TokenType::Bearer);
    assert_eq!(parsed.deviations, [Deviation::TokenTypeAssumed]);
}

#[test]
fn expiry_counts_from_the_time_the_request_was_sent_c30_rfc6749_5_1() {
    let clock = auth_core::ManualClock::new(T0);
    let client = f1_client();
    let _request = client.token_request().unwrap();
    let sent_at = auth_core::Clock::now(&clock);
    clock.advance(Duration::from_secs(5)); // the answer arrives 5 s later
    let body = r#"{"access_token":"tok","token_type":"Bearer","expires_in":100}"#;
    let token = client
        .parse_token_response(&answer(200, Some("application/json"), body), sent_at)
        .unwrap();
    assert_eq!(token.expires_at(), T0 + time::Duration::seconds(100));
    assert_eq!(token.issued_at(), T0);
    assert!(!token.is_expiry_assumed());
}

#[test]
fn missing_or_null_expires_in_uses_the_default_lifetime_c31() {
    for body in [
        r#"{"access_token":"tok","token_type":"Bearer"}"#,
        r#"{"access_token":"tok","token_type":"Bearer","expires_in":null}"#,
    ] {
        let token = token_of(body);
        assert_eq!(
            token.expires_at(),
            T0 + time::Duration::seconds(300),
            "{body}"
        );
        assert!(token.is_expiry_assumed());
    }
    let options = ParseOptions::default()
        .with_expiry(ExpiryPolicy::default().with_default_lifetime(Duration::from_secs(42)));
    let token = parse_ok_with(br#"{"access_token":"tok","token_type":"Bearer"}"#, &options)
        .unwrap()
        .token;
    assert_eq!(token.expires_at(), T0 + time::Duration::seconds(42));
}

#[test]
fn zero_expires_in_is_expired_on_arrival_c32() {
    let token = token_of(r#"{"access_token":"tok","token_type":"Bearer","expires_in":0}"#);
    assert_eq!(token.expires_at(), T0);
    assert!(token.is_expired(T0));
    let client = f1_client().with_token(token);
    assert!(client.needs_refresh(T0));
    // It can still serve the call that fetched it.
    let mut call = http::Request::new(());
    client.authorize_request(&mut call).unwrap();
}

#[test]
fn negative_expires_in_is_malformed_never_forever_c33() {
    for body in [
        r#"{"access_token":"tok","token_type":"Bearer","expires_in":-1}"#,
        r#"{"access_token":"tok","token_type":"Bearer","expires_in":-0.5}"#,
        r#"{"access_token":"tok","token_type":"Bearer","expires_in":"-1"}"#,
    ] {
        assert_eq!(invalid_field(body), "expires_in", "{body}");
    }
}

#[test]
fn huge_expires_in_is_clamped_to_the_max_lifetime_c34() {
    for value in [
        "1e12",
        "9223372036854775807",
        "1e400",
        "18446744073709551616",
        "1E999999",
        "\"99999999999999999999999\"",
    ] {
        let body =
            format!(r#"{{"access_token":"tok","token_type":"Bearer","expires_in":{value}}}"#);
        let token = token_of(&body);
        assert_eq!(
            token.expires_at(),
            T0 + time::Duration::HOUR * 24,
            "{value}"
        );
        let max = ParseOptions::default()
            .with_expiry(ExpiryPolicy::default().with_max_lifetime(Duration::from_secs(7)));
        assert_eq!(
            parse_ok_with(body.as_bytes(), &max)
                .unwrap()
                .token
                .expires_at(),
            T0 + time::Duration::seconds(7)
        );
    }
}

#[test]
fn huge_expires_in_without_a_cap_saturates_instead_of_expiring_c34() {
    // A caller who lifts the cap must get a token that lives (very) long,
    // never one that wrapped around to "expired at once".
    let uncapped = ParseOptions::default()
        .with_expiry(ExpiryPolicy::default().with_max_lifetime(Duration::MAX));
    for value in [
        "1e12",
        "9223372036854775807",
        "1e400",
        "18446744073709551616",
    ] {
        let body =
            format!(r#"{{"access_token":"tok","token_type":"Bearer","expires_in":{value}}}"#);
        let token = parse_ok_with(body.as_bytes(), &uncapped).unwrap().token;
        assert!(
            token.expires_at() > T0 + time::Duration::days(365 * 1000),
            "{value}: {:?}",
            token.expires_at()
        );
        assert!(!token.is_expired(T0 + time::Duration::days(365 * 100)));
    }
}

#[test]
fn expires_in_as_a_string_or_fraction_is_accepted_and_reported_c35() {
    let parsed =
        parse_ok(br#"{"access_token":"tok","token_type":"Bearer","expires_in":"3600"}"#).unwrap();
    assert_eq!(parsed.token.expires_at(), T0 + time::Duration::HOUR);
    assert_eq!(parsed.deviations, [Deviation::ExpiresInString]);
    let parsed =
        parse_ok(br#"{"access_token":"tok","token_type":"Bearer","expires_in":3600.5}"#).unwrap();
    assert_eq!(
        parsed.token.expires_at(),
        T0 + time::Duration::HOUR,
        "floored"
    );
    assert_eq!(parsed.deviations, [Deviation::ExpiresInFraction]);
    let parsed =
        parse_ok(br#"{"access_token":"tok","token_type":"Bearer","expires_in":3600}"#).unwrap();
    assert_eq!(parsed.deviations, []);
    for nonsense in [
        r#""soon""#,
        "true",
        "[]",
        "{}",
        r#""""#,
        r#""36 00""#,
        r#""0x10""#,
    ] {
        let body =
            format!(r#"{{"access_token":"tok","token_type":"Bearer","expires_in":{nonsense}}}"#);
        assert_eq!(invalid_field(&body), "expires_in", "{nonsense}");
    }
}

#[test]
fn unrecognized_members_are_ignored_and_kept_c36_rfc6749_5_1() {
    let body = r#"{"access_token":"tok","token_type":"Bearer","expires_in":60,"id_token":"x.y.z","refresh_expires_in":1800,
        "ext":{"a":[1,{"b":null}]},"not-before-policy":0}"#;
    let token = token_of(body);
    let names: Vec<&str> = token.extra().keys().collect();
    assert_eq!(
        names,
        ["ext", "id_token", "not-before-policy", "refresh_expires_in"]
    );
    assert_eq!(token.extra()["ext"].get(), r#"{"a":[1,{"b":null}]}"#);
    assert_eq!(token.extra()["not-before-policy"].get(), "0");
}

#[test]
fn refresh_token_is_kept_but_never_used_c37_rfc6749_4_4_3() {
    let body = r#"{"access_token":"tok","token_type":"Bearer","expires_in":60,"refresh_token":"tGzv3JOkF0XG5Qx2TlKWIA"}"#;
    let client = f1_client();
    let token = client
        .parse_token_response(&answer(200, Some("application/json"), body), T0)
        .unwrap();
    assert_eq!(
        token.refresh_token().unwrap().expose_secret(),
        "tGzv3JOkF0XG5Qx2TlKWIA"
    );
    let client = client.with_token(token);
    // Renewal is a new client-credentials grant.
    let renewal = client.token_request().unwrap();
    let form = body_form(&renewal);
    assert_eq!(form.get("grant_type"), Some("client_credentials"));
    assert_eq!(form.count("refresh_token"), 0);
    // Its absence is never an error.
    assert!(token_of(GOOD).refresh_token().is_none());
}

#[test]
fn absent_scope_means_the_requested_scope_c38_rfc6749_5_1() {
    assert_eq!(token_of(GOOD).scope(), &read_write());
    let scope = ScopeSet::new();
    let options = ParseOptions::default();
    let ctx = ParseContext {
        requested_at: T0,
        requested_scope: &scope,
        options: &options,
    };
    let token = response::parse(&answer(200, Some("application/json"), GOOD), &ctx).unwrap();
    assert!(
        token.scope().is_empty(),
        "nothing requested: AS default, unknown"
    );
    let null_scope = r#"{"access_token":"tok","token_type":"Bearer","scope":null}"#;
    assert_eq!(token_of(null_scope).scope(), &read_write());
}

#[test]
fn a_narrower_granted_scope_is_the_response_s_c39_rfc6749_3_3_5_1() {
    let token = token_of(r#"{"access_token":"tok","token_type":"Bearer","scope":"read"}"#);
    assert_eq!(token.scope(), &"read".parse::<ScopeSet>().unwrap());
    // Through the client, which requested `read write`.
    let body = r#"{"access_token":"tok","token_type":"Bearer","scope":"read"}"#;
    let token = f1_client()
        .parse_token_response(&answer(200, Some("application/json"), body), T0)
        .unwrap();
    assert_eq!(token.scope().to_string(), "read");
}

#[test]
fn scope_array_and_untidy_whitespace_are_accepted_and_reported_c39() {
    let parsed =
        parse_ok(br#"{"access_token":"tok","token_type":"Bearer","scope":["read"]}"#).unwrap();
    assert_eq!(parsed.token.scope().to_string(), "read");
    assert_eq!(parsed.deviations, [Deviation::ScopeArray]);
    let parsed =
        parse_ok(br#"{"access_token":"tok","token_type":"Bearer","scope":" write\tread  "}"#)
            .unwrap();
    assert_eq!(parsed.token.scope(), &read_write());
    assert_eq!(parsed.deviations, [Deviation::ScopeWhitespace]);
    for bad in ["[1]", r#"["a b\""]"#, "5", "{}", r#""a\"b""#, r#""é""#] {
        let body = format!(r#"{{"access_token":"tok","token_type":"Bearer","scope":{bad}}}"#);
        assert_eq!(invalid_field(&body), "scope", "{bad}");
    }
}

#[test]
fn duplicate_members_are_malformed_c40_rfc6749_3_2_rfc8259_4() {
    assert_eq!(
        parse_kind(br#"{"access_token":"a","token_type":"Bearer","access_token":"b"}"#),
        ParseErrorKind::Duplicate("access_token".into())
    );
    // An escaped spelling is the same name.
    assert_eq!(
        parse_kind(br#"{"access_token":"a","token_type":"Bearer","token\u005ftype":"Bearer"}"#),
        ParseErrorKind::Duplicate("token_type".into())
    );
    assert_eq!(
        parse_kind(br#"{"access_token":"a","token_type":"Bearer","x":1,"x":1}"#),
        ParseErrorKind::Duplicate("x".into())
    );
}

#[test]
fn many_members_parse_in_linear_time_c40() {
    // A 1 MiB-ish body of distinct members must not make the duplicate check quadratic.
    let mut body = String::from(r#"{"access_token":"tok","token_type":"Bearer""#);
    for i in 0..100_000 {
        write!(body, r#","m{i}":0"#).unwrap();
    }
    body.push('}');
    let started = std::time::Instant::now();
    let token = token_of(&body);
    assert_eq!(token.extra().len(), 100_000);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_byte_order_mark_is_skipped_and_reported_c41_rfc8259_8_1() {
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend_from_slice(GOOD.as_bytes());
    let parsed = parse_ok(&body).unwrap();
    assert_eq!(parsed.token, token_of(GOOD));
    assert_eq!(parsed.deviations, [Deviation::ByteOrderMark]);
    assert_eq!(parse_kind(b"\xEF\xBB\xBF"), ParseErrorKind::Empty);
}

/// C-42 bodies: not JSON, truncated, array, string, invalid UTF-8, empty.
const NOT_A_TOKEN: [(&str, &[u8]); 7] = [
    (
        "html",
        b"<html><head><title>Login</title></head><body>Please sign in</body></html>",
    ),
    ("truncated", br#"{"access_token":"2YotnFZFEjr1zCsic"#),
    ("array", br#"[{"access_token":"2YotnFZFEjr1zCsicMWpAA"}]"#),
    ("string", br#""2YotnFZFEjr1zCsicMWpAA""#),
    ("number", b"2345678901"),
    (
        "invalid utf-8",
        b"{\"access_token\":\"2YotnFZFEjr1zCsic\xff\xfe\",\"token_type\":\"Bearer\"}",
    ),
    ("empty", b""),
];

#[test]
fn non_token_2xx_bodies_are_typed_errors_without_excerpt_c42() {
    let kinds: Vec<(&str, ParseErrorKind)> = NOT_A_TOKEN
        .iter()
        .map(|(name, body)| (*name, parse_kind(body)))
        .collect();
    for (name, kind) in &kinds {
        let expected = match *name {
            "array" | "string" | "number" => matches!(kind, ParseErrorKind::NotObject),
            "empty" => *kind == ParseErrorKind::Empty,
            _ => matches!(kind, ParseErrorKind::NotJson { .. }),
        };
        assert!(expected, "{name}: {kind:?}");
    }
    assert_eq!(parse_kind(b" \r\n\t "), ParseErrorKind::Empty);
    // No excerpt of a success body, which may hold a token: nothing of it is printed.
    for (name, body) in NOT_A_TOKEN {
        let err = parse_ok(body).unwrap_err();
        assert_eq!(err.status(), Some(StatusCode::OK));
        let printed = everything_printed(&err);
        for leak in ["2YotnFZFEjr1zCsic", "Login", "sign in", "2345678901"] {
            assert!(!printed.contains(leak), "{name}: {printed}");
        }
    }
}

#[test]
fn non_token_failure_bodies_are_api_errors_with_bounded_excerpts_c42() {
    for status in [500u16, 502, 503, 404, 302] {
        for (name, body) in NOT_A_TOKEN {
            let err = response::parse_error(
                StatusCode::from_u16(status).unwrap(),
                &HeaderMap::new(),
                body,
            );
            let Error::Api(api) = &err else {
                panic!("{status} {name}: {err:?}")
            };
            assert_eq!(api.status.as_u16(), status);
            assert!(api.excerpt.len() <= ApiError::EXCERPT_LIMIT, "{name}");
            if body.is_empty() {
                assert_eq!(api.excerpt, "");
            }
        }
    }
    let html = response::parse_error(StatusCode::BAD_GATEWAY, &HeaderMap::new(), NOT_A_TOKEN[0].1);
    assert_eq!(
        html.to_string(),
        format!(
            "unexpected provider response: HTTP 502: {}",
            String::from_utf8_lossy(NOT_A_TOKEN[0].1)
        )
    );
}

#[test]
fn excerpts_stay_within_512_bytes_whatever_the_body_c42() {
    let bodies: [Vec<u8>; 5] = [
        vec![b'x'; 100_000],
        vec![0x01; 2000],              // control characters are escaped: \u{1}
        vec![0xff; 2000],              // invalid UTF-8 becomes U+FFFD (3 bytes)
        "€".repeat(1000).into_bytes(), // multi-byte characters cut at the limit
        b"a\n\n\n\t b".repeat(500),
    ];
    for body in &bodies {
        let api = ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, body, None);
        assert!(
            api.excerpt.len() <= ApiError::EXCERPT_LIMIT,
            "{} bytes: {:?}",
            api.excerpt.len(),
            &api.excerpt[..40]
        );
        assert!(!api.excerpt.is_empty());
        assert!(!api.excerpt.contains('\n'));
        assert!(api.excerpt.ends_with('…'), "a cut excerpt says so");
    }
    let short = ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, b"oops\x01", None);
    assert_eq!(short.excerpt, "oops\\u{1}");
}

#[test]
fn error_member_in_a_200_is_the_provider_error_c43_rfc6749_5_1() {
    let err = parse_ok(br#"{"error":"invalid_client","error_description":"bad"}"#).unwrap_err();
    let Error::Provider(provider) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(provider.code, ErrorCode::InvalidClient);
    assert_eq!(provider.description.as_deref(), Some("bad"));
    assert_eq!(provider.status, StatusCode::OK);
    // Even next to an access token.
    let err = parse_ok(br#"{"access_token":"tok","token_type":"Bearer","error":"invalid_scope"}"#)
        .unwrap_err();
    assert!(matches!(err, Error::Provider(p) if p.code == ErrorCode::InvalidScope));
}

#[test]
fn a_16_kib_access_token_is_accepted_c44_rfc6749_5_1() {
    let value: String = "aZ09-._~+/".chars().cycle().take(16 * 1024).collect();
    let token = token_of(&format!(
        r#"{{"access_token":"{value}","token_type":"Bearer","expires_in":60}}"#
    ));
    assert_eq!(token.access_token().expose_secret(), value);
    let mut call = http::Request::new(());
    f1_client()
        .with_token(token)
        .authorize_request(&mut call)
        .unwrap();
    assert_eq!(
        call.headers()[AUTHORIZATION].len(),
        "Bearer ".len() + 16 * 1024
    );
}

#[test]
fn a_bearer_token_that_is_not_a_b64token_is_an_error_c45_rfc6750_2_1() {
    for value in [
        "a b",
        "a\\\"b",
        "a,b",
        "é",
        "a=b",
        "==",
        "a\\u0000b",
        "tok\\n",
    ] {
        let body = format!(r#"{{"access_token":"{value}","token_type":"Bearer"}}"#);
        assert_eq!(invalid_field(&body), "access_token", "{value}");
    }
    // A token built by hand is refused at first use, never a malformed header.
    let token = OAuthToken::new(
        AccessToken::new("a b"),
        T0,
        T0 + time::Duration::HOUR,
        ScopeSet::new(),
    );
    let mut call = http::Request::new(());
    let err = f1_client()
        .with_token(token)
        .authorize_request(&mut call)
        .unwrap_err();
    assert!(matches!(err, Error::InvalidAccessToken));
    assert!(call.headers().get(AUTHORIZATION).is_none());
}

// ---------------------------------------------------------------------------
// A5 (sans-IO part). Error responses
// ---------------------------------------------------------------------------

#[test]
fn oauth_errors_are_typed_and_unknown_codes_kept_c46_rfc6749_5_2() {
    let cases = [
        ("invalid_request", ErrorCode::InvalidRequest),
        ("invalid_client", ErrorCode::InvalidClient),
        ("invalid_grant", ErrorCode::InvalidGrant),
        ("unauthorized_client", ErrorCode::UnauthorizedClient),
        ("unsupported_grant_type", ErrorCode::UnsupportedGrantType),
        ("invalid_scope", ErrorCode::InvalidScope),
        ("invalid_target", ErrorCode::Other("invalid_target".into())),
        ("slow_down", ErrorCode::Other("slow_down".into())),
    ];
    for status in [400u16, 401] {
        for (wire, code) in &cases {
            let body = format!(
                r#"{{"error":"{wire}","error_description":"why","error_uri":"https://as.example/e"}}"#
            );
            let err = response::parse_error(
                StatusCode::from_u16(status).unwrap(),
                &json_headers(),
                body.as_bytes(),
            );
            let Error::Provider(provider) = &err else {
                panic!("{err:?}")
            };
            assert_eq!(&provider.code, code);
            assert_eq!(provider.code.as_str(), *wire);
            assert_eq!(provider.description.as_deref(), Some("why"));
            assert_eq!(provider.uri.as_deref(), Some("https://as.example/e"));
            assert_eq!(err.status(), Some(StatusCode::from_u16(status).unwrap()));
        }
    }
    // The same through parse_parts and the client.
    let answer = answer(
        401,
        Some("application/json"),
        r#"{"error":"invalid_client"}"#,
    );
    let err = f1_client().parse_token_response(&answer, T0).unwrap_err();
    assert!(
        matches!(err, Error::Provider(p) if p.code == ErrorCode::InvalidClient && p.status == StatusCode::UNAUTHORIZED)
    );
}

#[test]
fn an_error_body_without_error_member_is_an_http_error_with_status_c46() {
    for body in [
        &br#"{"error_description":"no code"}"#[..],
        br#"{"error":42}"#,
        br#"{"error":null}"#,
        b"Service Unavailable",
    ] {
        let err = response::parse_error(StatusCode::BAD_REQUEST, &json_headers(), body);
        let Error::Api(api) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(api.status, StatusCode::BAD_REQUEST);
        assert!(!api.excerpt.is_empty());
    }
}

#[test]
fn provider_texts_are_bounded() {
    let long = "x".repeat(10_000);
    let body = format!(r#"{{"error":"{long}","error_description":"{long}","error_uri":"{long}"}}"#);
    let Error::Provider(p) =
        response::parse_error(StatusCode::BAD_REQUEST, &HeaderMap::new(), body.as_bytes())
    else {
        panic!("provider error expected")
    };
    assert!(p.code.as_str().len() <= response::PROVIDER_TEXT_LIMIT);
    assert!(p.description.unwrap().len() <= response::PROVIDER_TEXT_LIMIT);
    assert!(p.uri.unwrap().len() <= response::PROVIDER_TEXT_LIMIT);
}

#[test]
fn retry_after_is_parsed_from_failures_c49_rfc9110_10_2_3_rfc6585_4() {
    let with_retry_after = |value: &'static str| {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static(value));
        headers
    };
    let err = response::parse_error(
        StatusCode::TOO_MANY_REQUESTS,
        &with_retry_after("2"),
        b"slow down",
    );
    assert_eq!(
        err.retry_after(),
        Some(RetryAfter::Delay(Duration::from_secs(2)))
    );
    assert_eq!(
        err.retry_after().unwrap().delay_from(T0),
        Duration::from_secs(2)
    );
    let err = response::parse_error(
        StatusCode::SERVICE_UNAVAILABLE,
        &with_retry_after("Thu, 01 Jan 2026 00:00:30 GMT"),
        br#"{"error":"temporarily_unavailable"}"#,
    );
    assert!(matches!(&err, Error::Provider(p) if p.code.is_transient()));
    assert_eq!(
        err.retry_after(),
        Some(RetryAfter::At(datetime!(2026-01-01 00:00:30 UTC)))
    );
    assert_eq!(
        err.retry_after().unwrap().delay_from(T0),
        Duration::from_secs(30)
    );
    assert_eq!(
        err.retry_after()
            .unwrap()
            .delay_from(T0 + time::Duration::MINUTE),
        Duration::ZERO
    );
    for nonsense in ["soon", "-1", "1.5", ""] {
        let err = response::parse_error(
            StatusCode::TOO_MANY_REQUESTS,
            &with_retry_after(nonsense),
            b"",
        );
        assert_eq!(err.retry_after(), None, "{nonsense}");
    }
    assert_eq!(
        RetryAfter::parse(b" 120 "),
        Some(RetryAfter::Delay(Duration::from_secs(120)))
    );
    // Through the client too.
    let answer = http::Response::builder()
        .status(503)
        .header(RETRY_AFTER, "7")
        .body(b"busy".to_vec())
        .unwrap();
    let err = f1_client().parse_token_response(&answer, T0).unwrap_err();
    assert_eq!(
        err.retry_after(),
        Some(RetryAfter::Delay(Duration::from_secs(7)))
    );
}

#[test]
fn permanent_and_transient_codes_are_told_apart_c47() {
    for permanent in [
        "invalid_client",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "invalid_grant",
        "invalid_target",
    ] {
        assert!(!ErrorCode::from(permanent).is_transient(), "{permanent}");
    }
    for transient in ["temporarily_unavailable", "slow_down"] {
        assert!(ErrorCode::from(transient).is_transient(), "{transient}");
    }
}

// ---------------------------------------------------------------------------
// Strict mode: every deviation becomes Error::Deviation
// ---------------------------------------------------------------------------

#[test]
fn strict_mode_turns_each_deviation_into_an_error() {
    let strict = ParseOptions::default().with_strict(true);
    let scope = read_write();
    let ctx = ParseContext {
        requested_at: T0,
        requested_scope: &scope,
        options: &strict,
    };
    let json = Some("application/json");
    let bom = [b"\xEF\xBB\xBF".as_slice(), GOOD.as_bytes()].concat();
    let cases: Vec<(http::Response<Vec<u8>>, Deviation)> = vec![
        (answer(201, json, GOOD), Deviation::Status(201)),
        (
            answer(200, Some("text/plain"), GOOD),
            Deviation::ContentType,
        ),
        (answer(200, None, GOOD), Deviation::ContentType),
        (answer(200, json, bom), Deviation::ByteOrderMark),
        (
            answer(
                200,
                json,
                r#"{"access_token":"t","token_type":"Bearer","expires_in":"60"}"#,
            ),
            Deviation::ExpiresInString,
        ),
        (
            answer(
                200,
                json,
                r#"{"access_token":"t","token_type":"Bearer","expires_in":60.5}"#,
            ),
            Deviation::ExpiresInFraction,
        ),
        (
            answer(
                200,
                json,
                r#"{"access_token":"t","token_type":"Bearer","scope":["read"]}"#,
            ),
            Deviation::ScopeArray,
        ),
        (
            answer(
                200,
                json,
                r#"{"access_token":"t","token_type":"Bearer","scope":"read  write"}"#,
            ),
            Deviation::ScopeWhitespace,
        ),
    ];
    for (response, deviation) in cases {
        let lenient_ctx = ParseContext {
            options: &ParseOptions::default(),
            ..ctx
        };
        let lenient = response::parse_with_report(&response, &lenient_ctx).unwrap();
        assert_eq!(lenient.deviations, std::slice::from_ref(&deviation));
        match response::parse(&response, &ctx) {
            Err(Error::Deviation(e)) => assert_eq!(e.deviations, [deviation]),
            other => panic!("{deviation:?}: {other:?}"),
        }
    }
    let assumed = strict.with_assume_bearer_when_missing(true);
    let err = parse_ok_with(br#"{"access_token":"t"}"#, &assumed).unwrap_err();
    assert!(matches!(err, Error::Deviation(e) if e.deviations == [Deviation::TokenTypeAssumed]));
    // Several at once are all reported, in order.
    let err = response::parse(
        &answer(
            202,
            Some("text/plain"),
            r#"{"access_token":"t","token_type":"Bearer","expires_in":"1"}"#,
        ),
        &ctx,
    )
    .unwrap_err();
    let Error::Deviation(e) = err else {
        panic!("deviation expected")
    };
    assert_eq!(
        e.deviations,
        [
            Deviation::Status(202),
            Deviation::ContentType,
            Deviation::ExpiresInString
        ]
    );
    // A clean answer passes strict mode, and strict mode reaches the client.
    assert!(response::parse(&answer(200, json, GOOD), &ctx).is_ok());
    let client = f1_client().with_options(strict);
    assert!(client.options().is_strict());
    assert!(matches!(
        client.parse_token_response(&answer(201, json, GOOD), T0),
        Err(Error::Deviation(_))
    ));
}

// ---------------------------------------------------------------------------
// Typestate lifecycle
// ---------------------------------------------------------------------------

#[test]
fn full_lifecycle_request_parse_authorize() {
    let client = f1_client();
    let request = client.token_request().unwrap();
    assert_eq!(
        authorization(&request),
        Some("Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW")
    );
    assert_eq!(
        request.body(),
        b"grant_type=client_credentials&scope=read%20write"
    );
    let token = client
        .parse_token_response(&answer(200, Some("application/json"), GOOD), T0)
        .unwrap();
    let client = client.with_token(token);
    assert_eq!(
        client.token().access_token().expose_secret(),
        "2YotnFZFEjr1zCsicMWpAA"
    );
    let mut call = http::Request::get("https://api.example/things")
        .body(())
        .unwrap();
    client.authorize_request(&mut call).unwrap();
    let header = &call.headers()[AUTHORIZATION];
    assert_eq!(header, "Bearer 2YotnFZFEjr1zCsicMWpAA");
    assert!(header.is_sensitive());
    assert_eq!(call.headers().get_all(AUTHORIZATION).iter().count(), 1);
    // Authorizing twice replaces, never appends.
    client.authorize_request(&mut call).unwrap();
    assert_eq!(call.headers().get_all(AUTHORIZATION).iter().count(), 1);
    assert!(client.bearer_header().unwrap().is_sensitive());
    // Renewal ahead of expiry: 60 s skew on a 3600 s token.
    assert!(!client.needs_refresh(T0 + time::Duration::seconds(3539)));
    assert!(client.needs_refresh(T0 + time::Duration::seconds(3540)));
    let renewed = client
        .parse_token_response(
            &answer(200, Some("application/json"), GOOD),
            T0 + time::Duration::HOUR,
        )
        .unwrap();
    let client = client.with_token(renewed);
    assert_eq!(client.token().expires_at(), T0 + time::Duration::HOUR * 2);
    assert_eq!(client.into_token().issued_at(), T0 + time::Duration::HOUR);
}

#[test]
fn a_failed_grant_leaves_the_unauthorized_client_usable() {
    let client = f1_client();
    let failures = [
        answer(
            401,
            Some("application/json"),
            r#"{"error":"invalid_client"}"#,
        ),
        answer(500, Some("text/html"), "<html>oops</html>"),
        answer(200, Some("application/json"), "{"),
        answer(
            200,
            Some("application/json"),
            r#"{"access_token":"t","token_type":"mac"}"#,
        ),
    ];
    for failure in &failures {
        assert!(client.parse_token_response(failure, T0).is_err());
        // Still here, still able to build its request.
        assert!(client.token_request().is_ok());
    }
    let token = client
        .parse_token_response(&answer(200, Some("application/json"), GOOD), T0)
        .unwrap();
    let client = client.with_token(token);
    assert!(!client.needs_refresh(T0));
}

#[test]
fn a_stored_token_restores_an_authorized_client() {
    let client = f1_client();
    let body = r#"{"access_token":"tok-123","token_type":"Bearer","expires_in":3600,"scope":"read","id_token":"x"}"#;
    let token = client
        .parse_token_response(&answer(200, Some("application/json"), body), T0)
        .unwrap();
    let stored = token.to_stored_json(&stored_key()).unwrap();
    // Yesterday's token reloads today with its true remaining life.
    let restored = OAuthToken::from_stored_json(stored.as_bytes(), &stored_key()).unwrap();
    assert_eq!(restored, token);
    assert_eq!(restored.expires_at(), T0 + time::Duration::HOUR);
    let client =
        Client::new(url(), ClientCredentials::new("s6BhdRkqt3", "gX1fBat3bV")).with_token(restored);
    assert!(!client.needs_refresh(T0 + time::Duration::MINUTE * 30));
    assert!(client.needs_refresh(T0 + time::Duration::MINUTE * 59));
    let mut call = http::Request::new(());
    client.authorize_request(&mut call).unwrap();
    assert_eq!(call.headers()[AUTHORIZATION], "Bearer tok-123");
    // Corrupt and future files are typed errors.
    assert!(matches!(
        OAuthToken::from_stored_json(b"not json", &stored_key()),
        Err(StoredTokenError::Corrupt { .. })
    ));
    let future = stored.replace(r#""version":2"#, r#""version":99"#);
    assert_eq!(
        OAuthToken::from_stored_json(future.as_bytes(), &stored_key()),
        Err(StoredTokenError::UnsupportedVersion(99))
    );
    let unknown = stored.replace(r#""version":2"#, r#""version":2,"surprise":true"#);
    assert!(matches!(
        OAuthToken::from_stored_json(unknown.as_bytes(), &stored_key()),
        Err(StoredTokenError::Corrupt { .. })
    ));
    let empty = stored.replace("tok-123", "");
    assert_eq!(
        OAuthToken::from_stored_json(empty.as_bytes(), &stored_key()),
        Err(StoredTokenError::Invalid("access_token"))
    );
}

#[test]
fn into_unauthorized_forgets_the_token_and_keeps_the_configuration() {
    let client = f1_client().with_options(ParseOptions::default().with_strict(true));
    let authorized = client.with_token(OAuthToken::new(
        AccessToken::new("tok"),
        T0,
        T0 + time::Duration::HOUR,
        ScopeSet::new(),
    ));
    let unauthorized: Client<Unauthorized> = authorized.into_unauthorized();
    assert!(unauthorized.options().is_strict());
    assert_eq!(unauthorized.credentials().id().as_str(), "s6BhdRkqt3");
    assert_eq!(
        unauthorized.token_request().unwrap().body(),
        b"grant_type=client_credentials&scope=read%20write"
    );
    assert!(format!("{unauthorized:?}").starts_with("Client<Unauthorized>"));
}

#[test]
fn debug_names_the_state() {
    let client = f1_client();
    let debug = format!("{client:?}");
    assert!(debug.starts_with("Client<Unauthorized> {"), "{debug}");
    assert!(debug.contains("s6BhdRkqt3"));
    let authorized = client.clone().with_token(OAuthToken::new(
        AccessToken::new("tok"),
        T0,
        T0,
        ScopeSet::new(),
    ));
    let debug = format!("{authorized:?}");
    assert!(debug.starts_with("Client<Authorized> {"), "{debug}");
    assert!(debug.contains("expires_at"), "{debug}");
}

// ---------------------------------------------------------------------------
// C-18: secrets and tokens never printed
// ---------------------------------------------------------------------------

const SECRET: &str = "s3cr3t+/ V@lue";
const TOKEN: &str = "tok-SENSITIVE-9f8e7d";

fn secret_client(method: ClientAuthMethod) -> Client<Unauthorized> {
    Client::new(
        url(),
        ClientCredentials::new("cid", SECRET)
            .with_auth_method(method)
            .with_scope(Scope::Read),
    )
}

fn secret_needles() -> Vec<String> {
    let basic_value = STANDARD.encode(format!("cid:{}", auth_core::form::encode_component(SECRET)));
    vec![
        SECRET.to_owned(),
        auth_core::form::encode_component(SECRET),
        auth_core::form::encode_component(SECRET).replace("%20", "+"),
        basic_value,
        TOKEN.to_owned(),
        "s3cr3t".to_owned(),
        "SENSITIVE".to_owned(),
    ]
}

fn assert_nothing_secret(what: &str, printed: &str) {
    for needle in secret_needles() {
        assert!(
            !printed.contains(&needle),
            "{what} prints {needle:?}: {printed}"
        );
    }
}

#[test]
fn secrets_never_appear_in_debug_or_display_of_values_c18_rfc6749_10_3() {
    let client = secret_client(ClientAuthMethod::ClientSecretBasic);
    let token = OAuthToken::new(
        AccessToken::new(TOKEN),
        T0,
        T0 + time::Duration::HOUR,
        ScopeSet::new(),
    );
    let mut with_refresh = token_of(&format!(
        r#"{{"access_token":"{TOKEN}","token_type":"Bearer","refresh_token":"{TOKEN}","id_token":"{TOKEN}"}}"#
    ));
    assert_eq!(with_refresh.refresh_token().unwrap().expose_secret(), TOKEN);
    let request = client.token_request().unwrap();
    let authorized = client.clone().with_token(token.clone());
    let mut call = http::Request::new(());
    authorized.authorize_request(&mut call).unwrap();
    let printed = [
        format!("{client:?} {client:#?}"),
        format!("{:?} {:#?}", client.credentials(), client.credentials()),
        format!(
            "{} {:?}",
            client.credentials().secret(),
            client.credentials().secret()
        ),
        format!("{:?}", client.request()),
        format!("{:?}", request.headers()),
        format!("{authorized:?} {authorized:#?}"),
        format!("{token:?} {token:#?}"),
        format!("{with_refresh:?} {:?}", with_refresh.refresh_token()),
        format!("{:?}", call.headers()),
        format!("{:?}", authorized.bearer_header().unwrap()),
        format!(
            "{:?}",
            basic::decode(request.headers()[AUTHORIZATION].as_bytes()).unwrap()
        ),
        format!(
            "{:?}",
            basic::decode_raw(request.headers()[AUTHORIZATION].as_bytes()).unwrap()
        ),
        format!(
            "{:?}",
            Form::parse(
                format!(
                    "client_secret={}",
                    auth_core::form::encode_component(SECRET)
                )
                .as_bytes(),
                4
            )
            .unwrap()
        ),
        format!("{:?}", client.request().key()),
    ];
    for (i, printed) in printed.iter().enumerate() {
        assert_nothing_secret(&format!("value #{i}"), printed);
    }
    with_refresh = with_refresh.with_token_type(TokenType::Bearer);
    assert!(!format!("{with_refresh:?}").contains(TOKEN));
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one list of every error a leak could hide in"
)]
fn secrets_never_appear_in_errors_c18_rfc6749_10_3() {
    let mut errors: Vec<(String, Error)> = Vec::new();
    for method in [
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::ClientSecretBasicUnencoded,
        ClientAuthMethod::ClientSecretPost,
    ] {
        let client = secret_client(method);
        let request = client.token_request().unwrap();
        let body = String::from_utf8(request.body().clone()).unwrap();
        let basic = request
            .headers()
            .get(AUTHORIZATION)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        // A provider that echoes the whole request back in a failure page or
        // an OAuth error description.
        let echo =
            format!("<pre>POST /token\nAuthorization: {basic}\n\n{body}\nsecret={SECRET}</pre>");
        let description = format!("wrong secret {SECRET} / {basic} / {body}").replace('"', "'");
        let provider_echo = serde_json::json!({"error": "invalid_client", "error_description": description, "error_uri": format!("https://as.example/?{body}")}).to_string();
        for (status, body) in [
            (500, echo.clone()),
            (401, echo.clone()),
            (401, provider_echo.clone()),
            (200, provider_echo),
        ] {
            let err = client
                .parse_token_response(&answer(status, Some("text/html"), body), T0)
                .unwrap_err();
            errors.push((format!("{method:?} echo {status}"), err));
        }
    }
    let client = secret_client(ClientAuthMethod::ClientSecretBasic);
    let token_bodies = [
        format!(r#"{{"access_token":"{TOKEN}","token_type":"mac"}}"#),
        format!(r#"{{"access_token":"{TOKEN}","token_type":"Bearer","access_token":"{TOKEN}"}}"#),
        format!(r#"{{"access_token":"{TOKEN} x","token_type":"Bearer"}}"#),
        format!(r#"{{"access_token":"{TOKEN}é","token_type":"Bearer"}}"#),
        format!(r#"{{"access_token":"{TOKEN}","token_type":"Bearer","expires_in":"{TOKEN}"}}"#),
        format!(r#"{{"access_token":"{TOKEN}","token_type":"Bearer","scope":"\"{TOKEN}"}}"#),
        format!(r#"{{"access_token":"{TOKEN}","token_type":{{"{TOKEN}":1}}}}"#),
        format!(
            r#"{{"access_token":"{TOKEN}","token_type":"Bearer","refresh_token":["{TOKEN}"]}}"#
        ),
        format!(r#"{{"access_token":"{TOKEN}","token_type":"Bearer""#),
        format!(r#"{{"access_token":"{TOKEN}"}}"#),
        format!(r#""{TOKEN}""#),
        format!(r#"["{TOKEN}"]"#),
        format!(r#"{{"access_token":"{TOKEN}","token_type":"Bearer","expires_in":-1}}"#),
        format!("{{\"access_token\":\"{TOKEN}\u{1}\",\"token_type\":\"Bearer\"}}"),
    ];
    let mut token_bodies: Vec<Vec<u8>> = token_bodies.into_iter().map(String::into_bytes).collect();
    token_bodies.push(
        [
            format!(r#"{{"access_token":"{TOKEN}"#).as_bytes(),
            b"\xff\",\"token_type\":\"Bearer\"}",
        ]
        .concat(),
    );
    for body in &token_bodies {
        for status in [200, 201] {
            let err = client
                .parse_token_response(&answer(status, Some("application/json"), body.clone()), T0)
                .unwrap_err();
            errors.push((format!("token body {}", String::from_utf8_lossy(body)), err));
        }
    }
    let strict = client
        .clone()
        .with_options(ParseOptions::default().with_strict(true));
    let err = strict.parse_token_response(
        &answer(
            201,
            None,
            format!(r#"{{"access_token":"{TOKEN}","token_type":"Bearer"}}"#),
        ),
        T0,
    );
    errors.push(("strict".into(), err.unwrap_err()));
    let authorized = client.clone().with_token(OAuthToken::new(
        AccessToken::new(format!("{TOKEN} x")),
        T0,
        T0,
        ScopeSet::new(),
    ));
    errors.push((
        "bearer".into(),
        authorized
            .authorize_request(&mut http::Request::new(()))
            .unwrap_err(),
    ));
    let stored = OAuthToken::new(AccessToken::new(TOKEN), T0, T0, ScopeSet::new())
        .to_stored_json(&stored_key())
        .unwrap();
    for corrupt in [
        stored.replace(r#""version":2"#, r#""version":"2""#),
        stored
            .replace("Bearer", TOKEN)
            .replace(r#""token_type""#, r#""token_type":1,"x""#),
        stored.replace(
            r#""issued_at""#,
            &format!(r#""{TOKEN}":"{TOKEN}","issued_at""#),
        ),
        stored.replace("2026-01-01T00:00:00Z", TOKEN),
        stored[..stored.len() / 2].to_owned(),
        stored.replace(r#""scope":"""#, &format!(r#""scope":"\"{TOKEN}""#)),
    ] {
        let err = OAuthToken::from_stored_json(corrupt.as_bytes(), &stored_key()).unwrap_err();
        errors.push((format!("stored {corrupt}"), err.into()));
    }
    assert!(errors.len() > 40);
    for (what, err) in &errors {
        assert_nothing_secret(what, &everything_printed(err));
    }
}

#[test]
fn a_secret_cut_by_the_excerpt_limit_does_not_leak_in_part_c18() {
    let client = secret_client(ClientAuthMethod::ClientSecretPost);
    for filler in 490..ApiError::EXCERPT_LIMIT {
        let body = format!("{}{SECRET} trailing text", "x".repeat(filler));
        let err = client
            .parse_token_response(&answer(500, Some("text/plain"), body), T0)
            .unwrap_err();
        let Error::Api(api) = &err else {
            panic!("{err:?}")
        };
        assert!(api.excerpt.len() <= ApiError::EXCERPT_LIMIT);
        assert!(!api.excerpt.contains("s3cr3t"), "{filler}: {}", api.excerpt);
    }
}

#[test]
fn a_secret_with_whitespace_runs_is_scrubbed_before_folding_c18() {
    let secret = "two  spaces\tand\ttabs";
    let client = Client::new(url(), ClientCredentials::new("cid", secret));
    let body = format!("<p>you sent {secret}</p>");
    let err = client
        .parse_token_response(&answer(401, Some("text/html"), body), T0)
        .unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.excerpt, "<p>you sent [REDACTED]</p>");
    assert_eq!(err.status(), Some(StatusCode::UNAUTHORIZED));
}

#[test]
fn a_token_with_a_seconds_offset_still_stores_and_reloads() {
    // RFC 3339 cannot write `+00:00:30`; storing must not silently give "".
    let token = OAuthToken::new(
        AccessToken::new("tok"),
        datetime!(2026-01-01 00:00 +00:00:30),
        datetime!(2026-01-01 01:00 -05:30:15),
        read_write(),
    );
    let stored = token.to_stored_json(&stored_key()).unwrap();
    assert!(
        stored.contains(r#""issued_at":"2025-12-31T23:59:30Z""#),
        "{stored}"
    );
    assert_eq!(
        OAuthToken::from_stored_json(stored.as_bytes(), &stored_key()).unwrap(),
        token
    );
}
