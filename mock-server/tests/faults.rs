//! Faults on purpose (checklist S-73), through the handle and the admin API.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::time::{Duration, Instant};

use common::{F1_BASIC, basic, f1_token, post_form, request};
use mock_server::{Endpoint, Fault, FaultRule, MockServer};

const CC: &str = "grant_type=client_credentials";

async fn with_fault(fault: Fault) -> (MockServer, common::Raw) {
    let server = MockServer::start().await.unwrap();
    server.push_fault(FaultRule::new(fault));
    let response = f1_token(&server, CC).await;
    (server, response)
}

#[tokio::test]
async fn status_fault_serves_a_bare_5xx_once() {
    let (server, response) = with_fault(Fault::Status(503)).await;
    assert_eq!(response.status, 503);
    assert_eq!(response.header("content-type"), Some("text/plain"));
    assert_eq!(response.text(), "503 Service Unavailable\n");
    assert_eq!(f1_token(&server, CC).await.status, 200);
    assert_eq!(server.token_requests(), 2);
    assert_eq!(server.journal()[0].fault.as_deref(), Some("Status(503)"));
}

#[tokio::test]
async fn retry_after_fault_applies_only_to_its_client_s69() {
    let server = MockServer::start().await.unwrap();
    server.push_fault(
        FaultRule::new(Fault::RetryAfter {
            status: 429,
            seconds: 1,
        })
        .for_client("s6BhdRkqt3")
        .times(1),
    );
    let other = common::token(
        &server,
        &[("authorization", &basic("svc-1", "pässwörd€"))],
        CC,
    )
    .await;
    assert_eq!(other.status, 200);
    let response = f1_token(&server, CC).await;
    response.assert_oauth_error(429, "temporarily_unavailable");
    assert_eq!(response.header("retry-after"), Some("1"));
    assert_eq!(f1_token(&server, CC).await.status, 200);
}

#[tokio::test]
async fn hang_fault_never_answers_until_shutdown() {
    let server = MockServer::start().await.unwrap();
    server.push_fault(FaultRule::new(Fault::Hang).always());
    let addr = server.local_addr();
    let hung = tokio::time::timeout(
        Duration::from_millis(300),
        common::send_raw(
            addr,
            b"POST /token HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n",
        ),
    )
    .await;
    assert!(hung.is_err(), "a hang must not answer");
    let started = Instant::now();
    server.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(6));
}

/// Sends `raw` with a fault for `endpoint` queued, hangs up after 200 ms
/// without an answer (as a client with a timeout does), and returns the
/// journal's one entry: the request that was left, with status 499.
async fn abandoned(
    server: &MockServer,
    fault: Fault,
    endpoint: Endpoint,
    raw: &[u8],
) -> mock_server::JournalEntry {
    server.push_fault(FaultRule::new(fault).for_endpoint(endpoint));
    let answered = tokio::time::timeout(
        Duration::from_millis(200),
        common::send_raw(server.local_addr(), raw),
    )
    .await;
    assert!(answered.is_err(), "the fault must hold the answer back");
    let mut journal = journal_of(server, 1).await;
    assert_eq!(journal.len(), 1, "{journal:?}");
    let entry = journal.remove(0);
    assert_eq!(entry.status, 499, "{entry:?}");
    let reason = entry.reason.as_deref().unwrap_or_default();
    assert!(reason.contains("client closed the connection"), "{reason}");
    entry
}

/// The journal's entries once there are `count`, waiting at most 5 s.
async fn journal_of(server: &MockServer, count: usize) -> Vec<mock_server::JournalEntry> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let journal = server.journal();
        if journal.len() >= count || Instant::now() > deadline {
            return journal;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

const F1_REQUEST: &[u8] = b"POST /token HTTP/1.1\r\nhost: x\r\n\
authorization: Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW\r\n\
content-type: application/x-www-form-urlencoded\r\ncontent-length: 40\r\n\r\n\
grant_type=client_credentials&scope=read";

const A_MINUTE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn a_client_that_hangs_up_during_a_latency_fault_is_journaled_as_499() {
    let server = MockServer::start().await.unwrap();
    let started = Instant::now();
    let entry = abandoned(
        &server,
        Fault::Latency(A_MINUTE),
        Endpoint::Token,
        F1_REQUEST,
    )
    .await;
    // Journaled when the client left, not when the fault's minute is up.
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        (entry.method.as_str(), entry.path.as_str()),
        ("POST", "/token")
    );
    assert_eq!(entry.fault.as_deref(), Some("Latency(60s)"));
    // What the journal shows of a request the fault answered.
    assert_eq!(entry.client_id.as_deref(), Some("s6BhdRkqt3"));
    assert_eq!(entry.auth_method, Some(mock_server::DetectedAuth::Basic));
    let form = entry.form.as_ref().expect("the form is kept");
    assert!(
        form.contains(&("scope".to_owned(), "read".to_owned())),
        "{form:?}"
    );
    // Judged as a request the fault answered: POST, a form, Basic.
    let verdict = |rule: &str| {
        entry
            .findings
            .iter()
            .find(|f| f.rule == rule)
            .map(|f| f.verdict)
    };
    assert_eq!(
        verdict("C-01"),
        Some(mock_server::conformance::Verdict::Pass)
    );
    assert_eq!(
        verdict("C-02"),
        Some(mock_server::conformance::Verdict::Pass)
    );
    assert_eq!(server.token_requests(), 1);
    // The fault was used up by the request that left: the next is answered.
    assert_eq!(f1_token(&server, CC).await.status, 200);
    assert_eq!(journal_of(&server, 2).await[1].status, 200);
}

