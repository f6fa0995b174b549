//! Scopes (RFC 6749 §3.3): [`Scope`], one scope-token, and [`ScopeSet`], the
//! space-delimited, order-insensitive set a request names or a token carries.
//!
//! Every named scope is also a zero-sized type ([`DiscoveryRead`],
//! [`ServiceProfileWrite`], ...) implementing [`ScopeType`]. The enum, its
//! wire strings and the types come from one table, so they cannot drift;
//! [`custom_scope!`](crate::custom_scope) declares more in one line. Scope
//! types are what [`Requirement`](crate::Requirement)s and
//! [`Grant`](crate::Grant)s are made of.

mod types;

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub(crate) use types::scope_of_wire;
pub use types::{ImpliedBy, Implies, ScopeType, is_scope_token};

/// The named scopes and their wire strings, defined once: the macro writes
/// the [`Scope`] enum, both directions of the mapping as `match`es (scopes
/// are parsed and compared on every token response), each scope's bit in a
/// [`ScopeSet`]'s bitset, and one [`ScopeType`] per scope with its declared
/// implications.
macro_rules! named_scopes {
    (
        $(#[$enum_meta:meta])*
        pub enum Scope {
            $(
                $variant:ident => $wire:literal
                    $(, implied by [$($implier:ident),+ $(,)?])?
            ;)*
        }
    ) => {
        $(#[$enum_meta])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Scope {
            $(
                #[doc = concat!("`", $wire, "`")]
                $variant,
            )*
            /// Any other valid scope-token.
            Custom(CustomScope),
        }

        /// A named scope's position in the table: its bit in a
        /// [`ScopeSet`]'s bitset.
        #[derive(Clone, Copy)]
        enum NamedIndex {
            $($variant,)*
        }

        impl Scope {
            /// Every named scope, in declaration order.
            pub const NAMED: [Scope; [$($wire),*].len()] = [$(Scope::$variant),*];

            /// The named wire strings, in declaration order.
            const NAMED_WIRES: [&'static str; [$($wire),*].len()] = [$($wire),*];

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

            /// This scope's bit in a [`ScopeSet`]'s bitset; 0 for a
            /// custom scope.
            fn named_bit(&self) -> u64 {
                match self {
                    $(Self::$variant => 1 << (NamedIndex::$variant as u32),)*
                    Self::Custom(_) => 0,
                }
            }
        }

        $(
            $crate::custom_scope! {
                #[doc = concat!("The scope `", $wire, "` as a type ([`Scope::", stringify!($variant), "`]).")]
                pub $variant = $wire $(, implied by [$($implier),+])?;
            }
        )*

        /// The implications declared in the named table.
        pub(crate) fn named_implications(edges: &mut Vec<(Scope, Scope)>) {
            $(
                <$variant as $crate::requirement::sealed::Check>::push_implications(edges);
            )*
        }
    };
}

named_scopes! {
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
    pub enum Scope {
        DiscoveryRead => "discovery:read";
        ServiceProfileRead => "serviceprofile:read";
        ServiceProfileWrite => "serviceprofile:write";
        ServiceRegistryRead => "serviceregistry:read";
        ServiceRegistryWrite => "serviceregistry:write";
        TsMecFullAccess => "ts.mec.fullaccess";
        TsMecLimitAccess => "ts.mec.limitaccess";
        TsApplicationRo => "ts.application.ro";
        // The original SDK documents `write` as "read/write access": the
        // one implication it declares. No other is inferred from names.
        Read => "read", implied by [Write];
        Write => "write";
    }
}

// A `ScopeSet` keeps the named scopes as bits of a `u64`.
const _: () = assert!(Scope::NAMED_WIRES.len() <= 64);

/// The bit of the named scope whose wire string is `wire`, at compile time
/// (what a [`ScopeType`]'s requirement is checked with).
pub(crate) const fn named_bit_of(wire: &str) -> u64 {
    let mut i = 0;
    while i < Scope::NAMED_WIRES.len() {
        if str_eq(Scope::NAMED_WIRES[i], wire) {
            return 1 << i;
        }
        i += 1;
    }
    0
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
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
    u8::try_from(c).is_ok_and(is_nqchar_byte)
}

/// [`is_nqchar`] for one byte, usable at compile time.
const fn is_nqchar_byte(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E)
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
        let s = <Cow<'de, str>>::deserialize(deserializer)?;
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
// `named` is the bitset of the named scopes in the list, kept with it so a
// grant check is a mask test (it is a function of the list, so the derived
// comparisons stay consistent).
pub struct ScopeSet {
    scopes: Vec<Scope>,
    named: u64,
}

impl ScopeSet {
    fn from_unsorted(mut scopes: Vec<Scope>) -> Self {
        scopes.sort_unstable();
        scopes.dedup();
        let named = scopes
            .iter()
            .fold(0, |bits, scope| bits | scope.named_bit());
        Self { scopes, named }
    }

    /// The bitset of the named scopes in the set.
    pub(crate) fn named_bits(&self) -> u64 {
        self.named
    }

    /// True when the set holds the *custom* scope whose wire string is
    /// `wire` (named scopes are tested as bits).
    pub(crate) fn contains_custom(&self, wire: &str) -> bool {
        // A token carries a handful of scopes: a scan whose comparisons
        // mostly stop at the length beats a binary search of orderings.
        self.scopes
            .iter()
            .any(|scope| matches!(scope, Scope::Custom(custom) if custom.as_str() == wire))
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

    /// Checks the strict RFC 6749 §3.3 form without building the set (no
    /// allocation): `Ok` exactly when [`ScopeSet::parse`] is, with the same
    /// error otherwise. For a caller that only needs the verdict.
    ///
    /// ```
    /// use auth_core::{ScopeError, ScopeSet};
    /// assert_eq!(ScopeSet::check("read write"), Ok(()));
    /// assert_eq!(ScopeSet::check("read  write"), Err(ScopeError::Empty));
    /// ```
    pub fn check(list: &str) -> Result<(), ScopeError> {
        if list.is_empty() {
            return Ok(());
        }
        let mut offset = 0;
        for token in list.split(' ') {
            validate(token, offset)?;
            offset += token.len() + 1;
        }
        Ok(())
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
        match self.scopes.binary_search(&scope) {
            Ok(_) => false,
            Err(at) => {
                self.named |= scope.named_bit();
                self.scopes.insert(at, scope);
                true
            }
        }
    }

    /// True when the scope is in the set.
    #[must_use]
    pub fn contains(&self, scope: &Scope) -> bool {
        self.scopes.binary_search(scope).is_ok()
    }

    /// True when every scope of `other` is in this set.
    #[must_use]
    pub fn is_superset(&self, other: &ScopeSet) -> bool {
        other.iter().all(|scope| self.contains(scope))
    }

    /// True when every scope of this set is in `other`.
    #[must_use]
    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        other.is_superset(self)
    }

    /// The scopes in either set: what to request for several
    /// [`Requirement`](crate::Requirement)s at once.
    ///
    /// ```
    /// # fn main() -> Result<(), auth_core::ScopeError> {
    /// use auth_core::ScopeSet;
    /// let a: ScopeSet = "read discovery:read".parse()?;
    /// assert_eq!(a.union(&"write read".parse()?).to_string(), "discovery:read read write");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn union(&self, other: &ScopeSet) -> ScopeSet {
        let mut union = self.clone();
        union.extend(other.iter().cloned());
        union
    }

    /// Number of scopes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.scopes.len()
    }

    /// True for the empty set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.scopes.is_empty()
    }

    /// The scopes in wire-string order.
    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.scopes.iter()
    }

    /// The space-delimited wire form, what `Display` prints: borrowed when
    /// the set has at most one scope, else written into one buffer of the
    /// right size (no formatting machinery; a token answer echoes it).
    ///
    /// ```
    /// # fn main() -> Result<(), auth_core::ScopeError> {
    /// use std::borrow::Cow;
    /// use auth_core::ScopeSet;
    /// assert!(matches!(ScopeSet::parse("read")?.to_wire(), Cow::Borrowed("read")));
    /// assert_eq!(ScopeSet::parse("write read")?.to_wire(), "read write");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn to_wire(&self) -> Cow<'_, str> {
        match self.scopes.as_slice() {
            [] => Cow::Borrowed(""),
            [one] => Cow::Borrowed(one.as_str()),
            [first, rest @ ..] => {
                let len = rest.iter().map(|s| s.as_str().len() + 1).sum::<usize>();
                let mut text = String::with_capacity(first.as_str().len() + len);
                text.push_str(first.as_str());
                for scope in rest {
                    text.push(' ');
                    text.push_str(scope.as_str());
                }
                Cow::Owned(text)
            }
        }
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
        for (i, scope) in self.scopes.iter().enumerate() {
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
        self.scopes.extend(iter);
        self.scopes.sort_unstable();
        self.scopes.dedup();
        self.named = self
            .scopes
            .iter()
            .fold(0, |bits, scope| bits | scope.named_bit());
    }
}

