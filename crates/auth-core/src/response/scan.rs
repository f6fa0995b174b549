//! The fast path of reading a token or error object: one forward scan over
//! the bytes for the shape nearly every provider sends (a flat object whose
//! member names and known string values have no escapes), with no serde
//! machinery for the members this crate interprets.
//!
//! It never decides anything on its own: on the first byte it does not
//! expect (an escape, a `null` or a number where a string goes, a repeated
//! known member, an `error` member, a syntax error, ...) it gives up, and
//! the serde reader, the reference, reads the body from the start. So a
//! body it accepts yields exactly the [`Members`] the serde reader would.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Members, ScopeValue, Text};
use crate::token::b64token_len;
#[cfg(test)]
use crate::token::is_b64token;

/// JSON's insignificant whitespace (RFC 8259 §2).
fn is_json_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// A known member's bit, for spotting repeats.
const ACCESS_TOKEN: u8 = 1;
const TOKEN_TYPE: u8 = 1 << 1;
const REFRESH_TOKEN: u8 = 1 << 2;
const EXPIRES_IN: u8 = 1 << 3;
const SCOPE: u8 = 1 << 4;

/// Fewer opening brackets than this cannot nest as deep as `serde_json`'s
/// recursion limit.
const NEAR_DEPTH_LIMIT: usize = 120;

/// A member name: one this crate interprets, or another one.
enum Name<'a> {
    AccessToken,
    TokenType,
    RefreshToken,
    ExpiresIn,
    Scope,
    Error,
    Other(&'a str),
}

struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(is_json_whitespace) {
            self.at += 1;
        }
    }

    /// Consumes `byte` (after whitespace), or gives up.
    fn expect(&mut self, byte: u8) -> Option<()> {
        self.skip_whitespace();
        (self.peek() == Some(byte)).then(|| self.at += 1)
    }

    /// A string with no escape, after its opening quote: its content, or
    /// `None` at an escape, a control character or the end of input.
    fn plain_string(&mut self) -> Option<&'a str> {
        let rest = self.text.as_bytes().get(self.at..)?;
        let len = plain_string_len(rest);
        if rest.get(len) != Some(&b'"') {
            return None;
        }
        let content = self.text.get(self.at..self.at + len)?;
        self.at += len + 1;
        Some(content)
    }

    /// A member name with no escape, after its opening quote. The names
    /// this crate interprets are recognized by their bytes and closing
    /// quote, with no search for the string's end nor a comparison after
    /// it; a name that is none of them as it stands is another name.
    fn member_name(&mut self) -> Option<Name<'a>> {
        let rest = self.text.as_bytes().get(self.at..)?;
        let known = match rest.first()? {
            b'a' if rest.starts_with(b"access_token\"") => Some((Name::AccessToken, 12)),
            b't' if rest.starts_with(b"token_type\"") => Some((Name::TokenType, 10)),
            b'r' if rest.starts_with(b"refresh_token\"") => Some((Name::RefreshToken, 13)),
            b'e' if rest.starts_with(b"expires_in\"") => Some((Name::ExpiresIn, 10)),
            b'e' if rest.starts_with(b"error\"") => Some((Name::Error, 5)),
            b's' if rest.starts_with(b"scope\"") => Some((Name::Scope, 5)),
            _ => None,
        };
        if let Some((name, len)) = known {
            self.at += len + 1;
            return Some(name);
        }
        self.plain_string().map(Name::Other)
    }

    /// A string value with no escape: its content.
    fn string_value(&mut self) -> Option<&'a str> {
        self.expect(b'"')?;
        self.plain_string()
    }

    /// A non-negative integer without sign, fraction or exponent (JSON's
    /// `0 / [1-9] *DIGIT`): its text.
    fn integer_value(&mut self) -> Option<&'a str> {
        self.skip_whitespace();
        let start = self.at;
        let digits = self.text.as_bytes()[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let text = self.text.get(start..start + digits)?;
        if digits == 0 || (digits > 1 && text.starts_with('0')) {
            return None;
        }
        self.at += digits;
        // `1.5`, `1e3` and `12x` are left to the serde reader.
        match self.peek() {
            Some(b',' | b'}') => Some(text),
            Some(b) if is_json_whitespace(b) => Some(text),
            _ => None,
        }
    }

    /// A string that is an RFC 6750 `b64token`, after its opening quote:
    /// its content. One pass finds the closing quote and checks the syntax
    /// (b64token bytes are ASCII, neither quote nor backslash nor control).
    fn b64token_string(&mut self) -> Option<&'a str> {
        let rest = self.text.as_bytes().get(self.at..)?;
        let len = b64token_len(rest);
        if len == 0 || rest.get(len) != Some(&b'"') {
            return None;
        }
        let token = self.text.get(self.at..self.at + len)?;
        self.at += len + 1;
        Some(token)
    }

    /// An extension member's value, as the raw JSON text the serde reader
    /// keeps: the usual scalars (a string without escapes, an integer,
    /// `true`, `false`, `null`) read here, anything else by `serde_json`.
    fn extension_value(&mut self) -> Option<&'a str> {
        let start = self.at;
        let plain = match self.peek()? {
            b'"' => {
                self.at += 1;
                self.plain_string().is_some()
            }
            b'-' | b'0'..=b'9' => {
                self.at += usize::from(self.peek() == Some(b'-'));
                self.peek().is_some_and(|b| b.is_ascii_digit()) && self.integer_value().is_some()
            }
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            _ => false,
        };
        if plain {
            return self.text.get(start..self.at);
        }
        self.at = start;
        self.raw_value().map(RawValue::get)
    }

    /// Consumes `word` when it is next (what follows it is the caller's
    /// to check).
    fn literal(&mut self, word: &str) -> bool {
        let next = self
            .text
            .as_bytes()
            .get(self.at..)
            .is_some_and(|rest| rest.starts_with(word.as_bytes()));
        if next {
            self.at += word.len();
        }
        next
    }

    /// Any JSON value, read by `serde_json` as the serde reader reads it.
    fn raw_value(&mut self) -> Option<&'a RawValue> {
        let rest = self.text.get(self.at..)?;
        let mut deserializer = serde_json::Deserializer::from_str(rest);
        let raw = <&RawValue>::deserialize(&mut deserializer).ok()?;
        // Read here, a value starts one level shallower than inside the
        // object, so serde_json's depth limit (128) would let one level
        // more through: leave anything near it to the serde reader.
        if raw.get().len() >= NEAR_DEPTH_LIMIT
            && raw
                .get()
                .bytes()
                .filter(|b| matches!(b, b'[' | b'{'))
                .count()
                >= NEAR_DEPTH_LIMIT
        {
            return None;
        }
        let end = raw.get().as_ptr().addr() + raw.get().len();
        self.at += end.checked_sub(rest.as_ptr().addr())?;
        Some(raw)
    }
}