#[tokio::test]
async fn a_client_that_hangs_up_on_a_hanging_resource_is_journaled_as_499() {
    let server = MockServer::start().await.unwrap();
    let raw = b"GET /resource HTTP/1.1\r\nhost: x\r\n\r\n";
    let entry = abandoned(&server, Fault::Hang, Endpoint::Resource, raw).await;
    assert_eq!(entry.path, "/resource");
    assert_eq!(entry.fault.as_deref(), Some("Hang"));
    assert_eq!(entry.client_id, None);
}

#[tokio::test]
async fn a_client_that_hangs_up_during_a_slow_introspection_is_journaled_with_its_form() {
    let server = MockServer::start().await.unwrap();
    let raw = b"POST /introspect HTTP/1.1\r\nhost: x\r\n\
authorization: Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW\r\n\
content-type: application/x-www-form-urlencoded\r\ncontent-length: 13\r\n\r\n\
token=abc.def";
    let entry = abandoned(&server, Fault::Latency(A_MINUTE), Endpoint::Introspect, raw).await;
    assert_eq!(entry.path, "/introspect");
    assert_eq!(entry.fault.as_deref(), Some("Latency(60s)"));
    let form = entry.form.as_ref().expect("the form is kept");
    assert_eq!(form.len(), 1, "{form:?}");
    assert_eq!(form[0].0, "token");
}

#[tokio::test]
async fn latency_fault_delays_a_correct_answer() {
    let server = MockServer::start().await.unwrap();
    server.push_fault(FaultRule::new(Fault::Latency(Duration::from_millis(200))));
    let started = Instant::now();
    let response = f1_token(&server, CC).await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(response.status, 200);
}

#[tokio::test]
async fn html_and_malformed_and_error_in_200_faults() {
    let (_server, html) = with_fault(Fault::Html { status: 502 }).await;
    assert_eq!(html.status, 502);
    assert_eq!(
        html.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(html.text().starts_with("<!DOCTYPE html>"));
    let (_server, malformed) = with_fault(Fault::MalformedJson).await;
    assert_eq!(malformed.status, 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&malformed.body).is_err());
    let (_server, error) = with_fault(Fault::ErrorIn200).await;
    assert_eq!(error.status, 200);
    assert_eq!(error.json()["error"], "invalid_request");
}

#[tokio::test]
async fn odd_but_legal_success_bodies() {
    let (_s, r) = with_fault(Fault::ExpiresInString).await;
    assert_eq!(r.json()["expires_in"], "3600");
    let (_s, r) = with_fault(Fault::LowercaseTokenType).await;
    assert_eq!(r.json()["token_type"], "bearer");
    let (_s, r) = with_fault(Fault::ExtraFields).await;
    assert_eq!(r.json()["not-before-policy"], 0);
    assert!(r.json()["mock_extra"].is_object());
    let (_s, r) = with_fault(Fault::NoScope).await;
    assert!(r.json().get("scope").is_none());
    assert!(r.json()["access_token"].is_string());
    let (_s, r) = with_fault(Fault::NoExpiresIn).await;
    assert!(r.json().get("expires_in").is_none());
}

