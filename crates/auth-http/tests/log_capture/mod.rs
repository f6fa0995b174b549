//! Log lines written on the test's own thread, captured by a thread-local
//! `tracing` subscriber. Shared by the tests that read what was logged.
//!
//! `tracing` caches, process-wide, whether a callsite is enabled, as the
//! first thread to reach it sees it: a sibling test's thread with no
//! subscriber would cache "never", and the capture would miss that event
//! (a count of 0, or a "nothing secret was logged" that holds because
//! nothing was). A global subscriber (a bare registry: it keeps nothing)
//! gives every thread one, so each callsite asks every subscriber.
#![allow(dead_code, reason = "each user reads the log its own way")]

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use tracing::subscriber::DefaultGuard;

/// What the thread logged while its guard lived.
#[derive(Clone, Default)]
pub(crate) struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    /// Everything logged so far.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }

    /// How many times `needle` was logged.
    pub(crate) fn count(&self, needle: &str) -> usize {
        self.text().matches(needle).count()
    }
}

/// Captures this thread's events at `level` and above until the guard drops.
pub(crate) fn capture(level: tracing::Level) -> (Capture, DefaultGuard) {
    // Fails only when already set, by an earlier test of the binary.
    let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry());
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();
    (capture, guard)
}
