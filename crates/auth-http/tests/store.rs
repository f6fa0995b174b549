//! `MemoryStore` and `FileStore`: round trips, atomic 0600 writes, typed
//! corruption errors, the persistent identity checked on load, files that
//! are not what they seem, temporary files of killed writers.
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
        OAuthToken::from_stored_json(text.as_bytes(), &key("read")).unwrap(),
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

#[tokio::test]
async fn a_token_saved_for_another_request_is_a_miss_and_the_same_request_reuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.json");
    FileStore::new(&path)
        .save(&key("read"), &token("a"))
        .await
        .unwrap();
    // A redeploy asks for another scope: the old token must not be used.
    let redeployed = FileStore::new(&path);
    assert_eq!(redeployed.load(&key("read write")).await.unwrap(), None);
    let other_url = TokenRequest::new(
        TokenUrl::parse("https://other.example/token").unwrap(),
        ClientCredentials::new("svc", "s3cret").with_scopes([auth_core::Scope::Read]),
    )
    .key();
    assert_eq!(redeployed.load(&other_url).await.unwrap(), None);
    // A restart with the same configuration (any secret) reuses it.
    let restarted = FileStore::new(&path);
    assert_eq!(
        restarted.load(&key("read")).await.unwrap(),
        Some(token("a"))
    );
}

#[tokio::test]
async fn a_version_1_file_that_names_no_request_is_a_miss() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("token.json"));
    let v1 = r#"{"version":1,"access_token":"old","token_type":"Bearer","issued_at":"2026-01-01T00:00:00Z","expires_at":"2099-01-01T00:00:00Z","scope":"read"}"#;
    std::fs::write(store.path(), v1).unwrap();
    assert_eq!(store.load(&key("read")).await.unwrap(), None);
    store.save(&key("read"), &token("new")).await.unwrap();
    assert_eq!(store.load(&key("read")).await.unwrap(), Some(token("new")));
}

#[tokio::test]
async fn in_dir_keeps_one_file_per_request_identity() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::in_dir(dir.path());
    store.save(&key("read"), &token("r")).await.unwrap();
    store.save(&key("write"), &token("w")).await.unwrap();
    assert_eq!(store.load(&key("read")).await.unwrap(), Some(token("r")));
    assert_eq!(store.load(&key("write")).await.unwrap(), Some(token("w")));
    assert_eq!(store.load(&key("read write")).await.unwrap(), None);
    let file = store.path_for(&key("read"));
    assert_eq!(
        file.file_name().unwrap().to_str().unwrap(),
        format!("{}.json", key("read").digest())
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    store.remove(&key("read")).await.unwrap();
    store.remove(&key("read")).await.unwrap(); // removing nothing is fine
    assert_eq!(store.load(&key("read")).await.unwrap(), None);
    assert_eq!(store.load(&key("write")).await.unwrap(), Some(token("w")));
}

#[cfg(unix)]
#[tokio::test]
async fn a_symlink_at_the_token_path_is_refused_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("elsewhere.json");
    FileStore::new(&elsewhere)
        .save(&key("read"), &token("a"))
        .await
        .unwrap();
    let store = FileStore::new(dir.path().join("token.json"));
    for target in [elsewhere.as_path(), std::path::Path::new("/dev/zero")] {
        let _ = std::fs::remove_file(store.path());
        std::os::unix::fs::symlink(target, store.path()).unwrap();
        let error = store.load(&key("read")).await.unwrap_err();
        assert!(
            matches!(error, StoreError::NotAFile),
            "{target:?}: {error:?}"
        );
    }
    // A save replaces the link itself, never what it points to.
    store.save(&key("read"), &token("b")).await.unwrap();
    assert!(
        !std::fs::symlink_metadata(store.path())
            .unwrap()
            .is_symlink()
    );
    assert_eq!(store.load(&key("read")).await.unwrap(), Some(token("b")));
}

#[tokio::test]
async fn a_directory_at_the_token_path_is_not_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path());
    let error = store.load(&key("read")).await.unwrap_err();
    assert!(matches!(error, StoreError::NotAFile), "{error:?}");
}

#[tokio::test]
async fn a_file_over_the_cap_is_too_large_even_when_it_holds_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("token.json"));
    store.save(&key("read"), &token("a")).await.unwrap();
    let json = std::fs::read_to_string(store.path()).unwrap();
    // Leading whitespace is valid JSON: without a cap this would load.
    let padding = usize::try_from(FileStore::MAX_FILE_BYTES).unwrap();
    std::fs::write(store.path(), format!("{}{json}", " ".repeat(padding))).unwrap();
    let error = store.load(&key("read")).await.unwrap_err();
    assert!(
        matches!(error, StoreError::TooLarge { limit } if limit == FileStore::MAX_FILE_BYTES),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_next_save_sweeps_temp_files_a_killed_writer_left_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("token.json"));
    // A pid that existed and is gone: a child that has been reaped.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let leftovers = [
        format!(".token.json.{dead}.0123456789abcdef.tmp"),
        // An earlier process with this pid (pid 1 in a container) left one.
        format!(".token.json.{}.fedcba9876543210.tmp", std::process::id()),
    ];
    let unrelated = [
        "notes.txt".to_owned(),
        format!(".other.json.{dead}.0123456789abcdef.tmp"),
        ".token.json.tmp".to_owned(),
    ];
    for name in leftovers.iter().chain(&unrelated) {
        std::fs::write(dir.path().join(name), b"{\"version\":2,").unwrap();
    }
    store.save(&key("read"), &token("a")).await.unwrap();
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    let mut expected: Vec<String> = unrelated.to_vec();
    expected.push("token.json".to_owned());
    expected.sort();
    assert_eq!(left, expected);
}

#[cfg(unix)]
#[tokio::test]
async fn remove_deletes_the_file_and_nothing_to_remove_is_fine() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("token.json"));
    store.save(&key("read"), &token("a")).await.unwrap();
    store.remove(&key("read")).await.unwrap();
    assert!(!store.path().exists());
    store.remove(&key("read")).await.unwrap();
}

/// The manager installs whatever `load` returns: after a redeploy with a
/// new audience the old token must be a miss there, and a restart with the
/// same configuration must still reuse it.
#[tokio::test]
async fn a_redeployed_manager_fetches_instead_of_reusing_another_requests_token() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    let transport = auth_http::from_fn(move |_request: http::Request<Vec<u8>>| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            Ok(http::Response::builder()
                .header("content-type", "application/json")
                .body(
                    format!(
                        r#"{{"access_token":"tok-{n}","token_type":"Bearer","expires_in":3600}}"#
                    )
                    .into_bytes(),
                )
                .unwrap())
        }
    });
    let transport = Arc::new(transport);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.json");
    let client = |audience: &str| {
        auth_core::Client::from_request(
            TokenRequest::new(
                TokenUrl::parse("https://as.example/token").unwrap(),
                ClientCredentials::new("svc", "s3cret"),
            )
            .with_audience(audience),
        )
    };
    let start = |audience: &str| {
        auth_http::TokenManager::builder(client(audience), Arc::clone(&transport))
            .store(FileStore::new(&path))
            .build()
    };
    let first = start("api://old").token().await.unwrap();
    let restarted = start("api://old").token().await.unwrap();
    assert_eq!(restarted.access_token(), first.access_token());
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    let redeployed = start("api://new").token().await.unwrap();
    assert_eq!(redeployed.access_token().expose_secret(), "tok-2");
    assert_eq!(requests.load(Ordering::SeqCst), 2);
}
