//! docs/mock-server.md "Journal and findings" kept true (issue 9 item 12):
//! its field table lists exactly the top-level fields a real journal entry
//! serializes to, both ways, and its example entry has the same fields and
//! the reason a real refusal records.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::collections::BTreeSet;

use common::{f1_token, request};
use mock_server::MockServer;

const HEADING: &str = "## Journal and findings";
/// The header row of the field table.
const TABLE_HEADER: &str = "| field | JSON type | what it holds |";

/// Read at run time so the package builds without the repository's docs.
fn journal_section() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/mock-server.md");
    let doc = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let start = doc
        .find(&format!("\n{HEADING}\n"))
        .unwrap_or_else(|| panic!("no {HEADING:?} in {path}"));
    let rest = &doc[start + HEADING.len() + 2..];
    // The section ends at the next heading of level 1 or 2 (code blocks in
    // it hold no line starting with `## `).
    let end = rest.find("\n## ").unwrap_or(rest.len());
    rest[..end].to_owned()
}

/// The first column of the field table, without its backticks.
fn documented_fields(section: &str) -> BTreeSet<String> {
    let mut lines = section
        .lines()
        .skip_while(|line| line.trim() != TABLE_HEADER)
        .skip(2); // the header and the `| --- |` row
    let fields: BTreeSet<String> = lines
        .by_ref()
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let first = line
                .trim_start_matches('|')
                .split('|')
                .next()
                .unwrap()
                .trim();
            first
                .strip_prefix('`')
                .and_then(|f| f.strip_suffix('`'))
                .unwrap_or_else(|| panic!("not a `field` cell: {line:?}"))
                .to_owned()
        })
        .collect();
    assert!(
        !fields.is_empty(),
        "no table {TABLE_HEADER:?} in {HEADING:?}"
    );
    fields
}

/// The `json` code block of the section: its example entry.
fn documented_example(section: &str) -> serde_json::Value {
    let block = section
        .split("```json\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap_or_else(|| panic!("no json example in {HEADING:?}"));
    serde_json::from_str(block).unwrap_or_else(|e| panic!("the example is not JSON ({e}): {block}"))
}

fn keys(value: &serde_json::Value) -> BTreeSet<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

/// A refused scope, as the docs' example shows it.
async fn refused_scope_entry(server: &MockServer) -> serde_json::Value {
    let response = f1_token(server, "grant_type=client_credentials&scope=read%20admin").await;
    assert_eq!(response.status, 400, "{}", response.text());
    serde_json::to_value(server.journal().pop().unwrap()).unwrap()
}

#[tokio::test]
async fn the_field_table_lists_exactly_the_fields_of_a_journal_entry() {
    let server = MockServer::start().await.unwrap();
    let entry = refused_scope_entry(&server).await;
    let documented = documented_fields(&journal_section());
    let serialized = keys(&entry);
    let undocumented: Vec<_> = serialized.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&serialized).collect();
    assert!(
        undocumented.is_empty() && stale.is_empty(),
        "fields missing from the table in docs/mock-server.md {HEADING:?}: {undocumented:?}; \
         documented fields a journal entry does not have: {stale:?}"
    );
}

#[tokio::test]
async fn the_admin_journal_has_the_documented_fields() {
    let server = MockServer::start().await.unwrap();
    refused_scope_entry(&server).await;
    let response = request(&server, "GET", "/_mock/journal", &[], b"").await;
    assert_eq!(response.status, 200);
    let entries = response.json();
    let entry = entries.as_array().unwrap().last().unwrap();
    assert_eq!(keys(entry), documented_fields(&journal_section()));
}

#[tokio::test]
async fn the_example_entry_has_the_real_fields_and_the_real_reason() {
    let server = MockServer::start().await.unwrap();
    let entry = refused_scope_entry(&server).await;
    let example = documented_example(&journal_section());
    assert_eq!(keys(&example), keys(&entry));
    for field in [
        "method",
        "path",
        "form",
        "status",
        "client_id",
        "error",
        "reason",
    ] {
        assert_eq!(example[field], entry[field], "{field}");
    }
}
