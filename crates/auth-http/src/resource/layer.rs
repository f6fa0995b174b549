//! [`ValidateBearerLayer`] and [`ValidateBearer<S>`]: the tower middleware
//! that admits a request only with a valid bearer token, and hands the
//! inner service its [`Principal`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use auth_core::jose::Principal;
use tower_layer::Layer;
use tower_service::Service;

use super::answer::Refusal;
use super::bearer::{Presented, presented};
use super::extract::Realm;
use super::validator::Validator;
use crate::Error;

/// Wraps a service in [`ValidateBearer`]: requests without a valid token
/// are answered by the layer (RFC 6750 §3); the others reach the service
/// with the token's [`Principal`] and the [`Realm`] in their extensions,
/// where [`grant`](super::grant) finds them.
#[derive(Debug)]
pub struct ValidateBearerLayer<V> {
    validator: Arc<V>,
    realm: Realm,
}

impl<V> Clone for ValidateBearerLayer<V> {
    fn clone(&self) -> Self {
        Self {
            validator: Arc::clone(&self.validator),
            realm: self.realm.clone(),
        }
    }
}

impl<V: Validator> ValidateBearerLayer<V> {
    /// Validates with `validator`; challenges name `realm`.
    #[must_use]
    pub fn new(validator: V, realm: impl Into<Arc<str>>) -> Self {
        Self::from_shared(Arc::new(validator), realm)
    }

    /// [`new`](Self::new) with a validator shared with other layers (one
    /// key or introspection cache for the whole server).
    #[must_use]
    pub fn from_shared(validator: Arc<V>, realm: impl Into<Arc<str>>) -> Self {
        Self {
            validator,
            realm: Realm(realm.into()),
        }
    }
}

impl<S, V> Layer<S> for ValidateBearerLayer<V> {
    type Service = ValidateBearer<S, V>;

    fn layer(&self, inner: S) -> Self::Service {
        ValidateBearer {
            inner,
            validator: Arc::clone(&self.validator),
            realm: self.realm.clone(),
        }
    }
}

/// The service made by [`ValidateBearerLayer`].
#[derive(Debug)]
pub struct ValidateBearer<S, V> {
    inner: S,
    validator: Arc<V>,
    realm: Realm,
}

impl<S: Clone, V> Clone for ValidateBearer<S, V> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            validator: Arc::clone(&self.validator),
            realm: self.realm.clone(),
        }
    }
}

/// The future of [`ValidateBearer`].
pub type ResponseFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, V, ReqBody, ResBody> Service<http::Request<ReqBody>> for ValidateBearer<S, V>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    V: Validator + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = http::Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<Self::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> Self::Future {
        // The clone that was driven to ready serves this request (tower's
        // rule for services called from a future).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let validator = Arc::clone(&self.validator);
        let realm = self.realm.clone();
        let token = match presented(&request) {
            Presented::Token(token) => token.to_owned(),
            Presented::Missing => {
                tracing::debug!("request refused: no bearer token");
                return ready(Refusal::missing(realm.as_str()));
            }
            Presented::Malformed(why) => {
                tracing::info!(
                    reason = why,
                    "request refused: malformed bearer credentials"
                );
                return ready(Refusal::invalid_request(realm.as_str()));
            }
        };
        Box::pin(async move {
            match validator.validate(&token).await {
                Ok(principal) => {
                    insert(&mut request, principal, realm);
                    inner.call(request).await
                }
                Err(error) => Ok(refuse(&error, realm.as_str()).into_response()),
            }
        })
    }
}

fn insert<B>(request: &mut http::Request<B>, principal: Principal, realm: Realm) {
    let extensions = request.extensions_mut();
    extensions.insert(principal);
    extensions.insert(realm);
}

fn ready<T: Default + Send + 'static, E: Send + 'static>(
    refusal: Refusal,
) -> ResponseFuture<http::Response<T>, E> {
    Box::pin(std::future::ready(Ok(refusal.into_response())))
}

/// The answer to a validation failure, logged without token material:
/// our own error messages hold none (they name the check that failed).
fn refuse(error: &Error, realm: &str) -> Refusal {
    // Through `Error::Shared`: an answer one concurrent check shared.
    if let Error::InvalidToken(why) = error.root() {
        tracing::info!(reason = why.reason(), "request refused: invalid token");
        Refusal::invalid_token(realm)
    } else {
        tracing::warn!(error = %crate::one_line(error), "token could not be validated");
        Refusal::unavailable()
    }
}
