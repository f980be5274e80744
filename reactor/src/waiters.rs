//! The tasks waiting on a source, per direction.
//!
//! The common case, one task waiting, costs no lock: its waker sits in a
//! [`WakerSlot`]. Further waiters (many `accept()` calls on one listener, two
//! tasks reading one `&TcpStream`) go to a mutex-protected list. A wake-up
//! takes the slot's waker and the whole list: every waiter is woken, and a
//! woken task that finds nothing to do simply waits again.
//!
//! # WakerSlot state
//! ```text
//!            register (CAS)            done (CAS)
//! WAITING ───────────────▶ REGISTERING ─────────▶ WAITING
//!    │                          │ take() meanwhile sets WAKING:
//!    │ take(): fetch_or WAKING  ▼ the registrant takes its waker back and wakes it
//!    ▼                       REGISTERING|WAKING ──▶ WAITING
//! WAKING ──(waker taken)──▶ WAITING
//! ```
//! # Invariants
//! 1. Only the thread that moved the state from WAITING to REGISTERING, or
//!    from WAITING to WAKING, touches the waker cell, until it resets the state.
//! 2. No lost wake-up: a registrant that publishes its waker (slot or list)
//!    and then re-reads the readiness word either sees the event or is woken.
//!    For the slot this is the AtomicWaker argument (the RMWs on `state` order
//!    the two sides). For the list it is a Dekker pair: the registrant sets
//!    `has_more`, then a SeqCst fence, then reads readiness; the reactor updates
//!    readiness, then a SeqCst fence, then reads `has_more`. At least one of
//!    them sees the other's write.

use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, SeqCst};
use std::task::Waker;

use crate::readiness::Direction;
use crate::sync::{fence, lock, AtomicBool, AtomicUsize, Mutex, UnsafeCell};

const WAITING: usize = 0;
const REGISTERING: usize = 1;
const WAKING: usize = 2;

/// One waker, registered and taken without a lock (futures' AtomicWaker
/// protocol), which hands back the waker it displaces.
#[derive(Debug)]
pub(crate) struct WakerSlot {
    state: AtomicUsize,
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the waker cell is only touched under the state protocol (invariant 1);
// Waker is Send + Sync.
unsafe impl Sync for WakerSlot {}
// SAFETY: as above.
unsafe impl Send for WakerSlot {}

/// What [`WakerSlot::register`] did.
#[must_use]
#[derive(Debug)]
pub(crate) enum Register {
    /// The waker is stored (a different one it replaced went to `on_displaced`).
    Stored,
    /// A wake-up was in progress: the waker was woken instead of stored.
    Woken,
    /// Another thread is registering: the caller must use the list.
    Busy,
}

impl WakerSlot {
    pub(crate) fn new() -> WakerSlot {
        WakerSlot { state: AtomicUsize::new(WAITING), waker: UnsafeCell::new(None) }
    }

    /// Stores `waker`. A different waker it replaces is handed to
    /// `on_displaced` while the slot is still held, so that a concurrent
    /// [`WakerSlot::take`] either finds it where `on_displaced` put it or makes
    /// us wake it.
    pub(crate) fn register(&self, waker: &Waker, on_displaced: impl FnOnce(&Waker)) -> Register {
        // Acquire: pairs with the AcqRel of `take` and of earlier registrations.
        match self.state.compare_exchange(WAITING, REGISTERING, Acquire, Acquire) {
            Ok(_) => {}
            Err(WAKING) => {
                waker.wake_by_ref();
                return Register::Woken;
            }
            Err(_) => return Register::Busy,
        }
        // SAFETY: we moved the state to REGISTERING: the cell is ours (invariant 1).
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
                // SAFETY: still ours until the swap below (invariant 1).
                let waker = self.waker.with_mut(|cell| unsafe { (*cell).take() });
                self.state.swap(WAITING, AcqRel);
                waker.into_iter().chain(displaced).for_each(Waker::wake);
                Register::Woken
            }
        }
    }

    /// Takes the stored waker, if any and if no registration is in progress
    /// (that registrant sees WAKING and wakes itself).
    pub(crate) fn take(&self) -> Option<Waker> {
        // AcqRel: Acquire sees the registrant's waker; Release orders our
        // earlier readiness update before the registrant's re-check.
        match self.state.fetch_or(WAKING, AcqRel) {
            WAITING => {
                // SAFETY: we moved the state from WAITING to WAKING (invariant 1).
                let waker = self.waker.with_mut(|cell| unsafe { (*cell).take() });
                self.state.fetch_and(!WAKING, AcqRel);
                waker
            }
            _ => None,
        }
    }
}

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
    use crate::sync::Arc;

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

    /// Registration racing a take on the lock-free slot alone.
    #[test]
    fn loom_slot_register_races_take() {
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
