//! [`WakerSlot`]: one waker, registered and taken without a lock (futures'
//! AtomicWaker protocol), for a primitive with one waiting task at a time:
//! the reactor's first waiter per direction, an mpsc channel's receiver.
//!
//! # State
//! ```text
//!            register (CAS)            done (CAS)
//! WAITING ───────────────▶ REGISTERING ─────────▶ WAITING
//!    │                          │ take() meanwhile sets WAKING:
//!    │ take(): fetch_or WAKING  ▼ the registrant takes its waker back and wakes it
//!    ▼                       REGISTERING|WAKING ──▶ WAITING
//! WAKING ──(waker taken)──▶ WAITING
//! ```
//! # Invariant
//! Only the thread that moved the state from WAITING to REGISTERING, or
//! from WAITING to WAKING, touches the waker cell, until it resets the
//! state. So a registration racing a take either is seen by it (the take
//! finds the waker) or sees it (the registrant finds WAKING and wakes
//! itself): no wake-up is lost.

use std::sync::atomic::Ordering::{AcqRel, Acquire};
use std::task::Waker;

use crate::sync::{AtomicUsize, UnsafeCell};

const WAITING: usize = 0;
const REGISTERING: usize = 1;
const WAKING: usize = 2;

/// One waker, registered and taken without a lock (futures' AtomicWaker
/// protocol), which hands back the waker it displaces.
#[derive(Debug)]
pub struct WakerSlot {
    state: AtomicUsize,
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the waker cell is only touched under the state protocol (the invariant);
// Waker is Send + Sync.
unsafe impl Sync for WakerSlot {}
// SAFETY: as above.
unsafe impl Send for WakerSlot {}

/// What [`WakerSlot::register`] did.
#[must_use]
#[derive(Debug)]
pub enum Register {
    /// The waker is stored (a different one it replaced went to `on_displaced`).
    Stored,
    /// A wake-up was in progress: the waker was woken instead of stored.
    Woken,
    /// Another thread is registering: the caller must use the list.
    Busy,
}

impl WakerSlot {
    /// An empty slot.
    pub fn new() -> WakerSlot {
        WakerSlot { state: AtomicUsize::new(WAITING), waker: UnsafeCell::new(None) }
    }

    /// Stores `waker`. A different waker it replaces is handed to
    /// `on_displaced` while the slot is still held, so that a concurrent
    /// [`WakerSlot::take`] either finds it where `on_displaced` put it or makes
    /// us wake it.
    pub fn register(&self, waker: &Waker, on_displaced: impl FnOnce(&Waker)) -> Register {
        // Acquire: pairs with the AcqRel of `take` and of earlier registrations.
        match self.state.compare_exchange(WAITING, REGISTERING, Acquire, Acquire) {
            Ok(_) => {}
            Err(WAKING) => {
                waker.wake_by_ref();
                // A take is between its two RMWs: let it finish before the
                // woken task polls (and registers) again, or a task alone on
                // its thread would spin on WAKING (loom calls that a spin lock).
                #[cfg(loom)]
                crate::sync::thread::yield_now();
                #[cfg(not(loom))]
                std::hint::spin_loop();
                return Register::Woken;
            }
            Err(_) => return Register::Busy,
        }
        // SAFETY: we moved the state to REGISTERING: the cell is ours (the invariant).
        let displaced = self.waker.with_mut(|cell| match unsafe { &mut *cell } {
            Some(old) if old.will_wake(waker) => None,
            cell => cell.replace(waker.clone()),
        });
        if let Some(displaced) = &displaced {
            on_displaced(displaced);
        }
        // AcqRel: Release publishes the waker to `take`; Acquire sees a WAKING set meanwhile.
        match self.state.compare_exchange(REGISTERING, WAITING, AcqRel, Acquire) {
            Ok(_) => Register::Stored,
            Err(_) => {
                // A wake-up came while we registered: the state is REGISTERING|WAKING
                // and the waking thread left the waker to us.
                // SAFETY: still ours until the swap below (the invariant).
                let waker = self.waker.with_mut(|cell| unsafe { (*cell).take() });
                self.state.swap(WAITING, AcqRel);
                waker.into_iter().chain(displaced).for_each(Waker::wake);
                Register::Woken
            }
        }
    }

    /// Takes the stored waker, if any and if no registration is in progress
    /// (that registrant sees WAKING and wakes itself).
    pub fn take(&self) -> Option<Waker> {
        // AcqRel: Acquire sees the registrant's waker; Release orders our
        // earlier readiness update before the registrant's re-check.
        match self.state.fetch_or(WAKING, AcqRel) {
            WAITING => {
                // SAFETY: we moved the state from WAITING to WAKING (the invariant).
                let waker = self.waker.with_mut(|cell| unsafe { (*cell).take() });
                self.state.fetch_and(!WAKING, AcqRel);
                waker
            }
            _ => None,
        }
    }
}

impl Default for WakerSlot {
    fn default() -> Self {
        WakerSlot::new()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::{Arc, AtomicBool};
    use std::sync::atomic::Ordering::{Relaxed, SeqCst};

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

    /// Registration racing a take on the lock-free slot alone.
    #[test]
    fn loom_waker_slot_register_races_take() {
        loom::model(|| {
            let slot = Arc::new(WakerSlot::new());
            let ready = Arc::new(AtomicBool::new(false));
            let (waker, count) = counting_waker();
            let reactor = {
                let (slot, ready) = (slot.clone(), ready.clone());
                loom::thread::spawn(move || {
                    ready.store(true, SeqCst);
                    if let Some(waker) = slot.take() {
                        waker.wake();
                    }
                })
            };
            let registered = slot.register(&waker, |_| unreachable!("the slot was empty"));
            let saw_ready = ready.load(SeqCst);
            reactor.join().unwrap();
            assert!(!matches!(registered, Register::Busy));
            assert!(saw_ready || count.load(Relaxed) > 0, "the wake-up was lost");
        });
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering::Relaxed;
    use std::sync::Arc;

    struct Count(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Relaxed);
        }
    }

    fn counting() -> (Waker, Arc<Count>) {
        let count = Arc::new(Count(std::sync::atomic::AtomicUsize::new(0)));
        (Waker::from(count.clone()), count)
    }

    /// Under Miri: a stored waker is taken once, and a different one
    /// displaces it (handed to the caller, here woken).
    #[test]
    fn register_take_and_displace() {
        let slot = WakerSlot::new();
        assert!(slot.take().is_none());
        let ((a, a_count), (b, b_count)) = (counting(), counting());
        assert!(matches!(slot.register(&a, |_| unreachable!("empty slot")), Register::Stored));
        assert!(matches!(slot.register(&b, Waker::wake_by_ref), Register::Stored));
        assert_eq!(a_count.0.load(Relaxed), 1, "a was displaced");
        slot.take().expect("b is stored").wake();
        assert_eq!(b_count.0.load(Relaxed), 1);
        assert!(slot.take().is_none());
    }
}
