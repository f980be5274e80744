//! `Sleep`: a future that completes at a deadline.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use runtime_executor::coop;

use crate::service;
use crate::sync::Arc;
use crate::timers::{EntryState, Shard};
use crate::wheel::Key;
use crate::Instant;

/// Waits until `duration` has passed.
///
/// The deadline is taken now, by the runtime's clock (which a paused runtime
/// moves virtually, see [`pause`](crate::pause)); the timer is registered when the returned
/// future is first polled, with the runtime it is polled in (outside any
/// runtime, with a process-wide timer thread). It never completes early, and
/// under light load within about 100 µs of its deadline.
///
/// # Examples
/// ```
/// use runtime::time::{Duration, Instant};
///
/// #[runtime::main(flavor = "current_thread")]
/// async fn main() {
///     let start = Instant::now();
///     runtime::time::sleep(Duration::from_millis(5)).await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// }
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(far_future_saturating(Instant::now(), duration))
}

/// Waits until `deadline` (a [`runtime::time::Instant`](crate::Instant) or
/// a `std::time::Instant`); completes at once when it has passed.
pub fn sleep_until(deadline: impl Into<Instant>) -> Sleep {
    Sleep { deadline: deadline.into(), entry: None, elapsed: false }
}

/// `now + duration`, or about 30 years from now when that overflows.
pub(crate) fn far_future_saturating(now: Instant, duration: Duration) -> Instant {
    now.checked_add(duration).unwrap_or_else(|| now + Duration::from_secs(86_400 * 365 * 30))
}

/// The future of [`sleep`] and [`sleep_until`].
///
/// It is `Unpin`: its timer entry lives in its runtime's timing wheel, not in
/// the future. Dropping it cancels the timer in O(1);
/// [`reset`](Sleep::reset) moves the same entry.
#[must_use = "futures do nothing unless polled"]
pub struct Sleep {
    deadline: Instant,
    /// The timer shard registered with and the entry there, once polled.
    entry: Option<(Arc<Shard>, Option<Key>)>,
    elapsed: bool,
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sleep").field("deadline", &self.deadline).field("elapsed", &self.elapsed).finish()
    }
}

impl Sleep {
    /// The instant this future completes at.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed (as seen by the last poll).
    pub fn is_elapsed(&self) -> bool {
        self.elapsed
    }

    /// Moves the deadline to `deadline`, reusing the registered timer entry
    /// (the future may complete again after it already has).
    pub fn reset(&mut self, deadline: impl Into<Instant>) {
        self.deadline = deadline.into();
        self.elapsed = false;
        if let Some((shard, key)) = &mut self.entry {
            shard.reset_entry(key, shard.deadline_nanos(self.deadline.into_std()));
        }
    }
}

impl Future for Sleep {
    type Output = ();

    /// Ready once the deadline has passed; completing spends a unit of the
    /// task's cooperative budget, so a loop over elapsed timers yields.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        coop::poll_budgeted(cx, |cx| self.poll_deadline(cx, true))
    }
}

impl Sleep {
    /// [`Sleep::poll`] without the budget: for [`Timeout`](crate::Timeout),
    /// whose deadline must be seen even when the future it guards spent the
    /// budget. With `tell_dump`, a `Pending` poll tells a task dump the task
    /// waits on this timer (a timeout leaves the word to the future it guards).
    pub(crate) fn poll_deadline(&mut self, cx: &mut Context<'_>, tell_dump: bool) -> Poll<()> {
        if self.elapsed {
            return Poll::Ready(());
        }
        // A passed deadline needs no timer: ready without a lock. A registered
        // entry is left to the wheel, which fires (or has fired) it within a
        // tick: taking the lock to remove it would cost more than a spare wake.
        let now = match &self.entry {
            Some((shard, _)) => shard.now(),
            None => service::now(),
        };
        if self.deadline.into_std() <= now {
            self.elapsed = true;
            if let Some((_, key)) = &mut self.entry {
                *key = None;
            }
            return Poll::Ready(());
        }
        loop {
            let (shard, key) = self.entry.get_or_insert_with(|| (service::current(), None));
            match shard.poll_entry(key, shard.deadline_nanos(self.deadline.into_std()), cx.waker()) {
                EntryState::Pending => {
                    if tell_dump {
                        let due_in = self.deadline.into_std().saturating_duration_since(now);
                        runtime_executor::waiting_on(runtime_executor::WaitingOn::Timer(due_in));
                    }
                    return Poll::Pending;
                }
                EntryState::Fired => {
                    self.elapsed = true;
                    return Poll::Ready(());
                }
                // The runtime is gone: carry on with timers that still run.
                EntryState::ShutDown => self.entry = Some((service::global_shard(), None)),
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some((shard, Some(key))) = &self.entry {
            shard.remove_entry(*key);
        }
    }
}
