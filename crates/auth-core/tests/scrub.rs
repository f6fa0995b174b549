//! Checklist C-18, issue 8 item 4: a provider that echoes the client's
//! secret or token in another spelling (JSON-escaped, HTML-escaped,
//! percent-encoded, nested), or past a length bound, still never gets it
//! into an error; and provider text reaches `Display` without control
//! characters.
#![expect(clippy::unwrap_used, reason = "tests")]

use auth_core::response::{self, PROVIDER_TEXT_LIMIT, ParseContext, ParseOptions};
use auth_core::{
    AccessToken, ApiError, BearerChallenge, Client, ClientAuthMethod, ClientCredentials, Error,
    ErrorCode, ProviderError, RevocationRequest, RevocationUrl, ScopeSet, TokenUrl, Unauthorized,
};
use std::fmt::Write as _;

use http::header::CONTENT_TYPE;
use http::{HeaderMap, StatusCode};
use time::OffsetDateTime;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);
const SECRET: &str = "ab/cd wörd&\"x<y>";
const TOKEN: &str = "tok/en+wört";

fn client(method: ClientAuthMethod) -> Client<Unauthorized> {
    Client::new(
        TokenUrl::parse("https://as.example/token").unwrap(),
        ClientCredentials::new("cid", SECRET).with_auth_method(method),
    )
}

fn answer(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(status)
        .header(CONTENT_TYPE, content_type)
        .body(body.into())
        .unwrap()
}

fn token_error(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Error {
    client(ClientAuthMethod::ClientSecretPost)
        .parse_token_response(&answer(status, content_type, body), T0)
        .unwrap_err()
}

fn revocation_error(status: u16, body: &str) -> Error {
    RevocationRequest::new(
        RevocationUrl::parse("https://as.example/revoke").unwrap(),
        ClientCredentials::new("cid", SECRET),
    )
    .parse_response(
        &AccessToken::new(TOKEN),
        StatusCode::from_u16(status).unwrap(),
        &HeaderMap::new(),
        body.as_bytes(),
    )
    .unwrap_err()
}

/// Everything an error shows: `Display` and `Debug`.
fn printed(error: &Error) -> String {
    format!("{error}\n{error:?}")
}

/// Fails when `text` holds `value` raw, as Rust's `Debug` escapes it, or
/// any prefix of it of 4 bytes or more at the end of a cut (before `…`).
fn assert_hidden(what: &str, text: &str, value: &str) {
    let debug = format!("{value:?}");
    let debug = &debug[1..debug.len() - 1];
    assert!(!text.contains(value), "{what}: {value} in {text}");
    assert!(!text.contains(debug), "{what}: {debug} in {text}");
    for end in text.match_indices(['…', '"', '\n']).map(|(at, _)| at) {
        let before = &text[..end];
        for len in 4..value.len() {
            if value.is_char_boundary(len) {
                assert!(
                    !before.ends_with(&value[..len]),
                    "{what}: prefix {:?} before a cut in {text}",
                    &value[..len]
                );
            }
        }
    }
}

/// The spellings a provider might echo a value in.
fn spellings(value: &str) -> Vec<(&'static str, String)> {
    let json = serde_json::to_string(value).unwrap();
    let json = &json[1..json.len() - 1];
    let html = value
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('/', "&#x2F;");
    vec![
        ("json \\/", json.replace('/', "\\/")),
        (
            "json \\u",
            value
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_string()
                    } else {
                        format!("\\u{:04x}", u32::from(c))
                    }
                })
                .collect(),
        ),
        ("html named", html.clone()),
        (
            "html decimal",
            value.chars().fold(String::new(), |mut out, c| {
                let _ = write!(out, "&#{};", u32::from(c));
                out
            }),
        ),
        (
            "percent",
            auth_core::form::encode_component(value).replace("%20", "+"),
        ),
        ("json inside html", html.replace('ö', "\\u00f6")),
    ]
}

