//! Properties of the wire formats: every printer round-trips through its
//! parser, and no parser of untrusted bytes panics.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::fmt::Write as _;

use auth_core::basic;
use auth_core::form::{self, Form, FormBuilder, FormError};
use auth_core::response::{self, ParseContext, ParseOptions};
use auth_core::{
    ApiError, BearerChallenge, BearerErrorCode, Client, ClientAuthMethod, ClientCredentials,
    ClientId, ClientSecret, ExpiryPolicy, OAuthToken, RetryAfter, Scope, ScopeSet, TokenUrl,
};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;
use time::OffsetDateTime;

/// The persistent identity stored tokens are saved for in these tests.
fn stored_key() -> auth_core::RequestKey {
    auth_core::TokenRequest::new(
        TokenUrl::parse("https://as.example/token").unwrap(),
        ClientCredentials::new("s6BhdRkqt3", "gX1fBat3bV"),
    )
    .key()
}

/// One RFC 6749 Appendix A.4 scope-token: `1*NQCHAR`.
fn scope_token() -> impl Strategy<Value = String> {
    prop_oneof![
        "[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,16}",
        prop::sample::select(
            Scope::NAMED
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect::<Vec<_>>()
        ),
    ]
}

fn scope_set() -> impl Strategy<Value = ScopeSet> {
    prop::collection::vec(scope_token(), 0..8)
        .prop_map(|tokens| tokens.iter().map(|t| Scope::new(t).unwrap()).collect())
}

/// Strings rich in the characters that break naive encoders.
fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[+:/%= é&~*?#\\x00-\\x1f]{0,24}",
        "[a-zA-Z0-9%+]{0,24}"
    ]
}

/// Instants the stored format (RFC 3339, years 0000-9999) can hold.
fn instant() -> impl Strategy<Value = OffsetDateTime> {
    (0i64..253_402_000_000, 0u32..1_000_000_000).prop_map(|(secs, nanos)| {
        OffsetDateTime::from_unix_timestamp(secs).unwrap()
            + time::Duration::nanoseconds(nanos.into())
    })
}

/// A token that went through the response parser, with all the optional parts.
fn parsed_token() -> impl Strategy<Value = OAuthToken> {
    (
        "[A-Za-z0-9._~+/-]{1,40}=?=?",
        prop::option::of(0u64..100_000_000),
        prop::option::of("[ -~]{0,20}"),
        prop::option::of(scope_set()),
        prop::collection::btree_map(
            "[a-z_-]{1,10}",
            prop_oneof![
                any::<i64>().prop_map(|n| n.to_string()),
                "[ -~]{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap())
            ],
            0..4,
        ),
        instant(),
        scope_set(),
    )
        .prop_map(
            |(access, expires_in, refresh, scope, extra, sent_at, requested)| {
                let mut body = serde_json::Map::new();
                body.insert("access_token".into(), access.into());
                body.insert("token_type".into(), "bearer".into());
                if let Some(expires_in) = expires_in {
                    body.insert("expires_in".into(), expires_in.into());
                }
                if let Some(refresh) = refresh {
                    body.insert("refresh_token".into(), refresh.into());
                }
                if let Some(scope) = scope {
                    body.insert("scope".into(), scope.to_string().into());
                }
                for (name, raw) in extra {
                    if ![
                        "access_token",
                        "token_type",
                        "expires_in",
                        "refresh_token",
                        "scope",
                        "error",
                    ]
                    .contains(&name.as_str())
                    {
                        body.insert(name, serde_json::from_str(&raw).unwrap());
                    }
                }
                let body = serde_json::to_vec(&body).unwrap();
                let options = ParseOptions::default().with_expiry(ExpiryPolicy::default());
                let ctx = ParseContext {
                    requested_at: sent_at
                        .min(OffsetDateTime::from_unix_timestamp(253_402_000_000).unwrap()),
                    requested_scope: &requested,
                    options: &options,
                };
                response::parse_parts(StatusCode::OK, &HeaderMap::new(), &body, &ctx)
                    .unwrap()
                    .token
            },
        )
}

/// Byte soup that looks like JSON often enough to reach the deep parts.
fn jsonish() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "\"access_token\"",
        "\"token_type\"",
        "\"Bearer\"",
        "\"expires_in\"",
        "\"scope\"",
        "\"read write\"",
        "\"error\"",
        "\"invalid_client\"",
        "\"refresh_token\"",
        "null",
        "true",
        "-1",
        "0",
        "3600",
        "3600.5",
        "1e400",
        "18446744073709551616",
        "\"3600\"",
        "\\u0000",
        "\\",
        "\u{feff}",
        "\u{ef}",
        " ",
        "\"é\"",
        "\"a b\"",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|pieces| pieces.concat().into_bytes())
}

