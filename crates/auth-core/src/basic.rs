//! HTTP Basic client authentication (RFC 6749 §2.3.1, RFC 7617), both
//! directions: the client encodes, the provider decodes.
//!
//! RFC 6749 §2.3.1 form-urlencodes id and secret (Appendix B) *before*
//! joining them with `:` and base64-encoding; so an id may contain `:` and a
//! secret may contain `+` or `%`. Decoding reverses exactly that: base64
//! (standard alphabet, padding required), split at the first `:`, then
//! form-decode each half.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::credentials::{ClientId, ClientSecret};
use crate::form::{self, FormError};

/// The scheme name; matched case-insensitively (RFC 9110 §11.1).
pub const SCHEME: &str = "Basic";

/// `Basic <base64(form(id) ":" form(secret))>`, the RFC 6749 §2.3.1 value.
///
/// ```
/// use auth_core::{basic, ClientId, ClientSecret};
/// // RFC 6749 §4.4.2 example.
/// let value = basic::encode(&ClientId::new("s6BhdRkqt3"), &ClientSecret::new("gX1fBat3bV"));
/// assert_eq!(value, "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW");
/// ```
#[must_use]
pub fn encode(id: &ClientId, secret: &ClientSecret) -> String {
    let joined = format!(
        "{}:{}",
        form::encode_component(id.as_str()),
        form::encode_component(secret.expose_secret())
    );
    format!("{SCHEME} {}", STANDARD.encode(joined))
}

/// `Basic <base64(id ":" secret)>` without the form step: the escape hatch
/// for providers that do not decode (RFC 7617 style).
#[must_use]
pub fn encode_unencoded(id: &ClientId, secret: &ClientSecret) -> String {
    let joined = format!("{}:{}", id.as_str(), secret.expose_secret());
    format!("{SCHEME} {}", STANDARD.encode(joined))
}

/// Why an `Authorization: Basic` value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BasicError {
    /// The scheme is not `Basic`.
    #[error("authorization scheme is not Basic")]
    NotBasic,
    /// `Basic` with no credentials after it.
    #[error("basic credentials are missing")]
    Missing,
    /// Not standard, padded base64.
    #[error("basic credentials are not valid base64")]
    Base64,
    /// The decoded bytes have no `:`.
    #[error("basic credentials have no ':' separator")]
    NoColon,
    /// The raw decoded pair is not UTF-8.
    #[error("basic credentials are not valid UTF-8")]
    Utf8,
    /// A half is not valid form-urlencoding.
    #[error("basic credentials are not form-urlencoded: {0}")]
    Form(#[source] FormError),
}

/// The two halves of a Basic value before form-decoding; what a client that
/// skipped the §2.3.1 encoding step meant to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawBasic {
    /// Everything before the first `:`.
    pub user: String,
    /// Everything after it (a secret: handle with care).
    pub password: ClientSecret,
}

/// The id and secret of a Basic value decoded as RFC 6749 §2.3.1 requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    /// The form-decoded user name.
    pub id: ClientId,
    /// The form-decoded password.
    pub secret: ClientSecret,
}

/// A Basic value base64-decoded once, split at its first `:`: both
/// readings (RFC 6749 §2.3.1 and the raw RFC 7617 one) borrow from it, so a
/// provider that needs both decodes the header once (issue 17). `Debug`
/// prints no byte of it; the buffer is zeroed on drop.
///
/// ```
/// # fn main() -> Result<(), auth_core::basic::BasicError> {
/// // Checklist fixture F2: id `client:id+1`, secret `a b+c/d%e&f=g:h~i`.
/// let value = auth_core::basic::Decoded::parse(b"Basic Y2xpZW50JTNBaWQlMkIxOmErYiUyQmMlMkZkJTI1ZSUyNmYlM0RnJTNBaH5p")?;
/// let (id, secret) = value.credentials()?;
/// assert_eq!((&*id, &*secret), ("client:id+1", "a b+c/d%e&f=g:h~i"));
/// assert_eq!(value.raw()?.0, "client%3Aid%2B1");
/// # Ok(()) }
/// ```
pub struct Decoded {
    bytes: Vec<u8>,
    colon: usize,
}

impl Decoded {
    /// Base64-decodes the credentials of a `Basic` value (standard alphabet,
    /// padding required) and finds the first `:`.
    pub fn parse(header_value: &[u8]) -> Result<Self, BasicError> {
        let bytes = base64_of(header_value)?;
        if let Some(colon) = bytes.iter().position(|&b| b == b':') {
            return Ok(Self { bytes, colon });
        }
        // Dropped as `Self` is: zeroed.
        drop(Self { colon: 0, bytes });
        Err(BasicError::NoColon)
    }

