//! Provider answers, both ways: parsing status + headers + body bytes into
//! an [`OAuthToken`] or a typed [`Error`] (client side), and the RFC 6749
//! §5.1 success body [`TokenResponse`] (provider side).
//!
//! The parser is lenient where real providers differ and the meaning is
//! clear, and says so: each leniency is a [`Deviation`], reported by
//! [`parse_with_report`] and turned into an error in strict mode.
//! - any 2xx is a success status (RFC 6749 §5.1 says 200);
//! - JSON is read whatever the `Content-Type` says, and a UTF-8 BOM is skipped;
//! - `expires_in` may be a numeric string or have a fraction (floored);
//!   negative values are an error, huge ones are clamped to the policy's
//!   max lifetime, absent ones get its default lifetime;
//! - `token_type` matches Bearer in any case;
//! - `scope` may be separated by any whitespace, or (rarely) be an array;
//!   absent, it means the requested scope was granted (§5.1);
//! - an `error` member in a 2xx answer makes it an error (checklist C-43);
//! - a member that appears twice is an error (§3.2, RFC 8259 §4).

use std::borrow::Cow;
use std::fmt;

use http::{HeaderMap, StatusCode};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;

use crate::deviation::Deviation;
use crate::error::{
    ApiError, DeviationError, Error, ErrorCode, ParseError, ParseErrorKind, ProviderError,
};
use crate::expiry::ExpiryPolicy;
use crate::extra::ExtraFields;
use crate::retry_after::RetryAfter;
use crate::scope::ScopeSet;
use crate::scrub::Scrubber;
use crate::token::{AccessToken, OAuthToken, RefreshToken, TokenId, TokenType, is_b64token};

mod scan;

/// Media type of token and error bodies.
pub const CONTENT_TYPE_JSON: &str = "application/json";

/// Longest `error_description` / `error_uri` kept from a provider, in bytes.
pub const PROVIDER_TEXT_LIMIT: usize = 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The latest expiry the stored format (RFC 3339, four-digit years) can hold.
const LATEST: OffsetDateTime = time::macros::datetime!(9999-12-31 23:59:59 UTC);

/// How to read provider answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseOptions {
    expiry: ExpiryPolicy,
    strict: bool,
    assume_bearer_when_missing: bool,
}

impl ParseOptions {
    /// Sets the expiry policy (default lifetime, max lifetime, skew).
    #[must_use]
    pub fn with_expiry(mut self, expiry: ExpiryPolicy) -> Self {
        self.expiry = expiry;
        self
    }

    /// Strict mode: every [`Deviation`] becomes an [`Error::Deviation`].
    #[must_use]
    pub fn with_strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Treat a missing `token_type` as Bearer (off by default: §5.1 says REQUIRED).
    #[must_use]
    pub fn with_assume_bearer_when_missing(mut self, assume: bool) -> Self {
        self.assume_bearer_when_missing = assume;
        self
    }

    /// The expiry policy.
    #[must_use]
    pub fn expiry(&self) -> &ExpiryPolicy {
        &self.expiry
    }

    /// True in strict mode.
    #[must_use]
    pub fn is_strict(&self) -> bool {
        self.strict
    }
}

/// What the parser needs besides the answer: when the request was sent
/// (expiry counts from then, checklist C-30) and what scope it asked for.
#[derive(Debug, Clone, Copy)]
pub struct ParseContext<'a> {
    /// When the token request was sent.
    pub requested_at: OffsetDateTime,
    /// The scope the request asked for.
    pub requested_scope: &'a ScopeSet,
    /// How to parse.
    pub options: &'a ParseOptions,
}

/// A token and the deviations the lenient parser accepted to get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The token.
    pub token: OAuthToken,
    /// What was off about the answer, in the order seen.
    pub deviations: Vec<Deviation>,
}

