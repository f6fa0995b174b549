//! [`MockServer`]: start on `127.0.0.1:0` in one line, a handle to inspect
//! and steer it, graceful shutdown on demand or on drop.

use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use auth_core::jose::Algorithm;
use auth_core::{Clock, Implications, ScopeSet, SystemClock};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::admin_access::{AdminToken, MetricsToken};
use crate::config::{ClientRegistration, Config, TokenFormat};
use crate::drain::{Connections, Open};
use crate::error::Error;
use crate::expect::{Expectation, ExpectationGuard, Expectations, RequestMatcher, VerifyError};
use crate::fault::{FaultId, FaultRule};
use crate::issuer::Claims;
use crate::journal::JournalEntry;
use crate::keys::Keys;
use crate::router::{Endpoints, Router};
use crate::state::State;
use crate::timed_io::{Phase, TimedIo, Timeouts};
use crate::tls::Tls;

/// Largest request head accepted (431 beyond).
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// How long shutdown waits for in-flight requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Configures a [`MockServer`]. Starts from the embedded default
/// configuration (checklist fixtures F1-F7, every named scope).
#[derive(Debug)]
pub struct MockServerBuilder {
    config: Config,
    tls: Option<Tls>,
    clock: Arc<dyn Clock>,
    addr: SocketAddr,
    workers: usize,
}

