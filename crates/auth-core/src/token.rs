//! Tokens: [`AccessToken`] (redacted), [`TokenType`], [`OAuthToken`] with an
//! absolute expiry, and the versioned stored format.

use std::cell::Cell;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::extra::ExtraFields;
use crate::request::RequestKey;
use crate::scope::ScopeSet;

/// The access token string (RFC 6749 §1.4). `Debug` prints `[REDACTED]`;
/// there is no `Display`; read it with [`AccessToken::expose_secret`].
///
/// Shared, not zeroized: a token is copied to every caller of a token
/// manager and into every request's header buffers, which no HTTP stack
/// wipes, so clones are a reference count and drops are free. The
/// long-lived client secret is the value that is zeroized.
#[derive(Clone)]
pub struct AccessToken(Arc<str>);

impl AccessToken {
    /// Wraps a token value.
    pub fn new(value: impl Into<Arc<str>>) -> Self {
        Self(value.into())
    }

    /// The token itself.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// True when the value fits RFC 6750 §2.1 `b64token`
    /// (`1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`),
    /// so it can be sent in an `Authorization: Bearer` header.
    #[must_use]
    pub fn is_b64token(&self) -> bool {
        is_b64token(self.expose_secret())
    }
}

pub(crate) fn is_b64token(value: &str) -> bool {
    !value.is_empty() && b64token_len(value.as_bytes()) == value.len()
}

/// A byte outside b64token's characters (`=` too: it only pads the end).
/// Branch-free, so that a block of them vectorizes.
#[expect(clippy::needless_bitwise_bool, reason = "branch-free on purpose")]
fn not_b64char(b: u8) -> u8 {
    // `-./0-9` is the contiguous run 0x2D..=0x39.
    let ok = ((b | 0x20).wrapping_sub(b'a') < 26)
        | (b.wrapping_sub(b'-') <= b'9' - b'-')
        | (b == b'_')
        | (b == b'~')
        | (b == b'+');
    u8::from(!ok)
}

/// The length of the RFC 6750 §2.1 `b64token` that `bytes` starts with
/// (`1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`), 0 when
/// none: where a token ends in a JSON string, found and checked in one pass.
pub(crate) fn b64token_len(bytes: &[u8]) -> usize {
    // Fixed-size blocks checked branch-free, so the compiler vectorizes
    // them: tokens run to kilobytes and are checked on every parse.
    let (blocks, _) = bytes.as_chunks::<16>();
    let mut run = 0;
    for block in blocks {
        if block.iter().fold(0, |bad, &b| bad | not_b64char(b)) != 0 {
            break;
        }
        run += 16;
    }
    let rest = bytes.get(run..).unwrap_or_default();
    run += rest.iter().take_while(|&&b| not_b64char(b) == 0).count();
    if run == 0 {
        return 0;
    }
    let padding = bytes.get(run..).unwrap_or_default();
    run + padding.iter().take_while(|&&b| b == b'=').count()
}

impl PartialEq for AccessToken {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        self.expose_secret()
            .as_bytes()
            .ct_eq(other.expose_secret().as_bytes())
            .into()
    }
}

impl Eq for AccessToken {}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken([REDACTED])")
    }
}

/// A refresh token, kept if a provider sends one (RFC 6749 §4.4.3 says it
/// SHOULD NOT) but never used: renewal is a new client-credentials grant.
#[derive(Clone)]
pub struct RefreshToken(SecretString);

impl RefreshToken {
    /// Wraps a refresh token value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The token itself.
    #[must_use]
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl PartialEq for RefreshToken {
    fn eq(&self, other: &Self) -> bool {
        self.expose_secret() == other.expose_secret()
    }
}

impl Eq for RefreshToken {}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshToken([REDACTED])")
    }
}

/// `token_type` (RFC 6749 §7.1). Bearer is matched case-insensitively
/// (§5.1); any other type is kept as data but never sent as Bearer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenType {
    /// `Bearer` (RFC 6750).
    Bearer,
    /// Any other type, as the provider spelled it.
    Other(String),
}

impl TokenType {
    /// Classifies a wire value.
    #[must_use]
    pub fn from_wire(value: &str) -> Self {
        // The RFC 6750 spelling first: nearly every provider sends it.
        if value == "Bearer" || value.eq_ignore_ascii_case("bearer") {
            Self::Bearer
        } else {
            Self::Other(value.to_owned())
        }
    }

