//! [`grant`]: the extractor a handler calls to get a typed
//! [`Grant`], from what [`ValidateBearer`](super::ValidateBearer) put in
//! the request.

use std::sync::Arc;

use auth_core::Grant;
use auth_core::Requirement;
use auth_core::jose::Principal;

use super::answer::Refusal;

/// The realm of the layer that validated a request, in its extensions
/// beside the [`Principal`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Realm(pub(crate) Arc<str>);

impl Realm {
    /// The realm's name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The [`Grant<R>`] of a request that passed [`ValidateBearer`](super::ValidateBearer):
/// `Err` is the answer to send instead, `403 insufficient_scope` naming
/// the scopes `R` needs (RFC 6750 §3.1). A request that did not pass the
/// layer (a routing mistake) has no principal and gets `401`: it fails
/// closed.
///
/// Works with any `http::Request`: hyper, tower, axum
/// (`request.extensions()` or `parts.extensions`).
pub fn grant<R: Requirement>(extensions: &http::Extensions) -> Result<Grant<R>, Refusal> {
    let realm = extensions.get::<Realm>().map_or("", Realm::as_str);
    let Some(principal) = extensions.get::<Principal>() else {
        tracing::error!(
            "a handler asked for a grant on a request the bearer layer did not validate"
        );
        return Err(Refusal::missing(realm));
    };
    Grant::<R>::check_principal(principal).map_err(|_| {
        // The scopes `R` needs are the handler's, not the token's.
        tracing::info!(needed = %R::scopes(), "request refused: insufficient scope");
        Refusal::insufficient_scope(realm, &R::scopes())
    })
}

/// An axum extractor for [`Grant<R>`] (feature `axum`): a handler with a
/// `Granted<R>` argument runs only when the request passed
/// [`ValidateBearer`](super::ValidateBearer) with a token granted what `R`
/// needs; otherwise the answer is the [`Refusal`] ([`grant`]'s rules).
///
/// ```ignore
/// async fn update(Granted(grant): Granted<ServiceProfileWrite>) -> &'static str { "written" }
/// let app = Router::new().route("/profile", put(update)).layer(ValidateBearerLayer::new(validator, "api"));
/// ```
#[cfg(feature = "axum")]
#[derive(Debug, Clone, Copy)]
pub struct Granted<R: Requirement>(pub Grant<R>);

#[cfg(feature = "axum")]
impl<R: Requirement, S: Send + Sync> axum_core::extract::FromRequestParts<S> for Granted<R> {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        grant::<R>(&parts.extensions).map(Granted)
    }
}

#[cfg(feature = "axum")]
impl axum_core::response::IntoResponse for Refusal {
    fn into_response(self) -> axum_core::response::Response {
        Refusal::into_response(self)
    }
}
