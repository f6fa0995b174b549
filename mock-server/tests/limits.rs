//! Slow and idle connections time out; keep-alive works (S-12, S-70; issue item 8).
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::time::{Duration, Instant};

use mock_server::MockServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf))
        .await
        .expect("closed in time")
        .unwrap();
    buf
}

/// Reads exactly one response (head, then `content-length` bytes of body).
async fn read_one_response(stream: &mut TcpStream) -> common::Raw {
    let mut buf = Vec::new();
    let mut chunk = [0; 4096];
    loop {
        if let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = common::parse(&buf[..head_end + 4]);
            let length: usize = head.header("content-length").unwrap().parse().unwrap();
            if buf.len() >= head_end + 4 + length {
                return common::parse(&buf);
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

#[tokio::test]
async fn idle_and_slow_header_connections_are_closed() {
    let server = MockServer::builder()
        .header_timeout(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    // Idle: says nothing at all.
    let started = Instant::now();
    let mut idle = TcpStream::connect(server.local_addr()).await.unwrap();
    read_until_closed(&mut idle).await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    // Slowloris: half a request head, then silence.
    let mut slow = TcpStream::connect(server.local_addr()).await.unwrap();
    slow.write_all(b"POST /token HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut slow).await;
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

#[tokio::test]
async fn slow_bodies_get_408() {
    let server = MockServer::builder()
        .body_timeout(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream
        .write_all(b"POST /token HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\ngrant_type=")
        .await
        .unwrap();
    let answer = common::parse(&read_until_closed(&mut stream).await);
    assert_eq!(answer.status, 408);
    assert_eq!(answer.header("connection"), Some("close"));
}

#[tokio::test]
async fn keep_alive_serves_several_requests_on_one_connection() {
    let server = MockServer::start().await.unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    let request = format!(
        "POST /token HTTP/1.1\r\nhost: x\r\nauthorization: {}\r\ncontent-type: {}\r\ncontent-length: 29\r\n\r\ngrant_type=client_credentials",
        common::F1_BASIC,
        common::FORM
    );
    for _ in 0..3 {
        stream.write_all(request.as_bytes()).await.unwrap();
        let response = read_one_response(&mut stream).await;
        assert_eq!(response.status, 200);
        assert!(response.json()["access_token"].is_string());
    }
    assert_eq!(server.token_requests(), 3);
}
