//! What the mock-server benches share: the server as a child process (its
//! address from its ready line), keep-alive hyper client connections, the
//! server's resident memory, and knobs from the environment.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

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