impl IntoIterator for ScopeSet {
    type Item = Scope;
    type IntoIter = std::vec::IntoIter<Scope>;
    fn into_iter(self) -> Self::IntoIter {
        self.scopes.into_iter()
    }
}

impl<'a> IntoIterator for &'a ScopeSet {
    type Item = &'a Scope;
    type IntoIter = std::slice::Iter<'a, Scope>;
    fn into_iter(self) -> Self::IntoIter {
        self.scopes.iter()
    }
}

impl Serialize for ScopeSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ScopeSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <Cow<'de, str>>::deserialize(deserializer)?;
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
    fn the_bitset_follows_the_list_however_the_set_is_built() {
        let parsed: ScopeSet = "write orders:read read".parse().unwrap();
        assert_eq!(
            parsed.named_bits(),
            Scope::Read.named_bit() | Scope::Write.named_bit()
        );
        let mut built = ScopeSet::new();
        assert_eq!(built.named_bits(), 0);
        built.insert(Scope::Write);
        built.extend([Scope::new("orders:read").unwrap(), Scope::Read]);
        assert_eq!(built, parsed);
        assert!(built.contains_custom("orders:read") && !built.contains_custom("orders"));
        // Named scopes are bits, not custom scopes.
        assert!(!built.contains_custom("read"));
    }

    #[test]
    fn named_bits_are_distinct_and_found_at_compile_time() {
        let mut seen = 0u64;
        for scope in Scope::NAMED {
            let bit = scope.named_bit();
            assert_eq!(bit.count_ones(), 1);
            assert_eq!(seen & bit, 0);
            assert_eq!(named_bit_of(scope.as_str()), bit);
            seen |= bit;
        }
        assert_eq!(named_bit_of("orders:read"), 0);
        assert_eq!(named_bit_of("rea"), 0);
        assert_eq!(Scope::new("orders:read").unwrap().named_bit(), 0);
    }

    #[test]
    fn the_const_scope_token_check_agrees_with_the_parser() {
        for token in [
            "read", "a", "!#[]~", "a b", "a\"b", "a\\b", "", "é", "a\tb", "a\u{7f}",
        ] {
            assert_eq!(
                is_scope_token(token),
                Scope::new(token).is_ok(),
                "{token:?}"
            );
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
