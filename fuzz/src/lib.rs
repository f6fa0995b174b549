//! The fuzz targets' logic, as plain functions: each fuzz target in
//! `fuzz_targets/` is a one-line call, and `tests/seeds.rs` runs the seed
//! corpus through the same functions on stable.
//!
//! Every function parses untrusted bytes; where auth-core has a printer it
//! prints what was parsed, parses that again and asserts nothing changed
//! (parse, print, parse: as jiff's fuzz targets do). A panic is a finding.
#![allow(
    clippy::missing_panics_doc,
    reason = "panicking is how a fuzz target reports a finding"
)]

use auth_core::basic;
use auth_core::form::{self, Form, FormBuilder};
use auth_core::response::{self, ParseContext, ParseOptions, TokenResponse};
use auth_core::revocation;
use auth_core::{
    AccessToken, ApiError, AuthorizationServerMetadata, BearerChallenge, ClientAuthMethod,
    ClientCredentials, ClientId, ClientSecret, Error, Issuer, Metadata, MetadataError, OAuthToken,
    RequestKey, RevocationRequest, RevocationUrl, Scope, ScopeSet, TokenRequest, TokenUrl,
};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, StatusCode};
use time::OffsetDateTime;

/// When every fuzzed request was sent.
const SENT_AT: OffsetDateTime = time::macros::datetime!(2026-01-01 00:00 UTC);

/// The longest provider text (`error`, `error_description`, `error_uri`) kept.
const PROVIDER_TEXT_LIMIT: usize = response::PROVIDER_TEXT_LIMIT;

fn headers(content_type: Option<&'static str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(content_type) = content_type {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    headers
}

/// The token response parser, in every mode (status 200/201, strict or
/// lenient, JSON or missing content type). A token it accepts must hold
/// the invariants, survive the stored format, and, printed back as an RFC
/// 6749 §5.1 body, parse to the same token with no deviation.
pub fn token_response(data: &[u8]) {
    let requested = ScopeSet::new();
    for status in [StatusCode::OK, StatusCode::CREATED] {
        for strict in [false, true] {
            for content_type in [Some("application/json"), None] {
                let options = ParseOptions::default()
                    .with_strict(strict)
                    .with_assume_bearer_when_missing(!strict);
                let ctx = ParseContext {
                    requested_at: SENT_AT,
                    requested_scope: &requested,
                    options: &options,
                };
                match response::parse_parts(status, &headers(content_type), data, &ctx) {
                    Ok(parsed) => {
                        assert!(
                            !strict || parsed.deviations.is_empty(),
                            "strict mode accepted deviations"
                        );
                        check_token(&parsed.token);
                    }
                    Err(error) => check_error(&error, status),
                }
            }
        }
    }
}

fn check_token(token: &OAuthToken) {
    assert!(
        token.expires_at() >= token.issued_at(),
        "expiry before issue"
    );
    assert_eq!(
        token.issued_at(),
        SENT_AT,
        "expiry must count from the send time"
    );
    assert!(!token.access_token().expose_secret().is_empty());
    if *token.token_type() == auth_core::TokenType::Bearer {
        assert!(
            token.access_token().is_b64token(),
            "a Bearer token that cannot be sent"
        );
    }
    // The stored format round-trips.
    let key = stored_key();
    let stored = token.to_stored_json(&key).expect("a parsed token stores");
    let restored =
        OAuthToken::from_stored_json(stored.as_bytes(), &key).expect("stored token reloads");
    assert_eq!(&restored, token);
    // Printed as a §5.1 body, it parses to the same token.
    let scope = token.scope().to_string();
    let lifetime = (token.expires_at() - token.issued_at()).whole_seconds();
    let printed = TokenResponse {
        access_token: token.access_token().expose_secret(),
        token_type: token.token_type().as_str(),
        expires_in: if token.is_expiry_assumed() {
            None
        } else {
            Some(lifetime.unsigned_abs())
        },
        scope: if scope.is_empty() { None } else { Some(&scope) },
    }
    .to_json();
    let requested = ScopeSet::new();
    let options = ParseOptions::default().with_strict(true);
    let ctx = ParseContext {
        requested_at: SENT_AT,
        requested_scope: &requested,
        options: &options,
    };
    let again = response::parse_parts(
        StatusCode::OK,
        &headers(Some("application/json")),
        printed.as_bytes(),
        &ctx,
    )
    .expect("a printed token response parses strictly")
    .token;
    assert_eq!(again.access_token(), token.access_token());
    assert_eq!(again.token_type(), token.token_type());
    assert_eq!(again.scope(), token.scope());
    assert_eq!(again.expires_at(), token.expires_at());
    assert_eq!(again.is_expiry_assumed(), token.is_expiry_assumed());
}

