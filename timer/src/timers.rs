//! The timers of one runtime: one timing wheel per worker (a shard), each
//! behind its own lock, and the arming protocol that keeps the thread waiting
//! in epoll from oversleeping a new deadline.
//!
//! # Shards
//! A sleep registers in the shard of the worker that first polls it, and
//! stays there (a later poll on another worker refreshes its waker in the same
//! shard). Workers registering at once therefore take different locks, and
//! each `Sleep` holds a reference to its shard, whose count stays in its
//! worker's cache, rather than to the shared timers. Threads that are not
//! workers share the last shard. Firing looks at every shard whose
//! `earliest` is due.
//!
//! # Arming protocol
//! Whichever thread is about to wait in epoll (the reactor thread, or an idle
//! worker that took the wait over) calls [`Timers::arm`]: it sets `armed` to
//! `NEVER`, reads the next expiration of every shard (under its lock; an
//! empty shard, whose `earliest` is NEVER, without it), stores their minimum
//! in `armed`, and then waits at most until then. A registration inserts
//! under its shard's lock and, once unlocked, reads `armed`: a tick earlier
//! than it lowers `armed` and interrupts the wait (the reactor's eventfd):
//! ```text
//! waiter:  armed = NEVER ─ fence ─ for each shard: [lock ─] next [─ unlock] ─ armed = min ─ wait
//! sleep:   lock its shard ─ insert t ─ unlock ─ [fence ─] t < armed? armed = t, interrupt the wait
//! ```
//! A registration the waiter's scan misses reads `NEVER` or the minimum the
//! waiter stored:
//! - the waiter locked the shard before the insert: through that lock, the
//!   registration's read of `armed` comes after the waiter's `NEVER`;
//! - the waiter skipped the shard as empty: the registration (into an empty
//!   shard) stored `earliest`, fenced, then read `armed`; the waiter stored
//!   `armed`, fenced, then read `earliest`. Of two SeqCst fences one comes
//!   first, so one of the two reads sees the other's store.
//!
//! `t` is below `NEVER`, so it interrupts; against the minimum it either
//! interrupts or the waiter wakes no later than `t` anyway and arms again.
//! The eventfd keeps an interrupt that arrives before the wait begins. An
//! `armed` left over from a waiter that already woke costs at most one spare
//! interrupt: every waiter arms afresh. So a deadline registered while a
//! thread waits in epoll interrupts it only when it must, and only once per
//! new earliest deadline.
//!
//! # Firing order
//! Two threads may fire at once: the one waiting in epoll, and the reactor
//! thread standing in for a worker that holds the wait but has left timers
//! overdue. Each takes `firing` from collecting the due entries until their
//! wakers were woken, so the batches are woken one after the other, each
//! with every entry due at its tick: a task woken by its timer runs after
//! every timer with an earlier deadline was woken (within one tick, entries
//! are woken together, in no set order). The reactor thread's batch reaches
//! each runtime's queue only after its last waker ran (the executor's
//! `wake_all`), so no task of a batch runs before the rest of it was woken.
//! tokio documents no order; this one is kept because it costs a lock only
//! when something is due.
//!
//! A shard's `earliest` is a lower bound of its next expiration (cancelled
//! entries leave it early, never late), read without the lock so that the
//! frequent "anything due?" check of a busy worker costs no lock when nothing
//! is.

use std::fmt;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::sync::{fence, lock, Arc, AtomicBool, AtomicU64, Mutex, MutexGuard};
use crate::wheel::{Key, Wheel, TICK_NANOS};

/// No deadline: `armed` while a waiter arms or when every wheel is empty,
/// and a shard's `earliest` when its wheel is empty.
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

/// The timers of one runtime (or the process-wide fallback): timing wheels
/// of wakers, one per worker, driven by whichever thread waits in epoll.
pub struct Timers {
    shards: Box<[Arc<Shard>]>,
    common: Arc<Common>,
}

/// What every shard reads: the clock, its origin and the arming state.
struct Common {
    /// What "now" is for these timers (real time unless paused).
    clock: Clock,
    /// Tick 0, by `clock`.
    epoch: Instant,
    /// The tick the thread waiting in epoll wakes at, at the latest (module docs).
    armed: AtomicU64,
    /// Held from collecting due timers until they are woken (module docs,
    /// "Firing order").
    firing: Mutex<()>,
    shut_down: AtomicBool,
    /// Interrupts the wait in epoll.
    interrupt: Box<dyn Fn() + Send + Sync>,
}