impl MockServerBuilder {
    /// A builder starting from `config` rather than the embedded
    /// configuration: [`MockServer::builder`]`().config(config)` without
    /// building the embedded one to drop it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), mock_server::Error> {
    /// use mock_server::{Config, MockServerBuilder};
    /// let config = Config::from_toml(r#"
    ///     [[clients]]
    ///     id = "svc"
    ///     secret = "s3cret"
    /// "#)?;
    /// let server = MockServerBuilder::from_config(config).start().await?;
    /// assert_eq!(server.clients().len(), 1);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn from_config(config: Config) -> Self {
        Self {
            config,
            tls: None,
            clock: Arc::new(SystemClock),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            workers: 1,
        }
    }

    /// Adds (or replaces, by id) a client.
    #[must_use]
    pub fn client(mut self, client: ClientRegistration) -> Self {
        self.config.clients.retain(|c| c.id() != client.id());
        self.config.clients.push(client);
        self
    }

    /// Removes every client registered so far (the embedded ones included).
    #[must_use]
    pub fn without_clients(mut self) -> Self {
        self.config.clients.clear();
        self
    }

    /// Replaces the whole configuration.
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Lifetime of issued tokens (whole seconds, at least one).
    #[must_use]
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.config.token_lifetime_secs = lifetime.as_secs().max(1);
        self
    }

    /// The form of issued tokens for clients that do not name their own
    /// (default [`TokenFormat::Jwt`]). Benchmarks and suites that mint
    /// thousands of tokens pin [`TokenFormat::Opaque`], the fastest.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// use mock_server::{MockServer, TokenFormat};
    /// let server = MockServer::builder().token_format(TokenFormat::Opaque).start().await?;
    /// let token = server.mint_token("s6BhdRkqt3", &"read".parse()?);
    /// assert_eq!(token.matches('.').count(), 1, "opaque, not a JWT");
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn token_format(mut self, format: TokenFormat) -> Self {
        self.config.token_format = format;
        self
    }

    /// The algorithm JWTs are signed with (default `RS256`; `ES256` and `EdDSA`
    /// too; HS256 is refused at start).
    #[must_use]
    pub fn signing_alg(mut self, alg: Algorithm) -> Self {
        self.config.signing_alg = alg;
        self
    }

    /// Where the signing keys come from (default: the embedded
    /// development keys).
    #[must_use]
    pub fn keys(mut self, keys: Keys) -> Self {
        self.config.keys = keys;
        self
    }

    /// The JWT `aud` when a request names no `resource` (default: the
    /// mock's own `{url}/resource`).
    #[must_use]
    pub fn default_audience(mut self, audience: impl Into<String>) -> Self {
        self.config.default_audience = Some(audience.into());
        self
    }

    /// Adds a known RFC 8707 resource.
    #[must_use]
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.config.resources.push(resource.into());
        self
    }

    /// Time for a request head to arrive (default 10 s): on a new
    /// connection from accept, on a kept-alive one from the head's first
    /// byte. The connection is closed after it.
    #[must_use]
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.config.header_timeout_ms = millis(timeout);
        self
    }

    /// Time for a request body to arrive (default 10 s; 408 after).
    #[must_use]
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.config.body_timeout_ms = millis(timeout);
        self
    }

    /// How long a kept-alive connection may wait for its next request
    /// before it is closed (default 120 s).
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.config.idle_timeout_ms = millis(timeout);
        self
    }

    /// How long writing an answer may make no progress before the
    /// connection is dropped: a peer that stops reading (default 10 s).
    #[must_use]
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.config.write_timeout_ms = millis(timeout);
        self
    }

    /// Most connections open at once (default 1024, at least 1); one
    /// accepted beyond it is closed at once.
    #[must_use]
    pub fn max_connections(mut self, max: usize) -> Self {
        self.config.max_connections = max.max(1);
        self
    }

    /// Requires `Authorization: Bearer <token>` on the admin API from every
    /// peer, loopback included (without one, only loopback peers may use it).
    #[must_use]
    pub fn admin_token(mut self, token: AdminToken) -> Self {
        self.config.admin_token = Some(token);
        self
    }

    /// A read-only token for a metrics scraper: `Authorization: Bearer
    /// <token>` opens `GET /_mock/metrics` and nothing else.
    #[must_use]
    pub fn metrics_token(mut self, token: MetricsToken) -> Self {
        self.config.metrics_token = Some(token);
        self
    }

    /// A network (CIDR, or one address) whose peers may read
    /// `GET /_mock/metrics` without a token (checked at start).
    #[must_use]
    pub fn metrics_scraper(mut self, network: impl Into<String>) -> Self {
        self.config.metrics_scrapers.push(network.into());
        self
    }

    /// One more `Host` the admin API accepts: `name` (any port) or
    /// `name:port` (checked at start).
    #[must_use]
    pub fn admin_host(mut self, host: impl Into<String>) -> Self {
        self.config.admin_hosts.push(host.into());
        self
    }

    /// Adds declared scope implications that the protected resource
    /// (`/resource`) honours: a token granted an implier passes where the
    /// implied scope is required, following chains (`required ⊆
    /// closure(granted)`). None by default: the check is literal. The
    /// `scope_implications` key of the config file, in code;
    /// `Implications::named()` is the named table's `write ⇒ read`.
    #[must_use]
    pub fn scope_implications(mut self, implications: &Implications) -> Self {
        for (implier, implied) in implications.iter() {
            let entry = self
                .config
                .scope_implications
                .entry(implier.clone())
                .or_default();
            if !entry.contains(implied) {
                entry.push(implied.clone());
            }
        }
        self
    }

    /// How many journal entries are kept.
    #[must_use]
    pub fn journal_capacity(mut self, capacity: usize) -> Self {
        self.config.journal_capacity = capacity;
        self
    }

    /// The clock tokens are issued and checked against (default: the system clock).
    #[must_use]
    pub fn clock(self, clock: impl Clock + 'static) -> Self {
        self.shared_clock(Arc::new(clock))
    }

    /// A shared clock.
    #[must_use]
    pub fn shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Serves https (default: plain http).
    #[must_use]
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Where to listen (default `127.0.0.1:0`).
    #[must_use]
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Threads that serve connections (default 1: the runtime `start` is
    /// called on). Each further one is a thread of its own with a
    /// single-threaded runtime; accepted connections are dealt to the
    /// runtimes in turn and stay where they were dealt, as nginx's and
    /// Envoy's workers keep theirs. A connection's state then stays in one
    /// core's cache, where a work-stealing runtime moves busy connections
    /// between cores (docs/performance.md, Workers).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), mock_server::Error> {
    /// let server = mock_server::MockServer::builder().workers(2).start().await?;
    /// # server.shutdown().await;
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Binds and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<MockServer, Error> {
        self.config.validate()?;
        let tls = self.tls.as_ref().map(crate::tls::setup).transpose()?;
        let listener = TcpListener::bind(self.addr)
            .await
            .map_err(|source| Error::Bind {
                addr: self.addr.to_string(),
                source,
            })?;
        let local_addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{local_addr}");
        let (stop, stopped) = watch::channel(false);
        let state = Arc::new(State::new(
            &self.config,
            self.clock,
            url.clone(),
            stopped.clone(),
        )?);
        let (acceptor, ca_pem) = match tls {
            Some(setup) => (Some(setup.acceptor), setup.ca_pem),
            None => (None, None),
        };
        let connections = Connections::new();
        let serving = Arc::new(Serving::new(Arc::clone(&state), acceptor));
        let workers = (1..self.workers)
            .map(|index| Worker::start(index, &serving, &connections, stopped.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let task = tokio::spawn(serve(listener, serving, connections, workers, stopped));
        Ok(MockServer {
            state,
            url,
            local_addr,
            ca_pem,
            stop,
            task: Some(task),
        })
    }
}

/// Whole milliseconds, at least one.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// What every runtime serving this server's connections shares.
struct Serving {
    state: Arc<State>,
    http: hyper::server::conn::http1::Builder,
    timeouts: Timeouts,
    tls: Option<TlsAcceptor>,
}

impl Serving {
    fn new(state: Arc<State>, tls: Option<TlsAcceptor>) -> Self {
        let mut http = hyper::server::conn::http1::Builder::new();
        // The head, idle and write timeouts are `TimedIo`'s: hyper's header
        // timer would also cut idle connections at the header timeout.
        http.timer(TokioTimer::new())
            .header_read_timeout(None)
            .max_buf_size(MAX_HEADER_BYTES.max(8192));
        let timeouts = Timeouts {
            header: state.settings.header_timeout,
            idle: state.settings.idle_timeout,
            write: state.settings.write_timeout,
        };
        Self {
            state,
            http,
            timeouts,
            tls,
        }
    }

    /// Serves an accepted connection on the runtime this is called on,
    /// until it ends (its slot and its [`Open`] are released then).
    fn spawn(&self, accepted: Accepted) {
        let Accepted {
            stream,
            peer,
            local,
            slot,
            open,
        } = accepted;
        let endpoints = Endpoints {
            peer,
            local,
            secure: self.tls.is_some(),
        };
        let phase = Phase::new();
        let router = Router::new(Arc::clone(&self.state), endpoints, Arc::clone(&phase));
        let timeouts = self.timeouts;
        match &self.tls {
            None => {
                let io = TokioIo::new(TimedIo::new(stream, Arc::clone(&phase), timeouts));
                let connection = self.http.serve_connection(io, router);
                tokio::spawn(async move {
                    serve_until_quiet(connection, &open, &phase).await;
                    drop(slot);
                });
            }
            Some(acceptor) => {
                let (acceptor, http) = (acceptor.clone(), self.http.clone());
                tokio::spawn(async move {
                    let handshake = tokio::time::timeout(timeouts.header, acceptor.accept(stream));
                    // A handshake is no request: stopping ends it.
                    let accepted = tokio::select! {
                        accepted = handshake => accepted.ok().and_then(Result::ok),
                        () = open.stopped() => None,
                    };
                    if let Some(stream) = accepted {
                        let io = TokioIo::new(TimedIo::new(stream, Arc::clone(&phase), timeouts));
                        let connection = http.serve_connection(io, router);
                        serve_until_quiet(connection, &open, &phase).await;
                    }
                    drop(slot);
                });
            }
        }
    }
}

/// A connection taken from the listener, with its place under the
/// connection limit and in the drain.
struct Accepted<S = TcpStream> {
    stream: S,
    peer: SocketAddr,
    local: SocketAddr,
    slot: OwnedSemaphorePermit,
    open: Open,
}

impl<S> Accepted<S> {
    /// The same connection with its stream converted: detached from the
    /// accepting runtime's reactor (`TcpStream::into_std`), or registered
    /// with the reactor of the runtime this is called on
    /// (`TcpStream::from_std`).
    fn convert<T>(
        self,
        stream: impl FnOnce(S) -> std::io::Result<T>,
    ) -> std::io::Result<Accepted<T>> {
        Ok(Accepted {
            stream: stream(self.stream)?,
            peer: self.peer,
            local: self.local,
            slot: self.slot,
            open: self.open,
        })
    }
}

/// A thread with a single-threaded runtime serving the connections handed
/// to it ([`MockServerBuilder::workers`]).
struct Worker {
    handoff: mpsc::UnboundedSender<Accepted<std::net::TcpStream>>,
    done: oneshot::Receiver<()>,
}

impl Worker {
    fn start(
        index: usize,
        serving: &Arc<Serving>,
        connections: &Arc<Connections>,
        mut stopped: watch::Receiver<bool>,
    ) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (handoff, mut handed) = mpsc::unbounded_channel::<Accepted<std::net::TcpStream>>();
        let (finished, done) = oneshot::channel();
        let (serving, connections) = (Arc::clone(serving), Arc::clone(connections));
        std::thread::Builder::new()
            .name(format!("mock-worker-{index}"))
            .spawn(move || {
                // The thread's random number generator (every token's
                // `jti`) detects CPU features on first use, which is slow
                // on a VM: made now, not in the first token request.
                drop(rand::rng());
                runtime.block_on(async {
                    loop {
                        tokio::select! {
                            accepted = handed.recv() => match accepted.map(|a| a.convert(TcpStream::from_std)) {
                                Some(Ok(accepted)) => serving.spawn(accepted),
                                // Cannot be registered: closed unanswered.
                                Some(Err(_)) => {}
                                None => break,
                            },
                            () = stopping(&mut stopped) => break,
                        }
                    }
                    // Also when the accepting task is gone without a stop
                    // (its runtime was dropped): nothing else ends these.
                    drain(&connections).await;
                });
                drop(runtime);
                let _ = finished.send(());
            })?;
        Ok(Self { handoff, done })
    }
}

async fn serve(
    listener: TcpListener,
    serving: Arc<Serving>,
    connections: Arc<Connections>,
    workers: Vec<Worker>,
    mut stopped: watch::Receiver<bool>,
) {
    let state = &serving.state;
    // More permits than a semaphore holds is no limit at all.
    let slots = Arc::new(Semaphore::new(
        state.settings.max_connections.min(Semaphore::MAX_PERMITS),
    ));
    // Connections are dealt in turn: to this runtime, then to each worker.
    let mut turn = 0;
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    // Over the limit: close at once, as Envoy's listener
                    // connection limit does. The peer sees the refusal now
                    // (not a connect that hangs in the backlog), and an
                    // answer would mean reading its request first.
                    let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                        drop(stream);
                        continue;
                    };
                    // Avoid the 40 ms Nagle/delayed-ACK stall.
                    let _ = stream.set_nodelay(true);
                    let Ok(local) = stream.local_addr() else {
                        continue;
                    };
                    let accepted = Accepted { stream, peer, local, slot, open: connections.open() };
                    let this_turn = turn;
                    turn = (turn + 1) % (workers.len() + 1);
                    match this_turn.checked_sub(1).and_then(|index| workers.get(index)) {
                        None => serving.spawn(accepted),
                        Some(worker) => {
                            // A worker that is gone (it panicked) leaves its
                            // turn to this runtime.
                            if let Ok(detached) = accepted.convert(TcpStream::into_std)
                                && let Err(returned) = worker.handoff.send(detached)
                                && let Ok(accepted) = returned.0.convert(TcpStream::from_std)
                            {
                                serving.spawn(accepted);
                            }
                        }
                    }
                }
                // Out of file descriptors and the like: back off, keep serving.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            () = stopping(&mut stopped) => break,
        }
    }
    drop(listener);
    drain(&connections).await;
    for worker in workers {
        drop(worker.handoff);
        let _ = worker.done.await;
    }
}

