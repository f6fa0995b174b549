//! Private signing keys and signature checks with `ring` (feature `ring`):
//! the one place the workspace turns key files into `ring` key pairs, so the
//! client's assertion signer (auth-http) and the provider's token signer
//! (mock-server) read the same formats, refuse the same keys, and derive
//! the same public JWKs. Reading the file is the caller's: this is bytes in,
//! keys out.

use ring::rand::SystemRandom;
use ring::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair, RsaPublicKeyComponents,
    UnparsedPublicKey,
};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject as _;

use super::{Algorithm, JwkError, PrivateJwk, PrivateKey, PublicKey};

/// Why bytes did not make a [`KeyPair`]. Never holds key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyPairError {
    /// The text holds no PEM private key.
    #[error("not a PEM private key: {0}")]
    Pem(#[source] rustls_pki_types::pem::Error),
    /// A JSON key is not a private JWK of a supported type (the source
    /// names the member, never its value).
    #[error("not a usable private JWK")]
    Jwk(#[from] JwkError),
    /// The key is of a kind or format `ring` does not sign with, or `ring`
    /// rejected its numbers; the text says which, and what would do.
    #[error("{0}")]
    Unsupported(String),
}

/// `ring`'s key pair of one of the asymmetric algorithms.
enum Pair {
    Rsa(RsaKeyPair),
    Es256(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A private key that signs for one algorithm: RS256 (RSA, 2048 to 8192
/// bits), ES256 (P-256) or `EdDSA` (Ed25519), with its public half.
/// `Debug` prints the algorithm only.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use auth_core::jose::{Algorithm, KeyPair, verify_signature};
/// let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIEe5RV/yXPhKBwi8F7u+y3/X7Dbw4Jrnb4HveqrLRQho\n-----END PRIVATE KEY-----\n";
/// let (key, kid) = KeyPair::from_pem_or_jwk(pem.as_bytes())?;
/// assert_eq!((key.alg(), kid), (Algorithm::EdDsa, None));
/// let signature = key.sign(b"input")?;
/// assert!(verify_signature(key.public_key(), Algorithm::EdDsa, b"input", &signature).is_ok());
/// assert!(!format!("{key:?}").contains("MC4C"));
/// # Ok(()) }
/// ```
pub struct KeyPair {
    alg: Algorithm,
    public: PublicKey,
    pair: Pair,
    /// Signing randomness (RSA blinding, ECDSA nonces): stateless, each
    /// fill asks the OS.
    rng: SystemRandom,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// `ring` could not sign: its random generator failed (RSA and ECDSA only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} signing failed: the system random generator failed")]
pub struct SignFailed(pub Algorithm);

impl KeyPair {
    fn new(pair: Pair) -> Self {
        let (alg, public) = match &pair {
            Pair::Rsa(pair) => {
                let c = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
                (Algorithm::Rs256, PublicKey::Rsa { n: c.n, e: c.e })
            }
            Pair::Es256(pair) => {
                // SEC 1 §2.3.3 uncompressed point: 0x04 || x || y.
                let point = pair.public_key().as_ref().get(1..).unwrap_or_default();
                let (x, y) = point.split_at(point.len() / 2);
                let (x, y) = (x.to_vec(), y.to_vec());
                (Algorithm::Es256, PublicKey::P256 { x, y })
            }
            Pair::Ed25519(pair) => {
                let x = pair.public_key().as_ref().to_vec();
                (Algorithm::EdDsa, PublicKey::Ed25519 { x })
            }
        };
        Self {
            alg,
            public,
            pair,
            rng: SystemRandom::new(),
        }
    }

    /// A private JWK (JSON, with its `kid` if it has one) or a PEM private
    /// key (no `kid`): what a key file holds, told apart by its first byte.
    pub fn from_pem_or_jwk(bytes: &[u8]) -> Result<(Self, Option<String>), KeyPairError> {
        if bytes.trim_ascii_start().starts_with(b"{") {
            let jwk = PrivateJwk::from_json(bytes)?;
            Ok((Self::from_private_jwk(&jwk)?, jwk.kid))
        } else {
            Ok((Self::from_pem(bytes)?, None))
        }
    }

    /// A PKCS#8 PEM key (RSA, EC P-256, Ed25519) or a PKCS#1 RSA key.
    pub fn from_pem(pem: &[u8]) -> Result<Self, KeyPairError> {
        match PrivateKeyDer::from_pem_slice(pem).map_err(KeyPairError::Pem)? {
            PrivateKeyDer::Pkcs1(der) => RsaKeyPair::from_der(der.secret_pkcs1_der())
                .map(|pair| Self::new(Pair::Rsa(pair)))
                .map_err(|e| unsupported(format!("RSA key rejected (2048 to 8192 bits): {e}"))),
            PrivateKeyDer::Pkcs8(der) => Self::from_pkcs8_der(der.secret_pkcs8_der()),
            PrivateKeyDer::Sec1(_) => Err(unsupported(
                "SEC 1 EC keys are not read: convert to PKCS#8 (openssl pkcs8 -topk8 -nocrypt)",
            )),
            _ => Err(unsupported("unknown private key format")),
        }
    }

    /// A PKCS#8 DER key of any supported type (what key generators emit).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyPairError> {
        let pair = if let Ok(pair) = RsaKeyPair::from_pkcs8(der) {
            Pair::Rsa(pair)
        } else if let Ok(pair) = EcdsaKeyPair::from_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            der,
            &SystemRandom::new(),
        ) {
            Pair::Es256(pair)
        } else if let Ok(pair) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            Pair::Ed25519(pair)
        } else {
            return Err(unsupported(
                "not an RSA (2048 to 8192 bits), EC P-256 or Ed25519 PKCS#8 key",
            ));
        };
        Ok(Self::new(pair))
    }

    /// A private JWK (RFC 7517 §4; RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2)
    /// read by [`PrivateJwk::from_json`]; its `kid` is the caller's.
    pub fn from_private_jwk(jwk: &PrivateJwk) -> Result<Self, KeyPairError> {
        let rejected = |e: ring::error::KeyRejected| unsupported(format!("jwk key rejected: {e}"));
        let pair = match &jwk.key {
            PrivateKey::Rsa {
                n,
                e,
                d,
                p,
                q,
                dp,
                dq,
                qi,
            } => Pair::Rsa(
                RsaKeyPair::from_components(&ring::rsa::KeyPairComponents {
                    public_key: RsaPublicKeyComponents { n, e },
                    d,
                    p,
                    q,
                    dP: dp,
                    dQ: dq,
                    qInv: qi,
                })
                .map_err(rejected)?,
            ),
            PrivateKey::P256 { x, y, d } => Pair::Es256(
                EcdsaKeyPair::from_private_key_and_public_key(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    d,
                    &uncompressed_point(x, y),
                    &SystemRandom::new(),
                )
                .map_err(rejected)?,
            ),
            PrivateKey::Ed25519 { x, d } => {
                Pair::Ed25519(Ed25519KeyPair::from_seed_and_public_key(d, x).map_err(rejected)?)
            }
        };
        Ok(Self::new(pair))
    }

    /// The algorithm this key signs with (the key's type decides).
    #[must_use]
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The public half, for a JWK.
    #[must_use]
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Signs `message` (a JWS signing input), in the JWS form (RFC 7518
    /// §3: ECDSA as `r || s`, not DER).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignFailed> {
        let failed = |_| SignFailed(self.alg);
        match &self.pair {
            Pair::Rsa(pair) => {
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &self.rng,
                    message,
                    &mut signature,
                )
                .map_err(failed)?;
                Ok(signature)
            }
            Pair::Es256(pair) => Ok(pair
                .sign(&self.rng, message)
                .map_err(failed)?
                .as_ref()
                .to_vec()),
            Pair::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }
}

/// Why a signature did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The key's type is not the algorithm's (an RSA key for ES256, or
    /// HS256, which has no public key): the algorithm is never taken
    /// from a header alone (RFC 8725 §3.1).
    #[error("the key cannot verify this algorithm")]
    KeyMismatch,
    /// The signature is not the key's over the input.
    #[error("bad signature")]
    Bad,
}

/// Checks `signature` over `input` with `key`, for `alg` only.
pub fn verify_signature(
    key: &PublicKey,
    alg: Algorithm,
    input: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    let verified = match (key, alg) {
        (PublicKey::Rsa { n, e }, Algorithm::Rs256) => RsaPublicKeyComponents { n, e }.verify(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            input,
            signature,
        ),
        (PublicKey::P256 { x, y }, Algorithm::Es256) => UnparsedPublicKey::new(
            &signature::ECDSA_P256_SHA256_FIXED,
            uncompressed_point(x, y),
        )
        .verify(input, signature),
        (PublicKey::Ed25519 { x }, Algorithm::EdDsa) => {
            UnparsedPublicKey::new(&signature::ED25519, x).verify(input, signature)
        }
        _ => return Err(SignatureError::KeyMismatch),
    };
    verified.map_err(|_| SignatureError::Bad)
}

/// SEC 1 §2.3.3 uncompressed point: 0x04 || x || y.
fn uncompressed_point(x: &[u8], y: &[u8]) -> Vec<u8> {
    let mut point = Vec::with_capacity(1 + x.len() + y.len());
    point.push(0x04);
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    point
}

fn unsupported(reason: impl Into<String>) -> KeyPairError {
    KeyPairError::Unsupported(reason.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED25519_PEM: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIEe5RV/yXPhKBwi8F7u+y3/X7Dbw4Jrnb4HveqrLRQho\n-----END PRIVATE KEY-----\n";

    fn generated(alg: Algorithm) -> KeyPair {
        let rng = SystemRandom::new();
        let pkcs8 = match alg {
            Algorithm::Es256 => {
                EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            }
            _ => Ed25519KeyPair::generate_pkcs8(&rng),
        };
        let pkcs8 = pkcs8.unwrap_or_else(|_| panic!("generate {alg}"));
        KeyPair::from_pkcs8_der(pkcs8.as_ref()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_signature_verifies_with_the_public_half_and_nothing_else() {
        for alg in [Algorithm::Es256, Algorithm::EdDsa] {
            let key = generated(alg);
            assert_eq!(key.alg(), alg);
            let signature = key.sign(b"header.payload").unwrap_or_default();
            assert_eq!(
                verify_signature(key.public_key(), alg, b"header.payload", &signature),
                Ok(())
            );
            assert_eq!(
                verify_signature(key.public_key(), alg, b"header.payloaD", &signature),
                Err(SignatureError::Bad)
            );
            let other = generated(alg);
            assert_eq!(
                verify_signature(other.public_key(), alg, b"header.payload", &signature),
                Err(SignatureError::Bad)
            );
            assert_eq!(
                verify_signature(key.public_key(), Algorithm::Hs256, b"x", &signature),
                Err(SignatureError::KeyMismatch)
            );
        }
        let es = generated(Algorithm::Es256);
        assert_eq!(
            verify_signature(es.public_key(), Algorithm::EdDsa, b"x", b"sig"),
            Err(SignatureError::KeyMismatch)
        );
    }

    #[test]
    fn a_p256_public_half_is_two_32_byte_coordinates() {
        let key = generated(Algorithm::Es256);
        let PublicKey::P256 { x, y } = key.public_key() else {
            panic!("not a P-256 public key: {:?}", key.public_key());
        };
        assert_eq!((x.len(), y.len()), (32, 32));
    }

    #[test]
    fn pem_and_jwk_of_one_key_make_the_same_public_half() {
        let (from_pem, kid) =
            KeyPair::from_pem_or_jwk(ED25519_PEM.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(kid, None);
        let PublicKey::Ed25519 { x } = from_pem.public_key() else {
            panic!("not Ed25519");
        };
        // The seed is the PKCS#8 body's last 32 bytes (RFC 8410 §7).
        let seed = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            "MC4CAQAwBQYDK2VwBCIEIEe5RV/yXPhKBwi8F7u+y3/X7Dbw4Jrnb4HveqrLRQho",
        )
        .unwrap_or_default();
        let b64 = |bytes: &[u8]| {
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes)
        };
        let json = format!(
            r#"{{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"{}","d":"{}"}}"#,
            b64(x),
            b64(seed.get(16..).unwrap_or_default())
        );
        let (from_jwk, kid) =
            KeyPair::from_pem_or_jwk(json.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(kid.as_deref(), Some("k1"));
        assert_eq!(from_jwk.public_key(), from_pem.public_key());
        // Ed25519 is deterministic: the same key signs the same bytes.
        assert_eq!(from_jwk.sign(b"m"), from_pem.sign(b"m"));
    }

    #[test]
    fn bad_key_bytes_are_typed_errors_that_hold_no_key_material() {
        assert!(matches!(
            KeyPair::from_pem(b"not pem"),
            Err(KeyPairError::Pem(_))
        ));
        let sec1 = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n";
        let Err(KeyPairError::Unsupported(reason)) = KeyPair::from_pem(sec1.as_bytes()) else {
            panic!("a SEC 1 key was not refused as unsupported");
        };
        assert!(reason.contains("PKCS#8"), "{reason}");
        assert!(matches!(
            KeyPair::from_pkcs8_der(b"\x30\x03\x02\x01\x00"),
            Err(KeyPairError::Unsupported(_))
        ));
        assert!(matches!(
            KeyPair::from_pem_or_jwk(br#"{"kty":"oct","k":"c2VjcmV0"}"#),
            Err(KeyPairError::Jwk(_))
        ));
        // A P-256 JWK whose point is not on the curve: refused, and the
        // error does not echo the numbers.
        let d = "AQ".repeat(21) + "A";
        let json = format!(r#"{{"kty":"EC","crv":"P-256","x":"{d}","y":"{d}","d":"{d}"}}"#);
        match KeyPair::from_pem_or_jwk(json.as_bytes()) {
            Err(e @ KeyPairError::Unsupported(_)) => {
                assert!(!format!("{e} {e:?}").contains("AQAQ"), "{e:?}");
            }
            Err(e) => panic!("not refused by ring: {e:?}"),
            Ok((key, _)) => panic!("an off-curve key was accepted: {key:?}"),
        }
    }
}