/// Parses a token-endpoint answer.
///
/// ```
/// # fn main() -> Result<(), auth_core::Error> {
/// use auth_core::response::{parse, ParseContext, ParseOptions};
/// let answer = http::Response::builder()
///     .header("content-type", "application/json")
///     .body(br#"{"access_token":"abc","token_type":"bearer","expires_in":"3600"}"#.to_vec())
///     .expect("static response");
/// let now = time::macros::datetime!(2026-01-01 00:00 UTC);
/// let scope = "read".parse()?;
/// let token = parse(&answer, &ParseContext { requested_at: now, requested_scope: &scope, options: &ParseOptions::default() })?;
/// assert_eq!(token.expires_at(), time::macros::datetime!(2026-01-01 01:00 UTC));
/// assert_eq!(token.scope().to_string(), "read");
/// # Ok(()) }
/// ```
pub fn parse<B: AsRef<[u8]>>(
    response: &http::Response<B>,
    ctx: &ParseContext<'_>,
) -> Result<OAuthToken, Error> {
    parse_token(
        response.status(),
        response.headers(),
        response.body().as_ref(),
        ctx,
        &mut Vec::new(),
    )
}

/// [`parse`], also returning the deviations accepted.
pub fn parse_with_report<B: AsRef<[u8]>>(
    response: &http::Response<B>,
    ctx: &ParseContext<'_>,
) -> Result<Parsed, Error> {
    parse_parts(
        response.status(),
        response.headers(),
        response.body().as_ref(),
        ctx,
    )
}

/// The parser on the parts of an answer.
pub fn parse_parts(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    ctx: &ParseContext<'_>,
) -> Result<Parsed, Error> {
    let mut deviations = Vec::new();
    let token = parse_token(status, headers, body, ctx, &mut deviations)?;
    Ok(Parsed { token, deviations })
}

/// The parser, recording deviations in `deviations` (empty on entry). The
/// token is built where the caller wants it: moving it (and the members)
/// costs more than reading a minimal body.
fn parse_token(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    ctx: &ParseContext<'_>,
    deviations: &mut Vec<Deviation>,
) -> Result<OAuthToken, Error> {
    if !status.is_success() {
        return Err(parse_error(status, headers, body));
    }
    if status != StatusCode::OK {
        deviations.push(Deviation::Status(status.as_u16()));
    }
    if !is_json_content_type(headers) {
        deviations.push(Deviation::ContentType);
    }
    let body = match body.strip_prefix(UTF8_BOM) {
        Some(rest) => {
            deviations.push(Deviation::ByteOrderMark);
            rest
        }
        None => body,
    };
    // Filled in place: the members are a large value.
    let mut object = Members::default();
    read_object_into(body, status, &mut object)?;
    if let Some(error) = provider_error(&object, status, headers, &Scrubber::NONE) {
        return Err(error.into());
    }
    // Strict mode is checked there too, so the token is built in place.
    build_token(&mut object, status, ctx, deviations)
}

/// Reads a failure answer (any status) as an RFC 6749 §5.2 error when it is
/// one, else as a non-OAuth [`ApiError`] with a bounded excerpt.
#[must_use]
pub fn parse_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    parse_error_scrubbed(status, headers, body, &Scrubber::NONE)
}

/// [`parse_error`] for a client that knows what it sent: every spelling of
/// its secrets is scrubbed from the decoded provider text and from the
/// excerpt, before either is cut to its bound.
pub(crate) fn parse_error_scrubbed(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    scrubber: &Scrubber,
) -> Error {
    let retry_after = RetryAfter::from_headers(headers);
    let json = body.strip_prefix(UTF8_BOM).unwrap_or(body);
    let mut object = Members::default();
    if read_object_into(json, status, &mut object).is_ok()
        && let Some(error) = provider_error(&object, status, headers, scrubber)
    {
        return error.into();
    }
    ApiError::scrubbed(status, body, retry_after, scrubber).into()
}

fn is_json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(http::header::CONTENT_TYPE) else {
        return false;
    };
    // What nearly every provider sends, before the general reading.
    if value.as_bytes() == CONTENT_TYPE_JSON.as_bytes() {
        return true;
    }
    value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| {
            let media = media.trim();
            media.eq_ignore_ascii_case(CONTENT_TYPE_JSON)
                || media.len() > 5
                    && media
                        .get(media.len() - 5..)
                        .is_some_and(|s| s.eq_ignore_ascii_case("+json"))
        })
}

/// A member value where a string is expected: the string (borrowed from the
/// body when it has no escapes), `null`, or something else.
enum Text<'a> {
    Str(Cow<'a, str>),
    Null,
    NotString,
}

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text::Str(Cow::Owned(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Text::Null)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Text::NotString)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Text::NotString)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Text::NotString)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Text::NotString)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(Text::NotString)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Text::NotString)
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

