//! The timers of one runtime: the wheel behind a lock, and the arming protocol
//! that keeps the thread waiting in epoll from oversleeping a new deadline.
//!
//! # Arming protocol
//! Whichever thread is about to wait in epoll (the reactor thread, or an idle
//! worker that took the wait over) calls [`Timers::arm`]: under the wheel's
//! lock it reads the next expiration, records it in `armed`, and then waits
//! at most until then. A registration, under the same lock, whose tick is
//! earlier than `armed` lowers `armed` and, once unlocked, interrupts the wait
//! (the reactor's eventfd):
//! ```text
//! waiter:  lock ─ armed = next ─ unlock ─ wait until armed ─ fire due entries
//! sleep:   lock ─ insert t ─ t < armed? armed = t ─ unlock ─ interrupt the wait
//! ```
//! Either the registration comes first, and the waiter's `next` includes it,
//! or it sees the waiter's `armed` and interrupts; the eventfd keeps an
//! interrupt that arrives before the wait begins. An `armed` left over from a
//! waiter that already woke costs at most one spare interrupt: every waiter
//! arms afresh. So a deadline registered while a thread waits in epoll
//! interrupts it only when it must, and only once per new earliest deadline.
//!
//! `earliest` is a lower bound of the next expiration (cancelled entries
//! leave it early, never late), read without the lock so that the frequent
//! "anything due?" check of a busy worker costs no lock when nothing is.

use std::fmt;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::sync::{lock, AtomicBool, AtomicU64, Mutex, MutexGuard};
use crate::wheel::{Key, Wheel, TICK_NANOS};

/// No deadline: `armed` and `earliest` when the wheel is empty.
const NEVER: u64 = u64::MAX;

/// What polling an entry found.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub(crate) enum EntryState {
    /// Registered; the waker will be woken when the deadline passes.
    Pending,
    /// The deadline has passed.
    Fired,
    /// These timers are shut down (their runtime is gone): register elsewhere.
    ShutDown,
}

/// The timers of one runtime (or the process-wide fallback): a timing wheel
/// of wakers, driven by whichever thread waits in epoll.
///
/// Aligned past a cache-line pair so that the `Arc`'s reference count, which
/// every `Sleep` writes when it registers and when it drops, is not on the
/// line of the wheel's lock.
#[repr(align(128))]
pub struct Timers {
    wheel: Mutex<Wheel<Waker>>,
    /// Tick 0.
    epoch: Instant,
    /// The tick the thread waiting in epoll wakes at, at the latest (module docs).
    armed: AtomicU64,
    /// At most the wheel's next expiration.
    earliest: AtomicU64,
    shut_down: AtomicBool,
    /// Interrupts the wait in epoll.
    interrupt: Box<dyn Fn() + Send + Sync>,
}

impl fmt::Debug for Timers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timers")
            .field("pending", &self.pending())
            .field("armed", &self.armed.load(Relaxed))
            .field("shut_down", &self.shut_down.load(Relaxed))
            .finish_non_exhaustive()
    }
}

impl Timers {
    /// Empty timers; `interrupt` makes the thread waiting for them (in epoll)
    /// look again.
    pub fn new(interrupt: impl Fn() + Send + Sync + 'static) -> Timers {
        Timers {
            wheel: Mutex::new(Wheel::new()),
            epoch: Instant::now(),
            armed: AtomicU64::new(NEVER),
            earliest: AtomicU64::new(NEVER),
            shut_down: AtomicBool::new(false),
            interrupt: Box::new(interrupt),
        }
    }

    /// Timers not yet fired or cancelled.
    pub fn pending(&self) -> usize {
        lock(&self.wheel).len()
    }

    /// The tick of `deadline`, rounded up: a timer never fires early.
    pub(crate) fn deadline_tick(&self, deadline: Instant) -> u64 {
        let nanos = deadline.saturating_duration_since(self.epoch).as_nanos();
        u64::try_from(nanos.div_ceil(u128::from(TICK_NANOS))).unwrap_or(NEVER - 1)
    }

    /// The tick `now` is in, rounded down.
    fn now_tick(&self, now: Instant) -> u64 {
        let nanos = now.saturating_duration_since(self.epoch).as_nanos();
        u64::try_from(nanos / u128::from(TICK_NANOS)).unwrap_or(NEVER - 1)
    }

    fn instant_of(&self, tick: u64) -> Option<Instant> {
        (tick != NEVER).then(|| {
            let after = Duration::from_nanos(tick.saturating_mul(TICK_NANOS));
            // A deadline past what Instant holds is as good as never.
            self.epoch.checked_add(after).unwrap_or(self.epoch + Duration::from_secs(u32::MAX.into()))
        })
    }

