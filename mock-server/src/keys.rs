//! Signing keys for JWT access tokens: a [`SigningKey`] (a `ring` key pair,
//! its `kid` and public JWK), where keys come from ([`Keys`]: the embedded
//! development keys, fresh ones, or PEM / JWK files), and the [`KeyRing`]
//! that rotates them and publishes the JWK Set.
//!
//! `ring` signs and verifies: it is the fastest RSA in the dependency tree
//! (already there through rustls). It cannot generate RSA keys, so the
//! `rsa` crate does that, once per key, handing ring PKCS#8.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use auth_core::jose::{
    Algorithm, EncodedHeader, Header, Jwk, JwkError, JwkSet, KeyPair, KeyPairError, PublicKey,
    verify_signature,
};
use base64::Engine as _;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair};
use rustls::pki_types::pem::PemObject;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The published development keys (PKCS#8 PEM), one per algorithm. Public
/// in the repository, like the default client secrets: for local use only.
const DEV_RS256: &str = include_str!("../keys/mock-dev-rs256.pem");
const DEV_ES256: &str = include_str!("../keys/mock-dev-es256.pem");
const DEV_EDDSA: &str = include_str!("../keys/mock-dev-eddsa.pem");

/// The modulus size of generated RSA keys: RFC 7518 §3.3's minimum, what
/// resource servers expect, and the fastest to sign.
const RSA_BITS: usize = 2048;

/// Most keys a ring keeps published at once (the signer and those still in
/// their grace period); older retired keys are dropped first beyond it.
pub(crate) const MAX_PUBLISHED_KEYS: usize = 16;

/// Where the signing keys come from (`keys` in the configuration).
///
/// In TOML: `keys = "embedded"` (the default), `keys = "generate"`, or
/// `keys = ["signing.pem", "old.jwk.json"]`: PKCS#8 PEM (PKCS#1 for RSA)
/// or private JWK files. The first file whose key fits `signing_alg`
/// signs; the others are published too (keys still in use elsewhere).
///
/// ```
/// # fn main() -> Result<(), mock_server::Error> {
/// let config = mock_server::Config::from_toml(r#"keys = "generate""#)?;
/// assert_eq!(config.keys, mock_server::Keys::Generate);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Keys {
    /// The development key of the signing algorithm, embedded in the
    /// binary and published in the repository (`mock-server/keys/`): start
    /// costs nothing, and nothing it signs is secret.
    #[default]
    Embedded,
    /// A fresh key at start (and at each rotation).
    Generate,
    /// Keys read from files at start.
    Files(Vec<PathBuf>),
}

impl Serialize for Keys {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Embedded => serializer.serialize_str("embedded"),
            Self::Generate => serializer.serialize_str("generate"),
            Self::Files(files) => files.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Word(String),
            Files(Vec<PathBuf>),
        }
        let expected = r#""embedded", "generate" or a list of key files"#;
        match Raw::deserialize(deserializer)
            .map_err(|_| serde::de::Error::custom(format!("expected {expected}")))?
        {
            Raw::Word(word) if word == "embedded" => Ok(Self::Embedded),
            Raw::Word(word) if word == "generate" => Ok(Self::Generate),
            Raw::Word(_) => Err(serde::de::Error::custom(format!("expected {expected}"))),
            Raw::Files(files) => Ok(Self::Files(files)),
        }
    }
}

/// Why signing keys could not be loaded or made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A key file could not be read.
    #[error("cannot read key file {}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// A key file is neither a PEM private key nor a JSON Web Key.
    #[error("key file {} is not a PEM private key: {source}", .path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// The PEM error.
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    /// A JSON key file is not a private JWK of a supported type.
    #[error("key file {} is not a usable private JWK", .path.display())]
    Jwk {
        /// The file.
        path: PathBuf,
        /// What is wrong with it (never key material).
        #[source]
        source: JwkError,
    },
    /// The key is of a kind or format the mock cannot sign with.
    #[error("key file {}: {reason}", .path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What is wrong, and what would do.
        reason: String,
    },
    /// No key among the files fits the signing algorithm.
    #[error("no key file holds a key for signing_alg {0}")]
    NoSigningKey(Algorithm),
    /// The list of key files is empty.
    #[error("keys: the list of key files is empty")]
    NoFiles,
    /// The system random generator failed.
    #[error("cannot generate a {0} key: the system random generator failed")]
    Generate(Algorithm),
}

