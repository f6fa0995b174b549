//! [`Jwk`] and [`JwkSet`]: public keys as RFC 7517 JSON, for the key types
//! behind [`Algorithm::ASYMMETRIC`](super::Algorithm::ASYMMETRIC): RSA (RFC
//! 7518 §6.3), EC P-256 (RFC 7518 §6.2) and OKP Ed25519 (RFC 8037 §2).
//!
//! Parsing is strict where the key is one this crate knows: a malformed
//! member is an error, not a key silently dropped, and private members are
//! refused. A set skips what it does not know (RFC 7517 §5: "SHOULD ignore
//! JWKs ... that use "kty" values that are not understood", or curves "out
//! of the supported ranges"), so a provider's other keys do not break it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::error::{JwkError, excerpt};

/// The bytes of a P-256 coordinate and of an Ed25519 public key.
const POINT_LEN: usize = 32;

/// Members that hold private key material (RFC 7518 §6.2.2, §6.3.2, §6.4;
/// RFC 8037 §2).
const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

/// The public part of a key, by type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicKey {
    /// `kty: RSA`: modulus and public exponent, big-endian, minimal.
    Rsa {
        /// `n`, the modulus.
        n: Vec<u8>,
        /// `e`, the public exponent.
        e: Vec<u8>,
    },
    /// `kty: EC`, `crv: P-256`: the point's coordinates.
    P256 {
        /// `x`, 32 bytes.
        x: Vec<u8>,
        /// `y`, 32 bytes.
        y: Vec<u8>,
    },
    /// `kty: OKP`, `crv: Ed25519`: the public key.
    Ed25519 {
        /// `x`, 32 bytes.
        x: Vec<u8>,
    },
}

impl PublicKey {
    /// The `kty` value.
    #[must_use]
    pub fn kty(&self) -> &'static str {
        match self {
            Self::Rsa { .. } => "RSA",
            Self::P256 { .. } => "EC",
            Self::Ed25519 { .. } => "OKP",
        }
    }
}

/// A public JSON Web Key (RFC 7517 §4).
///
/// ```
/// # fn main() -> Result<(), auth_core::Error> {
/// use auth_core::jose::{Jwk, PublicKey};
/// let jwk = Jwk::new(PublicKey::Ed25519 { x: vec![9; 32] })
///     .with_kid("k1").with_use("sig").with_alg("EdDSA");
/// let json = jwk.to_json();
/// assert_eq!(json, r#"{"kty":"OKP","kid":"k1","use":"sig","alg":"EdDSA","crv":"Ed25519","x":"CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk"}"#);
/// assert_eq!(Jwk::from_json(json.as_bytes())?, jwk);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwk {
    /// The key itself.
    pub key: PublicKey,
    /// OPTIONAL. Key ID (RFC 7517 §4.5), matched against a JWS `kid`.
    pub kid: Option<String>,
    /// OPTIONAL. Intended use (RFC 7517 §4.2): `sig` for signing keys.
    pub key_use: Option<String>,
    /// OPTIONAL. The algorithm the key is for (RFC 7517 §4.4), kept as
    /// written: a name this crate does not implement is not an error here.
    pub alg: Option<String>,
}

impl Jwk {
    /// A key with no `kid`, `use` or `alg`.
    #[must_use]
    pub fn new(key: PublicKey) -> Self {
        Self {
            key,
            kid: None,
            key_use: None,
            alg: None,
        }
    }

    /// Sets `kid`.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Sets `use`.
    #[must_use]
    pub fn with_use(mut self, key_use: impl Into<String>) -> Self {
        self.key_use = Some(key_use.into());
        self
    }

    /// Sets `alg`.
    #[must_use]
    pub fn with_alg(mut self, alg: impl Into<String>) -> Self {
        self.alg = Some(alg.into());
        self
    }

    /// Parses one key; an unknown `kty` or curve is an error.
    pub fn from_json(json: &[u8]) -> Result<Self, JwkError> {
        let value: Map<String, Value> = serde_json::from_slice(json).map_err(JwkError::Json)?;
        Self::from_object(&value)
    }

