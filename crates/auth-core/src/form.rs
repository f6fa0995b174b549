//! `application/x-www-form-urlencoded` (RFC 6749 Appendix B): the one place
//! that turns strings into form bytes and back.
//!
//! Encoding writes a space as `%20` (not `+`) and leaves the RFC 3986
//! unreserved characters `A-Z a-z 0-9 - . _ ~` as they are; everything else
//! is the percent-encoded UTF-8. Both space forms are valid form encodings,
//! and `%20` also survives servers that percent-decode without mapping `+` to
//! a space. Decoding is strict: `+` is a space, `%XX` must be two hex digits,
//! and the result must be UTF-8, or the input is rejected with a [`FormError`].

use std::borrow::Cow;
use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but the RFC 3986 unreserved characters is percent-encoded.
const FORM_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Media type of a form body (RFC 6749 §4.4.2, Appendix B).
pub const CONTENT_TYPE_FORM: &str = "application/x-www-form-urlencoded";

/// Encodes one name or value as RFC 6749 Appendix B requires.
///
/// ```
/// assert_eq!(auth_core::form::encode_component("a b+c/d%e~é"), "a%20b%2Bc%2Fd%25e~%C3%A9");
/// ```
#[must_use]
pub fn encode_component(value: &str) -> String {
    utf8_percent_encode(value, FORM_COMPONENT).to_string()
}

/// True when `value` could be the output of a form encoder: only RFC 3986
/// unreserved characters, `*`, `+` and `%XX` (RFC 6749 Appendix B). A raw
/// space, `/`, `:` or non-ASCII byte means the encoding step was skipped —
/// how a provider tells a client that sent unencoded Basic credentials.
///
/// ```
/// assert!(auth_core::form::is_encoded_component("a+b%2Bc~"));
/// assert!(!auth_core::form::is_encoded_component("a b"));
/// assert!(!auth_core::form::is_encoded_component("pässwörd"));
/// assert!(!auth_core::form::is_encoded_component("%ZZ"));
/// ```
#[must_use]
pub fn is_encoded_component(value: &str) -> bool {
    let bytes = value.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            if !bytes
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
            {
                return false;
            }
            i += 3;
            continue;
        }
        if !(b.is_ascii_alphanumeric() || b"-._~*+".contains(&b)) {
            return false;
        }
        i += 1;
    }
    true
}

/// Builds a form body pair by pair.
///
/// ```
/// let mut form = auth_core::form::FormBuilder::new();
/// form.append("grant_type", "client_credentials").append("scope", "read write");
/// assert_eq!(form.finish(), "grant_type=client_credentials&scope=read%20write");
/// ```
#[derive(Debug, Default, Clone)]
pub struct FormBuilder {
    body: String,
}

impl FormBuilder {
    /// An empty form.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `name=value`, both encoded.
    pub fn append(&mut self, name: &str, value: &str) -> &mut Self {
        if !self.body.is_empty() {
            self.body.push('&');
        }
        self.body.extend(utf8_percent_encode(name, FORM_COMPONENT));
        self.body.push('=');
        self.body.extend(utf8_percent_encode(value, FORM_COMPONENT));
        self
    }

    /// The encoded body.
    #[must_use]
    pub fn finish(self) -> String {
        self.body
    }
}

/// Why form bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormError {
    /// A `%` not followed by two hex digits.
    #[error("invalid percent-encoding at byte {offset}")]
    InvalidPercentEncoding {
        /// Byte offset of the `%` in the encoded input.
        offset: usize,
    },
    /// The decoded bytes are not UTF-8.
    #[error("decoded form value is not valid UTF-8")]
    InvalidUtf8,
    /// The body has more pairs than the caller allows.
    #[error("form has more than {limit} parameters")]
    TooManyPairs {
        /// The limit that was exceeded.
        limit: usize,
    },
}

/// Decodes one encoded component strictly (`+` is a space).
///
/// ```
/// # fn main() -> Result<(), auth_core::form::FormError> {
/// assert_eq!(auth_core::form::decode_component(b"a+b%2Bc")?, "a b+c");
/// assert!(auth_core::form::decode_component(b"%ZZ").is_err());
/// # Ok(()) }
/// ```
pub fn decode_component(encoded: &[u8]) -> Result<String, FormError> {
    decode_borrowed(encoded).map(Cow::into_owned)
}

