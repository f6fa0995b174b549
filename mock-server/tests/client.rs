//! The auth-core client against the mock (the "done when"), and the
//! built binary: ready line, a token, clean exit on Ctrl-C, config errors.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use auth_core::{Client, ClientAuthMethod, ClientCredentials, Scope, TokenUrl};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use mock_server::MockServer;
use tokio::net::TcpStream;

/// Sends an `http::Request<Vec<u8>>` with a small hyper client, in origin form.
async fn send(request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
    let (mut parts, body) = request.into_parts();
    let authority = parts.uri.authority().unwrap().clone();
    parts.uri = parts
        .uri
        .path_and_query()
        .unwrap()
        .as_str()
        .parse()
        .unwrap();
    parts
        .headers
        .insert(http::header::HOST, authority.as_str().parse().unwrap());
    let stream = TcpStream::connect(authority.as_str()).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let response = sender
        .send_request(http::Request::from_parts(
            parts,
            Full::new(Bytes::from(body)),
        ))
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    http::Response::from_parts(parts, body.collect().await.unwrap().to_bytes().to_vec())
}

#[tokio::test]
async fn auth_core_client_fetches_a_token_and_uses_it() {
    let server = MockServer::start().await.unwrap();
    let credentials =
        ClientCredentials::new("s6BhdRkqt3", "gX1fBat3bV").with_scopes([Scope::Read, Scope::Write]);
    let client = Client::new(TokenUrl::parse(&server.token_url()).unwrap(), credentials);
    let sent_at = time::OffsetDateTime::now_utc();
    let response = send(client.token_request().unwrap()).await;
    let token = client.parse_token_response(&response, sent_at).unwrap();
    assert_eq!(token.scope().to_string(), "read write");
    let client = client.with_token(token);
    let mut resource = http::Request::get(format!("{}?scope=write", server.resource_url()))
        .body(Vec::new())
        .unwrap();
    client.authorize_request(&mut resource).unwrap();
    let answer = send(resource).await;
    assert_eq!(
        answer.status(),
        200,
        "{}",
        String::from_utf8_lossy(answer.body())
    );
    // The client broke no rule the mock can see.
    let entry = &server.journal()[0];
    assert!(
        entry.findings.iter().all(|f| !f.is_failure()),
        "{:?}",
        entry.findings
    );
}

#[tokio::test]
async fn auth_core_encodings_match_the_mock_for_f2_and_post() {
    let server = MockServer::start().await.unwrap();
    let url = TokenUrl::parse(&server.token_url()).unwrap();
    for credentials in [
        ClientCredentials::new("client:id+1", "a b+c/d%e&f=g:h~i"),
        ClientCredentials::new("svc-1", "pässwörd€"),
        ClientCredentials::new("post-only", "s3cret-post")
            .with_auth_method(ClientAuthMethod::ClientSecretPost),
    ] {
        let client = Client::new(url.clone(), credentials);
        let response = send(client.token_request().unwrap()).await;
        let token = client.parse_token_response(&response, time::OffsetDateTime::now_utc());
        assert!(token.is_ok(), "{token:?}");
    }
    assert!(
        server
            .journal()
            .iter()
            .all(|e| e.findings.iter().all(|f| !f.is_failure()))
    );
}

/// Kills the child (by its handle) if a test fails half-way.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(args: &[&str]) -> (Running, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-server"))
        .args(args)
        .env_remove("MOCK_SERVER_ADDR")
        .env_remove("MOCK_SERVER_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (Running(child), rx)
}

#[tokio::test]
async fn binary_prints_a_ready_line_serves_a_token_and_exits_on_ctrl_c() {
    let (mut child, lines) = spawn(&["--addr", "127.0.0.1:0"]);
    let ready = lines.recv_timeout(Duration::from_secs(20)).unwrap();
    assert!(
        ready.starts_with("mock-server ready on http://127.0.0.1:"),
        "{ready}"
    );
    let token_url = ready.split_whitespace().last().unwrap().to_owned();
    assert!(token_url.ends_with("/token"), "{ready}");
    let addr = token_url
        .trim_start_matches("http://")
        .trim_end_matches("/token")
        .parse()
        .unwrap();
    let raw = format!(
        "POST /token HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\nauthorization: {}\r\ncontent-type: {}\r\ncontent-length: 29\r\n\r\ngrant_type=client_credentials",
        common::F1_BASIC,
        common::FORM
    );
    let response = common::send_raw(addr, raw.as_bytes()).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["token_type"], "Bearer");

    // Ctrl-C: SIGINT to the child we started, by its pid.
    let pid = child.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "no exit after SIGINT");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn binary_lists_clients_with_the_serve_subcommand() {
    let (_child, lines) = spawn(&["serve", "--addr", "127.0.0.1:0"]);
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && !seen.iter().any(|l: &String| l.contains("svc-1")) {
        if let Ok(line) = lines.recv_timeout(Duration::from_secs(1)) {
            seen.push(line);
        }
    }
    let text = seen.join("\n");
    assert!(text.contains("dev mock"), "{text}");
    assert!(
        text.contains("s6BhdRkqt3") && text.contains("gX1fBat3bV"),
        "{text}"
    );
    assert!(
        text.contains("client_secret_post") && text.contains("(public client)"),
        "{text}"
    );
}