fn any_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![prop::collection::vec(any::<u8>(), 0..256), jsonish()]
}

proptest! {
    #[test]
    fn prop_scope_set_roundtrip(set in scope_set()) {
        let printed = set.to_string();
        let reparsed = ScopeSet::parse(&printed).unwrap();
        prop_assert_eq!(&reparsed, &set);
        prop_assert_eq!(reparsed.to_string(), printed.clone());
        // And through serde, as the stored format writes it.
        let json = serde_json::to_string(&set).unwrap();
        prop_assert_eq!(serde_json::from_str::<ScopeSet>(&json).unwrap(), set);
    }

    #[test]
    fn prop_scope_set_to_wire_is_what_display_prints(set in scope_set()) {
        prop_assert_eq!(set.to_wire(), set.to_string());
    }

    #[test]
    fn prop_scope_check_agrees_with_parse(text in prop_oneof![
        "[a-d: \"\\\\\t]{0,20}",
        any::<String>(),
    ]) {
        prop_assert_eq!(ScopeSet::check(&text), ScopeSet::parse(&text).map(|_| ()));
    }

    #[test]
    fn prop_basic_decoded_once_reads_as_both_decoders(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        "[A-Za-z0-9+/=]{0,24}".prop_map(|b64| format!("Basic {b64}").into_bytes()),
    ]) {
        let once = basic::Decoded::parse(&bytes);
        let strict = once.as_ref().map_err(Clone::clone).and_then(|d| {
            d.credentials().map(|(id, secret)| (id.into_owned(), secret.into_owned()))
        });
        let raw = once.as_ref().map_err(Clone::clone).and_then(|d| {
            d.raw().map(|(user, password)| (user.to_owned(), password.to_owned()))
        });
        prop_assert_eq!(
            strict,
            basic::decode(&bytes).map(|c| (c.id.as_str().to_owned(), c.secret.expose_secret().to_owned()))
        );
        prop_assert_eq!(
            raw,
            basic::decode_raw(&bytes).map(|r| (r.user, r.password.expose_secret().to_owned()))
        );
    }

    #[test]
    fn prop_scope_set_parse_then_print_is_canonical(text in "[a-d: ]{0,20}") {
        if let Ok(set) = ScopeSet::parse(&text) {
            prop_assert_eq!(ScopeSet::parse(&set.to_string()).unwrap(), set.clone());
            prop_assert_eq!(ScopeSet::parse_lenient(&text).unwrap(), set);
        }
    }

    #[test]
    fn prop_scope_roundtrip(token in scope_token()) {
        let scope = Scope::new(&token).unwrap();
        prop_assert_eq!(scope.as_str(), token.as_str());
        prop_assert_eq!(scope.to_string().parse::<Scope>().unwrap(), scope);
    }

    #[test]
    fn prop_stored_token_roundtrip(token in parsed_token()) {
        let stored = token.to_stored_json(&stored_key()).unwrap();
        prop_assert!(!stored.is_empty());
        let restored = OAuthToken::from_stored_json(stored.as_bytes(), &stored_key()).unwrap();
        prop_assert_eq!(&restored, &token);
        prop_assert_eq!(restored.to_stored_json(&stored_key()).unwrap(), stored);
    }

    #[test]
    fn prop_basic_roundtrip(id in tricky_string(), secret in tricky_string()) {
        let value = basic::encode(&ClientId::new(id.clone()), &ClientSecret::new(secret.clone()));
        prop_assert!(value.starts_with("Basic "));
        prop_assert!(HeaderValue::from_str(&value).is_ok());
        let decoded = basic::decode(value.as_bytes()).unwrap();
        prop_assert_eq!(decoded.id.as_str(), id.as_str());
        prop_assert_eq!(decoded.secret.expose_secret(), secret.as_str());
    }

    #[test]
    fn prop_basic_unencoded_roundtrip(id in "[^:]{0,16}", secret in tricky_string()) {
        let value = basic::encode_unencoded(&ClientId::new(id.clone()), &ClientSecret::new(secret.clone()));
        let raw = basic::decode_raw(value.as_bytes()).unwrap();
        prop_assert_eq!(raw.user, id);
        prop_assert_eq!(raw.password.expose_secret(), secret.as_str());
    }

    #[test]
    fn prop_form_roundtrip(pairs in prop::collection::vec((tricky_string(), tricky_string()), 0..8)) {
        let mut builder = FormBuilder::new();
        for (name, value) in &pairs {
            builder.append(name, value);
        }
        let body = builder.finish();
        prop_assert!(body.bytes().all(|b| b.is_ascii_graphic()));
        let form = Form::parse(body.as_bytes(), pairs.len()).unwrap();
        let decoded: Vec<(String, String)> = form
            .pairs()
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect();
        prop_assert_eq!(decoded, pairs);
    }

    #[test]
    fn prop_form_component_roundtrip(value in tricky_string()) {
        let encoded = form::encode_component(&value);
        prop_assert!(!encoded.contains(['+', ' ', '&', '=']));
        prop_assert_eq!(form::decode_component(encoded.as_bytes()).unwrap(), value);
    }

    #[test]
    fn prop_bearer_challenge_roundtrip(
        realm in prop::option::of("[ -~]{0,16}"),
        error in prop::option::of(prop_oneof![
            Just(BearerErrorCode::InvalidRequest),
            Just(BearerErrorCode::InvalidToken),
            Just(BearerErrorCode::InsufficientScope),
            "x[a-z_]{0,8}".prop_map(BearerErrorCode::Other),
        ]),
        description in prop::option::of("[ -~]{0,16}"),
        scope in prop::option::of("[ -~]{0,16}"),
    ) {
        let mut challenge = BearerChallenge::new();
        challenge.realm = realm;
        challenge.error = error;
        challenge.error_description = description;
        challenge.scope = scope;
        prop_assert_eq!(BearerChallenge::parse(&challenge.to_string()), Some(challenge));
    }

    #[test]
    fn prop_token_response_parser_never_panics(
        status in 100u16..600,
        content_type in prop::option::of(prop::sample::select(vec!["application/json", "text/html", "application/x+json", ""])),
        body in any_body(),
        strict in any::<bool>(),
        assume in any::<bool>(),
    ) {
        let status = StatusCode::from_u16(status).unwrap();
        let mut headers = HeaderMap::new();
        if let Some(content_type) = content_type {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        let scope = ScopeSet::new();
        let options = ParseOptions::default().with_strict(strict).with_assume_bearer_when_missing(assume);
        let ctx = ParseContext { requested_at: OffsetDateTime::UNIX_EPOCH, requested_scope: &scope, options: &options };
        match response::parse_parts(status, &headers, &body, &ctx) {
            Ok(parsed) => {
                prop_assert!(status.is_success());
                prop_assert!(parsed.token.access_token().is_b64token() || *parsed.token.token_type() != auth_core::TokenType::Bearer);
                prop_assert!(parsed.token.expires_at() >= parsed.token.issued_at());
                prop_assert!(!strict || parsed.deviations.is_empty());
            }
            Err(e) => {
                let _ = e.to_string();
                prop_assert_eq!(e.status().unwrap_or(status), status);
            }
        }
        let error = response::parse_error(status, &headers, &body);
        prop_assert_eq!(error.status(), Some(status));
    }

    #[test]
    fn prop_stored_token_loader_never_panics(bytes in any_body()) {
        if let Ok(token) = OAuthToken::from_stored_json(&bytes, &stored_key()) {
            prop_assert!(token.expires_at() >= token.issued_at());
        }
    }

    #[test]
    fn prop_scope_parsers_never_panic(text in any::<String>()) {
        if let Ok(set) = ScopeSet::parse(&text) {
            prop_assert_eq!(set.to_string(), text.split(' ').collect::<std::collections::BTreeSet<_>>().into_iter().filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" "));
        }
        let _ = ScopeSet::parse_lenient(&text);
        let _ = Scope::new(&text);
    }

    #[test]
    fn prop_basic_decoder_never_panics(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        "(Basic|basic|BASIC|Bearer)? {0,2}[A-Za-z0-9+/=:_-]{0,40}".prop_map(String::into_bytes),
    ]) {
        let _ = basic::decode(&bytes);
        let _ = basic::decode_raw(&bytes);
        let _ = basic::is_basic(&bytes);
    }

    #[test]
    fn prop_form_parser_agrees_with_a_byte_at_a_time_reference(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        "[a-c=&%+0-9A-Fé]{0,40}".prop_map(String::into_bytes),
        prop::collection::vec(prop_oneof![
            Just(&b"%C3"[..]), Just(&b"%A9"[..]), Just(&b"="[..]), Just(&b"&"[..]),
            Just(&b"+"[..]), Just(&b"\xc3"[..]), Just(&b"\xa9"[..]), Just(&b"a"[..]), Just(&b"%"[..]),
        ], 0..12).prop_map(|parts| parts.concat()),
    ], max in 0usize..6) {
        let parsed = Form::parse(&bytes, max)
            .map(|form| form.pairs().map(|(n, v)| (n.to_owned(), v.to_owned())).collect::<Vec<_>>());
        prop_assert_eq!(parsed, reference_form(&bytes, max));
    }

    #[test]
    fn prop_form_parser_never_panics(bytes in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..128),
        "[a-z=&%+0-9A-F]{0,64}".prop_map(String::into_bytes),
    ], max in 0usize..16) {
        if let Ok(form) = Form::parse(&bytes, max) {
            prop_assert!(form.len() <= max);
            prop_assert_eq!(form.pairs().count(), form.len());
        }
        let _ = form::decode_component(&bytes);
    }

    #[test]
    fn prop_challenge_and_retry_after_parsers_never_panic(text in prop_oneof![
        any::<String>(),
        "(Bearer|Basic|bearer)?[ ,=\"\\\\a-z_]{0,40}",
    ]) {
        let _ = BearerChallenge::parse(&text);
        let _ = RetryAfter::parse(text.as_bytes());
    }
}

