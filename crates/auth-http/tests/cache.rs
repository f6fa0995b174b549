//! `TokenCache`: one token per distinct request (checklist C-56).
#![expect(clippy::unwrap_used, reason = "tests")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_core::{Client, ClientCredentials, Scope, TokenUrl};
use auth_http::{TokenCache, from_fn};

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
