//! `MemoryStore` and `FileStore`: round trips, atomic 0600 writes, typed
//! corruption errors.
#![expect(clippy::unwrap_used, reason = "tests")]

use auth_core::{AccessToken, ClientCredentials, OAuthToken, TokenRequest, TokenUrl};
use auth_http::{FileStore, MemoryStore, StoreError, TokenStore};
use time::macros::datetime;

fn key(scope: &str) -> auth_core::RequestKey {
    let creds = ClientCredentials::new("svc", "s3cret").with_scopes(
        scope
            .parse::<auth_core::ScopeSet>()
            .unwrap()
            .iter()
            .cloned(),
    );
    TokenRequest::new(TokenUrl::parse("https://as.example/token").unwrap(), creds).key()
}

fn token(value: &str) -> OAuthToken {
    OAuthToken::new(
        AccessToken::new(value),
        datetime!(2026-01-01 00:00 UTC),
        datetime!(2026-01-01 01:00 UTC),
        "read".parse().unwrap(),
    )
}

#[tokio::test]
async fn memory_store_keys_by_the_whole_request_c56() {
    let store = MemoryStore::new();
    store.save(&key("read write"), &token("a")).await.unwrap();
    assert_eq!(
        store.load(&key("write read")).await.unwrap(),
        Some(token("a"))
    );
    assert_eq!(store.load(&key("read")).await.unwrap(), None);
}

#[tokio::test]
async fn file_store_round_trips_the_stored_format() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("token.json"));
    assert_eq!(store.load(&key("read")).await.unwrap(), None);
    store.save(&key("read"), &token("a")).await.unwrap();
    store.save(&key("read"), &token("b")).await.unwrap();
    assert_eq!(store.load(&key("read")).await.unwrap(), Some(token("b")));
    let text = std::fs::read_to_string(store.path()).unwrap();
    assert_eq!(
        OAuthToken::from_stored_json(text.as_bytes()).unwrap(),
        token("b")
    );
    // Only the token file is left: the temporary file was renamed over it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[cfg(unix)]
#[tokio::test]
async fn file_store_writes_mode_0600() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("token.json"));
    store.save(&key("read"), &token("a")).await.unwrap();
    let mode = std::fs::metadata(store.path())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn a_corrupt_file_is_a_typed_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("token.json"));
    for bad in [&b""[..], b"{", b"[]", br#"{"version":99}"#, b"\xff\xfe"] {
        std::fs::write(store.path(), bad).unwrap();
        let error = store.load(&key("read")).await.unwrap_err();
        assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
    }
}

#[tokio::test]
async fn a_missing_directory_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("missing").join("token.json"));
    let error = store.save(&key("read"), &token("a")).await.unwrap_err();
    assert!(matches!(error, StoreError::Io(_)), "{error:?}");
}