    /// The wire value (`Bearer` in its RFC 6750 spelling).
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Bearer => "Bearer",
            Self::Other(other) => other,
        }
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identity of one issued token, for [`Grant`](crate::Grant)s: every
/// token made (parsed, restored from a store, or built with
/// [`OAuthToken::new`]) gets a new one, and clones share it. It says which
/// token a grant was checked against without holding the token's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TokenId(u64);

impl TokenId {
    /// A fresh identity. A counter, not a clock or a random number:
    /// 2^64 tokens outlast any process. Each thread takes a block of ids
    /// from the shared counter and hands them out one by one, so a token
    /// costs no atomic read-modify-write (a lock on the bus, which costs
    /// more than parsing a minimal body's members).
    pub(crate) fn next() -> Self {
        /// Ids a thread takes at once: 2^48 blocks still outlast any process.
        const BLOCK: u64 = 1 << 16;
        static NEXT_BLOCK: AtomicU64 = AtomicU64::new(0);
        thread_local! {
            /// The thread's next id and the end of its block.
            static LOCAL: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
        }
        let take_block = || NEXT_BLOCK.fetch_add(BLOCK, Ordering::Relaxed);
        LOCAL
            .try_with(|local| {
                let (mut next, mut end) = local.get();
                if next == end {
                    next = take_block();
                    end = next + BLOCK;
                }
                local.set((next + 1, end));
                Self(next)
            })
            // A thread being torn down: a block of one.
            .unwrap_or_else(|_| Self(take_block()))
    }
}

/// An issued access token with everything needed to use and renew it.
///
/// Expiry is absolute: `expires_at` was computed from `expires_in` and the
/// time the request was *sent* (checklist C-30), so a stored token reloads
/// with its true remaining life.
#[derive(Clone)]
pub struct OAuthToken {
    pub(crate) access_token: AccessToken,
    pub(crate) token_type: TokenType,
    pub(crate) issued_at: OffsetDateTime,
    pub(crate) expires_at: OffsetDateTime,
    pub(crate) expiry_assumed: bool,
    pub(crate) scope: ScopeSet,
    pub(crate) refresh_token: Option<RefreshToken>,
    pub(crate) extra: ExtraFields,
    /// Which token this is, for grants; not part of equality.
    pub(crate) id: TokenId,
}

impl OAuthToken {
    /// A Bearer token valid from `issued_at` to `expires_at` with `scope`.
    /// For tests and for callers that obtained a token some other way.
    #[must_use]
    pub fn new(
        access_token: AccessToken,
        issued_at: OffsetDateTime,
        expires_at: OffsetDateTime,
        scope: ScopeSet,
    ) -> Self {
        Self {
            access_token,
            token_type: TokenType::Bearer,
            issued_at,
            expires_at,
            expiry_assumed: false,
            scope,
            refresh_token: None,
            extra: ExtraFields::new(),
            id: TokenId::next(),
        }
    }

    /// Sets the token type.
    #[must_use]
    pub fn with_token_type(mut self, token_type: TokenType) -> Self {
        self.token_type = token_type;
        self
    }

    /// The access token.
    #[must_use]
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// The token type.
    #[must_use]
    pub fn token_type(&self) -> &TokenType {
        &self.token_type
    }

    /// When the request that got it was sent.
    #[must_use]
    pub fn issued_at(&self) -> OffsetDateTime {
        self.issued_at
    }

