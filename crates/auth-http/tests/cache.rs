//! `TokenCache`: one token per distinct request (checklist C-56), per
//! secret and per parse options; bounded, least recently used first out.
#![expect(clippy::unwrap_used, reason = "tests")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_core::response::ParseOptions;
use auth_core::{Client, ClientCredentials, ExpiryPolicy, Scope, TokenUrl};
use auth_http::{CacheKey, Error, TokenCache, from_fn};

fn client(scopes: &[Scope]) -> Client {
    Client::new(
        TokenUrl::parse("https://as.example/token").unwrap(),
        ClientCredentials::new("svc", "s3cret").with_scopes(scopes.iter().cloned()),
    )
}

#[tokio::test]
async fn same_scope_set_in_another_order_shares_a_token_and_another_set_does_not_c56() {
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    let cache = TokenCache::new(from_fn(move |_request: http::Request<Vec<u8>>| {
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
    }));
    let read_write = cache
        .token(&client(&[Scope::Read, Scope::Write]))
        .await
        .unwrap();
    let write_read = cache
        .token(&client(&[Scope::Write, Scope::Read, Scope::Read]))
        .await
        .unwrap();
    assert!(Arc::ptr_eq(&read_write, &write_read));
    let read = cache.token(&client(&[Scope::Read])).await.unwrap();
    assert_ne!(read.access_token(), read_write.access_token());
    assert_eq!(requests.load(Ordering::SeqCst), 2);
    assert_eq!(cache.len(), 2);
}

fn with_secret(secret: &str) -> Client {
    Client::new(
        TokenUrl::parse("https://as.example/token").unwrap(),
        ClientCredentials::new("svc", secret),
    )
}