/// Stops every connection and waits until they are closed, at most
/// [`DRAIN_TIMEOUT`].
async fn drain(connections: &Connections) {
    connections.stop();
    tokio::select! {
        () = connections.closed() => {}
        () = tokio::time::sleep(DRAIN_TIMEOUT) => {}
    }
}

/// Drives a connection to its end. Once the server is stopping, it asks
/// hyper for a graceful close (an idle connection closes, one answering
/// finishes its answer first) and ends the connection (by dropping it) as
/// soon as it is quiet: no request being handled, no answer going out.
/// hyper's graceful close waits for a request head that has started to
/// arrive, which a slow, stuck or half-open client may never finish: the
/// drain would hold shutdown (Ctrl-C) for its whole 5 s. Nothing was
/// promised to a head not yet complete; Go's `Server.Shutdown` and nginx's
/// graceful stop likewise close what is not serving a request and wait
/// only for what is.
async fn serve_until_quiet<I>(
    connection: hyper::server::conn::http1::Connection<I, Router>,
    open: &Open,
    phase: &Phase,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin,
{
    let mut connection = pin!(connection);
    let mut closing = false;
    // The stop wakes the connection, so this is checked then, and after
    // every step the connection makes.
    poll_fn(|cx| {
        let stopping = open.stopping(cx);
        if stopping && !closing {
            connection.as_mut().graceful_shutdown();
            closing = true;
        }
        if connection.as_mut().poll(cx).is_ready() || (stopping && phase.is_quiet()) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

/// Resolves once a stop is signalled (or the handle is gone).
pub(crate) async fn stopping(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// A running mock provider.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), mock_server::Error> {
/// use mock_server::{MockServer, token_request};
///
/// let server = MockServer::start().await?;
/// assert!(server.token_url().ends_with("/token"));
/// // Checked on `verify()` and when the server is dropped or shut down.
/// server.expect(token_request().client("s6BhdRkqt3")).never();
/// server.shutdown().await;
/// # Ok(()) }
/// ```
///
/// The examples below send requests with auth-http's `HyperTransport`
/// (any HTTP client will do) as checklist fixture F1, `s6BhdRkqt3`, whose
/// `Authorization: Basic` value is `czZCaGRSa3F0MzpnWDFmQmF0M2JW`.
#[derive(Debug)]
pub struct MockServer {
    state: Arc<State>,
    url: String,
    local_addr: SocketAddr,
    ca_pem: Option<String>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl MockServer {
    /// A builder starting from the embedded default configuration.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), mock_server::Error> {
    /// use mock_server::{ClientRegistration, MockServer};
    /// let server = MockServer::builder()
    ///     .without_clients()
    ///     .client(ClientRegistration::new("svc", "s3cret").with_scopes(["read"]))
    ///     .token_lifetime(std::time::Duration::from_secs(60))
    ///     .start()
    ///     .await?;
    /// assert_eq!(server.clients().len(), 1);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn builder() -> MockServerBuilder {
        MockServerBuilder::from_config(Config::embedded())
    }

    /// Starts the embedded default configuration on `127.0.0.1:0`.
    pub async fn start() -> Result<Self, Error> {
        Self::builder().start().await
    }

    /// `http://127.0.0.1:PORT` (`https` with TLS; also the RFC 8414 issuer).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), mock_server::Error> {
    /// let server = mock_server::MockServer::start().await?;
    /// assert_eq!(server.url(), format!("http://{}", server.local_addr()));
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The PEM of the CA that signed a self-signed TLS certificate (trust
    /// it in the client under test); `None` without TLS or with files.
    #[must_use]
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The server's counters in Prometheus text: `{url}/_mock/metrics`
    /// (read under the admin API's rules, or as a configured scraper).
    #[must_use]
    pub fn metrics_url(&self) -> String {
        format!("{}{}", self.url, crate::metrics::PATH)
    }

    /// The bound address.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The token endpoint: `{url}/token`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// # use auth_http::Transport as _;
    /// let server = mock_server::MockServer::start().await?;
    /// let request = http::Request::post(server.token_url())
    ///     .header("authorization", "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW")
    ///     .header("content-type", "application/x-www-form-urlencoded")
    ///     .body(b"grant_type=client_credentials".to_vec())?;
    /// let response = auth_http::HyperTransport::new()?.send(request).await?;
    /// assert_eq!(response.status(), 200);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn token_url(&self) -> String {
        format!("{}/token", self.url)
    }

    /// The introspection endpoint (RFC 7662): `{url}/introspect`.
    #[must_use]
    pub fn introspection_url(&self) -> String {
        format!("{}/introspect", self.url)
    }

    /// The revocation endpoint (RFC 7009): `{url}/revoke`.
    #[must_use]
    pub fn revocation_url(&self) -> String {
        format!("{}/revoke", self.url)
    }

    /// The metadata document (RFC 8414):
    /// `{url}/.well-known/oauth-authorization-server`.
    #[must_use]
    pub fn metadata_url(&self) -> String {
        format!("{}{}", self.url, crate::routes::metadata::PATH)
    }

    /// The JWK Set (RFC 7517): `{url}/jwks`.
    #[must_use]
    pub fn jwks_url(&self) -> String {
        format!("{}{}", self.url, crate::routes::jwks::PATH)
    }

    /// The OIDC discovery document:
    /// `{url}/.well-known/openid-configuration`.
    #[must_use]
    pub fn openid_configuration_url(&self) -> String {
        format!("{}{}", self.url, crate::routes::metadata::OPENID_PATH)
    }

    /// The `kid` of the key that signs JWTs now.
    #[must_use]
    pub fn signing_kid(&self) -> String {
        self.state.issuer.jwt().keys().signer().kid().to_owned()
    }

    /// A fresh key signs from now on; the old one stays in the JWK Set for
    /// `grace` of mock time (zero: dropped at once, so tokens it signed
    /// stop verifying). Returns the new `kid`. As `POST /_mock/keys/rotate`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// use std::time::Duration;
    /// let server = mock_server::MockServer::builder()
    ///     .signing_alg(auth_core::jose::Algorithm::EdDsa)
    ///     .start()
    ///     .await?;
    /// let before = server.signing_kid();
    /// let after = server.rotate_signing_key(Duration::from_secs(300))?;
    /// assert_ne!(before, after);
    /// assert_eq!(server.signing_kid(), after);
    /// # Ok(()) }
    /// ```
    pub fn rotate_signing_key(&self, grace: Duration) -> Result<String, Error> {
        let key = self
            .state
            .issuer
            .jwt()
            .keys()
            .rotate(grace.as_secs(), self.state.now_unix())?;
        Ok(key.kid().to_owned())
    }

    /// The bearer-protected test resource, `{url}/resource`; `?scope=read`
    /// names a needed scope.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// # use auth_http::Transport as _;
    /// # let client = auth_http::HyperTransport::new()?;
    /// let server = mock_server::MockServer::start().await?;
    /// let token = server.mint_token("s6BhdRkqt3", &"read".parse()?);
    /// let get = |url: String| {
    ///     http::Request::get(url).header("authorization", format!("Bearer {token}")).body(Vec::new())
    /// };
    /// assert_eq!(client.send(get(server.resource_url())?).await?.status(), 200);
    /// // A scope the token does not carry: 403 insufficient_scope.
    /// let write = format!("{}?scope=write", server.resource_url());
    /// assert_eq!(client.send(get(write)?).await?.status(), 403);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn resource_url(&self) -> String {
        self.state.resource_url()
    }

    /// Every request seen (except `/_mock/` calls), oldest first; the
    /// newest `journal_capacity` only.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// # use auth_http::Transport as _;
    /// let server = mock_server::MockServer::start().await?;
    /// let request = http::Request::get(server.metadata_url()).body(Vec::new())?;
    /// auth_http::HyperTransport::new()?.send(request).await?;
    /// let journal = server.journal();
    /// assert_eq!(journal[0].path, "/.well-known/oauth-authorization-server");
    /// assert_eq!(journal[0].status, 200);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.state.journal.entries()
    }

    /// How many requests hit the token endpoint (since start or reset).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// # use auth_http::Transport as _;
    /// let server = mock_server::MockServer::start().await?;
    /// assert_eq!(server.token_requests(), 0);
    /// let request = http::Request::post(server.token_url())
    ///     .header("authorization", "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW")
    ///     .header("content-type", "application/x-www-form-urlencoded")
    ///     .body(b"grant_type=client_credentials&scope=nope".to_vec())?;
    /// // Refused (invalid_scope), and counted all the same.
    /// assert_eq!(auth_http::HyperTransport::new()?.send(request).await?.status(), 400);
    /// assert_eq!(server.token_requests(), 1);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn token_requests(&self) -> usize {
        self.state.journal.token_requests()
    }

    /// The registered clients, sorted by id.
    #[must_use]
    pub fn clients(&self) -> Vec<ClientRegistration> {
        self.state
            .clients()
            .iter()
            .map(|c| c.registration.clone())
            .collect()
    }

    /// Queues a fault ([`try_push_fault`](Self::try_push_fault) without
    /// the panic) and returns its id, for
    /// [`remove_fault`](Self::remove_fault).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// # use auth_http::Transport as _;
    /// use mock_server::{Fault, FaultRule, MockServer};
    /// let server = MockServer::start().await?;
    /// server.push_fault(FaultRule::new(Fault::Status(503)).for_client("s6BhdRkqt3").times(1));
    /// let token_request = || {
    ///     http::Request::post(server.token_url())
    ///         .header("authorization", "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW")
    ///         .header("content-type", "application/x-www-form-urlencoded")
    ///         .body(b"grant_type=client_credentials".to_vec())
    /// };
    /// let client = auth_http::HyperTransport::new()?;
    /// assert_eq!(client.send(token_request()?).await?.status(), 503);
    /// assert_eq!(client.send(token_request()?).await?.status(), 200);
    /// # Ok(()) }
    /// ```
    ///
    /// # Panics
    ///
    /// When the rule names a client that is not registered (it would never
    /// fire: most likely a typo in the id).
    #[allow(
        clippy::must_use_candidate,
        reason = "called for its effect; the id is for removing the rule later"
    )]
    pub fn push_fault(&self, rule: FaultRule) -> FaultId {
        match self.try_push_fault(rule) {
            Ok(id) => id,
            Err(error) => panic!("{error}"),
        }
    }

    /// Queues a fault and returns its id, or refuses it with
    /// [`Error::UnknownClient`] when it names a client that is not
    /// registered, as the admin API refuses it with 422.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), mock_server::Error> {
    /// use mock_server::{Error, Fault, FaultRule, MockServer};
    /// let server = MockServer::start().await?;
    /// let typo = FaultRule::new(Fault::Status(503)).for_client("s6BhdRkqt4");
    /// assert!(matches!(server.try_push_fault(typo), Err(Error::UnknownClient { .. })));
    /// server.try_push_fault(FaultRule::new(Fault::Status(503)).for_client("s6BhdRkqt3"))?;
    /// # Ok(()) }
    /// ```
    pub fn try_push_fault(&self, rule: FaultRule) -> Result<FaultId, Error> {
        if let Some(id) = rule.client_id()
            && self.state.client(id).is_none()
        {
            return Err(Error::UnknownClient { id: id.to_owned() });
        }
        Ok(self.state.faults.push(rule))
    }

    /// Removes one queued fault rule, the others staying queued, as
    /// `DELETE /_mock/faults/{id}` does; `false` when it is no longer
    /// queued (used up, cleared, or dropped as the oldest of
    /// [`MAX_RULES`](crate::MAX_RULES)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), mock_server::Error> {
    /// use mock_server::{Fault, FaultRule, MockServer};
    /// let server = MockServer::start().await?;
    /// let unavailable = server.push_fault(FaultRule::new(Fault::Status(503)).always());
    /// let refused = server.push_fault(FaultRule::new(Fault::InvalidClient).always());
    /// assert!(server.remove_fault(unavailable));
    /// assert!(!server.remove_fault(unavailable));
    /// assert_eq!(server.faults().len(), 1);
    /// assert_eq!(server.faults()[0].id(), Some(refused));
    /// # Ok(()) }
    /// ```
    #[allow(
        clippy::must_use_candidate,
        reason = "called for its effect; the result is optional"
    )]
    pub fn remove_fault(&self, id: FaultId) -> bool {
        self.state.faults.remove(id)
    }

    /// The queued fault rules, first match first, each with its
    /// [`id`](FaultRule::id) and the uses it has left (`GET /_mock/faults`).
    #[must_use]
    pub fn faults(&self) -> Vec<FaultRule> {
        self.state.faults.rules()
    }

    /// Registers (or replaces) a client at runtime.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// # use auth_http::Transport as _;
    /// use mock_server::{ClientRegistration, MockServer};
    /// let server = MockServer::start().await?;
    /// server.add_client(ClientRegistration::new("svc", "s3cret").with_scopes(["read"]))?;
    /// let request = http::Request::post(server.token_url())
    ///     .header("authorization", "Basic c3ZjOnMzY3JldA==") // svc:s3cret
    ///     .header("content-type", "application/x-www-form-urlencoded")
    ///     .body(b"grant_type=client_credentials&scope=read".to_vec())?;
    /// assert_eq!(auth_http::HyperTransport::new()?.send(request).await?.status(), 200);
    /// // A registration that cannot work is refused.
    /// let bad = ClientRegistration::new("svc2", "s").with_scopes(["read"]).with_default_scopes(["write"]);
    /// assert!(server.add_client(bad).is_err());
    /// # Ok(()) }
    /// ```
    pub fn add_client(&self, client: ClientRegistration) -> Result<(), Error> {
        Ok(self.state.add_client(client)?)
    }

    /// Replaces the extra claims of client `id`'s JWT access tokens (as
    /// `PUT /_mock/clients/{id}/extra_claims` does): tokens issued from now
    /// on carry them.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), mock_server::Error> {
    /// use mock_server::ExtraClaim;
    /// let server = mock_server::MockServer::start().await?;
    /// let claims = [("tid".to_owned(), ExtraClaim::from_param("tenant"))].into();
    /// server.set_extra_claims("s6BhdRkqt3", claims)?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::UnknownClient`] when no such client is registered;
    /// [`Error::Config`] for a reserved claim or a credential parameter.
    pub fn set_extra_claims(
        &self,
        id: &str,
        claims: std::collections::BTreeMap<String, crate::ExtraClaim>,
    ) -> Result<(), Error> {
        if self.state.set_extra_claims(id, claims)? {
            Ok(())
        } else {
            Err(Error::UnknownClient { id: id.to_owned() })
        }
    }

    /// Removes a client; `false` if it was not registered.
    #[allow(
        clippy::must_use_candidate,
        reason = "called for its effect; the result is optional"
    )]
    pub fn remove_client(&self, id: &str) -> bool {
        self.state.remove_client(id)
    }

    /// Moves the mock clock forward (on top of the configured clock): what
    /// it issued expires, lockouts and `Retry-After` windows pass.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// # use auth_http::Transport as _;
    /// # let client = auth_http::HyperTransport::new()?;
    /// use std::time::Duration;
    /// let server = mock_server::MockServer::builder()
    ///     .token_lifetime(Duration::from_secs(60))
    ///     .start()
    ///     .await?;
    /// let request = http::Request::post(server.token_url())
    ///     .header("authorization", "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW")
    ///     .header("content-type", "application/x-www-form-urlencoded")
    ///     .body(b"grant_type=client_credentials".to_vec())?;
    /// let answer: serde_json::Value = serde_json::from_slice(client.send(request).await?.body())?;
    /// let token = answer["access_token"].as_str().ok_or("no token")?;
    /// let get = || {
    ///     http::Request::get(server.resource_url())
    ///         .header("authorization", format!("Bearer {token}"))
    ///         .body(Vec::new())
    /// };
    /// assert_eq!(client.send(get()?).await?.status(), 200);
    /// server.advance_clock(Duration::from_secs(61));
    /// assert_eq!(client.send(get()?).await?.status(), 401); // invalid_token: expired
    /// # Ok(()) }
    /// ```
    pub fn advance_clock(&self, by: Duration) {
        self.state.advance(by);
    }

    /// Issues a token without a request, valid for the configured lifetime.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// let server = mock_server::MockServer::start().await?;
    /// let token = server.mint_token("s6BhdRkqt3", &"read write".parse()?);
    /// assert!(server.revoke_token(&token)); // it is one of ours
    /// assert_eq!(server.token_requests(), 0);
    /// # Ok(()) }
    /// ```
    ///
    /// # Panics
    ///
    /// When the token cannot be made (the JWT signer's random generator
    /// failed); [`try_mint_token`](Self::try_mint_token) returns the error.
    #[must_use]
    pub fn mint_token(&self, client_id: &str, scope: &ScopeSet) -> String {
        match self.try_mint_token(client_id, scope) {
            Ok(token) => token,
            Err(error) => panic!("{error}"),
        }
    }

    /// Issues a token without a request, like [`mint_token`](Self::mint_token),
    /// or says why it could not be made.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// let server = mock_server::MockServer::start().await?;
    /// let token = server.try_mint_token("s6BhdRkqt3", &"read".parse()?)?;
    /// assert!(server.revoke_token(&token));
    /// # Ok(()) }
    /// ```
    pub fn try_mint_token(&self, client_id: &str, scope: &ScopeSet) -> Result<String, Error> {
        let lifetime = self.state.settings.token_lifetime.as_secs();
        let exp = self.state.expiry_after(lifetime);
        let format = self
            .state
            .client(client_id)
            .map_or(self.state.settings.token_format, |client| {
                self.state.token_format(&client)
            });
        let claims = Claims {
            client_id: client_id.to_owned(),
            scope: scope.clone(),
            iat: exp.saturating_sub(i64::try_from(lifetime).unwrap_or(i64::MAX)),
            exp,
            jti: rand::random(),
            audience: Vec::new(),
            nbf: None,
            extra: serde_json::Map::new(),
        };
        Ok(self.state.issuer.mint(&claims, format)?)
    }

    /// Makes a token unusable from now on, as if it had expired (it joins
    /// the revocation set; tokens carry their expiry under the MAC).
    /// `false` for a token this server did not issue.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// # use auth_http::Transport as _;
    /// # let client = auth_http::HyperTransport::new()?;
    /// let server = mock_server::MockServer::start().await?;
    /// let token = server.mint_token("s6BhdRkqt3", &"read".parse()?);
    /// let get = || {
    ///     http::Request::get(server.resource_url())
    ///         .header("authorization", format!("Bearer {token}"))
    ///         .body(Vec::new())
    /// };
    /// assert_eq!(client.send(get()?).await?.status(), 200);
    /// assert!(server.expire_token(&token));
    /// assert_eq!(client.send(get()?).await?.status(), 401);
    /// assert!(!server.expire_token("not-one-of-ours"));
    /// # Ok(()) }
    /// ```
    #[allow(
        clippy::must_use_candidate,
        reason = "called for its effect; the result is optional"
    )]
    pub fn expire_token(&self, token: &str) -> bool {
        self.revoke_token(token)
    }

    /// Revokes a token. `false` for a token this server did not issue.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// # use auth_http::Transport as _;
    /// # let client = auth_http::HyperTransport::new()?;
    /// let server = mock_server::MockServer::start().await?;
    /// let token = server.mint_token("s6BhdRkqt3", &"read".parse()?);
    /// let introspect = || {
    ///     http::Request::post(server.introspection_url())
    ///         .header("authorization", "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW")
    ///         .header("content-type", "application/x-www-form-urlencoded")
    ///         .body(format!("token={token}").into_bytes())
    /// };
    /// let answer = client.send(introspect()?).await?;
    /// assert_eq!(serde_json::from_slice::<serde_json::Value>(answer.body())?["active"], true);
    /// assert!(server.revoke_token(&token));
    /// let answer = client.send(introspect()?).await?;
    /// // RFC 7662 §2.2: a revoked token is inactive.
    /// assert_eq!(serde_json::from_slice::<serde_json::Value>(answer.body())?["active"], false);
    /// # Ok(()) }
    /// ```
    #[allow(
        clippy::must_use_candidate,
        reason = "called for its effect; the result is optional"
    )]
    pub fn revoke_token(&self, token: &str) -> bool {
        let now = self.state.now_unix();
        match self.state.issuer.decode(token, now) {
            Ok(claims) => self.state.issuer.revoke(&claims, now),
            Err(_) => false,
        }
    }

    /// Journal, faults, revocations, signing keys, clock offset and clients back to the
    /// start. Expectations registered with [`expect`](Self::expect) are
    /// dropped unverified, as wiremock's `reset` drops its mocks (call
    /// [`verify`](Self::verify) first to check them); scoped ones stay
    /// with their guard.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), mock_server::Error> {
    /// use std::time::Duration;
    /// use mock_server::{ClientRegistration, Fault, FaultRule, MockServer};
    /// let server = MockServer::start().await?;
    /// let before = server.clients().len();
    /// server.add_client(ClientRegistration::new("svc", "s3cret").with_scopes(["read"]))?;
    /// server.push_fault(FaultRule::new(Fault::Hang).always());
    /// server.advance_clock(Duration::from_secs(3600));
    /// server.reset();
    /// assert_eq!(server.clients().len(), before);
    /// assert!(server.journal().is_empty());
    /// # Ok(()) }
    /// ```
    pub fn reset(&self) {
        self.state.reset();
    }

    /// Expects requests matching `matcher`: at least one unless the
    /// returned handle says otherwise ([`Expectation::times`] and the
    /// like). Only requests journaled from now on count. Checked by
    /// [`verify`](Self::verify), [`try_verify`](Self::try_verify), and
    /// when the server is dropped or shut down.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// # use auth_http::Transport as _;
    /// use mock_server::{DetectedAuth, MockServer, token_request};
    /// let server = MockServer::start().await?;
    /// let expectation = server
    ///     .expect(token_request().client("s6BhdRkqt3").auth(DetectedAuth::Basic).scope("read"))
    ///     .times(1);
    /// let request = http::Request::post(server.token_url())
    ///     .header("authorization", "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW")
    ///     .header("content-type", "application/x-www-form-urlencoded")
    ///     .body(b"grant_type=client_credentials&scope=read".to_vec())?;
    /// auth_http::HyperTransport::new()?.send(request).await?;
    /// assert_eq!(expectation.match_count(), 1);
    /// server.verify();
    /// # Ok(()) }
    /// ```
    #[allow(
        clippy::must_use_candidate,
        reason = "registers the expectation; `server.expect(m).times(1);` drops the handle"
    )]
    pub fn expect(&self, matcher: RequestMatcher) -> Expectation {
        self.state.expectations.expect(matcher)
    }

    /// Like [`expect`](Self::expect), verified when the returned guard is
    /// dropped instead of with the server (wiremock's `mount_as_scoped`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), mock_server::Error> {
    /// use mock_server::{MockServer, revocation_request};
    /// let server = MockServer::start().await?;
    /// {
    ///     let _guard = server.expect_scoped(revocation_request()).never();
    ///     // ... code that must not revoke ...
    /// } // verified here
    /// # Ok(()) }
    /// ```
    pub fn expect_scoped(&self, matcher: RequestMatcher) -> ExpectationGuard {
        Expectations::expect_scoped(&self.state, matcher)
    }

    /// Checks every expectation registered with [`expect`](Self::expect)
    /// now.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), mock_server::Error> {
    /// use mock_server::{MockServer, token_request};
    /// let server = MockServer::start().await?;
    /// server.expect(token_request().client("svc")).times(1);
    /// assert_eq!(
    ///     server.try_verify().map_err(|e| e.to_string()),
    ///     Err("1 expectation not met:\n- * /token client=svc: wanted exactly 1, matched 0\nno requests received".into())
    /// );
    /// server.reset(); // drops the expectation: the drop does not panic
    /// # Ok(()) }
    /// ```
    pub fn try_verify(&self) -> Result<(), VerifyError> {
        Expectations::verify(&self.state)
    }

    /// Checks every expectation registered with [`expect`](Self::expect)
    /// now, like [`try_verify`](Self::try_verify).
    ///
    /// # Panics
    ///
    /// With the [`VerifyError`] message when one is not met.
    pub fn verify(&self) {
        if let Err(error) = self.try_verify() {
            panic!("{error}");
        }
    }

    /// Stops accepting, lets in-flight requests finish (up to 5 s), and waits.
    /// Connections with no request in flight (idle, part way through a
    /// request head, or in a TLS handshake) are closed at once. Then
    /// verifies the expectations, as a drop does.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    /// # use auth_http::Transport as _;
    /// let server = mock_server::MockServer::start().await?;
    /// let url = server.metadata_url();
    /// server.shutdown().await;
    /// let request = http::Request::get(url).body(Vec::new())?;
    /// assert!(auth_http::HyperTransport::new()?.send(request).await.is_err());
    /// # Ok(()) }
    /// ```
    ///
    /// # Panics
    ///
    /// When an expectation is not met (and the thread is not panicking
    /// already), with the [`VerifyError`] message.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