    /// When it stops being valid.
    #[must_use]
    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }

    /// True when the provider sent no `expires_in` and the configured default
    /// lifetime was assumed.
    #[must_use]
    pub fn is_expiry_assumed(&self) -> bool {
        self.expiry_assumed
    }

    /// `expires_at - issued_at`, never negative.
    #[must_use]
    pub fn lifetime(&self) -> time::Duration {
        (self.expires_at - self.issued_at).max(time::Duration::ZERO)
    }

    /// True at and after `expires_at`.
    #[must_use]
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        now >= self.expires_at
    }

    /// The granted scope (RFC 6749 §5.1: the requested one when the
    /// provider did not say). What a [`Grant`](crate::Grant) is checked
    /// against.
    #[must_use]
    pub fn scope(&self) -> &ScopeSet {
        &self.scope
    }

    /// This token's identity (shared by its clones).
    pub(crate) fn id(&self) -> TokenId {
        self.id
    }

    /// The refresh token, if the provider sent one.
    #[must_use]
    pub fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }

    /// Unrecognized response members, verbatim.
    #[must_use]
    pub fn extra(&self) -> &ExtraFields {
        &self.extra
    }

    /// The stored format for the request identified by `key` (its
    /// persistent identity, [`TokenRequest::key`](crate::TokenRequest::key)):
    /// versioned JSON with RFC 3339 timestamps and the key's
    /// [`digest`](RequestKey::digest), so a loader can tell a token saved
    /// for another request from its own.
    ///
    /// A timestamp RFC 3339 cannot write (a year past 9999 or before 0) is
    /// [`StoredTokenError::Unstorable`]: never an empty or partial text.
    ///
    /// ```
    /// # fn main() -> Result<(), auth_core::Error> {
    /// use auth_core::{AccessToken, ClientCredentials, OAuthToken, ScopeSet, TokenRequest, TokenUrl};
    /// use time::macros::datetime;
    /// let url = TokenUrl::parse("https://as.example/token")?;
    /// let key = TokenRequest::new(url.clone(), ClientCredentials::new("svc", "s")).key();
    /// let token = OAuthToken::new(
    ///     AccessToken::new("abc"),
    ///     datetime!(2026-01-01 00:00 UTC),
    ///     datetime!(2026-01-01 01:00 UTC),
    ///     ScopeSet::new(),
    /// );
    /// let json = token.to_stored_json(&key)?;
    /// assert!(json.contains(r#""expires_at":"2026-01-01T01:00:00Z""#));
    /// assert_eq!(OAuthToken::from_stored_json(json.as_bytes(), &key)?, token);
    /// let other = TokenRequest::new(url, ClientCredentials::new("other", "s")).key();
    /// assert!(OAuthToken::from_stored_json(json.as_bytes(), &other).is_err());
    /// # Ok(()) }
    /// ```
    pub fn to_stored_json(&self, key: &RequestKey) -> Result<String, StoredTokenError> {
        let stored = StoredToken {
            version: STORED_VERSION,
            request: Some(key.digest()),
            access_token: self.access_token.expose_secret().into(),
            token_type: self.token_type.as_str().into(),
            issued_at: storable(self.issued_at, "issued_at")?,
            expires_at: storable(self.expires_at, "expires_at")?,
            expiry_assumed: self.expiry_assumed,
            scope: self.scope.clone(),
            refresh_token: self
                .refresh_token
                .as_ref()
                .map(|t| t.expose_secret().to_owned()),
            extra: self.extra.clone(),
        };
        serde_json::to_string(&stored).map_err(|_| StoredTokenError::Unstorable("token"))
    }

    /// Loads the stored format, for the request identified by `key`.
    /// Corrupt input and versions from the future are typed errors;
    /// nothing of the input is echoed in them. A token saved for another
    /// request is [`StoredTokenError::OtherRequest`], and one written by
    /// version 1 of the format, which did not record its request, is
    /// [`StoredTokenError::Unbound`]: a store treats both as a miss.
    pub fn from_stored_json(bytes: &[u8], key: &RequestKey) -> Result<Self, StoredTokenError> {
        let (binding, token) = Self::parse_stored(bytes)?;
        // The whole record is checked first, so a wrong request is only
        // ever reported for an otherwise good token.
        match binding {
            Binding::Unbound => Err(StoredTokenError::Unbound),
            Binding::Request(digest) if digest == key.digest() => Ok(token),
            Binding::Request(_) => Err(StoredTokenError::OtherRequest),
        }
    }

    /// Loads the stored format without asking which request it was saved
    /// for (any version this crate reads, the unbound version 1 too): for
    /// a holder of the file alone, with no client id, token URL or secret
    /// to build a [`RequestKey`] from (a
    /// [`RestoredClient`](crate::RestoredClient)). The binding exists so a
    /// shared store never hands one request's token to another; here the
    /// caller chose the file. Corrupt input is the same typed error as in
    /// [`from_stored_json`](Self::from_stored_json).
    pub fn from_stored_json_unbound(bytes: &[u8]) -> Result<Self, StoredTokenError> {
        Self::parse_stored(bytes).map(|(_, token)| token)
    }

    /// The record in `bytes`, fully checked, and the request it is bound to.
    fn parse_stored(bytes: &[u8]) -> Result<(Binding, Self), StoredTokenError> {
        let probe: VersionProbe =
            serde_json::from_slice(bytes).map_err(|e| StoredTokenError::Corrupt {
                line: e.line(),
                column: e.column(),
            })?;
        let version = match probe.version {
            None => return Err(StoredTokenError::MissingVersion),
            Some(version @ (UNBOUND_VERSION | STORED_VERSION)) => version,
            Some(other) => return Err(StoredTokenError::UnsupportedVersion(other)),
        };
        let stored: StoredToken =
            serde_json::from_slice(bytes).map_err(|e| StoredTokenError::Corrupt {
                line: e.line(),
                column: e.column(),
            })?;
        if stored.access_token.is_empty() {
            return Err(StoredTokenError::Invalid("access_token"));
        }
        if stored.expires_at < stored.issued_at {
            return Err(StoredTokenError::Invalid("expires_at"));
        }
        let binding = match (version, stored.request) {
            (UNBOUND_VERSION, None) => Binding::Unbound,
            (STORED_VERSION, Some(digest)) => Binding::Request(digest),
            _ => return Err(StoredTokenError::Invalid("request")),
        };
        let token = Self {
            access_token: AccessToken::new(stored.access_token),
            token_type: TokenType::from_wire(&stored.token_type),
            issued_at: stored.issued_at,
            expires_at: stored.expires_at,
            expiry_assumed: stored.expiry_assumed,
            scope: stored.scope,
            refresh_token: stored.refresh_token.map(RefreshToken::new),
            extra: stored.extra,
            id: TokenId::next(),
        };
        Ok((binding, token))
    }
}