    /// Registers an entry due at `tick` with `waker` (when `key` is `None`),
    /// or refreshes the waker of the registered one.
    pub(crate) fn poll_entry(&self, key: &mut Option<Key>, tick: u64, waker: &Waker) -> EntryState {
        let mut wheel = lock(&self.wheel);
        if self.shut_down.load(Acquire) {
            return EntryState::ShutDown;
        }
        if let Some(registered) = *key {
            let Some(stored) = wheel.get_mut(registered) else {
                *key = None;
                return EntryState::Fired;
            };
            if stored.will_wake(waker) {
                return EntryState::Pending;
            }
            let old = std::mem::replace(stored, waker.clone());
            drop(wheel);
            // A waker's drop may run a task's destructor: never under the lock.
            drop(old);
            return EntryState::Pending;
        }
        match wheel.insert(tick, waker.clone()) {
            Ok(registered) => *key = Some(registered),
            Err(_) => return EntryState::Fired,
        }
        self.scheduled(wheel, tick);
        EntryState::Pending
    }

    /// Moves a registered entry to `tick`, reusing it; an entry that fired, or
    /// that `tick` makes due at once, is forgotten (the next poll registers
    /// anew or finds the deadline passed).
    pub(crate) fn reset_entry(&self, key: &mut Option<Key>, tick: u64) {
        let Some(registered) = *key else { return };
        let mut wheel = lock(&self.wheel);
        match wheel.reset(registered, tick) {
            Ok(true) => self.scheduled(wheel, tick),
            Ok(false) => *key = None,
            Err(waker) => {
                *key = None;
                drop(wheel);
                drop(waker);
            }
        }
    }

    /// Cancels a registered entry in O(1).
    pub(crate) fn remove_entry(&self, key: Key) {
        let removed = lock(&self.wheel).remove(key);
        drop(removed);
    }

    /// After an entry was put at `tick` (the wheel still locked): lowers
    /// `earliest` and `armed`, and interrupts the waiter, once unlocked, when
    /// `tick` is earlier than what it waits for.
    fn scheduled(&self, wheel: MutexGuard<'_, Wheel<Waker>>, tick: u64) {
        if tick < self.earliest.load(Relaxed) {
            self.earliest.store(tick, Relaxed);
        }
        let interrupt = tick < self.armed.load(Relaxed);
        if interrupt {
            self.armed.store(tick, Relaxed);
        }
        drop(wheel);
        if interrupt {
            (self.interrupt)();
        }
    }

    /// For the thread about to wait in epoll: the deadline to wake at (module
    /// docs). A registration of an earlier one interrupts the wait.
    pub fn arm(&self) -> Option<Instant> {
        self.instant_of(self.arm_tick())
    }

    fn arm_tick(&self) -> u64 {
        let wheel = lock(&self.wheel);
        let next = wheel.next_expiration().unwrap_or(NEVER);
        self.armed.store(next, Relaxed);
        self.earliest.store(next, Relaxed);
        next
    }

    /// At most the next deadline (never later), without taking the lock.
    pub fn next(&self) -> Option<Instant> {
        self.instant_of(self.earliest.load(Relaxed))
    }

    /// Collects the wakers of every timer due now.
    pub fn fire(&self, wakers: &mut Vec<Waker>) {
        if self.earliest.load(Relaxed) == NEVER {
            return;
        }
        self.fire_at(self.now_tick(Instant::now()), wakers);
    }

    fn fire_at(&self, now: u64, wakers: &mut Vec<Waker>) {
        if now < self.earliest.load(Relaxed) {
            return;
        }
        let mut wheel = lock(&self.wheel);
        wheel.advance(now, |waker| wakers.push(waker));
        self.earliest.store(wheel.next_expiration().unwrap_or(NEVER), Relaxed);
    }

