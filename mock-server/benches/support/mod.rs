//! What the mock-server benches share: the server as a child process (its
//! address from its ready line), keep-alive hyper client connections, the
//! server's resident memory, and knobs from the environment.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Checklist F1 (RFC 6749 §4.4.2), `client_secret_basic`.
pub(crate) const F1_BASIC: &str = "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW";
/// A client-credentials token request body.
pub(crate) const TOKEN_BODY: &str = "grant_type=client_credentials&scope=read";
pub(crate) const FORM: &str = "application/x-www-form-urlencoded";

/// A whole-number knob from the environment, or its default.
pub(crate) fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The mock-server binary of this build, with the embedded default
/// configuration, on a free loopback port, issuing opaque tokens: these
/// benchmarks measure the server, not a signature (the JWT figures are
/// their own benchmark's).
pub(crate) fn mock_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mock-server"));
    command.args(["--addr", "127.0.0.1:0", "--token-format", "opaque"]);
    command
}

/// A server process, killed on drop.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
}

impl Server {
    /// Spawns `command` and waits for the first line of its stdout that
    /// names an `http://` address; stdout is drained from then on, so the
    /// server never writes into a closed pipe.
    pub(crate) async fn spawn(mut command: Command) -> Result<Self, BoxError> {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
            let ready = lines.by_ref().find(|line| line.contains("http://"));
            let _ = tx.send(ready.unwrap_or_default());
            lines.for_each(drop);
        });
        let line = rx.await?;
        let addr = line
            .split_whitespace()
            .find_map(|word| word.strip_prefix("http://"))
            .ok_or("no address in the ready line")?
            .trim_end_matches('/')
            .parse()?;
        Ok(Self { child, addr })
    }

    /// Resident memory of the server process, in KiB (`/proc`; Linux).
    #[allow(dead_code, reason = "the load bench does not use it")]
    pub(crate) fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One keep-alive HTTP/1.1 connection, one request in flight.
pub(crate) struct Connection {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    host: String,
}

impl Connection {
    pub(crate) async fn open(addr: SocketAddr) -> Result<Self, BoxError> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Self {
            sender,
            host: addr.to_string(),
        })
    }

    /// A request to `path` with the `Host` of the served address and the
    /// given headers; the status and the whole body.
    pub(crate) async fn send(
        &mut self,
        method: http::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Result<(u16, Bytes), BoxError> {
        let mut request = http::Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.host);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(body.into()))?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }

    /// A valid F1 token request (`client_secret_basic`, scope `read`).
    pub(crate) async fn token(&mut self) -> Result<(u16, Bytes), BoxError> {
        self.send(
            http::Method::POST,
            "/token",
            &[("authorization", F1_BASIC), ("content-type", FORM)],
            Bytes::from_static(TOKEN_BODY.as_bytes()),
        )
        .await
    }
}

/// What one load run measured.
#[allow(dead_code, reason = "the soak bench does not use it")]
pub(crate) struct Load {
    pub(crate) requests: u64,
    pub(crate) errors: u64,
    pub(crate) per_sec: f64,
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
}

/// `conns` keep-alive connections each sending valid F1 token requests,
/// one in flight, for `secs`: the rate and latencies of 200 answers.
#[allow(dead_code, reason = "the soak bench does not use it")]
pub(crate) async fn load(addr: SocketAddr, secs: u64, conns: u64) -> Result<Load, BoxError> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let mut connection = Connection::open(addr).await?;
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let sent = Instant::now();
                match connection.token().await {
                    Ok((200, _)) => latencies.push(sent.elapsed()),
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (latencies, e) = task.await?;
        all.extend(latencies);
        errors += e;
    }
    all.sort_unstable();
    let at = |q: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "an index into a sorted sample"
        )]
        let index = ((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1));
        all.get(index).copied().unwrap_or_default()
    };
    let requests = all.len() as u64;
    #[allow(clippy::cast_precision_loss, reason = "a rate")]
    let per_sec = requests as f64 / secs as f64;
    Ok(Load {
        requests,
        errors,
        per_sec,
        p50: at(0.50),
        p99: at(0.99),
    })
}
