//! Connection timeouts hyper does not have ([`TimedIo`]): the wait for a
//! request head, the wait of an idle kept-alive connection, and a write
//! that makes no progress. The model is Go's `http.Server`
//! (`ReadHeaderTimeout`, `IdleTimeout`) and nginx's `send_timeout`:
//!
//! - a new connection has `header` from accept to send a complete head;
//! - between requests it has `idle` to start the next one, then `header`
//!   from the head's first byte (hyper's own header timer would start at
//!   the end of the previous answer, so idle could never be longer than it);
//! - a write (or flush) that stays pending for `write` fails: a peer that
//!   stops reading loses the connection instead of holding it forever.
//!   The timer restarts at every bit of progress, so a slow reader that
//!   keeps reading is served.
//!
//! The body is bounded by the router (`body_timeout`). Where a request
//! starts and ends is only known to the router: it marks both on the
//! connection's [`Phase`].

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The three connection timeouts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    pub(crate) header: Duration,
    pub(crate) idle: Duration,
    pub(crate) write: Duration,
}

/// Where a connection is between requests, shared by its IO and its router.
#[derive(Debug)]
pub(crate) struct Phase(Mutex<PhaseState>);

#[derive(Debug)]
struct PhaseState {
    /// A request is being handled (its head is complete).
    busy: bool,
    /// A write is waiting for the peer: an answer is still going out.
    writing: bool,
    /// Requests handed to the router so far.
    requests: u64,
    /// When the last request was answered (or the connection accepted).
    idle_since: Instant,
}

impl Phase {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(PhaseState {
            busy: false,
            writing: false,
            requests: 0,
            idle_since: Instant::now(),
        })))
    }

    /// A request head is complete; the returned guard marks the end of its
    /// handling when dropped.
    pub(crate) fn begin(self: &Arc<Self>) -> Busy {
        let mut state = self.lock();
        state.busy = true;
        state.requests += 1;
        Busy(Arc::clone(self))
    }

    /// No request is being handled and no answer is being written: the
    /// connection waits for a request head, or is part way through one.
    pub(crate) fn is_quiet(&self) -> bool {
        let state = self.lock();
        !state.busy && !state.writing
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PhaseState> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One request being handled ([`Phase::begin`]).
#[derive(Debug)]
pub(crate) struct Busy(Arc<Phase>);

impl Drop for Busy {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.busy = false;
        state.idle_since = Instant::now();
    }
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, format!("{what} timeout"))
}

/// A connection's IO with the header, idle and write timeouts.
#[derive(Debug)]
pub(crate) struct TimedIo<T> {
    inner: T,
    phase: Arc<Phase>,
    timeouts: Timeouts,
    /// The read timer and the deadline it is set to.
    read_timer: Pin<Box<Sleep>>,
    read_deadline: Option<Instant>,
    /// First byte of the head being read (`None` between requests).
    head_started: Option<Instant>,
    /// `PhaseState::requests` when `head_started` was last brought up to date.
    seen_requests: u64,
    /// Last progress of a write.
    last_write: Option<Instant>,
    write_timer: Pin<Box<Sleep>>,
    write_armed: bool,
    /// `PhaseState::writing` was set by this IO and not yet cleared.
    marked_writing: bool,
}

impl<T> TimedIo<T> {
    pub(crate) fn new(inner: T, phase: Arc<Phase>, timeouts: Timeouts) -> Self {
        let now = Instant::now();
        Self {
            inner,
            phase,
            timeouts,
            read_timer: Box::pin(tokio::time::sleep_until(now)),
            read_deadline: None,
            head_started: None,
            seen_requests: 0,
            last_write: None,
            write_timer: Box::pin(tokio::time::sleep_until(now)),
            write_armed: false,
            marked_writing: false,
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for TimedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    let state = this.phase.lock();
                    if state.requests != this.seen_requests {
                        this.seen_requests = state.requests;
                        this.head_started = None;
                    }
                    if !state.busy && this.head_started.is_none() {
                        this.head_started = Some(Instant::now());
                    }
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => {
                let deadline = {
                    let state = this.phase.lock();
                    if state.requests != this.seen_requests {
                        this.seen_requests = state.requests;
                        this.head_started = None;
                    }
                    if state.busy {
                        // The router bounds the body; the answer is being made.
                        None
                    } else if let Some(started) = this.head_started {
                        started.checked_add(this.timeouts.header)
                    } else if state.requests == 0 {
                        // A new connection: the head wait starts at accept.
                        state.idle_since.checked_add(this.timeouts.header)
                    } else {
                        let since = this
                            .last_write
                            .map_or(state.idle_since, |w| w.max(state.idle_since));
                        since.checked_add(this.timeouts.idle)
                    }
                };
                // None also for a timeout too long to represent: it never fires.
                let Some(deadline) = deadline else {
                    this.read_deadline = None;
                    return Poll::Pending;
                };
                if this.read_deadline != Some(deadline) {
                    this.read_timer.as_mut().reset(deadline);
                    this.read_deadline = Some(deadline);
                }
                ready!(this.read_timer.as_mut().poll(cx));
                let what = if this.head_started.is_some() || this.phase.lock().requests == 0 {
                    "request head"
                } else {
                    "idle connection"
                };
                Poll::Ready(Err(timed_out(what)))
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> TimedIo<T> {
    /// Disarms the write timer on progress; arms it (once) while pending and
    /// fails the write when it fires.
    fn on_write<R>(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        poll: impl FnOnce(Pin<&mut T>, &mut Context<'_>) -> Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        let this = self.get_mut();
        match poll(Pin::new(&mut this.inner), cx) {
            Poll::Ready(result) => {
                if this.marked_writing {
                    this.phase.lock().writing = false;
                    this.marked_writing = false;
                }
                this.write_armed = false;
                this.last_write = Some(Instant::now());
                if this.read_deadline.is_none() {
                    // The last read waited during a request, with no timer.
                    // hyper polls the read side again only when woken (its
                    // own header timer would do that): after an answer,
                    // have it poll now so the idle timer starts.
                    cx.waker().wake_by_ref();
                }
                Poll::Ready(result)
            }
            Poll::Pending => {
                if !this.marked_writing {
                    this.phase.lock().writing = true;
                    this.marked_writing = true;
                }
                if !this.write_armed {
                    // A timeout too long to represent never fires.
                    let Some(deadline) = Instant::now().checked_add(this.timeouts.write) else {
                        return Poll::Pending;
                    };
                    this.write_timer.as_mut().reset(deadline);
                    this.write_armed = true;
                }
                ready!(this.write_timer.as_mut().poll(cx));
                Poll::Ready(Err(timed_out("write")))
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for TimedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.on_write(cx, |inner, cx| inner.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.on_write(cx, |inner, cx| inner.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.on_write(cx, AsyncWrite::poll_flush)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.on_write(cx, AsyncWrite::poll_shutdown)
    }
}
