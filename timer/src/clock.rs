//! The clock a runtime's timers read: real time until the runtime pauses
//! it, then virtual time that moves only when told to (`advance`, or the
//! current-thread scheduler jumping to the next deadline when every task
//! waits), or with real time again after `resume`, from where it stood.
//!
//! ```text
//!            pause                      resume
//!  running ─────────▶ paused (frozen) ─────────▶ running (offset kept)
//!                       │  ▲
//!                       └──┘ advance(d): now += d
//! ```
//!
//! Reading the clock costs nothing extra while no clock in the process has
//! ever been paused: [`now`] is `std::time::Instant::now()` then, behind one
//! relaxed load of [`SKEWED`].

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Clocks alive in the process that have been paused at least once: while
/// there are none, every clock reads real time.
static SKEWED: AtomicUsize = AtomicUsize::new(0);

/// One runtime's clock.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    /// `None` until the clock is first paused: then it reads real time.
    virtual_time: Mutex<Option<Frozen>>,
}

/// Virtual time: `base` when frozen, `base` plus the real time since
/// `unfrozen_at` after a resume.
#[derive(Debug, Clone, Copy)]
struct Frozen {
    base: Instant,
    unfrozen_at: Option<Instant>,
}

impl Frozen {
    fn now(&self) -> Instant {
        match self.unfrozen_at {
            Some(at) => self.base + at.elapsed(),
            None => self.base,
        }
    }
}

impl Clock {
    /// Now, by this clock.
    pub(crate) fn now(&self) -> Instant {
        if SKEWED.load(Relaxed) == 0 {
            return Instant::now();
        }
        self.lock().map_or_else(Instant::now, |frozen| frozen.now())
    }

    /// `at`, by this clock, in real time (`std::time::Instant::now()`'s):
    /// `None` while paused, as real time never brings a paused deadline.
    pub(crate) fn to_real(&self, at: Instant) -> Option<Instant> {
        if SKEWED.load(Relaxed) == 0 {
            return Some(at);
        }
        let Some(frozen) = *self.lock() else { return Some(at) };
        frozen.unfrozen_at?;
        // Virtual time only ever runs ahead of real time.
        let (real_now, ahead) = (Instant::now(), frozen.now().saturating_duration_since(Instant::now()));
        Some(at.checked_sub(ahead).unwrap_or(real_now))
    }

    /// Whether the clock is paused.
    pub(crate) fn is_paused(&self) -> bool {
        SKEWED.load(Acquire) != 0 && self.lock().is_some_and(|frozen| frozen.unfrozen_at.is_none())
    }

    /// Freezes the clock at its current reading.
    ///
    /// # Panics
    /// When it is already paused.
    #[track_caller]
    pub(crate) fn pause(&self) {
        let mut state = self.lock();
        let now = match *state {
            Some(frozen) if frozen.unfrozen_at.is_none() => panic!("time is already paused"),
            Some(frozen) => frozen.now(),
            None => {
                // Release: a reader that sees the count sees the state too.
                SKEWED.fetch_add(1, Release);
                Instant::now()
            }
        };
        *state = Some(Frozen { base: now, unfrozen_at: None });
    }

    /// Lets the clock run with real time again, from its current reading.
    ///
    /// # Panics
    /// When it is not paused.
    #[track_caller]
    pub(crate) fn resume(&self) {
        let mut state = self.lock();
        match &mut *state {
            Some(frozen) if frozen.unfrozen_at.is_none() => frozen.unfrozen_at = Some(Instant::now()),
            _ => panic!("time is not paused: `resume` follows a `pause`"),
        }
    }

    /// Moves a paused clock forward by `by`, or to `to` if that is later
    /// (the scheduler's jump to the next deadline); false when it is not paused.
    pub(crate) fn advance(&self, by: Duration, to: Option<Instant>) -> bool {
        let mut state = self.lock();
        match &mut *state {
            Some(frozen) if frozen.unfrozen_at.is_none() => {
                frozen.base = (frozen.base + by).max(to.unwrap_or(frozen.base));
                true
            }
            _ => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Frozen>> {
        self.virtual_time.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for Clock {
    fn drop(&mut self) {
        if self.lock().is_some() {
            SKEWED.fetch_sub(1, Relaxed);
        }
    }
}

/// Whether some clock in the process may differ from real time.
pub(crate) fn any_skewed() -> bool {
    SKEWED.load(Relaxed) != 0
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_paused_clock_moves_only_when_advanced_and_keeps_its_offset_after_resume() {
        let clock = Clock::default();
        clock.pause();
        assert!(clock.is_paused());
        let frozen = clock.now();
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(clock.now(), frozen);
        assert!(clock.advance(Duration::from_secs(3600), None));
        assert_eq!(clock.now(), frozen + Duration::from_secs(3600));
        assert!(clock.advance(Duration::ZERO, Some(frozen + Duration::from_secs(7200))));
        assert!(clock.advance(Duration::ZERO, Some(frozen)));
        assert_eq!(clock.now(), frozen + Duration::from_secs(7200), "never backwards");
        clock.resume();
        assert!(!clock.is_paused());
        assert!(!clock.advance(Duration::from_secs(1), None), "only a paused clock advances");
        assert!(clock.now() >= frozen + Duration::from_secs(7200));
        assert!(clock.now() > Instant::now() + Duration::from_secs(7000));
    }

    #[test]
    #[should_panic(expected = "time is not paused")]
    fn resuming_a_running_clock_panics() {
        Clock::default().resume();
    }
}