/// A provider that knows one secret (the current value of `secret`),
/// answers `tok-<n>` to it and `401 invalid_client` to anything else.
fn provider(
    secret: Arc<std::sync::Mutex<&'static str>>,
    requests: Arc<AtomicUsize>,
) -> impl auth_http::Transport {
    from_fn(move |request: http::Request<Vec<u8>>| {
        let n = requests.fetch_add(1, Ordering::SeqCst) + 1;
        let expected = auth_core::basic::encode(
            &auth_core::ClientId::new("svc"),
            &auth_core::ClientSecret::new(*secret.lock().unwrap()),
        );
        let sent = request.headers()["authorization"]
            .to_str()
            .unwrap()
            .to_owned();
        async move {
            let (status, body) = if sent == expected {
                (
                    200,
                    format!(
                        r#"{{"access_token":"tok-{n}","token_type":"Bearer","expires_in":3600}}"#
                    ),
                )
            } else {
                (401, r#"{"error":"invalid_client"}"#.to_owned())
            };
            Ok(http::Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(body.into_bytes())
                .unwrap())
        }
    })
}

#[tokio::test]
async fn a_wrong_secret_is_another_entry_and_never_gets_the_right_secrets_token() {
    let requests = Arc::new(AtomicUsize::new(0));
    let current = Arc::new(std::sync::Mutex::new("right"));
    let cache = TokenCache::new(provider(current, Arc::clone(&requests)))
        .with_retry(auth_http::RetryPolicy::none());
    let token = cache.token(&with_secret("right")).await.unwrap();
    assert_eq!(token.access_token().expose_secret(), "tok-1");
    let error = cache.token(&with_secret("wrong")).await.unwrap_err();
    assert!(error.is_provider_rejection(), "{error:?}");
    assert!(matches!(error.root(), Error::Core(_)), "{error:?}");
    assert_eq!(
        requests.load(Ordering::SeqCst),
        2,
        "the wrong secret was sent"
    );
    assert_eq!(cache.len(), 2);
}

#[tokio::test]
async fn a_rotated_secret_takes_effect_on_the_next_lookup() {
    let requests = Arc::new(AtomicUsize::new(0));
    let current = Arc::new(std::sync::Mutex::new("old"));
    let cache = TokenCache::new(provider(Arc::clone(&current), Arc::clone(&requests)))
        .with_retry(auth_http::RetryPolicy::none());
    let old = cache.token(&with_secret("old")).await.unwrap();
    // The provider rotates: the old secret stops working.
    *current.lock().unwrap() = "new";
    let new = cache.token(&with_secret("new")).await.unwrap();
    assert_ne!(old.access_token(), new.access_token());
    assert_eq!(new.access_token().expose_secret(), "tok-2");
    assert_eq!(
        CacheKey::new(&with_secret("old")).request(),
        CacheKey::new(&with_secret("new")).request(),
        "a store still names both by one persistent identity"
    );
}

#[tokio::test]
async fn other_parse_options_are_another_entry() {
    let requests = Arc::new(AtomicUsize::new(0));
    let current = Arc::new(std::sync::Mutex::new("s"));
    let cache = TokenCache::new(provider(current, Arc::clone(&requests)));
    let lenient = with_secret("s");
    let strict = with_secret("s").with_options(ParseOptions::default().with_strict(true));
    let short = with_secret("s").with_options(
        ParseOptions::default()
            .with_expiry(ExpiryPolicy::default().with_skew(std::time::Duration::from_secs(1))),
    );
    assert_ne!(CacheKey::new(&lenient), CacheKey::new(&strict));
    for client in [&lenient, &strict, &short, &lenient] {
        cache.token(client).await.unwrap();
    }
    assert_eq!(requests.load(Ordering::SeqCst), 3);
    assert_eq!(cache.len(), 3);
}

#[tokio::test]
async fn the_least_recently_used_client_goes_first_and_a_held_manager_keeps_working() {
    let requests = Arc::new(AtomicUsize::new(0));
    let current = Arc::new(std::sync::Mutex::new("s3cret"));
    let cache = TokenCache::new(provider(current, Arc::clone(&requests))).with_max_entries(2);
    assert_eq!(cache.max_entries(), 2);
    let (read, write, both) = (
        client(&[Scope::Read]),
        client(&[Scope::Write]),
        client(&[Scope::Read, Scope::Write]),
    );
    let held = cache.manager(&read);
    held.token().await.unwrap();
    cache.token(&write).await.unwrap();
    cache.token(&read).await.unwrap(); // `write` is now the least recently used
    cache.token(&both).await.unwrap();
    assert_eq!(cache.len(), 2);
    assert_eq!(requests.load(Ordering::SeqCst), 3);
    // `read` stayed: no new fetch. `write` was dropped: a new manager fetches.
    cache.token(&read).await.unwrap();
    assert_eq!(requests.load(Ordering::SeqCst), 3);
    cache.token(&write).await.unwrap();
    assert_eq!(requests.load(Ordering::SeqCst), 4);
    assert_eq!(cache.len(), 2);
    // `read` was dropped by that insert; the manager a caller holds still works.
    assert_eq!(
        held.token().await.unwrap().access_token().expose_secret(),
        "tok-1"
    );
    held.invalidate();
    assert_eq!(
        held.token().await.unwrap().access_token().expose_secret(),
        "tok-5"
    );
}

#[test]
fn a_cache_key_prints_neither_the_secret_nor_extra_parameter_values() {
    let client = Client::from_request(
        auth_core::TokenRequest::new(
            TokenUrl::parse("https://as.example/token").unwrap(),
            ClientCredentials::new("svc", "hunter2-secret"),
        )
        .with_extra_param("tenant_key", "tk-9f8e7d"),
    );
    let printed = format!("{:?}", CacheKey::new(&client));
    assert!(printed.contains("[REDACTED]"), "{printed}");
    for secret in ["hunter2-secret", "tk-9f8e7d"] {
        assert!(!printed.contains(secret), "{printed}");
    }
}

#[tokio::test]
async fn the_failure_window_of_every_manager_is_set_on_the_cache() {
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    let failing = move |_request: http::Request<Vec<u8>>| {
        counter.fetch_add(1, Ordering::SeqCst);
        async move {
            Ok(http::Response::builder()
                .status(400)
                .header("content-type", "application/json")
                .body(br#"{"error":"invalid_scope"}"#.to_vec())
                .unwrap())
        }
    };
    // The default window hands the first failure out again: one request.
    let cache = TokenCache::new(from_fn(failing.clone()));
    for _ in 0..3 {
        assert!(cache.token(&with_secret("a")).await.is_err());
    }
    assert_eq!(requests.swap(0, Ordering::SeqCst), 1);
    // A zero window asks the provider on every call.
    let cache = TokenCache::new(from_fn(failing))
        .with_failure_window(std::time::Duration::ZERO, std::time::Duration::ZERO);
    for _ in 0..3 {
        assert!(cache.token(&with_secret("a")).await.is_err());
    }
    assert_eq!(requests.load(Ordering::SeqCst), 3);
}
