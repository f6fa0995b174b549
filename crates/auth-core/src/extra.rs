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
/// A sorted vector, not a map: a token response has a handful of extra
/// members, parsed on every fetch, and a vector is one allocation.
#[derive(Clone, Default)]
pub struct ExtraFields(Vec<(Box<str>, Box<RawValue>)>);

impl ExtraFields {
    /// No members.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sorts the members; `Err(name)` names the first member that repeats.
    pub(crate) fn from_members(
        mut members: Vec<(Box<str>, Box<RawValue>)>,
    ) -> Result<Self, Box<str>> {
        members.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        if let Some(pair) = members.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(pair[0].0.clone());
        }
        Ok(Self(members))
    }

    /// The raw value of `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&RawValue> {
        self.0
            .binary_search_by(|(n, _)| (**n).cmp(name))
            .ok()
            .map(|i| &*self.0[i].1)
    }

    /// How many members.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(n, _)| &**n)
    }

    /// Names and raw values, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &RawValue)> {
        self.0.iter().map(|(n, v)| (&**n, &**v))
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
                .iter()
                .zip(other.iter())
                .all(|((ka, va), (kb, vb))| ka == kb && va.get() == vb.get())
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
                    members.push((name.into_boxed_str(), value));
                }
                ExtraFields::from_members(members)
                    .map_err(|_| serde::de::Error::custom("an extra member appears more than once"))
            }
        }
        deserializer.deserialize_map(ExtraVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_owned()).unwrap()
    }

    #[test]
    fn members_are_sorted_and_found() {
        let extra =
            ExtraFields::from_members(vec![("b".into(), raw("2")), ("a".into(), raw("[1]"))])
                .unwrap();
        assert_eq!(extra.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(extra["a"].get(), "[1]");
        assert!(extra.get("c").is_none());
    }

    #[test]
    fn repeats_are_reported_by_name() {
        let err = ExtraFields::from_members(vec![("x".into(), raw("1")), ("x".into(), raw("2"))])
            .unwrap_err();
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
