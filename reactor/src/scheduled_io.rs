//! [`ScheduledIo`]: the reactor's side of one registered source, its
//! readiness word (readiness.rs) and its waiters (waiters.rs).

use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll, Waker};

use crate::readiness::{self, Direction, Ready, ReadyEvent};
use crate::sync::AtomicUsize;
use crate::waiters::Waiters;

/// The reactor's side of one source: its readiness word and its waiters.
#[derive(Debug)]
pub(crate) struct ScheduledIo {
    /// See readiness.rs for the layout.
    readiness: AtomicUsize,
    waiters: Waiters,
}

impl ScheduledIo {
    pub(crate) fn new() -> ScheduledIo {
        ScheduledIo { readiness: AtomicUsize::new(0), waiters: Waiters::new() }
    }

    /// Stores an event and collects the wakers it concerns. Hang-ups and
    /// errors wake both directions.
    pub(crate) fn dispatch(&self, ready: Ready, wakers: &mut Vec<Waker>) {
        // SeqCst: the reactor's side of waiters.rs invariant 2.
        let _ = self.readiness.fetch_update(SeqCst, SeqCst, |word| Some(readiness::with_event(word, ready)));
        if ready.is_hangup() || ready.intersects(Direction::Read.mask()) {
            self.waiters.take_all(Direction::Read, wakers);
        }
        if ready.is_hangup() || ready.intersects(Direction::Write.mask()) {
            self.waiters.take_all(Direction::Write, wakers);
        }
    }

    pub(crate) fn current(&self, direction: Direction) -> ReadyEvent {
        // SeqCst: the waiter's side of waiters.rs invariant 2.
        let mut event = readiness::unpack(self.readiness.load(SeqCst));
        event.ready = event.ready & direction.mask();
        event
    }

    pub(crate) fn poll_ready(&self, direction: Direction, cx: &mut Context<'_>) -> Poll<ReadyEvent> {
        let event = self.current(direction);
        if !event.ready.is_empty() {
            return Poll::Ready(event);
        }
        self.waiters.register(direction, cx.waker());
        // Re-check: an event stored before our waker was visible did not wake us.
        let event = self.current(direction);
        if event.ready.is_empty() {
            Poll::Pending
        } else {
            Poll::Ready(event)
        }
    }

    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        // SeqCst: one total order with the reactor's updates of the same word.
        let _ = self.readiness.fetch_update(SeqCst, SeqCst, |word| readiness::cleared(word, event));
    }
}
