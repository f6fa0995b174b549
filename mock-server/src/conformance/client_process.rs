//! The client under test as a process tree: spawned in a process group of
//! its own, polled until it exits or the scenario deadline passes, then
//! every process it left behind is killed and its output collected, all
//! within the deadline.
//!
//! Killing the process group is not enough: a client may start a helper
//! with `setsid` (or a double fork into a new group), which leaves the
//! group, outlives the client and keeps the output pipes open. On Linux
//! the runner therefore
//! - marks the client with a run id in its environment
//!   ([`RUN_ID_VAR`], inherited by every descendant, the cookie Jenkins'
//!   process tree killer uses for the same job) and also recognises any
//!   process that holds the run's output pipes;
//! - makes itself a child subreaper (`PR_SET_CHILD_SUBREAPER`, as Bazel's
//!   process wrapper and tini `-s` do), so a descendant whose parent dies
//!   is re-parented to the runner instead of init: it cannot be reaped,
//!   and its pid cannot be reused, until the runner waits for it, so
//!   killing it by pid is race-free;
//! - kills the process group while the leader is still an unreaped zombie
//!   (the group id cannot be reused by an unrelated process until the
//!   leader is reaped), then reaps the leader, then kills and reaps the
//!   marked processes until none is left (and reaps the group's members
//!   that were handed to it, so no zombie is left behind).
//!
//! Signals are sent with system calls (rustix), never by running `kill`.
//! Elsewhere on Unix the group is killed (after the leader is reaped) and
//! on other systems the leader alone; everywhere, waiting for the output
//! ends at the deadline.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::check::Exit;
use super::runner::MAX_OUTPUT_BYTES;

/// The environment variable that marks every process of one client run.
pub(super) const RUN_ID_VAR: &str = "MOCK_CONFORMANCE_RUN_ID";

/// How often a client process is polled for its exit.
const POLL: Duration = Duration::from_millis(10);
/// After a kill at (or past) the deadline: how long the output readers may
/// take to see the end of their pipes.
const OUTPUT_GRACE: Duration = Duration::from_millis(250);
/// After the deadline: how long the sweep for stray processes may go on.
const SWEEP_GRACE: Duration = Duration::from_secs(1);

/// How a client process ended, and what it wrote.
#[derive(Debug)]
pub(super) struct Finished {
    pub(super) exit: Exit,
    pub(super) stdout: String,
    pub(super) stderr: String,
    /// Processes the client left running outside its process group,
    /// killed by the runner.
    pub(super) stray_processes: usize,
    /// Some process still held stdout or stderr open when the wait for
    /// them ended.
    pub(super) output_held_open: bool,
}

impl Finished {
    pub(super) fn exited(exit: Exit) -> Self {
        Self {
            exit,
            stdout: String::new(),
            stderr: String::new(),
            stray_processes: 0,
            output_held_open: false,
        }
    }
}

/// Runs `argv` (no shell) with `vars` added to the environment until it
/// exits or `bound` passes, and cleans up after it (module docs).
pub(super) fn run(argv: &[String], vars: Vec<(&'static str, String)>, bound: Duration) -> Finished {
    let started = Instant::now();
    let deadline = started.checked_add(bound).unwrap_or_else(far_future);
    let Some((program, arguments)) = argv.split_first() else {
        return Finished::exited(Exit::SpawnFailed("empty command".to_owned()));
    };
    let run_id = new_run_id();
    let mut command = Command::new(program);
    command
        .args(arguments)
        .envs(vars)
        .env(RUN_ID_VAR, &run_id)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        command.process_group(0);
    }
    #[cfg(target_os = "linux")]
    sweep::become_subreaper();
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return Finished::exited(Exit::SpawnFailed(format!("{program}: {e}"))),
    };
    #[cfg(target_os = "linux")]
    let marks = sweep::Marks::new(&run_id, &child);
    let stdout = child.stdout.take().map(Capture::start);
    let stderr = child.stderr.take().map(Capture::start);
    let exit = loop {
        match has_exited(&mut child) {
            Ok(true) => break None,
            Ok(false) if Instant::now() >= deadline => break Some(Exit::TimedOut),
            Ok(false) => std::thread::sleep(POLL),
            Err(e) => break Some(Exit::SpawnFailed(e.to_string())),
        }
    };
    // The leader is a zombie (it exited) or alive (timed out): either way
    // its group id is still taken, so the group kill cannot hit a stranger.
    kill_group(&mut child);
    let status = child.wait();
    let exit = exit.unwrap_or_else(|| match status {
        Ok(status) => status.code().map_or(Exit::Signal, Exit::Code),
        Err(e) => Exit::SpawnFailed(e.to_string()),
    });
    #[cfg(target_os = "linux")]
    let stray_processes = sweep::kill_marked(&marks, deadline.max(Instant::now()) + SWEEP_GRACE);
    #[cfg(not(target_os = "linux"))]
    let stray_processes = 0;
    let until = deadline.max(Instant::now() + OUTPUT_GRACE);
    let (stdout, stdout_open) = stdout.map(|c| c.finish(until)).unwrap_or_default();
    let (stderr, stderr_open) = stderr.map(|c| c.finish(until)).unwrap_or_default();
    Finished {
        exit,
        stdout,
        stderr,
        stray_processes,
        output_held_open: stdout_open || stderr_open,
    }
}