impl KeyError {
    /// auth-core's reading of a key's bytes, named by the file they came from.
    fn of_file(path: &Path, error: KeyPairError) -> Self {
        let path = path.to_owned();
        match error {
            KeyPairError::Pem(source) => Self::Pem { path, source },
            KeyPairError::Jwk(source) => Self::Jwk { path, source },
            other => Self::Unsupported {
                path,
                reason: other.to_string(),
            },
        }
    }
}

/// A key could not sign: ring refused (its random generator failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} signing failed")]
pub struct SignError(pub(crate) Algorithm);

/// A private signing key with its `kid`, public JWK, and the encoded
/// RFC 9068 §2.1 header of the access tokens it signs.
pub(crate) struct SigningKey {
    alg: Algorithm,
    kid: String,
    pair: KeyPair,
    jwk: Jwk,
    /// `{"alg":…,"typ":"at+jwt","kid":…}` in base64url, encoded once.
    header: EncodedHeader,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    fn new(pair: KeyPair, kid: Option<String>) -> Self {
        let alg = pair.alg();
        let public = pair.public_key().clone();
        let kid = kid.unwrap_or_else(|| thumbprint(&public));
        let jwk = Jwk::new(public)
            .with_kid(kid.clone())
            .with_use("sig")
            .with_alg(alg.as_str());
        let header = EncodedHeader::new(&Header::access_token(alg, kid.clone()));
        Self {
            alg,
            kid,
            pair,
            jwk,
            header,
        }
    }

    /// The embedded development key of `alg` (parsed once per process).
    pub(crate) fn embedded(alg: Algorithm) -> Result<Arc<Self>, KeyError> {
        static RS256: OnceLock<Arc<SigningKey>> = OnceLock::new();
        static ES256: OnceLock<Arc<SigningKey>> = OnceLock::new();
        static EDDSA: OnceLock<Arc<SigningKey>> = OnceLock::new();
        let (cell, pem, kid) = match alg {
            Algorithm::Es256 => (&ES256, DEV_ES256, "mock-dev-es256"),
            Algorithm::EdDsa => (&EDDSA, DEV_EDDSA, "mock-dev-eddsa"),
            // HS256 is refused by `Config::validate` before keys are made.
            _ => (&RS256, DEV_RS256, "mock-dev-rs256"),
        };
        if let Some(key) = cell.get() {
            return Ok(Arc::clone(key));
        }
        let key = Arc::new(Self::from_pem(
            pem.as_bytes(),
            Some(kid.to_owned()),
            Path::new(kid),
        )?);
        Ok(Arc::clone(cell.get_or_init(|| key)))
    }

    /// A fresh key for `alg`; its `kid` is its RFC 7638 thumbprint.
    pub(crate) fn generate(alg: Algorithm) -> Result<Self, KeyError> {
        let rng = SystemRandom::new();
        let failed = |_| KeyError::Generate(alg);
        // Each generator's PKCS#8 document is read where it lives: no copy
        // of the private key is left behind in freed memory.
        let read = |der: &[u8]| KeyPair::from_pkcs8_der(der).map_err(|_| KeyError::Generate(alg));
        let pair = match alg {
            Algorithm::Es256 => read(
                EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(failed)?
                    .as_ref(),
            )?,
            Algorithm::EdDsa => read(
                Ed25519KeyPair::generate_pkcs8(&rng)
                    .map_err(failed)?
                    .as_ref(),
            )?,
            _ => {
                use rsa::pkcs8::EncodePrivateKey as _;
                let key = rsa::PrivateKey::new(&mut RingRng(rng), RSA_BITS)
                    .map_err(|_| KeyError::Generate(alg))?;
                read(
                    key.to_pkcs8_der()
                        .map_err(|_| KeyError::Generate(alg))?
                        .as_bytes(),
                )?
            }
        };
        Ok(Self::new(pair, None))
    }

