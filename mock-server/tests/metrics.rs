//! `GET /_mock/metrics`: the mock's counters in Prometheus text, read back
//! with a Prometheus text parser, and who may read them.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]
#![allow(
    clippy::float_cmp,
    reason = "the parser gives counters as f64; small whole numbers are exact"
)]

mod common;

use common::{F1_BASIC, basic, f1_token, request, token};
use mock_server::{
    AdminToken, ClientRegistration, Fault, FaultRule, MetricsToken, MockServer, TokenFormat,
};
use prometheus_parse::{Scrape, Value};

const CC: &str = "grant_type=client_credentials";
const PATH: &str = "/_mock/metrics";

/// One scrape, parsed.
struct Metrics(Scrape);

impl Metrics {
    /// The counter `name` with exactly these labels; 0 when absent (a
    /// request series appears once it counts).
    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let found: Vec<f64> = self
            .0
            .samples
            .iter()
            .filter(|s| {
                s.metric == name
                    && s.labels.len() == labels.len()
                    && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v))
            })
            .map(|s| match s.value {
                Value::Counter(v) => v,
                ref other => panic!("{name} is not a counter: {other:?}"),
            })
            .collect();
        assert!(found.len() <= 1, "{name} {labels:?} appears twice");
        found.first().copied().unwrap_or(0.0)
    }

    /// How much each series moved since `before`.
    fn delta(&self, before: &Self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.counter(name, labels) - before.counter(name, labels)
    }
}

/// Scrapes from loopback with these headers and parses the answer; every
/// sample line must parse (the parser skips what it cannot read).
async fn scrape_with(server: &MockServer, headers: &[(&str, &str)]) -> Metrics {
    let response = request(server, "GET", PATH, headers, b"").await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = response.text();
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let sample_lines = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .count();
    assert_eq!(
        scrape.samples.len(),
        sample_lines,
        "unparsed lines in\n{text}"
    );
    Metrics(scrape)
}

async fn scrape(server: &MockServer) -> Metrics {
    scrape_with(server, &[]).await
}

fn requests<'a>(endpoint: &'a str, status: &'a str) -> [(&'static str, &'a str); 2] {
    [("endpoint", endpoint), ("status", status)]
}

fn finding<'a>(rule: &'a str, verdict: &'a str) -> [(&'static str, &'a str); 2] {
    [("rule", rule), ("verdict", verdict)]
}

const REQUESTS: &str = "mock_server_requests_total";
const FINDINGS: &str = "mock_server_findings_total";
const FAULTS: &str = "mock_server_faults_total";
const TOKENS: &str = "mock_server_tokens_issued_total";

#[tokio::test]
async fn a_good_token_request_counts_a_200_a_jwt_and_its_passing_findings() {
    let server = MockServer::start().await.unwrap();
    let before = scrape(&server).await;
    assert_eq!(f1_token(&server, CC).await.status, 200);
    let after = scrape(&server).await;
    assert_eq!(
        after.delta(&before, REQUESTS, &requests("token", "200")),
        1.0
    );
    assert_eq!(after.delta(&before, TOKENS, &[("format", "jwt")]), 1.0);
    assert_eq!(after.delta(&before, TOKENS, &[("format", "opaque")]), 0.0);
    assert_eq!(
        after.delta(&before, FINDINGS, &finding("C-01", "pass")),
        1.0
    );
    assert_eq!(
        after.delta(&before, FINDINGS, &finding("C-02", "pass")),
        1.0
    );
    assert_eq!(
        after.delta(&before, FINDINGS, &finding("C-01", "fail")),
        0.0
    );
    // The first scrape counted itself after it was rendered.
    assert_eq!(after.counter(REQUESTS, &requests("metrics", "200")), 1.0);
}

#[tokio::test]
async fn bad_token_requests_count_their_status_and_failing_findings() {
    let server = MockServer::start().await.unwrap();
    let before = scrape(&server).await;
    let wrong_secret = basic("s6BhdRkqt3", "not-the-secret");
    let refused = token(&server, &[("authorization", &wrong_secret)], CC).await;
    assert_eq!(refused.status, 401);
    let get = request(
        &server,
        "GET",
        "/token",
        &[("authorization", F1_BASIC)],
        b"",
    )
    .await;
    assert_eq!(get.status, 405);
    let after = scrape(&server).await;
    assert_eq!(
        after.delta(&before, REQUESTS, &requests("token", "401")),
        1.0
    );
    assert_eq!(
        after.delta(&before, REQUESTS, &requests("token", "405")),
        1.0
    );
    assert_eq!(
        after.delta(&before, REQUESTS, &requests("token", "200")),
        0.0
    );
    assert_eq!(
        after.delta(&before, FINDINGS, &finding("C-01", "fail")),
        1.0
    );
    assert_eq!(
        after.delta(&before, FINDINGS, &finding("C-01", "pass")),
        1.0
    );
    assert_eq!(after.delta(&before, TOKENS, &[("format", "jwt")]), 0.0);
}