proptest! {
    #[test]
    fn prop_api_error_excerpt_is_bounded_and_one_line(body in prop::collection::vec(any::<u8>(), 0..4096), status in 300u16..600) {
        let api = ApiError::new(StatusCode::from_u16(status).unwrap(), &body, None);
        prop_assert!(api.excerpt.len() <= ApiError::EXCERPT_LIMIT);
        prop_assert!(!api.excerpt.contains(['\n', '\r']));
        prop_assert!(!api.excerpt.chars().any(char::is_control));
        // Whitespace runs fold, so a body a few times the limit may fit;
        // one that does not is cut, and says so.
        if body.len() > 4 * ApiError::EXCERPT_LIMIT {
            prop_assert!(api.excerpt.ends_with('…'), "a cut excerpt says so");
        }
        if body.len() <= ApiError::EXCERPT_LIMIT && body.iter().all(u8::is_ascii_graphic) {
            prop_assert_eq!(api.excerpt.as_bytes(), &body[..], "a short printable body is shown whole");
        }
    }
}

proptest! {
    #[test]
    fn prop_stored_token_roundtrip_with_any_offset(
        issued in instant(),
        lifetime in 0i64..10_000_000,
        offset in -86_399i32..86_400,
        token in "[!-~]{1,32}",
    ) {
        let offset = time::UtcOffset::from_whole_seconds(offset).unwrap();
        let issued = issued.min(OffsetDateTime::from_unix_timestamp(253_000_000_000).unwrap());
        let (Some(issued_local), Some(expires)) = (
            issued.checked_to_offset(offset),
            issued.checked_add(time::Duration::seconds(lifetime)),
        ) else {
            return Ok(());
        };
        let token = OAuthToken::new(auth_core::AccessToken::new(token), issued_local, expires, ScopeSet::new());
        let stored = token.to_stored_json(&stored_key()).unwrap();
        prop_assert_eq!(OAuthToken::from_stored_json(stored.as_bytes(), &stored_key()).unwrap(), token);
    }
}

