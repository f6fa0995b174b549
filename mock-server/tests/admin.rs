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
        .env_remove("MOCK_METRICS_TOKEN")
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
async fn binary_flags_set_the_metrics_token_which_opens_only_the_metrics() {
    let (_child, addr, _stderr) = spawn(
        &[
            "--addr",
            "127.0.0.1:0",
            "--metrics-token",
            "scrape-k3y",
            "--metrics-scraper",
            "192.0.2.0/24",
        ],
        Some("admin-k3y"),
    );
    let get = |path: &str, authorization: &str| {
        format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n{authorization}\r\n")
    };
    let scraper = "authorization: Bearer scrape-k3y\r\n";
    let metrics = common::send_raw(addr, get("/_mock/metrics", scraper).as_bytes()).await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .text()
            .contains("# TYPE mock_server_requests_total counter")
    );
    let journal = common::send_raw(addr, get("/_mock/journal", scraper).as_bytes()).await;
    assert_eq!(journal.status, 401);
    assert_eq!(raw_admin(addr, scraper).await, 401);
    let bare = common::send_raw(addr, get("/_mock/metrics", "").as_bytes()).await;
    assert_eq!(bare.status, 401);
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

/// A JSON admin write and its refusal's `error_description`.
async fn post_json(server: &MockServer, path: &str, body: &str) -> common::Raw {
    request(server, "POST", path, &JSON, body.as_bytes()).await
}

fn description(raw: &common::Raw) -> String {
    raw.json()["error_description"]
        .as_str()
        .unwrap_or_else(|| panic!("no error_description: {}", raw.text()))
        .to_owned()
}

