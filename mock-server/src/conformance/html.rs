//! The HTML report (`--html FILE`): one self-contained page, rendered from
//! the same [`Report`] as the table, the JSON and the `JUnit` XML.
//!
//! The page has, in order: the verdict and the summary counts; a legend; a
//! grid with a row per scenario and a column per check, each cell coloured
//! by its verdict and labelled in words (`pass`, `FAIL`, `warn`, `skip`,
//! `xfail`, `n/a`), so colour is never the only signal; each failure and
//! warning with its reason, RFC section, level, how to fix it, where it is
//! explained, and the requests it rests on ([`CheckResult::requests`]) as
//! the journal recorded them, credentials redacted, the client's output and
//! the scenario's timeline folded away in `<details>`; then the checks the
//! columns stand for.
//!
//! The page loads nothing: its CSS is inline, it has no script, and its
//! `Content-Security-Policy` (`default-src 'none'`) would refuse a script
//! or a remote asset even if one got in. Everything the client controls
//! (its output, its headers, its form values, reasons quoting them) is
//! escaped, and control and bidirectional formatting characters are shown
//! as `\u{..}` escapes, so client output can neither inject markup nor
//! reorder what the reader sees.
//!
//! Cells carry `data-scenario`, `data-check` and `data-status` (`pass`,
//! `fail`, `warn`, `skip`, `xfail`, `n/a`) for tools and tests.

use std::fmt::Write as _;

use super::Verdict;
use super::check::{CheckResult, EXIT, Status};
use super::report::Report;
use super::runner::{RecordedRequest, ScenarioRun, TimelineEntry};

/// The style sheet, inline: light and dark, a verdict colour per class.
const STYLE: &str = r#"
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #fff; --line: #d1d9e0; --code: #f6f8fa;
  --pass: #dafbe1; --pass-fg: #116329; --fail: #ffcecb; --fail-fg: #a40e26; --warn: #fff1b8; --warn-fg: #7a4d00;
  --skip: #eff2f5; --skip-fg: #59636e; --xfail: #ddf4ff; --xfail-fg: #0550ae; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --line: #3d444d; --code: #151b23;
  --pass: #12361f; --pass-fg: #6fdd8b; --fail: #4c1419; --fail-fg: #ff9492; --warn: #3d2e00; --warn-fg: #f2cc60;
  --skip: #212830; --skip-fg: #9198a1; --xfail: #0c2d6b; --xfail-fg: #79c0ff; } }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); margin: 0 auto; padding: 1.5rem; max-width: 80rem; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; } h2 { font-size: 1.2rem; margin: 2rem 0 .75rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
