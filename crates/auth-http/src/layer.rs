//! [`BearerAuthLayer`] and [`BearerAuth<S>`]: tower middleware that adds the
//! [`TokenManager`]'s current token to every request.

use std::fmt;
use std::task::{Context, Poll};

use auth_core::{BearerChallenge, BearerErrorCode};
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::{Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use crate::error::{BoxError, Error, LoopbackOptIn};
use crate::fetch::check_bearer_target;
use crate::manager::TokenManager;
use crate::transport::BoxFuture;

/// The future of [`BearerAuth`].
pub type ResponseFuture<T> = BoxFuture<'static, Result<T, Error>>;

/// Wraps services in [`BearerAuth`].
///
/// ```no_run
/// # fn demo(manager: auth_http::TokenManager) {
/// use auth_http::BearerAuthLayer;
/// use tower::ServiceBuilder;
/// # let http_client = tower::service_fn(|_: http::Request<String>| async {
/// #     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
/// # });
/// let service = ServiceBuilder::new().layer(BearerAuthLayer::new(manager)).service(http_client);
/// # let _ = service;
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct BearerAuthLayer {
    manager: TokenManager,
    allow_insecure_loopback: bool,
}

impl BearerAuthLayer {
    /// A layer adding `manager`'s tokens. Only `https` requests get a token.
    #[must_use]
    pub fn new(manager: TokenManager) -> Self {
        Self {
            manager,
            allow_insecure_loopback: false,
        }
    }

    /// Also sends tokens over plain http to loopback hosts (`localhost`,
    /// `127.0.0.0/8`, `[::1]`), for local development and tests. Off by
    /// default (RFC 6750 §5.3, checklist C-60): without it, a request to
    /// `http://127.0.0.1/...` fails with
    /// [`InsecureUrlError::LoopbackNotAllowed`](crate::InsecureUrlError::LoopbackNotAllowed),
    /// whose message says to call this.
    ///
    /// Against the mock provider, which serves plain http on 127.0.0.1:
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// use auth_core::{Client, ClientCredentials, Scope, TokenUrl};
    /// use auth_http::{BearerAuthLayer, HyperTransport, TokenManager, Transport as _};
    /// use tower::{ServiceBuilder, ServiceExt as _};
    ///
    /// let server = mock_server::MockServer::start().await?;
    /// let transport = HyperTransport::new()?;
    /// let client = Client::new(
    ///     TokenUrl::parse(&server.token_url())?,
    ///     ClientCredentials::new("dev-service", "dev-secret").with_scopes([Scope::Read]),
    /// );
    /// let manager = TokenManager::new(client, transport.clone());
    /// let http = tower::service_fn(move |request: http::Request<Vec<u8>>| {
    ///     let transport = transport.clone();
    ///     async move { transport.send(request).await }
    /// });
    /// let api = ServiceBuilder::new()
    ///     .layer(BearerAuthLayer::new(manager).allow_insecure_loopback(true)) // local development only
    ///     .service(http);
    /// let response = api.oneshot(http::Request::get(server.resource_url()).body(Vec::new())?).await?;
    /// assert_eq!(response.status(), 200);
    /// # server.shutdown().await;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn allow_insecure_loopback(mut self, allow: bool) -> Self {
        self.allow_insecure_loopback = allow;
        self
    }
}

impl<S> Layer<S> for BearerAuthLayer {
    type Service = BearerAuth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BearerAuth {
            inner,
            manager: self.manager.clone(),
            allow_insecure_loopback: self.allow_insecure_loopback,
        }
    }
}

/// Adds `Authorization: Bearer <token>` (sensitive) to each request.
///
/// On `401` with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750
/// §3.1: "The client MAY request a new access token and retry") it forgets
/// that token, gets a new one and retries once; a second 401 is returned as
/// it is, so it never loops (checklist C-57). A `403 insufficient_scope`
/// is returned as it is, with no renewal: a new token would have the same
/// scope (C-58; read the needed scope with [`auth_core::BearerChallenge`]).
///
/// The retry resends the request, so the body must be cloneable: the
/// service takes `http::Request<B>` with `B: Clone` (`Full<Bytes>`,
/// `String`, `Vec<u8>`, `()`), which is what API clients send. A streaming
/// body cannot be replayed and is outside this layer's contract.
#[derive(Clone)]
pub struct BearerAuth<S> {
    inner: S,
    manager: TokenManager,
    allow_insecure_loopback: bool,
}

impl<S> fmt::Debug for BearerAuth<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuth")
            .field("manager", &self.manager)
            .field("allow_insecure_loopback", &self.allow_insecure_loopback)
            .finish_non_exhaustive()
    }
}

impl<S, B, ResBody> Service<Request<B>> for BearerAuth<S>
where
    S: Service<Request<B>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: Clone + Send + 'static,
    ResBody: Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = Error;
    type Future = ResponseFuture<Response<ResBody>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner
            .poll_ready(cx)
            .map_err(|e| Error::Service(e.into()))
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // Take the service that was driven to readiness; leave a clone.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let manager = self.manager.clone();
        let allow_loopback = self.allow_insecure_loopback;
        Box::pin(async move {
            check_bearer_target(request.uri(), allow_loopback, LoopbackOptIn::Layer)?;
            let replay = request.clone();
            let (token, header) = manager.bearer().await?;
            request.headers_mut().insert(AUTHORIZATION, header);
            let response = inner
                .call(request)
                .await
                .map_err(|e| Error::Service(e.into()))?;
            if !is_invalid_token(&response) {
                return Ok(response);
            }
            tracing::info!(
                "resource rejected the token (invalid_token); renewing once and retrying"
            );
            manager.invalidate_token(&token);
            let (_, header) = manager.bearer().await?;
            let mut retry = replay;
            retry.headers_mut().insert(AUTHORIZATION, header);
            std::future::poll_fn(|cx| inner.poll_ready(cx))
                .await
                .map_err(|e| Error::Service(e.into()))?;
            inner
                .call(retry)
                .await
                .map_err(|e| Error::Service(e.into()))
        })
    }
}

/// `401` with a Bearer challenge saying `invalid_token` (RFC 6750 §3.1).
fn is_invalid_token<B>(response: &Response<B>) -> bool {
    response.status() == StatusCode::UNAUTHORIZED
        && response
            .headers()
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(BearerChallenge::parse)
            .any(|c| c.error == Some(BearerErrorCode::InvalidToken))
}
