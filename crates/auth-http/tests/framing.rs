//! Checklist C-52: HTTP/1.1 framings of one token response — fixed
//! `Content-Length`, chunked (RFC 9112 §7.1), `Connection: close` with and
//! without a length (RFC 9112 §6.3, §9.6), and a final response preceded by
//! `100 Continue` (RFC 9110 §15.2.1) — parse identically through
//! `HyperTransport`. A tiny raw TCP server writes the exact bytes and keeps
//! the exact request bytes; the request must not carry `Accept-Encoding`
//! (the client advertises no content coding, so a gzip body is never
//! expected: RFC 9110 §12.5.3).

use std::time::Duration;

use auth_core::{Client, ClientCredentials, ManualClock, OAuthToken, Scope, TokenUrl};
use auth_http::{FetchToken as _, HyperTransport};
use time::macros::datetime;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

const BODY: &str = r#"{"access_token":"2YotnFZFEjr1zMOInGdCz","token_type":"Bearer","expires_in":3600,"scope":"read"}"#;

/// Serves `response` once, verbatim, then closes; gives back the request bytes.
async fn serve_once(response: Vec<u8>) -> (String, oneshot::Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/token", listener.local_addr().expect("addr"));
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let request = read_request(&mut socket).await;
        socket.write_all(&response).await.expect("write");
        socket.flush().await.expect("flush");
        let _ = socket.shutdown().await;
        let _ = tx.send(request);
    });
    (url, rx)
}

/// Reads a request head and its `Content-Length` body.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                return buf;
            }
        }
        let n = socket.read(&mut chunk).await.expect("read");
        if n == 0 {
            return buf;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn fixed_length() -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nContent-Length: {}\r\n\r\n{BODY}",
        BODY.len()
    )
    .into_bytes()
}

fn chunked() -> Vec<u8> {
    let (a, rest) = BODY.split_at(1);
    let (b, c) = rest.split_at(40);
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nTransfer-Encoding: chunked\r\n\r\n\
         {:x}\r\n{a}\r\n{:x};ext=1\r\n{b}\r\n{:X}\r\n{c}\r\n0\r\n\r\n",
        a.len(),
        b.len(),
        c.len()
    )
    .into_bytes()
}

fn connection_close_with_length() -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{BODY}",
        BODY.len()
    )
    .into_bytes()
}

fn connection_close_until_eof() -> Vec<u8> {
    format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{BODY}")
        .into_bytes()
}

fn after_100_continue() -> Vec<u8> {
    let mut bytes = b"HTTP/1.1 100 Continue\r\n\r\n".to_vec();
    bytes.extend(fixed_length());
    bytes
}

/// Fetches a token over `response` and returns it with the request bytes.
async fn fetch_over(response: Vec<u8>) -> (OAuthToken, String) {
    let (url, request) = serve_once(response).await;
    let client = Client::new(
        TokenUrl::parse(&url).expect("loopback url"),
        ClientCredentials::new("s6BhdRkqt3", "gX1fBat3bV").with_scopes([Scope::Read]),
    );
    let transport = HyperTransport::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("transport");
    let clock = ManualClock::new(datetime!(2026-01-01 00:00 UTC));
    let authorized = client
        .fetch_token_with_clock(&transport, &clock)
        .await
        .expect("token");
    let request = request.await.expect("request bytes");
    (
        authorized.into_token(),
        String::from_utf8(request).expect("ascii request"),
    )
}

fn summary(token: &OAuthToken) -> (String, String, time::OffsetDateTime, String) {
    (
        token.access_token().expose_secret().to_owned(),
        token.token_type().as_str().to_owned(),
        token.expires_at(),
        token.scope().to_string(),
    )
}

#[tokio::test]
async fn chunked_close_and_100_continue_parse_like_a_fixed_length_answer_c52() {
    let (reference, _) = fetch_over(fixed_length()).await;
    assert_eq!(
        summary(&reference),
        (
            "2YotnFZFEjr1zMOInGdCz".to_owned(),
            "Bearer".to_owned(),
            datetime!(2026-01-01 01:00 UTC),
            "read".to_owned()
        )
    );
    for (name, response) in [
        ("chunked, RFC 9112 §7.1", chunked()),
        (
            "Connection: close + Content-Length, RFC 9112 §9.6",
            connection_close_with_length(),
        ),
        (
            "Connection: close, body until EOF, RFC 9112 §6.3",
            connection_close_until_eof(),
        ),
        ("100 Continue first, RFC 9110 §15.2.1", after_100_continue()),
    ] {
        let (token, _) = fetch_over(response).await;
        assert_eq!(summary(&token), summary(&reference), "{name}");
    }
}

#[tokio::test]
async fn the_token_request_advertises_no_content_coding_c52_rfc9110_12_5_3() {
    for response in [fixed_length(), chunked()] {
        let (_, request) = fetch_over(response).await;
        let head = request.split("\r\n\r\n").next().expect("head");
        assert!(head.starts_with("POST /token HTTP/1.1\r\n"), "{head}");
        assert!(
            !head.to_ascii_lowercase().contains("\r\naccept-encoding:"),
            "no Accept-Encoding, so no gzip body is expected: {head}"
        );
        assert!(!head.to_ascii_lowercase().contains("\r\nte:"), "{head}");
    }
}