h3 { font-size: 1rem; margin: 0 0 .5rem; } h4 { font-size: .9rem; margin: .75rem 0 .25rem; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--code); padding: .5rem; overflow-x: auto; white-space: pre-wrap; word-break: break-all; margin: .25rem 0; }
.muted { color: var(--muted); }
.badge, .cell { font-weight: 600; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: 3px; }
.v-pass { background: var(--pass); color: var(--pass-fg); } .v-fail { background: var(--fail); color: var(--fail-fg); }
.v-warn { background: var(--warn); color: var(--warn-fg); } .v-skip { background: var(--skip); color: var(--skip-fg); font-weight: 400; }
.v-xfail { background: var(--xfail); color: var(--xfail-fg); } .v-na { color: var(--muted); font-weight: 400; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .5rem 1.25rem; }
.legend .badge { min-width: 2.5rem; text-align: center; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--line); padding: .15rem .4rem; text-align: left; vertical-align: top; }
table.grid th, table.grid td { text-align: center; white-space: nowrap; }
table.grid tbody th { text-align: left; font-weight: 400; }
table.grid td.cell a { color: inherit; }
table.grid thead th { font-size: 12px; }
.finding { border: 1px solid var(--line); border-left: 4px solid var(--line); padding: .75rem 1rem; margin: 0 0 1rem; }
.finding.v-fail, .finding.v-warn, .finding.v-xfail { background: none; color: inherit; }
.finding.v-fail { border-left-color: var(--fail-fg); } .finding.v-warn { border-left-color: var(--warn-fg); } .finding.v-xfail { border-left-color: var(--xfail-fg); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
.request { border-top: 1px dashed var(--line); padding-top: .5rem; margin-top: .5rem; }
#checks td:last-child { white-space: nowrap; }
.request table { margin: .25rem 0; } .request th { font-weight: 400; color: var(--muted); }
details { margin: .5rem 0; } summary { cursor: pointer; }
"#;

impl Report {
    /// The HTML report (see [`super::html`]): one self-contained page.
    #[must_use]
    pub fn to_html(&self) -> String {
        render(self)
    }
}

/// The label of a cell and its class: the verdict in words.
fn label(check: &CheckResult) -> (&'static str, &'static str) {
    match (check.status, check.expected_failure) {
        (Status::Fail, true) => ("xfail", "xfail"),
        (Status::Pass, _) => ("pass", "pass"),
        (Status::Fail, false) => ("FAIL", "fail"),
        (Status::Warn, _) => ("warn", "warn"),
        (Status::Skip, _) => ("skip", "skip"),
    }
}

/// What each label means, for the legend.
const LEGEND: &[(&str, &str, &str)] = &[
    ("pass", "pass", "the client followed the rule"),
    ("fail", "FAIL", "it broke the rule"),
    (
        "xfail",
        "xfail",
        "it broke the rule, as the baseline expects",
    ),
    ("warn", "warn", "suspicious, not wrong per se"),
    ("skip", "skip", "nothing to judge in this scenario"),
    ("na", "n/a", "the check is not part of this scenario"),
];

/// Renders the page.
fn render(report: &Report) -> String {
    let s = &report.summary;
    let verdict = if s.exit_status == 0 { "PASS" } else { "FAIL" };
    let verdict_class = if s.exit_status == 0 { "pass" } else { "fail" };
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Conformance report: {verdict}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
    );
    let _ = writeln!(
        out,
        "<header>\n<h1>Client conformance: <span class=\"badge v-{verdict_class}\" id=\"verdict\">{verdict}</span></h1>"
    );
    let _ = writeln!(
        out,
        "<p>Client <code>{}</code>, suite <code>{}</code>, report schema {}.</p>",
        escape(&report.client.join(" ")),
        escape(&report.suite),
        report.schema
    );
    let _ = writeln!(out, "<p id=\"summary\">{}.</p>", escape(&s.counts()));
    for entry in &report.stale_baseline {
        let _ = writeln!(
            out,
            "<p class=\"v-warn\">Stale baseline entry <code>{} {}</code>: the check no longer fails; remove it.</p>",
            escape(&entry.scenario),
            escape(&entry.check)
        );
    }
    out.push_str("</header>\n");
    legend(&mut out);
    let columns = columns(report);
    grid(&mut out, report, &columns);
    findings(&mut out, report);
    check_list(&mut out, &columns);
    let _ = writeln!(
        out,
        "<footer>\n<p class=\"muted\">Generated by <code>mock-server conformance</code>. Check ids are explained in <code>{0}{1}</code>, scenarios in <code>{0}{2}</code>.</p>\n</footer>\n</body>\n</html>",
        super::reference::BASE,
        super::reference::RULES_FILE,
        super::reference::SCENARIOS_FILE
    );
    out
}

fn legend(out: &mut String) {
    out.push_str("<section>\n<h2>Legend</h2>\n<ul class=\"legend\">\n");
    for (class, label, meaning) in LEGEND {
        let _ = writeln!(
            out,
            "<li><span class=\"badge v-{class}\">{label}</span> {meaning}</li>"
        );
    }
    out.push_str("</ul>\n</section>\n");
}

/// A grid column: a check id and the first result seen under it (for its
/// title, RFC and level).
struct Column<'a> {
    id: &'static str,
    first: &'a CheckResult,
}

/// Every check id of the report, in the order the scenarios report them.
fn columns(report: &Report) -> Vec<Column<'_>> {
    let mut columns: Vec<Column<'_>> = Vec::new();
    for run in &report.scenarios {
        for check in &run.checks {
            if !columns.iter().any(|c| c.id == check.id) {
                columns.push(Column {
                    id: check.id,
                    first: check,
                });
            }
        }
    }
    columns
}