    /// Reads a key file: a private JWK (JSON) or a PEM private key.
    pub(crate) fn from_file(path: &Path) -> Result<Self, KeyError> {
        let bytes = std::fs::read(path).map_err(|source| KeyError::Read {
            path: path.to_owned(),
            source,
        })?;
        let (pair, kid) =
            KeyPair::from_pem_or_jwk(&bytes).map_err(|e| KeyError::of_file(path, e))?;
        Ok(Self::new(pair, kid))
    }

    /// A PKCS#8 PEM key of any supported type, or a PKCS#1 RSA key.
    pub(crate) fn from_pem(pem: &[u8], kid: Option<String>, path: &Path) -> Result<Self, KeyError> {
        let pair = KeyPair::from_pem(pem).map_err(|e| KeyError::of_file(path, e))?;
        Ok(Self::new(pair, kid))
    }

    pub(crate) fn alg(&self) -> Algorithm {
        self.alg
    }

    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    pub(crate) fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// The encoded header of the access tokens this key signs.
    pub(crate) fn header(&self) -> &EncodedHeader {
        &self.header
    }

    /// Signs `message` (a JWS signing input) with this key's algorithm.
    /// ring fails only when the system random generator does.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        self.pair.sign(message).map_err(|_| SignError(self.alg))
    }

    /// Checks `signature` over `message` with the public key.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        verify_signature(&self.jwk.key, self.alg, message, signature).is_ok()
    }
}

/// The algorithm a public key verifies (RFC 7518 §3.1, RFC 8037 §3.1).
pub(crate) fn algorithm_of(key: &PublicKey) -> Option<Algorithm> {
    match key {
        PublicKey::Rsa { .. } => Some(Algorithm::Rs256),
        PublicKey::P256 { .. } => Some(Algorithm::Es256),
        PublicKey::Ed25519 { .. } => Some(Algorithm::EdDsa),
        _ => None,
    }
}

/// The public keys in PEM text: `PUBLIC KEY` (`SubjectPublicKeyInfo`) blocks,
/// or a private key (whose public half is taken). A key without a `kid`
/// is named by its RFC 7638 thumbprint, as generated keys are.
pub(crate) fn public_keys_from_pem(pem: &[u8], path: &Path) -> Result<Vec<Jwk>, KeyError> {
    use rustls::pki_types::SubjectPublicKeyInfoDer;
    let unsupported = |reason: &str| KeyError::Unsupported {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let mut keys = Vec::new();
    for spki in SubjectPublicKeyInfoDer::pem_slice_iter(pem) {
        let spki = spki.map_err(|source| KeyError::Pem {
            path: path.to_owned(),
            source,
        })?;
        let key = public_key_from_spki(spki.as_ref()).ok_or_else(|| {
            unsupported("not an RSA, EC P-256 or Ed25519 SubjectPublicKeyInfo (PUBLIC KEY)")
        })?;
        keys.push(key);
    }
    if keys.is_empty() {
        return Ok(vec![SigningKey::from_pem(pem, None, path)?.jwk().clone()]);
    }
    Ok(keys
        .into_iter()
        .map(|key| {
            let kid = thumbprint(&key);
            Jwk::new(key).with_kid(kid)
        })
        .collect())
}

/// A fresh EC P-256 key for a client that signs assertions (the
/// conformance runner's `private_key_jwt` client): its PKCS#8 PEM and its
/// public JWK, named by its RFC 7638 thumbprint.
pub(crate) fn generate_client_key() -> Result<(String, Jwk), KeyError> {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .map_err(|_| KeyError::Generate(Algorithm::Es256))?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref());
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).unwrap_or_default());
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    let key = SigningKey::from_pem(pem.as_bytes(), None, Path::new("generated client key"))?;
    Ok((pem, key.jwk().clone()))
}