/// Which request a stored record says it was saved for.
enum Binding {
    /// Version 1: it did not say.
    Unbound,
    /// The [`RequestKey::digest`] of the request.
    Request(String),
}

impl PartialEq for OAuthToken {
    fn eq(&self, other: &Self) -> bool {
        self.access_token == other.access_token
            && self.token_type == other.token_type
            && self.issued_at == other.issued_at
            && self.expires_at == other.expires_at
            && self.expiry_assumed == other.expiry_assumed
            && self.scope == other.scope
            && self.refresh_token == other.refresh_token
            && self.extra == other.extra
    }
}

impl Eq for OAuthToken {}

/// Values of `extra` can be tokens too (`id_token`), so only names print.
impl fmt::Debug for OAuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthToken")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .field("expiry_assumed", &self.expiry_assumed)
            .field("scope", &self.scope)
            .field("refresh_token", &self.refresh_token)
            .field("extra", &self.extra)
            .field("id", &self.id)
            .finish()
    }
}

/// RFC 3339 offsets have no seconds (`+00:00:30` cannot be written): such a
/// timestamp is stored as the same instant in UTC instead. Years outside
/// 0..=9999 cannot be written at all: a typed error naming `field`.
fn storable(at: OffsetDateTime, field: &'static str) -> Result<OffsetDateTime, StoredTokenError> {
    let offset = at.offset();
    let at = if offset.seconds_past_minute() == 0 && offset.whole_hours().abs() < 24 {
        at
    } else {
        at.checked_to_offset(time::UtcOffset::UTC)
            .ok_or(StoredTokenError::Unstorable(field))?
    };
    if (0..=9999).contains(&at.year()) {
        Ok(at)
    } else {
        Err(StoredTokenError::Unstorable(field))
    }
}

/// The stored format's version this crate writes (and reads).
///
/// Version 2 records the [`RequestKey::digest`] of the request the token
/// answers. Version 1 did not; it is still read and checked, then reported
/// as [`StoredTokenError::Unbound`] (a miss): this build cannot tell which
/// configuration wrote it, and one fetch is cheaper than sending a token to
/// an API it was not issued for.
pub const STORED_VERSION: u64 = 2;

/// The first stored format, without the request's identity.
const UNBOUND_VERSION: u64 = 1;

