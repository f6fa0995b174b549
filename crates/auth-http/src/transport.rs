//! The [`Transport`] trait: send an `http::Request<Vec<u8>>`, get an
//! `http::Response<Vec<u8>>` whose body was read up to a cap.
//!
//! auth-core builds the token request and parses the answer; a transport
//! only moves bytes. [`HyperTransport`](crate::HyperTransport) is the one
//! this crate ships; any other HTTP client plugs in through [`from_fn`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::error::Error;

/// A boxed, `Send` future: the return type of [`Transport::send`] and of
/// the [`TokenStore`](crate::TokenStore) methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The most body bytes a transport reads by default: 1 MiB. A token
/// response is a few hundred bytes; anything near this is not one.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Sends one HTTP request and reads the whole answer, body capped.
///
/// The future is boxed so that the trait is dyn-compatible: the
/// [`TokenManager`](crate::TokenManager) holds an `Arc<dyn Transport>`, so
/// its type does not depend on the HTTP client under it. The box costs one
/// allocation per request that crosses the network, which is noise next to
/// a round trip, and nothing on the cached path, which never sends.
///
/// Contract for implementations:
/// - never follow redirects: a 3xx is returned as it is (RFC 9700 §4.12,
///   checklist C-50), and auth-core turns it into an [`ApiError`](auth_core::ApiError);
/// - read at most [`Transport::body_limit`] bytes and fail with
///   [`Error::BodyTooLarge`] past it, without buffering more;
/// - report failures as [`Error::Transport`] (connection, TLS, protocol)
///   or [`Error::Timeout`].
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends `request` and returns the answer with its whole body.
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, Error>>;

    /// The most body bytes this transport reads.
    fn body_limit(&self) -> usize {
        DEFAULT_BODY_LIMIT
    }
}

/// A [`Transport`] made of a closure; see [`from_fn`].
#[derive(Clone)]
pub struct FnTransport<F> {
    f: F,
    limit: usize,
}

impl<F> FnTransport<F> {
    /// Sets the body cap this transport enforces on the answers the closure
    /// returns (default 1 MiB).
    #[must_use]
    pub fn with_body_limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
}

impl<F> fmt::Debug for FnTransport<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnTransport")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// Turns a closure into a [`Transport`], so any HTTP client plugs in. The
/// body cap is checked on what the closure returns; a closure over a
/// streaming client should enforce it while reading, too.
///
/// ```
/// # async fn demo() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// use auth_http::{from_fn, Transport};
/// let transport = from_fn(|request: http::Request<Vec<u8>>| async move {
///     assert_eq!(request.method(), "POST");
///     Ok(http::Response::new(br#"{"access_token":"t","token_type":"Bearer"}"#.to_vec()))
/// });
/// let answer = transport.send(http::Request::post("https://as.example/token").body(Vec::new())?).await?;
/// assert_eq!(answer.status(), 200);
/// # Ok(()) }
/// ```
pub fn from_fn<F, Fut>(f: F) -> FnTransport<F>
where
    F: Fn(http::Request<Vec<u8>>) -> Fut + Send + Sync,
    Fut: Future<Output = Result<http::Response<Vec<u8>>, Error>> + Send + 'static,
{
    FnTransport {
        f,
        limit: DEFAULT_BODY_LIMIT,
    }
}

impl<F, Fut> Transport for FnTransport<F>
where
    F: Fn(http::Request<Vec<u8>>) -> Fut + Send + Sync,
    Fut: Future<Output = Result<http::Response<Vec<u8>>, Error>> + Send + 'static,
{
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, Error>> {
        let fut = (self.f)(request);
        let limit = self.limit;
        Box::pin(async move {
            let response = fut.await?;
            if response.body().len() > limit {
                return Err(Error::BodyTooLarge { limit });
            }
            Ok(response)
        })
    }

    fn body_limit(&self) -> usize {
        self.limit
    }
}

impl<T: Transport + ?Sized> Transport for std::sync::Arc<T> {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, Error>> {
        (**self).send(request)
    }

    fn body_limit(&self) -> usize {
        (**self).body_limit()
    }
}

impl<T: Transport + ?Sized> Transport for &T {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, Error>> {
        (**self).send(request)
    }

    fn body_limit(&self) -> usize {
        (**self).body_limit()
    }
}
