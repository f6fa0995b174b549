//! [`HyperTransport`]: hyper-util's client over rustls, with the defaults a
//! token client needs: connect and total timeouts, a 1 MiB body cap
//! enforced while streaming, no redirects, `TCP_NODELAY`.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http_body_util::{BodyExt as _, Full};
use hyper_rustls::{ConfigBuilderExt as _, HttpsConnector};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::ClientConfig;

use crate::error::Error;
use crate::transport::{BoxFuture, DEFAULT_BODY_LIMIT, Transport};

/// Default time to establish a TCP connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time for a whole exchange: connect, TLS, request, whole body.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// An HTTPS (and loopback HTTP) transport on hyper-util's pooled client
/// with rustls and the Mozilla roots (webpki-roots) by default.
///
/// - connect timeout 10 s, total timeout 30 s (both on by default);
/// - the body is read frame by frame and refused past 1 MiB, so memory
///   stays bounded whatever the peer sends;
/// - redirects are never followed: a 3xx comes back as it is (C-50);
/// - `TCP_NODELAY` is set: a token request is one small write.
///
/// ```
/// # fn main() -> Result<(), auth_http::Error> {
/// use std::time::Duration;
/// let transport = auth_http::HyperTransport::builder()
///     .timeout(Duration::from_secs(5))
///     .body_limit(64 * 1024)
///     .build()?;
/// # let _ = transport;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HyperTransport {
    client: HyperClient<HttpsConnector<HttpConnector>, Full<Bytes>>,
    connect_timeout: Duration,
    timeout: Duration,
    limit: usize,
}

impl fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperTransport")
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// Which certificates a [`HyperTransport`] trusts.
#[derive(Debug, Clone, Default)]
enum Roots {
    #[default]
    Webpki,
    Native,
    Custom(Arc<ClientConfig>),
}

/// Configures a [`HyperTransport`].
#[derive(Debug, Clone)]
pub struct HyperTransportBuilder {
    connect_timeout: Duration,
    timeout: Duration,
    limit: usize,
    roots: Roots,
}

impl HyperTransport {
    /// A transport with the defaults (webpki roots, 10 s connect, 30 s total, 1 MiB).
    pub fn new() -> Result<Self, Error> {
        Self::builder().build()
    }

    /// A builder, starting from the defaults.
    #[must_use]
    pub fn builder() -> HyperTransportBuilder {
        HyperTransportBuilder {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            limit: DEFAULT_BODY_LIMIT,
            roots: Roots::default(),
        }
    }
}

impl HyperTransportBuilder {
    /// Time allowed to establish the TCP connection.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for a whole exchange, body included.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The most body bytes read.
    #[must_use]
    pub fn body_limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Trusts the operating system's certificate store instead of the
    /// bundled Mozilla roots.
    #[must_use]
    pub fn native_roots(mut self) -> Self {
        self.roots = Roots::Native;
        self
    }

    /// Uses this rustls configuration (a private CA, client certificates).
    /// Certificates are always verified: there is no switch to turn that off.
    #[must_use]
    pub fn tls_config(mut self, config: ClientConfig) -> Self {
        self.roots = Roots::Custom(Arc::new(config));
        self
    }

    /// Builds the transport.
    pub fn build(self) -> Result<HyperTransport, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = match self.roots {
            Roots::Custom(config) => (*config).clone(),
            roots => {
                let builder = ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map_err(Error::transport)?;
                let builder = match roots {
                    Roots::Native => builder.with_native_roots().map_err(Error::transport)?,
                    _ => builder.with_webpki_roots(),
                };
                builder.with_no_client_auth()
            }
        };
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(self.connect_timeout));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = HyperClient::builder(TokioExecutor::new()).build(https);
        Ok(HyperTransport {
            client,
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            limit: self.limit,
        })
    }
}

impl Transport for HyperTransport {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> BoxFuture<'_, Result<http::Response<Vec<u8>>, Error>> {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let request = http::Request::from_parts(parts, Full::new(Bytes::from(body)));
            let exchange = async {
                let response = self
                    .client
                    .request(request)
                    .await
                    .map_err(|e| classify(e, self.connect_timeout))?;
                let (parts, body) = response.into_parts();
                let declared = parts
                    .headers
                    .get(CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok());
                if declared.is_some_and(|len| len > self.limit as u64) {
                    return Err(Error::BodyTooLarge { limit: self.limit });
                }
                let body = read_capped(body, self.limit).await?;
                Ok(http::Response::from_parts(parts, body))
            };
            tokio::time::timeout(self.timeout, exchange)
                .await
                .map_err(|_| Error::Timeout(self.timeout))?
        })
    }

    fn body_limit(&self) -> usize {
        self.limit
    }
}

/// Reads `body` frame by frame, failing as soon as it would pass `limit`:
/// at most `limit` bytes plus one frame are ever held.
async fn read_capped(mut body: hyper::body::Incoming, limit: usize) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(Error::transport)?;
        if let Ok(data) = frame.into_data() {
            if out.len().saturating_add(data.len()) > limit {
                return Err(Error::BodyTooLarge { limit });
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

/// A connect timeout surfaces as an `io::ErrorKind::TimedOut` deep in the
/// chain; report it as [`Error::Timeout`] like the total deadline.
fn classify(error: hyper_util::client::legacy::Error, connect_timeout: Duration) -> Error {
    let mut source: Option<&(dyn StdError + 'static)> = Some(&error);
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return Error::Timeout(connect_timeout);
        }
        source = current.source();
    }
    Error::transport(error)
}
