//! [`ExtraFields`]: the members of a token response this crate does not
//! interpret, kept verbatim (RFC 6749 §5.1: the client MUST ignore
//! unrecognized names; keeping them loses nothing). Also how the extra
//! parameters of a request print: names only.

use std::fmt;
use std::ops::Index;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// Unrecognized members: unique names, sorted, raw JSON values.
///
/// One text and one index, not a map nor a string per member: a token
/// response has a handful of extra members, parsed on every fetch, and this
/// is two allocations whatever their number.
#[derive(Clone, Default)]
pub struct ExtraFields {
    /// Every member's name then its raw JSON value, back to back.
    text: Box<str>,
    /// One per member, sorted by name.
    spans: Box<[Span]>,
}

/// Where a member lies in [`ExtraFields::text`]: its name is
/// `start..name_end`, its raw value `name_end..end`.
#[derive(Clone, Copy)]
struct Span {
    start: usize,
    name_end: usize,
    end: usize,
}

impl ExtraFields {
    /// No members.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps `(name, raw JSON value)` pairs, sorted by name; `Err(name)`
    /// names the first member that repeats. Each value must be one JSON
    /// value as `serde_json`'s `RawValue` holds it.
    pub(crate) fn from_members<'m, I>(members: I) -> Result<Self, Box<str>>
    where
        I: IntoIterator<Item = (&'m str, &'m str)>,
        I::IntoIter: Clone,
    {
        let members = members.into_iter();
        if members.clone().next().is_none() {
            return Ok(Self::default());
        }
        let (count, len) = members.clone().fold((0, 0), |(count, len), (name, value)| {
            (count + 1, len + name.len() + value.len())
        });
        let mut text = String::with_capacity(len);
        let mut spans = Vec::with_capacity(count);
        for (name, value) in members {
            let start = text.len();
            text.push_str(name);
            let name_end = text.len();
            text.push_str(value);
            spans.push(Span {
                start,
                name_end,
                end: text.len(),
            });
        }
        spans.sort_unstable_by(|a, b| text[a.start..a.name_end].cmp(&text[b.start..b.name_end]));
        if let Some(pair) = spans.windows(2).find(|pair| {
            text[pair[0].start..pair[0].name_end] == text[pair[1].start..pair[1].name_end]
        }) {
            return Err(text[pair[0].start..pair[0].name_end].into());
        }
        Ok(Self {
            text: text.into_boxed_str(),
            spans: spans.into_boxed_slice(),
        })
    }

    fn name(&self, span: &Span) -> &str {
        &self.text[span.start..span.name_end]
    }

    fn raw(&self, span: &Span) -> &str {
        &self.text[span.name_end..span.end]
    }

    /// The value as a `RawValue`: a borrowed view, checked again by
    /// `serde_json` (kept values were one JSON value when stored).
    fn value(&self, span: &Span) -> Option<&RawValue> {
        serde_json::from_str(self.raw(span)).ok()
    }

    /// The raw value of `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&RawValue> {
        self.spans
            .binary_search_by(|span| self.name(span).cmp(name))
            .ok()
            .and_then(|i| self.value(&self.spans[i]))
    }

    /// How many members.
    #[must_use]
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The names, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.spans.iter().map(|span| self.name(span))
    }

    /// Names and raw values, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &RawValue)> {
        self.spans
            .iter()
            .filter_map(|span| Some((self.name(span), self.value(span)?)))
    }
}

impl Index<&str> for ExtraFields {
    type Output = RawValue;

    /// # Panics
    /// When there is no member `name`, like `BTreeMap`'s index.
    fn index(&self, name: &str) -> &RawValue {
        match self.get(name) {
            Some(value) => value,
            None => panic!("no extra member named {name:?}"),
        }
    }
}

impl PartialEq for ExtraFields {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .spans
                .iter()
                .zip(other.spans.iter())
                .all(|(a, b)| self.name(a) == other.name(b) && self.raw(a) == other.raw(b))
    }
}

impl Eq for ExtraFields {}

/// Values can be tokens (`id_token`), so only names print.
impl fmt::Debug for ExtraFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.keys()).finish()
    }
}

/// Prints provider-specific request parameters (name, value) as
/// `{"tenant": "[REDACTED]"}`: a value can be a credential of its own
/// (a tenant key, an assertion), so no `Debug` shows one.
pub(crate) struct RedactedParams<'a>(pub(crate) &'a [(String, String)]);

impl fmt::Debug for RedactedParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Redacted;
        impl fmt::Debug for Redacted {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[REDACTED]")
            }
        }
        f.debug_map()
            .entries(self.0.iter().map(|(name, _)| (name, Redacted)))
            .finish()
    }
}

impl Serialize for ExtraFields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (name, value) in self.iter() {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ExtraFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ExtraVisitor;
        impl<'de> Visitor<'de> for ExtraVisitor {
            type Value = ExtraFields;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, Box<RawValue>>()? {
                    members.push((name, value));
                }
                ExtraFields::from_members(members.iter().map(|(n, v)| (n.as_str(), v.get())))
                    .map_err(|_| serde::de::Error::custom("an extra member appears more than once"))
            }
        }
        deserializer.deserialize_map(ExtraVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_sorted_and_found() {
        let extra = ExtraFields::from_members([("b", "2"), ("a", "[1]")]).unwrap();
        assert_eq!(extra.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(extra["a"].get(), "[1]");
        assert!(extra.get("c").is_none());
    }

    #[test]
    fn repeats_are_reported_by_name() {
        let err = ExtraFields::from_members([("x", "1"), ("y", "3"), ("x", "2")]).unwrap_err();
        assert_eq!(&*err, "x");
        assert!(serde_json::from_str::<ExtraFields>(r#"{"x":1,"x":2}"#).is_err());
    }

    #[test]
    fn round_trips_through_json_verbatim() {
        let extra: ExtraFields =
            serde_json::from_str(r#"{"z":{"a":[1,{"b":null}]},"n":1e400}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&extra).unwrap(),
            r#"{"n":1e400,"z":{"a":[1,{"b":null}]}}"#
        );
        assert_eq!(format!("{extra:?}"), r#"["n", "z"]"#);
    }

    #[test]
    fn request_parameter_values_never_print() {
        let params = [("tenant".to_owned(), "tenant-key-123".to_owned())];
        let printed = format!("{:?}", RedactedParams(&params));
        assert_eq!(printed, r#"{"tenant": [REDACTED]}"#);
    }
}
