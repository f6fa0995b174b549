//! Keeping the client's own secrets, and terminal control sequences, out
//! of error values. Shared by the token response ([`Client`](crate::Client))
//! and the revocation response ([`RevocationRequest`](crate::RevocationRequest)).
//!
//! A provider can echo the request in an error page or an
//! `error_description`, and not always byte for byte: JSON-escaped
//! (`ab\/cd`, `w\u00f6rd`), HTML-escaped (`&amp;`, `&#x2F;`, `&quot;`),
//! percent-encoded, or several of those nested (`\u0026amp;`). A
//! [`Scrubber`] looks for every value the client sent in every one of
//! those spellings and replaces the original text it spans with
//! [`REDACTED`]; the rest stays as the provider wrote it.
//!
//! Why decode instead of listing spellings: a secret of n characters has
//! exponentially many JSON and HTML spellings (each character escaped or
//! not, in several notations), so no list of needles covers them; decoding
//! the text turns every spelling back into the bytes that were sent. Why
//! not simply show the decoded text: decoding everything at once
//! over-decodes a secret that itself holds `%41` or `&amp;`, and it would
//! change what the user reads. So the text is decoded into *views*, one per
//! chain of decoders (JSON, HTML, percent; up to [`MAX_DEPTH`] deep), each
//! byte of a view remembering the span of the original it came from, and a
//! needle found in any view redacts its span in the original.
//!
//! A text cut from a longer one (an excerpt, a bounded `error_description`)
//! could end in the first part of a secret; a cut text is therefore also
//! shortened to before any trailing prefix of a needle, in any view, and
//! before an escape left incomplete by the cut.

use std::fmt::{self, Write as _};

use crate::credentials::ClientCredentials;
use crate::form;
use crate::request::authorization;

/// What a scrubbed secret is replaced with.
pub(crate) const REDACTED: &str = "[REDACTED]";

/// How many decodings are stacked at most: JSON inside JSON, an HTML
/// entity inside a JSON string inside a percent-encoded URL.
const MAX_DEPTH: usize = 3;

/// Scrubbing reads at most this many times the kept length: a secret
/// spelled with escapes is longer than the secret, but not without bound.
const WINDOW_FACTOR: usize = 4;

/// The values that must never reach an error, as needles.
#[derive(Clone, Default)]
pub(crate) struct Scrubber {
    needles: Vec<Vec<u8>>,
}

impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scrubber({} needles)", self.needles.len())
    }
}

impl Scrubber {
    /// Scrubs nothing: the public parsers, which know no secret.
    pub(crate) const NONE: Self = Self {
        needles: Vec::new(),
    };