/// How many bytes of `bytes` can be inside a JSON string as they are:
/// the index of the first quote, backslash or C0 control character (RFC
/// 8259 §7), or the length. Eight bytes a step, as one `u64`: member names
/// and values are short, where a SIMD search's set-up costs more than it
/// saves.
fn plain_string_len(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    /// The high bit of each byte of `x` that is zero; exact up to the
    /// first such byte, which is all the caller reads.
    fn zero_bytes(x: u64) -> u64 {
        x.wrapping_sub(ONES) & !x & HIGHS
    }
    let (words, _) = bytes.as_chunks::<8>();
    for (i, word) in words.iter().enumerate() {
        let x = u64::from_le_bytes(*word);
        // A byte below 0x20 borrows when 0x20 is taken from it, a quote
        // or backslash is zero when xor-ed with itself.
        let stops = (x.wrapping_sub(ONES * 0x20) & !x & HIGHS)
            | zero_bytes(x ^ (ONES * u64::from(b'"')))
            | zero_bytes(x ^ (ONES * u64::from(b'\\')));
        if stops != 0 {
            return i * 8 + (stops.trailing_zeros() / 8) as usize;
        }
    }
    let done = words.len() * 8;
    done + bytes
        .get(done..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&b| b >= 0x20 && b != b'"' && b != b'\\')
        .count()
}