    /// The id and secret as RFC 6749 §2.3.1 requires (each half
    /// form-decoded), borrowed when a half has nothing to decode.
    pub fn credentials(&self) -> Result<(Cow<'_, str>, Cow<'_, str>), BasicError> {
        let (user, password) = self.halves();
        let id = form::decode_borrowed(user).map_err(BasicError::Form)?;
        let secret = form::decode_borrowed(password).map_err(BasicError::Form)?;
        Ok((id, secret))
    }

    /// The halves without the form step (what a client that skipped the
    /// §2.3.1 encoding meant), each checked to be UTF-8.
    pub fn raw(&self) -> Result<(&str, &str), BasicError> {
        let (user, password) = self.halves();
        let user = std::str::from_utf8(user).map_err(|_| BasicError::Utf8)?;
        let password = std::str::from_utf8(password).map_err(|_| BasicError::Utf8)?;
        Ok((user, password))
    }

    /// The decoded bytes around the first `:`.
    fn halves(&self) -> (&[u8], &[u8]) {
        let (user, rest) = self.bytes.split_at(self.colon.min(self.bytes.len()));
        (user, rest.get(1..).unwrap_or_default())
    }
}

impl Drop for Decoded {
    fn drop(&mut self) {
        use secrecy::zeroize::Zeroize as _;
        self.bytes.zeroize();
    }
}

/// Holds a secret: the length only.
impl fmt::Debug for Decoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoded")
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

/// Base64-decodes and splits at the first `:`, without the form step.
pub fn decode_raw(header_value: &[u8]) -> Result<RawBasic, BasicError> {
    let decoded = Decoded::parse(header_value)?;
    let (user, password) = decoded.raw()?;
    Ok(RawBasic {
        user: user.to_owned(),
        password: ClientSecret::new(password),
    })
}

/// Decodes as RFC 6749 §2.3.1 requires: base64, first `:`, form-decode.
///
/// ```
/// # fn main() -> Result<(), auth_core::basic::BasicError> {
/// // Checklist fixture F2: id `client:id+1`, secret `a b+c/d%e&f=g:h~i`.
/// let creds = auth_core::basic::decode(b"Basic Y2xpZW50JTNBaWQlMkIxOmErYiUyQmMlMkZkJTI1ZSUyNmYlM0RnJTNBaH5p")?;
/// assert_eq!(creds.id.as_str(), "client:id+1");
/// assert_eq!(creds.secret.expose_secret(), "a b+c/d%e&f=g:h~i");
/// # Ok(()) }
/// ```
pub fn decode(header_value: &[u8]) -> Result<BasicCredentials, BasicError> {
    let decoded = Decoded::parse(header_value)?;
    let (id, secret) = decoded.credentials()?;
    Ok(BasicCredentials {
        id: ClientId::new(id),
        secret: ClientSecret::new(secret),
    })
}

/// True when the value uses the Basic scheme at all (any case).
#[must_use]
pub fn is_basic(header_value: &[u8]) -> bool {
    scheme_and_rest(header_value)
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case(SCHEME.as_bytes()))
}

fn scheme_and_rest(value: &[u8]) -> Option<(&[u8], &[u8])> {
    let value = value.trim_ascii();
    match value.iter().position(|&b| b == b' ') {
        Some(sp) => Some((&value[..sp], value[sp..].trim_ascii_start())),
        None if !value.is_empty() => Some((value, &b""[..])),
        None => None,
    }
}

