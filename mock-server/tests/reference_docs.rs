//! docs/conformance-rules.md and docs/conformance-scenarios.md are generated
//! from the rules and scenario data; these tests keep the committed files
//! equal to what the data generates, and every id a report can link to
//! anchored exactly once.
//!
//! To refresh the files after changing the data (like insta's
//! `INSTA_UPDATE`):
//!
//! ```text
//! UPDATE_REFERENCE=1 cargo test -p mock-server --all-features --test reference_docs
//! ```
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use std::path::PathBuf;

use mock_server::conformance::check::{CHECKS, COMMON, EXIT};
use mock_server::conformance::reference::{
    self, REFRESH_COMMAND, RULES_FILE, SCENARIOS_FILE, rules_markdown, scenarios_markdown,
};
use mock_server::conformance::rules::RULES;
use mock_server::conformance::scenario::{EXIT_RULES, SCENARIOS};

fn docs_path(file: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs")).join(file)
}

/// Compares the committed file with the generated text, or writes it when
/// `UPDATE_REFERENCE` is set.
fn assert_committed(file: &str, generated: &str) {
    let path = docs_path(file);
    if std::env::var_os("UPDATE_REFERENCE").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(&path, generated)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); create it with `{REFRESH_COMMAND}`",
            path.display()
        )
    });
    if committed == generated {
        return;
    }
    let first = committed
        .lines()
        .zip(generated.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
    panic!(
        "docs/{file} is out of date with the data in mock-server/src/conformance/.\n\
         First difference at line {}:\n  committed: {:?}\n  generated: {:?}\n\
         Refresh it with `{REFRESH_COMMAND}` and commit the result.",
        first + 1,
        committed.lines().nth(first).unwrap_or("(end of file)"),
        generated.lines().nth(first).unwrap_or("(end of file)"),
    );
}

#[test]
fn committed_rule_reference_is_generated_from_the_rules_data() {
    assert_committed(RULES_FILE, &rules_markdown());
}

#[test]
fn committed_scenario_reference_is_generated_from_the_scenario_data() {
    assert_committed(SCENARIOS_FILE, &scenarios_markdown());
}

/// How many times `<a id="ANCHOR"></a>` stands in `doc`.
fn anchors(doc: &str, id: &str) -> usize {
    doc.matches(&format!("<a id=\"{}\"></a>", reference::anchor(id)))
        .count()
}

/// Every id a report can carry, straight from the data (not from the
/// generator's own list).
fn report_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = RULES.iter().map(|r| r.id).collect();
    ids.extend(COMMON.iter().chain(CHECKS).map(|c| c.id));
    ids.extend(EXIT_RULES.iter().map(|r| r.id));
    for s in SCENARIOS {
        ids.push(s.expected_rule);
        ids.extend(s.checks);
        ids.extend(s.rule_overrides.iter().flat_map(|o| [o.rule, o.id]));
    }
    ids.push(EXIT);
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[test]
fn every_rule_id_is_anchored_exactly_once_in_the_rule_reference() {
    let doc = rules_markdown();
    let ids = report_ids();
    assert!(ids.len() > 20, "{ids:?}");
    for id in ids {
        assert_eq!(
            anchors(&doc, id),
            1,
            "anchor #{} in {RULES_FILE}",
            reference::anchor(id)
        );
        let heading = format!("### {id}: ");
        assert_eq!(doc.matches(&heading).count(), 1, "{heading:?}");
    }
    // No anchor for an id the data does not have.
    assert_eq!(doc.matches("<a id=").count(), report_ids().len());
}

#[test]
fn every_scenario_id_is_anchored_exactly_once_in_the_scenario_reference() {
    let doc = scenarios_markdown();
    for s in SCENARIOS {
        assert_eq!(
            anchors(&doc, s.id),
            1,
            "anchor #{} in {SCENARIOS_FILE}",
            s.id
        );
        assert_eq!(reference::anchor(s.id), s.id, "scenario ids are lowercase");
    }
    assert_eq!(doc.matches("<a id=").count(), SCENARIOS.len());
}

/// Each entry states RFC, level, what is checked and how to fix it; each
/// scenario its calls, interval, token lifetime, faults and expected end.
#[test]
fn reference_entries_carry_every_field_the_user_needs() {
    let rules = rules_markdown();
    for entry in reference::rules() {
        let start = rules
            .find(&format!("### {}: ", entry.id))
            .unwrap_or_else(|| panic!("no entry for {}", entry.id));
        let section = &rules[start..];
        let section = &section[..section[4..].find("\n### ").map_or(section.len(), |n| n + 4)];
        for field in [
            "- **RFC:** ",
            "- **Level:** ",
            "- **Judged on:** ",
            "- **What is checked:** ",
            "- **How to fix:** ",
        ] {
            assert!(
                section.contains(field),
                "{}: no {field:?}\n{section}",
                entry.id
            );
        }
        assert!(section.contains(entry.fix), "{}", entry.id);
        assert!(
            !entry.fix.is_empty() && !entry.checked.is_empty(),
            "{}",
            entry.id
        );
    }
    let scenarios = scenarios_markdown();
    for s in SCENARIOS {
        let start = scenarios.find(&format!("### `{}`: ", s.id)).unwrap();
        let section = &scenarios[start..];
        let section = &section[..section[4..].find("\n### ").map_or(section.len(), |n| n + 4)];
        for field in [
            format!("`OAUTH_CALLS={}`", s.calls),
            format!("`OAUTH_CALL_INTERVAL_MS={}`", s.interval.as_millis()),
            "- **Token lifetime:** ".to_owned(),
            "- **Faults:** ".to_owned(),
            "- **Expected end:** ".to_owned(),
            format!(
                "](conformance-rules.md#{})",
                reference::anchor(s.expected_rule)
            ),
        ] {
            assert!(
                section.contains(&field),
                "{}: no {field:?}\n{section}",
                s.id
            );
        }
    }
}

/// Every relative link between the two documents lands on an anchor.
#[test]
fn links_between_the_references_point_at_existing_anchors() {
    let docs = [
        (RULES_FILE, rules_markdown()),
        (SCENARIOS_FILE, scenarios_markdown()),
    ];
    let target = |file: &str| &docs.iter().find(|(f, _)| *f == file).unwrap().1;
    let mut checked = 0;
    for (file, doc) in &docs {
        for (at, _) in doc.match_indices("](") {
            let rest = &doc[at + 2..];
            let link = &rest[..rest.find(')').unwrap()];
            let (path, fragment) = link.split_once('#').unwrap_or((link, ""));
            let in_doc = if path.is_empty() {
                doc
            } else if path == RULES_FILE || path == SCENARIOS_FILE {
                target(path)
            } else {
                assert!(path == "conformance.md", "{file}: unexpected link {link}");
                continue;
            };
            if !fragment.is_empty() {
                assert_eq!(
                    in_doc
                        .matches(&format!("<a id=\"{fragment}\"></a>"))
                        .count(),
                    1,
                    "{file}: link {link} has no anchor"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked} links checked");
}
