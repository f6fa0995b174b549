//! Scopes (RFC 6749 §3.3): [`Scope`], one scope-token, and [`ScopeSet`], the
//! space-delimited, order-insensitive set a request names or a token carries.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One scope-token (RFC 6749 §3.3, Appendix A.4: `1*NQCHAR`).
///
/// The named variants are the scopes this project's users meet every day;
/// anything else is a [`Scope::Custom`], validated once when it is made.
/// Parsing a named wire string always gives the named variant, so two equal
/// scopes have one representation.
///
/// ```
/// # fn main() -> Result<(), auth_core::ScopeError> {
/// use auth_core::Scope;
/// assert_eq!("ts.mec.fullaccess".parse::<Scope>()?, Scope::TsMecFullAccess);
/// let custom: Scope = "urn:example:read".parse()?;
/// assert_eq!(custom.as_str(), "urn:example:read");
/// assert!("two words".parse::<Scope>().is_err());
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scope {
    /// `discovery:read`
    DiscoveryRead,
    /// `serviceprofile:read`
    ServiceProfileRead,
    /// `serviceprofile:write`
    ServiceProfileWrite,
    /// `serviceregistry:read`
    ServiceRegistryRead,
    /// `serviceregistry:write`
    ServiceRegistryWrite,
    /// `ts.mec.fullaccess`
    TsMecFullAccess,
    /// `ts.mec.limitaccess`
    TsMecLimitAccess,
    /// `ts.application.ro`
    TsApplicationRo,
    /// `read`
    Read,
    /// `write`
    Write,
    /// Any other valid scope-token.
    Custom(CustomScope),
}

/// A validated scope-token that is not one of the named [`Scope`]s. Only
/// this crate constructs it, so holding one proves it is valid.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomScope(Box<str>);

impl CustomScope {
    /// The scope-token.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CustomScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// The named scopes and their wire strings, defined once: the macro writes
/// the list, both directions of the mapping as `match`es (scopes are parsed
/// and compared on every token response).
macro_rules! named_scopes {
    ($($variant:ident => $wire:literal),* $(,)?) => {
        impl Scope {
            /// Every named scope, in declaration order.
            pub const NAMED: [Scope; [$($wire),*].len()] = [$(Scope::$variant),*];

            fn named_wire(&self) -> Option<&'static str> {
                match self {
                    $(Self::$variant => Some($wire),)*
                    Self::Custom(_) => None,
                }
            }

            fn from_named_wire(token: &str) -> Option<Self> {
                match token {
                    $($wire => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

named_scopes! {
    DiscoveryRead => "discovery:read",
    ServiceProfileRead => "serviceprofile:read",
    ServiceProfileWrite => "serviceprofile:write",
    ServiceRegistryRead => "serviceregistry:read",
    ServiceRegistryWrite => "serviceregistry:write",
    TsMecFullAccess => "ts.mec.fullaccess",
    TsMecLimitAccess => "ts.mec.limitaccess",
    TsApplicationRo => "ts.application.ro",
    Read => "read",
    Write => "write",
}

/// Why a string is not a scope-token or a scope list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    /// An empty scope-token (also: two spaces in a row, or a leading or
    /// trailing space in a list).
    #[error("empty scope token")]
    Empty,
    /// A character outside NQCHAR (`%x21 / %x23-5B / %x5D-7E`).
    #[error("invalid character {character:?} at byte {offset} of a scope token")]
    InvalidCharacter {
        /// The offending character.
        character: char,
        /// Its byte offset in the input.
        offset: usize,
    },
}

/// RFC 6749 Appendix A.4: NQCHAR = %x21 / %x23-5B / %x5D-7E.
fn is_nqchar(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

fn validate(token: &str, base: usize) -> Result<(), ScopeError> {
    if token.is_empty() {
        return Err(ScopeError::Empty);
    }
    match token.char_indices().find(|&(_, c)| !is_nqchar(c)) {
        Some((offset, character)) => Err(ScopeError::InvalidCharacter {
            character,
            offset: base + offset,
        }),
        None => Ok(()),
    }
}

impl Scope {
    /// Parses one scope-token; same as `str::parse`.
    pub fn new(token: &str) -> Result<Self, ScopeError> {
        Self::parse_at(token, 0)
    }

    fn parse_at(token: &str, base: usize) -> Result<Self, ScopeError> {
        if let Some(named) = Self::from_named_wire(token) {
            return Ok(named);
        }
        validate(token, base)?;
        Ok(Self::Custom(CustomScope(token.into())))
    }

    /// The wire string.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Custom(custom) => custom.as_str(),
            named => named.named_wire().unwrap_or_default(),
        }
    }
}

impl FromStr for Scope {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Custom(custom) => write!(f, "Custom({custom:?})"),
            named => write!(f, "{named}"),
        }
    }
}

/// Scopes sort by wire string, so a set prints the same whatever the order
/// it was built in (RFC 6749 §3.3: order does not matter).
impl Ord for Scope {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Scope {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::new(&s).map_err(serde::de::Error::custom)
    }
}

/// A set of scopes: deduplicated, ordered by wire string, printed and parsed
/// as the RFC 6749 §3.3 space-delimited list, serialized as that string.
///
/// ```
/// # fn main() -> Result<(), auth_core::ScopeError> {
/// use auth_core::{Scope, ScopeSet};
/// let set: ScopeSet = "write read read".parse()?;
/// assert_eq!(set.to_string(), "read write");
/// assert_eq!(set, ScopeSet::from_iter([Scope::Read, Scope::Write]));
/// assert!(set.contains(&Scope::Write));
/// # Ok(()) }
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
// Sorted and deduplicated: a handful of scopes fit one small allocation,
// and the derived comparisons then ignore the order they were given in.
pub struct ScopeSet(Vec<Scope>);

impl ScopeSet {
    fn from_unsorted(mut scopes: Vec<Scope>) -> Self {
        scopes.sort_unstable();
        scopes.dedup();
        Self(scopes)
    }

    /// The empty set.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses the strict RFC 6749 §3.3 form: tokens separated by exactly one
    /// space. The empty string is the empty set (§3.2: a parameter without a
    /// value is treated as omitted).
    pub fn parse(list: &str) -> Result<Self, ScopeError> {
        if list.is_empty() {
            return Ok(Self::new());
        }
        let mut scopes = Vec::with_capacity(list.len() / 8 + 1);
        let mut offset = 0;
        for token in list.split(' ') {
            scopes.push(Scope::parse_at(token, offset)?);
            offset += token.len() + 1;
        }
        Ok(Self::from_unsorted(scopes))
    }

    /// Parses leniently: any run of ASCII whitespace separates tokens. For
    /// provider answers, which are not always tidy.
    pub fn parse_lenient(list: &str) -> Result<Self, ScopeError> {
        list.split_ascii_whitespace()
            .map(Scope::new)
            .collect::<Result<Vec<_>, _>>()
            .map(Self::from_unsorted)
    }

    /// Adds a scope; false when it was already there.
    pub fn insert(&mut self, scope: Scope) -> bool {
        match self.0.binary_search(&scope) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, scope);
                true
            }
        }
    }

    /// True when the scope is in the set.
    #[must_use]
    pub fn contains(&self, scope: &Scope) -> bool {
        self.0.binary_search(scope).is_ok()
    }

    /// True when every scope of `other` is in this set.
    #[must_use]
    pub fn is_superset(&self, other: &ScopeSet) -> bool {
        other.iter().all(|scope| self.contains(scope))
    }

    /// Number of scopes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for the empty set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes in wire-string order.
    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }
}