fn check_error(error: &Error, status: StatusCode) {
    let _ = error.to_string();
    let _ = format!("{error:?}");
    match error {
        Error::Parse(e) => assert_eq!(e.status, status),
        Error::Provider(p) => check_provider_text(p),
        Error::Api(a) => assert!(a.excerpt.len() <= ApiError::EXCERPT_LIMIT),
        Error::Deviation(d) => assert!(!d.deviations.is_empty()),
        other => panic!("unexpected error from the parser: {other:?}"),
    }
}

fn check_provider_text(p: &auth_core::ProviderError) {
    assert!(p.code.as_str().len() <= PROVIDER_TEXT_LIMIT);
    assert!(
        p.description
            .as_ref()
            .is_none_or(|d| d.len() <= PROVIDER_TEXT_LIMIT)
    );
    assert!(
        p.uri
            .as_ref()
            .is_none_or(|u| u.len() <= PROVIDER_TEXT_LIMIT)
    );
}

/// The failure parser (RFC 6749 §5.2 or a non-OAuth answer) at several
/// statuses. A provider error, printed as its §5.2 body, parses back equal.
pub fn error_response(data: &[u8]) {
    for status in [400u16, 401, 429, 500, 503] {
        let status = StatusCode::from_u16(status).expect("valid status");
        let error = response::parse_error(status, &headers(Some("application/json")), data);
        assert_eq!(error.status(), Some(status));
        match &error {
            Error::Provider(p) => {
                check_provider_text(p);
                let again =
                    response::parse_error(status, &HeaderMap::new(), p.to_json().as_bytes());
                let Error::Provider(q) = again else {
                    panic!("printed provider error did not parse back: {again:?}")
                };
                assert_eq!(
                    (&q.code, &q.description, &q.uri, q.status),
                    (&p.code, &p.description, &p.uri, p.status)
                );
            }
            Error::Api(a) => {
                assert!(
                    a.excerpt.len() <= ApiError::EXCERPT_LIMIT,
                    "excerpt of {} bytes",
                    a.excerpt.len()
                );
                assert!(!a.excerpt.contains(['\n', '\r']), "excerpt is one line");
            }
            other => panic!("parse_error gave {other:?}"),
        }
    }
}

/// The scope parsers: a parsed set prints in canonical form and parses back
/// equal; the lenient parser agrees with the strict one on canonical input.
pub fn scope(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(set) = ScopeSet::parse(text) {
        let printed = set.to_string();
        assert_eq!(ScopeSet::parse(&printed).expect("printed set parses"), set);
        assert_eq!(
            ScopeSet::parse_lenient(text).expect("strict input is lenient input"),
            set
        );
    }
    if let Ok(set) = ScopeSet::parse_lenient(text) {
        let printed = set.to_string();
        assert_eq!(
            ScopeSet::parse(&printed).expect("printed set parses strictly"),
            set
        );
    }
    if let Ok(scope) = Scope::new(text) {
        assert_eq!(scope.as_str(), text);
        assert_eq!(Scope::new(scope.as_str()).expect("scope parses"), scope);
    }
}

/// The persistent identity the stored-token seeds were saved for
/// (`request` digest `099104f2a24d6bb3cdfe3f6c31f83cb3464cff0081c1db1cec802066518e489f`).
fn stored_key() -> RequestKey {
    TokenRequest::new(
        TokenUrl::parse("https://as.example/token").expect("static url"),
        ClientCredentials::new("fuzz", "fuzz"),
    )
    .key()
}

