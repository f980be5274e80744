//! Poll monitoring: timing task polls for the poll-time histogram and for
//! slow-poll reports, which name the task that blocks a worker.
//!
//! Off by default: timing costs two clock reads per poll. A thread that runs
//! tasks (a worker, a current-thread `block_on`) installs its runtime's
//! monitor with [`enter`]; the task harness asks [`start`] before each poll
//! and hands the time to [`finish`] after it, while it still holds the task.

use std::cell::RefCell;
use std::fmt;

use std::panic::Location;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::diagnostics::metrics::PollTimes;

/// The environment variable that sets the slow-poll threshold, in milliseconds,
/// when the `Builder` does not.
pub const SLOW_POLL_ENV: &str = "RUNTIME_SLOW_POLL_MS";

/// A task poll that took longer than the runtime's slow-poll threshold.
#[derive(Debug, Clone)]
pub struct SlowPoll {
    spawned_at: &'static Location<'static>,
    duration: Duration,
    threshold: Duration,
}

impl SlowPoll {
    /// Where the task was spawned (the caller of `spawn`).
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }

    /// How long the poll took.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// The threshold it passed.
    pub fn threshold(&self) -> Duration {
        self.threshold
    }
}

impl fmt::Display for SlowPoll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "runtime: a poll of the task spawned at {} took {:?} (slow-poll threshold {:?}); it held its \
             worker thread that long, and the tasks queued behind it waited. Move blocking or long CPU work \
             to spawn_blocking. (Reported once per task.)",
            self.spawned_at, self.duration, self.threshold
        )
    }
}

/// The callback a runtime reports slow polls to.
pub(crate) type SlowPollHook = Arc<dyn Fn(&SlowPoll) + Send + Sync>;

/// What a runtime's monitor does; shared by its threads.
#[derive(Clone, Default)]
pub(crate) struct Config {
    pub(crate) slow_poll_threshold: Option<Duration>,
    pub(crate) on_slow_poll: Option<SlowPollHook>,
    /// Asked for by `enable_poll_time_histogram`.
    pub(crate) histogram: bool,
}

impl Config {
    /// Whether poll times are kept in the histogram: asked for, or timed
    /// anyway for a slow-poll threshold. Then every poll is timed.
    pub(crate) fn keeps_histogram(&self) -> bool {
        self.histogram || self.slow_poll_threshold.is_some()
    }

    fn report(&self, slow: &SlowPoll) {
        match &self.on_slow_poll {
            Some(hook) => hook(slow),
            None => eprintln!("{slow}"),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("slow_poll_threshold", &self.slow_poll_threshold)
            .field("on_slow_poll", &self.on_slow_poll.is_some())
            .field("histogram", &self.histogram)
            .finish()
    }
}

/// The monitor a thread that runs tasks installed.
struct ThreadMonitor {
    config: Arc<Config>,
    times: Arc<PollTimes>,
}

crate::sync::thread_local! {
    static MONITOR: RefCell<Option<ThreadMonitor>> = const { RefCell::new(None) };
}

/// Uninstalls the thread's monitor when dropped.
pub(crate) struct Entered(());

impl Drop for Entered {
    fn drop(&mut self) {
        MONITOR.with(|monitor| monitor.borrow_mut().take());
    }
}

/// Times the task polls this thread runs until the guard drops (nothing when
/// `config` is off).
pub(crate) fn enter(config: &Arc<Config>, times: &Arc<PollTimes>) -> Option<Entered> {
    if !config.keeps_histogram() {
        return None;
    }
    let monitor = ThreadMonitor { config: config.clone(), times: times.clone() };
    MONITOR.with(|slot| *slot.borrow_mut() = Some(monitor));
    Some(Entered(()))
}

/// Before a task poll: the time, if this thread times polls.
pub(crate) fn start() -> Option<Instant> {
    MONITOR.with(|monitor| monitor.borrow().is_some().then(Instant::now))
}

/// After the poll of the task spawned at `spawned_at`: records its time and,
/// if it was slow, reports it when `first_report` says the task was not
/// reported before (the task header's flag: this module knows no tasks).
pub(crate) fn finish(started: Instant, spawned_at: &'static Location<'static>, first_report: impl FnOnce() -> bool) {
    let duration = started.elapsed();
    MONITOR.with(|monitor| {
        let monitor = monitor.borrow();
        let Some(monitor) = monitor.as_ref() else { return };
        monitor.times.record(duration);
        let Some(threshold) = monitor.config.slow_poll_threshold else { return };
        if duration >= threshold && first_report() {
            monitor.config.report(&SlowPoll { spawned_at, duration, threshold });
        }
    });
}

/// The threshold [`SLOW_POLL_ENV`] sets, if it is set, read once per process
/// (a runtime built per test must not read the environment each time). A
/// value that is not a number of milliseconds is reported on stderr, once,
/// and ignored: a debugging aid must not stop the application.
pub(crate) fn threshold_from_env() -> Option<Duration> {
    static THRESHOLD: std::sync::OnceLock<Option<Duration>> = std::sync::OnceLock::new();
    *THRESHOLD.get_or_init(read_threshold)
}

fn read_threshold() -> Option<Duration> {
    let value = std::env::var_os(SLOW_POLL_ENV)?;
    match value.to_str().and_then(|v| v.trim().parse::<u64>().ok()) {
        Some(ms) => Some(Duration::from_millis(ms)),
        None => {
            eprintln!("runtime: ignoring {SLOW_POLL_ENV}={value:?}: expected a whole number of milliseconds");
            None
        }
    }
}
