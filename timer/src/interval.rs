//! `Interval`: ticks at a fixed period.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;

use crate::sleep::{far_future_saturating, sleep_until, Sleep};
use crate::Instant;

/// Ticks every `period`, the first tick at once.
///
/// # Panics
/// When `period` is zero.
///
/// # Examples
/// ```
/// use std::time::Duration;
///
/// #[runtime::main(flavor = "current_thread")]
/// async fn main() {
///     let mut interval = runtime::time::interval(Duration::from_millis(2));
///     let first = interval.tick().await;
///     let second = interval.tick().await;
///     assert_eq!(second - first, Duration::from_millis(2));
/// }
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first tick at `start` (a
/// [`runtime::time::Instant`](crate::Instant) or a `std::time::Instant`).
///
/// # Panics
/// When `period` is zero.
#[track_caller]
pub fn interval_at(start: impl Into<Instant>, period: Duration) -> Interval {
    assert!(!period.is_zero(), "runtime::time::interval: the period must be more than zero");
    Interval { period, sleep: sleep_until(start), missed: MissedTickBehavior::default() }
}

/// What an [`Interval`] does with ticks it missed because it was not polled
/// in time (the task was busy, or the runtime overloaded).
///
/// Say the period is 10 ms, ticks were due at 10, 20 and 30 ms, and the
/// interval is polled again only at 35 ms:
/// ```text
///            missed: 20 30 ─ polled at 35 ─▶ next ticks
/// Burst:     35 (for 20), 35 (for 30), 40, 50, …   catch up at once
/// Delay:     35 (for 20), 45, 55, …                the schedule moves
/// Skip:      35 (for 20), 40, 50, …                the schedule stays, missed ticks are dropped
/// ```
/// A tick counts as missed when it is polled more than 5 ms after its time
/// (tokio's threshold); a tick polled sooner keeps the schedule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MissedTickBehavior {
    /// Fire the missed ticks as fast as they are polled, until back on
    /// schedule (the default: no tick is lost, as with tokio).
    #[default]
    Burst,
    /// Fire one tick now and the next a full period later: the ticks keep
    /// their spacing, the schedule shifts.
    Delay,
    /// Fire one tick now and the next at the next multiple of the period on
    /// the original schedule.
    Skip,
}

/// How late a tick may be polled and still count as on time (tokio's).
const MISSED_AFTER: Duration = Duration::from_millis(5);

impl MissedTickBehavior {
    /// The tick after the one `scheduled` for, fired at `now` (tokio's
    /// arithmetic). Saturating: a period of `Duration::MAX` means "never
    /// again", as a sleep of that length does, not an overflow.
    fn next_tick(self, scheduled: Instant, now: Instant, period: Duration) -> Instant {
        if now <= far_future_saturating(scheduled, MISSED_AFTER) {
            return far_future_saturating(scheduled, period);
        }
        match self {
            MissedTickBehavior::Burst => far_future_saturating(scheduled, period),
            MissedTickBehavior::Delay => far_future_saturating(now, period),
            MissedTickBehavior::Skip => {
                // The next time on the original schedule after now.
                let into_period = (now - scheduled).as_nanos() % period.as_nanos();
                let into_period = Duration::from_nanos(u64::try_from(into_period).unwrap_or(u64::MAX));
                far_future_saturating(now, period.saturating_sub(into_period))
            }
        }
    }
}

/// Ticks at a fixed period; see [`interval`]. Also a [`Stream`] of the
/// instants the ticks were scheduled for.
#[derive(Debug)]
pub struct Interval {
    period: Duration,
    sleep: Sleep,
    missed: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick; returns the instant it was scheduled for.
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick; returns the instant it was scheduled for.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.sleep.deadline();
        let next = self.missed.next_tick(scheduled, Instant::now(), self.period);
        self.sleep.reset(next);
        Poll::Ready(scheduled)
    }

    /// Restarts the schedule: the next tick is a period from now.
    pub fn reset(&mut self) {
        self.reset_after(self.period);
    }

    /// Restarts the schedule with the next tick at once.
    pub fn reset_immediately(&mut self) {
        self.reset_at(Instant::now());
    }

    /// Restarts the schedule with the next tick `after` from now.
    pub fn reset_after(&mut self, after: Duration) {
        self.reset_at(far_future_saturating(Instant::now(), after));
    }

    /// Restarts the schedule with the next tick at `deadline`; the ticks
    /// after it follow a period apart.
    pub fn reset_at(&mut self, deadline: impl Into<Instant>) {
        self.sleep.reset(deadline);
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// What happens to missed ticks.
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed
    }

    /// Sets what happens to missed ticks.
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }
}

impl Stream for Interval {
    type Item = Instant;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.get_mut().poll_tick(cx).map(Some)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn missed_ticks_follow_the_chosen_behavior() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let period = ms(10);
        // Scheduled for 20, polled at 35 (the docs' table).
        let (scheduled, now) = (t0 + ms(20), t0 + ms(35));
        assert_eq!(MissedTickBehavior::Burst.next_tick(scheduled, now, period), t0 + ms(30));
        assert_eq!(MissedTickBehavior::Delay.next_tick(scheduled, now, period), t0 + ms(45));
        assert_eq!(MissedTickBehavior::Skip.next_tick(scheduled, now, period), t0 + ms(40));
        // Up to 5 ms late is on time: every behavior keeps the schedule.
        for behavior in [MissedTickBehavior::Burst, MissedTickBehavior::Delay, MissedTickBehavior::Skip] {
            assert_eq!(behavior.next_tick(scheduled, t0 + ms(25), period), t0 + ms(30));
        }
        // Past 5 ms a tick is missed even within its period (tokio's threshold):
        // 7 ms late on a 100 ms period.
        let (scheduled, now, period) = (t0 + ms(100), t0 + ms(107), ms(100));
        assert_eq!(MissedTickBehavior::Burst.next_tick(scheduled, now, period), t0 + ms(200));
        assert_eq!(MissedTickBehavior::Delay.next_tick(scheduled, now, period), t0 + ms(207));
        assert_eq!(MissedTickBehavior::Skip.next_tick(scheduled, now, period), t0 + ms(200));
        // Polled exactly on a later tick's time: Skip goes to the one after.
        assert_eq!(MissedTickBehavior::Skip.next_tick(t0 + ms(20), t0 + ms(40), ms(10)), t0 + ms(50));
    }

    #[test]
    fn a_period_of_duration_max_saturates_instead_of_overflowing() {
        let t0 = Instant::now();
        for behavior in [MissedTickBehavior::Burst, MissedTickBehavior::Delay, MissedTickBehavior::Skip] {
            let next = behavior.next_tick(t0, t0 + Duration::from_secs(1), Duration::MAX);
            assert!(next > t0 + Duration::from_secs(86_400 * 365), "{behavior:?}: far in the future");
        }
    }
}