/// An RFC 5280 `SubjectPublicKeyInfo` of an RSA (RFC 8017 A.1.1), EC P-256
/// (RFC 5480) or Ed25519 (RFC 8410) key, read as strict DER by the
/// `spki` and `pkcs1` crates (trailing bytes, indefinite or non-minimal lengths
/// are refused).
fn public_key_from_spki(spki: &[u8]) -> Option<PublicKey> {
    use spki::der::Decode as _;
    use spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};
    const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
    const EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
    const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
    const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
    let info = SubjectPublicKeyInfoRef::from_der(spki).ok()?;
    let key = info.subject_public_key.as_bytes()?;
    let oid = info.algorithm.oid;
    if oid == RSA {
        let rsa = pkcs1::RsaPublicKeyRef::from_der(key).ok()?;
        Some(PublicKey::Rsa {
            n: rsa.modulus.as_bytes().to_vec(),
            e: rsa.public_exponent.as_bytes().to_vec(),
        })
    } else if oid == EC && info.algorithm.parameters_oid().ok()? == P256 {
        // SEC 1 §2.3.3 uncompressed point: 0x04 || x || y.
        match key {
            [4, point @ ..] if point.len() == 64 => {
                let (x, y) = point.split_at(32);
                Some(PublicKey::P256 {
                    x: x.to_vec(),
                    y: y.to_vec(),
                })
            }
            _ => None,
        }
    } else if oid == ED25519 && info.algorithm.parameters.is_none() && key.len() == 32 {
        Some(PublicKey::Ed25519 { x: key.to_vec() })
    } else {
        None
    }
}

/// The RFC 7638 JWK thumbprint: SHA-256 over the required members in
/// lexicographic order, base64url.
pub(crate) fn thumbprint(key: &PublicKey) -> String {
    key.thumbprint()
}

/// ring's system random generator as the `rand_core` generator the `rsa`
/// crate takes.
struct RingRng(SystemRandom);

/// The system random generator failed.
#[derive(Debug, thiserror::Error)]
#[error("the system random generator failed")]
struct RngFailed;

impl rsa::rand_core::TryRng for RingRng {
    type Error = RngFailed;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut bytes = [0; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut bytes = [0; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill(dst).map_err(|_| RngFailed)
    }
}

impl rsa::rand_core::TryCryptoRng for RingRng {}

/// A retired key and when it stops being published (unix seconds).
#[derive(Debug, Clone)]
struct Retired {
    key: Arc<SigningKey>,
    until: i64,
}

#[derive(Debug)]
struct Ring {
    signer: Arc<SigningKey>,
    retired: Vec<Retired>,
}

/// The signing key, the retired keys still in their grace period, and
/// rotation. Times are the mock clock's (unix seconds), so a test that
/// advances the clock ends a grace period.
#[derive(Debug)]
pub(crate) struct KeyRing {
    alg: Algorithm,
    /// Set at load for generated keys and key files (their errors are
    /// start-up errors); the embedded development keys are parsed on first
    /// use instead: a mock issuing opaque tokens never signs, and parsing
    /// the RSA key was a tenth of a millisecond of its start-up (issue 17).
    rings: OnceLock<Rings>,
    embedded: bool,
}

/// The live ring and what `reset` goes back to.
#[derive(Debug)]
struct Rings {
    live: RwLock<Ring>,
    initial: Ring,
}

impl Rings {
    fn new(initial: Ring) -> Self {
        Self {
            live: RwLock::new(initial.clone()),
            initial,
        }
    }
}

impl Clone for Ring {
    fn clone(&self) -> Self {
        Self {
            signer: Arc::clone(&self.signer),
            retired: self.retired.clone(),
        }
    }
}

impl KeyRing {
    /// The keys `keys` names, signing with `alg`.
    pub(crate) fn load(keys: &Keys, alg: Algorithm) -> Result<Self, KeyError> {
        let ring = match keys {
            Keys::Embedded => {
                return Ok(Self {
                    alg,
                    rings: OnceLock::new(),
                    embedded: true,
                });
            }
            Keys::Generate => Ring {
                signer: Arc::new(SigningKey::generate(alg)?),
                retired: Vec::new(),
            },
            Keys::Files(files) => {
                if files.is_empty() {
                    return Err(KeyError::NoFiles);
                }
                let mut loaded = files
                    .iter()
                    .map(|path| SigningKey::from_file(path).map(Arc::new))
                    .collect::<Result<Vec<_>, _>>()?;
                let signer = loaded
                    .iter()
                    .position(|key| key.alg() == alg)
                    .ok_or(KeyError::NoSigningKey(alg))?;
                let signer = loaded.remove(signer);
                Ring {
                    signer,
                    // Published for as long as the server runs.
                    retired: loaded
                        .into_iter()
                        .map(|key| Retired {
                            key,
                            until: i64::MAX,
                        })
                        .collect(),
                }
            }
        };
        Ok(Self {
            alg,
            rings: OnceLock::from(Rings::new(ring)),
            embedded: false,
        })
    }

