//! Raw HTTP/1.1 over a `TcpStream`: full control of the bytes sent (repeated
//! headers, broken encodings), and the bytes received as they are.
#![allow(dead_code, reason = "each test file uses a different subset")]
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::fmt::Write as _;

use std::net::SocketAddr;
use std::time::Duration;

use mock_server::MockServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// F1 (RFC 6749 §4.4.2 example).
pub(crate) const F1_BASIC: &str = "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW";
pub(crate) const FORM: &str = "application/x-www-form-urlencoded";

#[derive(Debug)]
pub(crate) struct Raw {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Raw {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }

    /// RFC 6749 §5.1 / §5.2: no-store and no-cache (S-36, S-41).
    pub(crate) fn assert_no_store(&self) {
        assert_eq!(self.header("cache-control"), Some("no-store"), "{self:?}");
        assert_eq!(self.header("pragma"), Some("no-cache"), "{self:?}");
    }

    /// An RFC 6749 §5.2 error with this status and code, no token, ERRCHARS only (S-40, S-41).
    pub(crate) fn assert_oauth_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.header("content-type"), Some("application/json"));
        let json = self.json();
        assert_eq!(json["error"], code, "{json}");
        assert!(json.get("access_token").is_none());
        for field in ["error", "error_description"] {
            if let Some(text) = json[field].as_str() {
                assert!(
                    text.chars()
                        .all(|c| matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')),
                    "{text:?}"
                );
            }
        }
        self.assert_no_store();
        if status == 401 {
            assert!(
                self.header("www-authenticate")
                    .is_some_and(|v| v.starts_with("Basic ")),
                "{self:?}"
            );
        }
    }
}

/// Sends raw bytes, reads until the server closes.
pub(crate) async fn send_raw(addr: SocketAddr, raw: &[u8]) -> Raw {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf))
        .await
        .expect("response in time")
        .unwrap();
    parse(&buf)
}

/// Reads exactly one answer from a kept-alive connection: the head, then
/// `content-length` bytes of body.
pub(crate) async fn read_one_response(stream: &mut TcpStream) -> Raw {
    let mut buf = Vec::new();
    let mut chunk = [0; 4096];
    loop {
        if let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = parse(&buf[..head_end + 4]);
            let length: usize = head.header("content-length").unwrap().parse().unwrap();
            if buf.len() >= head_end + 4 + length {
                return parse(&buf);
            }
        }
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "connection closed mid-response");
        buf.extend_from_slice(&chunk[..n]);
    }
}

pub(crate) fn parse(buf: &[u8]) -> Raw {
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head: {buf:?}"));
    let head = std::str::from_utf8(&buf[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect();
    let mut body = buf[split + 4..].to_vec();
    if let Some(len) = headers.iter().find(|(n, _)| n == "content-length") {
        body.truncate(len.1.parse().unwrap());
    }
    Raw {
        status,
        headers,
        body,
    }
}

/// A request with `Host`, `Content-Length` and `Connection: close` added.
pub(crate) async fn request(
    server: &MockServer,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Raw {
    let mut raw = format!(
        "{method} {target} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n",
        server.local_addr()
    );
    for (name, value) in headers {
        let _ = write!(raw, "{name}: {value}\r\n");
    }
    let _ = write!(raw, "content-length: {}\r\n\r\n", body.len());
    let mut bytes = raw.into_bytes();
    bytes.extend_from_slice(body);
    send_raw(server.local_addr(), &bytes).await
}

/// `POST /token` with a form content type and these headers.
pub(crate) async fn token(server: &MockServer, headers: &[(&str, &str)], body: &str) -> Raw {
    let mut all = vec![("content-type", FORM)];
    all.extend_from_slice(headers);
    request(server, "POST", "/token", &all, body.as_bytes()).await
}

/// `POST /token` as F1 with Basic.
pub(crate) async fn f1_token(server: &MockServer, body: &str) -> Raw {
    token(server, &[("authorization", F1_BASIC)], body).await
}

/// A fresh F1 access token with `scope`.
pub(crate) async fn f1_access_token(server: &MockServer, scope: &str) -> String {
    let response = f1_token(
        server,
        &format!("grant_type=client_credentials&scope={scope}"),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["access_token"].as_str().unwrap().to_owned()
}

/// A form POST to another endpoint.
pub(crate) async fn post_form(
    server: &MockServer,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Raw {
    let mut all = vec![("content-type", FORM)];
    all.extend_from_slice(headers);
    request(server, "POST", path, &all, body.as_bytes()).await
}

pub(crate) fn basic(id: &str, secret: &str) -> String {
    auth_core::basic::encode(
        &auth_core::ClientId::new(id),
        &auth_core::ClientSecret::new(secret),
    )
}

pub(crate) fn b64(raw: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(raw)
}
