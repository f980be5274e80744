//! The reactor thread's two waits that are not epoll: its stand-by while a
//! worker holds the epoll wait ([`StandBy`]), and the flush tickets a paused
//! clock waits on ([`Flushes`]).
//!
//! # Stand-by
//! ```text
//!            stand_by()                       kicked / shutdown / workers gave the wait back
//! running ──────────────▶ standing by (naps) ─────────────────────────────────────────────▶ running
//!                           ▲      │ nap over: look again (the nap doubles up to MAX_STAND_BY,
//!                           └──────┘ shorter when a deadline will be overdue sooner)
//! ```
//! A timer registered with an earlier deadline kicks the stand-by, so that
//! its nap is measured against that deadline. The kick and the stand-by
//! meet in the store-buffer pattern:
//! ```text
//! stand-by:  standing_by = true ─ fence(SeqCst) ─ read the next deadline ─ nap
//! kick:      (deadline stored)  ─ fence(SeqCst) ─ read standing_by ─ if set: kicked = true, notify
//! ```
//! Of the two fences one comes first, so either the stand-by reads the new
//! deadline, or the kick sees `standing_by` and sets `kicked` under the lock
//! the stand-by holds between its looks (so the notification cannot fall
//! between a look and the nap). A kick is never lost; one that comes while
//! nobody stands by costs a load.
//!
//! # Flush tickets
//! `Handle::flush_events` takes a ticket (the count of requests) and waits
//! until the reactor thread has answered it: the thread reads the count
//! before a pass over epoll and, after the pass, stores it as answered. A
//! pass that begins after the request sees every event that was ready when
//! the request was made.
//!
//! # Invariants
//! 1. `kicked` is set only under its lock, and only read (and cleared) by
//!    the stand-by under it.
//! 2. `answered` only grows, and reaches a ticket only after a pass over
//!    epoll that began after the ticket was taken.

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use std::time::{Duration, Instant};

use crate::sync::{fence, lock, AtomicBool, AtomicU64, Condvar, Mutex};

/// The reactor thread's stand-by while workers hold the epoll wait.
#[derive(Debug)]
pub(crate) struct StandBy {
    /// Set by a kick while standing by (invariant 1).
    kicked: Mutex<bool>,
    wakeup: Condvar,
    /// Set while the reactor thread is in [`StandBy::stand_by`].
    standing_by: AtomicBool,
}

/// When the stand-by ends, as [`StandBy::stand_by`] asks its caller.
pub(crate) trait StandByWatch {
    /// Whether the runtime is shutting down.
    fn shutting_down(&self) -> bool;
    /// Whether a worker holds the epoll wait, or gave it back less than `window` ago.
    fn workers_have_it(&self, window: Duration) -> bool;
    /// The next timer deadline, or an earlier instant.
    fn next_deadline(&self) -> Option<Instant>;
}

impl StandBy {
    pub(crate) fn new() -> StandBy {
        StandBy { kicked: Mutex::new(false), wakeup: Condvar::new(), standing_by: AtomicBool::new(false) }
    }

    /// Sleeps while `watch` says workers use the epoll wait; returns early on
    /// a kick, at shutdown, or when a timer is `window` overdue. The nap
    /// starts at `window` and doubles up to `max_nap` for as long as workers
    /// keep the wait, so a busy or idle runtime wakes this thread rarely.
    pub(crate) fn stand_by(&self, watch: &impl StandByWatch, window: Duration, max_nap: Duration) {
        let mut kicked = lock(&self.kicked);
        self.standing_by.store(true, Relaxed);
        // SeqCst: the stand-by's side of the pattern in the module docs,
        // before its first read of the next deadline.
        fence(SeqCst);
        let mut nap = window / 2;
        loop {
            if watch.shutting_down() || std::mem::take(&mut *kicked) {
                break;
            }
            if !watch.workers_have_it(window) {
                break;
            }
            nap = (nap * 2).min(max_nap);
            if let Some(next) = watch.next_deadline() {
                let now = Instant::now();
                let overdue_at = next + window;
                if overdue_at <= now {
                    break;
                }
                nap = nap.min(overdue_at - now);
            }
            let (guard, _) = self.wakeup.wait_timeout(kicked, nap).unwrap_or_else(std::sync::PoisonError::into_inner);
            kicked = guard;
        }
        self.standing_by.store(false, Relaxed);
    }

    /// A timer with an earlier deadline was registered (stored before this
    /// call): ends a stand-by in progress, whose nap was measured without it.
    pub(crate) fn kick(&self) {
        // SeqCst: the kick's side of the pattern in the module docs.
        fence(SeqCst);
        if self.standing_by.load(Relaxed) {
            *lock(&self.kicked) = true;
            self.wakeup.notify_one();
        }
    }

    /// Ends a stand-by for shutdown (the caller set the shutdown flag first).
    pub(crate) fn wake_for_shutdown(&self) {
        // Through the lock: the stand-by is either before its look at the
        // flag, or in its nap and notified.
        drop(lock(&self.kicked));
        self.wakeup.notify_all();
    }
}

