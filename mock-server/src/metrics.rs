//! The mock's own counters, served as Prometheus text at `/_mock/metrics`
//! ([`Metrics`]).
//!
//! One [`Metrics`] per server, in its [`State`](crate::state::State): many
//! mocks in one test process count apart (no global recorder). Every label
//! value comes from a fixed set known at compile time: the route table, the
//! conformance rules table, the [`Fault`] variants, the two token formats
//! and the status codes hyper can send (100 to 999). So every series is a
//! slot in a flat array of atomics, found by index: counting takes no lock,
//! hashes nothing and allocates nothing; reading sums nothing either. No
//! client id, secret, token, path or header ever becomes a label (an
//! unknown path is `endpoint="other"`).
//!
//! Counters never go back: `POST /_mock/reset` leaves them alone, as a
//! Prometheus counter only resets when its process restarts.

use std::fmt::Write as _;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::TokenFormat;
use crate::conformance::Verdict;
use crate::conformance::rules::{Findings, RULES};
use crate::fault::Fault;
use crate::router::Outcome;

/// The media type of the Prometheus text exposition format, version 0.0.4.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The path the metrics are served at.
pub(crate) const PATH: &str = "/_mock/metrics";

/// Requests, by `endpoint` and `status` (499: the client hung up first).
pub(crate) const REQUESTS: &str = "mock_server_requests_total";
/// Conformance findings, by `rule` and `verdict`.
pub(crate) const FINDINGS: &str = "mock_server_findings_total";
/// Faults fired, by `kind`.
pub(crate) const FAULTS: &str = "mock_server_faults_total";
/// Access tokens issued, by `format`.
pub(crate) const TOKENS: &str = "mock_server_tokens_issued_total";

/// The `endpoint` label: the route a path dispatches to.
const ENDPOINTS: [&str; 11] = [
    "token",
    "introspect",
    "revoke",
    "metadata",
    "openid_configuration",
    "jwks",
    "resource",
    "healthz",
    "metrics",
    "admin",
    "other",
];

/// Lowest status code counted on its own; `http::StatusCode` holds 100..=999.
const FIRST_STATUS: u16 = 100;
/// Slots per endpoint: one per status code hyper can send.
const STATUS_SLOTS: usize = 900;

const VERDICTS: [Verdict; 3] = [Verdict::Pass, Verdict::Fail, Verdict::Warn];

/// The `kind` label of every fault, in the admin API's spelling
/// (the variant in snake case).
const FAULT_KINDS: [&str; 27] = [
    "latency",
    "hang",
    "status",
    "retry_after",
    "html",
    "malformed_json",
    "expires_in_string",
    "lowercase_token_type",
    "extra_fields",
    "no_scope",
    "no_expires_in",
    "short_lifetime",
    "oversized",
    "error_in200",
    "redirect",
    "invalid_client",
    "raw",
    "reset",
    "jwks_without_kid",
    "jwks_duplicate_kid",
    "jwks_unparseable_key",
    "rotate_without_grace",
    "expired_on_issue",
    "nbf_in_future",
    "wrong_issuer",
    "wrong_audience",
    "typ_jwt",
];

const TOKEN_FORMATS: [TokenFormat; 2] = [TokenFormat::Jwt, TokenFormat::Opaque];

/// One server's counters.
#[derive(Debug)]
pub(crate) struct Metrics {
    /// `ENDPOINTS.len() * STATUS_SLOTS`, endpoint-major.
    requests: RequestCounters,
    /// `RULES.len() * VERDICTS.len()`, rule-major.
    findings: Box<[AtomicU64]>,
    faults: [AtomicU64; FAULT_KINDS.len()],
    tokens: [AtomicU64; TOKEN_FORMATS.len()],
}

fn zeros(n: usize) -> Box<[AtomicU64]> {
    (0..n).map(|_| AtomicU64::new(0)).collect()
}

/// The request counters, one row of [`STATUS_SLOTS`] per endpoint, each
/// row allocated when it first counts. The whole table at once (79 KB,
/// the largest allocation of start-up) had its 20 pages zeroed, so
/// faulted in, before the first request; a server counts only the
/// endpoints it is asked for (docs/performance.md, Start-up).
#[derive(Debug, Default)]
struct RequestCounters([OnceLock<Box<[AtomicU64]>>; ENDPOINTS.len()]);

impl RequestCounters {
    /// The counter at `index` (endpoint-major, as one flat table), its row
    /// allocated on first use; `None` past the table.
    fn get(&self, index: usize) -> Option<&AtomicU64> {
        self.0
            .get(index / STATUS_SLOTS)?
            .get_or_init(|| zeros(STATUS_SLOTS))
            .get(index % STATUS_SLOTS)
    }

