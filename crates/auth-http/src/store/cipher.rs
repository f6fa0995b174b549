//! [`EncryptionKeys`]: AES-256-GCM for records at rest, with key rotation.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

use super::StoreError;

/// Longest key id, in bytes.
const KID_LIMIT: usize = 64;

/// AES-256-GCM keys for records at rest, each with an id stored next to
/// the ciphertext. The newest key encrypts and every key decrypts, so a
/// rotation adds a key, waits one token lifetime, then drops the old one.
/// `Debug` shows the ids, never a key.
///
/// ```
/// # fn main() -> Result<(), auth_http::StoreError> {
/// use auth_http::EncryptionKeys;
/// // `id:base64` pairs, comma-separated, oldest first (from an environment variable).
/// let keys = EncryptionKeys::parse("2025:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,2026:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=")?;
/// assert_eq!(keys.current_id(), "2026");
/// # Ok(()) }
/// ```
pub struct EncryptionKeys {
    /// The key that encrypts.
    current: (String, LessSafeKey),
    /// Older keys, which only decrypt.
    older: Vec<(String, LessSafeKey)>,
}

impl fmt::Debug for EncryptionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionKeys")
            .field("ids", &self.all().map(|(id, _)| id).collect::<Vec<_>>())
            .finish()
    }
}

impl EncryptionKeys {
    /// One key: `id` (1 to 64 of `A-Z a-z 0-9 . _ -`) and 32 bytes.
    pub fn new(id: &str, key: &[u8]) -> Result<Self, StoreError> {
        Ok(Self {
            current: sealing_key(id, key)?,
            older: Vec::new(),
        })
    }

    /// Adds a newer key, which encrypts from now on; the others still
    /// decrypt. An id already present is replaced.
    pub fn with_key(mut self, id: &str, key: &[u8]) -> Result<Self, StoreError> {
        let previous = std::mem::replace(&mut self.current, sealing_key(id, key)?);
        self.older.push(previous);
        self.older.retain(|(known, _)| known != id);
        Ok(self)
    }

    /// Keys from `id:base64,id:base64`, oldest first (standard base64 of 32
    /// bytes, padding optional), the form for an environment variable.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let mut keys: Option<Self> = None;
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, encoded) = entry
                .split_once(':')
                .ok_or(StoreError::InvalidKey("expected id:base64"))?;
            let bytes = STANDARD_NO_PAD
                .decode(encoded.trim_end_matches('='))
                .map_err(|_| StoreError::InvalidKey("key is not base64"))?;
            keys = Some(match keys {
                None => Self::new(id, &bytes)?,
                Some(keys) => keys.with_key(id, &bytes)?,
            });
        }
        keys.ok_or(StoreError::InvalidKey("no key given"))
    }

    /// The id of the key that encrypts.
    #[must_use]
    pub fn current_id(&self) -> &str {
        &self.current.0
    }

    /// Encrypts `plain` under the current key, bound to `associated`:
    /// the key id and base64 of nonce and ciphertext.
    pub(crate) fn seal(&self, associated: &str, plain: &[u8]) -> (&str, String) {
        let (id, key) = &self.current;
        let nonce: [u8; NONCE_LEN] = rand::random();
        let mut sealed = plain.to_vec();
        let aad = bound(id, associated);
        // Sealing fails only for inputs past GCM's 64 GiB limit.
        if key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad.as_bytes()),
                &mut sealed,
            )
            .is_err()
        {
            sealed.clear();
        }
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        (id, STANDARD_NO_PAD.encode(out))
    }

    /// The plaintext of `sealed` under the key `id`, or `None` for an
    /// unknown key, bad base64, or a record that does not authenticate
    /// (tampered, moved to another key, or another key's).
    pub(crate) fn open(&self, id: &str, associated: &str, sealed: &str) -> Option<Vec<u8>> {
        let (_, key) = self.all().find(|(known, _)| known == id)?;
        let bytes = STANDARD_NO_PAD.decode(sealed).ok()?;
        let (nonce, ciphertext) = bytes.split_at_checked(NONCE_LEN)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buffer = ciphertext.to_vec();
        let aad = bound(id, associated);
        let plain = key
            .open_in_place(nonce, Aad::from(aad.as_bytes()), &mut buffer)
            .ok()?;
        Some(plain.to_vec())
    }
}

impl EncryptionKeys {
    /// Every key, oldest first.
    fn all(&self) -> impl Iterator<Item = &(String, LessSafeKey)> {
        self.older.iter().chain(std::iter::once(&self.current))
    }
}

/// The associated data: a domain tag, the key id and what the caller binds.
fn bound(id: &str, associated: &str) -> String {
    format!("auth-http record v1\0{id}\0{associated}")
}

fn sealing_key(id: &str, key: &[u8]) -> Result<(String, LessSafeKey), StoreError> {
    let valid_id = !id.is_empty()
        && id.len() <= KID_LIMIT
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !valid_id {
        return Err(StoreError::InvalidKey(
            "key id must be 1 to 64 of A-Z a-z 0-9 . _ -",
        ));
    }
    let unbound = UnboundKey::new(&AES_256_GCM, key)
        .map_err(|_| StoreError::InvalidKey("key must be 32 bytes"))?;
    Ok((id.to_owned(), LessSafeKey::new(unbound)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> EncryptionKeys {
        EncryptionKeys::new("k1", &[7; 32]).unwrap()
    }

    #[test]
    fn a_sealed_record_opens_only_with_its_key_and_binding() {
        let keys = keys();
        let (id, sealed) = keys.seal("record-a", b"secret json");
        assert_eq!(id, "k1");
        assert!(!sealed.contains("secret"));
        assert_eq!(
            keys.open("k1", "record-a", &sealed).unwrap(),
            b"secret json"
        );
        assert!(
            keys.open("k1", "record-b", &sealed).is_none(),
            "moved record"
        );
        assert!(keys.open("k2", "record-a", &sealed).is_none(), "unknown id");
        let other = EncryptionKeys::new("k1", &[8; 32]).unwrap();
        assert!(other.open("k1", "record-a", &sealed).is_none(), "other key");
        assert!(keys.open("k1", "record-a", "AAAA").is_none(), "too short");
        assert!(keys.open("k1", "record-a", "not base64!").is_none());
    }

    #[test]
    fn a_rotated_ring_encrypts_with_the_new_key_and_opens_old_records() {
        let old = keys();
        let (_, sealed) = old.seal("r", b"old");
        let rotated = old.with_key("k2", &[9; 32]).unwrap();
        assert_eq!(rotated.current_id(), "k2");
        assert_eq!(rotated.open("k1", "r", &sealed).unwrap(), b"old");
        let (id, _) = rotated.seal("r", b"new");
        assert_eq!(id, "k2");
    }

    #[test]
    fn bad_keys_are_typed_errors_that_show_no_key() {
        for text in ["", "k1", "k1:short", "bad id:AAAA", "k1:!!"] {
            let error = EncryptionKeys::parse(text).unwrap_err();
            assert!(matches!(error, StoreError::InvalidKey(_)), "{text}");
        }
        let keys = EncryptionKeys::parse(
            "a:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=, b:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE",
        )
        .unwrap();
        assert_eq!(keys.current_id(), "b");
        assert_eq!(format!("{keys:?}"), r#"EncryptionKeys { ids: ["a", "b"] }"#);
    }
}