impl<'a> Text<'a> {
    /// `None` for null; the string; or a typed error naming the member.
    fn into_string(
        self,
        field: &'static str,
        status: StatusCode,
    ) -> Result<Option<Cow<'a, str>>, ParseError> {
        match self {
            Self::Str(s) => Ok(Some(s)),
            Self::Null => Ok(None),
            Self::NotString => Err(invalid(field, "not a string", status)),
        }
    }
}

/// The `scope` member: a string, or leniently an array of strings.
enum ScopeValue<'a> {
    Text(Text<'a>),
    List(Vec<String>),
}

impl<'de> Deserialize<'de> for ScopeValue<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScopeVisitor;
        impl<'de> Visitor<'de> for ScopeVisitor {
            type Value = ScopeValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scope string or list")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(ScopeValue::Text(Text::Str(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ScopeValue::Text(Text::Str(Cow::Owned(v.to_owned()))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(ScopeValue::Text(Text::Null))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(ScopeValue::Text(Text::NotString))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(ScopeValue::Text(Text::NotString))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(ScopeValue::Text(Text::NotString))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(ScopeValue::Text(Text::NotString))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut tokens = Vec::new();
                let mut all_strings = true;
                while let Some(item) = seq.next_element::<Text<'de>>()? {
                    match item {
                        Text::Str(token) => tokens.push(token.into_owned()),
                        _ => all_strings = false,
                    }
                }
                Ok(if all_strings {
                    ScopeValue::List(tokens)
                } else {
                    ScopeValue::Text(Text::NotString)
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(ScopeValue::Text(Text::NotString))
            }
        }
        deserializer.deserialize_any(ScopeVisitor)
    }
}

/// A member name, borrowed from the body when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// The members of a token or error object, read in one pass: the ones this
/// crate interprets in slots, every other one kept verbatim, and the first
/// repeated name (RFC 6749 §3.2, RFC 8259 §4) remembered.
#[derive(Default)]
struct Members<'a> {
    access_token: Option<Text<'a>>,
    token_type: Option<Text<'a>>,
    refresh_token: Option<Text<'a>>,
    error: Option<Text<'a>>,
    // Raw JSON: `1e400` must reach our own clamping, not serde_json's range check.
    expires_in: Option<&'a str>,
    scope: Option<ScopeValue<'a>>,
    extra: Extra<'a>,
    duplicate: Option<String>,
    /// The access token is known to fit RFC 6750 `b64token`.
    b64token_checked: bool,
}

/// How many extension members a body may have before they spill to the
/// heap: providers send a handful (Keycloak ten), and a list on the heap
/// costs an allocation per growth on every parse.
const INLINE_EXTRA: usize = 16;

/// The extension members of an object as read: each name and its raw JSON
/// text, in order.
struct Extra<'a> {
    inline: [(&'a str, &'a str); INLINE_EXTRA],
    len: usize,
    /// Past [`INLINE_EXTRA`], and every member the serde reader reads (a
    /// name with an escape is decoded, so owned).
    more: Vec<(Cow<'a, str>, &'a str)>,
}

impl Default for Extra<'_> {
    fn default() -> Self {
        Self {
            inline: [("", ""); INLINE_EXTRA],
            len: 0,
            more: Vec::new(),
        }
    }
}

impl<'a> Extra<'a> {
    /// Keeps a member whose name is in the body as it is.
    fn push_borrowed(&mut self, name: &'a str, raw: &'a str) {
        match self.inline.get_mut(self.len) {
            Some(slot) => {
                *slot = (name, raw);
                self.len += 1;
            }
            None => self.more.push((Cow::Borrowed(name), raw)),
        }
    }