#[tokio::test]
async fn a_fired_fault_counts_by_kind_with_the_status_it_served() {
    let server = MockServer::start().await.unwrap();
    server.push_fault(FaultRule::new(Fault::Status(503)).times(1));
    let before = scrape(&server).await;
    assert_eq!(before.counter(FAULTS, &[("kind", "status")]), 0.0);
    assert_eq!(f1_token(&server, CC).await.status, 503);
    assert_eq!(f1_token(&server, CC).await.status, 200);
    let after = scrape(&server).await;
    assert_eq!(after.delta(&before, FAULTS, &[("kind", "status")]), 1.0);
    assert_eq!(after.delta(&before, FAULTS, &[("kind", "hang")]), 0.0);
    assert_eq!(
        after.delta(&before, REQUESTS, &requests("token", "503")),
        1.0
    );
    assert_eq!(
        after.delta(&before, REQUESTS, &requests("token", "200")),
        1.0
    );
    assert_eq!(after.delta(&before, TOKENS, &[("format", "jwt")]), 1.0);
}

#[tokio::test]
async fn a_latency_fault_on_introspection_counts_as_fired() {
    let server = MockServer::start().await.unwrap();
    server.push_fault(
        FaultRule::new(Fault::Latency(std::time::Duration::from_millis(1)))
            .for_endpoint(mock_server::Endpoint::Introspect)
            .times(1),
    );
    let before = scrape(&server).await;
    let answer = common::post_form(
        &server,
        "/introspect",
        &[("authorization", F1_BASIC)],
        "token=not-a-token",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let after = scrape(&server).await;
    assert_eq!(after.delta(&before, FAULTS, &[("kind", "latency")]), 1.0);
    assert_eq!(
        after.delta(&before, REQUESTS, &requests("introspect", "200")),
        1.0
    );
}

#[tokio::test]
async fn opaque_tokens_and_unknown_paths_get_their_own_bounded_labels() {
    let server = MockServer::builder()
        .client(
            ClientRegistration::new("opaque-svc", "opaque-s3cret")
                .with_token_format(TokenFormat::Opaque),
        )
        .start()
        .await
        .unwrap();
    let before = scrape(&server).await;
    let authorization = basic("opaque-svc", "opaque-s3cret");
    let issued = token(&server, &[("authorization", &authorization)], CC).await;
    assert_eq!(issued.status, 200, "{}", issued.text());
    let unknown = request(&server, "GET", "/opaque-svc/opaque-s3cret", &[], b"").await;
    assert_eq!(unknown.status, 404);
    let after = scrape(&server).await;
    assert_eq!(after.delta(&before, TOKENS, &[("format", "opaque")]), 1.0);
    assert_eq!(after.delta(&before, TOKENS, &[("format", "jwt")]), 0.0);
    assert_eq!(
        after.delta(&before, REQUESTS, &requests("other", "404")),
        1.0
    );
    // No client id, secret or path ever becomes a label value.
    for sample in &after.0.samples {
        for value in sample.labels.values() {
            assert!(!value.contains("opaque-s"), "{sample:?}");
        }
    }
}

#[tokio::test]
async fn each_server_counts_only_its_own_traffic() {
    let busy = MockServer::start().await.unwrap();
    let idle = MockServer::start().await.unwrap();
    assert_eq!(f1_token(&busy, CC).await.status, 200);
    let busy = scrape(&busy).await;
    let idle = scrape(&idle).await;
    assert_eq!(busy.counter(REQUESTS, &requests("token", "200")), 1.0);
    assert_eq!(idle.counter(REQUESTS, &requests("token", "200")), 0.0);
    assert_eq!(idle.counter(TOKENS, &[("format", "jwt")]), 0.0);
}

#[tokio::test]
async fn a_reset_leaves_the_counters_alone() {
    let server = MockServer::start().await.unwrap();
    assert_eq!(f1_token(&server, CC).await.status, 200);
    let reset = request(
        &server,
        "POST",
        "/_mock/reset",
        &[("content-type", "application/json")],
        b"",
    )
    .await;
    assert_eq!(reset.status, 204);
    let after = scrape(&server).await;
    assert_eq!(after.counter(TOKENS, &[("format", "jwt")]), 1.0);
    assert_eq!(after.counter(REQUESTS, &requests("admin", "204")), 1.0);
}

async fn guarded() -> MockServer {
    MockServer::builder()
        .admin_token(AdminToken::new("admin-k3y").unwrap())
        .metrics_token(MetricsToken::new("scrape-k3y").unwrap())
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn with_an_admin_token_reading_metrics_needs_a_token_as_the_admin_api_does() {
    let server = guarded().await;
    let bare = request(&server, "GET", PATH, &[], b"").await;
    assert_eq!(bare.status, 401);
    assert_eq!(
        bare.header("www-authenticate"),
        Some(r#"Bearer realm="mock-admin""#)
    );
    let journal = request(&server, "GET", "/_mock/journal", &[], b"").await;
    assert_eq!(journal.status, 401);
    let wrong = [("authorization", "Bearer scrape-k3y!")];
    assert_eq!(request(&server, "GET", PATH, &wrong, b"").await.status, 401);
    scrape_with(&server, &[("authorization", "Bearer admin-k3y")]).await;
}

#[tokio::test]
async fn the_metrics_token_opens_the_metrics_and_nothing_else() {
    let server = guarded().await;
    let scraper = [("authorization", "Bearer scrape-k3y")];
    scrape_with(&server, &scraper).await;
    let head = request(&server, "HEAD", PATH, &scraper, b"").await;
    assert_eq!(head.status, 200);
    for path in [
        "/_mock/journal",
        "/_mock/clients",
        "/_mock/faults",
        "/_mock/keys",
    ] {
        let read = request(&server, "GET", path, &scraper, b"").await;
        assert_eq!(read.status, 401, "{path}");
    }
    let with_json = [scraper[0], ("content-type", "application/json")];
    let reset = request(&server, "POST", "/_mock/reset", &with_json, b"").await;
    assert_eq!(reset.status, 401);
    let write = request(&server, "POST", PATH, &with_json, b"").await;
    assert_eq!(write.status, 405);
    assert_eq!(write.header("allow"), Some("GET, HEAD"));
}

#[tokio::test]
async fn the_host_check_applies_to_scrapers_too() {
    let server = MockServer::builder()
        .metrics_scraper("127.0.0.0/8")
        .metrics_token(MetricsToken::new("scrape-k3y").unwrap())
        .start()
        .await
        .unwrap();
    let raw = format!(
        "GET {PATH} HTTP/1.1\r\nhost: evil.example:{}\r\nauthorization: Bearer scrape-k3y\r\nconnection: close\r\n\r\n",
        server.local_addr().port()
    );
    let rebound = common::send_raw(server.local_addr(), raw.as_bytes()).await;
    assert_eq!(rebound.status, 403);
}

#[tokio::test]
async fn a_scraper_network_reads_the_metrics_without_a_token_and_nothing_else() {
    let server = MockServer::builder()
        .admin_token(AdminToken::new("admin-k3y").unwrap())
        .metrics_scraper("127.0.0.0/8")
        .start()
        .await
        .unwrap();
    scrape(&server).await;
    let journal = request(&server, "GET", "/_mock/journal", &[], b"").await;
    assert_eq!(journal.status, 401);
}

#[tokio::test]
async fn a_scraper_outside_the_allowed_networks_needs_a_token() {
    let server = MockServer::builder()
        .admin_token(AdminToken::new("admin-k3y").unwrap())
        .metrics_scraper("192.0.2.0/24")
        .start()
        .await
        .unwrap();
    assert_eq!(request(&server, "GET", PATH, &[], b"").await.status, 401);
}

#[tokio::test]
async fn scraper_settings_are_checked_at_start() {
    let same = MockServer::builder()
        .admin_token(AdminToken::new("one-k3y").unwrap())
        .metrics_token(MetricsToken::new("one-k3y").unwrap())
        .start()
        .await
        .unwrap_err();
    assert!(same.to_string().contains("metrics_token"), "{same}");
    let network = MockServer::builder()
        .metrics_scraper("10.0.0.0/33")
        .start()
        .await
        .unwrap_err();
    assert!(
        network.to_string().contains("metrics_scrapers[0]"),
        "{network}"
    );
    assert!(MetricsToken::new("two words").is_err());
    let token = MetricsToken::new("scrape-k3y").unwrap();
    assert_eq!(format!("{token:?}"), "MetricsToken([REDACTED])");
}
