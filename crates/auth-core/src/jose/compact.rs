//! The JWS Compact Serialization (RFC 7515 §7.1), both ways and without a
//! crypto library: [`SigningInput`] is the first half of signing (the
//! caller signs its bytes, locally or remotely, then calls
//! [`SigningInput::finish`]); [`CompactJws::parse`] splits a token into
//! what a verifier needs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use super::error::{JwsError, Part};
use super::header::Header;

/// The longest compact JWS [`CompactJws::parse`] accepts by default: 16
/// KiB, twice nginx's default `large_client_header_buffers` line (8 KiB),
/// far above a real access token.
pub const MAX_COMPACT_LEN: usize = 16 * 1024;

/// `BASE64URL(header) || '.' || BASE64URL(payload)`: the bytes a JWS
/// signature covers (RFC 7515 §5.1 step 5).
///
/// ```
/// # fn main() -> Result<(), auth_core::Error> {
/// use auth_core::jose::{Algorithm, CompactJws, Header, SigningInput};
/// let input = SigningInput::new(&Header::access_token(Algorithm::Es256, "k1"), &serde_json::json!({"sub": "svc"}))?;
/// let signature = [7u8; 64]; // from the key's owner: local, HSM or KMS
/// assert!(input.as_bytes().starts_with(b"eyJ"));
/// let token = input.finish(&signature);
/// let jws = CompactJws::parse(&token)?;
/// assert_eq!(jws.signature(), &signature);
/// assert_eq!(jws.payload(), br#"{"sub":"svc"}"#);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningInput {
    text: String,
}

impl SigningInput {
    /// Serializes `header` and `claims` (as JSON) into the signing input.
    pub fn new<C: Serialize + ?Sized>(header: &Header, claims: &C) -> Result<Self, JwsError> {
        Self::with_encoded_header(&EncodedHeader::new(header), claims)
    }

    /// The signing input of `header` and an already serialized payload.
    #[must_use]
    pub fn from_payload(header: &Header, payload: &[u8]) -> Self {
        Self::from_encoded_header(&EncodedHeader::new(header), payload)
    }

    /// Serializes `claims` (as JSON) under a header encoded beforehand: a
    /// signer that makes many tokens under one header encodes it once.
    pub fn with_encoded_header<C: Serialize + ?Sized>(
        header: &EncodedHeader,
        claims: &C,
    ) -> Result<Self, JwsError> {
        let payload = serde_json::to_vec(claims).map_err(|source| JwsError::Json {
            part: Part::Payload,
            source,
        })?;
        Ok(Self::from_encoded_header(header, &payload))
    }

    /// The signing input of a header encoded beforehand and an already
    /// serialized payload, in one buffer with room for the signature.
    #[must_use]
    pub fn from_encoded_header(header: &EncodedHeader, payload: &[u8]) -> Self {
        let mut text = String::with_capacity(
            header.text.len() + 1 + payload.len().div_ceil(3) * 4 + 1 + SIGNATURE_ROOM,
        );
        text.push_str(&header.text);
        text.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut text);
        Self { text }
    }

    /// What the signature covers.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    /// The compact JWS: the signing input, `.`, and the signature in
    /// base64url.
    #[must_use]
    pub fn finish(self, signature: &[u8]) -> String {
        let mut text = self.text;
        text.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut text);
        text
    }
}

/// Room reserved after a signing input for `.` and the base64url
/// signature: an ES256 or `EdDSA` signature (64 bytes, 86 characters)
/// fits; an RSA one grows the buffer once.
const SIGNATURE_ROOM: usize = 86;

/// A protected header in its base64url form, the first part of a compact
/// JWS (RFC 7515 §7.1), encoded once for all the tokens a key signs.
///
/// ```
/// # fn main() -> Result<(), auth_core::Error> {
/// use auth_core::jose::{Algorithm, EncodedHeader, Header, SigningInput};
/// let header = Header::access_token(Algorithm::EdDsa, "k1");
/// let encoded = EncodedHeader::new(&header);
/// let claims = serde_json::json!({"sub": "svc"});
/// assert_eq!(
///     SigningInput::with_encoded_header(&encoded, &claims)?,
///     SigningInput::new(&header, &claims)?,
/// );
/// assert_eq!(encoded.header(), &header);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedHeader {
    header: Header,
    text: String,
}

impl EncodedHeader {
    /// Encodes `header`: `BASE64URL(UTF8(JWS Protected Header))`.
    #[must_use]
    pub fn new(header: &Header) -> Self {
        Self {
            header: header.clone(),
            text: URL_SAFE_NO_PAD.encode(header.to_json()),
        }
    }