/// A registered timer: its task's waker and its exact deadline, in
/// nanoseconds since the epoch (the wheel keeps only the tick; a paused
/// clock jumps to the exact deadline).
pub(crate) struct Entry {
    waker: Waker,
    nanos: u64,
}

/// One wheel and its lock. Aligned past a cache-line pair: its `Arc`'s count,
/// which every `Sleep` registered here writes, and its lock must not share a
/// line with another shard's.
#[repr(align(128))]
pub(crate) struct Shard {
    wheel: Mutex<Wheel<Entry>>,
    /// At most the wheel's next expiration.
    earliest: AtomicU64,
    common: Arc<Common>,
}

impl fmt::Debug for Timers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timers")
            .field("shards", &self.shards.len())
            .field("pending", &self.pending())
            .field("armed", &self.common.armed.load(Relaxed))
            .field("shut_down", &self.common.shut_down.load(Relaxed))
            .finish_non_exhaustive()
    }
}

impl Timers {
    /// Empty timers with `shards` wheels (at least one); `interrupt` makes
    /// the thread waiting for them (in epoll) look again.
    pub fn new(shards: usize, interrupt: impl Fn() + Send + Sync + 'static) -> Timers {
        let common = Arc::new(Common {
            clock: Clock::default(),
            epoch: Instant::now(),
            armed: AtomicU64::new(NEVER),
            firing: Mutex::new(()),
            shut_down: AtomicBool::new(false),
            interrupt: Box::new(interrupt),
        });
        let shards = (0..shards.max(1))
            .map(|_| {
                Arc::new(Shard {
                    wheel: Mutex::new(Wheel::new()),
                    earliest: AtomicU64::new(NEVER),
                    common: common.clone(),
                })
            })
            .collect();
        Timers { shards, common }
    }

    /// Timers not yet fired or cancelled.
    pub fn pending(&self) -> usize {
        self.shards.iter().map(|shard| lock(&shard.wheel).len()).sum()
    }

    /// The shard for registrations made on worker `worker` (`None`: a
    /// thread that is not a worker).
    pub(crate) fn shard(&self, worker: Option<usize>) -> &Arc<Shard> {
        let last = self.shards.len() - 1;
        &self.shards[worker.map_or(last, |index| index % self.shards.len())]
    }

    /// For the thread about to wait in epoll: the deadline to wake at (module
    /// docs), in real time; `None` while the clock is paused. A registration
    /// of an earlier one interrupts the wait.
    pub fn arm(&self) -> Option<Instant> {
        let deadline = self.common.instant_of(self.arm_tick())?;
        self.common.clock.to_real(deadline)
    }

    fn arm_tick(&self) -> u64 {
        // A registration that the scan below misses must read NEVER or the
        // minimum (module docs); the fence pairs with `scheduled`'s for the
        // shards skipped as empty.
        self.common.armed.store(NEVER, SeqCst);
        fence(SeqCst);
        let next = self.shards.iter().map(|shard| shard.refresh_earliest()).min().unwrap_or(NEVER);
        self.common.armed.store(next, SeqCst);
        next
    }

    /// At most the next deadline (never later), in real time, without
    /// taking a lock (unless the clock was ever paused).
    pub fn next(&self) -> Option<Instant> {
        let deadline = self.common.instant_of(self.earliest())?;
        self.common.clock.to_real(deadline)
    }

    /// The clock these timers read.
    pub(crate) fn clock(&self) -> &Clock {
        &self.common.clock
    }

    /// Moves a paused clock to the next deadline and wakes the timers due
    /// then; false when there is none. The wheel is stepped from expiration
    /// to expiration (cascading higher levels) until entries expire.
    pub(crate) fn advance_to_next(&self) -> bool {
        loop {
            let next = self.shards.iter().map(|shard| shard.refresh_earliest()).min().unwrap_or(NEVER);
            if next == NEVER {
                return false;
            }
            if self.expire_paused(next, None) {
                return true;
            }
        }
    }

    /// Moves a paused clock forward by `by` and wakes the timers then due;
    /// false when the clock is not paused.
    pub(crate) fn advance_by(&self, by: Duration) -> bool {
        if !self.common.clock.advance(by, None) {
            return false;
        }
        let now = self.common.clock.now();
        self.expire_paused(tick_of(self.common.nanos_of(now)), Some(now));
        true
    }

