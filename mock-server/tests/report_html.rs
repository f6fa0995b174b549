//! The HTML conformance report (`--html FILE`): one self-contained page
//! built from the same report as the table and the JSON, with every failure
//! linked to its reason, RFC section and the requests that caused it, and
//! everything the client controls escaped.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use fantoccini::Locator;
use mock_server::conformance::baseline::Baseline;
use mock_server::conformance::check::Status;
use mock_server::conformance::report::Report;
use mock_server::conformance::runner::{self, RunOptions, ScenarioRun};
use mock_server::conformance::scenario;
use support::Persistence;
use support::browser::Browser;

/// The broken client (raw Basic, gives up at the first failure) on these
/// scenarios, 5 s each at most.
async fn broken_runs(ids: &[&str]) -> Vec<ScenarioRun> {
    let client = support::broken(Persistence::Once);
    let mut runs = Vec::new();
    for id in ids {
        let scenario = scenario::find(id).unwrap();
        let options = RunOptions::with_bound(Duration::from_secs(5));
        runs.push(
            runner::run_scenario(scenario, &client, options)
                .await
                .unwrap(),
        );
    }
    runs
}

/// The report with its timings zeroed, so the page is reproducible.
fn stable(mut runs: Vec<ScenarioRun>, baseline: &Baseline) -> Report {
    for run in &mut runs {
        run.elapsed = Duration::ZERO;
        for entry in &mut run.timeline {
            entry.at_ms = 0;
            entry.token_expires_at_ms = entry.token_expires_at_ms.map(|_| 0);
        }
    }
    Report::new("custom", vec!["broken-client".to_owned()], runs, baseline)
}

/// The element with this `id` attribute, up to its closing tag `end`.
fn element<'a>(html: &'a str, id: &str, end: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element #{id}"));
    let start = html[..start].rfind('<').unwrap();
    let stop = html[start..].find(end).unwrap() + start + end.len();
    &html[start..stop]
}

