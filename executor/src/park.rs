//! Parking one thread until another unparks it, with no lost wake-up.
//!
//! # State diagram
//! ```text
//!            park (no token)              unpark
//!   EMPTY ─────────────────▶ PARKED ─────────────────▶ NOTIFIED
//!     ▲  ◀─── park consumes the token ─────────────────────┘
//!     └─────────────── unpark while EMPTY sets the token ──▶ NOTIFIED
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

    /// Wakes the owner, now or at its next `park`.
    pub(crate) fn unpark(&self) {
        // Release: publishes our work to the parked thread (pairs with its Acquire).
        match self.state.swap(NOTIFIED, Release) {
            EMPTY | NOTIFIED => {}
            PARKED => {
                // Taking the lock orders us after the parker's wait began (invariant 3).
                drop(lock(&self.mutex));
                self.condvar.notify_one();
            }
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
                thread::spawn(move || parker.unpark())
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
                    parker.unpark();
                    parker.unpark();
                })
            };
            parker.park();
            unparker.join().unwrap();
            // The second token (if both arrived before the first park) was merged;
            // one more unpark is needed to pass another park.
            parker.unpark();
            parker.park();
        });
    }
}