    /// Every member, in the order read.
    fn iter(&self) -> impl Iterator<Item = (&str, &str)> + Clone {
        self.inline[..self.len]
            .iter()
            .map(|&(name, raw)| (name, raw))
            .chain(self.more.iter().map(|(name, raw)| (name.as_ref(), *raw)))
    }
}

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                fn put<T>(
                    slot: &mut Option<T>,
                    value: T,
                    name: &str,
                    duplicate: &mut Option<String>,
                ) {
                    if slot.is_some() {
                        duplicate.get_or_insert_with(|| name.to_owned());
                    }
                    *slot = Some(value);
                }
                let mut m = Members::default();
                while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
                    match name.as_ref() {
                        "access_token" => put(
                            &mut m.access_token,
                            map.next_value()?,
                            &name,
                            &mut m.duplicate,
                        ),
                        "token_type" => put(
                            &mut m.token_type,
                            map.next_value()?,
                            &name,
                            &mut m.duplicate,
                        ),
                        "refresh_token" => put(
                            &mut m.refresh_token,
                            map.next_value()?,
                            &name,
                            &mut m.duplicate,
                        ),
                        "error" => put(&mut m.error, map.next_value()?, &name, &mut m.duplicate),
                        "expires_in" => put(
                            &mut m.expires_in,
                            map.next_value::<&RawValue>()?.get(),
                            &name,
                            &mut m.duplicate,
                        ),
                        "scope" => put(&mut m.scope, map.next_value()?, &name, &mut m.duplicate),
                        _ => {
                            let raw = map.next_value::<&RawValue>()?.get();
                            m.extra.more.push((name, raw));
                        }
                    }
                }
                Ok(m)
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

/// Reads the members of the JSON object `body`: the scanner's fast path
/// when it can, else the serde reader.
fn read_object_into<'a>(
    body: &'a [u8],
    status: StatusCode,
    members: &mut Members<'a>,
) -> Result<(), ParseError> {
    if scan::read_into(body, members).is_none() {
        *members = read_object_serde(body, status)?;
    }
    Ok(())
}

/// The reference reader: any JSON, every error typed.
fn read_object_serde(body: &[u8], status: StatusCode) -> Result<Members<'_>, ParseError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::new(ParseErrorKind::Empty, status));
    }
    serde_json::from_slice::<Members<'_>>(body).map_err(|e| {
        // A data error's message quotes the value (`invalid type: string
        // "<token>"`), and a success body may hold a token: keep only the
        // kind. Syntax errors name a position, never a value.
        if e.is_data() {
            return ParseError::new(ParseErrorKind::NotObject, status);
        }
        ParseError {
            kind: ParseErrorKind::NotJson {
                line: e.line(),
                column: e.column(),
            },
            status,
            source: Some(e),
        }
    })
}

/// The §5.2 error in an object, if it has a string `error` member. Each
/// text is scrubbed as decoded from JSON, then bounded.
fn provider_error(
    members: &Members<'_>,
    status: StatusCode,
    headers: &HeaderMap,
    scrubber: &Scrubber,
) -> Option<ProviderError> {
    let Some(Text::Str(code)) = &members.error else {
        return None;
    };
    let bounded = |text: &str| scrubber.bounded(text, PROVIDER_TEXT_LIMIT, false).0;
    let text = |name| {
        members
            .extra
            .iter()
            .find(|&(n, _)| n == name)
            .and_then(|(_, raw)| serde_json::from_str::<String>(raw).ok())
            .map(|s| bounded(&s))
    };
    Some(ProviderError {
        code: ErrorCode::from(bounded(code).as_str()),
        description: text("error_description"),
        uri: text("error_uri"),
        status,
        retry_after: RetryAfter::from_headers(headers),
    })
}