    /// The row of endpoint `e`: `None` until it has counted.
    fn row(&self, e: usize) -> Option<&[AtomicU64]> {
        self.0.get(e)?.get().map(|row| &**row)
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            requests: RequestCounters::default(),
            findings: zeros(RULES.len() * VERDICTS.len()),
            faults: std::array::from_fn(|_| AtomicU64::new(0)),
            tokens: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

/// Counting only: no ordering with other memory is needed.
fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Metrics {
    /// Counts one answered request: its endpoint and status, the findings
    /// on it and the fault it fired.
    pub(crate) fn observe(&self, path: &str, outcome: &Outcome) {
        let status = outcome.response.status().as_u16();
        let slot = usize::from(status.saturating_sub(FIRST_STATUS)).min(STATUS_SLOTS - 1);
        if let Some(counter) = self.requests.get(endpoint(path) * STATUS_SLOTS + slot) {
            bump(counter);
        }
        self.observe_findings(&outcome.findings);
        if let Some(fault) = &outcome.fault
            && let Some(counter) = self.faults.get(fault_kind(fault))
        {
            bump(counter);
        }
    }

    fn observe_findings(&self, findings: &Findings) {
        for (rule, verdict) in findings.verdicts() {
            let column = VERDICTS.iter().position(|v| *v == verdict).unwrap_or(0);
            if let Some(counter) = self.findings.get(rule * VERDICTS.len() + column) {
                bump(counter);
            }
        }
    }

    /// Counts one access token minted.
    pub(crate) fn token_issued(&self, format: TokenFormat) {
        let index = match format {
            TokenFormat::Jwt => 0,
            TokenFormat::Opaque => 1,
        };
        bump(&self.tokens[index]);
    }

    /// The Prometheus text exposition (format 0.0.4). Requests show the
    /// series that have counted; findings, faults and tokens show every
    /// series from the start (at 0), so a rate or an alert has a series
    /// before the first event.
    pub(crate) fn render(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        header(
            &mut out,
            REQUESTS,
            "Requests, by endpoint and status code (499: the client closed the connection before the answer).",
        );
        for (e, name) in ENDPOINTS.iter().enumerate() {
            let Some(row) = self.requests.row(e) else {
                continue;
            };
            for (slot, counter) in row.iter().enumerate() {
                let count = counter.load(Ordering::Relaxed);
                if count > 0 {
                    let status = usize::from(FIRST_STATUS) + slot;
                    let _ = writeln!(
                        out,
                        "{REQUESTS}{{endpoint=\"{name}\",status=\"{status}\"}} {count}"
                    );
                }
            }
        }
        header(
            &mut out,
            FINDINGS,
            "Conformance findings on client requests, by rule id and verdict.",
        );
        for (r, rule) in RULES.iter().enumerate() {
            for (v, verdict) in VERDICTS.iter().enumerate() {
                let count = self.findings[r * VERDICTS.len() + v].load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "{FINDINGS}{{rule=\"{}\",verdict=\"{}\"}} {count}",
                    rule.id,
                    verdict_label(*verdict)
                );
            }
        }
        header(&mut out, FAULTS, "Faults fired, by kind.");
        for (kind, counter) in FAULT_KINDS.iter().zip(&self.faults) {
            let count = counter.load(Ordering::Relaxed);
            let _ = writeln!(out, "{FAULTS}{{kind=\"{kind}\"}} {count}");
        }
        header(&mut out, TOKENS, "Access tokens issued, by format.");
        for (format, counter) in TOKEN_FORMATS.iter().zip(&self.tokens) {
            let count = counter.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{TOKENS}{{format=\"{}\"}} {count}",
                format_label(*format)
            );
        }
        out
    }
}

fn header(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
}

fn verdict_label(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::Warn => "warn",
    }
}

fn format_label(format: TokenFormat) -> &'static str {
    match format {
        TokenFormat::Jwt => "jwt",
        TokenFormat::Opaque => "opaque",
    }
}

/// The index in [`ENDPOINTS`] of the route `path` dispatches to.
fn endpoint(path: &str) -> usize {
    use crate::routes::{jwks, metadata};
    let name = match path {
        "/token" => "token",
        "/introspect" => "introspect",
        "/revoke" => "revoke",
        metadata::PATH => "metadata",
        metadata::OPENID_PATH => "openid_configuration",
        jwks::PATH => "jwks",
        "/resource" => "resource",
        "/healthz" => "healthz",
        PATH => "metrics",
        p if p.starts_with("/_mock/") => "admin",
        _ => "other",
    };
    ENDPOINTS
        .iter()
        .position(|e| *e == name)
        .unwrap_or(ENDPOINTS.len() - 1)
}

