//! [`MemoryStore`]: tokens in a map keyed by the persistent identity.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use auth_core::{OAuthToken, RequestKey};

use super::{StoreError, TokenStore};
use crate::transport::BoxFuture;

/// Tokens in memory, keyed by the whole request ([`RequestKey`]).
#[derive(Debug, Default)]
pub struct MemoryStore {
    tokens: Mutex<HashMap<RequestKey, OAuthToken>>,
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<RequestKey, OAuthToken>> {
        // A panic while holding the lock cannot leave the map half-written:
        // every critical section is a single insert or clone.
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl TokenStore for MemoryStore {
    fn load<'a>(
        &'a self,
        key: &'a RequestKey,
    ) -> BoxFuture<'a, Result<Option<OAuthToken>, StoreError>> {
        let token = self.lock().get(key).cloned();
        Box::pin(async move { Ok(token) })
    }

    fn save<'a>(
        &'a self,
        key: &'a RequestKey,
        token: &'a OAuthToken,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.lock().insert(key.clone(), token.clone());
        Box::pin(async move { Ok(()) })
    }

    fn remove<'a>(&'a self, key: &'a RequestKey) -> BoxFuture<'a, Result<(), StoreError>> {
        self.lock().remove(key);
        Box::pin(async move { Ok(()) })
    }
}
