//! Paused time: `pause`, `resume` and `advance`, for tests that run hours of
//! timeouts and intervals in milliseconds (clock.rs keeps the virtual clock).

use std::time::Duration;

use crate::service::paused_time_timers;

/// Pauses the current runtime's clock: [`Instant::now`](crate::Instant::now)
/// stands still, and once every task waits the clock jumps to the next timer
/// deadline at once (after the tasks of sockets already ready have run), so
/// sleeps and timeouts complete in order without waiting for real time.
/// Time also stands still while a blocking job runs, so a file read never
/// loses a race against a timeout because time jumped.
///
/// `#[runtime::test(start_paused = true)]` starts a test this way.
///
/// # Panics
/// Outside a current_thread runtime, or when time is already paused.
///
/// # Examples
/// ```
/// use runtime::time::{self, Duration, Instant};
///
/// #[runtime::main(flavor = "current_thread")]
/// async fn main() {
///     time::pause();
///     let start = Instant::now();
///     let late = time::timeout(Duration::from_secs(60), std::future::pending::<()>()).await;
///     assert!(late.is_err());
///     assert_eq!(start.elapsed(), Duration::from_secs(60));
/// }
/// ```
#[track_caller]
pub fn pause() {
    paused_time_timers("pause").clock().pause();
}

/// Lets the current runtime's clock run with real time again, from the
/// virtual instant it stood at.
///
/// # Panics
/// Outside a current_thread runtime, or when time is not paused.
#[track_caller]
pub fn resume() {
    paused_time_timers("resume").clock().resume();
}

/// Moves the paused clock forward by `duration`, fires the timers that are
/// then due, and yields once so that their tasks run.
///
/// # Panics
/// Outside a current_thread runtime, or when time is not paused.
///
/// # Examples
/// ```
/// use runtime::time::{self, Duration};
///
/// #[runtime::main(flavor = "current_thread")]
/// async fn main() {
///     time::pause();
///     let sleeper = runtime::spawn(time::sleep(Duration::from_secs(10)));
///     time::advance(Duration::from_secs(9)).await;
///     assert!(!sleeper.is_finished());
///     time::advance(Duration::from_secs(1)).await;
///     assert!(sleeper.is_finished());
/// }
/// ```
///
/// In a test, `#[runtime::test(start_paused = true)]` saves the `pause()`.
#[track_caller]
pub fn advance(duration: Duration) -> impl std::future::Future<Output = ()> + Send {
    let timers = paused_time_timers("advance");
    assert!(timers.advance_by(duration), "time is not paused: `advance` needs `time::pause` first");
    runtime_executor::yield_now()
}

/// Pauses `timers`' clock before their runtime starts (`Builder::start_paused`).
#[doc(hidden)]
pub fn pause_timers(timers: &crate::Timers) {
    timers.clock().pause();
}