/// The flush tickets of `Handle::flush_events` (module docs).
#[derive(Debug)]
pub(crate) struct Flushes {
    requested: AtomicU64,
    answered: Mutex<u64>,
    flushed: Condvar,
}

impl Flushes {
    pub(crate) fn new() -> Flushes {
        Flushes { requested: AtomicU64::new(0), answered: Mutex::new(0), flushed: Condvar::new() }
    }

    /// Takes a ticket; the caller then interrupts the epoll wait.
    pub(crate) fn request(&self) -> u64 {
        // Release: the reactor thread that reads this count starts its pass
        // after the request began (pairs with the Acquire in `before_pass`).
        self.requested.fetch_add(1, Release) + 1
    }

    /// Waits until `ticket` is answered, or `shutting_down` says to stop
    /// (it is rechecked every `recheck`, since its store notifies nobody).
    pub(crate) fn wait(&self, ticket: u64, shutting_down: impl Fn() -> bool, recheck: Duration) {
        let mut answered = lock(&self.answered);
        while *answered < ticket && !shutting_down() {
            answered =
                self.flushed.wait_timeout(answered, recheck).unwrap_or_else(std::sync::PoisonError::into_inner).0;
        }
    }

    /// The reactor thread, before a pass over epoll: the requests it answers.
    pub(crate) fn before_pass(&self) -> u64 {
        // Acquire: pairs with `request`.
        self.requested.load(Acquire)
    }

    /// The reactor thread, after that pass: answers `requests` (invariant 2).
    pub(crate) fn answer(&self, requests: u64) {
        *lock(&self.answered) = requests;
        self.flushed.notify_all();
    }

    /// Ends every wait for shutdown (the caller set the shutdown flag first).
    pub(crate) fn wake_for_shutdown(&self) {
        drop(lock(&self.answered));
        self.flushed.notify_all();
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::{thread, Arc};

    /// The stand-by's view, from flags the models set.
    struct Watch {
        shutdown: AtomicBool,
        /// A deadline that is overdue now, once set.
        due: AtomicBool,
    }

    impl StandByWatch for Watch {
        fn shutting_down(&self) -> bool {
            self.shutdown.load(Acquire)
        }
        fn workers_have_it(&self, _window: Duration) -> bool {
            true
        }
        fn next_deadline(&self) -> Option<Instant> {
            // Relaxed: as the timers' `earliest`; the fences order it.
            self.due.load(Relaxed).then(|| Instant::now() - Duration::from_secs(1))
        }
    }

    fn watch() -> Arc<Watch> {
        Arc::new(Watch { shutdown: AtomicBool::new(false), due: AtomicBool::new(false) })
    }

    /// A deadline registered while the reactor thread goes into its stand-by
    /// ends the stand-by: the stand-by sees the deadline, or the kick sees
    /// the stand-by. (Loom's timed waits never time out, so a lost kick is a
    /// deadlock here.)
    #[test]
    fn loom_stand_by_never_misses_a_kick() {
        loom::model(|| {
            let (stand_by, watch) = (Arc::new(StandBy::new()), watch());
            let registrant = {
                let (stand_by, watch) = (stand_by.clone(), watch.clone());
                thread::spawn(move || {
                    watch.due.store(true, Relaxed);
                    stand_by.kick();
                })
            };
            stand_by.stand_by(&*watch, Duration::from_millis(1), Duration::from_millis(100));
            registrant.join().unwrap();
        });
    }

    /// Shutdown ends a stand-by whenever it comes.
    #[test]
    fn loom_stand_by_ends_at_shutdown() {
        loom::model(|| {
            let (stand_by, watch) = (Arc::new(StandBy::new()), watch());
            let stopper = {
                let (stand_by, watch) = (stand_by.clone(), watch.clone());
                thread::spawn(move || {
                    watch.shutdown.store(true, Release);
                    stand_by.wake_for_shutdown();
                })
            };
            stand_by.stand_by(&*watch, Duration::from_millis(1), Duration::from_millis(100));
            stopper.join().unwrap();
        });
    }

    /// A flush returns once the reactor thread answered a pass that began
    /// after the request, and not before.
    #[test]
    fn loom_flush_returns_after_a_pass_that_began_after_it() {
        loom::model(|| {
            let flushes = Arc::new(Flushes::new());
            let passes_begun_after = Arc::new(AtomicU64::new(0));
            let reactor = {
                let (flushes, passes) = (flushes.clone(), passes_begun_after.clone());
                thread::spawn(move || {
                    // Passes until one saw the request (earlier ones may not).
                    loop {
                        let requests = flushes.before_pass();
                        if requests > 0 {
                            passes.fetch_add(1, SeqCst);
                        }
                        flushes.answer(requests);
                        if requests > 0 {
                            break;
                        }
                        thread::yield_now();
                    }
                })
            };
            let ticket = flushes.request();
            // A lost answer would deadlock here (loom's timed waits never time out).
            flushes.wait(ticket, || false, Duration::from_millis(100));
            assert_eq!(passes_begun_after.load(SeqCst), 1, "answered by the pass that saw the request");
            reactor.join().unwrap();
        });
    }
}