/// The stored-token loader: a loaded token stores and reloads equal, and
/// storing is stable; a token saved for another request never loads.
pub fn stored_token(data: &[u8]) {
    let key = stored_key();
    let Ok(token) = OAuthToken::from_stored_json(data, &key) else {
        return;
    };
    assert!(token.expires_at() >= token.issued_at());
    let stored = token.to_stored_json(&key).expect("a loaded token stores");
    let again =
        OAuthToken::from_stored_json(stored.as_bytes(), &key).expect("stored token reloads");
    assert_eq!(again, token);
    assert_eq!(
        again.to_stored_json(&key).expect("a loaded token stores"),
        stored
    );
    let other = TokenRequest::new(
        TokenUrl::parse("https://as.example/token").expect("static url"),
        ClientCredentials::new("other", "fuzz"),
    )
    .key();
    assert_eq!(
        OAuthToken::from_stored_json(stored.as_bytes(), &other),
        Err(auth_core::StoredTokenError::OtherRequest)
    );
}

/// The form decoder: a decoded form re-encodes and decodes to the same
/// pairs; so does a single component.
pub fn form_body(data: &[u8]) {
    if let Ok(parsed) = Form::parse(data, 64) {
        assert!(parsed.len() <= 64);
        let mut builder = FormBuilder::new();
        for (name, value) in parsed.pairs() {
            builder.append(name, value);
        }
        let printed = builder.finish();
        let again = Form::parse(printed.as_bytes(), 64).expect("printed form parses");
        assert!(again.pairs().eq(parsed.pairs()));
    }
    if let Ok(value) = form::decode_component(data) {
        let encoded = form::encode_component(&value);
        assert_eq!(
            form::decode_component(encoded.as_bytes()).expect("encoded component decodes"),
            value
        );
    }
}

/// The Basic decoders: RFC 6749 §2.3.1 credentials re-encode and decode
/// equal, and so does a raw pair.
pub fn basic_header(data: &[u8]) {
    if let Ok(creds) = basic::decode(data) {
        assert!(basic::is_basic(data));
        let printed = basic::encode(&creds.id, &creds.secret);
        let again = basic::decode(printed.as_bytes()).expect("encoded Basic decodes");
        assert_eq!(again, creds);
    }
    // The user of a raw pair never has a `:` (the split is at the first one).
    if let Ok(raw) = basic::decode_raw(data) {
        let printed = basic::encode_unencoded(
            &ClientId::new(raw.user.clone()),
            &ClientSecret::new(raw.password.expose_secret()),
        );
        let again = basic::decode_raw(printed.as_bytes()).expect("raw Basic decodes");
        assert_eq!(again, raw);
    }
}

/// The `WWW-Authenticate` reader: a challenge it finds prints as a header
/// that reads back as itself once printed (printing drops what a
/// quoted-string cannot hold).
pub fn bearer_challenge(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(challenge) = BearerChallenge::parse(text) else {
        return;
    };
    let printed = challenge.to_string();
    assert!(
        HeaderValue::from_str(&printed).is_ok(),
        "printed challenge is a header value"
    );
    let again = BearerChallenge::parse(&printed).expect("printed challenge parses");
    assert_eq!(BearerChallenge::parse(&again.to_string()), Some(again));
}

/// The issuer every fuzzed metadata document is checked against first.
const ISSUER: &str = "https://as.example";

