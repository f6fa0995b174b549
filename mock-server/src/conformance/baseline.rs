//! Expected failures, for CI: a client with known defects still gets a
//! green run, and a fixed defect is noticed.
//!
//! Format: a text file, one entry per line, `scenario-id check-id`
//! separated by white space (`basic-special-chars C-11`, `invalid-client
//! EXIT`); `#` starts a comment; blank lines are ignored. Unknown scenario
//! or check ids are errors (a typo must not hide a failure).
//!
//! Semantics: a failing check (MUST or SHOULD) listed in the baseline is an
//! *expected failure*: reported as `xfail`, it does not make the run fail.
//! An entry whose scenario ran and whose check did *not* fail is *stale*:
//! a warning, printed after the table and listed in the JSON report
//! (`stale_baseline`); it does not change the exit status, so fixing a
//! client never breaks its CI, but the report asks for the entry to go.
//! Entries for scenarios that did not run are ignored.

use std::collections::BTreeSet;

use serde::Serialize;

use super::check;
use super::scenario;

/// One expected failure.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct BaselineEntry {
    /// The scenario id.
    pub scenario: String,
    /// The check id.
    pub check: String,
}

/// A line of a baseline file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("baseline line {line}: {reason}")]
pub struct BaselineError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

/// The set of expected failures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    entries: BTreeSet<BaselineEntry>,
}

impl Baseline {
    /// Parses the text format.
    ///
    /// ```
    /// # fn main() -> Result<(), mock_server::conformance::baseline::BaselineError> {
    /// use mock_server::conformance::baseline::Baseline;
    /// let baseline = Baseline::parse("# curl sends raw Basic\nbasic-special-chars C-11\n")?;
    /// assert!(baseline.expects("basic-special-chars", "C-11"));
    /// # Ok(()) }
    /// ```
    pub fn parse(text: &str) -> Result<Self, BaselineError> {
        let known_checks = check::known_ids();
        let mut entries = BTreeSet::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let content = raw.split('#').next().unwrap_or_default().trim();
            if content.is_empty() {
                continue;
            }
            let error = |reason: String| BaselineError { line, reason };
            let mut words = content.split_whitespace();
            let (Some(scenario_id), Some(check_id), None) =
                (words.next(), words.next(), words.next())
            else {
                return Err(error("expected `scenario-id check-id`".to_owned()));
            };
            if scenario::find(scenario_id).is_none() {
                return Err(error(format!("unknown scenario {scenario_id:?}")));
            }
            if !known_checks.contains(&check_id) {
                return Err(error(format!("unknown check {check_id:?}")));
            }
            entries.insert(BaselineEntry {
                scenario: scenario_id.to_owned(),
                check: check_id.to_owned(),
            });
        }
        Ok(Self { entries })
    }

    /// True when this failure is expected.
    #[must_use]
    pub fn expects(&self, scenario: &str, check: &str) -> bool {
        self.entries
            .iter()
            .any(|e| e.scenario == scenario && e.check == check)
    }

    /// The entries, sorted.
    pub fn entries(&self) -> impl Iterator<Item = &BaselineEntry> {
        self.entries.iter()
    }

    /// True when it lists nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
