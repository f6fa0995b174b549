//! docs/mock-server.md kept true: the config file reference (every key,
//! its default and an example) and one fault example per kind, posted to a
//! running mock as the docs show it.
//!
//! The key and kind lists come from serde itself (the "expected one of"
//! list of an unknown field or variant), so a field or kind added to the
//! code without a line in the docs fails here.
#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

mod common;

use std::collections::BTreeSet;
use std::fmt::Debug;

use auth_core::ClientAuthMethod;
use mock_server::{ClientRegistration, Config, Endpoint, Fault, FaultRule, MockServer};
use serde::de::DeserializeOwned;

const JSON: [(&str, &str); 1] = [("content-type", "application/json")];

/// Read at run time (not `include_str!`) so the package still builds
/// without the repository's docs.
fn doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/mock-server.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// The text under the heading line `heading`, up to the next heading of the
/// same or a higher level (headings inside code fences do not count).
fn section(doc: &str, heading: &str) -> String {
    let level = heading.bytes().take_while(|&b| b == b'#').count();
    let mut text: Option<String> = None;
    let mut fenced = false;
    for line in doc.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        let hashes = line.bytes().take_while(|&b| b == b'#').count();
        let is_heading = !fenced && hashes > 0 && line[hashes..].starts_with(' ');
        match text.as_mut() {
            None if line == heading => text = Some(String::new()),
            None => {}
            Some(_) if is_heading && hashes <= level => break,
            Some(text) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    text.unwrap_or_else(|| panic!("docs/mock-server.md has no heading {heading:?}"))
}

fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_start_matches('|')
        .trim_end_matches('|')
        .split('|')
        .map(|cell| cell.trim().to_owned())
        .collect()
}

/// The body rows of the first table in `text` whose first column is `first`.
fn table(text: &str, first: &str) -> Vec<Vec<String>> {
    let mut lines = text
        .lines()
        .skip_while(|line| !line.starts_with(&format!("| {first} |")));
    let header = cells(
        lines
            .next()
            .unwrap_or_else(|| panic!("no table with a `{first}` column in:\n{text}")),
    );
    assert!(
        lines.next().is_some_and(|line| line.starts_with("|---")),
        "the `{first}` table has no separator row"
    );
    let rows: Vec<Vec<String>> = lines
        .take_while(|line| line.starts_with('|'))
        .map(cells)
        .collect();
    for row in &rows {
        assert_eq!(row.len(), header.len(), "{row:?} does not fit {header:?}");
    }
    rows
}

/// The text inside a cell that is exactly one code span.
fn code(cell: &str) -> Option<&str> {
    let inner = cell.strip_prefix('`')?.strip_suffix('`')?;
    (!inner.contains('`')).then_some(inner)
}

fn code_or_panic(cell: &str) -> &str {
    code(cell).unwrap_or_else(|| panic!("{cell:?} is not one code span"))
}

/// The field (or variant) names serde knows for `T`, from the error for an
/// unknown one: "unknown field `x`, expected one of `a`, `b`, ...".
fn serde_names<T: DeserializeOwned + Debug>(unknown: &str) -> BTreeSet<String> {
    let error = serde_json::from_str::<T>(unknown).unwrap_err().to_string();
    let (_, expected) = error
        .split_once("expected ")
        .unwrap_or_else(|| panic!("no list of names in {error:?}"));
    let names: BTreeSet<String> = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    assert!(names.len() > 1, "{error:?}");
    names
}

const UNKNOWN_FIELD: &str = r#"{"not_a_real_field":0}"#;

/// The keys (first column) of a reference table, each once.
fn keys(rows: &[Vec<String>]) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for row in rows {
        let key = code_or_panic(&row[0]).to_owned();
        assert!(keys.insert(key.clone()), "`{key}` is listed twice");
    }
    keys
}

fn assert_same_keys(what: &str, documented: &BTreeSet<String>, real: &BTreeSet<String>) {
    let missing: Vec<&String> = real.difference(documented).collect();
    let unknown: Vec<&String> = documented.difference(real).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "{what}: missing from docs/mock-server.md: {missing:?}; documented but not in the code: {unknown:?}"
    );
}

fn top_level_rows() -> Vec<Vec<String>> {
    table(&section(&doc(), "### Top level"), "key")
}

fn client_rows() -> Vec<Vec<String>> {
    table(&section(&doc(), "### `[[clients]]`"), "key")
}

/// `key = value` lines from a column of literal TOML values; rows whose
/// cell is not one code span are left out.
fn toml_lines(rows: &[Vec<String>], column: usize) -> String {
    rows.iter()
        .filter(|row| row[0] != "`clients`")
        .filter_map(|row| Some(format!("{} = {}\n", code(&row[0])?, code(&row[column])?)))
        .collect()
}