proptest! {
    #[test]
    fn prop_token_response_roundtrip(
        access in "[A-Za-z0-9._~+/-]{1,64}=?",
        token_type in prop::sample::select(vec!["Bearer", "bearer", "BEARER"]),
        expires_in in prop::option::of(0u64..86_400),
        scope in scope_set(),
        sent_at in instant(),
    ) {
        let printed = scope.to_string();
        let body = response::TokenResponse {
            access_token: &access,
            token_type,
            expires_in,
            scope: (!printed.is_empty()).then_some(printed.as_str()),
        }
        .to_json();
        let requested = ScopeSet::new();
        let options = ParseOptions::default().with_strict(true);
        let sent_at = sent_at.min(OffsetDateTime::from_unix_timestamp(253_000_000_000).unwrap());
        let ctx = ParseContext { requested_at: sent_at, requested_scope: &requested, options: &options };
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let parsed = response::parse_parts(StatusCode::OK, &headers, body.as_bytes(), &ctx).unwrap();
        prop_assert_eq!(parsed.deviations, []);
        let token = parsed.token;
        prop_assert_eq!(token.access_token().expose_secret(), access.as_str());
        prop_assert_eq!(token.token_type(), &auth_core::TokenType::Bearer);
        prop_assert_eq!(token.scope(), &scope);
        let lifetime = expires_in.map_or(300, |secs| secs.min(86_400));
        prop_assert_eq!(token.expires_at(), sent_at + time::Duration::seconds(i64::try_from(lifetime).unwrap()));
        prop_assert_eq!(token.is_expiry_assumed(), expires_in.is_none());
    }
}