/// The base64-decoded credentials of a Basic value.
fn base64_of(header_value: &[u8]) -> Result<Vec<u8>, BasicError> {
    let (scheme, credentials) = scheme_and_rest(header_value).ok_or(BasicError::NotBasic)?;
    if !scheme.eq_ignore_ascii_case(SCHEME.as_bytes()) {
        return Err(BasicError::NotBasic);
    }
    if credentials.is_empty() {
        return Err(BasicError::Missing);
    }
    STANDARD.decode(credentials).map_err(|_| BasicError::Base64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(id: &str, secret: &str) -> String {
        encode(&ClientId::new(id), &ClientSecret::new(secret))
    }

    #[test]
    fn rfc6749_4_4_2_example_f1() {
        assert_eq!(
            encoded("s6BhdRkqt3", "gX1fBat3bV"),
            "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"
        );
    }

    #[test]
    fn special_characters_are_form_encoded_first_f2_c11() {
        let value = encoded("client:id+1", "a b+c/d%e&f=g:h~i");
        // Our encoder writes %20 for space; decoded-compare is what matters.
        let creds = decode(value.as_bytes()).unwrap();
        assert_eq!(creds.id.as_str(), "client:id+1");
        assert_eq!(creds.secret.expose_secret(), "a b+c/d%e&f=g:h~i");
        assert_ne!(value, "Basic Y2xpZW50OmlkKzE6YSBiK2MvZCVlJmY9Zzpofmk=");
    }

    #[test]
    fn non_ascii_is_utf8_then_percent_encoded_f3_c12() {
        assert_eq!(
            encoded("svc-1", "pässwörd€"),
            "Basic c3ZjLTE6cCVDMyVBNHNzdyVDMyVCNnJkJUUyJTgyJUFD"
        );
    }

    #[test]
    fn tilde_is_kept_and_base64_is_padded_f4_c13() {
        assert_eq!(encoded("cid", "~~~>?"), "Basic Y2lkOn5+fiUzRSUzRg==");
    }

    #[test]
    fn both_f2_fixture_forms_decode_s14() {
        for value in [
            "Basic Y2xpZW50JTNBaWQlMkIxOmErYiUyQmMlMkZkJTI1ZSUyNmYlM0RnJTNBaH5p",
            "Basic Y2xpZW50JTNBaWQlMkIxOmErYiUyQmMlMkZkJTI1ZSUyNmYlM0RnJTNBaCU3RWk=",
        ] {
            let creds = decode(value.as_bytes()).unwrap();
            assert_eq!(creds.id.as_str(), "client:id+1");
            assert_eq!(creds.secret.expose_secret(), "a b+c/d%e&f=g:h~i");
        }
    }

    #[test]
    fn naive_f2_splits_at_the_wrong_colon_s15() {
        // The naive value splits as user `client`, password
        // `id+1:a b+c/d%e&f=g:h~i`, whose `%e&` is no percent-escape: an
        // error, never the registered pair (nor any pair at all).
        let creds = decode(b"Basic Y2xpZW50OmlkKzE6YSBiK2MvZCVlJmY9Zzpofmk=");
        assert_eq!(
            creds,
            Err(BasicError::Form(FormError::InvalidPercentEncoding {
                offset: 12
            }))
        );
        let raw = decode_raw(b"Basic Y2xpZW50OmlkKzE6YSBiK2MvZCVlJmY9Zzpofmk=").unwrap();
        assert_eq!(raw.user, "client");
    }

    #[test]
    fn scheme_is_case_insensitive_s16() {
        assert_eq!(
            decode(b"basic czZCaGRSa3F0MzpnWDFmQmF0M2JW")
                .unwrap()
                .id
                .as_str(),
            "s6BhdRkqt3"
        );
        assert!(is_basic(b"BASIC x"));
        assert!(!is_basic(b"Bearer x"));
    }

    #[test]
    fn malformed_values_are_typed_errors_s17() {
        assert_eq!(decode(b"Basic !!!"), Err(BasicError::Base64));
        assert_eq!(decode(b"Basic bm9jb2xvbg=="), Err(BasicError::NoColon)); // "nocolon"
        assert!(matches!(
            decode(b"Basic Y2lkOiVaWg=="),
            Err(BasicError::Form(_))
        )); // "cid:%ZZ"
        assert_eq!(decode_raw(b"Basic /zr+"), Err(BasicError::Utf8)); // "\xff:\xfe"
        assert_eq!(decode(b"Basic"), Err(BasicError::Missing));
        assert_eq!(decode(b"Bearer abc"), Err(BasicError::NotBasic));
        assert_eq!(decode(b""), Err(BasicError::NotBasic));
        // base64url and unpadded forms are not the RFC 4648 §4 alphabet (C-13).
        assert_eq!(decode(b"Basic Y2lkOn5-fiUzRSUzRg"), Err(BasicError::Base64));
    }

    #[test]
    fn decoded_debug_prints_no_byte_of_the_credentials() {
        let value = Decoded::parse(encoded("cid", "hunter2").as_bytes()).unwrap();
        let printed = format!("{value:?}");
        assert!(
            !printed.contains("hunter2") && !printed.contains("cid"),
            "{printed}"
        );
        assert_eq!(
            Decoded::parse(b"Basic bm9jb2xvbg==").err(),
            Some(BasicError::NoColon)
        );
    }

    #[test]
    fn empty_secret_encodes_as_id_colon_c16() {
        assert_eq!(
            encoded("cid", ""),
            format!("Basic {}", STANDARD.encode("cid:"))
        );
        assert!(
            decode(encoded("cid", "").as_bytes())
                .unwrap()
                .secret
                .is_empty()
        );
    }

    #[test]
    fn unencoded_escape_hatch_sends_raw_pair() {
        let value = encode_unencoded(
            &ClientId::new("client:id+1"),
            &ClientSecret::new("a b+c/d%e&f=g:h~i"),
        );
        assert_eq!(value, "Basic Y2xpZW50OmlkKzE6YSBiK2MvZCVlJmY9Zzpofmk=");
    }
}
