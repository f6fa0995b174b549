//! The verdicts of a run: a terminal table, JSON, `JUnit` XML and HTML
//! ([`super::html`]), with the baseline applied.
//!
//! # JSON (`--json FILE`)
//!
//! One object; fields always appear in this order:
//!
//! ```text
//! {
//!   "schema": 1,
//!   "suite": "all" | "quick" | "custom",
//!   "client": ["argv", ...],                 // ["(in-process)"] for a hook
//!   "summary": {
//!     "scenarios": N, "checks": N, "passed": N, "failed_must": N,
//!     "failed_should": N, "expected_failures": N, "warnings": N,
//!     "skipped": N, "stale_baseline": N, "exit_status": 0 | 1
//!   },
//!   "stale_baseline": [{"scenario": "...", "check": "..."}],
//!   "scenarios": [{
//!     "id": "...", "title": "...",
//!     "reference": "docs/conformance-scenarios.md#basic-plain",
//!     "exit_code": 0 | null,                  // null when killed
//!     "timed_out": false, "elapsed_ms": 12,
//!     "token_requests": 1, "resource_requests": 2, "redirect_hits": 0,
//!     "checks": [{
//!       "id": "C-11", "title": "...", "rfc": "RFC 6749 §2.3.1, App. B",
//!       "level": "MUST" | "SHOULD",
//!       "status": "pass" | "fail" | "warn" | "skip",
//!       "reason": "one line", "expected_failure": false,
//!       "reference": "docs/conformance-rules.md#c-11", // EXIT: the scenario's
//!       "requests": [0, 2]                    // fail or warn only: timeline indices
//!     }],
//!     "stdout": "first 4 KiB", "stderr": "first 4 KiB",
//!     "stray_processes": 1,                   // only when not 0 (Linux)
//!     "output_held_open": true,               // only when true
//!     "timeline": [{                          // every answered request
//!       "at_ms": 3,                           // since the client started
//!       "endpoint": "token" | "resource" | "/other/path",
//!       "method": "POST", "status": 200,
//!       "fault": "...",                       // only when one was served
//!       "issued_token": 1,                    // only on an answer issuing one
//!       "token_presented": false,             // Authorization on a resource call
//!       "newest_token": 1,                    // only when presented
//!       "token_expires_at_ms": 3600003,       // with issued/newest_token
//!       "request": {                          // only when a check cites it
//!         "target": "/token",                 // query values redacted
//!         "headers": [["authorization", "Basic [REDACTED] (28 bytes)"]],
//!         "form": [["grant_type", "client_credentials"]],  // if a form
//!         "error": "invalid_client",          // the answer's OAuth error
//!         "reason": "...",                    // why the provider refused
//!         "findings": [{"rule": "C-11", "rfc": "...", "level": "MUST",
//!                       "verdict": "fail", "reason": "..."}],  // not passes
//!         "client_assertion": {"header": {}, "claims": {}}  // no signature
//!       }
//!     }],
//!     "start_error": "prog: os error"         // only when it could not start
//!   }]
//! }
//! ```
//!
//! `failed_must` and `failed_should` count unexpected failures only;
//! `exit_status` is 1 when `failed_must > 0`. Tokens in the timeline are
//! numbered in the order the scenario's provider issued them; their values
//! are never in a report.
//!
//! A failed or warned check's `requests` are the requests its verdict
//! rests on, as indices into its scenario's `timeline` (at most
//! [`super::check::MAX_CITED`]): for a request rule the first requests that
//! broke it, for another check the last requests of the kind it judges
//! (any request for `EXIT`). Those timeline entries, and only those, carry
//! the `request` as the provider's journal recorded it: credential values
//! redacted by the journal's allowlist, names kept, so a report can be
//! shared. Every field of `request` but `target` and `headers` is omitted
//! when empty.
//!
//! `reference` is where the scenario, or the check, is explained: a
//! repository path and anchor in the generated references
//! ([`super::reference`]; the path prefix is [`super::reference::BASE`]).
//! A checklist id links to its rule entry; `EXIT` links to its scenario's
//! entry, which names the rule the exit judges.
//!
//! # `JUnit` XML (`--junit FILE`)
//!
//! `<testsuites>` with one `<testsuite name="scenario-id">` per scenario
//! (its `<properties>` hold `reference`, the scenario's entry) and one
//! `<testcase classname="scenario-id" name="CHECK-ID title [RFC, LEVEL]">`
//! per check: a `<failure>` for an unexpected failure (MUST or SHOULD), its
//! text `see <reference>`; a `<skipped>` for a skip or an expected failure;
//! `<system-out>` for a warning, ending `(see <reference>)`. No timings,
//! so the file is reproducible.
//!
//! # Table
//!
//! One row per check, then a `help: CHECK-ID: see <reference>` line for
//! each failure and warning shown (once per reference), the notes, the
//! stale baseline entries, a `reference:` line naming both documents, and
//! the summary line.

