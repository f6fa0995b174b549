//! `WWW-Authenticate: Bearer ...` challenges (RFC 6750 §3), written by a
//! protected resource and read by the client that decides whether to renew
//! its token (`invalid_token`) or give up (`insufficient_scope`).

use std::fmt;

/// An RFC 6750 §3.1 error code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BearerErrorCode {
    /// `invalid_request` (400)
    InvalidRequest,
    /// `invalid_token` (401): expired, revoked, malformed.
    InvalidToken,
    /// `insufficient_scope` (403)
    InsufficientScope,
    /// Any other code.
    Other(String),
}

impl BearerErrorCode {
    /// The wire string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::Other(other) => other,
        }
    }

    fn from_wire(s: &str) -> Self {
        match s {
            "invalid_request" => Self::InvalidRequest,
            "invalid_token" => Self::InvalidToken,
            "insufficient_scope" => Self::InsufficientScope,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// A Bearer challenge.
///
/// ```
/// use auth_core::{BearerChallenge, BearerErrorCode};
/// let challenge = BearerChallenge::new()
///     .with_realm("mock")
///     .with_error(BearerErrorCode::InsufficientScope)
///     .with_scope("write");
/// let header = challenge.to_string();
/// assert_eq!(header, r#"Bearer realm="mock", error="insufficient_scope", scope="write""#);
/// assert_eq!(BearerChallenge::parse(&header), Some(challenge));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BearerChallenge {
    /// `realm`
    pub realm: Option<String>,
    /// `error`
    pub error: Option<BearerErrorCode>,
    /// `error_description`
    pub error_description: Option<String>,
    /// `error_uri`
    pub error_uri: Option<String>,
    /// `scope`: the scope the resource needs.
    pub scope: Option<String>,
}

impl BearerChallenge {
    /// A challenge with no attributes.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `realm`.
    #[must_use]
    pub fn with_realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// Sets `error`.
    #[must_use]
    pub fn with_error(mut self, error: BearerErrorCode) -> Self {
        self.error = Some(error);
        self
    }

    /// Sets `error_description`.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.error_description = Some(description.into());
        self
    }

    /// Sets `scope`.
    #[must_use]
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Finds the Bearer challenge in a `WWW-Authenticate` value, which may
    /// hold several challenges (RFC 9110 §11.6.1). `None` if there is none
    /// or the value is not a challenge list.
    #[must_use]
    pub fn parse(header: &str) -> Option<Self> {
        let items = tokenize(header)?;
        let mut found: Option<Self> = None;
        let mut in_bearer = false;
        for item in items {
            match item {
                Item::Scheme(scheme) => {
                    if found.is_some() && in_bearer {
                        break;
                    }
                    in_bearer = scheme.eq_ignore_ascii_case("bearer");
                    if in_bearer {
                        found = Some(Self::new());
                    }
                }
                Item::Param(name, value) if in_bearer => {
                    let challenge = found.as_mut()?;
                    let slot = match name.to_ascii_lowercase().as_str() {
                        "realm" => &mut challenge.realm,
                        "error_description" => &mut challenge.error_description,
                        "error_uri" => &mut challenge.error_uri,
                        "scope" => &mut challenge.scope,
                        "error" => {
                            challenge.error = Some(BearerErrorCode::from_wire(&value));
                            continue;
                        }
                        _ => continue,
                    };
                    *slot = Some(value);
                }
                Item::Param(..) => {}
            }
        }
        found
    }
}

impl fmt::Display for BearerChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Bearer")?;
        let params = [
            ("realm", self.realm.as_deref()),
            ("error", self.error.as_ref().map(BearerErrorCode::as_str)),
            ("error_description", self.error_description.as_deref()),
            ("error_uri", self.error_uri.as_deref()),
            ("scope", self.scope.as_deref()),
        ];
        let mut first = true;
        for (name, value) in params {
            let Some(value) = value else { continue };
            f.write_str(if first { " " } else { ", " })?;
            first = false;
            write!(f, "{name}=\"")?;
            // RFC 6750 §3: values are quoted-strings; keep only printable
            // ASCII and escape quote and backslash, so no input breaks out.
            for c in value.chars().filter(|c| (' '..='~').contains(c)) {
                if c == '"' || c == '\\' {
                    f.write_str("\\")?;
                }
                write!(f, "{c}")?;
            }
            f.write_str("\"")?;
        }
        Ok(())
    }
}