    /// The key as compact JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads one key from a JSON object.
    pub fn from_object(object: &Map<String, Value>) -> Result<Self, JwkError> {
        let kty = member(object, "kty", "kty")?.ok_or(JwkError::MissingKeyType)?;
        // Checked for the key types this crate knows (a set skips the
        // others, private members and all), before any key member is read.
        if matches!(kty, "RSA" | "EC" | "OKP")
            && let Some(private) = PRIVATE_MEMBERS.iter().find(|m| object.contains_key(**m))
        {
            return Err(JwkError::PrivateMember(private));
        }
        let key = match kty {
            "RSA" => PublicKey::Rsa {
                n: uint(object, "RSA", "n")?,
                e: uint(object, "RSA", "e")?,
            },
            "EC" => {
                curve(object, "EC", "P-256")?;
                PublicKey::P256 {
                    x: point(object, "EC", "x")?,
                    y: point(object, "EC", "y")?,
                }
            }
            "OKP" => {
                curve(object, "OKP", "Ed25519")?;
                PublicKey::Ed25519 {
                    x: point(object, "OKP", "x")?,
                }
            }
            other => return Err(JwkError::UnsupportedKeyType(excerpt(other))),
        };
        Ok(Self {
            key,
            kid: member(object, "kid", "kid")?.map(str::to_owned),
            key_use: member(object, "use", "use")?.map(str::to_owned),
            alg: member(object, "alg", "alg")?.map(str::to_owned),
        })
    }
}

impl Serialize for Jwk {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("kty", self.key.kty())?;
        for (name, value) in [
            ("kid", &self.kid),
            ("use", &self.key_use),
            ("alg", &self.alg),
        ] {
            if let Some(value) = value {
                map.serialize_entry(name, value)?;
            }
        }
        match &self.key {
            PublicKey::Rsa { n, e } => {
                map.serialize_entry("n", &URL_SAFE_NO_PAD.encode(n))?;
                map.serialize_entry("e", &URL_SAFE_NO_PAD.encode(e))?;
            }
            PublicKey::P256 { x, y } => {
                map.serialize_entry("crv", "P-256")?;
                map.serialize_entry("x", &URL_SAFE_NO_PAD.encode(x))?;
                map.serialize_entry("y", &URL_SAFE_NO_PAD.encode(y))?;
            }
            PublicKey::Ed25519 { x } => {
                map.serialize_entry("crv", "Ed25519")?;
                map.serialize_entry("x", &URL_SAFE_NO_PAD.encode(x))?;
            }
        }
        map.end()
    }
}

/// A string member, if present; another JSON type is an error.
fn member<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    label: &'static str,
) -> Result<Option<&'a str>, JwkError> {
    match object.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(JwkError::NotString(label)),
    }
}

/// A REQUIRED string member of a key type.
fn required<'a>(
    object: &'a Map<String, Value>,
    kty: &'static str,
    name: &'static str,
) -> Result<&'a str, JwkError> {
    match object.get(name) {
        Some(Value::String(s)) => Ok(s),
        _ => Err(JwkError::Missing { kty, member: name }),
    }
}

fn bytes(
    object: &Map<String, Value>,
    kty: &'static str,
    name: &'static str,
) -> Result<Vec<u8>, JwkError> {
    URL_SAFE_NO_PAD
        .decode(required(object, kty, name)?)
        .map_err(|_| JwkError::Base64(name))
}

/// RFC 7518 §2 `Base64urlUInt`: non-empty, "the minimum number of octets"
/// (no leading zero byte, except the value zero itself, which no RSA key has).
fn uint(
    object: &Map<String, Value>,
    kty: &'static str,
    name: &'static str,
) -> Result<Vec<u8>, JwkError> {
    let value = bytes(object, kty, name)?;
    match value.first() {
        None => Err(JwkError::Invalid {
            member: name,
            reason: "empty",
        }),
        Some(0) => Err(JwkError::Invalid {
            member: name,
            reason: "leading zero byte (RFC 7518 §2 wants the minimum number of octets)",
        }),
        Some(_) => Ok(value),
    }
}

/// A P-256 coordinate or Ed25519 key: exactly 32 bytes (RFC 7518
/// §6.2.1.2, RFC 8037 §2).
fn point(
    object: &Map<String, Value>,
    kty: &'static str,
    name: &'static str,
) -> Result<Vec<u8>, JwkError> {
    let value = bytes(object, kty, name)?;
    if value.len() == POINT_LEN {
        Ok(value)
    } else {
        Err(JwkError::Invalid {
            member: name,
            reason: "not 32 bytes",
        })
    }
}