use std::fmt::Write as _;

use serde::Serialize;

use super::Level;
use super::baseline::{Baseline, BaselineEntry};
use super::check::Status;
use super::runner::ScenarioRun;

/// The JSON schema version.
pub const SCHEMA: u32 = 1;

/// Counts over a whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Summary {
    /// Scenarios run.
    pub scenarios: usize,
    /// Checks evaluated.
    pub checks: usize,
    /// Passed.
    pub passed: usize,
    /// MUST checks failed, not expected by the baseline.
    pub failed_must: usize,
    /// SHOULD checks failed, not expected by the baseline.
    pub failed_should: usize,
    /// Failures the baseline expects.
    pub expected_failures: usize,
    /// Warnings.
    pub warnings: usize,
    /// Skipped (nothing to judge).
    pub skipped: usize,
    /// Baseline entries that no longer fail.
    pub stale_baseline: usize,
    /// The runner's exit status: 1 when a MUST failed unexpectedly.
    pub exit_status: i32,
}

impl Summary {
    /// The counts in words, as the table's last line and the HTML report
    /// show them: `3 scenarios, 54 checks: 40 passed, 1 MUST failed, ...`.
    pub(crate) fn counts(&self) -> String {
        format!(
            "{} scenarios, {} checks: {} passed, {} MUST failed, {} SHOULD failed, {} expected failures, {} warnings, {} skipped, {} stale baseline entries",
            self.scenarios,
            self.checks,
            self.passed,
            self.failed_must,
            self.failed_should,
            self.expected_failures,
            self.warnings,
            self.skipped,
            self.stale_baseline
        )
    }
}

/// The report of a run.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// Schema version ([`SCHEMA`]).
    pub schema: u32,
    /// The suite name.
    pub suite: String,
    /// The client command.
    pub client: Vec<String>,
    /// The counts.
    pub summary: Summary,
    /// Baseline entries that now pass.
    pub stale_baseline: Vec<BaselineEntry>,
    /// Every scenario.
    pub scenarios: Vec<ScenarioRun>,
}

impl Report {
    /// Applies the baseline and counts.
    #[must_use]
    pub fn new(
        suite: impl Into<String>,
        client: Vec<String>,
        mut scenarios: Vec<ScenarioRun>,
        baseline: &Baseline,
    ) -> Self {
        let mut summary = Summary {
            scenarios: scenarios.len(),
            ..Summary::default()
        };
        for run in &mut scenarios {
            for check in &mut run.checks {
                summary.checks += 1;
                match check.status {
                    Status::Pass => summary.passed += 1,
                    Status::Warn => summary.warnings += 1,
                    Status::Skip => summary.skipped += 1,
                    Status::Fail if baseline.expects(run.id, check.id) => {
                        check.expected_failure = true;
                        summary.expected_failures += 1;
                    }
                    Status::Fail if check.level == Level::Must => summary.failed_must += 1,
                    Status::Fail => summary.failed_should += 1,
                }
            }
        }
        let stale_baseline: Vec<BaselineEntry> = baseline
            .entries()
            .filter(|entry| {
                scenarios.iter().any(|run| {
                    run.id == entry.scenario
                        && !run
                            .checks
                            .iter()
                            .any(|c| c.id == entry.check && c.status == Status::Fail)
                })
            })
            .cloned()
            .collect();
        summary.stale_baseline = stale_baseline.len();
        summary.exit_status = i32::from(summary.failed_must > 0);
        Self {
            schema: SCHEMA,
            suite: suite.into(),
            client,
            summary,
            stale_baseline,
            scenarios,
        }
    }

