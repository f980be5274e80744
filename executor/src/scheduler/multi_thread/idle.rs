//! Which workers sleep, and how many search for work, so a burst of wake-ups
//! rouses one worker at a time instead of all of them.
//!
//! # Protocol
//! `state` packs `searching` (low 16 bits) and `unparked` (the rest).
//! - A producer that queued a task calls [`Idle::worker_to_notify`]: it wakes a
//!   sleeper only when no worker is searching (a searcher will find the task)
//!   and some worker sleeps. The woken worker starts out searching.
//! - At most half the workers search at once.
//! - A searcher that finds work stops searching; if it was the last searcher it
//!   wakes another (the caller does that), so queued work always has a searcher.
//! - A worker about to sleep marks itself parked; if it was the last searcher it
//!   checks every queue once more (the caller), since a producer may have seen it
//!   searching and not woken anyone.
//!
//! # Invariants
//! 1. Store-load (Dekker) ordering: a producer does "push task; SeqCst fence; read
//!    state", a sleeping worker does "update state; SeqCst fence; read queues", so
//!    at least one of them sees the other: the task is never stranded with every
//!    worker asleep.
//! 2. `sleepers` holds exactly the workers that are parked and not yet chosen to wake.

use std::sync::atomic::Ordering::SeqCst;

use crate::sync::{fence, lock, AtomicUsize, Mutex};

const SEARCHING_MASK: usize = (1 << 16) - 1;
const UNPARKED_ONE: usize = 1 << 16;

/// The sleeping and searching workers of one scheduler.
#[derive(Debug)]
pub(crate) struct Idle {
    state: AtomicUsize,
    sleepers: Mutex<Vec<usize>>,
    num_workers: usize,
}

impl Idle {
    pub(crate) fn new(num_workers: usize) -> Idle {
        assert!(num_workers < SEARCHING_MASK, "at most {SEARCHING_MASK} workers");
        Idle {
            state: AtomicUsize::new(num_workers * UNPARKED_ONE),
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
            num_workers,
        }
    }

    fn searching(state: usize) -> usize {
        state & SEARCHING_MASK
    }

    fn unparked(state: usize) -> usize {
        state >> 16
    }

    /// Called after queueing a task: the worker to unpark, if one should wake.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        // SeqCst: the producer's side of invariant 1.
        fence(SeqCst);
        if !self.should_wake(self.state.load(SeqCst)) {
            return None;
        }
        let mut sleepers = lock(&self.sleepers);
        // Check again under the lock: another producer may have woken one already.
        if !self.should_wake(self.state.load(SeqCst)) {
            return None;
        }
        let worker = sleepers.pop()?;
        // The woken worker counts as unparked and searching from now on.
        self.state.fetch_add(UNPARKED_ONE | 1, SeqCst);
        Some(worker)
    }

    fn should_wake(&self, state: usize) -> bool {
        Self::searching(state) == 0 && Self::unparked(state) < self.num_workers
    }

    /// A worker that ran out of local work asks to search; false when enough
    /// workers search already.
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let state = self.state.load(SeqCst);
        if 2 * Self::searching(state) >= self.num_workers {
            return false;
        }
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// A searcher found work; true when it was the last searcher (the caller
    /// then wakes another worker for the rest of the work).
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let previous = self.state.fetch_sub(1, SeqCst);
        debug_assert!(Self::searching(previous) > 0);
        Self::searching(previous) == 1
    }

    /// A worker goes to sleep; true when it was the last searcher (the caller
    /// then checks every queue once more, invariant 1).
    pub(crate) fn transition_worker_to_parked(&self, worker: usize, is_searching: bool) -> bool {
        let mut sleepers = lock(&self.sleepers);
        let dec = UNPARKED_ONE + usize::from(is_searching);
        let previous = self.state.fetch_sub(dec, SeqCst);
        sleepers.push(worker);
        drop(sleepers);
        // SeqCst: the sleeper's side of invariant 1, before the caller reads queues.
        fence(SeqCst);
        is_searching && Self::searching(previous) == 1
    }

    /// A parked worker woke by itself (I/O arrived while it waited in the
    /// poller) with work in hand: takes it off the sleepers list and counts it
    /// unparked, but not searching (its work came from I/O, not from other
    /// workers, so it must not rouse another one as a last searcher would).
    /// False when a producer chose it meanwhile, which counted it searching.
    pub(crate) fn unpark_worker_by_id(&self, worker: usize) -> bool {
        let mut sleepers = lock(&self.sleepers);
        let Some(position) = sleepers.iter().position(|&w| w == worker) else { return false };
        sleepers.swap_remove(position);
        self.state.fetch_add(UNPARKED_ONE, SeqCst);
        true
    }

    /// True while `worker` is in the sleepers list (a wake-up that did not take it
    /// out of the list was spurious).
    pub(crate) fn is_parked(&self, worker: usize) -> bool {
        lock(&self.sleepers).contains(&worker)
    }

    /// The number of workers searching now.
    #[cfg(loom)]
    pub(crate) fn num_searching(&self) -> usize {
        Self::searching(self.state.load(SeqCst))
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::scheduler::park::Parker;
    use crate::sync::{thread, Arc, AtomicUsize};
    use std::sync::atomic::Ordering::{Acquire, Release};

    /// One worker goes to sleep while a producer queues a task: either the
    /// worker sees the task before sleeping or the producer wakes it.
    #[test]
    fn loom_idle_no_lost_wakeup() {
        loom::model(|| {
            let idle = Arc::new(Idle::new(1));
            let parker = Arc::new(Parker::new());
            let queue = Arc::new(AtomicUsize::new(0));
            let producer = {
                let (idle, parker, queue) = (idle.clone(), parker.clone(), queue.clone());
                thread::spawn(move || {
                    queue.store(1, Release);
                    if let Some(worker) = idle.worker_to_notify() {
                        assert_eq!(worker, 0);
                        let _ = parker.unpark();
                    }
                })
            };
            // The worker: searching found nothing, so it parks.
            assert!(idle.transition_worker_to_searching() || idle.num_searching() > 0);
            let last = idle.transition_worker_to_parked(0, true);
            if !(last && queue.load(Acquire) == 1) {
                // Nothing seen: sleep until the producer wakes us.
                while idle.is_parked(0) {
                    parker.park();
                }
            }
            producer.join().unwrap();
        });
    }
}
