//! `MockServerBuilder::workers`: connections dealt in turn to several
//! threads that share one server: one state, one connection limit, one
//! drain. The worker threads are found by name in `/proc` (Linux).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{F1_BASIC, FORM};
use mock_server::{Fault, FaultRule, MockServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The tests here look at this process's threads: one at a time.
static THREADS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const CC: &str = "grant_type=client_credentials";

/// This process's worker threads: name and time run so far (ns).
fn workers() -> Vec<(String, u64)> {
    let mut found = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let path = task.unwrap().path();
        // A thread that just ended has no files left.
        let (Ok(name), Ok(stat)) = (
            std::fs::read_to_string(path.join("comm")),
            std::fs::read_to_string(path.join("schedstat")),
        ) else {
            continue;
        };
        if name.starts_with("mock-worker-") {
            let ran = stat.split_whitespace().next().unwrap().parse().unwrap();
            found.push((name.trim_end().to_owned(), ran));
        }
    }
    found.sort();
    found
}

fn ran(threads: &[(String, u64)], name: &str) -> u64 {
    threads.iter().find(|(n, _)| n == name).unwrap().1
}

/// The lock on this process's threads, once the last test's workers are gone.
async fn alone() -> tokio::sync::MutexGuard<'static, ()> {
    let guard = THREADS.lock().await;
    until_no_workers().await;
    guard
}

/// The worker threads' names once there are `n` (a thread names itself as
/// it starts, a moment after it is spawned).
async fn named_workers(n: usize) -> Vec<String> {
    for _ in 0..200 {
        let names: Vec<String> = workers().into_iter().map(|(name, _)| name).collect();
        if names.len() == n {
            return names;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("not {n} worker threads: {:?}", workers());
}

async fn until_no_workers() {
    for _ in 0..200 {
        if workers().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("worker threads left: {:?}", workers());
}

fn token_request(addr: SocketAddr) -> Vec<u8> {
    format!(
        "POST /token HTTP/1.1\r\nhost: {addr}\r\nauthorization: {F1_BASIC}\r\ncontent-type: {FORM}\r\ncontent-length: {}\r\n\r\n{CC}",
        CC.len()
    )
    .into_bytes()
}

/// Sends `request` on a kept-alive connection and reads one answer.
async fn exchange(stream: &mut TcpStream, request: &[u8]) -> common::Raw {
    stream.write_all(request).await.unwrap();
    common::read_one_response(stream).await
}

/// `n` connections, each answered once, so each is where it was dealt.
async fn dealt(addr: SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut streams = Vec::new();
    for _ in 0..n {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let health = format!("GET /healthz HTTP/1.1\r\nhost: {addr}\r\n\r\n");
        assert_eq!(exchange(&mut stream, health.as_bytes()).await.status, 200);
        streams.push(stream);
    }
    streams
}

#[tokio::test]
async fn each_connection_is_served_by_the_worker_it_was_dealt_to() {
    let _one_at_a_time = alone().await;
    let server = MockServer::builder().workers(3).start().await.unwrap();
    let addr = server.local_addr();
    assert_eq!(named_workers(2).await, ["mock-worker-1", "mock-worker-2"]);
    // Dealt in turn: this runtime, worker 1, worker 2.
    let mut streams = dealt(addr, 3).await;
    let before = workers();
    for _ in 0..30 {
        let answer = exchange(&mut streams[1], &token_request(addr)).await;
        assert_eq!(answer.status, 200, "{}", answer.text());
    }
    let after = workers();
    let busy = ran(&after, "mock-worker-1") - ran(&before, "mock-worker-1");
    let idle = ran(&after, "mock-worker-2") - ran(&before, "mock-worker-2");
    assert!(
        busy > 0 && busy > 20 * idle,
        "worker 1 ran {busy} ns for its 30 requests, worker 2 {idle} ns for none"
    );
    assert_eq!(server.token_requests(), 30);
    server.shutdown().await;
}

#[tokio::test]
async fn workers_share_one_state_and_one_connection_limit() {
    let _one_at_a_time = alone().await;
    let server = MockServer::builder()
        .workers(2)
        .max_connections(2)
        .start()
        .await
        .unwrap();
    let addr = server.local_addr();
    // One connection on each runtime holds the two slots.
    let mut held = dealt(addr, 2).await;
    let mut refused = TcpStream::connect(addr).await.unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), refused.read_to_end(&mut rest))
        .await
        .unwrap();
    assert!(closed.is_ok() && rest.is_empty(), "served over the limit");
    // A token minted on this runtime is known on worker 1's.
    let minted = exchange(&mut held[0], &token_request(addr)).await;
    let token = minted.json()["access_token"].as_str().unwrap().to_owned();
    let body = format!("token={token}");
    let introspect = format!(
        "POST /introspect HTTP/1.1\r\nhost: {addr}\r\nauthorization: {F1_BASIC}\r\ncontent-type: {FORM}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let answer = exchange(&mut held[1], introspect.as_bytes()).await;
    assert_eq!(answer.json()["active"], true, "{}", answer.text());
    let paths: Vec<String> = server.journal().into_iter().map(|e| e.path).collect();
    assert_eq!(paths, ["/healthz", "/healthz", "/token", "/introspect"]);
    server.shutdown().await;
}

#[tokio::test]
async fn a_stop_answers_the_request_in_flight_on_a_worker_and_ends_its_thread() {
    let _one_at_a_time = alone().await;
    let server = MockServer::builder().workers(2).start().await.unwrap();
    let addr = server.local_addr();
    let mut streams = dealt(addr, 2).await;
    server.push_fault(FaultRule::new(Fault::Latency(Duration::from_millis(300))));
    let mut on_worker = streams.pop().unwrap();
    let slow = tokio::spawn(async move { exchange(&mut on_worker, &token_request(addr)).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.shutdown().await;
    // The stop cuts the fault's delay short (503), and that answer goes out
    // in full before the worker's connection closes.
    let answer = slow.await.unwrap();
    assert_eq!(
        (answer.status, answer.text()),
        (503, "shutting down\n".to_owned())
    );
    until_no_workers().await;
}

#[tokio::test]
async fn dropping_the_server_ends_its_worker_threads() {
    let _one_at_a_time = alone().await;
    let server = MockServer::builder().workers(3).start().await.unwrap();
    let _streams = dealt(server.local_addr(), 3).await;
    assert_eq!(named_workers(2).await.len(), 2);
    drop(server);
    until_no_workers().await;
}