/// RFC 8414 metadata parsing: for the fixed issuer and for the issuer the
/// document names (so the fuzzer gets past the §3.3 comparison). Accepted
/// metadata names the expected issuer and valid endpoints, and its
/// document, printed as JSON, parses to the same metadata.
pub fn metadata(data: &[u8]) {
    let named = serde_json::from_slice::<AuthorizationServerMetadata>(data)
        .ok()
        .and_then(|document| Issuer::parse(&document.issuer).ok());
    let fixed = Issuer::parse(ISSUER).expect("the fixed issuer is valid");
    for expected in std::iter::once(fixed).chain(named) {
        let _ = expected.metadata_request();
        for status in [StatusCode::OK, StatusCode::NOT_FOUND] {
            match auth_core::parse_metadata(
                status,
                &headers(Some("application/json")),
                data,
                &expected,
            ) {
                Ok(parsed) => check_metadata(&parsed, &expected),
                Err(error) => {
                    let _ = error.to_string();
                    let _ = format!("{error:?}");
                    match &error {
                        Error::Metadata(MetadataError::IssuerMismatch { found, .. }) => {
                            assert!(
                                found.len() <= 256,
                                "issuer excerpt of {} bytes",
                                found.len()
                            );
                        }
                        Error::Metadata(_) => {}
                        Error::Provider(p) => check_provider_text(p),
                        Error::Api(a) => assert!(a.excerpt.len() <= ApiError::EXCERPT_LIMIT),
                        other => panic!("unexpected error from the metadata parser: {other:?}"),
                    }
                }
            }
        }
    }
}

fn check_metadata(parsed: &Metadata, expected: &Issuer) {
    assert_eq!(parsed.issuer(), expected.as_str());
    let token_url = parsed.token_url().to_string();
    assert_eq!(
        TokenUrl::parse(&token_url).expect("an accepted token url parses again"),
        *parsed.token_url()
    );
    if let Some(revocation) = parsed.revocation_url() {
        RevocationUrl::parse(&revocation.to_string()).expect("an accepted revocation url parses");
    }
    let _ = parsed.choose_auth_method();
    let printed = serde_json::to_vec(parsed.document()).expect("a document prints as JSON");
    let again = auth_core::parse_metadata(StatusCode::OK, &HeaderMap::new(), &printed, expected)
        .expect("printed metadata parses");
    assert_eq!(&again, parsed);
}

/// The token the revocation target's request revokes.
const REVOKED_TOKEN: &str = "tok.en/va+lue~1";
/// The secret the revocation target's client authenticates with.
const CLIENT_SECRET: &str = "s3cr3t P@ss/wörd=";

/// The RFC 7009 §2.2 answer classifier, at several statuses, with the
/// first line of the input as a `Retry-After` and the rest as the body.
/// 200 is success whatever the body; anything else is a typed error whose
/// text is bounded and, through [`RevocationRequest::parse_response`],
/// never holds the revoked token or the client's secret.
pub fn revocation_response(data: &[u8]) {
    let (head, body) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&[][..], data),
    };
    let mut headers = headers(Some("application/json"));
    if let Ok(value) = HeaderValue::from_bytes(head) {
        headers.insert(http::header::RETRY_AFTER, value);
    }
    let token = AccessToken::new(REVOKED_TOKEN);
    let url = RevocationUrl::parse("https://as.example/revoke").expect("valid url");
    for method in [
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::ClientSecretPost,
    ] {
        let credentials = ClientCredentials::new("svc", CLIENT_SECRET).with_auth_method(method);
        let request = RevocationRequest::new(url.clone(), credentials);
        for status in [200u16, 400, 401, 429, 500, 503] {
            let status = StatusCode::from_u16(status).expect("valid status");
            let plain = revocation::parse_revocation_response(status, &headers, body);
            let scrubbed = request.parse_response(&token, status, &headers, body);
            assert_eq!(plain.is_ok(), status == StatusCode::OK);
            assert_eq!(scrubbed.is_ok(), status == StatusCode::OK);
            if let Err(error) = &plain {
                check_revocation_error(error, status);
            }
            if let Err(error) = &scrubbed {
                check_revocation_error(error, status);
                let printed = format!("{error} {error:?}");
                for secret in [REVOKED_TOKEN, CLIENT_SECRET] {
                    assert!(!printed.contains(secret), "{printed}");
                }
            }
        }
    }
}

