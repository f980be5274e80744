//! Who waits in epoll: the hand-off between the reactor thread and idle
//! workers, in one word.
//!
//! The reactor thread owns the epoll instance, but an idle worker may wait in
//! it instead: the tasks its events wake then land on that worker's own
//! queues, with no thread hop. One thread waits at a time:
//! ```text
//!            reactor: try_reactor                 worker: try_worker
//!   REACTOR ◀──────────────────── NOBODY ──────────────────────▶ WORKER
//!      └──── Turn dropped ─────────▶ ▲ ◀────── Turn dropped ────────┘
//! ```
//! # Invariants
//! 1. Only a [`Turn`] leaves NOBODY, and only its drop returns to NOBODY:
//!    at most one thread holds the wait, and every turn ends, on a normal
//!    return and on unwinding alike (a waker's code that panics while a
//!    worker dispatches cannot leave the word at WORKER, which would leave
//!    I/O to the reactor thread's stand-by naps for good).
//! 2. The Acquire of the CAS that starts a turn pairs with the Release of the
//!    store that ended the previous one: the next holder sees every write the
//!    last made to what the wait protects (the event buffers).
//! 3. A turn that ends with tasks to run stamps `last_release` first; the
//!    reactor thread stands by while a worker holds the wait or gave it back
//!    less than the hand-off window ago ([`Handoff::workers_have_it`]), and
//!    takes its own turn otherwise. The stamp is a relaxed hint: a stale one
//!    makes the reactor look once more after its next nap, never wait for good.

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::time::{Duration, Instant};

use crate::sync::{AtomicU64, AtomicU8};

const NOBODY: u8 = 0;
const REACTOR: u8 = 1;
const WORKER: u8 = 2;

/// The word that says who waits in epoll, and when a worker last gave it back.
#[derive(Debug)]
pub(crate) struct Handoff {
    word: AtomicU8,
    /// Nanoseconds since `epoch` when a turn last ended with tasks to run.
    last_release: AtomicU64,
    epoch: Instant,
}

/// The right to wait in epoll, until dropped (invariant 1).
#[derive(Debug)]
#[must_use = "the turn ends when it is dropped"]
pub(crate) struct Turn<'a> {
    handoff: &'a Handoff,
    /// Stamp `last_release` at the end: tasks woken now will want the wait back.
    stamps: bool,
}

impl Handoff {
    pub(crate) fn new() -> Handoff {
        Handoff { word: AtomicU8::new(NOBODY), last_release: AtomicU64::new(0), epoch: Instant::now() }
    }

    /// A worker's turn, when nobody waits.
    pub(crate) fn try_worker(&self) -> Option<Turn<'_>> {
        self.try_take(WORKER, true)
    }

    /// The reactor thread's turn, when nobody waits; with `stamps`, its end
    /// opens the hand-off window (workers will run the tasks it woke).
    pub(crate) fn try_reactor(&self, stamps: bool) -> Option<Turn<'_>> {
        self.try_take(REACTOR, stamps)
    }

    fn try_take(&self, who: u8, stamps: bool) -> Option<Turn<'_>> {
        // Acquire: invariant 2.
        let taken = self.word.compare_exchange(NOBODY, who, Acquire, Relaxed).is_ok();
        // Lazily: a turn built for a failed claim would end the holder's on drop.
        taken.then(|| Turn { handoff: self, stamps })
    }

    /// True while a worker waits in epoll, or gave the wait back less than
    /// `window` ago: the reactor thread stands by (invariant 3).
    pub(crate) fn workers_have_it(&self, window: Duration) -> bool {
        if self.word.load(Acquire) == WORKER {
            return true;
        }
        let released = Duration::from_nanos(self.last_release.load(Relaxed));
        self.epoch.elapsed().saturating_sub(released) < window
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let handoff = self.handoff;
        if self.stamps {
            handoff.last_release.store(handoff.epoch.elapsed().as_nanos() as u64, Relaxed);
        }
        // Release: invariant 2.
        handoff.word.store(NOBODY, Release);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn one_turn_at_a_time_and_each_ends_when_dropped() {
        let handoff = Handoff::new();
        let turn = handoff.try_worker().expect("nobody waits");
        assert!(handoff.try_reactor(false).is_none());
        assert!(handoff.try_worker().is_none());
        assert!(handoff.workers_have_it(Duration::ZERO), "a refused claim leaves the holder's turn alone");
        assert!(handoff.try_reactor(false).is_none());
        drop(turn);
        assert!(handoff.try_reactor(false).is_some());
    }

    #[test]
    fn a_turn_ends_when_its_holder_unwinds() {
        let handoff = Handoff::new();
        let unwound = std::panic::catch_unwind(|| {
            let _turn = handoff.try_worker().unwrap();
            panic!("a waker's code panicked");
        });
        assert!(unwound.is_err());
        assert!(handoff.try_reactor(false).is_some(), "the word was left at WORKER");
    }

    #[test]
    fn the_window_opens_when_a_worker_gives_the_wait_back() {
        let handoff = Handoff::new();
        drop(handoff.try_worker().unwrap());
        assert!(handoff.workers_have_it(Duration::from_secs(3600)));
        assert!(!handoff.workers_have_it(Duration::ZERO));
    }
}

#[cfg(all(test, loom))]
#[allow(unsafe_code)] // the model's probe cell, which only the turn's holder may touch
mod loom_tests {
    use super::*;
    use crate::sync::{Arc, UnsafeCell};

    /// A worker and the reactor thread each take the wait twice, one of the
    /// worker's turns ending as an unwinding one would (the guard's drop):
    /// never both at once (the cell's accesses would race), and the reactor's
    /// stand-by loop always gets its turn once the worker is done.
    #[test]
    fn loom_handoff_turns_exclude_and_always_end() {
        loom::model(|| {
            let shared = Arc::new((Handoff::new(), UnsafeCell::new(0u32)));
            let worker = {
                let shared = shared.clone();
                loom::thread::spawn(move || {
                    for _ in 0..2 {
                        if let Some(turn) = shared.0.try_worker() {
                            // SAFETY: the turn excludes every other holder (invariant 1).
                            shared.1.with_mut(|buffers| unsafe { *buffers += 1 });
                            drop(turn);
                        }
                    }
                })
            };
            let mut reactor_turns = 0;
            while reactor_turns < 2 {
                if shared.0.workers_have_it(Duration::ZERO) {
                    loom::thread::yield_now();
                    continue;
                }
                match shared.0.try_reactor(true) {
                    Some(_turn) => {
                        // SAFETY: as above.
                        shared.1.with_mut(|buffers| unsafe { *buffers += 1 });
                        reactor_turns += 1;
                    }
                    None => loom::thread::yield_now(),
                }
            }
            worker.join().unwrap();
            assert!(shared.0.try_worker().is_some(), "a turn did not end");
        });
    }
}
