//! Signers for client assertions (RFC 7523 §2.2): the async
//! [`AssertionSigner`] (a local key, a KMS, an HSM, Vault), the default
//! [`PrivateKeySigner`] (a PEM or JWK private key, signed with `ring`) and
//! [`SecretSigner`] (HS256 with the client secret, `client_secret_jwt`).
//!
//! auth-core builds the assertion without IO
//! ([`TokenRequest::unsigned_assertion`](auth_core::TokenRequest::unsigned_assertion));
//! a signer only signs the bytes it is given.

use std::fmt;
use std::path::Path;

use auth_core::ClientSecret;
use auth_core::jose::{Algorithm, AssertionKey, Jwk, JwkError, KeyPair, KeyPairError, PrivateJwk};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac as _};

use crate::error::BoxError;
use crate::transport::BoxFuture;

/// Signs client assertions. The signature may come from anywhere: a key in
/// memory, a KMS, an HSM (hence async). [`key`](Self::key) is the public
/// identity the assertion's header names (algorithm, `kid`) and the request
/// identity includes (thumbprint); it must be the credentials'
/// [`assertion_key`](auth_core::ClientCredentials::assertion_key).
///
/// ```
/// use auth_core::jose::{Algorithm, AssertionKey};
/// use auth_http::{AssertionSigner, BoxError, BoxFuture};
///
/// #[derive(Debug)]
/// struct Kms { key: AssertionKey }
/// impl AssertionSigner for Kms {
///     fn key(&self) -> &AssertionKey { &self.key }
///     fn sign<'a>(&'a self, input: &'a [u8]) -> BoxFuture<'a, Result<Vec<u8>, BoxError>> {
///         Box::pin(async move { Ok(input.len().to_be_bytes().to_vec()) }) // call the KMS here
///     }
/// }
/// let kms = Kms { key: AssertionKey::new(Algorithm::Es256).with_kid("kms-1") };
/// assert_eq!(kms.key().kid(), Some("kms-1"));
/// ```
pub trait AssertionSigner: Send + Sync + fmt::Debug {
    /// The public identity of the signing key.
    fn key(&self) -> &AssertionKey;

    /// The signature of `input` with [`key`](Self::key)'s algorithm, in
    /// the JWS form (RFC 7518 §3: ECDSA as `r || s`, not DER).
    fn sign<'a>(&'a self, input: &'a [u8]) -> BoxFuture<'a, Result<Vec<u8>, BoxError>>;
}

/// Why a private key could not be read. Never holds key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key file could not be read.
    #[error("cannot read key file {path}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The IO error.
        #[source]
        source: std::io::Error,
    },
    /// The PEM holds no private key this crate reads.
    #[error("not a PEM private key")]
    Pem,
    /// A JSON key is not a private JWK of a supported type (the source
    /// names the member, never its value).
    #[error("not a usable private JWK")]
    Jwk(#[from] JwkError),
    /// The key is not one of the supported kinds.
    #[error("unsupported key: {0}")]
    Unsupported(String),
    /// The key was asked to sign with an algorithm it cannot use.
    #[error("key of type {kty} cannot sign {alg}")]
    Algorithm {
        /// The key type.
        kty: &'static str,
        /// The algorithm asked for.
        alg: Algorithm,
    },
}

impl From<KeyPairError> for KeyError {
    fn from(error: KeyPairError) -> Self {
        match error {
            KeyPairError::Pem(_) => Self::Pem,
            KeyPairError::Jwk(source) => Self::Jwk(source),
            KeyPairError::Unsupported(reason) => Self::Unsupported(reason),
            other => Self::Unsupported(other.to_string()),
        }
    }
}

/// The default signer: a private key in memory, RS256 (RSA, 2048 to 8192
/// bits), ES256 (P-256) or `EdDSA` (Ed25519), signed with `ring`. Read from
/// PEM (PKCS#8, or PKCS#1 for RSA) or from a private JWK. Its `kid` is the
/// JWK's `kid`, else the one set with [`with_kid`](Self::with_kid), else
/// none. `Debug` prints the algorithm, `kid` and thumbprint only.
///
/// ```
/// # fn main() -> Result<(), auth_http::KeyError> {
/// use auth_core::jose::Algorithm;
/// use auth_http::{AssertionSigner, PrivateKeySigner};
/// let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIEe5RV/yXPhKBwi8F7u+y3/X7Dbw4Jrnb4HveqrLRQho\n-----END PRIVATE KEY-----\n";
/// let signer = PrivateKeySigner::from_pem(pem.as_bytes())?.with_kid("k1");
/// assert_eq!(signer.key().alg(), Algorithm::EdDsa);
/// assert!(!format!("{signer:?}").contains("MC4C"));
/// # Ok(()) }
/// ```
pub struct PrivateKeySigner {
    key: AssertionKey,
    public: Jwk,
    pair: KeyPair,
}

