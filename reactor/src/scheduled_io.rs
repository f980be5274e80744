//! [`ScheduledIo`]: the reactor's side of one registered source, its
//! readiness word (readiness.rs) and its waiters (waiters.rs).

use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll, Waker};

use crate::readiness::{self, Direction, Interest, Ready, ReadyEvent};
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

    /// The readiness in `interest`'s mask now.
    pub(crate) fn current(&self, interest: Interest) -> ReadyEvent {
        // SeqCst: the waiter's side of waiters.rs invariant 2.
        let mut event = readiness::unpack(self.readiness.load(SeqCst));
        event.ready = event.ready & interest.mask();
        event
    }

    pub(crate) fn poll_ready(&self, direction: Direction, cx: &mut Context<'_>) -> Poll<ReadyEvent> {
        self.poll_interest(Interest::from(direction), cx)
    }

    /// The readiness in `interest`'s mask, or a waker registered in each
    /// direction an event for it would come from.
    pub(crate) fn poll_interest(&self, interest: Interest, cx: &mut Context<'_>) -> Poll<ReadyEvent> {
        let current = || self.current(interest);
        let event = current();
        if !event.ready.is_empty() {
            return Poll::Ready(event);
        }
        for direction in interest.directions() {
            self.waiters.register(direction, cx.waker());
        }
        // Re-check: an event stored before our waker was visible did not wake us.
        let event = current();
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

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::{Arc, AtomicBool};

    use std::sync::atomic::Ordering::Relaxed;

    /// What the reading task ended with.
    #[derive(Debug, PartialEq)]
    enum Outcome {
        Read,
        Waiting,
    }

    /// The readiness tick on the real word: a task saw readiness from an old
    /// edge, its read found nothing (EAGAIN) and it clears what it saw, while
    /// the reactor stores a new edge. The new edge is never lost: the task
    /// reads the data, or it waits and was woken. (Clearing without the tick
    /// check fails here: the clear erases the new edge.)
    #[test]
    fn loom_clear_racing_a_new_edge_loses_nothing() {
        loom::model(|| {
            let io = Arc::new(ScheduledIo::new());
            // The socket's buffer: the kernel orders its writes and reads
            // (a lock here), and reports an edge only after the write.
            let data = Arc::new(crate::sync::Mutex::new(false));
            // An old edge whose data was read already.
            io.dispatch(Ready::READABLE, &mut Vec::new());
            let reactor = {
                let (io, data) = (io.clone(), data.clone());
                loom::thread::spawn(move || {
                    *crate::sync::lock(&data) = true;
                    let mut wakers = Vec::new();
                    io.dispatch(Ready::READABLE, &mut wakers);
                    wakers.into_iter().for_each(Waker::wake);
                })
            };
            let woken = Arc::new(AtomicBool::new(false));
            let waker = {
                struct Flag(Arc<AtomicBool>);
                impl std::task::Wake for Flag {
                    fn wake(self: std::sync::Arc<Self>) {
                        self.0.store(true, SeqCst);
                    }
                }
                Waker::from(std::sync::Arc::new(Flag(woken.clone())))
            };
            let mut cx = Context::from_waker(&waker);
            let mut outcome = None;
            let mut trace = Vec::new();
            // At most: the old edge, then the new one.
            for _ in 0..3 {
                match io.poll_ready(Direction::Read, &mut cx) {
                    Poll::Ready(event) if std::mem::take(&mut *crate::sync::lock(&data)) => {
                        trace.push(format!("read after {event:?}"));
                        outcome = Some(Outcome::Read);
                        break;
                    }
                    Poll::Ready(event) => {
                        trace.push(format!("EAGAIN after {event:?}"));
                        io.clear_readiness(event);
                        trace.push(format!("word now {:?}", readiness::unpack(io.readiness.load(SeqCst))));
                    }
                    Poll::Pending => {
                        outcome = Some(Outcome::Waiting);
                        break;
                    }
                }
            }
            reactor.join().unwrap();
            match outcome {
                Some(Outcome::Read) => {}
                Some(Outcome::Waiting) => assert!(
                    woken.load(Relaxed),
                    "the new edge was lost: {trace:?} final {:?}",
                    readiness::unpack(io.readiness.load(SeqCst))
                ),
                None => panic!("readiness stayed set with no data behind it"),
            }
        });
    }
}
