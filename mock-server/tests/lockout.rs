//! S-68 brute-force lockout under a spray of junk client ids (issue 8 item
//! 8): the table is bounded and fails closed, so a spray never makes room
//! for free guesses at a real client's secret.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use common::{FORM, basic, f1_token};
use mock_server::MockServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

const CC: &str = "grant_type=client_credentials";
/// The registered F1 client (RFC 6749 §4.4.2 example).
const REAL_ID: &str = "s6BhdRkqt3";
const REAL_SECRET: &str = "gX1fBat3bV";

fn token_request(addr: SocketAddr, authorization: &str, last: bool) -> String {
    let mut raw = format!("POST /token HTTP/1.1\r\nhost: {addr}\r\n");
    if last {
        raw.push_str("connection: close\r\n");
    }
    let _ = write!(
        raw,
        "content-type: {FORM}\r\nauthorization: {authorization}\r\ncontent-length: {}\r\n\r\n{CC}",
        CC.len()
    );
    raw
}

/// Sends token requests with these `Authorization` values from `from`,
/// pipelined on a few connections; the statuses, in order.
async fn pipelined(server: &MockServer, from: IpAddr, authorizations: &[String]) -> Vec<u16> {
    let addr = server.local_addr();
    let mut statuses = Vec::with_capacity(authorizations.len());
    for batch in authorizations.chunks(500) {
        let mut raw = String::new();
        for (i, authorization) in batch.iter().enumerate() {
            raw.push_str(&token_request(addr, authorization, i + 1 == batch.len()));
        }
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind(SocketAddr::new(from, 0)).unwrap();
        let mut stream = socket.connect(addr).await.unwrap();
        let (mut read, mut write) = stream.split();
        let mut answers = Vec::new();
        let (written, got) = tokio::join!(
            write.write_all(raw.as_bytes()),
            tokio::time::timeout(Duration::from_secs(60), read.read_to_end(&mut answers)),
        );
        written.unwrap();
        got.expect("answers in time").unwrap();
        let before = statuses.len();
        statuses.extend(
            answers
                .windows(12)
                .filter(|w| w.starts_with(b"HTTP/1.1 "))
                .map(|w| {
                    std::str::from_utf8(&w[9..12])
                        .unwrap()
                        .parse::<u16>()
                        .unwrap()
                }),
        );
        assert_eq!(
            statuses.len() - before,
            batch.len(),
            "one answer per request"
        );
    }
    statuses
}

async fn one(server: &MockServer, from: IpAddr, id: &str, secret: &str) -> u16 {
    pipelined(server, from, &[basic(id, secret)]).await[0]
}

#[tokio::test]
async fn s68_a_spray_of_twenty_thousand_junk_ids_does_not_unlock_guessing_the_real_secret() {
    let server = MockServer::start().await.unwrap();
    let sprayer: IpAddr = [127, 0, 0, 2].into();
    let guesser: IpAddr = [127, 0, 0, 3].into();
    let junk: Vec<String> = (0..20_000)
        .map(|n| basic(&format!("junk-{n}"), "guess"))
        .collect();
    let statuses = pipelined(&server, sprayer, &junk).await;
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    // The sprayer reached the per-source threshold: refused from then on,
    // even for the real client's id with the right secret.
    assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 1000);
    assert_eq!(one(&server, sprayer, REAL_ID, REAL_SECRET).await, 429);
    // Another source guessing the real secret is still counted and locked
    // after max_failures (10), right secret or not.
    for _ in 0..10 {
        assert_eq!(one(&server, guesser, REAL_ID, "wrong").await, 401);
    }
    assert_eq!(one(&server, guesser, REAL_ID, REAL_SECRET).await, 429);
    // Neither lock reaches a third source on the same host.
    assert_eq!(f1_token(&server, CC).await.status, 200);
}

#[tokio::test]
async fn the_spray_threshold_and_table_size_come_from_the_config() {
    let mut config = mock_server::Config::embedded();
    config.lockout_spray_failures = 5;
    config.lockout_capacity = 64;
    let server = MockServer::builder().config(config).start().await.unwrap();
    let sprayer: IpAddr = [127, 0, 0, 4].into();
    let junk: Vec<String> = (0..8)
        .map(|n| basic(&format!("junk-{n}"), "guess"))
        .collect();
    let statuses = pipelined(&server, sprayer, &junk).await;
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
    // A zero-size table is refused, by name.
    let err = mock_server::Config::from_toml("lockout_capacity = 0").unwrap_err();
    assert!(err.to_string().contains("lockout_capacity"), "{err}");
    let config = mock_server::Config::from_toml("lockout_spray_failures = 0").unwrap();
    assert_eq!(config.lockout_spray_failures, 0);
}