/// The key material of a private JWK, decoded and checked for shape: what
/// a crypto library builds a signing key from (ring's
/// `RsaKeyPair::from_components`, `EcdsaKeyPair::from_private_key_and_public_key`,
/// `Ed25519KeyPair::from_seed_and_public_key`). Whether the numbers make a
/// key is that library's to check. `Debug` names the key type only.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrivateKey {
    /// `kty: RSA` with the private exponent and the CRT members (RFC 7518
    /// §6.3.2), big-endian. RFC 7518 makes only `d` REQUIRED but every
    /// fast RSA needs the rest, so this crate requires them; multi-prime
    /// keys (`oth`) are refused.
    Rsa {
        /// `n`, the modulus.
        n: Vec<u8>,
        /// `e`, the public exponent.
        e: Vec<u8>,
        /// `d`, the private exponent.
        d: Vec<u8>,
        /// `p`, the first prime factor.
        p: Vec<u8>,
        /// `q`, the second prime factor.
        q: Vec<u8>,
        /// `dp`, `d mod (p - 1)`.
        dp: Vec<u8>,
        /// `dq`, `d mod (q - 1)`.
        dq: Vec<u8>,
        /// `qi`, `q⁻¹ mod p`.
        qi: Vec<u8>,
    },
    /// `kty: EC`, `crv: P-256` (RFC 7518 §6.2.2): the public point and the
    /// private scalar, 32 bytes each.
    P256 {
        /// `x`.
        x: Vec<u8>,
        /// `y`.
        y: Vec<u8>,
        /// `d`, the private scalar.
        d: Vec<u8>,
    },
    /// `kty: OKP`, `crv: Ed25519` (RFC 8037 §2): the public key and the
    /// private seed, 32 bytes each.
    Ed25519 {
        /// `x`, the public key.
        x: Vec<u8>,
        /// `d`, the seed.
        d: Vec<u8>,
    },
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Self::Rsa { .. } => "Rsa",
            Self::P256 { .. } => "P256",
            Self::Ed25519 { .. } => "Ed25519",
        };
        f.debug_tuple(name).field(&"[REDACTED]").finish()
    }
}

/// A private JSON Web Key (RFC 7517 §4): a key file a signer reads.
///
/// ```
/// # fn main() -> Result<(), auth_core::Error> {
/// use auth_core::jose::{PrivateJwk, PrivateKey};
/// let jwk = PrivateJwk::from_json(br#"{"kty":"OKP","crv":"Ed25519","kid":"k1",
///     "x":"CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk",
///     "d":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc"}"#)?;
/// assert_eq!(jwk.kid.as_deref(), Some("k1"));
/// assert!(matches!(&jwk.key, PrivateKey::Ed25519 { d, .. } if d == &[7; 32]));
/// assert_eq!(format!("{:?}", jwk.key), r#"Ed25519("[REDACTED]")"#);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateJwk {
    /// The key material.
    pub key: PrivateKey,
    /// OPTIONAL. Key ID (RFC 7517 §4.5).
    pub kid: Option<String>,
}

impl PrivateJwk {
    /// Parses one private key: RSA, EC P-256 or OKP Ed25519; another type
    /// or curve, a missing or malformed member is an error that names the
    /// member and never holds its value.
    pub fn from_json(json: &[u8]) -> Result<Self, JwkError> {
        let object: Map<String, Value> = serde_json::from_slice(json).map_err(JwkError::Json)?;
        let kty = member(&object, "kty", "kty")?.ok_or(JwkError::MissingKeyType)?;
        let key = match kty {
            "RSA" => {
                if object.contains_key("oth") {
                    return Err(JwkError::Invalid {
                        member: "oth",
                        reason: "multi-prime RSA keys are not supported",
                    });
                }
                let int = |name| nonempty(&object, "RSA", name);
                PrivateKey::Rsa {
                    n: int("n")?,
                    e: int("e")?,
                    d: int("d")?,
                    p: int("p")?,
                    q: int("q")?,
                    dp: int("dp")?,
                    dq: int("dq")?,
                    qi: int("qi")?,
                }
            }
            "EC" => {
                curve(&object, "EC", "P-256")?;
                PrivateKey::P256 {
                    x: point(&object, "EC", "x")?,
                    y: point(&object, "EC", "y")?,
                    d: point(&object, "EC", "d")?,
                }
            }
            "OKP" => {
                curve(&object, "OKP", "Ed25519")?;
                PrivateKey::Ed25519 {
                    x: point(&object, "OKP", "x")?,
                    d: point(&object, "OKP", "d")?,
                }
            }
            other => return Err(JwkError::UnsupportedKeyType(excerpt(other))),
        };
        Ok(Self {
            key,
            kid: member(&object, "kid", "kid")?.map(str::to_owned),
        })
    }
}

/// The REQUIRED `crv` of an EC or OKP key, which must be the one curve
/// this crate implements for `kty`.
fn curve(object: &Map<String, Value>, kty: &'static str, supported: &str) -> Result<(), JwkError> {
    match required(object, kty, "crv")? {
        crv if crv == supported => Ok(()),
        other => Err(JwkError::UnsupportedCurve {
            kty,
            crv: excerpt(other),
        }),
    }
}