    /// Fails every pending and later registration with
    /// [`EntryState::ShutDown`] and wakes the pending ones, so that they move
    /// to timers that still run.
    pub fn shutdown(&self) {
        let mut wakers = Vec::new();
        let mut wheel = lock(&self.wheel);
        // Release: pairs with the Acquire in poll_entry (the lock orders it too).
        self.shut_down.store(true, Release);
        wheel.drain(|waker| wakers.push(waker));
        drop(wheel);
        wakers.into_iter().for_each(Waker::wake);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Relaxed);
        }
    }

    fn counting_timers() -> (Timers, Arc<AtomicUsize>) {
        let interrupts = Arc::new(AtomicUsize::new(0));
        let counter = interrupts.clone();
        (
            Timers::new(move || {
                counter.fetch_add(1, Relaxed);
            }),
            interrupts,
        )
    }

    #[test]
    fn only_a_new_earliest_deadline_interrupts_the_armed_waiter() {
        let (timers, interrupts) = counting_timers();
        let waker = Waker::noop();
        assert_eq!(timers.arm_tick(), NEVER);
        let mut a = None;
        assert_eq!(timers.poll_entry(&mut a, 100, waker), EntryState::Pending);
        assert_eq!(interrupts.load(Relaxed), 1);
        let mut b = None;
        assert_eq!(timers.poll_entry(&mut b, 200, waker), EntryState::Pending);
        assert_eq!(interrupts.load(Relaxed), 1, "a later deadline leaves the wait alone");
        // Tick 100 sits on level 1, whose slot starts at 64: the waiter wakes
        // there to cascade it (never after a deadline).
        assert_eq!(timers.arm_tick(), 64);
        let mut c = None;
        assert_eq!(timers.poll_entry(&mut c, 50, waker), EntryState::Pending);
        assert_eq!(interrupts.load(Relaxed), 2);
        assert_eq!(timers.pending(), 3);
    }

    #[test]
    fn fired_entries_wake_once_and_report_fired() {
        let (timers, _) = counting_timers();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut key = None;
        assert_eq!(timers.poll_entry(&mut key, 10, &waker), EntryState::Pending);
        assert_eq!(timers.poll_entry(&mut key, 10, &waker), EntryState::Pending);
        let mut wakers = Vec::new();
        timers.fire_at(9, &mut wakers);
        assert!(wakers.is_empty());
        timers.fire_at(10, &mut wakers);
        wakers.drain(..).for_each(Waker::wake);
        assert_eq!(count.0.load(Relaxed), 1);
        assert_eq!(timers.poll_entry(&mut key, 10, &waker), EntryState::Fired);
        assert_eq!(key, None);
        assert_eq!(timers.earliest.load(Relaxed), NEVER);
    }

    #[test]
    fn shutdown_wakes_pending_entries_and_refuses_new_ones() {
        let (timers, _) = counting_timers();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut key = None;
        assert_eq!(timers.poll_entry(&mut key, 10, &waker), EntryState::Pending);
        timers.shutdown();
        assert_eq!(count.0.load(Relaxed), 1);
        assert_eq!(timers.poll_entry(&mut key, 10, &waker), EntryState::ShutDown);
        assert_eq!(timers.pending(), 0);
    }

    #[test]
    fn deadlines_round_up_and_now_rounds_down() {
        let (timers, _) = counting_timers();
        let just_after = timers.epoch + Duration::from_nanos(TICK_NANOS + 1);
        assert_eq!(timers.deadline_tick(just_after), 2);
        assert_eq!(timers.now_tick(just_after), 1);
        assert!(timers.instant_of(2).unwrap() >= just_after);
        assert_eq!(timers.deadline_tick(timers.epoch - Duration::from_secs(1)), 0);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::Arc;
    use loom::sync::atomic::AtomicUsize;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.fetch_add(1, Relaxed);
        }
    }

    /// A registration racing the waiter's arming: the waiter either arms for
    /// the new deadline or is interrupted after arming.
    #[test]
    fn loom_registration_never_goes_unnoticed_by_the_waiter() {
        loom::model(|| {
            let interrupted = Arc::new(AtomicBool::new(false));
            let flag = interrupted.clone();
            let timers = Arc::new(Timers::new(move || flag.store(true, Relaxed)));
            let mut key = None;
            assert_eq!(timers.poll_entry(&mut key, 100, Waker::noop()), EntryState::Pending);
            let registrar = {
                let timers = timers.clone();
                loom::thread::spawn(move || {
                    let mut key = None;
                    assert_eq!(timers.poll_entry(&mut key, 10, Waker::noop()), EntryState::Pending);
                })
            };
            interrupted.store(false, Relaxed);
            let armed = timers.arm_tick();
            registrar.join().unwrap();
            assert!(armed == 10 || interrupted.load(Relaxed), "armed for {armed} and never interrupted");
        });
    }

    /// Cancelling (a dropped Sleep) racing the waiter firing the same entry:
    /// the task is woken at most once, and the entry is gone either way.
    #[test]
    fn loom_cancel_racing_fire_wakes_at_most_once_and_frees_the_entry() {
        loom::model(|| {
            let timers = Arc::new(Timers::new(|| {}));
            let count = std::sync::Arc::new(Count(AtomicUsize::new(0)));
            let waker = Waker::from(count.clone());
            let mut key = None;
            assert_eq!(timers.poll_entry(&mut key, 5, &waker), EntryState::Pending);
            let key = key.unwrap();
            let firer = {
                let timers = timers.clone();
                loom::thread::spawn(move || {
                    let mut wakers = Vec::new();
                    timers.fire_at(5, &mut wakers);
                    wakers.into_iter().for_each(Waker::wake);
                })
            };
            timers.remove_entry(key);
            firer.join().unwrap();
            assert!(count.0.load(Relaxed) <= 1);
            assert_eq!(timers.pending(), 0);
        });
    }
}