fn check_revocation_error(error: &Error, status: StatusCode) {
    let printed = error.to_string();
    let _ = format!("{error:?}");
    assert!(
        !printed.chars().any(char::is_control),
        "control character in {printed:?}"
    );
    assert_eq!(error.status(), Some(status));
    match error {
        Error::RevocationUnavailable(a) => {
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert!(a.excerpt.len() <= ApiError::EXCERPT_LIMIT);
        }
        Error::Api(a) => assert!(a.excerpt.len() <= ApiError::EXCERPT_LIMIT),
        Error::Provider(p) => check_provider_text(p),
        other => panic!("unexpected error from the revocation classifier: {other:?}"),
    }
}

/// The mock's token decoder: any presented value is refused or accepted
/// without a panic, and a claims record it decodes mints a token that
/// decodes to the same claims.
pub fn mock_token(data: &[u8]) {
    let decoder = mock_server::fuzzing::TokenDecoder::default();
    if let Ok(text) = std::str::from_utf8(data) {
        // A random key: a fuzzed MAC never verifies, so only the syntax runs.
        assert!(!decoder.accepts(text), "a forged token was accepted");
    }
    if let Some((token, same)) = decoder.reissue(data) {
        assert!(same, "reissued claims decode differently");
        assert!(decoder.accepts(&token));
        assert!(auth_core::AccessToken::new(token).is_b64token());
    }
}

