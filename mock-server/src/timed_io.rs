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

    fn requests_and_busy(&self) -> (u64, bool) {
        let state = self.lock();
        (state.requests, state.busy)
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
    /// Bytes of the next head have arrived (reset with `head_started`).
    head_bytes: bool,
    /// When the head being read started (`None` between requests): read
    /// from the clock at its first wait, not at its first byte, so a head
    /// that arrives whole (the usual case) costs no clock read.
    head_started: Option<Instant>,
    /// `PhaseState::requests` when `head_started` was last brought up to date.
    seen_requests: u64,
    /// When a write that had to wait made progress (a write taken at once
    /// ends within microseconds of the answer, `PhaseState::idle_since`).
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
            head_bytes: false,
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
                    let (requests, busy) = this.phase.requests_and_busy();
                    this.catch_up(requests);
                    if !busy {
                        this.head_bytes = true;
                    }
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => {
                let deadline = this.read_deadline_from_now();
                ready!(this.arm_read_timer(deadline, cx));
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

impl<T> TimedIo<T> {
    /// A new request began since the last look: its head is complete.
    fn catch_up(&mut self, requests: u64) {
        if requests != self.seen_requests {
            self.seen_requests = requests;
            self.head_bytes = false;
            self.head_started = None;
        }
    }

    /// When the read side times out, from where the connection is now:
    /// `None` while a request is handled (the router bounds its body) or
    /// for a timeout too long to represent.
    fn read_deadline_from_now(&mut self) -> Option<Instant> {
        let (requests, busy, idle_since) = {
            let state = self.phase.lock();
            (state.requests, state.busy, state.idle_since)
        };
        self.catch_up(requests);
        if busy {
            None
        } else if self.head_bytes {
            let started = *self.head_started.get_or_insert_with(Instant::now);
            started.checked_add(self.timeouts.header)
        } else if requests == 0 {
            // A new connection: the head wait starts at accept.
            idle_since.checked_add(self.timeouts.header)
        } else {
            let since = self.last_write.map_or(idle_since, |w| w.max(idle_since));
            since.checked_add(self.timeouts.idle)
        }
    }

    /// Sets the read timer to `deadline` and registers `cx`'s task with it:
    /// ready once the deadline has passed, never without one.
    fn arm_read_timer(&mut self, deadline: Option<Instant>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(deadline) = deadline else {
            self.read_deadline = None;
            return Poll::Pending;
        };
        if self.read_deadline != Some(deadline) {
            self.read_timer.as_mut().reset(deadline);
            self.read_deadline = Some(deadline);
        }
        self.read_timer.as_mut().poll(cx)
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
                if this.write_armed {
                    this.last_write = Some(Instant::now());
                    this.write_armed = false;
                }
                if this.read_deadline.is_none() {
                    // The last read waited during a request, with no timer,
                    // and hyper polls the read side again only when woken.
                    // The same task writes: the idle timer is armed for it
                    // here (waking the task to poll the read side again
                    // would cost a whole poll per request).
                    let deadline = this.read_deadline_from_now();
                    if this.arm_read_timer(deadline, cx).is_ready() {
                        cx.waker().wake_by_ref();
                    }
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};
    use std::time::Duration;

    use tokio::io::DuplexStream;

    use super::*;

    /// Counts the wakes of the task it stands for.
    #[derive(Default)]
    struct Wakes(AtomicUsize);

    impl Wake for Wakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A connection's IO (header timeout 5 s, idle 60 s), its peer's end
    /// and its phase.
    fn connection() -> (TimedIo<DuplexStream>, DuplexStream, Arc<Phase>) {
        let (peer, stream) = tokio::io::duplex(1024);
        let phase = Phase::new();
        let timeouts = Timeouts {
            header: Duration::from_secs(5),
            idle: Duration::from_secs(60),
            write: Duration::from_secs(10),
        };
        (
            TimedIo::new(stream, Arc::clone(&phase), timeouts),
            peer,
            phase,
        )
    }

    #[tokio::test]
    async fn after_an_answer_the_idle_timer_is_armed_without_polling_the_task_again() {
        let (mut io, _peer, phase) = connection();
        let counted = Arc::new(Wakes::default());
        let waker = Waker::from(Arc::clone(&counted));
        let mut cx = Context::from_waker(&waker);
        // While a request is handled the read side waits with no timer.
        let busy = phase.begin();
        let mut bytes = [0; 16];
        let mut buf = ReadBuf::new(&mut bytes);
        assert!(Pin::new(&mut io).poll_read(&mut cx, &mut buf).is_pending());
        assert_eq!(io.read_deadline, None);
        drop(busy);
        let answered = Instant::now();
        let written = Pin::new(&mut io).poll_write(&mut cx, b"HTTP/1.1 200 OK\r\n\r\n");
        assert!(matches!(written, Poll::Ready(Ok(19))));
        let deadline = io.read_deadline.expect("the idle timer is armed");
        assert!(
            deadline >= answered + Duration::from_secs(59),
            "{deadline:?}"
        );
        assert!(deadline <= Instant::now() + Duration::from_secs(60));
        assert_eq!(counted.0.load(Ordering::Relaxed), 0, "the task was woken");
    }

    #[tokio::test]
    async fn a_head_that_waits_is_timed_from_its_first_wait() {
        let (mut io, mut peer, phase) = connection();
        let waker = Waker::from(Arc::new(Wakes::default()));
        let mut cx = Context::from_waker(&waker);
        // One request answered: the connection is idle.
        drop(phase.begin());
        tokio::io::AsyncWriteExt::write_all(&mut peer, b"GET / HT")
            .await
            .unwrap();
        let mut bytes = [0; 16];
        let mut buf = ReadBuf::new(&mut bytes);
        assert!(matches!(
            Pin::new(&mut io).poll_read(&mut cx, &mut buf),
            Poll::Ready(Ok(()))
        ));
        assert_eq!(io.head_started, None, "no clock read for the bytes");
        let waited = Instant::now();
        assert!(Pin::new(&mut io).poll_read(&mut cx, &mut buf).is_pending());
        let started = io.head_started.expect("timed from the first wait");
        assert!(started >= waited);
        assert_eq!(io.read_deadline, Some(started + Duration::from_secs(5)));
    }
}