/// Stops the server (the serving task drains in the background) and
/// verifies the expectations registered with [`MockServer::expect`]:
/// panics with the [`VerifyError`] message when one is not met, unless
/// the thread is panicking already (a second panic would abort the test
/// run and hide the first; wiremock's `MockServer` does the same).
impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if !std::thread::panicking()
            && let Err(error) = self.try_verify()
        {
            panic!("{error}");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use super::*;
    use crate::fault::Fault;

    #[tokio::test]
    async fn try_push_fault_refuses_a_rule_for_an_unregistered_client_as_the_admin_api_does() {
        let server = MockServer::start().await.unwrap();
        let typo = FaultRule::new(Fault::Hang).for_client("s6BhdRkqt4");
        let error = server.try_push_fault(typo).unwrap_err();
        assert!(
            matches!(&error, Error::UnknownClient { id } if id == "s6BhdRkqt4"),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "no client \"s6BhdRkqt4\" is registered: register it first (add_client) or fix the rule's client id"
        );
        assert!(server.state.faults.rules().is_empty());
        let known = FaultRule::new(Fault::Hang).for_client("s6BhdRkqt3");
        server.try_push_fault(known).unwrap();
        server.try_push_fault(FaultRule::new(Fault::Hang)).unwrap();
        assert_eq!(server.state.faults.rules().len(), 2);
    }

    #[tokio::test]
    async fn push_fault_panics_for_an_unregistered_client_and_queues_nothing() {
        let server = MockServer::start().await.unwrap();
        let typo = FaultRule::new(Fault::Hang).for_client("s6BhdRkqt4");
        let panicked = catch_unwind(AssertUnwindSafe(|| server.push_fault(typo))).unwrap_err();
        let message = panicked.downcast_ref::<String>().unwrap();
        assert!(
            message.starts_with("no client \"s6BhdRkqt4\" is registered"),
            "{message}"
        );
        assert!(server.state.faults.rules().is_empty());
    }
}