#[tokio::test]
async fn admin_body_errors_carry_serdes_own_message() {
    let server = MockServer::start().await.unwrap();
    // The Rust variant name, as older docs had it.
    let refused = post_json(&server, "/_mock/faults", r#"{"fault":"MalformedJson"}"#).await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert_eq!(refused.error(), "invalid_request");
    let text = description(&refused);
    assert!(
        text.starts_with("invalid JSON body at line 1 column 24: unknown variant `MalformedJson`, expected one of "),
        "{text}"
    );
    assert!(text.contains("`malformed_json`"), "{text}");
    assert!(!text.contains("(Data)"), "{text}");
    let unknown_field = post_json(&server, "/_mock/faults", r#"{"fault":"hang","time":2}"#).await;
    assert!(
        description(&unknown_field).contains(
            "unknown field `time`, expected one of `fault`, `client_id`, `endpoint`, `times`"
        ),
        "{}",
        unknown_field.text()
    );
    // Bounded, however long the name it quotes back.
    let long = format!(r#"{{"fault":"{}"}}"#, "x".repeat(20_000));
    let refused = post_json(&server, "/_mock/faults", &long).await;
    assert_eq!(refused.status, 400);
    let text = description(&refused);
    assert!(text.len() <= 1024 + '…'.len_utf8(), "{} bytes", text.len());
    assert!(text.ends_with('…'), "{text}");
}

#[tokio::test]
async fn admin_body_errors_never_quote_the_refused_value() {
    let server = MockServer::start().await.unwrap();
    // A secret of the wrong type: serde's message would quote it.
    for (body, kind) in [
        (r#"{"id":"x","secret":918273645}"#, "integer"),
        (r#"{"id":"x","secret":true,"scopes":[]}"#, "boolean"),
        (
            r#"{"id":"x","secret":"s3cr3t-value","scopes":"s3cr3t-value"}"#,
            "string",
        ),
    ] {
        let refused = post_json(&server, "/_mock/clients", body).await;
        assert_eq!(refused.status, 400, "{body}: {}", refused.text());
        let text = description(&refused);
        assert!(
            text.contains(&format!("invalid type: {kind}, expected ")),
            "{text}"
        );
        for value in ["918273645", "true", "s3cr3t"] {
            assert!(
                !refused.text().contains(value),
                "{body}: {}",
                refused.text()
            );
        }
    }
    let refused = post_json(
        &server,
        "/_mock/faults",
        r#"{"fault":{"status":"hunter2"}}"#,
    )
    .await;
    assert_eq!(
        description(&refused),
        "invalid JSON body at line 1 column 28: invalid type: string, expected u16"
    );
}

#[tokio::test]
async fn a_fault_for_a_client_that_is_not_registered_is_refused_with_422() {
    let server = MockServer::start().await.unwrap();
    let refused = post_json(
        &server,
        "/_mock/faults",
        r#"{"fault":{"status":503},"client_id":"s6BhdRkqt4"}"#,
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert_eq!(refused.error(), "unknown_client");
    assert!(
        description(&refused).contains(r#"no client "s6BhdRkqt4" is registered"#),
        "{}",
        refused.text()
    );
    let listed = admin(&server, "GET", "/_mock/faults", &[]).await;
    assert_eq!(listed.json(), serde_json::json!([]), "nothing was queued");
    // A registered client's fault is queued, and a rule for any client too.
    for body in [
        r#"{"fault":{"status":503},"client_id":"s6BhdRkqt3"}"#,
        r#"{"fault":{"status":503}}"#,
    ] {
        assert_eq!(
            post_json(&server, "/_mock/faults", body).await.status,
            201,
            "{body}"
        );
    }
}

#[tokio::test]
async fn admin_lists_registered_clients_with_secrets_redacted() {
    const SECRET: &str = "l1sted-but-n0t-shown";
    let server = MockServer::builder()
        .without_clients()
        .client(ClientRegistration::public("a-public"))
        .start()
        .await
        .unwrap();
    let created = post_json(
        &server,
        "/_mock/clients",
        &format!(
            r#"{{"id":"b-svc","secret":"{SECRET}","scopes":["read","write"],"default_scopes":["read"],"auth_method":"client_secret_post"}}"#
        ),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let listed = admin(&server, "GET", "/_mock/clients", &[]).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.header("content-type"), Some("application/json"));
    assert!(!listed.text().contains(SECRET), "{}", listed.text());
    assert_eq!(
        listed.json(),
        serde_json::json!([
            {
                "id": "a-public",
                "secret": null,
                "scopes": [],
                "default_scopes": [],
                "auth_method": "client_secret_basic",
                "grant_types": ["client_credentials"],
            },
            {
                "id": "b-svc",
                "secret": "[REDACTED]",
                "scopes": ["read", "write"],
                "default_scopes": ["read"],
                "auth_method": "client_secret_post",
                "grant_types": ["client_credentials"],
            },
        ])
    );
    // The embedded fixtures: F1's secret is never shown either.
    let server = MockServer::start().await.unwrap();
    let listed = admin(&server, "GET", "/_mock/clients", &[]).await;
    assert!(listed.json().as_array().unwrap().len() >= 7);
    assert!(!listed.text().contains("gX1fBat3bV"), "{}", listed.text());
}

#[tokio::test]
async fn admin_lists_queued_faults_in_match_order_with_uses_left() {
    let server = MockServer::start().await.unwrap();
    for body in [
        r#"{"fault":{"retry_after":{"status":429,"seconds":1}},"client_id":"s6BhdRkqt3","times":2}"#,
        r#"{"fault":"hang","endpoint":"resource","times":null}"#,
    ] {
        assert_eq!(
            post_json(&server, "/_mock/faults", body).await.status,
            201,
            "{body}"
        );
    }
    let listed = admin(&server, "GET", "/_mock/faults", &[]).await;
    assert_eq!(listed.status, 200);
    assert_eq!(
        listed.json(),
        serde_json::json!([
            {
                "id": 1,
                "fault": {"retry_after": {"status": 429, "seconds": 1}},
                "client_id": "s6BhdRkqt3",
                "endpoint": "token",
                "times": 2,
            },
            {"id": 2, "fault": "hang", "endpoint": "resource", "times": null},
        ])
    );
    assert_eq!(f1_token(&server, CC).await.status, 429);
    let listed = admin(&server, "GET", "/_mock/faults", &[]).await;
    assert_eq!(listed.json()[0]["times"], 1);
    assert_eq!(
        request(&server, "DELETE", "/_mock/faults", &JSON, b"")
            .await
            .status,
        204
    );
    let listed = admin(&server, "GET", "/_mock/faults", &[]).await;
    assert_eq!(listed.json(), serde_json::json!([]));
}

#[tokio::test]
async fn admin_removes_one_fault_rule_by_the_id_it_was_given() {
    let server = MockServer::start().await.unwrap();
    let mut ids = Vec::new();
    for body in [
        r#"{"fault":{"status":503},"times":null}"#,
        r#"{"fault":"invalid_client","times":null}"#,
    ] {
        let created = post_json(&server, "/_mock/faults", body).await;
        assert_eq!(created.status, 201, "{}", created.text());
        let id = created.json()["id"].as_u64().unwrap();
        assert_eq!(
            created.header("location"),
            Some(format!("/_mock/faults/{id}").as_str())
        );
        ids.push(id);
    }
    assert_ne!(ids[0], ids[1]);
    assert_eq!(
        f1_token(&server, CC).await.status,
        503,
        "the first rule fires"
    );

    let path = format!("/_mock/faults/{}", ids[0]);
    assert_eq!(admin(&server, "DELETE", &path, &JSON).await.status, 204);
    let listed = admin(&server, "GET", "/_mock/faults", &[]).await;
    assert_eq!(listed.json().as_array().unwrap().len(), 1);
    assert_eq!(listed.json()[0]["id"], ids[1], "the other rule stays");
    assert_eq!(
        f1_token(&server, CC).await.status,
        401,
        "the second rule fires now"
    );

    // Gone, not a number, another method: each its own answer.
    assert_eq!(admin(&server, "DELETE", &path, &JSON).await.status, 404);
    assert_eq!(
        admin(&server, "DELETE", "/_mock/faults/first", &JSON)
            .await
            .status,
        400
    );
    let other = admin(&server, "GET", &path, &[]).await;
    assert_eq!(other.status, 405);
    assert_eq!(other.header("allow"), Some("DELETE"));
    // A rule cannot choose its own id.
    let named = post_json(&server, "/_mock/faults", r#"{"id":9,"fault":"hang"}"#).await;
    assert_eq!(named.status, 400, "{}", named.text());

    let path = format!("/_mock/faults/{}", ids[1]);
    assert_eq!(admin(&server, "DELETE", &path, &JSON).await.status, 204);
    assert_eq!(f1_token(&server, CC).await.status, 200);
}

/// Runs the binary until it exits (it must fail to start, within 20 s);
/// its status and its stderr.
fn run_to_exit(args: &[&str]) -> (std::process::ExitStatus, String) {
    use std::io::Read as _;
    use std::process::{Command, Stdio};
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_mock-server"))
            .args(args)
            .env_remove("MOCK_SERVER_ADDR")
            .env_remove("MOCK_SERVER_CONFIG")
            .env_remove("MOCK_ADMIN_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stderr = child.0.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{args:?} did not exit"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    (status, reader.join().unwrap())
}

/// What no error a person reads may show: `Debug` of an io error or of
/// our own, escaped newlines or quotes.
fn assert_no_debug(stderr: &str) {
    for debug in ["Os {", "Bind {", "Toml(", "kind:", "\\n", "\\\""] {
        assert!(!stderr.contains(debug), "{debug:?} in {stderr}");
    }
}

#[tokio::test]
async fn binary_names_a_busy_port_and_how_to_pick_a_free_one() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (status, stderr) = run_to_exit(&["--addr", &addr]);
    assert!(!status.success(), "{status}");
    assert_no_debug(&stderr);
    assert_eq!(
        stderr,
        format!("mock-server: address {addr} is already in use (try --addr 127.0.0.1:0)\n")
    );
}

#[tokio::test]
async fn binary_shows_a_config_error_at_file_line_and_column_with_the_snippet() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("bad-config-{}.toml", std::process::id()));
    std::fs::write(&path, "realm = \"mock\"\ntoken_lifetime_secs = \"soon\"\n").unwrap();
    let shown = path.display().to_string();
    let (status, stderr) = run_to_exit(&["--addr", "127.0.0.1:0", "--config", &shown]);
    let _ = std::fs::remove_file(&path);
    assert!(!status.success(), "{status}");
    assert_no_debug(&stderr);
    assert!(
        stderr.starts_with(&format!("mock-server: invalid config file {shown}:2:23:\n")),
        "{stderr}"
    );
    // The toml crate's snippet, as it renders it.
    assert!(
        stderr.contains("\n2 | token_lifetime_secs = \"soon\"\n"),
        "{stderr}"
    );
    assert!(stderr.contains("expected u64"), "{stderr}");

    // A value that parses but is refused: the file and the field.
    std::fs::write(&path, "max_connections = 0\n").unwrap();
    let (status, stderr) = run_to_exit(&["--addr", "127.0.0.1:0", "--config", &shown]);
    let _ = std::fs::remove_file(&path);
    assert!(!status.success(), "{status}");
    assert_eq!(
        stderr,
        format!("mock-server: invalid config file {shown}: max_connections: must be at least 1\n")
    );

    let missing = dir.join("no-such-config.toml").display().to_string();
    let (status, stderr) = run_to_exit(&["--config", &missing]);
    assert!(!status.success(), "{status}");
    assert_no_debug(&stderr);
    assert!(
        stderr.starts_with(&format!("mock-server: cannot read config file {missing}: ")),
        "{stderr}"
    );
}

#[tokio::test]
async fn binary_names_a_flag_that_breaks_the_configuration_as_an_invalid_setting() {
    // Validated once, when the server starts (not again when the flags
    // are applied): the message still names the setting.
    for (args, message) in [
        (
            ["--admin-host", "bad host!"],
            "admin_hosts[0]: not a host name or address, with an optional port",
        ),
        (
            ["--max-connections", "0"],
            "max_connections: must be at least 1",
        ),
    ] {
        let (status, stderr) = run_to_exit(&[&["--addr", "127.0.0.1:0"][..], &args[..]].concat());
        assert!(!status.success(), "{args:?}: {status}");
        assert_no_debug(&stderr);
        assert_eq!(stderr, format!("mock-server: invalid setting: {message}\n"));
    }
}

/// Sends SIGINT (Ctrl-C) to the binary and expects a clean exit well
/// before the 5 s the drain of requests in flight may take.
#[cfg(unix)]
async fn interrupt_expecting_a_prompt_exit(child: &mut Running) {
    use rustix::process::{Pid, Signal, kill_process};
    let sent = std::time::Instant::now();
    kill_process(Pid::from_child(&child.0), Signal::INT).unwrap();
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            sent.elapsed() < std::time::Duration::from_secs(10),
            "no exit"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    assert!(status.success(), "{status}");
    let took = sent.elapsed();
    assert!(
        took < std::time::Duration::from_secs(2),
        "exit took {took:?}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn binary_exits_promptly_on_ctrl_c_while_a_request_head_is_half_sent() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (mut child, addr, _stderr) = spawn(&["--addr", "127.0.0.1:0"], None);
    // A client's pooled connection: one answer read, then idle.
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    let get =
        format!("GET /.well-known/oauth-authorization-server HTTP/1.1\r\nhost: {addr}\r\n\r\n");
    idle.write_all(get.as_bytes()).await.unwrap();
    let mut head = [0; 12];
    idle.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    // A slow or stuck client, part way through its head.
    let mut stuck = tokio::net::TcpStream::connect(addr).await.unwrap();
    stuck
        .write_all(b"POST /token HTTP/1.1\r\nhost: ")
        .await
        .unwrap();
    // Let the server read what was sent.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    // It used to wait out the 5 s drain, with no request in flight.
    interrupt_expecting_a_prompt_exit(&mut child).await;
    let mut rest = Vec::new();
    let _ = stuck.read_to_end(&mut rest).await;
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
}

#[cfg(unix)]
#[tokio::test]
async fn binary_exits_promptly_on_ctrl_c_during_a_tls_handshake() {
    let (mut child, addr, _stderr) = spawn(&["--addr", "127.0.0.1:0", "--tls"], None);
    // Connected, no ClientHello yet (a preconnect, a stuck client).
    let _waiting = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    // It used to wait out the 5 s drain, with no request in flight.
    interrupt_expecting_a_prompt_exit(&mut child).await;
}

#[cfg(unix)]
#[tokio::test]
async fn binary_stops_at_once_on_a_second_ctrl_c_while_a_request_is_in_flight() {
    use rustix::process::{Pid, Signal, kill_process};
    use tokio::io::AsyncWriteExt as _;
    let (mut child, addr, _stderr) = spawn(&["--addr", "127.0.0.1:0"], None);
    // A request in flight: its head complete, its body still coming.
    let mut uploading = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /token HTTP/1.1\r\nhost: {addr}\r\ncontent-type: {}\r\ncontent-length: 100\r\n\r\ngrant",
        common::FORM
    );
    uploading.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    // The first Ctrl-C waits for it (up to 5 s)...
    kill_process(Pid::from_child(&child.0), Signal::INT).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "waits for the request"
    );
    // ...the second does not (it used to be ignored).
    interrupt_expecting_a_prompt_exit(&mut child).await;
}

#[tokio::test]
async fn shutdown_still_finishes_answers_in_flight() {
    use mock_server::{Fault, FaultRule};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let server = MockServer::start().await.unwrap();
    let addr = server.local_addr();
    // One answer still being made, one still being written to a peer that
    // has not read yet (far more than the socket buffers hold).
    server.push_fault(FaultRule::new(Fault::Latency(
        std::time::Duration::from_millis(300),
    )));
    let slow = tokio::spawn(f1_token_at(addr));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    server.push_fault(FaultRule::new(Fault::Oversized { bytes: 16 << 20 }));
    let mut unread = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /token HTTP/1.1\r\nhost: {addr}\r\nauthorization: {F1_BASIC}\r\ncontent-type: {}\r\ncontent-length: {}\r\n\r\n{CC}",
        common::FORM,
        CC.len()
    );
    unread.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let stopping = tokio::spawn(server.shutdown());
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut answer = Vec::new();
    unread.read_to_end(&mut answer).await.unwrap();
    let answer = common::parse(&answer);
    assert_eq!(answer.status, 200);
    let length: usize = answer.header("content-length").unwrap().parse().unwrap();
    assert!(length >= 16 << 20, "{length}");
    assert_eq!(answer.body.len(), length, "the whole body");
    assert_eq!(slow.await.unwrap().status, 200);
    stopping.await.unwrap();
}

/// F1's token request on a fresh connection.
async fn f1_token_at(addr: std::net::SocketAddr) -> common::Raw {
    let request = format!(
        "POST /token HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\nauthorization: {F1_BASIC}\r\ncontent-type: {}\r\ncontent-length: {}\r\n\r\n{CC}",
        common::FORM,
        CC.len()
    );
    common::send_raw(addr, request.as_bytes()).await
}