    /// For a paused clock: expires every entry up to `tick`, then moves the
    /// clock to `now`, or further, to the latest exact deadline among them.
    /// The wheel knows ticks, the entries exact deadlines: so a sleep of an
    /// hour measures an hour, not an hour and part of a tick, and none
    /// completes before its deadline. True when entries expired.
    fn expire_paused(&self, tick: u64, now: Option<Instant>) -> bool {
        let _firing = lock(&self.common.firing);
        let (mut wakers, mut latest) = (Vec::new(), 0);
        self.expire_at(tick, |entry| {
            latest = latest.max(entry.nanos);
            wakers.push(entry.waker);
        });
        let latest = self.common.epoch + Duration::from_nanos(latest);
        // A clock resumed meanwhile is not moved: real time brings it there.
        self.common.clock.advance(Duration::ZERO, Some(now.map_or(latest, |now| now.max(latest))));
        let fired = !wakers.is_empty();
        runtime_reactor::wake_all_caught(&mut wakers);
        fired
    }

    fn earliest(&self) -> u64 {
        self.shards.iter().map(|shard| shard.earliest.load(Relaxed)).min().unwrap_or(NEVER)
    }

    /// Wakes every timer due now, with `wakers` (the caller's, which it
    /// wakes itself when no timer is due), through `wake`.
    pub fn fire(&self, wakers: &mut Vec<Waker>, wake: &mut dyn FnMut(&mut Vec<Waker>)) {
        // The lock-free look first: most looks of a busy runtime find nothing due.
        // No timers: no clock read either (busy workers look often).
        let earliest = self.earliest();
        if earliest == NEVER {
            return;
        }
        let now = self.common.now_tick(self.common.clock.now());
        if now < earliest {
            return;
        }
        // A `now` read before the lock: a firing that held it meanwhile took
        // at most what is due by a later `now`, and what this one leaves is
        // due for the next look.
        let _firing = lock(&self.common.firing);
        let before = wakers.len();
        self.fire_at(now, wakers);
        if wakers.len() > before {
            wake(wakers);
        }
    }

    fn fire_at(&self, now: u64, wakers: &mut Vec<Waker>) {
        self.expire_at(now, |entry| wakers.push(entry.waker));
    }

    fn expire_at(&self, now: u64, mut expire: impl FnMut(Entry)) {
        for shard in self.shards.iter() {
            if now >= shard.earliest.load(Relaxed) {
                let mut wheel = lock(&shard.wheel);
                wheel.advance(now, &mut expire);
                shard.earliest.store(wheel.next_expiration().unwrap_or(NEVER), Relaxed);
            }
        }
    }

    /// Fails every pending and later registration with
    /// `EntryState::ShutDown` and wakes the pending ones, so that they move
    /// to timers that still run.
    pub fn shutdown(&self) {
        let mut wakers = Vec::new();
        // Release: pairs with the Acquire in poll_entry (each shard's lock orders it too).
        self.common.shut_down.store(true, Release);
        for shard in self.shards.iter() {
            lock(&shard.wheel).drain(|entry| wakers.push(entry.waker));
        }
        runtime_reactor::wake_all_caught(&mut wakers);
    }
}

/// The tick a deadline of `nanos` falls in, rounded up: a timer never fires early.
fn tick_of(nanos: u64) -> u64 {
    nanos.div_ceil(TICK_NANOS)
}

impl Common {
    /// `at` in nanoseconds since the epoch, saturating.
    fn nanos_of(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
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
}

impl Shard {
    /// Now, by the clock of the timers this shard belongs to.
    pub(crate) fn now(&self) -> Instant {
        self.common.clock.now()
    }

    /// `deadline` in nanoseconds since the epoch (saturating: about 584
    /// years), what the entry functions take.
    pub(crate) fn deadline_nanos(&self, deadline: Instant) -> u64 {
        self.common.nanos_of(deadline)
    }

    /// Registers an entry due at `nanos` with `waker` (when `key` is `None`),
    /// or refreshes the waker of the registered one.
    pub(crate) fn poll_entry(&self, key: &mut Option<Key>, nanos: u64, waker: &Waker) -> EntryState {
        let tick = tick_of(nanos);
        let mut wheel = lock(&self.wheel);
        if self.common.shut_down.load(Acquire) {
            return EntryState::ShutDown;
        }
        if let Some(registered) = *key {
            let Some(stored) = wheel.get_mut(registered) else {
                *key = None;
                return EntryState::Fired;
            };
            if stored.waker.will_wake(waker) {
                return EntryState::Pending;
            }
            let old = std::mem::replace(&mut stored.waker, waker.clone());
            drop(wheel);
            // A waker's drop may run a task's destructor: never under the lock.
            drop(old);
            return EntryState::Pending;
        }
        match wheel.insert(tick, Entry { waker: waker.clone(), nanos }) {
            Ok(registered) => *key = Some(registered),
            Err(_) => return EntryState::Fired,
        }
        self.scheduled(wheel, tick);
        EntryState::Pending
    }