fn grid(out: &mut String, report: &Report, columns: &[Column<'_>]) {
    out.push_str(
        "<section>\n<h2>Scenarios by check</h2>\n<div class=\"scroll\">\n<table class=\"grid\" id=\"grid\">\n<thead>\n<tr><th scope=\"col\">scenario</th>",
    );
    for column in columns {
        let title = if column.id == EXIT {
            "the scenario's expected end"
        } else {
            column.first.title.as_str()
        };
        let _ = write!(
            out,
            "<th scope=\"col\" title=\"{}\"><a href=\"#check-{}\">{}</a></th>",
            escape(title),
            escape(&super::reference::anchor(column.id)),
            escape(column.id)
        );
    }
    out.push_str("</tr>\n</thead>\n<tbody>\n");
    for (i, run) in report.scenarios.iter().enumerate() {
        let flagged = run
            .checks
            .iter()
            .any(|c| matches!(c.status, Status::Fail | Status::Warn));
        let name = if flagged {
            format!("<a href=\"#s{i}\">{}</a>", escape(run.id))
        } else {
            escape(run.id)
        };
        let _ = write!(
            out,
            "<tr data-scenario=\"{}\"><th scope=\"row\" title=\"{}\">{name}</th>",
            escape(run.id),
            escape(run.title)
        );
        for column in columns {
            let found = run
                .checks
                .iter()
                .enumerate()
                .find(|(_, c)| c.id == column.id);
            let Some((j, check)) = found else {
                let _ = write!(
                    out,
                    "<td class=\"cell v-na\" data-scenario=\"{}\" data-check=\"{}\" data-status=\"n/a\">n/a</td>",
                    escape(run.id),
                    escape(column.id)
                );
                continue;
            };
            let (text, class) = label(check);
            let tip = format!("{} {}: {} ({})", column.id, check.title, text, check.reason);
            let _ = write!(
                out,
                "<td class=\"cell v-{class}\" data-scenario=\"{}\" data-check=\"{}\" data-status=\"{class}\" title=\"{}\">",
                escape(run.id),
                escape(column.id),
                escape(&tip)
            );
            if matches!(check.status, Status::Fail | Status::Warn) {
                let _ = write!(out, "<a href=\"#f{i}-{j}\">{text}</a>");
            } else {
                out.push_str(text);
            }
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</div>\n</section>\n");
}

fn check_list(out: &mut String, columns: &[Column<'_>]) {
    out.push_str("<section>\n<h2>Checks</h2>\n<div class=\"scroll\">\n<table id=\"checks\">\n<thead><tr><th>check</th><th>requires</th><th>RFC</th><th>level</th><th>explained in</th></tr></thead>\n<tbody>\n");
    for column in columns {
        let check = column.first;
        let (title, rfc, level, reference) = if column.id == EXIT {
            (
                "the scenario's expected end: exit 0 after every call, or a clean non-zero exit (its rule, RFC section and level are the scenario's)",
                "per scenario",
                "per scenario",
                format!(
                    "{}{}",
                    super::reference::BASE,
                    super::reference::SCENARIOS_FILE
                ),
            )
        } else {
            (
                check.title.as_str(),
                check.rfc,
                check.level.as_str(),
                check.reference.clone(),
            )
        };
        let _ = writeln!(
            out,
            "<tr id=\"check-{}\"><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            escape(&super::reference::anchor(column.id)),
            escape(column.id),
            escape(title),
            escape(rfc),
            level,
            escape(&reference)
        );
    }
    out.push_str("</tbody>\n</table>\n</div>\n</section>\n");
}

fn findings(out: &mut String, report: &Report) {
    out.push_str("<section id=\"findings\">\n<h2>Failures and warnings</h2>\n");
    let mut any = false;
    for (i, run) in report.scenarios.iter().enumerate() {
        let flagged: Vec<(usize, &CheckResult)> = run
            .checks
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c.status, Status::Fail | Status::Warn))
            .collect();
        if flagged.is_empty() {
            continue;
        }
        any = true;
        let _ = writeln!(
            out,
            "<section class=\"scenario\" id=\"s{i}\">\n<h3>Scenario <code>{}</code>: {}</h3>\n<p class=\"muted\">{}; explained in <code>{}</code>.</p>",
            escape(run.id),
            escape(run.title),
            escape(&outcome(run)),
            escape(&run.reference)
        );
        for (j, check) in flagged {
            finding(out, run, i, j, check);
        }
        client_output(out, run);
        timeline(out, &run.timeline);
        out.push_str("</section>\n");
    }
    if !any {
        out.push_str("<p>Every check passed or had nothing to judge.</p>\n");
    }
    out.push_str("</section>\n");
}

/// How the client ended, and what it did: `exit 1 after 12 ms, 1 token
/// request, 0 resource requests`.
fn outcome(run: &ScenarioRun) -> String {
    let end = match (run.exit_code, run.timed_out) {
        (_, true) => "killed at the time bound".to_owned(),
        (Some(code), false) => format!("exit {code}"),
        (None, false) => "killed by a signal".to_owned(),
    };
    let mut text = format!(
        "{end} after {} ms, {} token request(s), {} resource request(s)",
        run.elapsed.as_millis(),
        run.token_requests,
        run.resource_requests
    );
    if run.redirect_hits > 0 {
        let _ = write!(
            text,
            ", {} connection(s) to the redirect target",
            run.redirect_hits
        );
    }
    text
}

fn finding(out: &mut String, run: &ScenarioRun, i: usize, j: usize, check: &CheckResult) {
    let (text, class) = label(check);
    let _ = writeln!(
        out,
        "<article class=\"finding v-{class}\" id=\"f{i}-{j}\" data-scenario=\"{}\" data-check=\"{}\" data-status=\"{class}\">",
        escape(run.id),
        escape(check.id)
    );
    let _ = writeln!(
        out,
        "<h4><span class=\"badge v-{class}\">{text}</span> {} {}</h4>",
        escape(check.id),
        escape(&check.title)
    );
    out.push_str("<dl class=\"facts\">\n");
    let mut fact = |name: &str, value: &str| {
        let _ = writeln!(out, "<dt>{name}</dt><dd>{value}</dd>");
    };
    fact("reason", &prose(&check.reason));
    fact("RFC", &escape(check.rfc));
    fact("level", check.level.as_str());
    if check.expected_failure {
        fact(
            "baseline",
            "expected: this failure is listed in the baseline",
        );
    }
    let rule = if check.id == EXIT {
        super::scenario::find(run.id).and_then(|s| super::reference::rule(s.expected_rule))
    } else {
        super::reference::rule(check.id)
    };
    if let Some(rule) = rule {
        fact("fix", &prose(rule.fix));
    }
    fact(
        "explained in",
        &format!("<code>{}</code>", escape(&check.reference)),
    );
    out.push_str("</dl>\n");
    let cited: Vec<(usize, &TimelineEntry)> = check
        .requests
        .iter()
        .filter_map(|&n| run.timeline.get(n).map(|entry| (n, entry)))
        .collect();
    if cited.is_empty() {
        out.push_str("<p class=\"muted\">No request to cite: the client sent none the provider answered.</p>\n");
    } else {
        let _ = writeln!(
            out,
            "<h4>{} that caused it</h4>",
            if cited.len() == 1 {
                "The request".to_owned()
            } else {
                format!("The {} requests", cited.len())
            }
        );
        for (n, entry) in cited {
            request(out, n, entry);
        }
    }
    out.push_str("</article>\n");
}

fn request(out: &mut String, n: usize, entry: &TimelineEntry) {
    let target = entry
        .request
        .as_ref()
        .map_or(entry.endpoint.as_str(), |r| r.target.as_str());
    let _ = write!(
        out,
        "<div class=\"request\">\n<p><code>{} {}</code> &rarr; <strong>{}</strong>",
        escape(&entry.method),
        escape(target),
        entry.status
    );
    if let Some(error) = entry.request.as_ref().and_then(|r| r.error.as_deref()) {
        let _ = write!(out, " <code>{}</code>", escape(error));
    }
    if let Some(fault) = &entry.fault {
        let _ = write!(out, " (fault served: <code>{}</code>)", escape(fault));
    }
    let _ = writeln!(
        out,
        " <span class=\"muted\">request {} of the timeline, at {} ms</span></p>",
        n + 1,
        entry.at_ms
    );
    if let Some(recorded) = &entry.request {
        recorded_request(out, recorded);
    }
    out.push_str("</div>\n");
}

fn recorded_request(out: &mut String, recorded: &RecordedRequest) {
    if let Some(reason) = &recorded.reason {
        let _ = writeln!(out, "<p>Refused because: {}</p>", prose(reason));
    }
    for finding in &recorded.findings {
        let verdict = match finding.verdict {
            Verdict::Fail => "fail",
            Verdict::Warn => "warn",
            Verdict::Pass => "pass",
        };
        let _ = writeln!(
            out,
            "<p><span class=\"badge v-{verdict}\">{verdict}</span> {} ({}, {}): {}</p>",
            escape(finding.rule),
            escape(finding.rfc),
            finding.level.as_str(),
            escape(finding.reason)
        );
    }
    pairs(out, "headers", &recorded.headers);
    if let Some(form) = &recorded.form {
        pairs(out, "form body", form);
    }
    if let Some(assertion) = &recorded.client_assertion {
        let text = serde_json::to_string_pretty(assertion).unwrap_or_default();
        let _ = writeln!(
            out,
            "<h4>client assertion (header and claims; the signature is not kept)</h4>\n<pre>{}</pre>",
            escape(&text)
        );
    }
}

fn pairs(out: &mut String, caption: &str, pairs: &[(String, String)]) {
    let _ = writeln!(
        out,
        "<table class=\"pairs\">\n<caption class=\"muted\">{caption}</caption>"
    );
    for (name, value) in pairs {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\"><code>{}</code></th><td><code>{}</code></td></tr>",
            escape(name),
            escape(value)
        );
    }
    out.push_str("</table>\n");
}

/// The client's output where it failed, and the runner's notes.
fn client_output(out: &mut String, run: &ScenarioRun) {
    if let Some(error) = &run.start_error {
        let _ = writeln!(
            out,
            "<p>The client could not be started: <code>{}</code></p>",
            escape(error)
        );
    }
    if run.stray_processes > 0 {
        let _ = writeln!(
            out,
            "<p>The runner killed {} process(es) the client left running outside its process group.</p>",
            run.stray_processes
        );
    }
    if run.output_held_open {
        out.push_str(
            "<p>A process the client started still held its output open at the time bound.</p>\n",
        );
    }
    for (name, text) in [("stderr", &run.stderr), ("stdout", &run.stdout)] {
        if text.trim().is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "<details class=\"output\">\n<summary>client {name} (the first {} KiB)</summary>\n<pre>{}</pre>\n</details>",
            super::runner::MAX_OUTPUT_BYTES / 1024,
            escape(text)
        );
    }
}