/// Decodes one component, borrowing it when there is nothing to decode (the
/// usual `client_credentials`, `read`, client ids and secrets): no copy.
pub(crate) fn decode_borrowed(encoded: &[u8]) -> Result<Cow<'_, str>, FormError> {
    if !scan(encoded, 0)?.escaped {
        return std::str::from_utf8(encoded)
            .map(Cow::Borrowed)
            .map_err(|_| FormError::InvalidUtf8);
    }
    let mut bytes = Vec::with_capacity(encoded.len());
    unescape_into(encoded, &mut bytes);
    String::from_utf8(bytes)
        .map(Cow::Owned)
        .map_err(|_| FormError::InvalidUtf8)
}

/// The bytes [`scan`] has to look at closely: `%`, `+` and non-ASCII.
const SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0x80;
    while b < 256 {
        table[b] = true;
        b += 1;
    }
    table[b'%' as usize] = true;
    table[b'+' as usize] = true;
    table
};

/// What one pass over an encoded component found.
struct Scanned {
    /// It has a `%XX` or a `+` to decode.
    escaped: bool,
    /// Its decoded bytes are all ASCII (so UTF-8 whatever comes next to them).
    ascii: bool,
}

/// Checks that every `%` has two hex digits after it, in one pass that also
/// tells whether there is anything to decode and whether the result is
/// ASCII. `base` is the component's offset in the whole input, for the error.
fn scan(encoded: &[u8], base: usize) -> Result<Scanned, FormError> {
    // The usual component is plain ASCII: one branch-free pass says so.
    if !encoded
        .iter()
        .fold(false, |special, &b| special | SPECIAL[usize::from(b)])
    {
        return Ok(Scanned {
            escaped: false,
            ascii: true,
        });
    }
    let mut found = Scanned {
        escaped: false,
        ascii: true,
    };
    let mut i = 0;
    while let Some(&b) = encoded.get(i) {
        match b {
            b'%' => {
                let Some(&[high, low]) = encoded.get(i + 1..i + 3) else {
                    return Err(FormError::InvalidPercentEncoding { offset: base + i });
                };
                if !(high.is_ascii_hexdigit() && low.is_ascii_hexdigit()) {
                    return Err(FormError::InvalidPercentEncoding { offset: base + i });
                }
                found.escaped = true;
                found.ascii &= hex_value(high) < 8;
                i += 3;
            }
            b'+' => {
                found.escaped = true;
                i += 1;
            }
            _ => {
                found.ascii &= b.is_ascii();
                i += 1;
            }
        }
    }
    Ok(found)
}

/// Appends the decoded bytes of a component whose escapes were checked: a
/// raw `+` is a space; an encoded one (`%2B`) stays a `+`.
fn unescape_into(encoded: &[u8], out: &mut Vec<u8>) {
    let mut rest = encoded;
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        match b {
            b'+' => out.push(b' '),
            // Every `%` was checked: two hex digits follow.
            b'%' => {
                if let [high, low, tail @ ..] = rest {
                    out.push((hex_value(*high) << 4) | hex_value(*low));
                    rest = tail;
                }
            }
            _ => out.push(b),
        }
    }
}

/// Appends one decoded component to `out`; checks its escapes and that it
/// alone is UTF-8 (a character split across two components is an error).
/// An ASCII component needs no UTF-8 check of its own.
fn decode_into(encoded: &[u8], base: usize, out: &mut Vec<u8>) -> Result<(), FormError> {
    let scanned = scan(encoded, base)?;
    let start = out.len();
    if scanned.escaped {
        unescape_into(encoded, out);
    } else {
        out.extend_from_slice(encoded);
    }
    if !scanned.ascii {
        std::str::from_utf8(&out[start..]).map_err(|_| FormError::InvalidUtf8)?;
    }
    Ok(())
}

/// The value of one hex digit (checked by the caller; anything else is 0).
fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        b'A'..=b'F' => digit - b'A' + 10,
        _ => 0,
    }
}

/// Where one pair is in a [`Form`]'s text: the name is `start..name`, the
/// value `name..value`.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Ends {
    start: usize,
    name: usize,
    value: usize,
}

