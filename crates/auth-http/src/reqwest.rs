//! [`ReqwestTransport`]: a [`Transport`] over a `reqwest::Client`, for
//! services that already have one (feature `reqwest`).

use std::time::Duration;

use crate::error::Error;
use crate::hyper::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};
use crate::transport::{BoxFuture, DEFAULT_BODY_LIMIT, Transport};

/// A transport over `reqwest`. The body cap is enforced chunk by chunk.
///
/// [`ReqwestTransport::new`] builds a client with the same defaults as
/// [`HyperTransport`](crate::HyperTransport): no redirects, 10 s connect and
/// 30 s total timeouts. A client passed to [`ReqwestTransport::from_client`]
/// keeps its own settings: build it with `redirect(Policy::none())`, since
/// reqwest follows redirects by default and a token request must not
/// (RFC 9700 §4.12, checklist C-50).
///
/// ```
/// # fn main() -> Result<(), auth_http::Error> {
/// let transport = auth_http::ReqwestTransport::new()?.with_body_limit(64 * 1024);
/// # let _ = transport;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    limit: usize,
    /// The client's total timeout, when this crate set it.
    timeout: Duration,
}

impl ReqwestTransport {
    /// A client with redirects off and the default timeouts.
    pub fn new() -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
            .timeout(DEFAULT_TIMEOUT)
            .tcp_nodelay(true)
            .build()
            .map_err(Error::transport)?;
        Ok(Self {
            timeout: DEFAULT_TIMEOUT,
            ..Self::from_client(client)
        })
    }

    /// Wraps an existing client (see the type's docs about redirects).
    #[must_use]
    pub fn from_client(client: reqwest::Client) -> Self {
        Self {
            client,
            limit: DEFAULT_BODY_LIMIT,
            timeout: Duration::ZERO,
        }
    }

    /// Sets the body cap (default 1 MiB).
    #[must_use]
    pub fn with_body_limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
}

/// A reqwest timeout becomes [`Error::Timeout`] carrying the total timeout
/// this crate configured (zero for a client passed in: unknown).
fn classify(error: reqwest::Error, timeout: Duration) -> Error {
    if error.is_timeout() {
        Error::Timeout(timeout)
    } else {
        Error::transport(error)
    }
}

impl Transport for ReqwestTransport {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, Error>> {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request).map_err(Error::transport)?;
            let mut response = self
                .client
                .execute(request)
                .await
                .map_err(|e| classify(e, self.timeout))?;
            if response
                .content_length()
                .is_some_and(|len| len > self.limit as u64)
            {
                return Err(Error::BodyTooLarge { limit: self.limit });
            }
            let mut builder = http::Response::builder()
                .status(response.status())
                .version(response.version());
            if let Some(headers) = builder.headers_mut() {
                *headers = response.headers().clone();
            }
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| classify(e, self.timeout))?
            {
                if body.len().saturating_add(chunk.len()) > self.limit {
                    return Err(Error::BodyTooLarge { limit: self.limit });
                }
                body.extend_from_slice(&chunk);
            }
            builder.body(body).map_err(Error::transport)
        })
    }

    fn body_limit(&self) -> usize {
        self.limit
    }
}