/// Reads `body` into `m` (default on entry) as the serde reader would, or
/// `None` to leave it to the serde reader (`m` then holds debris).
pub(super) fn read_into<'a>(body: &'a [u8], m: &mut Members<'a>) -> Option<()> {
    let text = std::str::from_utf8(body).ok()?;
    let mut scan = Scanner { text, at: 0 };
    let mut seen = 0u8;
    scan.expect(b'{')?;
    scan.skip_whitespace();
    if scan.peek() == Some(b'}') {
        scan.at += 1;
    } else {
        loop {
            scan.expect(b'"')?;
            let name = scan.member_name()?;
            scan.expect(b':')?;
            let bit = match name {
                Name::AccessToken => {
                    scan.expect(b'"')?;
                    // What the Bearer check needs anyway, in the same pass
                    // that finds the closing quote; a token outside
                    // b64token goes the serde way (and may still be valid
                    // for another token type).
                    let token = scan.b64token_string()?;
                    m.access_token = Some(Text::Str(token.into()));
                    m.b64token_checked = true;
                    ACCESS_TOKEN
                }
                Name::TokenType => {
                    m.token_type = Some(Text::Str(scan.string_value()?.into()));
                    TOKEN_TYPE
                }
                Name::RefreshToken => {
                    m.refresh_token = Some(Text::Str(scan.string_value()?.into()));
                    REFRESH_TOKEN
                }
                Name::ExpiresIn => {
                    m.expires_in = Some(scan.integer_value()?);
                    EXPIRES_IN
                }
                Name::Scope => {
                    m.scope = Some(ScopeValue::Text(Text::Str(scan.string_value()?.into())));
                    SCOPE
                }
                Name::Error => return None,
                Name::Other(name) => {
                    scan.skip_whitespace();
                    let value = scan.extension_value()?;
                    m.extra.push_borrowed(name, value);
                    0
                }
            };
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            scan.skip_whitespace();
            match scan.peek()? {
                b',' => scan.at += 1,
                b'}' => {
                    scan.at += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    scan.skip_whitespace();
    (scan.at == text.len()).then_some(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::{is_echo, read_object_serde};
    use super::*;
    use crate::scope::ScopeSet;

    fn members(body: &[u8]) -> Option<Members<'_>> {
        let mut m = Members::default();
        read_into(body, &mut m).map(|()| m)
    }

    fn text(t: Option<&Text<'_>>) -> String {
        match t {
            None => "absent".into(),
            Some(Text::Str(s)) => format!("str {s:?}"),
            Some(Text::Null) => "null".into(),
            Some(Text::NotString) => "not a string".into(),
        }
    }

    /// Everything a reader produces, as text, to compare the two readers.
    fn describe(m: &Members<'_>) -> String {
        let scope = match &m.scope {
            None => "absent".into(),
            Some(ScopeValue::Text(t)) => text(Some(t)),
            Some(ScopeValue::List(list)) => format!("list {list:?}"),
        };
        let extra: Vec<_> = m.extra.iter().collect();
        format!(
            "access_token {}; token_type {}; refresh_token {}; error {}; expires_in {:?}; scope {scope}; extra {extra:?}; duplicate {:?}",
            text(m.access_token.as_ref()),
            text(m.token_type.as_ref()),
            text(m.refresh_token.as_ref()),
            text(m.error.as_ref()),
            m.expires_in,
            m.duplicate,
        )
    }

    fn value() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            "[A-Za-z0-9._~+/-]{1,40}=?".prop_map(|s| format!("\"{s}\"")),
            any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
            "[ -~]{0,12}".prop_map(|s| format!("\"{s}\"")),
            Just("\"a\\u0062c\"".to_owned()),
            Just("\"tab\there\"".to_owned()),
            any::<u64>().prop_map(|n| n.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            prop_oneof![
                Just("0"),
                Just("012"),
                Just("1.5"),
                Just("1e400"),
                Just("-0"),
                Just("3600x"),
                Just("null"),
                Just("true"),
                Just("false"),
                Just("nul"),
                Just("\"3600\""),
            ]
            .prop_map(str::to_owned),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec(("[a-z]{1,3}", inner), 0..3).prop_map(|v| {
                    let members: Vec<_> = v.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            prop_oneof![
                Just("access_token"),
                Just("token_type"),
                Just("refresh_token"),
                Just("expires_in"),
                Just("scope"),
                Just("error"),
                Just("error_description"),
                Just("id_token"),
                Just("access\\u005ftoken"),
                Just("sc\u{f6}pe"),
            ]
            .prop_map(str::to_owned),
            "[a-z_-]{1,8}",
        ]
    }

    fn whitespace() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            Just(""),
            Just(""),
            Just(" "),
            Just("\n\t"),
            Just("\r\n "),
            Just("\u{c}")
        ]
    }

    fn body() -> impl Strategy<Value = Vec<u8>> {
        (
            prop::collection::vec((name(), value(), whitespace(), whitespace()), 0..8),
            whitespace(),
            whitespace(),
            any::<prop::sample::Index>(),
            0..4u8,
        )
            .prop_map(|(members, lead, trail, cut, damage)| {
                let members: Vec<_> = members
                    .iter()
                    .map(|(n, v, a, b)| format!("{a}\"{n}\"{b}:{a}{v}{b}"))
                    .collect();
                let mut body = format!("{lead}{{{}}}{trail}", members.join(",")).into_bytes();
                match damage {
                    // Cut anywhere, or append a stray byte.
                    0 => body.truncate(cut.index(body.len() + 1)),
                    1 => body.push(b','),
                    _ => {}
                }
                body
            })
    }

    proptest! {
        /// The word-wise search stops where a byte-wise one does: at the
        /// first quote, backslash or control character, in any word.
        #[test]
        fn prop_a_plain_string_ends_at_the_first_byte_json_escapes(
            bytes in prop::collection::vec(
                prop_oneof![4 => 0x20..=0xFF_u8, 1 => Just(b'"'), 1 => Just(b'\\'), 1 => 0..0x20_u8],
                0..40,
            ),
        ) {
            let reference = bytes
                .iter()
                .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
                .unwrap_or(bytes.len());
            prop_assert_eq!(plain_string_len(&bytes), reference);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// Whatever the scanner accepts, the serde reader reads the same.
        #[test]
        fn prop_scanner_agrees_with_the_serde_reader(body in body()) {
            if let Some(fast) = members(&body) {
                let reference = read_object_serde(&body, http::StatusCode::OK);
                prop_assert!(reference.is_ok(), "serde rejects {:?}", String::from_utf8_lossy(&body));
                if let Ok(reference) = reference {
                    prop_assert_eq!(describe(&fast), describe(&reference));
                }
                if fast.b64token_checked {
                    prop_assert!(matches!(&fast.access_token, Some(Text::Str(t)) if is_b64token(t)));
                }
            }
        }
    }

    fn scope_text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                Just("read"),
                Just("write"),
                Just("openid"),
                Just("discovery:read"),
                Just("a"),
                Just("ab"),
            ],
            0..4,
        )
        .prop_flat_map(|tokens| {
            let n = tokens.len();
            (
                Just(tokens),
                prop::collection::vec(prop_oneof![Just(" "), Just("  "), Just("\t")], n),
            )
        })
        .prop_map(|(tokens, gaps)| {
            tokens
                .iter()
                .zip(gaps)
                .enumerate()
                .map(|(i, (t, gap))| {
                    if i == 0 {
                        (*t).to_owned()
                    } else {
                        format!("{gap}{t}")
                    }
                })
                .collect()
        })
    }

    proptest! {
        /// The shortcut for an echoed scope gives what parsing would.
        #[test]
        fn prop_an_echoed_scope_parses_to_the_requested_set(
            requested in scope_text(),
            granted in scope_text(),
        ) {
            let requested = ScopeSet::parse_lenient(&requested).unwrap_or_default();
            if is_echo(&granted, &requested) {
                prop_assert_eq!(ScopeSet::parse(&granted).ok(), Some(requested.clone()));
            }
            prop_assert_eq!(is_echo(&requested.to_string(), &requested), !requested.is_empty());
        }
    }

    #[test]
    fn typical_bodies_take_the_scanner_and_odd_ones_the_serde_reader() {
        let typical = br#" {"access_token":"eyJ.abc-_~+/==","token_type":"Bearer","expires_in":3600,"scope":"a b","x":{"y":[1,null]}} "#;
        assert!(members(typical).is_some());
        for odd in [
            &br#"{"access_token":"a\u0062c","token_type":"Bearer"}"#[..],
            br#"{"access_token":"abc","access_token":"abd"}"#,
            br#"{"access_token":"abc","expires_in":"3600"}"#,
            br#"{"access_token":"abc","expires_in":1.5}"#,
            br#"{"error":"invalid_client"}"#,
            br#"{"access_token":"abc"} x"#,
            br#"{"access_token":"abc",}"#,
            br#"{"access_token":null}"#,
        ] {
            assert!(members(odd).is_none(), "{}", String::from_utf8_lossy(odd));
        }
    }

    #[test]
    fn values_nested_near_the_depth_limit_are_left_to_the_serde_reader() {
        for depth in [126, 127, 128] {
            let body = format!(r#"{{"x":{}{}}}"#, "[".repeat(depth), "]".repeat(depth));
            let reference = read_object_serde(body.as_bytes(), http::StatusCode::OK).is_ok();
            if members(body.as_bytes()).is_some() {
                assert!(reference, "depth {depth}");
            }
        }
    }
}