/// A decoded form: the pairs in the order they were sent, repeats kept, so
/// callers can enforce RFC 6749 §3.2 ("MUST NOT be included more than once").
///
/// Two allocations whatever the number of pairs: the decoded names and
/// values back to back in one buffer, and where each ends (issue 17).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Form {
    text: String,
    ends: Vec<Ends>,
}

impl Form {
    /// Decodes a whole body strictly. Empty segments (`a=1&&b=2`) are skipped,
    /// a segment without `=` is a name with an empty value.
    ///
    /// ```
    /// # fn main() -> Result<(), auth_core::form::FormError> {
    /// let form = auth_core::form::Form::parse(b"grant_type=client_credentials&scope=read+write", 64)?;
    /// assert_eq!(form.get("scope"), Some("read write"));
    /// # Ok(()) }
    /// ```
    pub fn parse(body: &[u8], max_pairs: usize) -> Result<Self, FormError> {
        // Decoding never makes a component longer: the body's length is
        // enough for every name and value. One entry per `&`-separated
        // segment at the most.
        let segments = 1 + body.iter().fold(0, |n, &b| n + usize::from(b == b'&'));
        let mut ends = Vec::with_capacity(segments.min(max_pairs));
        let mut text = Vec::with_capacity(body.len());
        let mut offset = 0;
        for segment in body.split(|&b| b == b'&') {
            let start = offset;
            offset += segment.len() + 1;
            if segment.is_empty() {
                continue;
            }
            if ends.len() == max_pairs {
                return Err(FormError::TooManyPairs { limit: max_pairs });
            }
            let (name, value, value_start) = match segment.iter().position(|&b| b == b'=') {
                Some(eq) => (&segment[..eq], &segment[eq + 1..], start + eq + 1),
                None => (segment, &b""[..], start + segment.len()),
            };
            let name_start = text.len();
            decode_into(name, start, &mut text)?;
            let name = text.len();
            decode_into(value, value_start, &mut text)?;
            ends.push(Ends {
                start: name_start,
                name,
                value: text.len(),
            });
        }
        // Each component was checked on its own; so is their concatenation.
        let text = String::from_utf8(text).map_err(|_| FormError::InvalidUtf8)?;
        Ok(Self { text, ends })
    }

    /// All pairs in order, as `(name, value)`.
    #[must_use]
    pub fn pairs(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.ends
            .iter()
            .map(|ends| (self.name_of(ends), self.value_of(ends)))
    }

    fn name_of(&self, ends: &Ends) -> &str {
        self.text.get(ends.start..ends.name).unwrap_or_default()
    }

    fn value_of(&self, ends: &Ends) -> &str {
        self.text.get(ends.name..ends.value).unwrap_or_default()
    }

    /// The pairs named `name`: the names are compared as bytes, and only a
    /// match's value is sliced (callers look up a handful of names per
    /// request, issue 17).
    fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Ends> + 'a {
        let text = self.text.as_bytes();
        self.ends
            .iter()
            .filter(move |ends| text.get(ends.start..ends.name) == Some(name.as_bytes()))
    }

    /// How many pairs there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are no pairs.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The first value of `name` (names are case-sensitive, RFC 6749 §1.9).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.named(name).next().map(|ends| self.value_of(ends))
    }

    /// How many times `name` occurs.
    #[must_use]
    pub fn count(&self, name: &str) -> usize {
        self.named(name).count()
    }

    /// All values of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.named(name).map(|ends| self.value_of(ends))
    }

    /// The first name that occurs more than once, other than those in `allowed`.
    #[must_use]
    pub fn first_repeated(&self, allowed: &[&str]) -> Option<&str> {
        let text = self.text.as_bytes();
        let name_bytes = |ends: &Ends| text.get(ends.start..ends.name);
        self.ends.iter().enumerate().find_map(|(i, ends)| {
            let name = name_bytes(ends);
            let repeated = self.ends[..i]
                .iter()
                .any(|before| name_bytes(before) == name)
                && !allowed.iter().any(|a| Some(a.as_bytes()) == name);
            repeated.then(|| self.name_of(ends))
        })
    }
}

/// A form of already decoded pairs (what [`Form::parse`] gives for their
/// encoding).
///
/// ```
/// let form: auth_core::form::Form = [("scope", "read write")].into_iter().collect();
/// assert_eq!(form.get("scope"), Some("read write"));
/// ```
impl<'a> FromIterator<(&'a str, &'a str)> for Form {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a str)>>(pairs: I) -> Self {
        let mut form = Self::default();
        for (name, value) in pairs {
            let start = form.text.len();
            form.text.push_str(name);
            let name = form.text.len();
            form.text.push_str(value);
            form.ends.push(Ends {
                start,
                name,
                value: form.text.len(),
            });
        }
        form
    }
}