    /// The rings, the embedded keys parsed now if not yet.
    fn rings(&self) -> &Rings {
        self.rings.get_or_init(|| {
            // The embedded keys are constants of this crate, parsed by its
            // unit tests: no input can make this fail.
            let signer =
                SigningKey::embedded(self.alg).expect("the embedded development keys parse");
            Rings::new(Ring {
                signer,
                retired: Vec::new(),
            })
        })
    }

    /// The signing algorithm.
    pub(crate) fn alg(&self) -> Algorithm {
        self.alg
    }

    /// True when the keys are the embedded development keys.
    pub(crate) fn is_embedded(&self) -> bool {
        self.embedded
    }

    /// True once the signer is no longer the one the server started with.
    pub(crate) fn has_rotated(&self) -> bool {
        !Arc::ptr_eq(&self.read().signer, &self.rings().initial.signer)
    }

    /// The key that signs now.
    pub(crate) fn signer(&self) -> Arc<SigningKey> {
        Arc::clone(&self.read().signer)
    }

    /// The published key with this `kid` at `now`.
    pub(crate) fn find(&self, kid: &str, now: i64) -> Option<Arc<SigningKey>> {
        let ring = self.read();
        if ring.signer.kid() == kid {
            return Some(Arc::clone(&ring.signer));
        }
        ring.retired
            .iter()
            .find(|r| r.until > now && r.key.kid() == kid)
            .map(|r| Arc::clone(&r.key))
    }

    /// The keys published at `now`: the signer first, then the retired
    /// ones still in their grace period, newest first.
    pub(crate) fn published(&self, now: i64) -> Vec<(Arc<SigningKey>, Option<i64>)> {
        let ring = self.read();
        std::iter::once((Arc::clone(&ring.signer), None))
            .chain(
                ring.retired
                    .iter()
                    .filter(|r| r.until > now)
                    .map(|r| (Arc::clone(&r.key), Some(r.until).filter(|u| *u < i64::MAX))),
            )
            .collect()
    }

    /// The JWK Set at `now`.
    pub(crate) fn jwks(&self, now: i64) -> JwkSet {
        JwkSet {
            keys: self
                .published(now)
                .into_iter()
                .map(|(key, _)| key.jwk().clone())
                .collect(),
        }
    }

    /// The algorithms of the keys published at `now`, each once.
    pub(crate) fn algorithms(&self, now: i64) -> Vec<Algorithm> {
        let mut algs: Vec<Algorithm> = Vec::new();
        for (key, _) in self.published(now) {
            if !algs.contains(&key.alg()) {
                algs.push(key.alg());
            }
        }
        algs
    }

    /// A fresh key signs from now on; the old signer stays published for
    /// `grace_secs` (0: dropped at once). Returns the new signer. Makes the
    /// key on the calling thread: from a runtime, use
    /// [`rotate_off_runtime`](Self::rotate_off_runtime).
    pub(crate) fn rotate(&self, grace_secs: u64, now: i64) -> Result<Arc<SigningKey>, KeyError> {
        let fresh = SigningKey::generate(self.alg)?;
        Ok(self.install(fresh, grace_secs, now))
    }