/// How a provider might echo a value: raw, JSON-escaped (`\/`, `\uXXXX`),
/// HTML-escaped (named, hexadecimal, decimal), percent-encoded, and nested.
fn spell(value: &str, how: u8) -> String {
    let json_u = |v: &str| -> String {
        v.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_string()
                } else {
                    c.encode_utf16(&mut [0; 2])
                        .iter()
                        .fold(String::new(), |mut out, unit| {
                            let _ = write!(out, "\\u{unit:04X}");
                            out
                        })
                }
            })
            .collect()
    };
    let html_named = |v: &str| {
        v.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#x27;")
            .replace('/', "&#x2F;")
    };
    let html_decimal = |v: &str| -> String {
        v.chars().fold(String::new(), |mut out, c| {
            let _ = write!(out, "&#{};", u32::from(c));
            out
        })
    };
    let json_slash = |v: &str| {
        let json = serde_json::to_string(v).unwrap();
        json[1..json.len() - 1].replace('/', "\\/")
    };
    match how {
        0 => value.to_owned(),
        1 => json_slash(value),
        2 => json_u(value),
        3 => html_named(value),
        4 => html_decimal(value),
        5 => form::encode_component(value),
        6 => form::encode_component(value).replace("%20", "+"),
        7 => html_named(&json_slash(value)),
        8 => json_u(&html_named(value)),
        _ => form::encode_component(&form::encode_component(value)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn prop_an_echoed_secret_never_reaches_an_error(
        tail in "[a-zA-Z0-9 /+=&<>\"'\\\\%~.:;#öé€😀\u{1b}\t]{1,24}",
        how in 0u8..10,
        filler in 0usize..1100,
        place in 0u8..5,
        method in 0usize..3,
    ) {
        // A fixed start no message text holds, so a hit is the secret.
        let secret = format!("Zq9{tail}");
        let method = [
            ClientAuthMethod::ClientSecretBasic,
            ClientAuthMethod::ClientSecretBasicUnencoded,
            ClientAuthMethod::ClientSecretPost,
        ][method];
        let client = Client::new(
            TokenUrl::parse("https://as.example/token").unwrap(),
            ClientCredentials::new("cid", secret.as_str()).with_auth_method(method),
        );
        let spelled = spell(&secret, how);
        let echo = format!("{}{spelled} and more", "y".repeat(filler));
        let (status, body) = match place {
            0 => (500, format!("<p>{echo}</p>")),
            1 => (400, serde_json::json!({"error": "invalid_client", "error_description": echo}).to_string()),
            2 => (400, serde_json::json!({"error": echo}).to_string()),
            3 => (401, serde_json::json!({"error": "invalid_client", "error_uri": echo}).to_string()),
            _ => (200, serde_json::json!({"error": "invalid_client", "error_description": echo}).to_string()),
        };
        let response = http::Response::builder().status(status).body(body.into_bytes()).unwrap();
        let error = client.parse_token_response(&response, time::macros::datetime!(2026-01-01 00:00 UTC)).unwrap_err();
        let printed = format!("{error}\n{error:?}");
        let debug = format!("{secret:?}");
        for form in [secret.as_str(), &debug[1..debug.len() - 1], &spelled] {
            prop_assert!(!printed.contains(form), "{:?} in {}", form, printed);
        }
    }
}

/// The strict decoding of RFC 6749 Appendix B one byte at a time: what
/// [`Form::parse`] must agree with, errors and their offsets included.
fn reference_form(body: &[u8], max: usize) -> Result<Vec<(String, String)>, FormError> {
    fn component(c: &[u8], base: usize) -> Result<String, FormError> {
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(&b) = c.get(i) {
            match b {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = c
                        .get(i + 1..i + 3)
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .filter(|h| h.bytes().all(|d| d.is_ascii_hexdigit()))
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                        .ok_or(FormError::InvalidPercentEncoding { offset: base + i })?;
                    out.push(hex);
                    i += 2;
                }
                _ => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).map_err(|_| FormError::InvalidUtf8)
    }
    let mut pairs = Vec::new();
    let mut offset = 0;
    for segment in body.split(|&b| b == b'&') {
        let start = offset;
        offset += segment.len() + 1;
        if segment.is_empty() {
            continue;
        }
        if pairs.len() == max {
            return Err(FormError::TooManyPairs { limit: max });
        }
        let (name, value, value_start) = match segment.iter().position(|&b| b == b'=') {
            Some(eq) => (&segment[..eq], &segment[eq + 1..], start + eq + 1),
            None => (segment, &b""[..], start + segment.len()),
        };
        pairs.push((component(name, start)?, component(value, value_start)?));
    }
    Ok(pairs)
}