#[test]
fn a_json_escaped_secret_in_an_error_description_is_scrubbed() {
    // The JSON decoder turns `ab\/cd` back into `ab/cd`: what the raw-byte
    // scrubber never saw.
    for (how, spelled) in spellings(SECRET) {
        let body = format!(
            r#"{{"error":"invalid_client","error_description":"bad secret {}"}}"#,
            spelled.replace('\\', "\\\\").replace('"', "\\\"")
        );
        let error = token_error(401, "application/json", body);
        assert!(matches!(error, Error::Provider(_)), "{how}: {error:?}");
        assert_hidden(how, &printed(&error), SECRET);
        assert!(printed(&error).contains("[REDACTED]"), "{how}: {error}");
    }
    let error = token_error(
        401,
        "application/json",
        r#"{"error":"invalid_client","error_description":"bad secret ab\/cd w\u00f6rd&\"x<y>"}"#,
    );
    assert_eq!(
        error.to_string(),
        "provider rejected the request: invalid_client (HTTP 401): bad secret [REDACTED]"
    );
}

#[test]
fn a_spelled_secret_in_an_error_page_is_scrubbed() {
    for (how, spelled) in spellings(SECRET) {
        let error = token_error(
            500,
            "text/html",
            format!("<html><body><p>You sent: {spelled}</p></body></html>"),
        );
        let Error::Api(api) = &error else {
            panic!("{how}: {error:?}")
        };
        assert_eq!(
            api.excerpt, "<html><body><p>You sent: [REDACTED]</p></body></html>",
            "{how}"
        );
    }
}

#[test]
fn a_json_escaped_token_or_secret_in_a_revocation_error_is_scrubbed() {
    for value in [TOKEN, SECRET] {
        for (how, spelled) in spellings(value) {
            let description = spelled.replace('\\', "\\\\").replace('"', "\\\"");
            for status in [400, 401] {
                let error = revocation_error(
                    status,
                    &format!(
                        r#"{{"error":"invalid_request","error_description":"got {description}"}}"#
                    ),
                );
                assert!(matches!(error, Error::Provider(_)), "{how}: {error:?}");
                assert_hidden(how, &printed(&error), value);
            }
            let error = revocation_error(503, &format!("<p>{spelled}</p>"));
            assert!(matches!(error, Error::RevocationUnavailable(_)));
            assert_hidden(how, &printed(&error), value);
            assert!(printed(&error).contains("[REDACTED]"), "{how}: {error}");
        }
    }
    let error = revocation_error(
        400,
        r#"{"error":"invalid_request","error_description":"token tok\/en+w\u00f6rt"}"#,
    );
    assert_eq!(
        error.to_string(),
        "provider rejected the request: invalid_request (HTTP 400): token [REDACTED]"
    );
}

#[test]
fn a_secret_echoed_as_the_error_code_is_scrubbed() {
    let body = r#"{"error":"ab\/cd w\u00f6rd&\"x<y>"}"#;
    let Error::Provider(provider) = token_error(400, "application/json", body) else {
        panic!("not a provider error")
    };
    assert_eq!(provider.code, ErrorCode::Other("[REDACTED]".into()));
}

#[test]
fn a_secret_cut_by_the_provider_text_limit_leaks_no_prefix() {
    // Truncating first and scrubbing after left the first part of a secret
    // that straddles the bound in `error_description`.
    for filler in PROVIDER_TEXT_LIMIT - SECRET.len()..PROVIDER_TEXT_LIMIT {
        for (how, spelled) in [("raw", SECRET.to_owned())]
            .into_iter()
            .chain(spellings(SECRET))
        {
            let description = format!("{}{spelled} and more", "y".repeat(filler));
            let body =
                serde_json::json!({"error": "invalid_client", "error_description": description});
            let error = token_error(401, "application/json", body.to_string());
            let Error::Provider(provider) = &error else {
                panic!("{error:?}")
            };
            let description = provider.description.as_deref().unwrap();
            assert!(description.len() <= PROVIDER_TEXT_LIMIT);
            let rest = description.trim_start_matches('y');
            assert!(
                rest.is_empty()
                    || rest.starts_with("[REDACTED]") && "[REDACTED] and more".starts_with(rest),
                "{how} at {filler}: ...{}",
                &description[filler.min(description.len()) - 8..]
            );
        }
    }
}

#[test]
fn a_spelled_secret_cut_by_the_excerpt_limit_leaks_no_prefix() {
    for filler in ApiError::EXCERPT_LIMIT - 40..ApiError::EXCERPT_LIMIT {
        for (how, spelled) in spellings(SECRET) {
            let body = format!("{}{spelled} trailing text", "y".repeat(filler));
            let error = token_error(502, "text/html", body);
            let Error::Api(api) = &error else {
                panic!("{error:?}")
            };
            assert!(api.excerpt.len() <= ApiError::EXCERPT_LIMIT);
            let shown = api.excerpt.trim_end_matches('…');
            assert!(
                shown.trim_end_matches('y').is_empty() || shown.contains("[REDACTED]"),
                "{how} at {filler}: ...{}",
                &shown[filler - 8..]
            );
        }
    }
}

