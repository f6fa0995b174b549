//! The load bench's second baseline (issue 17, item 1): the bare hyper
//! server of `bare.rs` doing the work every client-credentials token
//! request needs, with the same auth-core functions the mock uses, and
//! nothing a conformance provider adds (journal, findings, metrics,
//! expectations, faults, lockout, configurable clients):
//!
//! 1. the media type, then the body decoded as a form (`Form::parse`);
//! 2. `client_secret_basic` decoded (`basic::Decoded`), the client looked
//!    up, its secret checked as the mock does: an HMAC-SHA-256 of the
//!    presented secret compared in constant time with the stored one;
//! 3. `grant_type`, and the scope parsed and checked against the client's;
//! 4. an opaque token minted as the mock mints one: a record of the claims
//!    (`iat`, `exp`, 128 random bits of `jti`, client, scope) and its
//!    HMAC-SHA-256 tag, both base64url;
//! 5. the RFC 6749 §5.1 body (`TokenResponse::to_json`) with `no-store`.
//!
//! A request that fails a step gets a fixed 400 or 401: the bench sends
//! none, and any non-2xx fails its run.

use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use auth_core::ScopeSet;
use auth_core::basic::Decoded;
use auth_core::form::Form;
use auth_core::response::TokenResponse;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use hmac::{Hmac, Mac as _};
use http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, PRAGMA};
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::Full;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The default configuration's first client, as `support::F1_BASIC` names it.
const CLIENT_ID: &str = "s6BhdRkqt3";
const CLIENT_SECRET: &str = "gX1fBat3bV";
const LIFETIME_SECS: u64 = 3600;
/// The mock's bound on a form's pairs.
const MAX_FORM_PAIRS: usize = 64;

/// Per-process keys and the one registered client, made on first use as
/// the mock makes its own at start.
struct Provider {
    /// Keys the digests of client secrets.
    secret_mac: HmacSha256,
    /// The registered client's secret digest.
    digest: [u8; 32],
    scopes: ScopeSet,
    /// Keys the opaque tokens' tags.
    token_mac: HmacSha256,
}

static PROVIDER: LazyLock<Provider> = LazyLock::new(|| {
    let keyed = |key: &[u8; 32]| {
        HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!("any key length"))
    };
    let secret_mac = keyed(&rand::random());
    let mut mac = secret_mac.clone();
    mac.update(CLIENT_SECRET.as_bytes());
    Provider {
        digest: mac.finalize().into_bytes().into(),
        secret_mac,
        scopes: ScopeSet::parse("read write").unwrap_or_default(),
        token_mac: keyed(&rand::random()),
    }
});

/// The answer of a provider that does a token request's work and no more.
pub(crate) fn token_work_answer(headers: &HeaderMap, body: &[u8]) -> hyper::Response<Full<Bytes>> {
    match issue(headers, body) {
        Ok(json) => {
            let mut response = hyper::Response::new(Full::new(Bytes::from(json)));
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
            response
        }
        Err(status) => {
            let mut response = hyper::Response::new(Full::new(Bytes::from_static(
                br#"{"error":"invalid_request"}"#,
            )));
            *response.status_mut() = status;
            response
        }
    }
}

fn issue(headers: &HeaderMap, body: &[u8]) -> Result<String, StatusCode> {
    let provider = &*PROVIDER;
    let bad = StatusCode::BAD_REQUEST;
    let media_type = headers.get(CONTENT_TYPE).ok_or(bad)?.as_bytes();
    if !media_type.starts_with(b"application/x-www-form-urlencoded") {
        return Err(bad);
    }
    let form = Form::parse(body, MAX_FORM_PAIRS).map_err(|_| bad)?;
    let unauthorized = StatusCode::UNAUTHORIZED;
    let basic = Decoded::parse(headers.get(AUTHORIZATION).ok_or(unauthorized)?.as_bytes())
        .map_err(|_| unauthorized)?;
    let (id, secret) = basic.credentials().map_err(|_| unauthorized)?;
    let mut mac = provider.secret_mac.clone();
    mac.update(secret.as_bytes());
    let secret_ok = mac.verify_slice(&provider.digest).is_ok();
    if id != CLIENT_ID || !secret_ok {
        return Err(unauthorized);
    }
    if form.get("grant_type") != Some("client_credentials") {
        return Err(bad);
    }
    let scope = match form.get("scope").filter(|s| !s.is_empty()) {
        Some(requested) => ScopeSet::parse(requested).map_err(|_| bad)?,
        None => provider.scopes.clone(),
    };
    if !provider.scopes.is_superset(&scope) {
        return Err(bad);
    }
    let scope = scope.to_wire();
    let token = mint(provider, &id, &scope);
    Ok(TokenResponse {
        access_token: &token,
        token_type: "Bearer",
        expires_in: Some(LIFETIME_SECS),
        scope: Some(scope.as_ref()),
    }
    .to_json())
}

/// `iat | exp | jti | len(client) client | len(scope) scope`, then its tag.
fn mint(provider: &Provider, client: &str, scope: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut record = Vec::with_capacity(34 + client.len() + scope.len());
    record.extend_from_slice(&now.to_be_bytes());
    record.extend_from_slice(&(now + LIFETIME_SECS).to_be_bytes());
    record.extend_from_slice(&rand::random::<[u8; 16]>());
    for part in [client, scope] {
        record.push(u8::try_from(part.len()).unwrap_or(u8::MAX));
        record.extend_from_slice(part.as_bytes());
    }
    let mut mac = provider.token_mac.clone();
    mac.update(&record);
    let tag = mac.finalize().into_bytes();
    let mut token = URL_SAFE_NO_PAD.encode(&record);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(tag, &mut token);
    token
}