fn truncate(mut s: String, limit: usize) -> String {
    if s.len() > limit {
        let mut cut = limit;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

fn invalid(field: &'static str, reason: &'static str, status: StatusCode) -> ParseError {
    ParseError::new(ParseErrorKind::Invalid { field, reason }, status)
}

fn is_null(raw: &str) -> bool {
    raw == "null"
}

fn build_token(
    members: &mut Members<'_>,
    status: StatusCode,
    ctx: &ParseContext<'_>,
    deviations: &mut Vec<Deviation>,
) -> Result<OAuthToken, Error> {
    if let Some(name) = members.duplicate.take() {
        return Err(ParseError::new(ParseErrorKind::Duplicate(truncate(name, 64)), status).into());
    }
    let extra = ExtraFields::from_members(members.extra.iter()).map_err(|name| {
        ParseError::new(ParseErrorKind::Duplicate(truncate(name.into(), 64)), status)
    })?;
    let access_token = match members.access_token.take() {
        None => None,
        Some(text) => text.into_string("access_token", status)?,
    }
    .ok_or_else(|| ParseError::new(ParseErrorKind::Missing("access_token"), status))?;
    if access_token.is_empty() {
        return Err(invalid("access_token", "empty", status).into());
    }

    let token_type = match members.token_type.take() {
        None => None,
        Some(text) => text.into_string("token_type", status)?,
    };
    let token_type = match token_type {
        Some(wire) => TokenType::from_wire(&wire),
        None if ctx.options.assume_bearer_when_missing => {
            deviations.push(Deviation::TokenTypeAssumed);
            TokenType::Bearer
        }
        None => {
            return Err(ParseError::new(ParseErrorKind::Missing("token_type"), status).into());
        }
    };
    if token_type == TokenType::Bearer {
        // RFC 6750 §2.1: a Bearer token must fit the b64token syntax to be
        // sent (C-45); b64token is a subset of VSCHAR.
        if !members.b64token_checked && !is_b64token(&access_token) {
            return Err(invalid("access_token", "not an RFC 6750 b64token", status).into());
        }
    } else if !access_token.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        // RFC 6749 Appendix A.12: access-token = 1*VSCHAR.
        return Err(invalid("access_token", "contains characters outside VSCHAR", status).into());
    }

    let expires_in = match members.expires_in.take().filter(|raw| !is_null(raw)) {
        None => None,
        Some(raw) => Some(read_expires_in(raw, status, deviations)?),
    };

    // RFC 6749 §5.1: `scope` is OPTIONAL when identical to the requested
    // scope, so its absence means "granted as requested". Grants are checked
    // against this set; a provider that silently grants less is not
    // detectable here (its resource server answers 403).
    let scope = match members.scope.take() {
        None | Some(ScopeValue::Text(Text::Null)) => ctx.requested_scope.clone(),
        // The usual answer echoes the request's scope as it was sent.
        Some(ScopeValue::Text(Text::Str(text))) if is_echo(&text, ctx.requested_scope) => {
            ctx.requested_scope.clone()
        }
        Some(value) => read_scope(value, status, deviations)?,
    };

    let refresh_token = match members.refresh_token.take() {
        None => None,
        Some(text) => text.into_string("refresh_token", status)?,
    }
    .map(|t| RefreshToken::new(t.into_owned()));

    let expires_at = expiry(ctx.requested_at, ctx.options.expiry.lifetime(expires_in));
    if ctx.options.strict && !deviations.is_empty() {
        return Err(DeviationError {
            deviations: std::mem::take(deviations),
        }
        .into());
    }
    Ok(OAuthToken {
        access_token: AccessToken::new(access_token.as_ref()),
        token_type,
        issued_at: ctx.requested_at,
        expires_at,
        expiry_assumed: expires_in.is_none(),
        scope,
        refresh_token,
        extra,
        id: TokenId::next(),
    })
}

/// `requested_at + lifetime`, never before `requested_at`, and saturated,
/// never wrapped: a lifetime past the representable (and storable) range
/// means "as late as possible", not "expired now" (checklist C-34).
fn expiry(requested_at: OffsetDateTime, lifetime: std::time::Duration) -> OffsetDateTime {
    /// A year: from a local date before 9998 (whatever the offset), a
    /// lifetime this long ends before [`LATEST`].
    const YEAR: std::time::Duration = std::time::Duration::from_secs(366 * 86_400);
    /// Nanoseconds in a day.
    const DAY: u64 = 86_400 * 1_000_000_000;
    // Most often the token expires the day it was requested (an hour
    // from any time but the last hour of the day): only the time of day
    // changes, with no calendar arithmetic. A local day before 9999 ends
    // before LATEST in any offset.
    let (hour, minute, second, nano) = requested_at.time().as_hms_nano();
    let since_midnight = (u64::from(hour) * 3600 + u64::from(minute) * 60 + u64::from(second))
        * 1_000_000_000
        + u64::from(nano);
    if lifetime.as_secs() < 86_400
        && requested_at.year() < 9999
        && let Some(at) = since_midnight
            .checked_add(u64::try_from(lifetime.as_nanos()).unwrap_or(u64::MAX))
            .filter(|&at| at < DAY)
    {
        let (secs, nano) = (at / 1_000_000_000, at % 1_000_000_000);
        let time = u8::try_from(secs / 3600).ok().and_then(|hour| {
            let minute = u8::try_from(secs / 60 % 60).ok()?;
            let second = u8::try_from(secs % 60).ok()?;
            time::Time::from_hms_nano(hour, minute, second, u32::try_from(nano).ok()?).ok()
        });
        if let Some(time) = time {
            return requested_at.replace_time(time);
        }
    }
    let span = time::Duration::try_from(lifetime).unwrap_or(time::Duration::MAX);
    // The usual case, without the two comparisons of instants (each
    // converts both sides to UTC) that only matter near the limits.
    if lifetime <= YEAR
        && requested_at.year() < 9998
        && let Some(at) = requested_at.checked_add(span)
    {
        return at;
    }
    requested_at
        .checked_add(span)
        .filter(|at| *at <= LATEST)
        .unwrap_or(LATEST)
        .max(requested_at)
}

/// `expires_in` as RFC 6749 App. A.14 `1*DIGIT`, or leniently a numeric
/// string or a fraction. Overflow saturates (the policy clamps it later).
fn read_expires_in(
    raw: &str,
    status: StatusCode,
    deviations: &mut Vec<Deviation>,
) -> Result<u64, ParseError> {
    let number = if raw.starts_with('"') {
        let text: String =
            serde_json::from_str(raw).map_err(|_| invalid("expires_in", "not a number", status))?;
        let text = text.trim();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("expires_in", "not a number", status));
        }
        deviations.push(Deviation::ExpiresInString);
        return Ok(text.parse::<u64>().unwrap_or(u64::MAX));
    } else {
        raw
    };
    if number.starts_with('-') {
        return Err(invalid("expires_in", "negative", status));
    }
    if number.bytes().all(|b| b.is_ascii_digit()) && !number.is_empty() {
        return Ok(number.parse::<u64>().unwrap_or(u64::MAX));
    }
    // A JSON number with a fraction or exponent; anything else is not a number.
    if !number.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        return Err(invalid("expires_in", "not a number", status));
    }
    let value: f64 = number
        .parse()
        .map_err(|_| invalid("expires_in", "not a number", status))?;
    if value.fract() != 0.0 {
        deviations.push(Deviation::ExpiresInFraction);
    }
    // Float-to-int `as` saturates (inf -> u64::MAX), which is the clamp we want.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "saturating by design"
    )]
    Ok(value.floor() as u64)
}