fn parse(text: &str) -> Config {
    Config::from_toml(text).unwrap_or_else(|e| panic!("not accepted: {e}\n{text}"))
}

#[test]
fn config_reference_lists_every_config_key_and_no_other() {
    assert_same_keys(
        "top-level keys",
        &keys(&top_level_rows()),
        &serde_names::<Config>(UNKNOWN_FIELD),
    );
    assert_same_keys(
        "[[clients]] keys",
        &keys(&client_rows()),
        &serde_names::<ClientRegistration>(UNKNOWN_FIELD),
    );
}

#[test]
fn config_reference_defaults_are_the_ones_the_code_uses() {
    let top = top_level_rows();
    let clients = client_rows();
    // A default is a TOML value, or says there is none.
    for row in top.iter().chain(&clients) {
        assert!(
            code(&row[2]).is_some() || row[2].starts_with("none") || row[2] == "required",
            "default of {} is {:?}: write a TOML value, `none...` or `required`",
            row[0],
            row[2]
        );
    }
    // Writing every documented default out changes nothing.
    let defaults = toml_lines(&top, 2);
    assert_eq!(
        serde_json::to_value(parse(&defaults)).unwrap(),
        serde_json::to_value(Config::default()).unwrap(),
        "a documented default differs from Config::default():\n{defaults}"
    );
    assert!(Config::default().admin_token.is_none());
    let bare = "[[clients]]\nid = \"x\"\nsecret = \"y\"\n";
    let with_defaults = format!("{bare}{}", toml_lines(&clients, 2));
    assert_eq!(
        serde_json::to_value(&parse(&with_defaults).clients).unwrap(),
        serde_json::to_value(&parse(bare).clients).unwrap(),
        "a documented [[clients]] default differs from the code:\n{with_defaults}"
    );
    let public = parse("[[clients]]\nid = \"x\"\n");
    assert_eq!(public.clients[0].expose_secret(), None);
}

#[test]
fn config_reference_examples_are_accepted_by_from_toml() {
    let top = top_level_rows();
    let clients = client_rows();
    for row in top.iter().chain(&clients) {
        if row[0] != "`clients`" {
            code_or_panic(&row[3]);
        }
    }
    // Every example at once, then each one alone.
    let all = format!(
        "{}[[clients]]\n{}",
        toml_lines(&top, 3),
        toml_lines(&clients, 3)
    );
    parse(&all);
    for line in toml_lines(&top, 3).lines() {
        parse(line);
    }
    // The example files of the section.
    let text = section(&doc(), "## Config file");
    let mut blocks = 0;
    for block in text.split("```toml\n").skip(1) {
        let (body, _) = block.split_once("```").unwrap();
        let config = parse(body);
        assert!(!config.clients.is_empty(), "{body}");
        blocks += 1;
    }
    assert!(blocks > 0, "no ```toml example under ## Config file");
    // Every authentication method a client may register is named.
    let auth_method = clients
        .iter()
        .find(|row| row[0] == "`auth_method`")
        .unwrap();
    for method in ClientAuthMethod::ALL {
        assert!(
            auth_method[1].contains(&format!("`{}`", method.name())),
            "{} is not listed: {auth_method:?}",
            method.name()
        );
    }
}