    /// Moves a registered entry to `nanos`, reusing it; an entry that fired, or
    /// that `nanos` makes due at once, is forgotten (the next poll registers
    /// anew or finds the deadline passed).
    pub(crate) fn reset_entry(&self, key: &mut Option<Key>, nanos: u64) {
        let Some(registered) = *key else { return };
        let tick = tick_of(nanos);
        let mut wheel = lock(&self.wheel);
        if let Some(entry) = wheel.get_mut(registered) {
            entry.nanos = nanos;
        }
        match wheel.reset(registered, tick) {
            Ok(true) => self.scheduled(wheel, tick),
            Ok(false) => *key = None,
            Err(entry) => {
                *key = None;
                drop(wheel);
                drop(entry);
            }
        }
    }

    /// Cancels a registered entry in O(1).
    pub(crate) fn remove_entry(&self, key: Key) {
        let removed = lock(&self.wheel).remove(key);
        drop(removed);
    }

    /// After an entry was put at `tick` (the wheel still locked): lowers
    /// `earliest`, unlocks, then lowers `armed` and interrupts the waiter when
    /// `tick` is earlier than what it waits for (module docs).
    fn scheduled(&self, wheel: MutexGuard<'_, Wheel<Entry>>, tick: u64) {
        let earliest = self.earliest.load(Relaxed);
        if tick < earliest {
            self.earliest.store(tick, Relaxed);
        }
        drop(wheel);
        if earliest == NEVER {
            // Pairs with the fence in `arm_tick`: a waiter may have skipped
            // this shard as empty (module docs).
            fence(SeqCst);
        }
        let armed = &self.common.armed;
        if tick < armed.load(SeqCst) {
            armed.fetch_min(tick, SeqCst);
            (self.common.interrupt)();
        }
    }

    /// Sets `earliest` to the wheel's next expiration, under the lock, and
    /// returns it; an empty shard (`earliest` NEVER) is skipped unlocked, so
    /// a runtime without timers arms without taking a lock.
    fn refresh_earliest(&self) -> u64 {
        if self.earliest.load(Relaxed) == NEVER {
            return NEVER;
        }
        let wheel = lock(&self.wheel);
        let next = wheel.next_expiration().unwrap_or(NEVER);
        self.earliest.store(next, Relaxed);
        next
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
            Timers::new(2, move || {
                counter.fetch_add(1, Relaxed);
            }),
            interrupts,
        )
    }

    #[test]
    fn only_a_new_earliest_deadline_interrupts_the_armed_waiter() {
        let (timers, interrupts) = counting_timers();
        let waker = Waker::noop();
        let (first, second) = (timers.shard(Some(0)), timers.shard(None));
        assert!(!Arc::ptr_eq(first, second));
        assert_eq!(timers.arm_tick(), NEVER);
        let mut a = None;
        assert_eq!(first.poll_entry(&mut a, 100 * TICK_NANOS, waker), EntryState::Pending);
        assert_eq!(interrupts.load(Relaxed), 1);
        let mut b = None;
        assert_eq!(second.poll_entry(&mut b, 200 * TICK_NANOS, waker), EntryState::Pending);
        assert_eq!(interrupts.load(Relaxed), 1, "a later deadline leaves the wait alone");
        // Tick 100 sits on level 1, whose slot starts at 64: the waiter wakes
        // there to cascade it (never after a deadline).
        assert_eq!(timers.arm_tick(), 64);
        let mut c = None;
        assert_eq!(second.poll_entry(&mut c, 50 * TICK_NANOS, waker), EntryState::Pending);
        assert_eq!(interrupts.load(Relaxed), 2, "an earlier deadline in another shard interrupts");
        assert_eq!(timers.pending(), 3);
        assert_eq!(timers.arm_tick(), 50);
    }

    #[test]
    fn fired_entries_wake_once_and_report_fired() {
        let (timers, _) = counting_timers();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let shard = timers.shard(Some(1));
        let mut key = None;
        assert_eq!(shard.poll_entry(&mut key, 10 * TICK_NANOS, &waker), EntryState::Pending);
        assert_eq!(shard.poll_entry(&mut key, 10 * TICK_NANOS, &waker), EntryState::Pending);
        let mut wakers = Vec::new();
        timers.fire_at(9, &mut wakers);
        assert!(wakers.is_empty());
        timers.fire_at(10, &mut wakers);
        wakers.drain(..).for_each(Waker::wake);
        assert_eq!(count.0.load(Relaxed), 1);
        assert_eq!(shard.poll_entry(&mut key, 10 * TICK_NANOS, &waker), EntryState::Fired);
        assert_eq!(key, None);
        assert_eq!(timers.earliest(), NEVER);
    }