/// True when `text` lists exactly the scopes of `requested`, in its order,
/// one space apart: then it parses to `requested` itself.
fn is_echo(text: &str, requested: &ScopeSet) -> bool {
    let mut rest = text;
    for (i, scope) in requested.iter().enumerate() {
        let separated = if i == 0 {
            Some(rest)
        } else {
            rest.strip_prefix(' ')
        };
        match separated.and_then(|r| r.strip_prefix(scope.as_str())) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    rest.is_empty() && !requested.is_empty()
}

fn read_scope(
    value: ScopeValue<'_>,
    status: StatusCode,
    deviations: &mut Vec<Deviation>,
) -> Result<ScopeSet, ParseError> {
    let bad = || invalid("scope", "not a list of RFC 6749 scope tokens", status);
    let text = match value {
        ScopeValue::List(tokens) => {
            deviations.push(Deviation::ScopeArray);
            return ScopeSet::parse_lenient(&tokens.join(" ")).map_err(|_| bad());
        }
        ScopeValue::Text(Text::Str(text)) => text,
        ScopeValue::Text(_) => return Err(bad()),
    };
    if let Ok(set) = ScopeSet::parse(&text) {
        return Ok(set);
    }
    let set = ScopeSet::parse_lenient(&text).map_err(|_| bad())?;
    deviations.push(Deviation::ScopeWhitespace);
    Ok(set)
}

/// The RFC 6749 §5.1 success body, as a provider writes it.
///
/// ```
/// use auth_core::response::TokenResponse;
/// let body = TokenResponse { access_token: "abc", token_type: "Bearer", expires_in: Some(3600), scope: Some("read") };
/// assert_eq!(body.to_json(), r#"{"access_token":"abc","token_type":"Bearer","expires_in":3600,"scope":"read"}"#);
/// ```
#[derive(Debug, Clone, Copy, Serialize)]
pub struct TokenResponse<'a> {
    /// REQUIRED. The access token.
    pub access_token: &'a str,
    /// REQUIRED. The token type (`Bearer`).
    pub token_type: &'a str,
    /// RECOMMENDED. Lifetime in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// OPTIONAL if identical to the requested scope, else REQUIRED.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<&'a str>,
}