impl fmt::Debug for PrivateKeySigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKeySigner")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl PrivateKeySigner {
    fn new(pair: KeyPair, kid: Option<String>) -> Self {
        let alg = pair.alg();
        let public = pair.public_key().clone();
        let mut key = AssertionKey::new(alg).with_thumbprint(public.thumbprint());
        let mut jwk = Jwk::new(public).with_use("sig").with_alg(alg.as_str());
        if let Some(kid) = kid {
            key = key.with_kid(kid.clone());
            jwk = jwk.with_kid(kid);
        }
        Self {
            key,
            public: jwk,
            pair,
        }
    }

    /// Reads a file: a private JWK (JSON) or a PEM private key.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, KeyError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| KeyError::Read {
            path: path.to_owned(),
            source,
        })?;
        let (pair, kid) = KeyPair::from_pem_or_jwk(&bytes)?;
        Ok(Self::new(pair, kid))
    }

    /// A PKCS#8 PEM key (RSA, EC P-256, Ed25519) or a PKCS#1 RSA key.
    pub fn from_pem(pem: &[u8]) -> Result<Self, KeyError> {
        Ok(Self::new(KeyPair::from_pem(pem)?, None))
    }

    /// A private JWK (RFC 7517 §4; RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2),
    /// read by auth-core; its `kid` is kept.
    pub fn from_jwk(json: &[u8]) -> Result<Self, KeyError> {
        let jwk = PrivateJwk::from_json(json)?;
        Ok(Self::new(KeyPair::from_private_jwk(&jwk)?, jwk.kid))
    }

    /// Sets the `kid` the assertions' header carries (C-69).
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        let kid = kid.into();
        self.key = self.key.with_kid(kid.clone());
        self.public = self.public.with_kid(kid);
        self
    }

    /// Checks that this key signs `alg` (a `--alg` given with the key).
    pub fn expect_alg(self, alg: Algorithm) -> Result<Self, KeyError> {
        if self.key.alg() == alg {
            Ok(self)
        } else {
            Err(KeyError::Algorithm {
                kty: self.public.key.kty(),
                alg,
            })
        }
    }

    /// The public key as a JWK (with `kid`, `use: sig`, `alg`), for
    /// registering the client at its provider.
    #[must_use]
    pub fn public_jwk(&self) -> &Jwk {
        &self.public
    }
}

impl AssertionSigner for PrivateKeySigner {
    fn key(&self) -> &AssertionKey {
        &self.key
    }

    fn sign<'a>(&'a self, input: &'a [u8]) -> BoxFuture<'a, Result<Vec<u8>, BoxError>> {
        let signature = self.pair.sign(input).map_err(BoxError::from);
        Box::pin(std::future::ready(signature))
    }
}

/// HS256 keyed by the client secret (`client_secret_jwt`, RFC 7523 §2.2,
/// OIDC Core §9). The default signer of that method: a client built with
/// the secret needs no other setup. `Debug` never prints the secret.
#[derive(Clone)]
pub struct SecretSigner {
    key: AssertionKey,
    secret: ClientSecret,
}

impl SecretSigner {
    /// A signer for `secret`, no `kid`.
    #[must_use]
    pub fn new(secret: ClientSecret) -> Self {
        Self {
            key: AssertionKey::new(Algorithm::Hs256),
            secret,
        }
    }
}

impl fmt::Debug for SecretSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretSigner")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl AssertionSigner for SecretSigner {
    fn key(&self) -> &AssertionKey {
        &self.key
    }

    fn sign<'a>(&'a self, input: &'a [u8]) -> BoxFuture<'a, Result<Vec<u8>, BoxError>> {
        // HMAC takes a key of any length (RFC 2104 §2).
        let signature =
            Hmac::<sha2::Sha256>::new_from_slice(self.secret.expose_secret().as_bytes())
                .map(|mut mac| {
                    mac.update(input);
                    mac.finalize().into_bytes().to_vec()
                })
                .map_err(|_| BoxError::from("hmac key rejected"));
        Box::pin(std::future::ready(signature))
    }
}

/// A fresh `jti`: 128 random bits, base64url (OIDC Core §9, C-68).
pub(crate) fn fresh_jti() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}