    /// The client's secret, and the Basic value that carries it.
    pub(crate) fn for_credentials(credentials: &ClientCredentials) -> Self {
        let mut scrubber = Self::default().with_value(credentials.secret().expose_secret());
        if let Some(basic) = authorization(credentials)
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(' ').nth(1))
        {
            scrubber.push(basic.to_owned());
        }
        scrubber
    }

    /// Adds a client assertion (C-70): the whole compact JWS and its
    /// signature, which alone would let nobody forge one but is still the
    /// credential's unique part.
    pub(crate) fn with_assertion(self, assertion: Option<&str>) -> Self {
        let Some(assertion) = assertion else {
            return self;
        };
        let signature = assertion.rsplit('.').next().unwrap_or_default();
        self.with_value(assertion).with_value(signature)
    }

    /// Adds a value the client sent (a secret, a token) in the forms it
    /// takes on the wire and on one line: raw, form-encoded with `%20` and
    /// with `+`, and as [`one_line`] prints it. Empty values are ignored.
    pub(crate) fn with_value(mut self, value: &str) -> Self {
        if value.is_empty() {
            return self;
        }
        let encoded = form::encode_component(value);
        let plus = encoded.replace("%20", "+");
        // The percent view decodes `%XX` but leaves `+`: the `+` form then
        // reads as the value with `+` for each space.
        for needle in [
            value.to_owned(),
            encoded,
            plus,
            value.replace(' ', "+"),
            one_line(value),
        ] {
            self.push(needle);
        }
        self
    }

    fn push(&mut self, needle: String) {
        if !needle.is_empty() && !self.needles.iter().any(|n| *n == needle.as_bytes()) {
            self.needles.push(needle.into_bytes());
        }
    }

    /// `text` with every needle, in every spelling, replaced by
    /// [`REDACTED`]. `cut`: the text was cut from a longer one, so it also
    /// ends before any trailing part of a needle.
    pub(crate) fn redact(&self, text: &str, cut: bool) -> String {
        if self.needles.is_empty() {
            return text.to_owned();
        }
        let (hits, keep) = self.scan(text, cut);
        splice(text, hits, keep)
    }

    /// `text` scrubbed and at most `limit` bytes long, cut at a character
    /// boundary and never inside the first part of a needle; `true` when
    /// it was shortened (or `cut` says it already was). Only the first few
    /// `limit`s of `text` are read.
    pub(crate) fn bounded(&self, text: &str, limit: usize, cut: bool) -> (String, bool) {
        let window = floor_char_boundary(text, limit.saturating_mul(WINDOW_FACTOR));
        let mut cut = cut || window < text.len();
        let mut out = self.redact(&text[..window], cut);
        if out.len() > limit {
            let mut at = floor_char_boundary(&out, limit);
            // Not inside a marker: `[REDACTED]` or nothing.
            if let Some(marker) = out[..at].rfind(REDACTED.as_bytes()[0] as char)
                && out[marker..].starts_with(REDACTED)
                && marker + REDACTED.len() > at
            {
                at = marker;
            }
            out.truncate(at);
            // Redacting is idempotent: this pass can only shorten.
            out = self.redact(&out, true);
            cut = true;
        }
        (out, cut)
    }

    /// Where each needle is (spans of `text`), and how much of `text` may
    /// be kept when it was `cut`.
    fn scan(&self, text: &str, cut: bool) -> (Vec<(usize, usize)>, usize) {
        let mut hits = Vec::new();
        let mut keep = text.len();
        for view in views(text, cut) {
            for needle in &self.needles {
                view.find(needle, &mut hits);
                if cut {
                    keep = keep.min(view.keep(needle));
                }
            }
        }
        (hits, keep)
    }
}

/// `text[..keep]` with every hit replaced by [`REDACTED`] (overlapping
/// hits merge; spans widen to character boundaries). A hit inside a
/// [`REDACTED`] already there is no hit, so redacting twice changes
/// nothing.
fn splice(text: &str, mut hits: Vec<(usize, usize)>, keep: usize) -> String {
    let keep = floor_char_boundary(text, keep);
    let markers: Vec<usize> = text.match_indices(REDACTED).map(|(at, _)| at).collect();
    hits.retain(|&(start, end)| {
        !markers
            .iter()
            .any(|&m| m <= start && end <= m + REDACTED.len())
    });
    for (start, end) in &mut hits {
        *start = floor_char_boundary(text, *start);
        *end = ceil_char_boundary(text, *end);
    }
    hits.sort_unstable();
    let mut out = String::with_capacity(keep);
    let mut at = 0;
    for (start, end) in hits {
        if start >= keep {
            break;
        }
        if start < at {
            // Overlaps the previous hit: extend it.
            at = at.max(end);
            continue;
        }
        out.push_str(&text[at..start]);
        out.push_str(REDACTED);
        at = end;
    }
    if at < keep {
        out.push_str(&text[at..keep]);
    }
    out
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_char_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// The text as one decoder chain reads it: each byte with the span
/// (`start..end` of the original) it came from.
#[derive(PartialEq, Eq)]
struct View {
    bytes: Vec<u8>,
    spans: Vec<(usize, usize)>,
    /// A cut text that ends in an escape left incomplete: where it starts.
    open: Option<usize>,
}

impl View {
    fn raw(text: &str) -> Self {
        Self {
            bytes: text.as_bytes().to_vec(),
            spans: (0..text.len()).map(|i| (i, i + 1)).collect(),
            open: None,
        }
    }

    fn find(&self, needle: &[u8], hits: &mut Vec<(usize, usize)>) {
        let Some(&first) = needle.first() else {
            return;
        };
        let Some(last_start) = self.bytes.len().checked_sub(needle.len()) else {
            return;
        };
        // Compare whole needles only where the first byte matches.
        for (i, _) in self.bytes[..=last_start]
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == first)
        {
            if self.bytes[i..i + needle.len()] == *needle {
                hits.push((self.spans[i].0, self.spans[i + needle.len() - 1].1));
            }
        }
    }

    /// How much of a cut text to keep so it does not end in a first part
    /// of `needle` (nor in an incomplete escape, which could be one).
    fn keep(&self, needle: &[u8]) -> usize {
        let n = self.bytes.len();
        for i in (n + 1).saturating_sub(needle.len())..n {
            if needle.first() == Some(&self.bytes[i]) && needle.starts_with(&self.bytes[i..]) {
                return self.spans[i].0;
            }
        }
        self.open.unwrap_or(usize::MAX)
    }
}