    #[test]
    fn shutdown_wakes_pending_entries_and_refuses_new_ones() {
        let (timers, _) = counting_timers();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let (mut a, mut b) = (None, None);
        assert_eq!(timers.shard(Some(0)).poll_entry(&mut a, 10 * TICK_NANOS, &waker), EntryState::Pending);
        assert_eq!(timers.shard(None).poll_entry(&mut b, 20 * TICK_NANOS, &waker), EntryState::Pending);
        timers.shutdown();
        assert_eq!(count.0.load(Relaxed), 2);
        assert_eq!(timers.shard(Some(0)).poll_entry(&mut a, 10 * TICK_NANOS, &waker), EntryState::ShutDown);
        assert_eq!(timers.pending(), 0);
    }

    #[test]
    fn deadlines_round_up_and_now_rounds_down() {
        let (timers, _) = counting_timers();
        let (shard, common) = (timers.shard(None), &timers.common);
        let just_after = common.epoch + Duration::from_nanos(TICK_NANOS + 1);
        assert_eq!(tick_of(shard.deadline_nanos(just_after)), 2);
        assert_eq!(common.now_tick(just_after), 1);
        assert!(common.instant_of(2).unwrap() >= just_after);
        assert_eq!(shard.deadline_nanos(common.epoch - Duration::from_secs(1)), 0);
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

    /// A registration racing the waiter's arming, in the shard the waiter
    /// scans first and in the one it scans last, with `armed` left stale
    /// below the new deadline by an earlier wait: the waiter either arms for
    /// the new deadline (or earlier) or is interrupted after arming.
    #[test]
    fn loom_registration_never_goes_unnoticed_by_the_waiter() {
        for (registrar_shard, other_shard) in [(Some(0), None), (None, Some(0))] {
            loom::model(move || {
                let interrupted = Arc::new(AtomicBool::new(false));
                let flag = interrupted.clone();
                let timers = Arc::new(Timers::new(2, move || flag.store(true, Relaxed)));
                let other = timers.shard(other_shard);
                let (mut late, mut early) = (None, None);
                assert_eq!(other.poll_entry(&mut late, 100 * TICK_NANOS, Waker::noop()), EntryState::Pending);
                assert_eq!(other.poll_entry(&mut early, 5 * TICK_NANOS, Waker::noop()), EntryState::Pending);
                // A previous wait armed for tick 5, whose sleep then went away:
                // `armed` is stale and below the new deadline.
                assert_eq!(timers.arm_tick(), 5);
                other.remove_entry(early.unwrap());
                interrupted.store(false, Relaxed);
                let registrar = {
                    let timers = timers.clone();
                    loom::thread::spawn(move || {
                        let mut key = None;
                        let shard = timers.shard(registrar_shard);
                        assert_eq!(shard.poll_entry(&mut key, 10 * TICK_NANOS, Waker::noop()), EntryState::Pending);
                    })
                };
                let armed = timers.arm_tick();
                registrar.join().unwrap();
                assert!(armed <= 10 || interrupted.load(Relaxed), "armed for {armed} and never interrupted");
            });
        }
    }

    /// Cancelling (a dropped Sleep) racing the waiter firing the same entry:
    /// the task is woken at most once, and the entry is gone either way.
    #[test]
    fn loom_cancel_racing_fire_wakes_at_most_once_and_frees_the_entry() {
        loom::model(|| {
            let timers = Arc::new(Timers::new(2, || {}));
            let count = std::sync::Arc::new(Count(AtomicUsize::new(0)));
            let waker = Waker::from(count.clone());
            let mut key = None;
            assert_eq!(timers.shard(None).poll_entry(&mut key, 5 * TICK_NANOS, &waker), EntryState::Pending);
            let key = key.unwrap();
            let firer = {
                let timers = timers.clone();
                loom::thread::spawn(move || {
                    let mut wakers = Vec::new();
                    timers.fire_at(5, &mut wakers);
                    wakers.into_iter().for_each(Waker::wake);
                })
            };
            timers.shard(None).remove_entry(key);
            firer.join().unwrap();
            assert!(count.0.load(Relaxed) <= 1);
            assert_eq!(timers.pending(), 0);
        });
    }
}