    /// The header it encodes.
    #[must_use]
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The base64url text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// A compact JWS split into its parts: the header parsed, the payload and
/// signature decoded, and the signing input as received. Nothing here is
/// verified: check the signature over [`signing_input`](Self::signing_input)
/// with the key named by the header before trusting the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactJws<'a> {
    header: Header,
    payload: Vec<u8>,
    signing_input: &'a str,
    signature: Vec<u8>,
}

impl<'a> CompactJws<'a> {
    /// Splits `token` (at most [`MAX_COMPACT_LEN`] bytes).
    pub fn parse(token: &'a str) -> Result<Self, JwsError> {
        Self::parse_with_limit(token, MAX_COMPACT_LEN)
    }

    /// Splits `token`, refusing one longer than `limit` bytes before any
    /// decoding.
    pub fn parse_with_limit(token: &'a str, limit: usize) -> Result<Self, JwsError> {
        if token.len() > limit {
            return Err(JwsError::TooLong {
                len: token.len(),
                limit,
            });
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwsError::Parts(token.split('.').count()));
        };
        let header_json = decode(header, Part::Header)?;
        let header = Header::from_json(&header_json)?;
        let payload = decode(payload, Part::Payload)?;
        let signature = decode(signature, Part::Signature)?;
        if signature.is_empty() {
            return Err(JwsError::EmptySignature);
        }
        // The signing input is the received text up to the second dot.
        let signing_input = &token[..token.len() - signature_len(token)];
        Ok(Self {
            header,
            payload,
            signing_input,
            signature,
        })
    }

    /// The protected header.
    #[must_use]
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The decoded payload (for a JWT, the claims JSON).
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The bytes the signature covers, as received.
    #[must_use]
    pub fn signing_input(&self) -> &'a [u8] {
        self.signing_input.as_bytes()
    }

    /// The decoded signature.
    #[must_use]
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
}

/// The length of `.signature` at the end of a token with three parts.
fn signature_len(token: &str) -> usize {
    token.rfind('.').map_or(0, |dot| token.len() - dot)
}

/// Strict unpadded base64url (RFC 7515 §2): no `=`, no whitespace, no
/// non-canonical trailing bits.
fn decode(part: &str, which: Part) -> Result<Vec<u8>, JwsError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwsError::Base64(which))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::Algorithm;
    use proptest::prelude::*;

    fn message(token: &str) -> String {
        CompactJws::parse(token)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn malformed_tokens_get_typed_errors() {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#);
        let none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#);
        insta::assert_snapshot!(message("a.b"), @"jws has 2 dot-separated parts, not 3");
        insta::assert_snapshot!(message("a.b.c.d.e"), @"jws has 5 dot-separated parts, not 3");
        insta::assert_snapshot!(message("a=.b.c"), @"jws header is not unpadded base64url");
        insta::assert_snapshot!(message(&format!("{header}.e30.")), @"jws signature is empty");
        insta::assert_snapshot!(message(&format!("{header}.e30.a+b")), @"jws signature is not unpadded base64url");
        insta::assert_snapshot!(message(&format!("{none}.e30.AA")), @"algorithm `none` is refused");
        insta::assert_snapshot!(message("e30.e30.AA"), @"jws header is not valid JSON");
        insta::assert_snapshot!(message(&"a".repeat(MAX_COMPACT_LEN + 1)), @"jws is 16385 bytes, more than the limit of 16384");
    }

    #[test]
    fn signing_input_is_what_a_parse_gives_back() -> Result<(), JwsError> {
        let header = Header::access_token(Algorithm::EdDsa, "k");
        let input = SigningInput::from_payload(&header, b"{}");
        let expected = input.as_bytes().to_vec();
        let token = input.finish(&[1, 2, 3]);
        let jws = CompactJws::parse(&token)?;
        assert_eq!(jws.signing_input(), expected.as_slice());
        assert_eq!(jws.header(), &header);
        Ok(())
    }

    proptest! {
        #[test]
        fn prop_compact_jws_roundtrip(
            payload in proptest::collection::vec(any::<u8>(), 0..256),
            signature in proptest::collection::vec(any::<u8>(), 1..128),
            kid in "[ -~]{0,20}",
            alg in proptest::sample::select(Algorithm::ALL.to_vec()),
        ) {
            let header = Header { alg, typ: Some("at+jwt".into()), kid: Some(kid) };
            let token = SigningInput::from_payload(&header, &payload).finish(&signature);
            let jws = CompactJws::parse_with_limit(&token, usize::MAX);
            prop_assert!(jws.is_ok());
            if let Ok(jws) = jws {
                prop_assert_eq!(jws.header(), &header);
                prop_assert_eq!(jws.payload(), payload.as_slice());
                prop_assert_eq!(jws.signature(), signature.as_slice());
            }
        }

        #[test]
        fn prop_compact_jws_parse_never_panics(token in "[A-Za-z0-9_.=+/-]{0,64}") {
            let _ = CompactJws::parse(&token);
        }
    }
}
