//! The journal and its findings (S-71, S-72) and the admin API (S-74).
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use common::{F1_BASIC, f1_access_token, f1_token, request, token};
use mock_server::{ClientRegistration, DetectedAuth, MockServer};

const CC: &str = "grant_type=client_credentials";
const JSON: [(&str, &str); 1] = [("content-type", "application/json")];

#[tokio::test]
async fn s71_journal_records_requests_with_secrets_redacted() {
    let server = MockServer::start().await.unwrap();
    f1_token(&server, "grant_type=client_credentials&scope=read").await;
    token(
        &server,
        &[],
        "grant_type=client_credentials&client_id=post-only&client_secret=s3cret-post",
    )
    .await;
    let journal = server.journal();
    assert_eq!(journal.len(), 2);
    let basic = &journal[0];
    assert_eq!(
        (basic.method.as_str(), basic.path.as_str(), basic.status),
        ("POST", "/token", 200)
    );
    assert_eq!(basic.auth_method, Some(DetectedAuth::Basic));
    assert_eq!(basic.client_id.as_deref(), Some("s6BhdRkqt3"));
    assert!(basic.headers.contains(&(
        "authorization".to_owned(),
        "Basic [REDACTED] (28 bytes)".to_owned()
    )));
    let post = &journal[1];
    assert_eq!(post.auth_method, Some(DetectedAuth::Post));
    let form = post.form.as_ref().unwrap();
    assert!(form.contains(&(
        "client_secret".to_owned(),
        "[REDACTED] (11 bytes)".to_owned()
    )));
    assert!(form.contains(&("client_id".to_owned(), "post-only".to_owned())));
    let text = serde_json::to_string(&journal).unwrap();
    assert!(!text.contains("s3cret-post") && !text.contains("czZCaGRSa3F0MzpnWDFmQmF0M2JW"));
}

