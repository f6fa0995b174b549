//! [`ManagedGrant`]: a [`Grant`] that follows the [`TokenManager`]'s
//! renewals, and the manager's `grant` and `operation_request`.

use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;
use auth_core::{Grant, OAuthToken, Operation, Requirement};
use http::header::AUTHORIZATION;

use crate::error::Error;
use crate::manager::TokenManager;

/// A [`Grant`] obtained from a [`TokenManager`]: the proof that the
/// manager's token was granted what `R` names, kept up to date across the
/// manager's renewals by one re-check per new token.
///
/// The rule (docs/typestate.md, "A grant and token renewal"):
///
/// 1. The grant keeps its token for as long as the manager hands that
///    token out, that is until the token needs refresh (or is
///    invalidated). Each use is then one comparison of token identities;
///    no request is sent.
/// 2. The first use after a renewal re-checks the new token once
///    ([`Grant::check`]). If it still meets `R`, the grant moves to it and
///    later uses are back to rule 1. If a scope is gone, the use fails with
///    [`Error::Core`]`(`[`auth_core::Error::MissingScopes`]`)` (see
///    [`Error::missing_scopes`]) and nothing is built: a renewed token with
///    fewer scopes is never used under an old grant, and the old token is
///    never used past its refresh point to avoid the error.
///
/// Clones share the grant (and so its re-check); it is `Send` and `Sync`,
/// for tasks that use one grant concurrently.
///
/// An operation takes a grant for exactly what it requires; a grant for
/// other scopes does not compile (E0308, "expected `&ManagedGrant<...>`"):
///
/// ```compile_fail
/// # use auth_core::scope::{DiscoveryRead, ServiceProfileWrite};
/// # struct UpdateProfile;
/// # impl auth_core::Operation for UpdateProfile {
/// #     type Requires = ServiceProfileWrite;
/// #     type Body = ();
/// #     fn to_request(&self) -> http::Request<()> { http::Request::new(()) }
/// # }
/// # async fn f(manager: auth_http::TokenManager) -> Result<(), auth_http::Error> {
/// let grant = manager.grant::<DiscoveryRead>().await?;
/// manager.operation_request(&UpdateProfile, &grant).await?; // needs serviceprofile:write
/// # Ok(()) }
/// ```
///
/// Its compiling twin, with the grant the operation requires:
///
/// ```
/// # use auth_core::scope::{DiscoveryRead, ServiceProfileWrite};
/// # struct UpdateProfile;
/// # impl auth_core::Operation for UpdateProfile {
/// #     type Requires = ServiceProfileWrite;
/// #     type Body = ();
/// #     fn to_request(&self) -> http::Request<()> { http::Request::new(()) }
/// # }
/// # async fn f(manager: auth_http::TokenManager) -> Result<(), auth_http::Error> {
/// let grant = manager.grant::<ServiceProfileWrite>().await?;
/// manager.operation_request(&UpdateProfile, &grant).await?;
/// # Ok(()) }
/// ```
pub struct ManagedGrant<R: Requirement> {
    /// The grant for the token last checked; replaced after a renewal.
    current: Arc<ArcSwap<Grant<R>>>,
}

impl<R: Requirement> ManagedGrant<R> {
    /// The grant for the token last checked (a plain, `Copy` [`Grant`], for
    /// [`Client::operation_request`](auth_core::Client::operation_request)).
    #[must_use]
    pub fn grant(&self) -> Grant<R> {
        **self.current.load()
    }

    /// True when this grant was last checked against `token`.
    #[must_use]
    pub fn is_for(&self, token: &OAuthToken) -> bool {
        self.current.load().is_for(token)
    }

    /// Checks the grant against `token`, the manager's token now: free for
    /// the token last checked, one [`Grant::check`] for a renewed one.
    fn verify(&self, token: &OAuthToken) -> Result<(), Error> {
        if self.is_for(token) {
            return Ok(());
        }
        match Grant::<R>::check(token) {
            Ok(renewed) => {
                tracing::debug!(scope = %token.scope(), "grant re-checked against the renewed token");
                self.current.store(Arc::new(renewed));
                Ok(())
            }
            Err(missing) => {
                tracing::warn!(error = %missing, "renewed token lost a scope a grant requires; not used");
                Err(Error::Core(missing.into()))
            }
        }
    }
}

impl<R: Requirement> Clone for ManagedGrant<R> {
    fn clone(&self) -> Self {
        Self {
            current: Arc::clone(&self.current),
        }
    }
}

impl<R: Requirement> fmt::Debug for ManagedGrant<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ManagedGrant").field(&self.grant()).finish()
    }
}

impl TokenManager {
    /// A grant for `R`: the manager's current token (fetched if needed, as
    /// [`TokenManager::token`]) checked against `R` once. Fails with
    /// [`Error::Core`]`(`[`auth_core::Error::MissingScopes`]`)` when the
    /// provider granted less; request what your operations need with
    /// [`Operations::scopes`](auth_core::Operations::scopes).
    ///
    /// ```
    /// # async fn f(manager: auth_http::TokenManager) -> Result<(), auth_http::Error> {
    /// use auth_core::scope::{ServiceProfileRead, ServiceProfileWrite};
    /// let grant = manager.grant::<(ServiceProfileRead, ServiceProfileWrite)>().await?;
    /// # let _ = grant; Ok(()) }
    /// ```
    pub async fn grant<R: Requirement>(&self) -> Result<ManagedGrant<R>, Error> {
        let token = self.token().await?;
        let grant = Grant::<R>::check(&token).map_err(|missing| Error::Core(missing.into()))?;
        Ok(ManagedGrant {
            current: Arc::new(ArcSwap::from_pointee(grant)),
        })
    }

    /// The request for `operation` with `Authorization: Bearer <token>`
    /// (sensitive) under `grant`, whose type must be exactly what the
    /// operation requires, or this does not compile. The token is the
    /// manager's current one (a warm grant sends no token request); after
    /// a renewal it is re-checked once, and a lost scope is
    /// [`Error::Core`]`(`[`auth_core::Error::MissingScopes`]`)` with nothing
    /// built (see [`ManagedGrant`]). Refuses plain http as
    /// [`TokenManager::authorize`] does (RFC 6750 §5.3).
    ///
    /// ```
    /// # async fn f(manager: auth_http::TokenManager) -> Result<(), auth_http::Error> {
    /// use auth_core::Operation;
    /// use auth_core::scope::DiscoveryRead;
    ///
    /// struct ListServices;
    /// impl Operation for ListServices {
    ///     type Requires = DiscoveryRead;
    ///     type Body = Vec<u8>;
    ///     fn to_request(&self) -> http::Request<Vec<u8>> {
    ///         let mut request = http::Request::new(Vec::new());
    ///         *request.uri_mut() = http::Uri::from_static("https://api.example/services");
    ///         request
    ///     }
    /// }
    ///
    /// let grant = manager.grant::<DiscoveryRead>().await?;
    /// let request = manager.operation_request(&ListServices, &grant).await?;
    /// assert!(request.headers().contains_key("authorization"));
    /// # Ok(()) }
    /// ```
    pub async fn operation_request<Op: Operation>(
        &self,
        operation: &Op,
        grant: &ManagedGrant<Op::Requires>,
    ) -> Result<http::Request<Op::Body>, Error> {
        let mut request = operation.to_request();
        self.check_bearer_target(request.uri())?;
        let (token, header) = self.bearer().await?;
        grant.verify(&token)?;
        request.headers_mut().insert(AUTHORIZATION, header);
        Ok(request)
    }
}