    /// [`rotate`](Self::rotate) with the key made by `generate` on tokio's
    /// blocking pool: a 2048-bit RSA key takes tens to hundreds of
    /// milliseconds, which would stall every connection of a runtime
    /// worker (tokio's rule for CPU-bound work). `now` is read once the
    /// key exists.
    pub(crate) async fn rotate_off_runtime_with<G>(
        &self,
        grace_secs: u64,
        now: impl FnOnce() -> i64,
        generate: G,
    ) -> Result<Arc<SigningKey>, KeyError>
    where
        G: FnOnce(Algorithm) -> Result<SigningKey, KeyError> + Send + 'static,
    {
        let alg = self.alg;
        let fresh = tokio::task::spawn_blocking(move || generate(alg))
            .await
            .map_err(|_| KeyError::Generate(alg))??;
        Ok(self.install(fresh, grace_secs, now()))
    }

    /// [`rotate_off_runtime_with`](Self::rotate_off_runtime_with) a fresh key.
    pub(crate) async fn rotate_off_runtime(
        &self,
        grace_secs: u64,
        now: impl FnOnce() -> i64,
    ) -> Result<Arc<SigningKey>, KeyError> {
        self.rotate_off_runtime_with(grace_secs, now, SigningKey::generate)
            .await
    }

    /// `fresh` signs from `now`; the old signer stays published for
    /// `grace_secs` (0: dropped at once).
    fn install(&self, fresh: SigningKey, grace_secs: u64, now: i64) -> Arc<SigningKey> {
        let fresh = Arc::new(fresh);
        let mut ring = self
            .rings()
            .live
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let old = std::mem::replace(&mut ring.signer, Arc::clone(&fresh));
        ring.retired.retain(|r| r.until > now);
        if grace_secs > 0 {
            let until = now.saturating_add(i64::try_from(grace_secs).unwrap_or(i64::MAX));
            ring.retired.insert(0, Retired { key: old, until });
        }
        ring.retired.truncate(MAX_PUBLISHED_KEYS - 1);
        fresh
    }