#[tokio::test]
async fn s72_findings_name_rule_rfc_level_and_verdict() {
    let server = MockServer::start().await.unwrap();
    token(
        &server,
        &[(
            "authorization",
            "Basic Y2xpZW50OmlkKzE6YSBiK2MvZCVlJmY9Zzpofmk=",
        )],
        "grant_type=client_credentials&scope=",
    )
    .await;
    let entry = server.journal().pop().unwrap();
    let findings = serde_json::to_string_pretty(&entry.findings).unwrap();
    insta::assert_snapshot!(findings, @r#"
    [
      {
        "rule": "C-01",
        "rfc": "RFC 6749 §3.2",
        "level": "MUST",
        "verdict": "pass",
        "reason": "POST"
      },
      {
        "rule": "C-02",
        "rfc": "RFC 6749 §4.4.2, App. B",
        "level": "MUST",
        "verdict": "pass",
        "reason": "form body"
      },
      {
        "rule": "C-03",
        "rfc": "RFC 6749 §4.4.2",
        "level": "MUST",
        "verdict": "pass",
        "reason": "grant_type=client_credentials"
      },
      {
        "rule": "C-04",
        "rfc": "RFC 6749 §3.2, RFC 8707 §2",
        "level": "MUST",
        "verdict": "pass",
        "reason": "no repeated parameter"
      },
      {
        "rule": "C-05",
        "rfc": "RFC 6749 §2.3.1, §3.2",
        "level": "MUST",
        "verdict": "pass",
        "reason": "query carries no OAuth parameter"
      },
      {
        "rule": "C-07",
        "rfc": "RFC 6749 §2.3.1, §10.9",
        "level": "MUST",
        "verdict": "pass",
        "reason": "plain HTTP on loopback"
      },
      {
        "rule": "C-11",
        "rfc": "RFC 6749 §2.3.1, App. B",
        "level": "MUST",
        "verdict": "fail",
        "reason": "unencoded Basic credentials"
      },
      {
        "rule": "C-13",
        "rfc": "RFC 7617 §2, RFC 4648 §4",
        "level": "MUST",
        "verdict": "pass",
        "reason": "standard base64"
      },
      {
        "rule": "C-15",
        "rfc": "RFC 6749 §2.3",
        "level": "MUST",
        "verdict": "pass",
        "reason": "one authentication method"
      },
      {
        "rule": "C-22",
        "rfc": "RFC 6749 §3.2",
        "level": "SHOULD",
        "verdict": "warn",
        "reason": "scope sent with an empty value"
      }
    ]
    "#);
}

#[tokio::test]
async fn c01_c02_c04_failures_are_reported() {
    let server = MockServer::start().await.unwrap();
    request(
        &server,
        "GET",
        "/token",
        &[("authorization", F1_BASIC)],
        b"",
    )
    .await;
    request(
        &server,
        "POST",
        "/token",
        &[
            ("authorization", F1_BASIC),
            ("content-type", "application/json"),
        ],
        b"{}",
    )
    .await;
    f1_token(
        &server,
        "grant_type=client_credentials&scope=read&scope=read",
    )
    .await;
    let journal = server.journal();
    let failed = |i: usize| -> Vec<&str> {
        journal[i]
            .findings
            .iter()
            .filter(|f| f.is_failure())
            .map(|f| f.rule)
            .collect()
    };
    assert_eq!(failed(0), ["C-01", "C-02"]);
    assert_eq!(failed(1), ["C-02"]);
    assert_eq!(failed(2), ["C-04"]);
}

#[tokio::test]
async fn journal_is_bounded_and_admin_calls_are_not_recorded() {
    let server = MockServer::builder()
        .journal_capacity(3)
        .start()
        .await
        .unwrap();
    for _ in 0..5 {
        f1_token(&server, CC).await;
    }
    request(&server, "GET", "/healthz", &[], b"").await;
    let response = request(&server, "GET", "/_mock/journal", &[], b"").await;
    assert_eq!(response.status, 200);
    let journal = response.json();
    let paths: Vec<&str> = journal
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/token", "/token", "/healthz"]);
    assert_eq!(journal[0]["findings"][0]["rule"], "C-01");
    assert_eq!(server.token_requests(), 5);
}

#[tokio::test]
async fn s74_clients_can_be_added_and_removed_at_runtime() {
    let server = MockServer::start().await.unwrap();
    let auth = common::basic("new client", "pw+%");
    let created = request(
        &server,
        "POST",
        "/_mock/clients",
        &JSON,
        br#"{"id":"new client","secret":"pw+%","scopes":["read"],"default_scopes":["read"]}"#,
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(
        token(&server, &[("authorization", &auth)], CC).await.status,
        200
    );
    assert_eq!(
        request(&server, "DELETE", "/_mock/clients/new%20client", &JSON, b"")
            .await
            .status,
        204
    );
    assert_eq!(
        token(&server, &[("authorization", &auth)], CC).await.status,
        401
    );
    assert_eq!(
        request(&server, "DELETE", "/_mock/clients/new%20client", &JSON, b"")
            .await
            .status,
        404
    );
    let bad = request(
        &server,
        "POST",
        "/_mock/clients",
        &JSON,
        br#"{"id":"x","scopes":["a b"]}"#,
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.json()["error_description"],
        "clients[x].scopes: invalid character ' ' at byte 1 of a scope token"
    );
}

#[tokio::test]
async fn s74_clock_advance_expires_tokens() {
    let server = MockServer::start().await.unwrap();
    let token = f1_access_token(&server, "read").await;
    let bearer = format!("Bearer {token}");
    assert_eq!(
        request(
            &server,
            "GET",
            "/resource",
            &[("authorization", &bearer)],
            b""
        )
        .await
        .status,
        200
    );
    // One second past the lifetime: expiry is rounded up to the next whole
    // second, so the token never dies before its `expires_in`.
    let advanced = request(
        &server,
        "POST",
        "/_mock/clock/advance",
        &JSON,
        br#"{"seconds":3601}"#,
    )
    .await;
    assert_eq!(advanced.status, 200);
    assert!(advanced.json()["now"].is_string());
    assert_eq!(
        request(
            &server,
            "GET",
            "/resource",
            &[("authorization", &bearer)],
            b""
        )
        .await
        .status,
        401
    );
}

#[tokio::test]
async fn s74_reset_restores_the_start() {
    let server = MockServer::start().await.unwrap();
    server
        .add_client(ClientRegistration::new("extra", "pw"))
        .unwrap();
    let token = f1_access_token(&server, "read").await;
    assert!(server.revoke_token(&token));
    assert_eq!(
        request(&server, "POST", "/_mock/reset", &JSON, b"")
            .await
            .status,
        204
    );
    assert!(server.journal().is_empty());
    assert_eq!(server.token_requests(), 0);
    assert!(server.clients().iter().all(|c| c.id() != "extra"));
    let bearer = format!("Bearer {token}");
    assert_eq!(
        request(
            &server,
            "GET",
            "/resource",
            &[("authorization", &bearer)],
            b""
        )
        .await
        .status,
        200
    );
}

#[tokio::test]
async fn c37_refresh_token_grant_is_a_failure() {
    let server = MockServer::start().await.unwrap();
    let response = f1_token(&server, "grant_type=refresh_token&refresh_token=x").await;
    response.assert_oauth_error(400, "unsupported_grant_type");
    let entry = server.journal().pop().unwrap();
    assert!(
        entry
            .findings
            .iter()
            .any(|f| f.rule == "C-37" && f.is_failure()),
        "{:?}",
        entry.findings
    );
    let form = entry.form.unwrap();
    assert!(form.contains(&("refresh_token".to_owned(), "[REDACTED] (1 byte)".to_owned())));
}

#[tokio::test]
async fn c49_retrying_before_retry_after_is_a_failure_and_waiting_passes() {
    use mock_server::{Fault, FaultRule};
    let server = MockServer::start().await.unwrap();
    server.push_fault(
        FaultRule::new(Fault::RetryAfter {
            status: 429,
            seconds: 1,
        })
        .times(2),
    );
    assert_eq!(f1_token(&server, CC).await.status, 429);
    assert_eq!(f1_token(&server, CC).await.status, 429); // at once: too early
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(f1_token(&server, CC).await.status, 200); // waited
    let journal = server.journal();
    let c49 = |i: usize| {
        journal[i]
            .findings
            .iter()
            .find(|f| f.rule == "C-49")
            .map(|f| f.verdict)
    };
    assert_eq!(c49(0), None);
    assert_eq!(c49(1), Some(mock_server::conformance::Verdict::Fail));
    assert_eq!(c49(2), Some(mock_server::conformance::Verdict::Pass));
}

#[tokio::test]
async fn c59_c60_resource_findings() {
    use mock_server::conformance::Verdict::{Fail, Pass};
    let server = MockServer::start().await.unwrap();
    let token = f1_access_token(&server, "read").await;
    request(
        &server,
        "GET",
        "/resource",
        &[("authorization", &format!("Bearer {token}"))],
        b"",
    )
    .await;
    request(
        &server,
        "GET",
        &format!("/resource?access_token={token}"),
        &[],
        b"",
    )
    .await;
    let journal = server.journal();
    let verdicts = |i: usize| -> Vec<(&str, mock_server::conformance::Verdict)> {
        journal[i]
            .findings
            .iter()
            .map(|f| (f.rule, f.verdict))
            .collect()
    };
    assert_eq!(verdicts(1), [("C-59", Pass), ("C-60", Pass)]);
    assert_eq!(verdicts(2), [("C-59", Fail), ("C-60", Pass)]);
    assert_eq!(journal[1].client_id.as_deref(), Some("s6BhdRkqt3"));
}

async fn resource_status(server: &MockServer, token: &str) -> u16 {
    let bearer = format!("Bearer {token}");
    request(
        server,
        "GET",
        "/resource",
        &[("authorization", &bearer)],
        b"",
    )
    .await
    .status
}

/// RFC 6749 §5.1: a client counts `expires_in` from when it sent the request.
/// Tokens carry whole seconds, so the issuer rounds expiry up: a token issued
/// at a fractional second lives at least `expires_in`, and not a second more.
#[tokio::test]
async fn tokens_never_die_before_their_expires_in() {
    let clock = auth_core::ManualClock::new(time::macros::datetime!(2026-01-01 00:00:00.5 UTC));
    let server = MockServer::builder()
        .clock(clock.clone())
        .token_lifetime(std::time::Duration::from_secs(10))
        .start()
        .await
        .unwrap();
    let token = f1_access_token(&server, "read").await;
    clock.advance(std::time::Duration::from_millis(9_999)); // 10.499 s: within expires_in
    assert_eq!(resource_status(&server, &token).await, 200);
    clock.advance(std::time::Duration::from_millis(501)); // 11.0 s: past the rounded expiry
    assert_eq!(resource_status(&server, &token).await, 401);
}

/// The journal over the admin API with these extra headers.
async fn admin(
    server: &MockServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> common::Raw {
    request(server, method, path, headers, b"").await
}

/// A request with exactly the `Host` given (the helper sends the served one).
async fn with_host(server: &MockServer, method: &str, path: &str, host: &str) -> common::Raw {
    let raw = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n"
    );
    common::send_raw(server.local_addr(), raw.as_bytes()).await
}

#[tokio::test]
async fn admin_writes_without_a_json_content_type_are_refused_with_415() {
    let server = MockServer::start().await.unwrap();
    // What a web page can send cross-site without a preflight.
    let fault = br#"{"fault":{"status":502},"times":null}"#;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let refused = request(
            &server,
            "POST",
            "/_mock/faults",
            &[("content-type", content_type)],
            fault,
        )
        .await;
        assert_eq!(refused.status, 415, "{content_type}: {}", refused.text());
        assert_eq!(refused.json()["error"], "unsupported_media_type");
    }
    // Empty bodies too.
    assert_eq!(
        admin(&server, "POST", "/_mock/reset", &[]).await.status,
        415
    );
    assert_eq!(
        admin(&server, "DELETE", "/_mock/faults", &[]).await.status,
        415
    );
    assert_eq!(
        f1_token(&server, CC).await.status,
        200,
        "no fault was queued"
    );
    let queued = request(
        &server,
        "POST",
        "/_mock/faults",
        &[("content-type", "application/json; charset=utf-8")],
        fault,
    )
    .await;
    assert_eq!(queued.status, 201);
    assert_eq!(f1_token(&server, CC).await.status, 502);
    // Reads need no content type.
    assert_eq!(
        admin(&server, "GET", "/_mock/journal", &[]).await.status,
        200
    );
}

