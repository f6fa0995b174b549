//! When the runner shows its progress line (`[3/20] short-lifetime:
//! running the client`): only to a person watching a terminal.
//!
//! The line is drawn on stderr and redrawn in place, so it must never reach
//! a file, a pipe or a CI log: it is shown only when both stdout (where the
//! report goes) and stderr are terminals, `CI` is not set (any value, as
//! cargo reads it) and `TERM` is not `dumb` (a terminal that cannot erase a
//! line, as cargo and git treat it).

use std::io::IsTerminal as _;

/// What the runner knows about where its output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
#[expect(
    clippy::struct_excessive_bools,
    reason = "four independent facts about the process, not a state machine"
)]
pub struct Terminal {
    /// stdout is a terminal.
    pub stdout: bool,
    /// stderr is a terminal.
    pub stderr: bool,
    /// `CI` is set (GitHub Actions, GitLab, Buildkite... all set it).
    pub ci: bool,
    /// `TERM=dumb`.
    pub dumb: bool,
}

impl Terminal {
    /// This process's stdout, stderr and environment.
    #[must_use]
    pub fn detect() -> Self {
        Self {
            stdout: std::io::stdout().is_terminal(),
            stderr: std::io::stderr().is_terminal(),
            ci: std::env::var_os("CI").is_some(),
            dumb: std::env::var_os("TERM").is_some_and(|term| term == "dumb"),
        }
    }

    /// True when a progress line may be drawn on stderr.
    ///
    /// ```
    /// use mock_server::conformance::progress::Terminal;
    ///
    /// let mut terminal = Terminal::default();
    /// (terminal.stdout, terminal.stderr) = (true, true);
    /// assert!(terminal.shows_progress());
    /// terminal.ci = true;
    /// assert!(!terminal.shows_progress());
    /// ```
    #[must_use]
    pub fn shows_progress(self) -> bool {
        self.stdout && self.stderr && !self.ci && !self.dumb
    }
}

#[cfg(test)]
mod tests {
    use super::Terminal;

    /// `[stdout, stderr, ci, dumb]`.
    fn terminal([stdout, stderr, ci, dumb]: [bool; 4]) -> Terminal {
        Terminal {
            stdout,
            stderr,
            ci,
            dumb,
        }
    }

    #[test]
    fn progress_shows_only_on_two_terminals_outside_ci() {
        assert!(terminal([true, true, false, false]).shows_progress());
    }

    #[test]
    fn progress_is_quiet_when_stdout_or_stderr_is_not_a_terminal() {
        assert!(!terminal([false, true, false, false]).shows_progress());
        assert!(!terminal([true, false, false, false]).shows_progress());
        assert!(!terminal([false, false, false, false]).shows_progress());
    }

    #[test]
    fn progress_is_quiet_in_ci_or_on_a_dumb_terminal() {
        assert!(!terminal([true, true, true, false]).shows_progress());
        assert!(!terminal([true, true, false, true]).shows_progress());
    }
}
