//! Conformance: the client rules the server can observe (checklist S-72),
//! kept as data in [`rules`] and applied to every token request; and the
//! runner that judges any client-credentials client program
//! (`mock-server conformance -- <command>`): [`scenario`]s run by the
//! [`runner`], judged by [`check`]s, reported by [`report`], with a
//! [`baseline`] of expected failures. Every check id and scenario is
//! explained in the generated [`reference`](mod@reference) (`docs/conformance-rules.md`,
//! `docs/conformance-scenarios.md`), which every report links to.

pub mod baseline;
pub mod check;
mod client_process;
pub mod html;
pub mod progress;
pub mod reference;
pub mod report;
pub mod rules;
pub mod runner;
pub mod scenario;

use serde::Serialize;

/// Normative strength of a rule in its RFC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum Level {
    /// MUST / MUST NOT.
    #[serde(rename = "MUST")]
    Must,
    /// SHOULD / SHOULD NOT, or derived from the RFC text.
    #[serde(rename = "SHOULD")]
    Should,
}

impl Level {
    /// Its name in reports and in the reference: `MUST` or `SHOULD`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Must => "MUST",
            Self::Should => "SHOULD",
        }
    }
}

/// The outcome of one rule on one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verdict {
    /// The client followed the rule.
    Pass,
    /// The client broke the rule.
    Fail,
    /// Suspicious but not wrong per se (derived rules, insecure transport).
    Warn,
}

/// One rule applied to one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The checklist id, e.g. `C-11`.
    pub rule: &'static str,
    /// Where the rule comes from, e.g. `RFC 6749 §2.3.1`.
    pub rfc: &'static str,
    /// MUST or SHOULD.
    pub level: Level,
    /// Pass, fail or warn.
    pub verdict: Verdict,
    /// One line on why.
    pub reason: &'static str,
}

impl Finding {
    /// True when the client broke the rule.
    #[must_use]
    pub fn is_failure(&self) -> bool {
        self.verdict == Verdict::Fail
    }
}