/// Values can be secrets (`client_secret`), so only names are printed.
impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Form")
            .field("names", &self.pairs().map(|(n, _)| n).collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appendix_b_vector_decodes_rfc6749() {
        // RFC 6749 Appendix B: " %&+£€" <-> "+%25%26%2B%C2%A3%E2%82%AC"
        assert_eq!(
            decode_component(b"+%25%26%2B%C2%A3%E2%82%AC").unwrap(),
            " %&+£€"
        );
    }

    #[test]
    fn appendix_b_vector_encodes_with_percent20_for_space() {
        assert_eq!(encode_component(" %&+£€"), "%20%25%26%2B%C2%A3%E2%82%AC");
    }

    #[test]
    fn unreserved_characters_are_left_as_they_are() {
        let unreserved = "ABCXYZabcxyz0189-._~";
        assert_eq!(encode_component(unreserved), unreserved);
        assert_eq!(encode_component("*!'()"), "%2A%21%27%28%29");
    }

    #[test]
    fn broken_escapes_are_rejected_with_their_offset() {
        assert_eq!(
            Form::parse(b"a=1&scope=%ZZ", 8),
            Err(FormError::InvalidPercentEncoding { offset: 10 })
        );
        assert_eq!(
            decode_component(b"abc%4"),
            Err(FormError::InvalidPercentEncoding { offset: 3 })
        );
        assert_eq!(
            decode_component(b"%"),
            Err(FormError::InvalidPercentEncoding { offset: 0 })
        );
    }

    #[test]
    fn invalid_utf8_after_decoding_is_rejected() {
        assert_eq!(decode_component(b"%FF%FE"), Err(FormError::InvalidUtf8));
        assert_eq!(decode_component(b"\xff"), Err(FormError::InvalidUtf8));
    }

    #[test]
    fn repeats_are_kept_and_found_rfc6749_3_2() {
        let form = Form::parse(b"grant_type=x&resource=a&resource=b&grant_type=x", 8).unwrap();
        assert_eq!(form.count("grant_type"), 2);
        assert_eq!(form.first_repeated(&["resource"]), Some("grant_type"));
        let ok = Form::parse(b"grant_type=x&resource=a&resource=b", 8).unwrap();
        assert_eq!(ok.first_repeated(&["resource"]), None);
        assert_eq!(ok.get_all("resource").collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn names_are_case_sensitive_rfc6749_1_9() {
        let form = Form::parse(b"Grant_Type=client_credentials", 8).unwrap();
        assert_eq!(form.get("grant_type"), None);
    }

    #[test]
    fn pair_limit_is_enforced() {
        assert_eq!(
            Form::parse(b"a&b&c", 2),
            Err(FormError::TooManyPairs { limit: 2 })
        );
        assert_eq!(Form::parse(b"a&&&b", 2).unwrap().len(), 2);
    }

    #[test]
    fn a_character_split_between_name_and_value_is_invalid_utf8() {
        // "é" is %C3%A9: each half alone is not UTF-8, their concatenation
        // in the one text buffer would be.
        assert_eq!(Form::parse(b"%C3=%A9", 8), Err(FormError::InvalidUtf8));
        assert_eq!(Form::parse(b"a=%C3&%A9=b", 8), Err(FormError::InvalidUtf8));
    }

    #[test]
    fn pairs_come_back_in_order_with_empty_values_and_repeats() {
        let form = Form::parse(b"a=1&&b&a=%20+&c=", 8).unwrap();
        assert_eq!(
            form.pairs().collect::<Vec<_>>(),
            [("a", "1"), ("b", ""), ("a", "  "), ("c", "")]
        );
        assert_eq!(form.len(), 4);
        let built: Form = form.pairs().collect();
        assert_eq!(built, form);
        assert!(Form::parse(b"", 8).unwrap().is_empty());
    }

    #[test]
    fn debug_never_prints_values() {
        let form = Form::parse(b"client_secret=hunter2", 8).unwrap();
        assert!(!format!("{form:?}").contains("hunter2"));
    }
}
