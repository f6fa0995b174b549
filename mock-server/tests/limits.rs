//! Slow, idle and non-reading connections time out, connections are capped;
//! keep-alive works (S-12, S-70; issue 8 item 9).
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
        let response = common::read_one_response(&mut stream).await;
        assert_eq!(response.status, 200);
        assert!(response.json()["access_token"].is_string());
    }
    assert_eq!(server.token_requests(), 3);
}

/// `GET /healthz` on a kept-alive connection.
const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n";

/// A fresh connection answers `/healthz` (false: refused or closed).
async fn is_served(addr: std::net::SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return false;
    };
    if stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .is_err()
    {
        return false;
    }
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf)).await;
    matches!(read, Ok(Ok(_))) && buf.starts_with(b"HTTP/1.1 200")
}

/// Polls until a fresh connection is served (at most 10 s).
async fn until_served(addr: std::net::SocketAddr) -> Duration {
    let started = Instant::now();
    while !is_served(addr).await {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "service did not recover"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

#[tokio::test]
async fn connections_over_the_limit_are_closed_at_once_and_service_recovers() {
    let server = MockServer::builder()
        .max_connections(2)
        .start()
        .await
        .unwrap();
    let addr = server.local_addr();
    // Two kept-alive connections, each answered: both hold a slot.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(HEALTHZ).await.unwrap();
        assert_eq!(common::read_one_response(&mut stream).await.status, 200);
        held.push(stream);
    }
    // The third is closed without an answer, at once (not after a timeout).
    for _ in 0..3 {
        assert!(!is_served(addr).await, "served over the limit");
    }
    // The held ones still work.
    for stream in &mut held {
        stream.write_all(HEALTHZ).await.unwrap();
        assert_eq!(common::read_one_response(stream).await.status, 200);
    }
    // One closes: its slot is free again.
    drop(held.pop());
    until_served(addr).await;
}

#[tokio::test]
async fn a_peer_that_never_reads_a_huge_answer_is_dropped_after_the_write_timeout() {
    use mock_server::{Fault, FaultRule};
    const BYTES: usize = 32 * 1024 * 1024;
    let server = MockServer::builder()
        .max_connections(1)
        .write_timeout(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    // Served as it is (no JSON to build): quick even in a debug build.
    server.push_fault(
        FaultRule::new(Fault::Raw {
            status: 200,
            headers: vec![("content-type".to_owned(), "text/plain".to_owned())],
            body: "x".repeat(BYTES),
        })
        .always(),
    );
    // A small receive window: the server's writes block early.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stuck = socket.connect(server.local_addr()).await.unwrap();
    let request = format!(
        "POST /token HTTP/1.1\r\nhost: x\r\nauthorization: {}\r\ncontent-type: {}\r\ncontent-length: 29\r\n\r\ngrant_type=client_credentials",
        common::F1_BASIC,
        common::FORM
    );
    stuck.write_all(request.as_bytes()).await.unwrap();
    // It holds the only slot until the write timeout drops it.
    until_served(server.local_addr()).await;
    // What it can still read is what the kernel had buffered, then the end.
    let mut received = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stuck.read_to_end(&mut received))
        .await
        .expect("the dropped connection ends");
    assert!(
        received.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&received[..received.len().min(64)])
    );
    assert!(received.len() < BYTES, "the whole answer was delivered");
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let server = MockServer::builder()
        .idle_timeout(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream.write_all(HEALTHZ).await.unwrap();
    assert_eq!(common::read_one_response(&mut stream).await.status, 200);
    let idle = Instant::now();
    // The default header timeout (10 s) is not what closes it.
    assert!(read_until_closed(&mut stream).await.is_empty());
    assert!(idle.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn a_kept_alive_connection_may_idle_longer_than_the_header_timeout() {
    let server = MockServer::builder()
        .header_timeout(Duration::from_millis(100))
        .start()
        .await
        .unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream.write_all(HEALTHZ).await.unwrap();
    assert_eq!(common::read_one_response(&mut stream).await.status, 200);
    tokio::time::sleep(Duration::from_millis(400)).await;
    stream.write_all(HEALTHZ).await.unwrap();
    assert_eq!(common::read_one_response(&mut stream).await.status, 200);
    // Once a head starts, the header timeout applies again.
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn limits_too_large_to_represent_mean_no_limit_and_never_panic() {
    let forever = Duration::from_millis(u64::MAX);
    let config = mock_server::Config::from_toml(&format!(
        "header_timeout_ms = {max}\nbody_timeout_ms = {max}\nidle_timeout_ms = {max}\n\
         write_timeout_ms = {max}\nmax_connections = {max}\n",
        max = i64::MAX
    ))
    .unwrap();
    let server = MockServer::builder().config(config).start().await.unwrap();
    let builder = MockServer::builder()
        .max_connections(usize::MAX)
        .header_timeout(forever)
        .idle_timeout(forever)
        .write_timeout(forever)
        .body_timeout(forever);
    let built = builder.start().await.unwrap();
    for addr in [server.local_addr(), built.local_addr()] {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        for _ in 0..2 {
            stream.write_all(HEALTHZ).await.unwrap();
            assert_eq!(common::read_one_response(&mut stream).await.status, 200);
        }
    }
}
