//! The conformance runner judged on known clients: a deliberately broken
//! one fails exactly the checks it should, this project's own client passes
//! them all, the reports are stable, the baseline works, and a real client
//! process is run, bounded and killed.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod support;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use mock_server::conformance::baseline::Baseline;
use mock_server::conformance::check::Status;
use mock_server::conformance::reference;
use mock_server::conformance::report::Report;
use mock_server::conformance::runner::{self, ClientUnderTest, RunOptions, ScenarioRun};
use mock_server::conformance::scenario::{self, Scenario, Suite};
use support::Persistence;

fn scenarios(ids: &[&str]) -> Vec<&'static Scenario> {
    ids.iter()
        .map(|id| scenario::find(id).unwrap_or_else(|| panic!("no scenario {id}")))
        .collect()
}

/// Runs the scenarios concurrently (each has its own provider), in order.
async fn run_all(
    picked: &[&'static Scenario],
    client: &ClientUnderTest,
    options: RunOptions,
) -> Vec<ScenarioRun> {
    let runs = picked.iter().copied().map(|scenario| {
        let client = client.clone();
        tokio::spawn(async move { runner::run_scenario(scenario, &client, options).await })
    });
    let mut out = Vec::new();
    for run in runs.collect::<Vec<_>>() {
        out.push(run.await.unwrap().unwrap());
    }
    out
}

/// `(scenario, check)` of every failing check.
fn failures(runs: &[ScenarioRun]) -> BTreeSet<(String, String)> {
    runs.iter()
        .flat_map(|run| {
            run.checks
                .iter()
                .filter(|c| c.status == Status::Fail)
                .map(|c| (run.id.to_owned(), c.id.to_owned()))
        })
        .collect()
}

/// The report (no baseline) of the broken client that gives up after one
/// failure, on these scenarios, 5 s each at most.
async fn broken_client_report(ids: &[&str]) -> Report {
    let runs = run_all(
        &scenarios(ids),
        &support::broken(Persistence::Once),
        RunOptions::with_bound(Duration::from_secs(5)),
    )
    .await;
    Report::new("custom", Vec::new(), runs, &Baseline::default())
}

fn table(runs: Vec<ScenarioRun>) -> String {
    Report::new("custom", Vec::new(), runs, &Baseline::default()).to_table()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_client_fails_exactly_the_checks_it_breaks() {
    let picked = scenarios(&[
        "basic-plain",
        "basic-special-chars",
        "short-lifetime",
        "invalid-client",
    ]);
    let options = RunOptions::with_bound(Duration::from_secs(5));
    let runs = run_all(&picked, &support::broken(Persistence::Forever), options).await;
    let want: BTreeSet<(String, String)> = [
        // Raw Basic: the F2 credentials do not decode per RFC 6749 §2.3.1,
        // the provider refuses them, and the client retries until killed.
        ("basic-special-chars", "C-11"),
        ("basic-special-chars", "EXIT"),
        // Ignores expiry: presents the expired token, then loops on the 401.
        ("short-lifetime", "C-54"),
        ("short-lifetime", "EXIT"),
        // Retries invalid_client forever.
        ("invalid-client", "C-47"),
        ("invalid-client", "EXIT"),
    ]
    .into_iter()
    .map(|(s, c)| (s.to_owned(), c.to_owned()))
    .collect();
    let got = failures(&runs);
    let report = table(runs.clone());
    assert_eq!(got, want, "\n{report}");
    let by_id = |id: &str| runs.iter().find(|r| r.id == id).unwrap();
    assert!(by_id("invalid-client").timed_out);
    assert!(by_id("invalid-client").token_requests > 10, "a retry storm");
    assert!(by_id("short-lifetime").timed_out);
    assert_eq!(by_id("basic-plain").exit_code, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_passes_every_check_of_every_scenario() {
    let options =
        RunOptions::with_bound(Duration::from_secs(10)).with_client_timeout(Duration::from_secs(1));
    let runs = run_all(&Suite::All.scenarios(), &support::ours(), options).await;
    let report = Report::new("all", Vec::new(), runs, &Baseline::default());
    assert_eq!(report.summary.failed_must, 0, "\n{}", report.to_table());
    assert_eq!(report.summary.failed_should, 0, "\n{}", report.to_table());
    assert_eq!(report.summary.warnings, 0, "\n{}", report.to_table());
    assert_eq!(report.exit_status(), 0);
    let run = |id: &str| report.scenarios.iter().find(|r| r.id == id).unwrap();
    assert_eq!(run("token-reuse").token_requests, 1);
    assert!(run("short-lifetime").token_requests >= 2);
    assert_eq!(run("resource-invalid-token").token_requests, 2);
    assert_eq!(run("resource-invalid-token").resource_requests, 3);
    assert_eq!(run("token-redirect").redirect_hits, 0);
}

/// The JSON report as written (field order included), timings and ports
/// zeroed.
fn stable_json(report: &Report) -> String {
    support::without_ports(&report.to_json())
        .lines()
        .map(|line| {
            for field in ["elapsed_ms", "at_ms", "token_expires_at_ms"] {
                let key = format!("\"{field}\": ");
                if let Some((indent, rest)) = line.split_once(&key) {
                    let comma = if rest.ends_with(',') { "," } else { "" };
                    return format!("{indent}{key}0{comma}");
                }
            }
            line.to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_report_has_a_timeline_of_the_requests_the_provider_saw() {
    let report = broken_client_report(&["basic-plain"]).await;
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let timeline = json["scenarios"][0]["timeline"].as_array().unwrap();
    let field = |i: usize, name: &str| timeline[i][name].clone();
    let summary: Vec<(String, u64, bool)> = timeline
        .iter()
        .map(|e| {
            (
                e["endpoint"].as_str().unwrap().to_owned(),
                e["status"].as_u64().unwrap(),
                e["token_presented"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("token".to_owned(), 200, false),
            ("resource".to_owned(), 200, true),
            ("resource".to_owned(), 200, true),
        ],
        "{timeline:?}"
    );
    assert_eq!(field(0, "issued_token"), 1);
    assert_eq!(field(0, "method"), "POST");
    assert!(field(0, "newest_token").is_null());
    assert_eq!(field(1, "newest_token"), 1);
    assert_eq!(field(2, "newest_token"), 1);
    // Times are relative to the client's start and in order; the token
    // expires a scenario lifetime (an hour) after it was issued.
    let at = |i: usize| field(i, "at_ms").as_u64().unwrap();
    assert!(
        at(0) <= at(1) && at(1) <= at(2) && at(2) < 5_000,
        "{timeline:?}"
    );
    let issued_expiry = field(0, "token_expires_at_ms").as_u64().unwrap();
    assert_eq!(issued_expiry, at(0) + 3_600_000);
    assert_eq!(
        field(1, "token_expires_at_ms").as_u64().unwrap(),
        issued_expiry
    );
    // Only the documented fields: never a token value.
    let documented = [
        "at_ms",
        "endpoint",
        "method",
        "status",
        "fault",
        "issued_token",
        "token_presented",
        "newest_token",
        "token_expires_at_ms",
    ];
    for entry in timeline {
        let keys = entry.as_object().unwrap().keys();
        assert!(
            keys.into_iter().all(|k| documented.contains(&k.as_str())),
            "{entry}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_and_junit_reports_are_stable() {
    let picked = scenarios(&["basic-plain", "basic-special-chars", "error-in-200"]);
    let runs = run_all(
        &picked,
        &support::broken(Persistence::Once),
        RunOptions::with_bound(Duration::from_secs(5)),
    )
    .await;
    let baseline = Baseline::parse(
        "# known: raw Basic\nbasic-special-chars C-11\nbasic-plain EXIT # fixed long ago\n",
    )
    .unwrap();
    let report = Report::new("custom", vec!["broken-client".to_owned()], runs, &baseline);
    insta::assert_snapshot!("report_json", stable_json(&report));
    insta::assert_snapshot!("report_junit", report.to_junit());
    insta::assert_snapshot!("report_table", report.to_table());
    // The unexpected MUST failure: basic-special-chars EXIT.
    assert_eq!(report.exit_status(), 1);
    assert_eq!(report.summary.expected_failures, 1);
    assert_eq!(report.stale_baseline.len(), 1);
}

/// True when `link` (`docs/FILE#anchor`) names one of the generated
/// references and an anchor that stands in it exactly once.
fn resolves(link: &str) -> bool {
    let Some((path, anchor)) = link.split_once('#') else {
        return false;
    };
    let doc = if path == format!("{}{}", reference::BASE, reference::RULES_FILE) {
        reference::rules_markdown()
    } else if path == format!("{}{}", reference::BASE, reference::SCENARIOS_FILE) {
        reference::scenarios_markdown()
    } else {
        return false;
    };
    doc.matches(&format!("<a id=\"{anchor}\"></a>")).count() == 1
}

/// The links of a text: every `docs/...#anchor` word.
fn links(text: &str) -> Vec<&str> {
    text.split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .filter(|word| word.starts_with(reference::BASE) && word.contains('#'))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_report_format_links_its_findings_to_an_existing_reference_anchor() {
    let report = broken_client_report(&["basic-plain", "basic-special-chars"]).await;

    // JSON: every scenario and every check carries its reference.
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let mut checks = 0;
    for run in json["scenarios"].as_array().unwrap() {
        let id = run["id"].as_str().unwrap();
        let link = run["reference"].as_str().unwrap();
        assert_eq!(link, format!("docs/conformance-scenarios.md#{id}"));
        assert!(resolves(link), "{link}");
        for check in run["checks"].as_array().unwrap() {
            let (check_id, link) = (
                check["id"].as_str().unwrap(),
                check["reference"].as_str().unwrap(),
            );
            let want = if check_id == "EXIT" {
                format!("docs/conformance-scenarios.md#{id}")
            } else {
                format!("docs/conformance-rules.md#{}", check_id.to_lowercase())
            };
            assert_eq!(link, want, "{id} {check_id}");
            assert!(resolves(link), "{link}");
            checks += 1;
        }
    }
    assert_eq!(checks, report.summary.checks);

    // Table: a help line per failure, and the two documents named.
    let table = report.to_table();
    assert!(
        table.contains("help: C-11: see docs/conformance-rules.md#c-11\n"),
        "{table}"
    );
    assert!(
        table.contains(
            "help: EXIT of basic-special-chars: see docs/conformance-scenarios.md#basic-special-chars\n"
        ),
        "{table}"
    );
    assert!(
        table.contains(
            "reference: docs/conformance-rules.md (check ids), docs/conformance-scenarios.md (scenarios)"
        ),
        "{table}"
    );
    let table_links = links(&table);
    assert_eq!(table_links.len(), 2, "{table}");
    assert!(table_links.iter().all(|l| resolves(l)), "{table}");

    // JUnit: the failure text and each suite's properties.
    let junit = report.to_junit();
    assert!(
        junit.contains("\">see docs/conformance-rules.md#c-11</failure>"),
        "{junit}"
    );
    assert!(
        junit.contains(
            "<property name=\"reference\" value=\"docs/conformance-scenarios.md#basic-plain\"/>"
        ),
        "{junit}"
    );
    let junit_links = links(&junit);
    assert_eq!(junit_links.len(), 2 + 2, "{junit}");
    assert!(junit_links.iter().all(|l| resolves(l)), "{junit}");
}

#[test]
fn the_binary_prints_the_references_generated_from_its_data() {
    for (which, want) in [
        ("rules", reference::rules_markdown()),
        ("scenarios", reference::scenarios_markdown()),
    ] {
        let (code, stdout, stderr) = conformance(&["--reference", which]);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(stdout, want, "--reference {which}");
    }
}

#[test]
fn baseline_rejects_typos() {
    let err = Baseline::parse("basic-plain C-99\n").unwrap_err();
    assert_eq!(err.to_string(), r#"baseline line 1: unknown check "C-99""#);
    let err = Baseline::parse("\n# c\nbasic-plan EXIT\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"baseline line 3: unknown scenario "basic-plan""#
    );
    let err = Baseline::parse("basic-plain\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "baseline line 1: expected `scenario-id check-id`"
    );
}

// ---- the binary, with real client processes ----

const BIN: &str = env!("CARGO_BIN_EXE_mock-server");

fn conformance(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .arg("conformance")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp(name: &str, contents: &str) -> String {
    let path = std::env::temp_dir().join(format!(
        "mock-server-conformance-{}-{name}",
        std::process::id()
    ));
    std::fs::write(&path, contents).unwrap();
    path.to_string_lossy().into_owned()
}

/// A client that gives up at once, without a request.
const GIVE_UP: [&str; 3] = ["sh", "-c", "echo 'gave up: no network' >&2; exit 3"];

#[test]
fn a_must_failure_exits_1_and_an_expected_one_exits_0() {
    let mut args = vec!["--scenario", "basic-plain", "--"];
    args.extend(GIVE_UP);
    let (code, stdout, _) = conformance(&args);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("exit 3: expected every call to succeed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("note: basic-plain client stderr: gave up: no network"),
        "{stdout}"
    );

    let baseline = temp("baseline-expected", "basic-plain EXIT\n");
    let mut args = vec!["--scenario", "basic-plain", "--baseline", &baseline, "--"];
    args.extend(GIVE_UP);
    let (code, stdout, _) = conformance(&args);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("xfail"), "{stdout}");
    assert!(stdout.contains("1 expected failures"), "{stdout}");
}

#[test]
fn a_baseline_entry_that_passes_is_reported_stale() {
    let baseline = temp(
        "baseline-stale",
        "basic-plain EXIT\nerror-in-200 EXIT\ntoken-redirect C-50 # not run: ignored\n",
    );
    let json = temp("stale.json", "");
    let mut args = vec![
        "--scenario",
        "basic-plain",
        "--scenario",
        "error-in-200",
        "--baseline",
        &baseline,
        "--json",
        &json,
        "--",
    ];
    args.extend(GIVE_UP);
    let (code, stdout, _) = conformance(&args);
    assert_eq!(code, 0, "stale is a warning: {stdout}");
    assert!(
        stdout.contains("warning: stale baseline entry `error-in-200 EXIT`"),
        "{stdout}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        report["stale_baseline"],
        serde_json::json!([{ "scenario": "error-in-200", "check": "EXIT" }])
    );
    assert_eq!(report["summary"]["exit_status"], 0);
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, stderr) = conformance(&["--scenario", "basic-plain"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no client command"), "{stderr}");
    let (code, _, stderr) = conformance(&["--scenario", "nope", "--", "true"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown scenario"), "{stderr}");
    let baseline = temp("baseline-bad", "basic-plain C-99\n");
    let (code, _, stderr) = conformance(&["--baseline", &baseline, "--", "true"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown check"), "{stderr}");
}

#[test]
fn a_client_command_that_cannot_run_exits_2_before_any_scenario() {
    let (code, stdout, stderr) = conformance(&["--", "./no-such-client-h10"]);
    assert_eq!(code, 2, "{stdout}");
    assert!(stdout.is_empty(), "a scenario ran: {stdout}");
    assert!(
        stderr.contains("client command `./no-such-client-h10` not found: ")
            && stderr.contains("os error 2"),
        "{stderr}"
    );
    let (code, stdout, stderr) = conformance(&["--", "no-such-client-h10", "--flag"]);
    assert_eq!(code, 2, "{stdout}");
    assert!(stdout.is_empty(), "a scenario ran: {stdout}");
    assert!(
        stderr.contains("client command `no-such-client-h10` not found in PATH"),
        "{stderr}"
    );
    // A file without execute permission (temp() writes mode 0644).
    let script = temp("not-executable.sh", "#!/bin/sh\nexit 0\n");
    let (code, stdout, stderr) = conformance(&["--", &script]);
    assert_eq!(code, 2, "{stdout}");
    assert!(stdout.is_empty(), "a scenario ran: {stdout}");
    assert!(
        stderr.contains(&format!("client command `{script}` is not executable")),
        "{stderr}"
    );
    // Executable, but its interpreter is missing: found only by the spawn,
    // which stops the run at the first scenario.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let script = temp("no-interpreter.sh", "#!/no/such/interpreter\nexit 0\n");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let (code, stdout, stderr) = conformance(&["--", &script]);
        assert_eq!(code, 2, "{stdout}");
        assert!(stdout.is_empty(), "a table was printed: {stdout}");
        assert!(
            stderr.contains("the client command could not be started (scenario basic-plain): ")
                && stderr.contains(&script),
            "{stderr}"
        );
    }
    let dir = std::env::temp_dir();
    let (code, _, stderr) = conformance(&["--", dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("is not executable (it is a directory)"),
        "{stderr}"
    );
}

#[test]
fn failures_only_shows_just_the_failed_checks_and_counts_them_all() {
    let mut args = vec![
        "--failures-only",
        "--scenario",
        "basic-plain",
        "--scenario",
        "invalid-client",
        "--",
    ];
    args.extend(GIVE_UP);
    let (code, full, _) = conformance(&args[1..]);
    assert_eq!(code, 1, "{full}");
    let (code, stdout, _) = conformance(&args);
    assert_eq!(code, 1, "{stdout}");
    let summary = |text: &str| text.lines().last().unwrap_or_default().to_owned();
    assert_eq!(summary(&stdout), summary(&full), "{stdout}");
    assert!(summary(&stdout).contains("2 scenarios"), "{stdout}");
    let rows = |text: &str| -> Vec<String> {
        text.lines()
            .skip(1)
            .take_while(|l| l.starts_with("basic-") || l.starts_with("invalid-"))
            .map(|row| row.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    let failed: Vec<String> = rows(&full)
        .into_iter()
        .filter(|row| row.contains(" fail "))
        .collect();
    assert!(!failed.is_empty(), "{full}");
    assert_eq!(rows(&stdout), failed, "{stdout}");
    // A scenario whose only failure the baseline expects is left out
    // altogether, rows and notes; the summary still counts it.
    let baseline = temp("baseline-failures-only", "basic-plain EXIT\n");
    let mut with_baseline = vec!["--baseline", &baseline];
    with_baseline.extend(&args);
    let (code, stdout, _) = conformance(&with_baseline);
    assert_eq!(code, 0, "{stdout}");
    assert!(!stdout.contains("basic-plain"), "{stdout}");
    assert!(stdout.contains("invalid-client"), "{stdout}");
    assert!(summary(&stdout).contains("1 expected failures"), "{stdout}");
}

/// Tests that drive curl need it: where it is missing they fail (a
/// skipped check would pass silently), saying what to install.
fn require_curl() {
    if let Err(e) = Command::new("curl").arg("--version").output() {
        panic!("this test drives curl, which could not be run ({e}): install curl");
    }
}

/// The contract in a dozen lines of sh and curl (raw Basic: fine for F1).
const CURL_CLIENT: &str = r#"
set -e
t=$(( (OAUTH_TIMEOUT_MS + 999) / 1000 ))
body=$(curl -sS --fail -m "$t" -u "$OAUTH_CLIENT_ID:$OAUTH_CLIENT_SECRET" \
  --data-urlencode grant_type=client_credentials --data-urlencode "scope=$OAUTH_SCOPES" "$OAUTH_TOKEN_URL")
tok=$(printf %s "$body" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$tok" ]
i=0
while [ "$i" -lt "$OAUTH_CALLS" ]; do
  curl -sS --fail -m "$t" -H "Authorization: Bearer $tok" "$OAUTH_RESOURCE_URL" >/dev/null
  i=$((i + 1))
done
echo "done: $OAUTH_SCENARIO"
"#;

#[test]
fn a_real_client_process_gets_the_contract_environment() {
    require_curl();
    let junit = temp("curl.xml", "");
    let (code, stdout, stderr) = conformance(&[
        "--scenario",
        "basic-plain",
        "--scenario",
        "token-reuse",
        "--scenario",
        "invalid-client",
        "--scenario",
        "basic-non-ascii",
        "--junit",
        &junit,
        "--",
        "sh",
        "-c",
        CURL_CLIENT,
    ]);
    // curl -u sends raw UTF-8 inside Basic: C-12, a SHOULD, does not fail the run.
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("4 scenarios"), "{stdout}");
    assert!(
        stdout.contains("0 MUST failed, 1 SHOULD failed"),
        "{stdout}"
    );
    let c12 = stdout
        .lines()
        .find(|l| l.starts_with("basic-non-ascii") && l.contains(" C-12 "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        c12.contains("SHOULD  fail    unencoded Basic credentials"),
        "{c12}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains(r#"<testsuite name="token-reuse""#), "{xml}");
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
    assert!(xml.contains(r#"<failure type="SHOULD""#), "{xml}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_process_group_is_killed_at_the_bound() {
    let client = ClientUnderTest::Command(
        ["sh", "-c", "echo started; sleep 30 & wait"]
            .map(str::to_owned)
            .to_vec(),
    );
    let started = Instant::now();
    let run = runner::run_scenario(
        scenario::find("basic-plain").unwrap(),
        &client,
        RunOptions::with_bound(Duration::from_secs(1)),
    )
    .await
    .unwrap();
    // The grandchild `sleep` holds the output pipe: only a group kill ends it.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(run.timed_out);
    assert_eq!(run.exit_code, None);
    assert_eq!(run.stdout, "started\n");
    let exit = run.checks.iter().find(|c| c.id == "EXIT").unwrap();
    assert_eq!(exit.status, Status::Fail);
    assert_eq!(exit.reason, "killed at the 1 s bound");
}

/// Runs one scenario on a runtime of its own, on a thread of its own, and
/// gives up after `limit`: a runner that waits for an hour fails the test
/// instead of hanging it.
fn run_within(
    id: &'static str,
    client: ClientUnderTest,
    options: RunOptions,
    limit: Duration,
) -> ScenarioRun {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let run = runtime.block_on(runner::run_scenario(
            scenario::find(id).unwrap(),
            &client,
            options,
        ));
        let _ = tx.send(run);
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|e| panic!("the runner did not return within {limit:?}: {e}"))
        .unwrap()
}

/// Whether `pid` is (still) a `sleep 3600`; if so it is killed, so that a
/// failing test leaves nothing behind.
#[cfg(target_os = "linux")]
fn sleep_3600_was_alive(pid: i32) -> bool {
    let alive = std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|cmdline| cmdline == b"sleep\x003600\0");
    if alive {
        let pid = rustix::process::Pid::from_raw(pid).unwrap();
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
    }
    alive
}

/// Runs a client that starts `sleep 3600` in a session of its own (out of
/// its process group, holding its stdout and stderr), prints its pid, waits
/// until the sleep has left its session, then runs `rest`. Asserts the sleep is gone and the run ended by `limit`.
#[cfg(target_os = "linux")]
fn run_setsid_client(prefix: &str, rest: &str, bound: Duration, limit: Duration) -> ScenarioRun {
    // The client goes on only once the sleep has left its session (field 6
    // of /proc/PID/stat): a client that exits first would have the sleep
    // killed with its process group, and the case under test never arise.
    let script = format!(
        "{prefix} setsid sleep 3600 & p=$!; echo \"$p\"; \
         while [ \"$(cut -d' ' -f6 /proc/$p/stat)\" = \"$(cut -d' ' -f6 /proc/$$/stat)\" ]; \
         do sleep 0.01; done; {rest}"
    );
    let client = ClientUnderTest::Command(vec!["sh".to_owned(), "-c".to_owned(), script]);
    let started = Instant::now();
    let run = run_within(
        "basic-plain",
        client,
        RunOptions::with_bound(bound),
        Duration::from_secs(20),
    );
    let pid: i32 = run.stdout.trim().parse().unwrap();
    assert!(!sleep_3600_was_alive(pid), "the sleep outlived the run");
    assert!(started.elapsed() < limit, "{:?}", started.elapsed());
    run
}

#[cfg(target_os = "linux")]
#[test]
fn a_grandchild_in_its_own_session_is_killed_when_the_client_exits() {
    let bound = Duration::from_secs(5);
    let run = run_setsid_client("", "exit 0", bound, bound);
    assert!(!run.timed_out);
    assert_eq!(run.exit_code, Some(0));
    assert_eq!(run.stray_processes, 1);
    assert!(!run.output_held_open);
    let report = table(vec![run]);
    assert!(
        report.contains(
            "note: basic-plain: killed 1 process(es) the client left running outside its process group"
        ),
        "{report}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_grandchild_in_its_own_session_is_killed_when_the_client_times_out() {
    let bound = Duration::from_secs(1);
    let run = run_setsid_client("", "sleep 30", bound, bound + Duration::from_secs(2));
    assert!(run.timed_out);
    assert_eq!(run.stray_processes, 1);
    let exit = run.checks.iter().find(|c| c.id == "EXIT").unwrap();
    assert_eq!(exit.reason, "killed at the 1 s bound");
}

#[cfg(target_os = "linux")]
#[test]
fn a_grandchild_that_clears_its_environment_is_found_by_the_pipe_it_holds() {
    // `env -i`: no run id in its environment, only the inherited output.
    let bound = Duration::from_secs(5);
    let run = run_setsid_client("env -i PATH=/usr/bin:/bin", "exit 0", bound, bound);
    assert_eq!(run.exit_code, Some(0));
    assert_eq!(run.stray_processes, 1);
}

#[cfg(target_os = "linux")]
#[test]
fn a_background_job_of_the_client_leaves_no_zombie_behind() {
    // The sleep stays in the client's group and is killed with it; its
    // parent is gone, so the runner (a subreaper) must reap it.
    let bound = Duration::from_secs(5);
    let client = ClientUnderTest::Command(
        ["sh", "-c", "sleep 3600 & echo \"$!\"; exit 0"]
            .map(str::to_owned)
            .to_vec(),
    );
    let run = run_within("basic-plain", client, RunOptions::with_bound(bound), bound);
    let pid: i32 = run.stdout.trim().parse().unwrap();
    let parent = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let (_, rest) = stat.rsplit_once(')')?;
            rest.split_whitespace().nth(1)?.parse::<u32>().ok()
        });
    assert_ne!(
        parent,
        Some(std::process::id()),
        "an unreaped child is left"
    );
    assert!(!sleep_3600_was_alive(pid));
    assert_eq!(run.stray_processes, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_the_token_redirect_fails_c50() {
    require_curl();
    // curl -L re-posts the form to the 307 target.
    let script = r#"curl -sS -L -m 2 -d grant_type=client_credentials "$OAUTH_TOKEN_URL"; exit 1"#;
    let client = ClientUnderTest::Command(["sh", "-c", script].map(str::to_owned).to_vec());
    let run = runner::run_scenario(
        scenario::find("token-redirect").unwrap(),
        &client,
        RunOptions::with_bound(Duration::from_secs(5)),
    )
    .await
    .unwrap();
    assert_eq!(run.redirect_hits, 1);
    let c50 = run.checks.iter().find(|c| c.id == "C-50").unwrap();
    assert_eq!(c50.status, Status::Fail);
    assert_eq!(
        c50.reason,
        "followed the redirect: 1 connection(s) to the target"
    );
    // This client sends no credentials at all (C-15); its exit 1 is the
    // expected failure of the scenario.
    let status = |id: &str| run.checks.iter().find(|c| c.id == id).unwrap().status;
    assert_eq!(status("C-15"), Status::Fail);
    assert_eq!(status("EXIT"), Status::Pass);
}

/// The client-assertion scenarios (those registering a `_jwt` method).
fn assertion_scenarios() -> Vec<&'static Scenario> {
    scenario::SCENARIOS
        .iter()
        .filter(|s| s.auth_method.uses_assertion())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_client_passes_every_assertion_check_with_a_fresh_jti_per_retry() {
    let picked = assertion_scenarios();
    assert!(
        picked.len() >= 5,
        "plain, 503 retry and rotation, per method"
    );
    let runs = run_all(
        &picked,
        &support::ours(),
        RunOptions::with_bound(Duration::from_secs(10)),
    )
    .await;
    for run in &runs {
        for id in ["C-64", "C-65", "C-66", "C-67", "C-68", "C-69"] {
            let check = run
                .checks
                .iter()
                .find(|c| c.id == id)
                .unwrap_or_else(|| panic!("{} has no {id}", run.id));
            assert_eq!(
                check.status,
                Status::Pass,
                "{} {id}: {}",
                run.id,
                check.reason
            );
        }
        let retried = run.id.ends_with("503-retry");
        assert_eq!(
            run.token_requests,
            if retried { 2 } else { 1 },
            "{}",
            run.id
        );
        assert_eq!(run.exit_code, Some(0), "{}", run.id);
    }
}

/// A client that signs one assertion and sends it on every attempt.
async fn resending_client(env: runner::ClientEnv) -> i32 {
    use auth_http::Transport as _;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = serde_json::json!({
        "iss": env.client_id, "sub": env.client_id, "aud": env.token_url,
        "iat": now, "exp": now + 60, "jti": "the-only-jti",
    });
    let Ok(key) = jsonwebtoken::EncodingKey::from_secret(env.client_secret.as_bytes()) else {
        return 2;
    };
    let Ok(assertion) = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key)
    else {
        return 2;
    };
    let body = format!(
        "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={assertion}&scope={}",
        env.scopes.replace(' ', "+")
    );
    let Ok(transport) = auth_http::HyperTransport::new() else {
        return 2;
    };
    for _ in 0..2 {
        let request = http::Request::post(&env.token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone().into_bytes())
            .unwrap();
        if let Ok(response) = transport.send(request).await
            && response.status() == 200
        {
            return 0;
        }
    }
    1
}

#[tokio::test]
async fn a_client_that_resends_its_assertion_after_a_503_fails_the_fresh_jti_rule() {
    let client =
        ClientUnderTest::InProcess(std::sync::Arc::new(|env| Box::pin(resending_client(env))));
    let runs = run_all(
        &scenarios(&["client-secret-jwt-503-retry", "client-secret-jwt"]),
        &client,
        RunOptions::with_bound(Duration::from_secs(5)),
    )
    .await;
    let failed = failures(&runs);
    assert!(
        failed.contains(&("client-secret-jwt-503-retry".to_owned(), "C-68".to_owned())),
        "{failed:?}\n{}",
        table(runs.clone())
    );
    // Sent once, the same assertion is fine.
    assert!(
        !failed
            .iter()
            .any(|(scenario, _)| scenario == "client-secret-jwt"),
        "{failed:?}"
    );
}

/// A client that takes half a second, then gives up: long enough for the
/// progress line to be drawn.
const SLOW_GIVE_UP: [&str; 3] = ["sh", "-c", "sleep 0.5; exit 3"];

/// The runner on two scenarios of [`SLOW_GIVE_UP`] with `CI` set or not,
/// `TERM=xterm`.
fn progress_run(ci: bool) -> Command {
    let mut command = Command::new(BIN);
    command
        .args([
            "conformance",
            "--scenario",
            "basic-plain",
            "--scenario",
            "no-scope",
            "--",
        ])
        .args(SLOW_GIVE_UP)
        .env("TERM", "xterm")
        .env_remove("CI");
    if ci {
        command.env("CI", "true");
    }
    command
}

/// Everything `command` writes to a pseudo-terminal (stdout and stderr
/// both), run through util-linux `script`.
#[cfg(target_os = "linux")]
fn on_a_terminal(command: &Command) -> String {
    let quote = |s: &std::ffi::OsStr| format!("'{}'", s.to_string_lossy().replace('\'', r"'\''"));
    let line: Vec<String> = std::iter::once(quote(command.get_program()))
        .chain(command.get_args().map(quote))
        .collect();
    let mut script = Command::new("script");
    script.args(["-q", "-e", "-c", &line.join(" "), "/dev/null"]);
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => script.env(name, value),
            None => script.env_remove(name),
        };
    }
    let out = script.output().unwrap_or_else(|e| {
        panic!("this test needs util-linux `script` for a terminal ({e}): install util-linux")
    });
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[cfg(target_os = "linux")]
#[test]
fn a_terminal_shows_which_scenario_runs_and_its_phase() {
    let screen = on_a_terminal(&progress_run(false));
    assert!(
        screen.contains("[1/2] basic-plain: running the client"),
        "{screen:?}"
    );
    assert!(
        screen.contains("[2/2] no-scope: running the client"),
        "{screen:?}"
    );
    // The line is erased before the report: the table follows a clear.
    assert!(screen.contains("\u{1b}["), "{screen:?}");
    assert!(screen.contains("entries => FAIL"), "{screen:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn in_ci_a_terminal_shows_no_progress() {
    let screen = on_a_terminal(&progress_run(true));
    assert!(!screen.contains("[1/2]"), "{screen:?}");
    assert!(!screen.contains('\u{1b}'), "{screen:?}");
    assert!(screen.contains("entries => FAIL"), "{screen:?}");
}

#[test]
fn piped_output_carries_no_progress_bytes() {
    let out = progress_run(false).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(!text.contains("[1/2]"), "{text:?}");
        assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text:?}");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("entries => FAIL"), "{stdout}");
}