/// One decoding step at the start of `rest`.
enum Step {
    /// Not an escape: the byte stands for itself.
    Literal,
    /// An escape of `len` bytes standing for `char`.
    Char { len: usize, char: char },
    /// An escape of `len` bytes standing for one byte (`%XX`).
    Byte { len: usize, byte: u8 },
    /// The text was cut inside what may be an escape.
    Open,
}

type Decoder = fn(&[u8], bool) -> Step;

/// JSON string escapes (RFC 8259 §7), HTML character references, and
/// percent-encoding (RFC 3986 §2.1), each with its trigger byte.
const DECODERS: [(u8, Decoder); 3] = [(b'\\', json), (b'&', html), (b'%', percent)];

/// The raw text and every chain of up to [`MAX_DEPTH`] decoders that
/// changes it.
fn views(text: &str, cut: bool) -> Vec<View> {
    let mut all = vec![View::raw(text)];
    let mut frontier = 0..1;
    for _ in 0..MAX_DEPTH {
        let mut next = Vec::new();
        for view in &all[frontier] {
            for (trigger, decoder) in DECODERS {
                // Decoders that touch different escapes commute (JSON then
                // HTML reads as HTML then JSON): keep one of each reading.
                if view.bytes.contains(&trigger)
                    && let Some(decoded) = decode(view, cut, decoder)
                    && !all.iter().chain(&next).any(|seen| *seen == decoded)
                {
                    next.push(decoded);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = all.len()..all.len() + next.len();
        all.extend(next);
    }
    all
}

/// `view` read through `decoder`; `None` when nothing changes.
fn decode(view: &View, cut: bool, decoder: Decoder) -> Option<View> {
    let n = view.bytes.len();
    let mut out = View {
        bytes: Vec::with_capacity(n),
        spans: Vec::with_capacity(n),
        open: view.open,
    };
    let mut changed = false;
    let mut i = 0;
    while i < n {
        let mut buf = [0; 4];
        let (len, bytes): (usize, &[u8]) = match decoder(&view.bytes[i..], cut) {
            Step::Literal => {
                out.bytes.push(view.bytes[i]);
                out.spans.push(view.spans[i]);
                i += 1;
                continue;
            }
            Step::Open => {
                out.open = Some(view.spans[i].0);
                return Some(out);
            }
            Step::Char { len, char } => (len, char.encode_utf8(&mut buf).as_bytes()),
            Step::Byte { len, byte } => {
                buf[0] = byte;
                (len, &buf[..1])
            }
        };
        let span = (view.spans[i].0, view.spans[i + len - 1].1);
        for &byte in bytes {
            out.bytes.push(byte);
            out.spans.push(span);
        }
        changed = true;
        i += len;
    }
    changed.then_some(out)
}

/// `true` when a cut text's `tail` could still become `want` hex digits.
fn incomplete_hex(tail: &[u8], want: usize) -> bool {
    tail.len() < want && tail.iter().all(u8::is_ascii_hexdigit)
}

fn hex(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

/// `\"` `\\` `\/` `\b` `\f` `\n` `\r` `\t` `\uXXXX`, surrogate pairs
/// joined (RFC 8259 §7).
fn json(rest: &[u8], cut: bool) -> Step {
    let open = |incomplete: bool| {
        if cut && incomplete {
            Step::Open
        } else {
            Step::Literal
        }
    };
    if rest.first() != Some(&b'\\') {
        return Step::Literal;
    }
    let c = match rest.get(1) {
        None => return open(true),
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => return json_unicode(rest, cut),
        Some(_) => return Step::Literal,
    };
    Step::Char { len: 2, char: c }
}

fn json_unicode(rest: &[u8], cut: bool) -> Step {
    let open = |incomplete: bool| {
        if cut && incomplete {
            Step::Open
        } else {
            Step::Literal
        }
    };
    let Some(unit) = rest.get(2..6).and_then(hex) else {
        return open(incomplete_hex(rest.get(2..).unwrap_or_default(), 4));
    };
    if (0xD800..0xDC00).contains(&unit) {
        // A high surrogate: only a following low one makes a character.
        let low = rest.get(6..);
        return match low {
            Some([b'\\', b'u', digits @ ..]) => match digits.get(..4).and_then(hex) {
                Some(low @ 0xDC00..0xE000) => {
                    let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                    char::from_u32(code).map_or(Step::Literal, |char| Step::Char { len: 12, char })
                }
                Some(_) => Step::Literal,
                None => open(incomplete_hex(digits, 4)),
            },
            Some([] | [b'\\']) => open(true),
            _ => Step::Literal,
        };
    }
    char::from_u32(unit).map_or(Step::Literal, |char| Step::Char { len: 6, char })
}

/// The named character references a page is likely to use for the
/// characters of a secret or a URL (HTML §13.5; the full table has 2,231).
const ENTITIES: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", '\u{a0}'),
    ("sol", '/'),
    ("bsol", '\\'),
    ("colon", ':'),
    ("semi", ';'),
    ("equals", '='),
    ("plus", '+'),
    ("percnt", '%'),
    ("num", '#'),
    ("excl", '!'),
    ("quest", '?'),
    ("commat", '@'),
    ("dollar", '$'),
    ("lpar", '('),
    ("rpar", ')'),
    ("comma", ','),
    ("period", '.'),
    ("lsqb", '['),
    ("rsqb", ']'),
    ("lbrack", '['),
    ("rbrack", ']'),
    ("lcub", '{'),
    ("rcub", '}'),
    ("lbrace", '{'),
    ("rbrace", '}'),
    ("lowbar", '_'),
    ("grave", '`'),
    ("verbar", '|'),
    ("vert", '|'),
    ("Hat", '^'),
    ("ast", '*'),
    ("midast", '*'),
    ("Tab", '\t'),
    ("NewLine", '\n'),
];

/// The most digits a numeric character reference may have (leading zeros
/// included).
const MAX_REFERENCE_DIGITS: usize = 16;

/// `&name;`, `&#DDD;` and `&#xHHH;` (HTML §13.5).
fn html(rest: &[u8], cut: bool) -> Step {
    let open = |incomplete: bool| {
        if cut && incomplete {
            Step::Open
        } else {
            Step::Literal
        }
    };
    if rest.first() != Some(&b'&') {
        return Step::Literal;
    }
    if rest.get(1) == Some(&b'#') {
        let (radix, start) = match rest.get(2) {
            Some(b'x' | b'X') => (16, 3),
            _ => (10, 2),
        };
        let digits = rest
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| char::from(**b).is_digit(radix))
            .count();
        let end = start + digits;
        return match rest.get(end) {
            Some(b';') if (1..=MAX_REFERENCE_DIGITS).contains(&digits) => {
                std::str::from_utf8(&rest[start..end])
                    .ok()
                    .and_then(|d| u32::from_str_radix(d, radix).ok())
                    .filter(|&code| code != 0)
                    .and_then(char::from_u32)
                    .map_or(Step::Literal, |char| Step::Char { len: end + 1, char })
            }
            None => open(digits <= MAX_REFERENCE_DIGITS),
            Some(_) => Step::Literal,
        };
    }
    let name = rest[1..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let end = 1 + name;
    match rest.get(end) {
        Some(b';') => ENTITIES
            .iter()
            .find(|(entity, _)| entity.as_bytes() == &rest[1..end])
            .map_or(Step::Literal, |&(_, char)| Step::Char {
                len: end + 1,
                char,
            }),
        None => open(
            ENTITIES
                .iter()
                .any(|(entity, _)| entity.as_bytes().starts_with(&rest[1..end])),
        ),
        Some(_) => Step::Literal,
    }
}

/// `%XX` (RFC 3986 §2.1), one byte each.
fn percent(rest: &[u8], cut: bool) -> Step {
    if rest.first() != Some(&b'%') {
        return Step::Literal;
    }
    match rest.get(1..3).and_then(hex) {
        Some(byte) => Step::Byte {
            len: 3,
            byte: u8::try_from(byte).unwrap_or_default(),
        },
        None if cut && incomplete_hex(&rest[1..], 2) => Step::Open,
        None => Step::Literal,
    }
}

/// True for what must not reach a terminal as is: control characters
/// (C0, DEL, C1) and the bidirectional overrides and isolates that reorder
/// what is shown (the set rustc warns about, CVE-2021-42574).
pub(crate) fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` on one line: whitespace runs folded to one space, other
/// characters that [`needs_escape`] escaped as Rust writes them (`\u{1b}`).
pub(crate) fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
            continue;
        }
        last_space = false;
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Provider text in a `Display`: every character that [`needs_escape`]
/// (newlines and tabs included) written as its Rust escape (`\n`,
/// `\u{1b}`), so the text prints on one line and cannot drive a terminal.
pub(crate) struct Printable<'a>(pub(crate) &'a str);

impl fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if needs_escape(c) {
                for e in c.escape_default() {
                    f.write_char(e)?;
                }
            } else {
                f.write_char(c)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrubber(value: &str) -> Scrubber {
        Scrubber::default().with_value(value)
    }

    #[test]
    fn every_spelling_of_a_value_is_redacted() {
        let s = scrubber("ab/cd wörd&\"x");
        for spelled in [
            "ab/cd wörd&\"x",
            r#"ab\/cd w\u00f6rd&\"x"#,
            r"ab\u002fcd\u0020w\u00F6rd\u0026\u0022x",
            "ab&#x2F;cd w&#xF6;rd&amp;&quot;x",
            "ab&#47;cd&#32;w&#246;rd&#38;&#34;x",
            "ab%2Fcd%20w%C3%B6rd%26%22x",
            "ab%2Fcd+w%C3%B6rd%26%22x",
            r#"ab\\/cd w\\u00f6rd&\\\"x"#,
            r"ab\u0026#x2F;cd w&amp;#xF6;rd&amp;amp;&amp;quot;x",
            "ab%252Fcd%2520w%25C3%25B6rd%2526%2522x",
        ] {
            let text = format!("<p>you sent {spelled}.</p>");
            assert_eq!(
                s.redact(&text, false),
                "<p>you sent [REDACTED].</p>",
                "{spelled}"
            );
        }
    }

    #[test]
    fn a_cut_text_never_ends_in_the_first_part_of_a_value() {
        let s = scrubber("s3cr3t/value");
        for text in [
            "x s3cr",
            r"x s3cr3t\/va",
            r"x s3cr3t\u002",
            r"x s3cr3t\",
            "x s3cr3t&#x2",
            "x s3cr3t&#x2F;v",
            "x s3cr3t%2",
            "x s3cr3t%2Fvalu",
        ] {
            assert_eq!(s.redact(text, true), "x ", "{text}");
        }
        // Uncut, the same text is shown as it is.
        assert_eq!(s.redact("x s3cr", false), "x s3cr");
    }

    #[test]
    fn bounded_text_is_scrubbed_before_it_is_cut() {
        let s = scrubber("s3cr3t");
        let text = format!("{}s3cr3t", "x".repeat(8));
        assert_eq!(s.bounded(&text, 10, false), ("x".repeat(8), true));
        assert_eq!(
            s.bounded(&text, 100, false),
            (format!("{}[REDACTED]", "x".repeat(8)), false)
        );
        let twice = s.redact(&s.redact(&text, false), false);
        assert_eq!(twice, format!("{}[REDACTED]", "x".repeat(8)));
        assert_eq!(
            scrubber("RED").redact("[REDACTED] RED", false),
            "[REDACTED] [REDACTED]"
        );
    }

    #[test]
    fn printable_escapes_controls_and_bidi_overrides() {
        assert_eq!(
            Printable("a\u{1b}[31mb\nc\u{202e}d").to_string(),
            r"a\u{1b}[31mb\nc\u{202e}d"
        );
        assert_eq!(one_line("a \t\n b\u{7}"), r"a b\u{7}");
    }
}
