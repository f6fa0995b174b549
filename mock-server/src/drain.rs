//! Graceful stop for the connections the server holds ([`Connections`]),
//! with no write to memory shared by every connection on the request path.
//!
//! hyper-util's `GracefulShutdown` and a `watch` borrow did the same job,
//! but every poll of every connection locked the shared `Notify`'s waiter
//! list and the `watch`'s read lock. With two workers each of those is a
//! cache line moving between cores, several times per request. Here a
//! connection registers its waker in its own [`AtomicWaker`] and reads one
//! flag that is written once, when the server stops; the shared list is
//! touched only when a connection opens or closes.

use std::collections::HashMap;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;

use atomic_waker::AtomicWaker;
use tokio::sync::Notify;

/// The open connections and whether the server is stopping.
#[derive(Debug, Default)]
pub(crate) struct Connections {
    stopping: AtomicBool,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<AtomicWaker>>>,
    /// Signalled when the last open connection closes after a stop.
    closed: Notify,
}

impl Connections {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Registers a new connection; it counts as open until the returned
    /// handle is dropped.
    pub(crate) fn open(self: &Arc<Self>) -> Open {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let waker = Arc::new(AtomicWaker::new());
        self.lock().insert(id, Arc::clone(&waker));
        Open {
            connections: Arc::clone(self),
            id,
            waker,
        }
    }

    /// Marks the server stopping and wakes every open connection, so each
    /// sees the flag at once.
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        for waker in self.lock().values() {
            waker.wake();
        }
    }

    /// Resolves once no connection is open.
    pub(crate) async fn closed(&self) {
        let mut closed = std::pin::pin!(self.closed.notified());
        loop {
            // Enabled before the check: a close between the check and the
            // wait is not missed.
            closed.as_mut().enable();
            if self.lock().is_empty() {
                return;
            }
            closed.as_mut().await;
            closed.set(self.closed.notified());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<AtomicWaker>>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One open connection ([`Connections::open`]).
#[derive(Debug)]
pub(crate) struct Open {
    connections: Arc<Connections>,
    id: u64,
    waker: Arc<AtomicWaker>,
}

impl Open {
    /// Whether the server is stopping; `cx`'s task is woken when it starts
    /// to.
    pub(crate) fn stopping(&self, cx: &std::task::Context<'_>) -> bool {
        self.waker.register(cx.waker());
        self.connections.stopping.load(Ordering::Acquire)
    }

    /// Resolves once the server is stopping.
    pub(crate) async fn stopped(&self) {
        poll_fn(|cx| {
            if self.stopping(cx) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        let mut open = self.connections.lock();
        open.remove(&self.id);
        if open.is_empty() {
            drop(open);
            self.connections.closed.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_stop_wakes_a_connection_waiting_for_it() {
        let connections = Connections::new();
        let open = connections.open();
        let waiting = tokio::spawn(async move { open.stopped().await });
        tokio::task::yield_now().await;
        connections.stop();
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("woken by the stop")
            .expect("no panic");
    }

    #[tokio::test]
    async fn a_connection_opened_after_the_stop_sees_it_at_once() {
        let connections = Connections::new();
        connections.stop();
        let open = connections.open();
        tokio::time::timeout(Duration::from_secs(5), open.stopped())
            .await
            .expect("stopping already");
    }

    #[tokio::test]
    async fn closed_waits_for_the_last_open_connection() {
        let connections = Connections::new();
        let (first, second) = (connections.open(), connections.open());
        let closed = tokio::spawn({
            let connections = Arc::clone(&connections);
            async move { connections.closed().await }
        });
        drop(first);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!closed.is_finished(), "one connection is still open");
        drop(second);
        tokio::time::timeout(Duration::from_secs(5), closed)
            .await
            .expect("resolves after the last close")
            .expect("no panic");
    }

    #[tokio::test]
    async fn closed_resolves_at_once_with_nothing_open() {
        let connections = Connections::new();
        tokio::time::timeout(Duration::from_secs(5), connections.closed())
            .await
            .expect("nothing to wait for");
    }
}