fn timeline(out: &mut String, timeline: &[TimelineEntry]) {
    if timeline.is_empty() {
        out.push_str("<p class=\"muted\">The provider answered no request.</p>\n");
        return;
    }
    let _ = writeln!(
        out,
        "<details class=\"timeline\">\n<summary>every request the provider answered ({})</summary>\n<div class=\"scroll\">\n<table>\n<thead><tr><th>#</th><th>at ms</th><th>request</th><th>status</th><th>fault</th><th>token</th></tr></thead>\n<tbody>",
        timeline.len()
    );
    for (n, entry) in timeline.iter().enumerate() {
        let token = match (entry.issued_token, entry.newest_token) {
            (Some(issued), _) => format!("issued #{issued}"),
            (None, Some(newest)) => format!("presented (newest: #{newest})"),
            (None, None) if entry.token_presented => "presented".to_owned(),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td><code>{} {}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            n + 1,
            entry.at_ms,
            escape(&entry.method),
            escape(&entry.endpoint),
            entry.status,
            entry.fault.as_deref().map(escape).unwrap_or_default(),
            token
        );
    }
    out.push_str("</tbody>\n</table>\n</div>\n</details>\n");
}

/// Escaped text whose `` `code` `` spans (the Markdown of the rule
/// reference's fixes, the journal's quoting) become `<code>`: the spans'
/// text is escaped like the rest, only the tags are ours.
fn prose(text: &str) -> String {
    let escaped = escape(text);
    if !escaped.matches('`').count().is_multiple_of(2) {
        return escaped;
    }
    let mut out = String::with_capacity(escaped.len() + 32);
    for (n, part) in escaped.split('`').enumerate() {
        if n % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Escapes text for an HTML element or a double-quoted attribute. Control
/// characters (but tab and newline) and the bidirectional formatting
/// characters are shown as `\u{..}`, so a client's output can neither
/// break the markup nor reorder the text around it (CVE-2021-42574).
#[must_use]
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() || is_bidi_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// The Unicode bidirectional formatting characters (UAX #9): embeddings,
/// overrides, isolates and the implicit marks.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

#[cfg(test)]
mod tests {
    use super::{escape, prose};

    #[test]
    fn escape_turns_markup_into_text() {
        assert_eq!(
            escape(r"<script>alert('x')</script>&"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
        );
    }

    #[test]
    fn escape_closes_no_attribute() {
        assert_eq!(escape(r#"" onmouseover="x"#), "&quot; onmouseover=&quot;x");
    }

    #[test]
    fn escape_shows_control_and_bidi_characters_as_escapes() {
        assert_eq!(
            escape("red\u{1b}[31m\r\u{0}\u{7f}\u{85} \u{202e}evil\u{2066}"),
            "red\\u{1b}[31m\\u{d}\\u{0}\\u{7f}\\u{85} \\u{202e}evil\\u{2066}"
        );
    }

    #[test]
    fn prose_makes_code_spans_of_backticks_after_escaping() {
        assert_eq!(
            prose("client `a<b>` and `c`"),
            "client <code>a&lt;b&gt;</code> and <code>c</code>"
        );
        // An odd count is not markup: left as it is.
        assert_eq!(prose("a ` b <i>"), "a ` b &lt;i&gt;");
    }

    #[test]
    fn escape_keeps_text_tabs_newlines_and_non_ascii() {
        assert_eq!(escape("pässwörd€\ta\nb"), "pässwörd€\ta\nb");
    }
}
