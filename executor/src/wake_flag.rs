//! The flag a `block_on` thread's waker sets before it unparks the thread.
//!
//! ```text
//! waker:     woken = true (Release) ─ unpark(thread)
//! block_on:  take woken (AcqRel) ─ poll if it was set ─ Pending: park unless woken is set again
//! ```
//! A wake between the poll and the park is not lost twice over: the park
//! looks at the flag first, and the thread's park token keeps an unpark that
//! comes before the park. What the waker's side wrote before `wake` is
//! visible to the poll that took the flag (Release/Acquire).

use std::sync::atomic::Ordering::{AcqRel, Acquire, Release};

use crate::sync::AtomicBool;

/// Set by the main future's waker, taken by the poll it asks for.
#[derive(Debug)]
pub(crate) struct WakeFlag(AtomicBool);

impl WakeFlag {
    /// A set flag: the first poll needs no wake.
    pub(crate) fn new() -> WakeFlag {
        WakeFlag(AtomicBool::new(true))
    }

    /// The waker's side; the caller unparks the thread after.
    pub(crate) fn wake(&self) {
        // Release: pairs with the AcqRel of `take`. A swap, not a store: under
        // loom 0.7 a plain store here can go unseen by the poller's later
        // swap even after the unpark ordered them (the model deadlocks), and
        // a wake of a `block_on` thread is no hot path.
        self.0.swap(true, Release);
    }

    /// Whether a poll is due, clearing the flag.
    pub(crate) fn take(&self) -> bool {
        // AcqRel: Acquire pairs with `wake`.
        self.0.swap(false, AcqRel)
    }

    /// Whether a poll is due (the thread then does not park).
    pub(crate) fn is_set(&self) -> bool {
        self.0.load(Acquire)
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::{lock, thread, Arc, Condvar, Mutex};

    /// A thread's park token, as `std::thread::park` keeps it: an unpark
    /// before the park is kept for it. (loom's own `park` is not used: its
    /// models of this pattern deadlock even for the textbook loop.)
    #[derive(Default)]
    struct Token {
        set: Mutex<bool>,
        unparked: Condvar,
    }

    impl Token {
        fn unpark(&self) {
            *lock(&self.set) = true;
            self.unparked.notify_one();
        }

        fn park(&self) {
            let mut set = lock(&self.set);
            while !*set {
                set = self.unparked.wait(set).unwrap();
            }
            *set = false;
        }
    }

    /// The loop of `Blocked::turn` around a future that is ready once the
    /// other thread's event happened: the wake is never lost (a lost one is
    /// a deadlock here), and the poll that follows it sees the event. With
    /// Relaxed orderings on the flag the model deadlocks: the poll takes the
    /// flag without seeing the event, and nothing wakes it again.
    #[test]
    fn loom_block_on_never_loses_a_wake() {
        loom::model(|| {
            let (flag, event) = (Arc::new(WakeFlag::new()), Arc::new(AtomicBool::new(false)));
            let main = Arc::new(Token::default());
            let waker = {
                let (flag, event, main) = (flag.clone(), event.clone(), main.clone());
                thread::spawn(move || {
                    event.store(true, std::sync::atomic::Ordering::Relaxed);
                    flag.wake();
                    main.unpark();
                })
            };
            loop {
                // Relaxed: the flag's Acquire orders it, as it orders a real future's state.
                if flag.take() && event.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                if !flag.is_set() {
                    main.park();
                }
            }
            waker.join().unwrap();
        });
    }
}