impl TokenResponse<'_> {
    /// The JSON body.
    #[must_use]
    pub fn to_json(&self) -> String {
        // One buffer, sized for the unescaped body: the member names and
        // punctuation (under 80 bytes), the values, a 20-digit integer.
        let values =
            self.access_token.len() + self.token_type.len() + self.scope.map_or(0, str::len);
        let scope = self.scope.unwrap_or_default();
        // The usual answer needs no escaping (b64token, `Bearer`, NQCHAR
        // scopes): written as it is, in the field order serde writes.
        if [self.access_token, self.token_type, scope]
            .iter()
            .all(|value| is_plain_json(value))
        {
            let mut body = String::with_capacity(96 + values);
            body.push_str(r#"{"access_token":""#);
            body.push_str(self.access_token);
            body.push_str(r#"","token_type":""#);
            body.push_str(self.token_type);
            body.push('"');
            if let Some(expires_in) = self.expires_in {
                body.push_str(r#","expires_in":"#);
                body.push_str(itoa::Buffer::new().format(expires_in));
            }
            if let Some(scope) = self.scope {
                body.push_str(r#","scope":""#);
                body.push_str(scope);
                body.push('"');
            }
            body.push('}');
            return body;
        }
        let mut body = Vec::with_capacity(96 + values);
        // Strings and integers always serialize, into a Vec without fail.
        if serde_json::to_writer(&mut body, self).is_err() {
            return String::new();
        }
        // serde_json writes UTF-8 only.
        String::from_utf8(body).unwrap_or_default()
    }
}

/// Whether JSON writes `text` as it is inside a string: printable ASCII
/// but `"` and `\` (RFC 8259 §7). Every byte is looked at, without an
/// early exit, so the loop is vectorized (a token is ~100-1000 bytes).
fn is_plain_json(text: &str) -> bool {
    text.bytes()
        .fold(true, |plain, b| plain & is_plain_json_byte(b))
}

/// A byte JSON writes as it is inside a string.
fn is_plain_json_byte(b: u8) -> bool {
    matches!(b, 0x20..=0x7E) && b != b'"' && b != b'\\'
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::OffsetDateTime;

    use super::{LATEST, expiry};

    /// The expiry without the shortcut for the usual case.
    fn reference(requested_at: OffsetDateTime, lifetime: std::time::Duration) -> OffsetDateTime {
        let span = time::Duration::try_from(lifetime).unwrap_or(time::Duration::MAX);
        requested_at
            .checked_add(span)
            .filter(|at| *at <= LATEST)
            .unwrap_or(LATEST)
            .max(requested_at)
    }

    proptest! {
        /// The shortcut gives what the saturating sum gives, near the
        /// limits too (any offset, years up to 9999, lifetimes to u64).
        #[test]
        fn prop_the_usual_expiry_is_the_saturating_sum(
            unix in -377_705_116_800_i64..253_402_300_799,
            offset in -93_599_i32..=93_599,
            secs in prop_oneof![0..=90_000_u64, 0..=40_000_000_u64, any::<u64>()],
            nanos in 0..1_000_000_000_u32,
        ) {
            let offset = time::UtcOffset::from_whole_seconds(offset).unwrap_or(time::UtcOffset::UTC);
            let utc = OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH);
            let requested_at = utc.checked_to_offset(offset).unwrap_or(utc);
            let lifetime = std::time::Duration::new(secs, nanos);
            prop_assert_eq!(expiry(requested_at, lifetime), reference(requested_at, lifetime));
        }
    }

    #[test]
    fn the_last_day_saturates_in_a_westward_offset() {
        let late = time::macros::datetime!(9999-12-31 10:00 -05:00);
        let hours = std::time::Duration::from_secs(13 * 3600 + 59 * 60);
        assert_eq!(expiry(late, hours), LATEST);
        assert_eq!(expiry(late, hours), reference(late, hours));
    }

    #[test]
    fn a_year_from_the_last_fast_year_ends_before_the_latest_storable_instant() {
        let late = time::macros::datetime!(9997-12-31 23:59:59.999_999_999 -25:59:59);
        let year = std::time::Duration::from_secs(366 * 86_400);
        assert!(expiry(late, year) < LATEST);
        assert_eq!(expiry(late, year), reference(late, year));
    }
}