/// The index in [`FAULT_KINDS`] of a fault's kind. Exhaustive: a new
/// variant does not compile until it has a label.
fn fault_kind(fault: &Fault) -> usize {
    match fault {
        Fault::Latency(_) => 0,
        Fault::Hang => 1,
        Fault::Status(_) => 2,
        Fault::RetryAfter { .. } => 3,
        Fault::Html { .. } => 4,
        Fault::MalformedJson => 5,
        Fault::ExpiresInString => 6,
        Fault::LowercaseTokenType => 7,
        Fault::ExtraFields => 8,
        Fault::NoScope => 9,
        Fault::NoExpiresIn => 10,
        Fault::ShortLifetime => 11,
        Fault::Oversized { .. } => 12,
        Fault::ErrorIn200 => 13,
        Fault::Redirect { .. } => 14,
        Fault::InvalidClient => 15,
        Fault::Raw { .. } => 16,
        Fault::Reset => 17,
        Fault::JwksWithoutKid => 18,
        Fault::JwksDuplicateKid => 19,
        Fault::JwksUnparseableKey => 20,
        Fault::RotateWithoutGrace => 21,
        Fault::ExpiredOnIssue => 22,
        Fault::NbfInFuture => 23,
        Fault::WrongIssuer => 24,
        Fault::WrongAudience => 25,
        Fault::TypJwt => 26,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    /// Every fault kind's label is the admin API's JSON name for it.
    #[test]
    fn fault_kind_labels_are_the_admin_api_names() {
        let samples: Vec<Fault> = serde_json::from_str(
            r#"[{"latency": 1}, "hang", {"status": 503},
                {"retry_after": {"status": 429, "seconds": 1}}, {"html": {"status": 502}},
                "malformed_json", "expires_in_string", "lowercase_token_type", "extra_fields",
                "no_scope", "no_expires_in", "short_lifetime", {"oversized": {"bytes": 10}},
                "error_in200", {"redirect": {"location": "/"}}, "invalid_client",
                {"raw": {"status": 200, "headers": [], "body": ""}}, "reset",
                "jwks_without_kid", "jwks_duplicate_kid", "jwks_unparseable_key",
                "rotate_without_grace", "expired_on_issue", "nbf_in_future", "wrong_issuer",
                "wrong_audience", "typ_jwt"]"#,
        )
        .unwrap();
        assert_eq!(samples.len(), FAULT_KINDS.len());
        for (i, fault) in samples.iter().enumerate() {
            let json = serde_json::to_value(fault).unwrap();
            let tag = json
                .as_str()
                .map(str::to_owned)
                .or_else(|| json.as_object().and_then(|o| o.keys().next().cloned()))
                .unwrap();
            assert_eq!(FAULT_KINDS[fault_kind(fault)], tag);
            assert_eq!(fault_kind(fault), i);
        }
    }

    #[test]
    fn request_counters_take_no_memory_until_their_endpoint_counts() {
        let mut metrics = None;
        let new = allocation_counter::measure(|| metrics = Some(Metrics::default()));
        // The findings table alone; all the request counters were 79,200
        // bytes, zeroed (so faulted in) at start.
        assert!(new.bytes_total < 8 * 1024, "{} bytes", new.bytes_total);
        let metrics = metrics.unwrap();
        let token = endpoint("/token") * STATUS_SLOTS + 100;
        let first = allocation_counter::measure(|| bump(metrics.requests.get(token).unwrap()));
        assert_eq!(
            (first.count_total, first.bytes_total),
            (1, u64::try_from(STATUS_SLOTS * 8).unwrap()),
            "one row for the token endpoint"
        );
        let again = allocation_counter::measure(|| bump(metrics.requests.get(token).unwrap()));
        assert_eq!(again.count_total, 0);
        assert!(
            metrics
                .requests
                .get(ENDPOINTS.len() * STATUS_SLOTS)
                .is_none()
        );
        let text = metrics.render();
        assert!(text.contains(r#"mock_server_requests_total{endpoint="token",status="200"} 2"#));
        assert_eq!(
            text.matches("mock_server_requests_total{").count(),
            1,
            "{text}"
        );
    }

    #[test]
    fn unknown_paths_count_as_other_and_admin_paths_as_admin() {
        assert_eq!(ENDPOINTS[endpoint("/token")], "token");
        assert_eq!(ENDPOINTS[endpoint("/token/")], "other");
        assert_eq!(ENDPOINTS[endpoint("/client-id-as-path")], "other");
        assert_eq!(ENDPOINTS[endpoint("/_mock/journal")], "admin");
        assert_eq!(ENDPOINTS[endpoint(PATH)], "metrics");
    }
}
