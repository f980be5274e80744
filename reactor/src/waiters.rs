//! The tasks waiting on a source, per direction.
//!
//! The common case, one task waiting, costs no lock: its waker sits in a
//! [`WakerSlot`]. Further waiters (many `accept()` calls on one listener, two
//! tasks reading one `&TcpStream`) go to a mutex-protected list. A wake-up
//! takes the slot's waker and the whole list: every waiter is woken, and a
//! woken task that finds nothing to do simply waits again.
//!
//! # Invariants
//! 2. No lost wake-up: a registrant that publishes its waker (slot or list)
//!    and then re-reads the readiness word either sees the event or is woken.
//!    For the slot this is the AtomicWaker argument (the slot's invariant,
//!    `runtime_executor::WakerSlot`). For the list it is a Dekker pair: the registrant sets
//!    `has_more`, then a SeqCst fence, then reads readiness; the reactor updates
//!    readiness, then a SeqCst fence, then reads `has_more`. At least one of
//!    them sees the other's write.

use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::task::Waker;

use runtime_executor::{Register, WakerSlot};

use crate::readiness::Direction;
use crate::sync::{fence, lock, AtomicBool, Mutex};

/// Everyone waiting on a source: per direction a slot for the first waiter,
/// and one list, shared by both directions, for the rest (rare, so one list
/// keeps an idle registration small).
#[derive(Debug)]
pub(crate) struct Waiters {
    slots: [WakerSlot; 2],
    has_more: [AtomicBool; 2],
    more: Mutex<Vec<(Direction, Waker)>>,
}

fn index(direction: Direction) -> usize {
    match direction {
        Direction::Read => 0,
        Direction::Write => 1,
    }
}

impl Waiters {
    pub(crate) fn new() -> Waiters {
        Waiters {
            slots: [WakerSlot::new(), WakerSlot::new()],
            has_more: [AtomicBool::new(false), AtomicBool::new(false)],
            more: Mutex::new(Vec::new()),
        }
    }

    /// Registers `waker` to be woken by the next [`Waiters::take_all`] for
    /// `direction`. The caller then re-checks readiness (invariant 2).
    pub(crate) fn register(&self, direction: Direction, waker: &Waker) {
        // Another task waiting in the slot keeps waiting, in the list.
        match self.slots[index(direction)].register(waker, |displaced| self.push_more(direction, displaced.clone())) {
            Register::Stored | Register::Woken => {}
            Register::Busy => self.push_more(direction, waker.clone()),
        }
        // SeqCst: the registrant's side of invariant 2, before it re-reads readiness.
        fence(SeqCst);
    }

    fn push_more(&self, direction: Direction, waker: Waker) {
        let mut more = lock(&self.more);
        if !more.iter().any(|(d, w)| *d == direction && w.will_wake(&waker)) {
            more.push((direction, waker));
        }
        // Relaxed: the mutex and the fences order it (invariant 2).
        self.has_more[index(direction)].store(true, Relaxed);
    }

    /// Moves every waker registered for `direction` into `wakers`. The caller
    /// has already updated the readiness word.
    pub(crate) fn take_all(&self, direction: Direction, wakers: &mut Vec<Waker>) {
        let i = index(direction);
        wakers.extend(self.slots[i].take());
        // SeqCst: the reactor's side of invariant 2.
        fence(SeqCst);
        if self.has_more[i].load(Relaxed) {
            let mut more = lock(&self.more);
            self.has_more[i].store(false, Relaxed);
            let mut i = 0;
            while i < more.len() {
                if more[i].0 == direction {
                    wakers.push(more.swap_remove(i).1);
                } else {
                    i += 1;
                }
            }
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::{Arc, AtomicUsize};

    /// A waker that counts its wake-ups.
    fn counting_waker() -> (Waker, Arc<AtomicUsize>) {
        struct Count(Arc<AtomicUsize>);
        impl std::task::Wake for Count {
            fn wake(self: std::sync::Arc<Self>) {
                self.0.fetch_add(1, Relaxed);
            }
        }
        let count = Arc::new(AtomicUsize::new(0));
        (Waker::from(std::sync::Arc::new(Count(count.clone()))), count)
    }

    /// Two tasks register while the reactor publishes readiness and takes the
    /// waiters: each task either sees the readiness or is woken.
    #[test]
    fn loom_waiters_no_lost_wakeup() {
        loom::model(|| {
            let waiters = Arc::new(Waiters::new());
            let ready = Arc::new(AtomicBool::new(false));
            let tasks: Vec<_> = (0..2)
                .map(|_| {
                    let (waiters, ready) = (waiters.clone(), ready.clone());
                    loom::thread::spawn(move || {
                        let (waker, count) = counting_waker();
                        waiters.register(Direction::Read, &waker);
                        (ready.load(SeqCst), count)
                    })
                })
                .collect();
            ready.store(true, SeqCst);
            let mut wakers = Vec::new();
            waiters.take_all(Direction::Read, &mut wakers);
            wakers.into_iter().for_each(Waker::wake);
            // Join both first: a registrant may wake the waiter it displaced.
            let results: Vec<_> = tasks.into_iter().map(|task| task.join().unwrap()).collect();
            for (saw_ready, count) in results {
                assert!(saw_ready || count.load(Relaxed) > 0, "a waiter was lost");
            }
        });
    }
}
