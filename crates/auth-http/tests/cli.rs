//! `fetch-token` against the in-process mock provider: output formats and
//! exit codes (0 ok, 2 usage, 3 provider rejection, 4 transport), and the
//! `fetch-token` examples of `docs/quickstart.md`.
#![expect(clippy::unwrap_used, reason = "tests")]

// The quick start's example reader, shared with mock-server's own test of
// its curl examples.
#[path = "../../../mock-server/tests/doc_example/mod.rs"]
mod doc_example;

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use auth_core::OAuthToken;
use mock_server::{Fault, FaultRule, MockServer};

const BIN: &str = env!("CARGO_BIN_EXE_fetch-token");

/// Runs the binary off the runtime's threads, so the mock keeps serving.
async fn run(
    args: Vec<String>,
    secret_env: Option<&'static str>,
    stdin: Option<&'static str>,
) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new(BIN);
        command
            .args(&args)
            .env_remove("CLIENT_SECRET")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(secret) = secret_env {
            command.env("CLIENT_SECRET", secret);
        }
        command.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = command.spawn().unwrap();
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

fn args(token_url: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "--token-url".to_owned(),
        token_url.to_owned(),
        "--client-id".to_owned(),
        "s6BhdRkqt3".to_owned(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prints_the_stored_format_with_the_secret_from_the_environment() {
    let server = MockServer::start().await.unwrap();
    let output = run(
        args(&server.token_url(), &["--scope", "read write"]),
        Some("gX1fBat3bV"),
        None,
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Bound to the request's persistent identity, as a FileStore would save it.
    let key = auth_core::TokenRequest::new(
        auth_core::TokenUrl::parse(&server.token_url()).unwrap(),
        auth_core::ClientCredentials::new("s6BhdRkqt3", "gX1fBat3bV")
            .with_scopes([auth_core::Scope::Read, auth_core::Scope::Write]),
    )
    .key();
    let token = OAuthToken::from_stored_json(&output.stdout, &key).unwrap();
    assert_eq!(token.scope().to_string(), "read write");
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prints_only_the_access_token_with_the_secret_from_stdin() {
    let server = MockServer::start().await.unwrap();
    let output = run(
        args(
            &server.token_url(),
            &["--secret-stdin", "--access-token-only"],
        ),
        None,
        Some("gX1fBat3bV\n"),
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let token = String::from_utf8(output.stdout).unwrap();
    assert_eq!(token.lines().count(), 1);
    assert!(!token.trim().is_empty() && !token.contains('{'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_rejection_exits_3_with_one_line() {
    let server = MockServer::start().await.unwrap();
    let output = run(args(&server.token_url(), &[]), Some("wrong-secret"), None).await;
    assert_eq!(output.status.code(), Some(3));
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains("invalid_client"), "{message}");
    assert!(!message.contains("wrong-secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_provider_exits_4() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/token");
    let output = run(args(&url, &["--max-attempts", "1"]), Some("s"), None).await;
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert_eq!(stderr(&output).lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2() {
    let missing_secret = run(args("https://as.example/token", &[]), None, None).await;
    assert_eq!(missing_secret.status.code(), Some(2));
    assert!(stderr(&missing_secret).contains("CLIENT_SECRET"));
    let insecure = run(args("http://as.example/token", &[]), Some("s"), None).await;
    assert_eq!(insecure.status.code(), Some(2));
    let bad_scope = run(
        args("https://as.example/token", &["--scope", "é"]),
        Some("s"),
        None,
    )
    .await;
    assert_eq!(bad_scope.status.code(), Some(2));
    let no_flags = run(Vec::new(), Some("s"), None).await;
    assert_eq!(no_flags.status.code(), Some(2));
    let secret_flag = run(
        args("https://as.example/token", &["--secret", "s"]),
        None,
        None,
    )
    .await;
    assert_eq!(
        secret_flag.status.code(),
        Some(2),
        "there is no --secret flag"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_ca_is_trusted_only_through_ca_file() {
    let server = MockServer::builder()
        .tls(mock_server::Tls::SelfSigned)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, server.ca_pem().unwrap()).unwrap();
    let untrusted = run(
        args(&server.token_url(), &["--max-attempts", "1"]),
        Some("gX1fBat3bV"),
        None,
    )
    .await;
    assert_eq!(untrusted.status.code(), Some(4), "{}", stderr(&untrusted));
    let ca_arg = ca.to_str().unwrap().to_owned();
    let mut with_ca = args(&server.token_url(), &["--access-token-only", "--ca-file"]);
    with_ca.push(ca_arg);
    let trusted = run(with_ca, Some("gX1fBat3bV"), None).await;
    assert_eq!(trusted.status.code(), Some(0), "{}", stderr(&trusted));
    assert_eq!(server.token_requests(), 1);
}

/// Serves `status`, `headers` and `body` once as the next token answer.
fn answer_once(server: &MockServer, status: u16, headers: &[(&str, &str)], body: &str) {
    server.push_fault(
        FaultRule::new(Fault::Raw {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.to_owned(),
        })
        .times(1),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_of_u64_max_seconds_fetches_without_panicking() {
    let server = MockServer::start().await.unwrap();
    let output = run(
        args(&server.token_url(), &["--timeout", "18446744073709551615"]),
        Some("gX1fBat3bV"),
        None,
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_retry_after_exits_4_at_once_without_panicking() {
    let server = MockServer::start().await.unwrap();
    answer_once(
        &server,
        503,
        &[("retry-after", "99999999999999999999")],
        "busy",
    );
    let output = run(args(&server.token_url(), &[]), Some("gX1fBat3bV"), None).await;
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("rate limited"),
        "{}",
        stderr(&output)
    );
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_success_answer_exits_4_after_one_request() {
    let server = MockServer::start().await.unwrap();
    let json = [("content-type", "application/json")];
    let bodies = [
        r#"{"access_token":"a","token_type":"Bearer","expires_in":-1}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":"soon"}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":true}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":[]}"#,
        r#"{"access_token":"a","token_type":"Bearer","expires_in":{}}"#,
        r#"{"welcome":"portal"}"#,
    ];
    for (sent, body) in bodies.iter().enumerate() {
        answer_once(&server, 200, &json, body);
        let output = run(args(&server.token_url(), &[]), Some("gX1fBat3bV"), None).await;
        assert_eq!(output.status.code(), Some(4), "{body}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("malformed token response"),
            "{body}: {}",
            stderr(&output)
        );
        assert_eq!(server.token_requests(), sent + 1, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_expired_on_arrival_exits_4_after_one_request() {
    let server = MockServer::start().await.unwrap();
    answer_once(
        &server,
        200,
        &[("content-type", "application/json")],
        r#"{"access_token":"a","token_type":"Bearer","expires_in":0}"#,
    );
    let output = run(args(&server.token_url(), &[]), Some("gX1fBat3bV"), None).await;
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("already expired"),
        "{}",
        stderr(&output)
    );
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn giving_up_after_retries_exits_4_saying_how_many_attempts_and_how_long() {
    let server = MockServer::start().await.unwrap();
    answer_once(&server, 503, &[], "<html>down</html>");
    answer_once(&server, 503, &[], "<html>down</html>");
    let output = run(
        args(&server.token_url(), &["--max-attempts", "2"]),
        Some("gX1fBat3bV"),
        None,
    )
    .await;
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(4), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.starts_with("fetch-token: token request failed after 2 attempts over "),
        "{message}"
    );
    assert!(message.contains("HTTP 503"), "{message}");
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_after_a_retry_still_exits_3() {
    let server = MockServer::start().await.unwrap();
    answer_once(&server, 503, &[], "<html>down</html>");
    let output = run(args(&server.token_url(), &[]), Some("wrong-secret"), None).await;
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{message}");
    assert!(
        message.contains("after 2 attempts") && message.contains("invalid_client"),
        "{message}"
    );
    assert!(!message.contains("wrong-secret"));
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_fetch_token_examples_print_what_the_doc_shows() {
    use doc_example::{DOC_ADDR, Example, QUICKSTART, assert_shows, examples, run_session};
    // The examples show the token at work with curl.
    if let Err(e) = Command::new("curl").arg("--version").output() {
        panic!("this test drives curl, which could not be run ({e}): install curl");
    }
    let examples = examples(QUICKSTART);
    let fetch: Vec<Example> = examples
        .into_iter()
        .filter(|e| e.expected.is_some() && e.command.contains("fetch-token "))
        .collect();
    let commands: String = fetch.iter().map(|e| e.command.as_str()).collect();
    for wanted in ["CLIENT_SECRET=", "--secret-stdin", "--access-token-only"] {
        assert!(
            commands.contains(wanted),
            "no fetch-token example with {wanted}"
        );
    }
    assert!(fetch.len() >= 3, "{} fetch-token examples", fetch.len());
    // The embedded configuration, as the binary the doc starts serves it.
    let server = MockServer::start().await.unwrap();
    let addr = server.local_addr().to_string();
    let session = fetch.clone();
    let outputs = tokio::task::spawn_blocking(move || {
        let bin_dir = std::path::Path::new(BIN).parent().unwrap();
        run_session(&session.iter().collect::<Vec<_>>(), &addr, Some(bin_dir))
    })
    .await
    .unwrap();
    let addr = server.local_addr().to_string();
    for (example, output) in fetch.iter().zip(&outputs) {
        let expected = example.expected.as_deref().unwrap_or_default();
        assert_shows(example, &expected.replace(DOC_ADDR, &addr), output);
    }
}

/// The assertion the one request to `server` carried, checked for C-64
/// (one method: the jwt-bearer type, no secret, no Basic header).
async fn sent_assertion(server: &wiremock::MockServer) -> String {
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert!(!requests[0].headers.contains_key("authorization"));
    let form = auth_core::form::Form::parse(&requests[0].body, 32).unwrap();
    assert_eq!(
        form.get("client_assertion_type"),
        Some(auth_core::jose::CLIENT_ASSERTION_TYPE_JWT_BEARER)
    );
    assert_eq!(form.get("client_secret"), None);
    form.get("client_assertion").unwrap().to_owned()
}

async fn token_endpoint() -> wiremock::MockServer {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_raw(
            r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    server
}

fn key_path(name: &str) -> String {
    format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn jwt_validation(alg: jsonwebtoken::Algorithm, aud: &str) -> jsonwebtoken::Validation {
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.set_issuer(&["s6BhdRkqt3"]);
    validation.sub = Some("s6BhdRkqt3".to_owned());
    validation.set_audience(&[aud]);
    validation.set_required_spec_claims(&["iss", "sub", "aud", "exp", "iat", "jti"]);
    validation
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_key_jwt_signs_with_the_key_file_and_reads_no_secret() {
    let server = token_endpoint().await;
    let token_url = format!("{}/token", server.uri());
    let key = key_path("es256.pem");
    let extra = [
        "--auth-method",
        "private_key_jwt",
        "--private-key",
        key.as_str(),
        "--key-id",
        "k-7",
        "--alg",
        "ES256",
        "--issuer",
        &server.uri(),
        "--access-token-only",
    ];
    let output = run(args(&token_url, &extra), None, None).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "at-1");
    let assertion = sent_assertion(&server).await;
    let public = std::fs::read(key_path("es256.pub.pem")).unwrap();
    let key = jsonwebtoken::DecodingKey::from_ec_pem(&public).unwrap();
    // aud: the issuer given, as a single string (C-66).
    let validation = jwt_validation(jsonwebtoken::Algorithm::ES256, &server.uri());
    let claims = jsonwebtoken::decode::<serde_json::Value>(&assertion, &key, &validation).unwrap();
    assert_eq!(claims.header.kid.as_deref(), Some("k-7"));
    assert_eq!(claims.claims["aud"], serde_json::Value::from(server.uri()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_secret_jwt_signs_hs256_with_the_secret_from_the_environment() {
    let server = token_endpoint().await;
    let token_url = format!("{}/token", server.uri());
    let extra = ["--auth-method", "client_secret_jwt"];
    let output = run(args(&token_url, &extra), Some("gX1fBat3bV"), None).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let assertion = sent_assertion(&server).await;
    let key = jsonwebtoken::DecodingKey::from_secret(b"gX1fBat3bV").unwrap();
    let validation = jwt_validation(jsonwebtoken::Algorithm::HS256, &token_url);
    assert!(jsonwebtoken::decode::<serde_json::Value>(&assertion, &key, &validation).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assertion_flags_are_usage_errors_where_they_do_not_fit() {
    let url = "https://as.example/token";
    let es = key_path("es256.pem");
    let cases: [(&[&str], &str); 4] = [
        (&["--auth-method", "private_key_jwt"], "--private-key"),
        (&["--private-key", es.as_str()], "private_key_jwt"),
        (
            &[
                "--auth-method",
                "private_key_jwt",
                "--private-key",
                es.as_str(),
                "--alg",
                "RS256",
            ],
            "cannot sign RS256",
        ),
        (
            &[
                "--auth-method",
                "private_key_jwt",
                "--private-key",
                "/nonexistent/key.pem",
            ],
            "cannot read key file",
        ),
    ];
    for (extra, says) in cases {
        let output = run(args(url, extra), Some("s"), None).await;
        assert_eq!(output.status.code(), Some(2), "{extra:?}");
        assert!(
            stderr(&output).contains(says),
            "{extra:?}: {}",
            stderr(&output)
        );
    }
}