#[test]
fn binary_reports_a_bad_config_naming_the_field() {
    let path = std::env::temp_dir().join(format!("mock-server-bad-{}.toml", std::process::id()));
    std::fs::write(
        &path,
        "[[clients]]\nid = \"x\"\nsecret = \"y\"\nscopes = [\"a\\\"b\"]\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_mock-server"))
        .args(["--addr", "127.0.0.1:0", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("clients[x].scopes"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let path = std::env::temp_dir().join(format!("mock-server-typo-{}.toml", std::process::id()));
    std::fs::write(&path, "token_lifetime_secs = \"soon\"\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_mock-server"))
        .arg("--config")
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("token_lifetime_secs"), "{stderr}");
}

#[test]
fn binary_with_tls_writes_the_ca_and_prints_https_urls() {
    let ca = std::env::temp_dir().join(format!("mock-server-ca-{}.pem", std::process::id()));
    let ca_arg = ca.to_str().unwrap().to_owned();
    let (_child, lines) = spawn(&["--addr", "127.0.0.1:0", "--tls", "--ca-out", &ca_arg]);
    let ready = lines.recv_timeout(Duration::from_secs(20)).unwrap();
    assert!(
        ready.starts_with("mock-server ready on https://127.0.0.1:"),
        "{ready}"
    );
    let pem = std::fs::read_to_string(&ca).unwrap();
    let _ = std::fs::remove_file(&ca);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
}

/// The lines the binary prints at start, up to the client list's end.
fn start_up_lines(config: &str, clients: usize) -> Vec<String> {
    let path = std::env::temp_dir().join(format!(
        "mock-server-start-{}-{clients}-{}.toml",
        std::process::id(),
        config.len()
    ));
    std::fs::write(&path, config).unwrap();
    let config_arg = path.to_str().unwrap().to_owned();
    let (_child, lines) = spawn(&["--addr", "127.0.0.1:0", "--config", &config_arg]);
    // ready, metadata, lockout, tokens, the list's heading, one line per client
    let lines = (0..5 + clients)
        .map(|_| lines.recv_timeout(Duration::from_secs(20)).unwrap())
        .collect();
    let _ = std::fs::remove_file(&path);
    lines
}

#[test]
fn binary_start_up_lists_each_clients_default_scopes_and_the_lockout_setting() {
    let lines = start_up_lines(
        "lockout_failures = 3\nlockout_window_secs = 30\n\
         [[clients]]\nid = \"svc\"\nsecret = \"s\"\nscopes = [\"read\", \"write\"]\ndefault_scopes = [\"read\", \"write\"]\n\
         [[clients]]\nid = \"bare\"\nsecret = \"s\"\nscopes = [\"read\"]\n",
        2,
    );
    let text = lines.join("\n");
    assert!(
        lines[0].starts_with("mock-server ready on http://127.0.0.1:"),
        "{text}"
    );
    assert_eq!(
        lines[2],
        "lockout: 3 failed authentications per client id and source within 30 s, then 429 for 30 s",
        "{text}"
    );
    let svc = lines
        .iter()
        .find(|l| l.trim_start().starts_with("svc "))
        .unwrap();
    assert!(
        svc.ends_with("scopes=read write default_scopes=read write"),
        "{text}"
    );
    let bare = lines
        .iter()
        .find(|l| l.trim_start().starts_with("bare "))
        .unwrap();
    assert!(
        bare.ends_with("scopes=read default_scopes=(none)"),
        "{text}"
    );
}

#[test]
fn binary_start_up_says_when_the_lockout_is_off() {
    let lines = start_up_lines(
        "lockout_failures = 0\n[[clients]]\nid = \"svc\"\nsecret = \"s\"\n",
        1,
    );
    assert_eq!(lines[2], "lockout: off (lockout_failures = 0)", "{lines:?}");
}