#[tokio::test]
async fn short_lifetime_fault_issues_a_one_second_token() {
    let clock = auth_core::ManualClock::new(time::macros::datetime!(2026-01-01 00:00 UTC));
    let server = MockServer::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    server.push_fault(FaultRule::new(Fault::ShortLifetime));
    let response = f1_token(&server, CC).await;
    assert_eq!(response.json()["expires_in"], 1);
    let token = response.json()["access_token"].as_str().unwrap().to_owned();
    clock.advance(Duration::from_secs(1));
    let introspection = post_form(
        &server,
        "/introspect",
        &[("authorization", F1_BASIC)],
        &format!("token={token}"),
    )
    .await;
    assert_eq!(introspection.text(), r#"{"active":false}"#);
}

#[tokio::test]
async fn oversized_fault_pads_a_valid_body() {
    let (_s, r) = with_fault(Fault::Oversized { bytes: 100_000 }).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body.len(), 100_000);
    assert!(r.json()["access_token"].is_string());
}

#[tokio::test]
async fn redirect_and_invalid_client_faults() {
    let (_s, r) = with_fault(Fault::Redirect {
        location: "http://127.0.0.1:9/token".into(),
    })
    .await;
    assert_eq!(r.status, 307);
    assert_eq!(r.header("location"), Some("http://127.0.0.1:9/token"));
    let (_s, r) = with_fault(Fault::InvalidClient).await;
    r.assert_oauth_error(401, "invalid_client");
}

#[tokio::test]
async fn faults_can_target_the_resource() {
    let server = MockServer::start().await.unwrap();
    server.push_fault(
        FaultRule::new(Fault::Status(500))
            .for_endpoint(Endpoint::Resource)
            .times(2),
    );
    assert_eq!(f1_token(&server, CC).await.status, 200);
    assert_eq!(
        request(&server, "GET", "/resource", &[], b"").await.status,
        500
    );
    assert_eq!(
        request(&server, "GET", "/resource", &[], b"").await.status,
        500
    );
    assert_eq!(
        request(&server, "GET", "/resource", &[], b"").await.status,
        401
    );
}

#[tokio::test]
async fn admin_api_queues_faults_from_json() {
    let server = MockServer::start().await.unwrap();
    let json = [("content-type", "application/json")];
    let created = request(
        &server,
        "POST",
        "/_mock/faults",
        &json,
        br#"{"fault":{"status":502},"times":2}"#,
    )
    .await;
    assert_eq!(created.status, 201);
    assert_eq!(f1_token(&server, CC).await.status, 502);
    assert_eq!(f1_token(&server, CC).await.status, 502);
    assert_eq!(f1_token(&server, CC).await.status, 200);
    let always = request(
        &server,
        "POST",
        "/_mock/faults",
        &json,
        br#"{"fault":"invalid_client","times":null}"#,
    )
    .await;
    assert_eq!(always.status, 201);
    assert_eq!(f1_token(&server, CC).await.status, 401);
    assert_eq!(f1_token(&server, CC).await.status, 401);
    assert_eq!(
        request(&server, "DELETE", "/_mock/faults", &json, b"")
            .await
            .status,
        204
    );
    assert_eq!(f1_token(&server, CC).await.status, 200);
    let bad = request(
        &server,
        "POST",
        "/_mock/faults",
        &json,
        br#"{"fault":"nope"}"#,
    )
    .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn raw_fault_serves_bytes_verbatim_s73() {
    let body = "\u{feff}{\"access_token\":\"a\",\"access_token\":\"b\",\"token_type\":\"Bearer\"}";
    let (_s, r) = with_fault(Fault::Raw {
        status: 200,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-odd".into(), "1".into()),
            ("bad name".into(), "x".into()),
        ],
        body: body.into(),
    })
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, body.as_bytes());
    assert_eq!(r.header("x-odd"), Some("1"));
    assert!(r.header("bad name").is_none());
    let rule: FaultRule =
        serde_json::from_str(r#"{"fault":{"raw":{"status":502,"body":"<html>"}}}"#).unwrap();
    assert_eq!(
        rule.fault(),
        &Fault::Raw {
            status: 502,
            headers: vec![],
            body: "<html>".into()
        }
    );
}

#[tokio::test]
async fn reset_fault_closes_the_connection_without_an_answer_s73() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = MockServer::start().await.unwrap();
    server.push_fault(FaultRule::new(Fault::Reset));
    let mut stream = tokio::net::TcpStream::connect(server.local_addr())
        .await
        .unwrap();
    let request = format!(
        "POST /token HTTP/1.1\r\nhost: x\r\nauthorization: {F1_BASIC}\r\ncontent-type: {}\r\ncontent-length: 29\r\n\r\n{CC}",
        common::FORM
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf))
        .await
        .unwrap();
    assert!(
        read.is_err() || buf.is_empty(),
        "{}",
        String::from_utf8_lossy(&buf)
    );
    // The server itself is fine.
    assert_eq!(f1_token(&server, CC).await.status, 200);
}