#[test]
fn provider_text_reaches_display_without_control_characters() {
    let body = "{\"error\":\"bad\\u001b]0;owned\\u0007\",\"error_description\":\"line one\\nline two \\u001b[31mred\\u001b[0m \\u202eevil\",\"error_uri\":\"https://as.example/\\r\\nx\"}";
    let error = response::parse_error(StatusCode::BAD_REQUEST, &HeaderMap::new(), body.as_bytes());
    let Error::Provider(provider) = &error else {
        panic!("{error:?}")
    };
    // The values keep what the provider sent; only printing escapes.
    assert_eq!(
        provider.description.as_deref(),
        Some("line one\nline two \u{1b}[31mred\u{1b}[0m \u{202e}evil")
    );
    let shown = error.to_string();
    assert!(
        !shown.chars().any(|c| c.is_control() || c == '\u{202e}'),
        "{shown:?}"
    );
    assert_eq!(
        shown,
        r"provider rejected the request: bad\u{1b}]0;owned\u{7} (HTTP 400): line one\nline two \u{1b}[31mred\u{1b}[0m \u{202e}evil"
    );

    let api = ApiError::new(
        StatusCode::BAD_GATEWAY,
        b"<p>\x1b[2J\x1b[Hboom\r\n</p>",
        None,
    );
    assert_eq!(api.to_string(), r"HTTP 502: <p>\u{1b}[2J\u{1b}[Hboom </p>");
    let mut api = api;
    api.excerpt = "set by hand\u{1b}[31m".into();
    assert_eq!(api.to_string(), r"HTTP 502: set by hand\u{1b}[31m");

    let provider = ProviderError::new(ErrorCode::Other("x\ny".into())).with_description("\t");
    assert_eq!(provider.to_string(), r"x\ny (HTTP 400): \t");

    let requested = ScopeSet::new();
    let options = ParseOptions::default();
    let ctx = ParseContext {
        requested_at: T0,
        requested_scope: &requested,
        options: &options,
    };
    let duplicate =
        "{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"a\\u001bb\":1,\"a\\u001bb\":2}";
    let error = response::parse_parts(
        StatusCode::OK,
        &HeaderMap::new(),
        duplicate.as_bytes(),
        &ctx,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        r"malformed token response: member `a\u{1b}b` appears more than once"
    );
}

#[test]
fn a_bearer_challenge_prints_no_control_characters() {
    let challenge = BearerChallenge::new()
        .with_realm("a\u{1b}[31mb")
        .with_description("line\r\nnext\u{202e}");
    let shown = challenge.to_string();
    assert!(
        !shown.chars().any(|c| c.is_control() || !c.is_ascii()),
        "{shown:?}"
    );
}

/// C-70: a provider that echoes the client assertion (whole, or its
/// signature) in its error text or in a non-OAuth page never gets it into
/// the error.
#[test]
fn an_echoed_client_assertion_never_reaches_the_error_c70() {
    use auth_core::jose::{Algorithm, AssertionKey};
    let client = Client::new(
        TokenUrl::parse("https://as.example/token").unwrap(),
        ClientCredentials::private_key_jwt("cid", AssertionKey::new(Algorithm::Es256)),
    );
    let assertion = client
        .request()
        .unsigned_assertion(T0, "jti-1")
        .unwrap()
        .finish(&[0xfb; 64]);
    let jws = assertion.expose_secret();
    let signature = jws.rsplit('.').next().unwrap();
    for body in [
        format!(r#"{{"error":"invalid_client","error_description":"bad assertion {jws}"}}"#),
        format!(r#"{{"error":"invalid_client","error_description":"bad signature {signature}"}}"#),
        format!("<html>rejected: {jws}</html>"),
    ] {
        let content_type = if body.starts_with('{') {
            "application/json"
        } else {
            "text/html"
        };
        let error = client
            .parse_token_response_with_assertion(&answer(401, content_type, body), T0, &assertion)
            .unwrap_err();
        let printed = format!("{error} {error:?}");
        assert!(!printed.contains(signature), "{printed}");
    }
}