impl FromStr for ScopeSet {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScopeSet({:?})", self.to_string())
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Self::from_unsorted(iter.into_iter().collect())
    }
}

impl Extend<Scope> for ScopeSet {
    fn extend<I: IntoIterator<Item = Scope>>(&mut self, iter: I) {
        self.0.extend(iter);
        self.0.sort_unstable();
        self.0.dedup();
    }
}

impl IntoIterator for ScopeSet {
    type Item = Scope;
    type IntoIter = std::vec::IntoIter<Scope>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a ScopeSet {
    type Item = &'a Scope;
    type IntoIter = std::slice::Iter<'a, Scope>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl Serialize for ScopeSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ScopeSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_scopes_have_their_exact_wire_strings() {
        let wire: Vec<&str> = Scope::NAMED.iter().map(Scope::as_str).collect();
        assert_eq!(
            wire,
            [
                "discovery:read",
                "serviceprofile:read",
                "serviceprofile:write",
                "serviceregistry:read",
                "serviceregistry:write",
                "ts.mec.fullaccess",
                "ts.mec.limitaccess",
                "ts.application.ro",
                "read",
                "write"
            ]
        );
        for scope in Scope::NAMED {
            assert_eq!(Scope::new(scope.as_str()).unwrap(), scope);
        }
    }

    #[test]
    fn invalid_scope_tokens_are_rejected_c20() {
        for bad in ["a b", "a\"b", "a\\b", "", "é", "a\tb", "a\u{7f}"] {
            assert!(Scope::new(bad).is_err(), "{bad:?} must be rejected");
        }
        assert_eq!(
            Scope::new("ok\"no"),
            Err(ScopeError::InvalidCharacter {
                character: '"',
                offset: 2
            })
        );
    }

    #[test]
    fn every_nqchar_is_accepted() {
        let all: String = (0x21u8..=0x7e)
            .filter(|b| *b != b'"' && *b != b'\\')
            .map(char::from)
            .collect();
        assert_eq!(Scope::new(&all).unwrap().as_str(), all);
    }

    #[test]
    fn strict_list_needs_single_spaces_s32() {
        assert_eq!(ScopeSet::parse("read  write"), Err(ScopeError::Empty));
        assert_eq!(ScopeSet::parse(" read"), Err(ScopeError::Empty));
        assert_eq!(
            ScopeSet::parse("read\twrite").unwrap_err(),
            ScopeError::InvalidCharacter {
                character: '\t',
                offset: 4
            }
        );
        assert_eq!(
            ScopeSet::parse_lenient(" read \t write ")
                .unwrap()
                .to_string(),
            "read write"
        );
    }

    #[test]
    fn empty_list_is_empty_set_rfc6749_3_2() {
        assert!(ScopeSet::parse("").unwrap().is_empty());
    }

    #[test]
    fn sets_are_order_insensitive_and_deduplicated_c23() {
        let a: ScopeSet = "write read read".parse().unwrap();
        let b: ScopeSet = [Scope::Read, Scope::Write].into_iter().collect();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "read write");
    }

    #[test]
    fn set_serializes_as_the_space_delimited_string() {
        let set: ScopeSet = "ts.mec.fullaccess discovery:read".parse().unwrap();
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, r#""discovery:read ts.mec.fullaccess""#);
        assert_eq!(serde_json::from_str::<ScopeSet>(&json).unwrap(), set);
        assert!(serde_json::from_str::<ScopeSet>(r#""a  b""#).is_err());
    }
}