// ---------- issue 8 item 1: time arithmetic on fault and admin input ----------

/// A JSON `POST` to the admin API.
async fn admin_json(server: &MockServer, path: &str, body: &[u8]) -> common::Raw {
    request(
        server,
        "POST",
        path,
        &[("content-type", "application/json")],
        body,
    )
    .await
}

/// `POST /introspect` as F1.
async fn introspect(server: &MockServer, token: &str) -> common::Raw {
    post_form(
        server,
        "/introspect",
        &[("authorization", F1_BASIC)],
        &format!("token={token}"),
    )
    .await
}

/// A fault whose `Retry-After` no clock can hold.
fn endless_retry_after() -> Fault {
    Fault::RetryAfter {
        status: 429,
        seconds: u64::MAX,
    }
}

#[tokio::test]
async fn a_retry_after_fault_longer_than_any_clock_is_served_and_the_next_request_answered() {
    let server = MockServer::start().await.unwrap();
    server.push_fault(FaultRule::new(endless_retry_after()));
    let response = f1_token(&server, CC).await;
    response.assert_oauth_error(429, "temporarily_unavailable");
    assert_eq!(response.header("retry-after"), Some("18446744073709551615"));
    // The retry watcher saw a wait nobody can finish: C-49 fails, nothing panics.
    assert_eq!(f1_token(&server, CC).await.status, 200);
    let journal = server.journal();
    assert!(
        journal[1]
            .findings
            .iter()
            .any(|f| f.rule == "C-49" && f.is_failure()),
        "{:?}",
        journal[1].findings
    );
}

#[tokio::test]
async fn a_retry_after_fault_longer_than_any_clock_queued_through_the_admin_api_does_not_panic() {
    let server = MockServer::start().await.unwrap();
    let created = admin_json(
        &server,
        "/_mock/faults",
        br#"{"fault":{"retry_after":{"status":503,"seconds":18446744073709551615}},"times":2}"#,
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(f1_token(&server, CC).await.status, 503);
    assert_eq!(f1_token(&server, CC).await.status, 503);
    assert_eq!(f1_token(&server, CC).await.status, 200);
}

#[tokio::test]
async fn a_latency_fault_longer_than_any_clock_delays_only_its_request() {
    let server = MockServer::start().await.unwrap();
    let created = admin_json(
        &server,
        "/_mock/faults",
        br#"{"fault":{"latency":18446744073709551615}}"#,
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let delayed = tokio::time::timeout(Duration::from_millis(300), f1_token(&server, CC)).await;
    assert!(delayed.is_err(), "the delayed request must not answer yet");
    assert_eq!(f1_token(&server, CC).await.status, 200);
    let started = Instant::now();
    server.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(6));
}

#[tokio::test]
async fn a_clock_advance_beyond_any_date_saturates_and_tokens_still_work() {
    let server = MockServer::start().await.unwrap();
    let advanced = admin_json(
        &server,
        "/_mock/clock/advance",
        br#"{"seconds":18446744073709551615}"#,
    )
    .await;
    assert_eq!(advanced.status, 200, "{}", advanced.text());
    server.advance_clock(Duration::MAX);
    let token = common::f1_access_token(&server, "read").await;
    let introspected = introspect(&server, &token).await;
    assert_eq!(introspected.status, 200, "{}", introspected.text());
    let json = introspected.json();
    assert_eq!(json["active"], true, "{json}");
    assert!(json["exp"].as_i64().unwrap() > json["iat"].as_i64().unwrap());
    // The lockout windows saturate too.
    let wrong = basic("s6BhdRkqt3", "wrong");
    for _ in 0..10 {
        assert_eq!(
            common::token(&server, &[("authorization", &wrong)], CC)
                .await
                .status,
            401
        );
    }
    assert_eq!(f1_token(&server, CC).await.status, 429);
}

#[tokio::test]
async fn a_token_lifetime_beyond_any_date_issues_a_token_that_stays_active() {
    let mut config = mock_server::Config::embedded();
    config.token_lifetime_secs = u64::MAX;
    let server = MockServer::builder().config(config).start().await.unwrap();
    let response = f1_token(&server, CC).await;
    assert_eq!(response.status, 200, "{}", response.text());
    let json = response.json();
    assert_eq!(json["expires_in"], u64::MAX, "{json}");
    let token = json["access_token"].as_str().unwrap();
    let introspected = introspect(&server, token).await;
    assert_eq!(introspected.json()["active"], true);
}