/// A member's bytes, not empty.
fn nonempty(
    object: &Map<String, Value>,
    kty: &'static str,
    name: &'static str,
) -> Result<Vec<u8>, JwkError> {
    let value = bytes(object, kty, name)?;
    if value.is_empty() {
        Err(JwkError::Invalid {
            member: name,
            reason: "empty",
        })
    } else {
        Ok(value)
    }
}

/// A JWK Set (RFC 7517 §5): what `jwks_uri` serves.
///
/// ```
/// # fn main() -> Result<(), auth_core::Error> {
/// use auth_core::jose::JwkSet;
/// let set = JwkSet::from_json(br#"{"keys":[{"kty":"oct","k":"c2VjcmV0"},
///     {"kty":"OKP","crv":"Ed25519","kid":"k1","x":"CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk"}]}"#)?;
/// assert_eq!(set.keys.len(), 1, "the symmetric key is skipped");
/// assert!(set.find("k1").is_some());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct JwkSet {
    /// REQUIRED. The keys.
    pub keys: Vec<Jwk>,
}

impl JwkSet {
    /// Parses a set: members of an unknown `kty` or curve are skipped, a
    /// malformed member of a known one is an error.
    pub fn from_json(json: &[u8]) -> Result<Self, JwkError> {
        let mut document: Map<String, Value> =
            serde_json::from_slice(json).map_err(JwkError::Json)?;
        let Some(Value::Array(members)) = document.remove("keys") else {
            return Err(JwkError::MissingKeys);
        };
        let mut keys = Vec::with_capacity(members.len());
        for (index, member) in members.iter().enumerate() {
            let Value::Object(object) = member else {
                return Err(JwkError::NotObject(index));
            };
            match Jwk::from_object(object) {
                Ok(key) => keys.push(key),
                Err(JwkError::UnsupportedKeyType(_) | JwkError::UnsupportedCurve { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Self { keys })
    }

    /// The set as compact JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The first key with this `kid`.
    #[must_use]
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid.as_deref() == Some(kid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn message(json: &str) -> String {
        JwkSet::from_json(json.as_bytes())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    const X: &str = "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk";

    #[test]
    fn a_set_skips_unknown_key_types_and_curves() -> Result<(), JwkError> {
        let json = format!(
            r#"{{"keys":[{{"kty":"oct","k":"AA"}},{{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}},
            {{"kty":"OKP","crv":"X25519","x":"{X}"}},{{"kty":"OKP","crv":"Ed25519","x":"{X}","kid":"e"}}]}}"#
        );
        let set = JwkSet::from_json(json.as_bytes())?;
        assert_eq!(set.keys.len(), 1);
        assert_eq!(set.keys[0].kid.as_deref(), Some("e"));
        Ok(())
    }

    #[test]
    fn a_single_key_of_an_unknown_type_is_an_error() {
        assert!(matches!(
            Jwk::from_json(br#"{"kty":"oct","kid":"x"}"#),
            Err(JwkError::UnsupportedKeyType(_))
        ));
    }

    #[test]
    fn malformed_members_of_known_key_types_are_errors() {
        insta::assert_snapshot!(message(r#"{"keys":[{"kty":"RSA","e":"AQAB"}]}"#), @"RSA jwk is missing member `n`");
        insta::assert_snapshot!(message(r#"{"keys":[{"kty":"RSA","n":"AAEC","e":"AQAB"}]}"#), @"jwk member `n` is invalid: leading zero byte (RFC 7518 §2 wants the minimum number of octets)");
        insta::assert_snapshot!(message(r#"{"keys":[{"kty":"RSA","n":"ab+c","e":"AQAB"}]}"#), @"jwk member `n` is not unpadded base64url");
        insta::assert_snapshot!(message(r#"{"keys":[{"kty":"EC","crv":"P-256","x":"AQAB","y":"AQAB"}]}"#), @"jwk member `x` is invalid: not 32 bytes");
        insta::assert_snapshot!(message(r#"{"keys":[{"kty":"OKP","x":"AQAB"}]}"#), @"OKP jwk is missing member `crv`");
        insta::assert_snapshot!(message(r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AQAB","d":"AQAB"}]}"#), @"jwk carries private key member `d`");
        insta::assert_snapshot!(message(r#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","kid":7}]}"#), @"jwk member `kid` must be a string");
        insta::assert_snapshot!(message(r#"{"keys":[1]}"#), @"jwk set member 0 is not a JSON object");
        insta::assert_snapshot!(message(r#"{"keys":{}}"#), @"jwk set has no `keys` array");
        insta::assert_snapshot!(message(r#"{"keys":[{"use":"sig"}]}"#), @"jwk has no `kty`");
        insta::assert_snapshot!(message("["), @"jwk is not valid JSON: invalid type: sequence, expected a map at line 1 column 0");
    }

    fn private_message(json: &str) -> String {
        PrivateJwk::from_json(json.as_bytes())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn private_jwks_of_each_type_parse_to_their_members() -> Result<(), JwkError> {
        let rsa = PrivateJwk::from_json(
            br#"{"kty":"RSA","n":"AQAB","e":"AQAB","d":"Ag","p":"Aw","q":"BA","dp":"BQ","dq":"Bg","qi":"Bw","kid":"r"}"#,
        )?;
        assert_eq!(rsa.kid.as_deref(), Some("r"));
        assert!(
            matches!(rsa.key, PrivateKey::Rsa { ref d, ref qi, .. } if d == &[2] && qi == &[7])
        );
        let ec = PrivateJwk::from_json(
            format!(r#"{{"kty":"EC","crv":"P-256","x":"{X}","y":"{X}","d":"{X}"}}"#).as_bytes(),
        )?;
        assert!(matches!(ec.key, PrivateKey::P256 { .. }));
        assert_eq!(ec.kid, None);
        Ok(())
    }

    #[test]
    fn malformed_private_jwks_are_errors_that_name_the_member_not_its_value() {
        insta::assert_snapshot!(private_message(r#"{"kty":"RSA","n":"AQAB","e":"AQAB","d":"Ag"}"#), @"RSA jwk is missing member `p`");
        insta::assert_snapshot!(private_message(r#"{"kty":"RSA","n":"AQAB","e":"AQAB","d":"","p":"Aw","q":"BA","dp":"BQ","dq":"Bg","qi":"Bw"}"#), @"jwk member `d` is invalid: empty");
        insta::assert_snapshot!(private_message(r#"{"kty":"RSA","oth":[]}"#), @"jwk member `oth` is invalid: multi-prime RSA keys are not supported");
        insta::assert_snapshot!(private_message(&format!(r#"{{"kty":"EC","crv":"P-256","x":"{X}","y":"{X}","d":"c2VjcmV0"}}"#)), @"jwk member `d` is invalid: not 32 bytes");
        insta::assert_snapshot!(private_message(&format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{X}","d":"c2Vj+mV0"}}"#)), @"jwk member `d` is not unpadded base64url");
        insta::assert_snapshot!(private_message(r#"{"kty":"OKP","crv":"X25519"}"#), @"unsupported curve `X25519` for key type OKP");
        insta::assert_snapshot!(private_message(r#"{"kty":"oct","k":"c2VjcmV0"}"#), @"unsupported key type `oct`");
        insta::assert_snapshot!(private_message(r#"{"d":"c2VjcmV0"}"#), @"jwk has no `kty`");
        insta::assert_snapshot!(private_message("["), @"jwk is not valid JSON: invalid type: sequence, expected a map at line 1 column 0");
    }

    fn arb_key() -> impl Strategy<Value = PublicKey> {
        prop_oneof![
            (
                proptest::collection::vec(1u8.., 1..2),
                proptest::collection::vec(any::<u8>(), 0..300),
                proptest::collection::vec(1u8.., 1..2),
                proptest::collection::vec(any::<u8>(), 0..4),
            )
                .prop_map(|(n0, n, e0, e)| PublicKey::Rsa {
                    n: [n0, n].concat(),
                    e: [e0, e].concat(),
                }),
            (
                proptest::collection::vec(any::<u8>(), 32),
                proptest::collection::vec(any::<u8>(), 32)
            )
                .prop_map(|(x, y)| PublicKey::P256 { x, y }),
            proptest::collection::vec(any::<u8>(), 32).prop_map(|x| PublicKey::Ed25519 { x }),
        ]
    }

    proptest! {
        #[test]
        fn prop_jwk_set_roundtrip(
            keys in proptest::collection::vec(
                (arb_key(), proptest::option::of("[ -~]{0,12}"), proptest::option::of("sig|enc"), proptest::option::of("RS256|ES256|EdDSA|PS512")),
                0..4,
            ),
        ) {
            let set = JwkSet {
                keys: keys
                    .into_iter()
                    .map(|(key, kid, key_use, alg)| Jwk { key, kid, key_use, alg })
                    .collect(),
            };
            let parsed = JwkSet::from_json(set.to_json().as_bytes());
            prop_assert_eq!(parsed.ok(), Some(set));
        }
    }
}