#[tokio::test]
async fn admin_api_refuses_a_host_that_is_not_this_server() {
    let server = MockServer::start().await.unwrap();
    let port = server.local_addr().port();
    // DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1.
    for host in [
        format!("evil.example:{port}"),
        format!("localhost:{}", port.wrapping_add(1)),
        "localhost".to_owned(),
    ] {
        let refused = with_host(&server, "POST", "/_mock/reset", &host).await;
        assert_eq!(refused.status, 403, "{host}");
        assert_eq!(refused.json()["error"], "forbidden");
        assert_eq!(
            with_host(&server, "GET", "/_mock/journal", &host)
                .await
                .status,
            403
        );
    }
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("127.0.0.2:{port}"),
    ] {
        assert_eq!(
            with_host(&server, "POST", "/_mock/reset", &host)
                .await
                .status,
            204,
            "{host}"
        );
    }
    // OAuth endpoints do not care about the Host.
    let token = format!(
        "POST /token HTTP/1.1\r\nhost: evil.example\r\nconnection: close\r\nauthorization: {}\r\ncontent-type: {}\r\ncontent-length: 29\r\n\r\ngrant_type=client_credentials",
        F1_BASIC,
        common::FORM
    );
    assert_eq!(
        common::send_raw(server.local_addr(), token.as_bytes())
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn admin_preflights_get_no_cors_grant() {
    let server = MockServer::start().await.unwrap();
    let preflight = admin(
        &server,
        "OPTIONS",
        "/_mock/reset",
        &[
            ("origin", "https://evil.example"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type"),
        ],
    )
    .await;
    assert_eq!(preflight.status, 405);
    assert!(
        preflight
            .headers
            .iter()
            .all(|(name, _)| !name.starts_with("access-control-")),
        "{preflight:?}"
    );
}

#[tokio::test]
async fn an_admin_token_is_required_from_loopback_peers_too() {
    let token = mock_server::AdminToken::new("c1-adm1n-t0ken").unwrap();
    let server = MockServer::builder()
        .admin_token(token)
        .start()
        .await
        .unwrap();
    let missing = admin(&server, "GET", "/_mock/journal", &[]).await;
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.header("www-authenticate"),
        Some(r#"Bearer realm="mock-admin""#)
    );
    assert_eq!(missing.json()["error"], "unauthorized");
    let wrong = admin(
        &server,
        "GET",
        "/_mock/journal",
        &[("authorization", "Bearer c1-adm1n-t0kem")],
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.header("www-authenticate"),
        Some(r#"Bearer realm="mock-admin", error="invalid_token""#)
    );
    assert!(!wrong.text().contains("c1-adm1n"));
    let bearer = [
        ("authorization", "Bearer c1-adm1n-t0ken"),
        ("content-type", "application/json"),
    ];
    assert_eq!(
        admin(&server, "GET", "/_mock/journal", &bearer)
            .await
            .status,
        200
    );
    assert_eq!(
        admin(&server, "POST", "/_mock/reset", &bearer).await.status,
        204
    );
    // The token does not lift the content-type rule.
    assert_eq!(
        admin(&server, "POST", "/_mock/reset", &bearer[..1])
            .await
            .status,
        415
    );
}

/// Kills the child (by its handle) when the test ends.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary; returns it, its ready line's address, and its stderr
/// lines.
fn spawn(
    args: &[&str],
    token: Option<&str>,
) -> (
    Running,
    std::net::SocketAddr,
    std::sync::mpsc::Receiver<String>,
) {
    use std::io::BufRead as _;
    use std::process::{Command, Stdio};
    let mut command = Command::new(env!("CARGO_BIN_EXE_mock-server"));
    command
        .args(args)
        .env_remove("MOCK_SERVER_ADDR")
        .env_remove("MOCK_SERVER_CONFIG")
        .env_remove("MOCK_ADMIN_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(token) = token {
        command.env("MOCK_ADMIN_TOKEN", token);
    }
    let mut child = command.spawn().unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let running = Running(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let ready = stdout.lines().next().unwrap().unwrap();
    let port: u16 = ready
        .split_whitespace()
        .nth(3)
        .and_then(|url| url.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{ready}"));
    (
        running,
        std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        rx,
    )
}

async fn raw_admin(addr: std::net::SocketAddr, headers: &str) -> u16 {
    let raw = format!(
        "POST /_mock/reset HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-type: application/json\r\n{headers}content-length: 0\r\n\r\n"
    );
    common::send_raw(addr, raw.as_bytes()).await.status
}

#[tokio::test]
async fn binary_beyond_loopback_without_a_token_says_admin_is_loopback_only() {
    let (_child, addr, stderr) = spawn(&["--addr", "0.0.0.0:0"], None);
    let warning = stderr
        .recv_timeout(std::time::Duration::from_secs(20))
        .unwrap();
    assert!(
        warning.contains("without an admin token") && warning.contains("loopback peers only"),
        "{warning}"
    );
    // A loopback peer still may.
    assert_eq!(raw_admin(addr, "").await, 204);
}

#[tokio::test]
async fn binary_takes_the_admin_token_from_the_environment() {
    let (_child, addr, stderr) = spawn(&["--addr", "127.0.0.1:0"], Some("from-env-t0ken"));
    assert_eq!(raw_admin(addr, "").await, 401);
    assert_eq!(
        raw_admin(addr, "authorization: Bearer from-env-t0ken\r\n").await,
        204
    );
    assert!(stderr.try_recv().is_err(), "no warning on loopback");
}

#[tokio::test]
async fn binary_flags_set_admin_hosts_and_the_connection_limit() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (_child, addr, _stderr) = spawn(
        &[
            "--addr",
            "127.0.0.1:0",
            "--admin-host",
            "mock",
            "--max-connections",
            "1",
        ],
        None,
    );
    let mut held = tokio::net::TcpStream::connect(addr).await.unwrap();
    let reset = b"POST /_mock/reset HTTP/1.1\r\nhost: mock:8080\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n";
    held.write_all(reset).await.unwrap();
    let mut answer = [0; 12];
    held.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 204");
    // The one slot is taken: a second connection is closed unanswered.
    let mut second = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _ = second.write_all(reset).await;
    let mut refused = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        second.read_to_end(&mut refused),
    )
    .await
    .expect("closed at once");
    assert!(refused.is_empty(), "{}", String::from_utf8_lossy(&refused));
}