    /// 0 when no MUST failed unexpectedly, else 1.
    #[must_use]
    pub fn exit_status(&self) -> i32 {
        self.summary.exit_status
    }

    /// The JSON report (see the module docs).
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// The terminal table, a list of stale baseline entries, and the
    /// summary line.
    #[must_use]
    pub fn to_table(&self) -> String {
        self.table(false)
    }

    /// The table of [`Report::to_table`] with only the failed checks that
    /// the baseline does not expect (and the notes of their scenarios);
    /// stale baseline entries and the summary line, which still counts
    /// every check, are kept.
    #[must_use]
    pub fn to_failures_table(&self) -> String {
        self.table(true)
    }

    fn table(&self, failures_only: bool) -> String {
        let shown = |check: &super::check::CheckResult| {
            !failures_only || (check.status == Status::Fail && !check.expected_failure)
        };
        let scenarios: Vec<&ScenarioRun> = self
            .scenarios
            .iter()
            .filter(|run| run.checks.iter().any(shown) || !failures_only)
            .collect();
        let header = ["SCENARIO", "CHECK", "RFC", "LEVEL", "RESULT", "REASON"];
        let mut rows: Vec<[String; 6]> = Vec::new();
        for run in &scenarios {
            for check in run.checks.iter().filter(|c| shown(c)) {
                rows.push([
                    run.id.to_owned(),
                    check.id.to_owned(),
                    check.rfc.to_owned(),
                    check.level.as_str().to_owned(),
                    result_name(check.status, check.expected_failure).to_owned(),
                    check.reason.clone(),
                ]);
            }
        }
        let mut widths = header.map(|h| h.chars().count());
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let mut line = |cells: [&str; 6]| {
            let mut text = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i == 5 {
                    text.push_str(cell);
                } else {
                    let _ = write!(text, "{cell:<w$}  ", w = widths[i]);
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        };
        if rows.is_empty() && failures_only {
            out.push_str("no failed checks\n");
        } else {
            line(header);
            for row in &rows {
                line([&row[0], &row[1], &row[2], &row[3], &row[4], &row[5]]);
            }
        }
        help(&mut out, &scenarios, &shown);
        notes(&mut out, &scenarios);
        for entry in &self.stale_baseline {
            let _ = writeln!(
                out,
                "warning: stale baseline entry `{} {}`: the check no longer fails; remove it",
                entry.scenario, entry.check
            );
        }
        let _ = writeln!(
            out,
            "reference: {}{} (check ids), {}{} (scenarios)",
            super::reference::BASE,
            super::reference::RULES_FILE,
            super::reference::BASE,
            super::reference::SCENARIOS_FILE
        );
        let _ = writeln!(
            out,
            "{} => {}",
            self.summary.counts(),
            if self.summary.exit_status == 0 {
                "PASS"
            } else {
                "FAIL"
            }
        );
        out
    }

    /// The `JUnit` XML report (see the module docs).
    #[must_use]
    pub fn to_junit(&self) -> String {
        let s = &self.summary;
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"mock-server conformance\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
            s.checks,
            s.failed_must + s.failed_should,
            s.skipped + s.expected_failures
        );
        for run in &self.scenarios {
            let failures = run
                .checks
                .iter()
                .filter(|c| c.status == Status::Fail && !c.expected_failure)
                .count();
            let skipped = run
                .checks
                .iter()
                .filter(|c| c.status == Status::Skip || c.expected_failure)
                .count();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">",
                xml(run.id),
                run.checks.len()
            );
            let _ = writeln!(
                out,
                "    <properties>\n      <property name=\"reference\" value=\"{}\"/>\n    </properties>",
                xml(&run.reference)
            );
            for check in &run.checks {
                let name = format!(
                    "{} {} [{}, {}]",
                    check.id,
                    check.title,
                    check.rfc,
                    check.level.as_str()
                );
                let _ = write!(
                    out,
                    "    <testcase classname=\"{}\" name=\"{}\"",
                    xml(run.id),
                    xml(&name)
                );
                match (check.status, check.expected_failure) {
                    (Status::Fail, true) => {
                        let _ = writeln!(
                            out,
                            ">\n      <skipped message=\"expected failure (baseline): {}\"/>\n    </testcase>",
                            xml(&check.reason)
                        );
                    }
                    (Status::Fail, false) => {
                        let _ = writeln!(
                            out,
                            ">\n      <failure type=\"{}\" message=\"{}\">see {}</failure>\n    </testcase>",
                            check.level.as_str(),
                            xml(&check.reason),
                            xml(&check.reference)
                        );
                    }
                    (Status::Skip, _) => {
                        let _ = writeln!(
                            out,
                            ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                            xml(&check.reason)
                        );
                    }
                    (Status::Warn, _) => {
                        let _ = writeln!(
                            out,
                            ">\n      <system-out>warning: {} (see {})</system-out>\n    </testcase>",
                            xml(&check.reason),
                            xml(&check.reference)
                        );
                    }
                    (Status::Pass, _) => out.push_str("/>\n"),
                }
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }
}

/// A `help:` line for each failure and warning shown, once per reference:
/// where the rule (or, for `EXIT`, the scenario) is explained.
fn help(
    out: &mut String,
    scenarios: &[&ScenarioRun],
    shown: &dyn Fn(&super::check::CheckResult) -> bool,
) {
    let mut seen: Vec<&str> = Vec::new();
    for run in scenarios {
        for check in run.checks.iter().filter(|c| shown(c)) {
            if !matches!(check.status, Status::Fail | Status::Warn)
                || seen.contains(&check.reference.as_str())
            {
                continue;
            }
            seen.push(check.reference.as_str());
            if check.id == super::check::EXIT {
                let _ = writeln!(out, "help: EXIT of {}: see {}", run.id, check.reference);
            } else {
                let _ = writeln!(out, "help: {}: see {}", check.id, check.reference);
            }
        }
    }
}

/// The notes under the table: the client's stderr where it failed its
/// exit, processes killed, output held open.
fn notes(out: &mut String, scenarios: &[&ScenarioRun]) {
    for run in scenarios {
        let failed_exit = run
            .checks
            .iter()
            .any(|c| c.id == super::check::EXIT && c.status == Status::Fail);
        if let Some(first) = run.stderr.lines().find(|l| !l.trim().is_empty())
            && failed_exit
        {
            let _ = writeln!(
                out,
                "note: {} client stderr: {}",
                run.id,
                super::check::excerpt(first.trim(), 200)
            );
        }
        if run.stray_processes > 0 {
            let _ = writeln!(
                out,
                "note: {}: killed {} process(es) the client left running outside its process group",
                run.id, run.stray_processes
            );
        }
        if run.output_held_open {
            let _ = writeln!(
                out,
                "note: {}: a process the client started still held its output open at the bound",
                run.id
            );
        }
    }
}

fn result_name(status: Status, expected: bool) -> &'static str {
    if expected { "xfail" } else { status.as_str() }
}

/// Escapes text for an XML attribute or element; drops characters XML 1.0
/// cannot carry.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::xml;

    #[test]
    fn xml_escapes_markup_and_drops_controls() {
        assert_eq!(xml("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;");
    }
}
