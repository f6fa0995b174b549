//! Ways a provider's answer departs from the RFC while its meaning stays
//! clear. The lenient parser accepts them and reports them; strict mode
//! turns them into an error.

use std::fmt;

/// One departure from RFC 6749 §5.1 / RFC 8259 in a token response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Deviation {
    /// A 2xx other than 200 (RFC 6749 §5.1 says 200).
    Status(u16),
    /// `Content-Type` is missing or is not `application/json`.
    ContentType,
    /// The body starts with a UTF-8 byte order mark (RFC 8259 §8.1).
    ByteOrderMark,
    /// `expires_in` is a JSON string of digits, not a number (App. A.14).
    ExpiresInString,
    /// `expires_in` has a fraction; it was floored.
    ExpiresInFraction,
    /// `token_type` is absent and Bearer was assumed (an opt-in leniency).
    TokenTypeAssumed,
    /// `scope` is a JSON array, not a space-delimited string.
    ScopeArray,
    /// `scope` separates tokens by something other than single spaces.
    ScopeWhitespace,
}

impl fmt::Display for Deviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status(status) => write!(f, "status {status} instead of 200"),
            Self::ContentType => f.write_str("content type is not application/json"),
            Self::ByteOrderMark => f.write_str("body starts with a byte order mark"),
            Self::ExpiresInString => f.write_str("expires_in is a string"),
            Self::ExpiresInFraction => f.write_str("expires_in has a fraction"),
            Self::TokenTypeAssumed => f.write_str("token_type is missing"),
            Self::ScopeArray => f.write_str("scope is an array"),
            Self::ScopeWhitespace => f.write_str("scope is not separated by single spaces"),
        }
    }
}