#[derive(Deserialize)]
struct VersionProbe {
    version: Option<u64>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredToken {
    version: u64,
    /// [`RequestKey::digest`] of the request (version 2 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    request: Option<String>,
    access_token: String,
    token_type: String,
    #[serde(with = "time::serde::rfc3339")]
    issued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: OffsetDateTime,
    #[serde(default)]
    expiry_assumed: bool,
    #[serde(default)]
    scope: ScopeSet,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default)]
    extra: ExtraFields,
}

/// Why a stored token could not be loaded or stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoredTokenError {
    /// Not JSON of the stored shape.
    #[error("corrupt stored token (line {line}, column {column})")]
    Corrupt {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
    },
    /// No `version` member.
    #[error("stored token has no version")]
    MissingVersion,
    /// Written by a newer (or unknown) version of this crate.
    #[error("stored token version {0} is not supported (this build reads versions 1 and 2)")]
    UnsupportedVersion(u64),
    /// A member has an impossible value.
    #[error("stored token has an invalid `{0}`")]
    Invalid(&'static str),
    /// A good token, saved for another request (another token URL, client
    /// id, scope set, audience...): not this request's token.
    #[error("stored token was saved for another token request")]
    OtherRequest,
    /// A good token in version 1 of the format, which does not record the
    /// request it answers: it cannot be shown to be this request's token.
    #[error("stored token does not record its token request (format version 1)")]
    Unbound,
    /// The token has a timestamp the format cannot hold (RFC 3339 years
    /// run from 0 to 9999); nothing is written.
    #[error("token cannot be stored: `{0}` is out of range")]
    Unstorable(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// The b64token prefix by its grammar, one byte at a time.
    fn b64token_len_reference(bytes: &[u8]) -> usize {
        let chars = bytes
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(b))
            .count();
        if chars == 0 {
            return 0;
        }
        chars + bytes[chars..].iter().take_while(|&&b| b == b'=').count()
    }

    #[test]
    fn token_ids_are_unique_across_threads_and_blocks() {
        let ids: Vec<u64> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| (0..70_000).map(|_| TokenId::next().0).collect::<Vec<_>>()))
                .collect();
            threads
                .into_iter()
                .flat_map(|t| t.join().unwrap_or_default())
                .collect()
        });
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(ids.len(), 4 * 70_000);
        assert_eq!(unique.len(), ids.len());
    }

    proptest::proptest! {
        /// The block-wise scan finds the b64token a byte-wise reading of
        /// the grammar finds, wherever its end falls in a block.
        #[test]
        fn prop_the_b64token_prefix_is_the_one_the_grammar_reads(
            token in "[A-Za-z0-9._~+/-]{0,70}={0,3}",
            tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..20),
        ) {
            let mut bytes = token.into_bytes();
            bytes.extend(tail);
            proptest::prop_assert_eq!(b64token_len(&bytes), b64token_len_reference(&bytes));
        }
    }

    fn token() -> OAuthToken {
        OAuthToken::new(
            AccessToken::new("tok"),
            datetime!(2026-01-01 00:00 UTC),
            datetime!(2026-01-01 01:00 UTC),
            "read".parse().unwrap(),
        )
    }

    #[test]
    fn access_token_never_prints() {
        assert_eq!(
            format!("{:?}", AccessToken::new("abc")),
            "AccessToken([REDACTED])"
        );
        assert!(!format!("{:?}", token()).contains("tok\""));
    }

    #[test]
    fn bearer_matches_any_case_rfc6749_5_1() {
        for wire in ["bearer", "BEARER", "Bearer", "bEaReR"] {
            assert_eq!(TokenType::from_wire(wire), TokenType::Bearer);
        }
        assert_eq!(TokenType::from_wire("mac"), TokenType::Other("mac".into()));
    }

    #[test]
    fn b64token_syntax_rfc6750_2_1() {
        assert!(is_b64token("abc-._~+/=="));
        assert!(!is_b64token("a b"));
        assert!(!is_b64token("a,b"));
        assert!(!is_b64token("=="));
        assert!(!is_b64token("é"));
        assert!(!is_b64token("a=b"));
    }

    fn key(client_id: &str) -> RequestKey {
        crate::TokenRequest::new(
            crate::TokenUrl::parse("https://as.example/token").unwrap(),
            crate::ClientCredentials::new(client_id, "s"),
        )
        .key()
    }

    fn stored() -> String {
        token().to_stored_json(&key("svc")).unwrap()
    }

    #[test]
    fn stored_future_version_is_a_typed_error() {
        let json = stored().replace(r#""version":2"#, r#""version":3"#);
        assert_eq!(
            OAuthToken::from_stored_json(json.as_bytes(), &key("svc")),
            Err(StoredTokenError::UnsupportedVersion(3))
        );
    }

    #[test]
    fn stored_corrupt_input_is_a_typed_error() {
        assert!(matches!(
            OAuthToken::from_stored_json(b"{\"version\":2,", &key("svc")),
            Err(StoredTokenError::Corrupt { .. })
        ));
        assert_eq!(
            OAuthToken::from_stored_json(b"{}", &key("svc")),
            Err(StoredTokenError::MissingVersion)
        );
        let no_expiry = br#"{"version":2,"access_token":"a","token_type":"Bearer","issued_at":"2026-01-01T00:00:00Z"}"#;
        assert!(matches!(
            OAuthToken::from_stored_json(no_expiry, &key("svc")),
            Err(StoredTokenError::Corrupt { .. })
        ));
    }

    #[test]
    fn stored_expiry_before_issue_is_an_invalid_expires_at() {
        let json = stored();
        let backwards = json.replace(
            r#""expires_at":"2026-01-01T01:00:00Z""#,
            r#""expires_at":"2025-01-01T00:00:00Z""#,
        );
        // The replacement must have happened, or this tests nothing.
        assert_ne!(backwards, json);
        assert_eq!(
            OAuthToken::from_stored_json(backwards.as_bytes(), &key("svc")),
            Err(StoredTokenError::Invalid("expires_at"))
        );
    }

    #[test]
    fn stored_token_of_another_request_is_refused() {
        assert_eq!(
            OAuthToken::from_stored_json(stored().as_bytes(), &key("other")),
            Err(StoredTokenError::OtherRequest)
        );
        assert_eq!(
            OAuthToken::from_stored_json(stored().as_bytes(), &key("svc")),
            Ok(token())
        );
    }

    #[test]
    fn stored_version_1_is_read_and_reported_unbound() {
        let v1 = br#"{"version":1,"access_token":"a","token_type":"Bearer","issued_at":"2026-01-01T00:00:00Z","expires_at":"2026-01-01T01:00:00Z"}"#;
        assert_eq!(
            OAuthToken::from_stored_json(v1, &key("svc")),
            Err(StoredTokenError::Unbound)
        );
        let v2_unbound = stored().replace(&format!(r#""request":"{}","#, key("svc").digest()), "");
        assert_eq!(
            OAuthToken::from_stored_json(v2_unbound.as_bytes(), &key("svc")),
            Err(StoredTokenError::Invalid("request"))
        );
    }

    #[test]
    fn a_timestamp_rfc3339_cannot_write_is_an_error_not_an_empty_text() {
        let before_year_0 = OAuthToken::new(
            AccessToken::new("tok"),
            datetime!(-0001-12-31 00:00 UTC),
            datetime!(2026-01-01 00:00 UTC),
            ScopeSet::new(),
        );
        assert_eq!(
            before_year_0.to_stored_json(&key("svc")),
            Err(StoredTokenError::Unstorable("issued_at"))
        );
        // An offset with seconds is stored in UTC, which here is year 10000.
        let past_9999 = OAuthToken::new(
            AccessToken::new("tok"),
            datetime!(2026-01-01 00:00 UTC),
            datetime!(9999-12-31 23:59:59 -00:00:30),
            ScopeSet::new(),
        );
        assert_eq!(
            past_9999.to_stored_json(&key("svc")),
            Err(StoredTokenError::Unstorable("expires_at"))
        );
    }

    #[test]
    fn stored_errors_never_echo_the_token() {
        let json = br#"{"version":2,"access_token":12345678,"token_type":"Bearer"}"#;
        let err = OAuthToken::from_stored_json(json, &key("svc")).unwrap_err();
        assert!(!err.to_string().contains("12345678"));
    }
}
