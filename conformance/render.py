"""Renders the runner's JSON reports (schema 1) as Markdown into a file,
between `<!-- report:begin -->` and `<!-- report:end -->`.

Usage: python3 render.py DOC NAME=REPORT.json [NAME=REPORT.json ...]
A missing report file is rendered as "not generated" for that client.
"""

import json
import os
import re
import sys
from datetime import datetime, timezone

BEGIN = "<!-- report:begin -->"
END = "<!-- report:end -->"


def shown(path):
    """A path as the docs show it: relative to the repository, the cargo
    target directory as `target`."""
    target = os.environ.get("CONFORMANCE_TARGET")
    repo = os.environ.get("CONFORMANCE_REPO")
    if target and path.startswith(target.rstrip("/") + "/"):
        return "target/" + path[len(target.rstrip("/")) + 1:]
    if repo and path.startswith(repo.rstrip("/") + "/"):
        return path[len(repo.rstrip("/")) + 1:]
    return path


def cell(text):
    """A table cell: pipes escaped, one line, loopback ports hidden (they
    change every run)."""
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", str(text))
    text = re.sub(r"port=\d+", "port=PORT", text)
    return text.replace("|", "\\|").replace("\n", " ")


def inline_code(text):
    """Inline code that may itself contain backticks."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
    except (OSError, ValueError):
        return None
    if report.get("schema") != 1:
        sys.exit(f"render.py: {path}: unknown schema {report.get('schema')!r}")
    return report


def failing(run):
    """The checks of one scenario that did not pass (skips left out)."""
    return [c for c in run["checks"] if c["status"] in ("fail", "warn")]


def matrix_cell(run):
    bad = failing(run)
    if run.get("timed_out"):
        bad_ids = ["timed out"] + [c["id"] for c in bad]
    else:
        bad_ids = [c["id"] + ("" if c["status"] == "fail" and c["level"] == "MUST" else "?") for c in bad]
    if not bad_ids:
        return "pass"
    return ", ".join(bad_ids)


def overview(reports):
    names = [name for name, _ in reports]
    lines = ["| client | verdict | MUST failed | SHOULD failed | warnings | passed | skipped |",
             "|---|---|---|---|---|---|---|"]
    for name, report in reports:
        if report is None:
            lines.append(f"| {name} | not generated | | | | | |")
            continue
        s = report["summary"]
        verdict = "**PASS**" if s["failed_must"] == 0 else "FAIL"
        lines.append(
            f"| {name} | {verdict} | {s['failed_must']} | {s['failed_should']} | "
            f"{s['warnings']} | {s['passed']} | {s['skipped']} |"
        )
    # Scenario x client matrix, scenario order from the first report.
    order = []
    titles = {}
    for _, report in reports:
        for run in (report or {}).get("scenarios", []):
            if run["id"] not in titles:
                order.append(run["id"])
                titles[run["id"]] = run["title"]
    lines += ["", "Scenario by client: `pass`, or the checks that failed (`?` marks a SHOULD "
              "failure or a warning); `not run`: the client's adapter does not implement "
              "the scenario's authentication method (`run-all.sh` runs the client-assertion "
              "scenarios against auth-http and Authlib).", "",
              "| scenario | " + " | ".join(names) + " |",
              "|---|" + "---|" * len(names)]
    for scenario in order:
        row = [f"`{scenario}`"]
        for _, report in reports:
            runs = {r["id"]: r for r in (report or {}).get("scenarios", [])}
            row.append(cell(matrix_cell(runs[scenario])) if scenario in runs else "not run")
        lines.append("| " + " | ".join(row) + " |")
    return lines


def details(name, report):
    lines = [f"### {name}", ""]
    if report is None:
        return lines + ["Not generated: the run did not produce a report.", ""]
    s = report["summary"]
    command = " ".join(shown(arg) for arg in report["client"])
    lines += [
        f"Command: `{command}`",
        "",
        f"{s['scenarios']} scenarios, {s['checks']} checks: {s['passed']} passed, "
        f"{s['failed_must']} MUST failed, {s['failed_should']} SHOULD failed, "
        f"{s['warnings']} warnings, {s['skipped']} skipped.",
        "",
    ]
    rows = []
    for run in report["scenarios"]:
        for check in failing(run):
            rows.append((run, check))
    if rows:
        lines += ["| scenario | check | RFC | level | result | reason |", "|---|---|---|---|---|---|"]
        for run, c in rows:
            lines.append(
                f"| `{run['id']}` | {c['id']} {cell(c['title'])} | {cell(c['rfc'])} | {c['level']} | "
                f"{c['status']} | {cell(c['reason'])} |"
            )
        lines.append("")
    else:
        lines += ["Every check passed or had nothing to judge.", ""]
    exits = [r for r in report["scenarios"] if r["exit_code"] not in (0,) or r["timed_out"]]
    if exits:
        lines.append("Client exit per scenario (non-zero only; stderr's first line):")
        lines.append("")
        for r in exits:
            code = "killed (time bound)" if r["timed_out"] else f"exit {r['exit_code']}"
            first = (r.get("stderr") or "").strip().splitlines()
            why = f": {inline_code(cell(first[0][:160]))}" if first else ""
            lines.append(f"- `{r['id']}`: {code}{why}")
        lines.append("")
    return lines


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    doc = sys.argv[1]
    reports = []
    for arg in sys.argv[2:]:
        name, _, path = arg.partition("=")
        reports.append((name, load(path)))
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = [BEGIN, "", f"Generated by `bash conformance/run-all.sh` on {stamp}.", "", "### Overview", ""]
    body += overview(reports) + [""]
    for name, report in reports:
        body += details(name, report)
    body.append(END)
    with open(doc, encoding="utf-8") as f:
        text = f.read()
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        sys.exit(f"render.py: {doc} has no {BEGIN} ... {END} section")
    text = text[:start] + "\n".join(body) + text[end + len(END):]
    with open(doc, "w", encoding="utf-8") as f:
        f.write(text)


main()