fn far_future() -> Instant {
    // A bound too large to add is no bound: a century stands in for it.
    Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600)
}

/// An id no other run on this machine carries: the runner's pid, a
/// counter, and randomness against a recycled pid.
fn new_run_id() -> String {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{}-{n}-{:016x}", std::process::id(), rand::random::<u64>())
}

/// True once the leader has exited. On Linux it is left unreaped (a
/// zombie), so that its process group id stays reserved for the group kill.
#[cfg(target_os = "linux")]
fn has_exited(child: &mut Child) -> std::io::Result<bool> {
    use rustix::process::{Pid, WaitId, WaitIdOptions, waitid};
    let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
    Ok(waitid(WaitId::Pid(Pid::from_child(child)), options)?.is_some())
}

/// True once the leader has exited (reaped: `waitid` is not used here).
#[cfg(not(target_os = "linux"))]
fn has_exited(child: &mut Child) -> std::io::Result<bool> {
    Ok(child.try_wait()?.is_some())
}

/// SIGKILL to the leader's process group (the leader included). A group
/// with no live member left is not an error.
#[cfg(unix)]
fn kill_group(child: &mut Child) {
    use rustix::process::{Pid, Signal, kill_process_group};
    let _ = kill_process_group(Pid::from_child(child), Signal::KILL);
}

/// No process groups here: the leader alone.
#[cfg(not(unix))]
fn kill_group(child: &mut Child) {
    let _ = child.kill();
}

/// A thread reading one pipe to its end, keeping at most
/// [`MAX_OUTPUT_BYTES`] where the runner can take them at any time.
struct Capture {
    kept: Arc<Mutex<Vec<u8>>>,
    done: mpsc::Receiver<()>,
}

impl Capture {
    fn start(mut pipe: impl Read + Send + 'static) -> Self {
        let kept = Arc::new(Mutex::new(Vec::new()));
        let (tx, done) = mpsc::channel();
        let sink = Arc::clone(&kept);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            loop {
                match pipe.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let mut kept = sink.lock().unwrap_or_else(PoisonError::into_inner);
                        let room = MAX_OUTPUT_BYTES.saturating_sub(kept.len());
                        kept.extend_from_slice(buffer.get(..n.min(room)).unwrap_or_default());
                    }
                }
            }
            let _ = tx.send(());
        });
        Self { kept, done }
    }

    /// What arrived by `until` (lossy UTF-8), and whether the pipe was
    /// still open then (the reader thread is left to end with it).
    fn finish(self, until: Instant) -> (String, bool) {
        let wait = until.saturating_duration_since(Instant::now());
        let open = matches!(self.done.recv_timeout(wait), Err(RecvTimeoutError::Timeout));
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        (String::from_utf8_lossy(&kept).into_owned(), open)
    }
}

#[cfg(target_os = "linux")]
mod sweep {
    //! Finding and killing the processes a client left behind (Linux).

    use std::collections::HashSet;
    use std::os::unix::fs::MetadataExt as _;
    use std::process::Child;
    use std::time::Instant;

    use rustix::process::{Pid, Signal, WaitOptions, getpid, kill_process, waitpid};

    use super::{POLL, RUN_ID_VAR};