    /// Back to the keys the server started with.
    pub(crate) fn reset(&self) {
        let rings = self.rings();
        *rings.live.write().unwrap_or_else(PoisonError::into_inner) = rings.initial.clone();
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Ring> {
        self.rings()
            .live
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    #[test]
    fn every_embedded_key_signs_and_verifies_under_its_published_kid() {
        for (alg, kid) in [
            (Algorithm::Rs256, "mock-dev-rs256"),
            (Algorithm::Es256, "mock-dev-es256"),
            (Algorithm::EdDsa, "mock-dev-eddsa"),
        ] {
            let key = SigningKey::embedded(alg).unwrap();
            assert_eq!((key.alg(), key.kid()), (alg, kid));
            let signature = key.sign(b"input").unwrap();
            assert!(key.verify(b"input", &signature), "{alg}");
            assert!(!key.verify(b"other", &signature), "{alg}");
            assert_eq!(key.jwk().alg.as_deref(), Some(alg.as_str()));
        }
    }

    #[test]
    fn generated_keys_are_fresh_and_named_by_their_thumbprint() {
        for alg in Algorithm::ASYMMETRIC {
            let a = SigningKey::generate(alg).unwrap();
            let b = SigningKey::generate(alg).unwrap();
            assert_ne!(a.kid(), b.kid());
            assert_eq!(a.kid(), thumbprint(&a.jwk().key));
            assert!(a.verify(b"m", &a.sign(b"m").unwrap()));
            assert!(!b.verify(b"m", &a.sign(b"m").unwrap()));
        }
    }

    /// An Ed25519 `SubjectPublicKeyInfo` (RFC 8410 §4) of `x`.
    fn ed25519_spki(x: [u8; 32]) -> Vec<u8> {
        let mut der = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        der.extend_from_slice(&x);
        der
    }

    #[test]
    fn spki_public_keys_are_read_as_strict_der() {
        assert_eq!(
            public_key_from_spki(&ed25519_spki([9; 32])),
            Some(PublicKey::Ed25519 { x: vec![9; 32] })
        );
        // Bytes after the structure: DER ends where the outer SEQUENCE does.
        let mut trailing = ed25519_spki([9; 32]);
        trailing.push(0);
        assert_eq!(public_key_from_spki(&trailing), None);
        // A long-form length where the short form fits (X.690 §10.1).
        let mut long_form = vec![0x30, 0x81, 0x2a];
        long_form.extend_from_slice(&ed25519_spki([9; 32])[2..]);
        assert_eq!(public_key_from_spki(&long_form), None);
        // Truncated, or not a key at all.
        assert_eq!(public_key_from_spki(&ed25519_spki([9; 32])[..40]), None);
        assert_eq!(public_key_from_spki(b""), None);
    }

    #[test]
    fn public_key_pem_of_each_type_is_the_private_keys_public_half() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys");
        for (private, public) in [
            ("rsa-pkcs1.pem", "rsa.pub.pem"),
            ("ec-pkcs8.pem", "ec.pub.pem"),
            ("ed25519-pkcs8.pem", "ed25519.pub.pem"),
        ] {
            let key = SigningKey::from_file(&dir.join(private)).unwrap();
            let path = dir.join(public);
            let published = public_keys_from_pem(&std::fs::read(&path).unwrap(), &path).unwrap();
            assert_eq!(published.len(), 1, "{public}");
            assert_eq!(published[0].key, key.jwk().key, "{public}");
        }
    }

    #[test]
    fn rfc7638_thumbprint_of_the_rfc_example_key() {
        // RFC 7638 §3.1.
        let n = URL_SAFE_NO_PAD.decode("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw").unwrap();
        let key = PublicKey::Rsa {
            n,
            e: vec![1, 0, 1],
        };
        assert_eq!(
            thumbprint(&key),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn rotation_from_a_runtime_makes_the_key_off_the_runtime_thread() {
        // A current-thread runtime: its one thread is this test's.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let ring = KeyRing::load(&Keys::Embedded, Algorithm::Rs256).unwrap();
        let old = ring.signer();
        let made_on = Arc::new(std::sync::Mutex::new(None));
        let recorder = Arc::clone(&made_on);
        let new = runtime
            .block_on(ring.rotate_off_runtime_with(
                60,
                || 1000,
                move |alg| {
                    *recorder.lock().unwrap() = Some(std::thread::current().id());
                    SigningKey::generate(alg)
                },
            ))
            .unwrap();
        let made_on = made_on.lock().unwrap().unwrap();
        assert_ne!(made_on, std::thread::current().id());
        // And the rotation itself is the usual one.
        assert_eq!(new.alg(), Algorithm::Rs256);
        assert_eq!(ring.signer().kid(), new.kid());
        assert!(ring.find(old.kid(), 1059).is_some());
        assert!(ring.find(old.kid(), 1060).is_none());
        assert!(new.verify(b"m", &new.sign(b"m").unwrap()));
    }

    #[test]
    fn embedded_keys_are_parsed_on_first_use_not_at_load() {
        for alg in Algorithm::ASYMMETRIC {
            let ring = KeyRing::load(&Keys::Embedded, alg).unwrap();
            assert!(ring.rings.get().is_none(), "{alg}: parsed at load");
            assert!(ring.is_embedded());
            let signer = ring.signer();
            assert!(ring.rings.get().is_some());
            assert_eq!(signer.alg(), alg);
            assert!(!ring.has_rotated());
        }
    }

    #[test]
    fn key_files_and_generated_keys_are_loaded_at_once() {
        let ring = KeyRing::load(&Keys::Generate, Algorithm::Es256).unwrap();
        assert!(ring.rings.get().is_some());
        assert!(!ring.is_embedded());
    }

    #[test]
    fn rotation_keeps_the_old_key_for_its_grace_and_no_longer() {
        let ring = KeyRing::load(&Keys::Embedded, Algorithm::EdDsa).unwrap();
        let old = ring.signer();
        let new = ring.rotate(60, 1000).unwrap();
        assert_eq!(ring.signer().kid(), new.kid());
        assert!(ring.find(old.kid(), 1059).is_some());
        assert!(ring.find(old.kid(), 1060).is_none());
        assert_eq!(ring.jwks(1059).keys.len(), 2);
        assert_eq!(ring.jwks(1060).keys.len(), 1);
        ring.rotate(0, 1000).unwrap();
        assert!(
            ring.find(new.kid(), 1000).is_none(),
            "grace 0 drops at once"
        );
        ring.reset();
        assert_eq!(ring.signer().kid(), old.kid());
    }
}