enum Item {
    Scheme(String),
    Param(String, String),
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Splits a challenge list into schemes and auth-params (RFC 9110 §11.2).
/// token68 credentials after a scheme become harmless extra items.
fn tokenize(header: &str) -> Option<Vec<Item>> {
    let mut items = Vec::new();
    let mut rest = header.trim_start_matches([' ', '\t', ',']);
    while !rest.is_empty() {
        let end = rest.find(|c: char| !is_tchar(c)).unwrap_or(rest.len());
        if end == 0 {
            return None;
        }
        let name = &rest[..end];
        let after = rest[end..].trim_start_matches([' ', '\t']);
        if let Some(value_part) = after.strip_prefix('=').filter(|v| !v.starts_with('=')) {
            let value_part = value_part.trim_start_matches([' ', '\t']);
            let (value, remaining) = if let Some(quoted) = value_part.strip_prefix('"') {
                let mut value = String::new();
                let mut chars = quoted.char_indices();
                let mut close = None;
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => value.push(chars.next()?.1),
                        '"' => {
                            close = Some(i);
                            break;
                        }
                        c => value.push(c),
                    }
                }
                (value, &quoted[close? + 1..])
            } else {
                let end = value_part
                    .find(|c: char| !is_tchar(c))
                    .unwrap_or(value_part.len());
                (value_part[..end].to_owned(), &value_part[end..])
            };
            items.push(Item::Param(name.to_owned(), value));
            rest = remaining;
        } else {
            items.push(Item::Scheme(name.to_owned()));
            rest = after;
        }
        // `/` and `=` can only start the rest of a token68 (`Basic ab/c==`): skip them.
        rest = rest.trim_start_matches([' ', '\t', ',', '/', '=']);
    }
    Some(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_challenge_has_no_error_rfc6750_3() {
        let c = BearerChallenge::parse(r#"Bearer realm="example""#).unwrap();
        assert_eq!(c.realm.as_deref(), Some("example"));
        assert_eq!(c.error, None);
    }

    #[test]
    fn invalid_token_challenge_rfc6750_3_1() {
        let c = BearerChallenge::parse(
            r#"Bearer realm="example", error="invalid_token", error_description="The access token expired""#,
        )
        .unwrap();
        assert_eq!(c.error, Some(BearerErrorCode::InvalidToken));
        assert_eq!(
            c.error_description.as_deref(),
            Some("The access token expired")
        );
    }

    #[test]
    fn bearer_is_found_among_other_challenges() {
        let c = BearerChallenge::parse(
            r#"Basic realm="x", bearer error=insufficient_scope, scope="write""#,
        )
        .unwrap();
        assert_eq!(c.error, Some(BearerErrorCode::InsufficientScope));
        assert_eq!(c.scope.as_deref(), Some("write"));
        assert_eq!(c.realm, None);
        assert!(BearerChallenge::parse(r#"Basic realm="x""#).is_none());
    }

    #[test]
    fn values_cannot_break_out_of_quotes() {
        let c = BearerChallenge::new().with_description("a\"b\\c\né");
        assert_eq!(c.to_string(), r#"Bearer error_description="a\"b\\c""#);
        assert_eq!(
            BearerChallenge::parse(&c.to_string())
                .unwrap()
                .error_description
                .as_deref(),
            Some("a\"b\\c")
        );
    }

    #[test]
    fn garbage_is_none_not_a_panic() {
        for bad in [
            "",
            "=",
            "Bearer error=\"unterminated",
            "\"",
            "Bearer ,,, =x",
            "Bearer realm=\"a\\",
        ] {
            let _ = BearerChallenge::parse(bad);
        }
        assert!(BearerChallenge::parse("Bearer error=\"unterminated").is_none());
    }
}
