//! `docs/quickstart.md`, run: the mock-server binary started as the doc
//! says (on 127.0.0.1:0 instead of 8080), its start-up output compared with
//! the doc's, then every curl example in one shell session, as a person
//! types them, each output compared with the doc's. The `fetch-token`
//! examples are auth-http's (`crates/auth-http/tests/cli.rs`).
#![expect(clippy::unwrap_used, reason = "tests")]

mod doc_example;

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use doc_example::{DOC_ADDR, Example, QUICKSTART, assert_shows, examples, run_session};

/// The doc's command that starts the mock.
const SERVE: &str = "cargo run -p mock-server --features cli";

/// Kills the child (by its handle) when the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary on a free port; returns it, its address and its
/// stdout lines.
fn start() -> (Running, String, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-server"))
        .args(["--addr", "127.0.0.1:0"])
        .env_remove("MOCK_SERVER_ADDR")
        .env_remove("MOCK_SERVER_CONFIG")
        .env_remove("MOCK_ADMIN_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let ready = lines.recv_timeout(Duration::from_secs(20)).unwrap();
    let addr = ready
        .split_whitespace()
        .find_map(|word| word.strip_prefix("http://"))
        .unwrap_or_else(|| panic!("no address in the ready line: {ready}"))
        .trim_end_matches('/')
        .to_owned();
    // Put the ready line back in front, for the start-up comparison.
    let (tx, replay) = mpsc::channel();
    tx.send(ready).unwrap();
    std::thread::spawn(move || {
        for line in lines {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (running, addr, replay)
}

fn quickstart() -> Vec<Example> {
    examples(QUICKSTART)
}

/// Tests that drive curl need it: where it is missing they fail (a
/// skipped check would pass silently), saying what to install.
fn require_curl() {
    if let Err(e) = Command::new("curl").arg("--version").output() {
        panic!("this test drives curl, which could not be run ({e}): install curl");
    }
}

#[test]
fn the_quickstart_shows_what_the_binary_prints_at_start() {
    let examples = quickstart();
    let serve = examples.iter().find(|e| e.command.trim() == SERVE).expect(
        "docs/quickstart.md starts the mock with `cargo run -p mock-server --features cli`",
    );
    let expected = serve.expected.as_deref().expect("and shows what it prints");
    let (_child, addr, lines) = start();
    let printed: Vec<String> = expected
        .lines()
        .map(|_| lines.recv_timeout(Duration::from_secs(20)).unwrap())
        .collect();
    assert_shows(
        serve,
        &expected.replace(DOC_ADDR, &addr),
        &printed.join("\n"),
    );
}

#[test]
fn every_curl_example_of_the_quickstart_prints_what_the_doc_shows() {
    require_curl();
    let examples = quickstart();
    let curl: Vec<&Example> = examples
        .iter()
        .filter(|e| e.expected.is_some())
        .filter(|e| e.command.trim() != SERVE && !e.command.contains("fetch-token"))
        .collect();
    // What a newcomer tries first: each is shown, and so run here.
    let commands: String = curl.iter().map(|e| e.command.as_str()).collect();
    for wanted in [
        "/token",
        "scope=",
        "/_mock/journal",
        "/_mock/faults",
        "/introspect",
        "/revoke",
    ] {
        assert!(commands.contains(wanted), "no curl example with {wanted}");
    }
    assert!(curl.len() >= 7, "{} curl examples", curl.len());
    let (_child, addr, _lines) = start();
    let outputs = run_session(&curl, &addr, None);
    for (example, output) in curl.iter().zip(&outputs) {
        let expected = example.expected.as_deref().unwrap_or_default();
        assert_shows(example, &expected.replace(DOC_ADDR, &addr), output);
    }
}

#[test]
fn every_command_of_the_quickstart_is_run_or_is_a_cargo_setup_step() {
    let examples = quickstart();
    assert!(!examples.is_empty(), "no ```sh block in docs/quickstart.md");
    for example in &examples {
        if example.expected.is_none() {
            let command = example.command.trim_start();
            assert!(
                command.starts_with("cargo build ") || command.starts_with("cargo install "),
                "docs/quickstart.md line {}: a command with no ```text output after it is not checked:\n{}",
                example.line,
                example.command
            );
        }
    }
}