    /// Makes this process the reaper of its orphaned descendants, once.
    /// Where that is refused (an old kernel, a seccomp filter), strays are
    /// still found and killed, by pid.
    pub(super) fn become_subreaper() {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let _ = rustix::process::set_child_subreaper(Some(getpid()));
        });
    }

    /// What marks a process as part of one client run.
    pub(super) struct Marks {
        /// The client's process group (its leader's pid).
        group: Pid,
        /// `RUN_ID_VAR=<id>`, one entry of `/proc/<pid>/environ`.
        environ_entry: Vec<u8>,
        /// `pipe:[<inode>]` of the client's stdout and stderr, as
        /// `/proc/<pid>/fd/*` links name them.
        pipes: Vec<String>,
    }

    impl Marks {
        /// Call before the pipes are taken from `child`.
        pub(super) fn new(run_id: &str, child: &Child) -> Self {
            use std::os::fd::AsFd as _;
            let inode = |fd: std::os::fd::BorrowedFd<'_>| {
                let file = std::fs::File::from(fd.try_clone_to_owned().ok()?);
                Some(format!("pipe:[{}]", file.metadata().ok()?.ino()))
            };
            let pipes = [
                child.stdout.as_ref().and_then(|p| inode(p.as_fd())),
                child.stderr.as_ref().and_then(|p| inode(p.as_fd())),
            ]
            .into_iter()
            .flatten()
            .collect();
            Self {
                group: Pid::from_child(child),
                environ_entry: format!("{RUN_ID_VAR}={run_id}").into_bytes(),
                pipes,
            }
        }

        fn mark(&self, pid: &str) -> Option<Mark> {
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            if environ
                .split(|b| *b == 0)
                .any(|entry| entry == self.environ_entry.as_slice())
            {
                return Some(Mark::Environ);
            }
            let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
            let holds_pipe = fds.filter_map(Result::ok).any(|fd| {
                std::fs::read_link(fd.path())
                    .is_ok_and(|target| self.pipes.iter().any(|p| target.as_os_str() == p.as_str()))
            });
            holds_pipe.then_some(Mark::Pipe)
        }
    }

    /// Why a process belongs to the run.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Mark {
        /// It carries the run id: a descendant of the client.
        Environ,
        /// It is (or was: a zombie) in the client's process group, killed
        /// with it; not a stray, but it may need reaping.
        Group,
        /// It holds the client's stdout or stderr without the run id: a
        /// descendant that cleared its environment, or, for an instant, a
        /// process this runner is forking for another run (its fd table is
        /// a copy of ours until it execs). Only acted on when seen in two
        /// scans in a row.
        Pipe,
    }

    /// Kills every marked process, round after round (a killed parent
    /// hands its children to this process), until none is left or `until`
    /// passes. Returns how many were killed.
    pub(super) fn kill_marked(marks: &Marks, until: Instant) -> usize {
        let me = getpid();
        let mut killed = HashSet::new();
        let mut pipe_only_before = HashSet::new();
        loop {
            let found = scan(marks, me);
            if found.is_empty() || Instant::now() >= until {
                break;
            }
            let marked: HashSet<Pid> = found.iter().map(|m| m.pid).collect();
            let mut pipe_only = HashSet::new();
            for process in &found {
                let ours = process.parent == Some(me);
                match process.mark {
                    Mark::Pipe if !pipe_only_before.contains(&process.pid) => {
                        pipe_only.insert(process.pid);
                    }
                    // Killed with the group already; reap those handed to us.
                    Mark::Group if ours => {
                        let _ = waitpid(Some(process.pid), WaitOptions::empty());
                    }
                    Mark::Group => {}
                    Mark::Environ | Mark::Pipe if ours => {
                        // Our child (re-parented here): only we can reap it,
                        // so the pid is still this process when the signal
                        // lands.
                        let _ = kill_process(process.pid, Signal::KILL);
                        let _ = waitpid(Some(process.pid), WaitOptions::empty());
                        killed.insert(process.pid);
                    }
                    Mark::Environ | Mark::Pipe => {
                        // Not below us (no subreaper): by pid, best effort.
                        // A child of a marked process is handed to us once
                        // its parent dies: next round.
                        let below_marked = process.parent.is_some_and(|p| marked.contains(&p));
                        if !below_marked && kill_process(process.pid, Signal::KILL).is_ok() {
                            killed.insert(process.pid);
                        }
                    }
                }
            }
            pipe_only_before = pipe_only;
            std::thread::sleep(POLL);
        }
        killed.len()
    }

    struct Marked {
        pid: Pid,
        parent: Option<Pid>,
        mark: Mark,
    }

    /// Marked processes other than this one.
    fn scan(marks: &Marks, me: Pid) -> Vec<Marked> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let pid = Pid::from_raw(name.parse().ok()?)?;
                if pid == me {
                    return None;
                }
                let (parent, group) = parent_and_group(&name)?;
                let mark = if group == Some(marks.group) {
                    Mark::Group
                } else {
                    marks.mark(&name)?
                };
                Some(Marked { pid, parent, mark })
            })
            .collect()
    }

    /// The parent pid and the process group, from `/proc/<pid>/stat`: the
    /// two fields after the state, which follows the command name in
    /// parentheses (and the name may itself hold spaces and parentheses).
    fn parent_and_group(pid: &str) -> Option<(Option<Pid>, Option<Pid>)> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let (_, after_name) = stat.rsplit_once(')')?;
        let mut fields = after_name.split_whitespace().skip(1);
        let mut next = || fields.next()?.parse().ok().and_then(Pid::from_raw);
        Some((next(), next()))
    }
}
