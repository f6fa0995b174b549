//! The runnable examples of `docs/quickstart.md`, for the tests that keep
//! them true (`mock-server/tests/quickstart.rs`, and auth-http's
//! `tests/cli.rs` for the `fetch-token` ones).
//!
//! An example is a ` ```sh ` block followed at once by a ` ```text ` block:
//! what a terminal shows, stdout and stderr together. In the expected text
//! `…` stands for any run of characters (a token, a date, headers left
//! out); the rest must match exactly, from the first character to the
//! last. A ` ```sh ` block without a ` ```text ` block is a setup command
//! (`cargo build`, `cargo install`) and is not run. The commands name the
//! mock on `127.0.0.1:8080`; the tests put the address of the server they
//! started in its place.
#![allow(dead_code, reason = "each test uses a different subset")]

use std::process::Command;

/// The quick start, as the tests read it.
pub(crate) const QUICKSTART: &str = include_str!("../../../docs/quickstart.md");

/// The address the quick start's commands use.
pub(crate) const DOC_ADDR: &str = "127.0.0.1:8080";

/// Stands for any run of characters in an expected output.
const ANY: char = '…';

/// One command block and the output shown after it.
#[derive(Debug, Clone)]
pub(crate) struct Example {
    /// The line in `docs/quickstart.md` where the command block opens.
    pub(crate) line: usize,
    pub(crate) command: String,
    /// `None` for a setup command.
    pub(crate) expected: Option<String>,
}

/// What a line of the document is part of.
enum Item<'a> {
    Prose,
    Block {
        line: usize,
        info: &'a str,
        body: String,
    },
}

/// The ` ```sh ` blocks of `markdown`, each with the ` ```text ` block that
/// follows it (only blank lines between).
pub(crate) fn examples(markdown: &str) -> Vec<Example> {
    let mut items = Vec::new();
    let mut open: Option<Item<'_>> = None;
    for (index, line) in markdown.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Item::Block {
                    line: index + 1,
                    info: info.trim(),
                    body: String::new(),
                });
            }
            (Some(_), Some("")) => items.extend(open.take()),
            (Some(Item::Block { body, .. }), _) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) if !line.trim().is_empty() => items.push(Item::Prose),
            _ => {}
        }
    }
    assert!(
        open.is_none(),
        "docs/quickstart.md: a code block is not closed"
    );
    let mut examples = Vec::new();
    let mut items = items.into_iter().peekable();
    while let Some(item) = items.next() {
        let Item::Block {
            line,
            info: "sh",
            body,
        } = item
        else {
            continue;
        };
        let expected = match items.peek() {
            Some(Item::Block {
                info: "text", body, ..
            }) => Some(body.clone()),
            _ => None,
        };
        if expected.is_some() {
            items.next();
        }
        examples.push(Example {
            line,
            command: body,
            expected,
        });
    }
    examples
}

/// Runs `script` with `sh`, stderr into stdout as a terminal shows them,
/// with `path_dir` first on `PATH` when given.
pub(crate) fn run_sh(script: &str, path_dir: Option<&std::path::Path>) -> String {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(format!("exec 2>&1\n{script}"))
        .env_remove("CLIENT_SECRET");
    if let Some(dir) = path_dir {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![dir.to_path_buf()];
        dirs.extend(std::env::split_paths(&path));
        command.env(
            "PATH",
            std::env::join_paths(dirs).expect("paths without ':'"),
        );
    }
    let output = command.output().expect("sh runs");
    String::from_utf8_lossy(&output.stdout).replace('\r', "")
}

/// Runs `examples` in one shell session, as a person types them one after
/// the other (a variable set in one is there in the next), and returns
/// what each printed.
pub(crate) fn run_session(
    examples: &[&Example],
    addr: &str,
    path_dir: Option<&std::path::Path>,
) -> Vec<String> {
    const MARK: &str = "@@next example@@";
    const PRINT_MARK: &str = "printf '\\n@@next example@@\\n'\n";
    let mut script = String::new();
    for example in examples {
        script.push_str(PRINT_MARK);
        script.push_str(&example.command.replace(DOC_ADDR, addr));
    }
    let output = run_sh(&script, path_dir);
    let mut outputs: Vec<String> = output
        .split(MARK)
        .map(|piece| piece.trim().to_owned())
        .collect();
    assert_eq!(outputs.remove(0), "", "output before the first example");
    assert_eq!(outputs.len(), examples.len(), "{output}");
    outputs
}

/// Panics unless `actual` is `expected` (its `…` standing for anything),
/// both trimmed.
pub(crate) fn assert_shows(example: &Example, expected: &str, actual: &str) {
    let expected = expected.trim();
    let actual = actual.trim();
    let pieces: Vec<&str> = expected.split(ANY).collect();
    let mut rest = actual;
    let mut ok = true;
    for (i, piece) in pieces.iter().enumerate() {
        let first = i == 0;
        let last = i + 1 == pieces.len();
        if first && last {
            ok = rest == *piece;
        } else if first {
            ok = rest.starts_with(piece);
            rest = rest.get(piece.len()..).unwrap_or("");
        } else if last {
            ok = rest.ends_with(piece);
        } else if let Some(at) = rest.find(piece) {
            rest = rest.get(at + piece.len()..).unwrap_or("");
        } else {
            ok = false;
        }
        if !ok {
            break;
        }
    }
    assert!(
        ok,
        "docs/quickstart.md line {}: the command\n{}\nprinted\n{actual}\n\nnot what the doc shows:\n{expected}",
        example.line, example.command
    );
}