/// The grid cell of a scenario and a check.
fn cell<'a>(html: &'a str, scenario: &str, check: &str) -> &'a str {
    let key = "<td class=\"cell v-";
    let wanted = format!("data-scenario=\"{scenario}\" data-check=\"{check}\"");
    html.match_indices(key)
        .map(|(at, _)| &html[at..at + html[at..].find("</td>").unwrap() + 5])
        .find(|td| td.contains(&wanted))
        .unwrap_or_else(|| panic!("no cell {scenario} {check}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_of_a_broken_client_is_stable() {
    let runs = broken_runs(&["basic-plain", "basic-special-chars"]).await;
    // An expected failure (xfail) and a stale entry.
    let baseline = Baseline::parse("basic-special-chars C-11\nbasic-plain C-53\n").unwrap();
    let html = support::without_ports(&stable(runs, &baseline).to_html());
    insta::assert_snapshot!("report_html", html);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_is_one_page_that_loads_nothing() {
    let runs = broken_runs(&["basic-special-chars", "token-redirect"]).await;
    let html = stable(runs, &Baseline::default()).to_html();
    assert!(html.starts_with("<!DOCTYPE html>\n"), "{html}");
    assert!(html.trim_end().ends_with("</html>"));
    assert!(html.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
    ));
    for outside in [
        "<script", "<link", "<img", "<iframe", " src=", "@import", "url(",
    ] {
        assert!(!html.contains(outside), "{outside} in the page");
    }
    // Every link stays in the page.
    for (at, _) in html.match_indices("href=\"") {
        assert_eq!(&html[at + 6..at + 7], "#", "{}", &html[at..at + 40]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_cell_links_to_its_reason_rfc_and_the_request_that_caused_it() {
    let runs = broken_runs(&["basic-plain", "basic-special-chars"]).await;
    let html = stable(runs, &Baseline::default()).to_html();
    // basic-special-chars is row 2 (index 1); C-11 fails on its one token
    // request, and the cell says so in words, not only in colour.
    let c11 = cell(&html, "basic-special-chars", "C-11");
    assert!(c11.contains("data-status=\"fail\""), "{c11}");
    assert!(c11.contains(">FAIL</a></td>"), "{c11}");
    let target = c11
        .split("href=\"#")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let finding = element(&html, target, "</article>");
    assert!(
        finding.contains("C-11 Basic user and password are form-urlencoded before base64"),
        "{finding}"
    );
    assert!(
        finding.contains("<dt>reason</dt><dd>unencoded Basic credentials (1 of 1 request)</dd>"),
        "{finding}"
    );
    assert!(
        finding.contains("<dt>RFC</dt><dd>RFC 6749 §2.3.1, App. B</dd>"),
        "{finding}"
    );
    assert!(finding.contains("<dt>level</dt><dd>MUST</dd>"), "{finding}");
    assert!(
        finding.contains(
            "<code>POST /token</code> &rarr; <strong>401</strong> <code>invalid_client</code>"
        ),
        "{finding}"
    );
    assert!(
        finding.contains("<code>Basic [REDACTED] (40 bytes)</code>"),
        "{finding}"
    );
    assert!(
        finding.contains("<code>grant_type</code></th><td><code>client_credentials</code>"),
        "{finding}"
    );
    // A passing cell has no link; a check the scenario does not run is n/a.
    let passed = cell(&html, "basic-plain", "C-11");
    assert!(
        passed.contains("data-status=\"pass\"") && passed.ends_with(">pass</td>"),
        "{passed}"
    );
    // Every failure of the report is one article, under its scenario.
    assert_eq!(
        html.matches("<article class=\"finding v-fail\"").count(),
        2,
        "C-11 and EXIT"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_a_scenario_does_not_run_is_shown_as_not_applicable() {
    let runs = broken_runs(&["basic-plain", "invalid-client"]).await;
    let html = stable(runs, &Baseline::default()).to_html();
    // C-47 (no retry after invalid_client) is judged in invalid-client only.
    let na = cell(&html, "basic-plain", "C-47");
    assert!(
        na.contains("data-status=\"n/a\"") && na.ends_with(">n/a</td>"),
        "{na}"
    );
    let judged = cell(&html, "invalid-client", "C-47");
    assert!(judged.contains("data-status=\"pass\""), "{judged}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expected_failure_is_labelled_xfail_not_fail() {
    let runs = broken_runs(&["basic-special-chars"]).await;
    let baseline = Baseline::parse("basic-special-chars C-11\n").unwrap();
    let html = stable(runs, &baseline).to_html();
    let c11 = cell(&html, "basic-special-chars", "C-11");
    assert!(
        c11.contains("data-status=\"xfail\"") && c11.contains(">xfail</a>"),
        "{c11}"
    );
    assert!(html.contains("<dt>baseline</dt>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_the_client_controls_is_escaped() {
    let mut runs = broken_runs(&["basic-special-chars"]).await;
    let evil = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&\u{202e}";
    let run = &mut runs[0];
    run.stderr = format!("boom {evil}");
    run.stdout = evil.to_owned();
    run.start_error = Some(evil.to_owned());
    for check in &mut run.checks {
        check.reason = evil.to_owned();
        check.title = evil.to_owned();
    }
    let cited = run
        .checks
        .iter()
        .flat_map(|c| c.requests.clone())
        .next()
        .unwrap();
    let entry = &mut run.timeline[cited];
    entry.method = evil.to_owned();
    entry.fault = Some(evil.to_owned());
    let request = entry.request.as_mut().unwrap();
    request.target = evil.to_owned();
    request.headers.push((evil.to_owned(), evil.to_owned()));
    request.reason = Some(evil.to_owned());
    request
        .form
        .get_or_insert_with(Vec::new)
        .push(("x".to_owned(), evil.to_owned()));
    let mut report = Report::new(evil, vec![evil.to_owned()], runs, &Baseline::default());
    report.suite = evil.to_owned();
    let html = report.to_html();
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains('\u{202e}'), "{html}");
    let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&quot;&#39;&amp;\\u{202e}";
    // stderr, stdout, start error, 2 x (reason, title), method, fault, target,
    // header name and value, refusal reason, form value, client, suite.
    assert!(html.matches(escaped).count() >= 12, "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_of_the_scenario_reaches_the_report() {
    let runs = broken_runs(&["basic-special-chars", "client-secret-post"]).await;
    let report = stable(runs, &Baseline::default());
    let (html, json) = (report.to_html(), report.to_json());
    for id in ["basic-special-chars", "client-secret-post"] {
        let secret = scenario::find(id).unwrap().secret;
        assert!(!html.contains(secret), "{id}'s secret in the HTML");
        assert!(!json.contains(secret), "{id}'s secret in the JSON");
    }
    assert!(html.contains("[REDACTED]"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_check_cites_its_requests_in_the_json_and_only_those_keep_their_request() {
    let runs = broken_runs(&["basic-special-chars", "basic-plain"]).await;
    let report = stable(runs, &Baseline::default());
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let scenario = &json["scenarios"][0];
    let check = |id: &str| {
        scenario["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(check("C-11")["status"], "fail");
    assert_eq!(check("C-11")["requests"], serde_json::json!([0]));
    assert_eq!(check("EXIT")["requests"], serde_json::json!([0]));
    assert!(
        check("C-21").get("requests").is_none(),
        "a pass cites nothing"
    );
    let request = &scenario["timeline"][0]["request"];
    assert_eq!(request["target"], "/token");
    assert_eq!(request["error"], "invalid_client");
    assert_eq!(request["findings"][0]["rule"], "C-11");
    // basic-plain passes every check: its timeline keeps no request.
    for entry in json["scenarios"][1]["timeline"].as_array().unwrap() {
        assert!(entry.get("request").is_none(), "{entry}");
    }
}

/// The binary writes the page given to `--html`, next to the table.
#[test]
fn the_binary_writes_the_html_report_given_to_html() {
    let dir = std::env::temp_dir().join(format!("report-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("report.html");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mock-server"))
        .args([
            "conformance",
            "--scenario",
            "basic-plain",
            "--timeout-secs",
            "5",
            "--html",
        ])
        .arg(&path)
        .args(["--", "sh", "-c", "echo '<b>not bold</b>' >&2; exit 3"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let html = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        html.contains(
            "<code>sh -c echo &#39;&lt;b&gt;not bold&lt;/b&gt;&#39; &gt;&amp;2; exit 3</code>"
        ),
        "{html}"
    );
    let exit = cell(&html, "basic-plain", "EXIT");
    assert!(exit.contains("data-status=\"fail\""), "{exit}");
    assert!(
        html.contains("<pre>&lt;b&gt;not bold&lt;/b&gt;\n</pre>"),
        "{html}"
    );
}

/// One grid cell as the browser shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
struct ShownCell {
    scenario: String,
    check: String,
    status: String,
    text: String,
    background: String,
}

/// A report of the broken client, with failures, opened in headless
/// Chromium: the cells the report model says failed, and only those, are
/// shown failed (state, label and colour), each links to its failure, and
/// the page logs no error (a CSP violation would be one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_shows_the_failed_cells_of_a_report_as_failed() {
    let runs = broken_runs(&["basic-plain", "basic-special-chars", "client-secret-post"]).await;
    let report = Report::new(
        "custom",
        vec!["broken-client".to_owned()],
        runs,
        &Baseline::default(),
    );
    let want: BTreeSet<(String, String)> = report
        .scenarios
        .iter()
        .flat_map(|run| {
            run.checks
                .iter()
                .filter(|c| c.status == Status::Fail && !c.expected_failure)
                .map(|c| (run.id.to_owned(), c.id.to_owned()))
        })
        .collect();
    for known in [
        ("basic-special-chars", "C-11"),
        ("client-secret-post", "C-14"),
    ] {
        assert!(
            want.contains(&(known.0.to_owned(), known.1.to_owned())),
            "{want:?}"
        );
    }
    let dir = std::env::temp_dir().join(format!("report-html-browser-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("report.html");
    std::fs::write(&path, report.to_html()).unwrap();

    let browser = Browser::start().await;
    let client = browser.client();
    client
        .goto(&format!("file://{}", path.display()))
        .await
        .unwrap();
    browser.wait_for_text("#verdict", "FAIL").await;
    let cells = client
        .execute(
            "return Array.from(document.querySelectorAll('#grid td.cell')).map(td => ({
                scenario: td.dataset.scenario, check: td.dataset.check,
                status: td.dataset.status, text: td.textContent.trim(),
                background: getComputedStyle(td).backgroundColor }));",
            Vec::new(),
        )
        .await
        .unwrap();
    let cells: Vec<ShownCell> = serde_json::from_value(cells).unwrap();
    let failed: BTreeSet<(String, String)> = cells
        .iter()
        .filter(|c| c.status == "fail")
        .map(|c| (c.scenario.clone(), c.check.clone()))
        .collect();
    assert_eq!(failed, want);
    let background = |status: &str| -> BTreeSet<String> {
        cells
            .iter()
            .filter(|c| c.status == status)
            .map(|c| c.background.clone())
            .collect()
    };
    assert_eq!(background("fail").len(), 1, "one colour for failures");
    assert!(
        background("fail").is_disjoint(&background("pass")),
        "failed and passed cells look different: {cells:#?}"
    );
    for cell in cells.iter().filter(|c| c.status == "fail") {
        assert_eq!(cell.text, "FAIL", "{cell:?}");
    }
    // The C-11 cell leads to its failure: reason, RFC and the request.
    let link = client
        .find(Locator::Css(
            "td[data-scenario='basic-special-chars'][data-check='C-11'] a",
        ))
        .await
        .unwrap();
    link.click().await.unwrap();
    let finding = client
        .find(Locator::Css(
            "article[data-scenario='basic-special-chars'][data-check='C-11']",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [
        "unencoded Basic credentials",
        "RFC 6749 §2.3.1",
        "POST /token",
        "Basic [REDACTED]",
    ] {
        assert!(finding.contains(expected), "{expected:?} in {finding}");
    }
    browser.assert_no_console_errors().await;
    drop(browser);
    let _ = std::fs::remove_dir_all(&dir);
}