/// The mock's TOML configuration: a document it accepts prints as TOML
/// that it accepts again and prints the same (secrets are never printed).
pub fn mock_config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match mock_server::Config::from_toml(text) {
        Ok(config) => {
            let printed = toml::to_string(&config).expect("an accepted config prints as TOML");
            let again = mock_server::Config::from_toml(&printed)
                .unwrap_or_else(|e| panic!("printed config is refused: {e}\n{printed}"));
            assert_eq!(
                toml::to_string(&again).expect("prints again"),
                printed,
                "printing is not stable"
            );
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
}

/// The admin API's JSON bodies (`POST /_mock/clients`, `POST
/// /_mock/faults`): a body that parses validates without a panic and, printed
/// back, parses to the same value.
pub fn admin_json(data: &[u8]) {
    if let Ok(client) = serde_json::from_slice::<mock_server::ClientRegistration>(data) {
        let _ = client.validate().map_err(|e| e.to_string());
        let printed = serde_json::to_string(&client).expect("a client prints as JSON");
        let again: mock_server::ClientRegistration =
            serde_json::from_str(&printed).expect("a printed client parses");
        assert_eq!(
            serde_json::to_string(&again).expect("prints again"),
            printed
        );
        assert!(
            !format!("{client:?}").contains("secret\": Some(\""),
            "a client's Debug shows its secret"
        );
    }
    if let Ok(rule) = serde_json::from_slice::<mock_server::FaultRule>(data) {
        let printed = serde_json::to_string(&rule).expect("a fault rule prints as JSON");
        let again: mock_server::FaultRule =
            serde_json::from_str(&printed).expect("a printed fault rule parses");
        assert_eq!(again, rule);
    }
}

/// The compact JWS splitter (RFC 7515 §7.1), as a resource server meets
/// it: a token it accepts is built again from its parts by
/// [`SigningInput`](auth_core::jose::SigningInput) and splits to the same
/// parts (parse, print, parse); claims it carries, printed, parse the same.
pub fn jws_compact(data: &[u8]) {
    use auth_core::jose::{AccessTokenClaims, CompactJws, JwsError, SigningInput};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let jws = match CompactJws::parse(text) {
        Ok(jws) => jws,
        Err(error) => {
            let message = error.to_string();
            assert!(message.len() < 512, "bounded error message");
            if let JwsError::UnsupportedAlgorithm(name) = &error {
                assert!(name.chars().count() <= auth_core::jose::EXCERPT_LIMIT + 1);
            }
            return;
        }
    };
    assert!(text.as_bytes().starts_with(jws.signing_input()));
    let token = SigningInput::from_payload(jws.header(), jws.payload()).finish(jws.signature());
    let again = CompactJws::parse_with_limit(&token, usize::MAX).expect("a printed jws parses");
    assert_eq!(again.header(), jws.header());
    assert_eq!(again.payload(), jws.payload());
    assert_eq!(again.signature(), jws.signature());
    if let Ok(claims) = AccessTokenClaims::from_json(jws.payload()) {
        let printed = serde_json::to_vec(&claims).expect("claims serialize");
        let reparsed = AccessTokenClaims::from_json(&printed).expect("printed claims parse");
        assert_eq!(reparsed, claims);
    }
}

/// The JWK Set parser (RFC 7517 §5): a set it accepts, printed, parses to
/// the same keys.
pub fn jwk_set(data: &[u8]) {
    use auth_core::jose::JwkSet;
    match JwkSet::from_json(data) {
        Ok(set) => {
            let again = JwkSet::from_json(set.to_json().as_bytes()).expect("a printed set parses");
            assert_eq!(again, set);
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
}

/// The private JWK parser (key files of the mock and of auth-http's
/// `PrivateKeySigner`): never panics, and neither a key it accepts
/// (`Debug`) nor an error it gives prints the private member `d`.
pub fn private_jwk(data: &[u8]) {
    use auth_core::jose::PrivateJwk;
    d_is_never_printed(data, |data| match PrivateJwk::from_json(data) {
        Ok(jwk) => format!("{jwk:?}"),
        Err(error) => error.to_string(),
    });
}

/// The oracle of [`private_jwk`]: panics when `print` (what a JSON key
/// file shows of itself, accepted or refused) echoes its `d`, whole or any
/// run of 8 of its characters.
///
/// Echoing is told from coincidence by changing `d`: its letters and
/// digits are rotated (`a`→`b`, `9`→`0`; the rest kept), which keeps its
/// length and its base64url validity, so the parser takes the same path.
/// An output that shows a run of `d`, and shows that run rotated only for
/// the rotated input, follows the value: a leak. One that shows the run
/// only for the original, or the rotated run for both, is quoting its own
/// fixed words (an error text the fuzzer copied into `d`) or another
/// member.
pub fn d_is_never_printed(data: &[u8], print: impl Fn(&[u8]) -> String) {
    const RUN: usize = 8;
    let printed = print(data);
    let Ok(serde_json::Value::Object(mut object)) = serde_json::from_slice(data) else {
        return;
    };
    let Some(serde_json::Value::String(d)) = object.get("d").cloned() else {
        return;
    };
    let chars: Vec<char> = d.chars().collect();
    let runs = |chars: &[char]| -> Vec<String> {
        chars.windows(RUN).map(|run| run.iter().collect()).collect()
    };
    // The runs of `d` the output shows, each beside its rotation.
    let shown: Vec<(String, String)> = runs(&chars)
        .into_iter()
        .filter(|run| printed.contains(run.as_str()))
        .map(|run| {
            let rotated = run.chars().map(rotate).collect();
            (run, rotated)
        })
        .filter(|(run, rotated)| run != rotated)
        .collect();
    if shown.is_empty() {
        return;
    }
    let rotated: String = chars.iter().copied().map(rotate).collect();
    object.insert("d".to_owned(), serde_json::Value::String(rotated));
    let printed_rotated = print(serde_json::Value::Object(object).to_string().as_bytes());
    // A rotated run the first output already showed is another member's
    // text (a quoted `kty` can hold both a run and its rotation): only one
    // that the rotation brought in follows `d`.
    assert!(
        shown.iter().all(|(_, rotated)| {
            printed.contains(rotated.as_str()) || !printed_rotated.contains(rotated.as_str())
        }),
        "the private member was printed"
    );
}

/// The next letter or digit in its own range, wrapping; other characters
/// unchanged.
fn rotate(c: char) -> char {
    let next = |first: u8, last: u8| {
        let c = c as u8;
        char::from(if c == last { first } else { c + 1 })
    };
    match c {
        'a'..='z' => next(b'a', b'z'),
        'A'..='Z' => next(b'A', b'Z'),
        '0'..='9' => next(b'0', b'9'),
        _ => c,
    }
}