/// `ErrorIn200` → `error_in200`, as `#[serde(rename_all = "snake_case")]`.
fn snake_case(rust: &str) -> String {
    let mut out = String::new();
    for (i, c) in rust.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The kind a fault rule carries: `"hang"` or `{"status": 503}`.
fn kind(rule: &serde_json::Value) -> String {
    match &rule["fault"] {
        serde_json::Value::String(kind) => kind.clone(),
        serde_json::Value::Object(members) if members.len() == 1 => {
            members.keys().next().unwrap().clone()
        }
        other => panic!("not a fault kind: {other}"),
    }
}

#[tokio::test]
async fn fault_reference_has_one_example_per_kind_and_the_admin_api_accepts_each() {
    let rows = table(&section(&doc(), "## Faults"), "kind (Rust)");
    let server = MockServer::start().await.unwrap();
    let mut kinds = BTreeSet::new();
    for row in &rows {
        let example = code_or_panic(&row[2]);
        let rule: serde_json::Value = serde_json::from_str(example)
            .unwrap_or_else(|e| panic!("example is not JSON ({e}): {example}"));
        let kind = kind(&rule);
        assert_eq!(snake_case(code_or_panic(&row[0])), kind, "{row:?}");
        assert!(kinds.insert(kind.clone()), "two examples of `{kind}`");
        let posted =
            common::request(&server, "POST", "/_mock/faults", &JSON, example.as_bytes()).await;
        assert_eq!(posted.status, 201, "{example}: {}", posted.text());
    }
    assert_same_keys(
        "fault kinds",
        &kinds,
        &serde_names::<Fault>(r#""not_a_fault_kind""#),
    );
    let queued = common::request(&server, "GET", "/_mock/faults", &[], b"").await;
    assert_eq!(
        queued.json().as_array().map(Vec::len),
        Some(rows.len()),
        "{}",
        queued.text()
    );
}

#[test]
fn fault_rule_reference_lists_every_rule_key_and_endpoint() {
    let rows = table(&section(&doc(), "## Faults"), "key");
    assert_same_keys(
        "fault rule keys",
        &keys(&rows),
        &serde_names::<FaultRule>(UNKNOWN_FIELD),
    );
    let endpoint = rows.iter().find(|row| row[0] == "`endpoint`").unwrap();
    for name in serde_names::<Endpoint>(r#""not_an_endpoint""#) {
        assert!(
            endpoint[1].contains(&format!("`\"{name}\"`")),
            "endpoint `{name}` is not listed: {endpoint:?}"
        );
    }
}

/// A source file of this package, read at run time.
fn source(path: &str) -> String {
    let path = format!("{}/src/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// The name a `pub fn` line declares, if the line is one at `indent`.
fn pub_fn_name(line: &str, indent: &str) -> Option<String> {
    let rest = line.strip_prefix(indent)?;
    let rest = ["pub fn ", "pub async fn ", "pub const fn "]
        .iter()
        .find_map(|prefix| rest.strip_prefix(prefix))?;
    let end = rest.find(['(', '<'])?;
    Some(rest[..end].to_owned())
}

/// The public methods of the inherent `impl {type_name}` blocks of a
/// source file. The file is rustfmt-formatted (CI checks it), so an impl
/// block opens with `impl Name {` at the line start and ends at the next
/// `}` there, and its methods sit four spaces in.
fn pub_methods(source: &str, type_name: &str) -> BTreeSet<String> {
    let opening = format!("impl {type_name} {{");
    let mut names = BTreeSet::new();
    let mut inside = false;
    for line in source.lines() {
        if line == opening {
            inside = true;
        } else if line == "}" {
            inside = false;
        } else if inside && let Some(name) = pub_fn_name(line, "    ") {
            names.insert(name);
        }
    }
    assert!(!names.is_empty(), "no `{opening}` block with pub methods");
    names
}

/// The free `pub fn`s of a source file.
fn pub_free_fns(source: &str) -> BTreeSet<String> {
    source
        .lines()
        .filter_map(|line| pub_fn_name(line, ""))
        .collect()
}

/// The method names in the first column of a reference table, e.g.
/// `` `push_fault(rule)` `` → `push_fault`; each must carry an example
/// when `with_example` (a code span in the last column).
fn documented_methods(rows: &[Vec<String>], with_example: bool) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for row in rows {
        let call = code_or_panic(&row[0]);
        let (name, _) = call
            .split_once('(')
            .unwrap_or_else(|| panic!("{call:?} is not `name(args)`"));
        names.insert(name.to_owned());
        if with_example {
            let example = row.last().map_or("", |cell| code(cell).unwrap_or_default());
            assert!(
                example.contains(name),
                "the example of `{name}` does not call it: {row:?}"
            );
        }
    }
    names
}

#[test]
fn rust_api_reference_lists_every_public_method_of_the_builder_and_the_server() {
    let doc = doc();
    let server = source("server.rs");
    for type_name in ["MockServerBuilder", "MockServer"] {
        let rows = table(&section(&doc, &format!("### `{type_name}`")), "method");
        assert_same_keys(
            &format!("{type_name} methods"),
            &documented_methods(&rows, true),
            &pub_methods(&server, type_name),
        );
    }
}

#[test]
fn expectation_reference_lists_every_matcher_and_count() {
    let text = section(&doc(), "## Expectations (wiremock style)");
    let expect = source("expect.rs");
    let matchers: BTreeSet<String> = pub_free_fns(&expect)
        .into_iter()
        .chain(pub_methods(&expect, "RequestMatcher"))
        .collect();
    assert_same_keys(
        "matchers",
        &documented_methods(&table(&text, "matcher"), false),
        &matchers,
    );
    assert_same_keys(
        "Expectation methods",
        &documented_methods(&table(&text, "count"), false),
        &pub_methods(&expect, "Expectation"),
    );
}
