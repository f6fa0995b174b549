//! A `redis-server` of the test's own (the Debian package, 7.x) on a free
//! loopback port, in a temporary directory, without persistence; stopped
//! when the guard drops, also when the test fails. Shared by the fleet
//! tests and the fleet bench.
#![allow(dead_code, reason = "each user calls a different part")]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use auth_http::RedisStore;

/// A `redis-server` of our own; stopped (SIGKILL) when dropped.
pub(crate) struct Redis {
    pub(crate) port: u16,
    pub(crate) dir: tempfile::TempDir,
    /// Extra configuration (`--requirepass`, TLS files).
    args: Vec<String>,
    child: Option<Child>,
}

impl Redis {
    pub(crate) fn start() -> Self {
        Self::start_with(|_| Vec::new())
    }

    /// A server whose extra arguments `args` makes from its port and directory.
    pub(crate) fn start_with(args: impl FnOnce(&Self) -> Vec<String>) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut redis = Self {
            port,
            dir: tempfile::tempdir().unwrap(),
            args: Vec::new(),
            child: None,
        };
        redis.args = args(&redis);
        redis.restart();
        redis
    }

    /// Starts the server (again, on the same port, empty).
    pub(crate) fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--dir"])
            .arg(self.dir.path())
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (apt-get install redis-server)");
        self.child = Some(child);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let started = Instant::now();
        // Ready when it answers PING (a bound port alone may still be
        // loading); a TLS port only when it accepts connections.
        let tls = self.args.iter().any(|a| a == "--tls-port");
        while !(if tls {
            TcpStream::connect(addr).is_ok()
        } else {
            answers_ping(addr)
        }) {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub(crate) fn pid(&self) -> i32 {
        i32::try_from(self.child.as_ref().unwrap().id()).unwrap()
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Short timeouts, lease and poll: fast tests.
    pub(crate) fn store(&self) -> auth_http::RedisStoreBuilder {
        RedisStore::builder(&self.url())
            .unwrap()
            .timeout(Duration::from_millis(300))
            .lease(Duration::from_millis(600))
            .poll_interval(Duration::from_millis(50))
    }

    /// A plain connection for looking at what is stored.
    pub(crate) async fn raw(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    }
}

/// Whether a server on `addr` accepts a connection and answers an inline
/// `PING` (`+PONG`, or `-NOAUTH` from a server needing a password).
fn answers_ping(addr: SocketAddr) -> bool {
    use std::io::{Read as _, Write as _};
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut answer = [0_u8; 16];
    matches!(stream.read(&mut answer), Ok(n) if n > 0)
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}
