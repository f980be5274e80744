//! Parking one thread until another unparks it, with no lost wake-up.
//!
//! # State diagram
//! ```text
//!            park (no token)              unpark
//!   EMPTY ─────────────────▶ PARKED ─────────────────▶ NOTIFIED
//!     │  ◀─── park consumes the token ─────────────────────┘
//!     │ park_polling                     unpark (the caller interrupts the poller)
//!     └──────────────▶ POLLING ──────────────────────────▶ NOTIFIED
//!       ◀── the poller's wait returned (event or interrupt) ─┘
//! unpark while EMPTY sets the token ──▶ NOTIFIED
//! ```
//! # Invariants
//! 1. An `unpark` that happens before or during `park` makes that `park` return
//!    (the NOTIFIED token), so a wake between "found no work" and "sleep" is kept.
//! 2. Only the owning thread parks; any thread unparks.
//! 3. The transition to PARKED and the condvar wait happen under the mutex, and
//!    the unparker takes the mutex before notifying, so the notify cannot fall
//!    between the two.

use std::sync::atomic::Ordering::{Acquire, Release};

use crate::sync::{lock, AtomicUsize, Condvar, Mutex};

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;
const POLLING: usize = 3;

/// What [`Parker::unpark`] found.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Unparked {
    /// The owner was running, or sleeping on the condvar (now notified).
    Done,
    /// The owner waits in the driver's poller: the caller must interrupt it.
    Polling,
}

/// A one-token parker for one thread.
#[derive(Debug)]
pub(crate) struct Parker {
    state: AtomicUsize,
    mutex: Mutex<()>,
    condvar: Condvar,
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker { state: AtomicUsize::new(EMPTY), mutex: Mutex::new(()), condvar: Condvar::new() }
    }

    /// Blocks until `unpark` is called (or was called since the last `park`).
    pub(crate) fn park(&self) {
        // Acquire: pairs with the Release of unpark, so what the unparker did
        // before waking us is visible.
        if self.state.compare_exchange(NOTIFIED, EMPTY, Acquire, Acquire).is_ok() {
            return;
        }
        let mut guard = lock(&self.mutex);
        match self.state.compare_exchange(EMPTY, PARKED, Acquire, Acquire) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                // The token arrived while we took the lock (invariant 1).
                self.state.store(EMPTY, Release);
                return;
            }
            Err(actual) => unreachable!("only the owner parks (invariant 2), state {actual}"),
        }
        loop {
            #[cfg(loom)]
            {
                guard = self.condvar.wait(guard).unwrap();
            }
            #[cfg(not(loom))]
            {
                guard = self.condvar.wait(guard).unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            // Acquire: as above. A failed CAS is a spurious wake-up: sleep again.
            if self.state.compare_exchange(NOTIFIED, EMPTY, Acquire, Acquire).is_ok() {
                return;
            }
        }
    }

    /// Like `park`, but blocks in `wait` (the driver's poller, which the caller
    /// holds) instead of the condvar. `wait` returns on an I/O event too, so
    /// this may return without a token.
    pub(crate) fn park_polling(&self, wait: impl FnOnce()) {
        // Acquire: as in `park`.
        match self.state.compare_exchange(EMPTY, POLLING, Acquire, Acquire) {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.store(EMPTY, Release);
                return;
            }
            Err(actual) => unreachable!("only the owner parks (invariant 2), state {actual}"),
        }
        // An unpark from here on interrupts the wait, or makes it return at once.
        wait();
        // Acquire: consumes a token that came meanwhile, seeing the unparker's work.
        self.state.swap(EMPTY, Acquire);
    }

    /// Wakes the owner, now or at its next `park`.
    pub(crate) fn unpark(&self) -> Unparked {
        // Release: publishes our work to the parked thread (pairs with its Acquire).
        match self.state.swap(NOTIFIED, Release) {
            EMPTY | NOTIFIED => Unparked::Done,
            PARKED => {
                // Taking the lock orders us after the parker's wait began (invariant 3).
                drop(lock(&self.mutex));
                self.condvar.notify_one();
                Unparked::Done
            }
            POLLING => Unparked::Polling,
            actual => unreachable!("parker state {actual}"),
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::{thread, Arc};

    #[test]
    fn loom_park_unpark_is_never_lost() {
        loom::model(|| {
            let parker = Arc::new(Parker::new());
            let unparker = {
                let parker = parker.clone();
                thread::spawn(move || assert_eq!(parker.unpark(), Unparked::Done))
            };
            parker.park();
            unparker.join().unwrap();
        });
    }

    #[test]
    fn loom_two_unparks_wake_two_parks_at_most_once_each() {
        loom::model(|| {
            let parker = Arc::new(Parker::new());
            let unparker = {
                let parker = parker.clone();
                thread::spawn(move || {
                    let _ = parker.unpark();
                    let _ = parker.unpark();
                })
            };
            parker.park();
            unparker.join().unwrap();
            // The second token (if both arrived before the first park) was merged;
            // one more unpark is needed to pass another park.
            let _ = parker.unpark();
            parker.park();
        });
    }

    /// An unpark racing a park in the poller either finds the token taken
    /// before the wait, or asks for the wait to be interrupted.
    #[test]
    fn loom_unpark_interrupts_a_polling_park() {
        loom::model(|| {
            let parker = Arc::new(Parker::new());
            let interrupted = Arc::new(crate::sync::AtomicUsize::new(0));
            let unparker = {
                let (parker, interrupted) = (parker.clone(), interrupted.clone());
                thread::spawn(move || {
                    if parker.unpark() == Unparked::Polling {
                        interrupted.store(1, Release);
                    }
                })
            };
            // The poller's wait returns only when interrupted (no I/O here):
            // model it as "wait until the unparker says it interrupted".
            parker.park_polling(|| {
                while interrupted.load(Acquire) == 0 {
                    thread::yield_now();
                }
            });
            unparker.join().unwrap();
        });
    }
}
