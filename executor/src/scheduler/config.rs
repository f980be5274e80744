//! What the `Builder` sets in a scheduler, either flavor: the fairness
//! guards, the slow-poll monitor, the schedule seed, the park hooks and the
//! two intervals.

use std::sync::Arc;
use std::time::Instant;

use crate::diagnostics::metrics::WorkerMetrics;
use crate::diagnostics::monitor;
use crate::scheduler::guards::Guards;

/// A hook the `Builder` was given.
pub(crate) type Hook = Arc<dyn Fn() + Send + Sync>;

/// Polls between a worker's forced looks at the injector, by default (a
/// prime, as tokio's and Go's ticks, so it does not fall into step with a
/// program's own periods). Counted in polls, not ticks: tokio counts ticks,
/// so a task that spawns without end (4 polls a tick through the LIFO slot)
/// made outside tasks wait 4 times as long.
pub(crate) const GLOBAL_QUEUE_INTERVAL: u32 = 61;
/// Ticks between a busy worker's non-blocking looks at I/O readiness, by
/// default (as tokio's): events are picked up between tasks, not only when
/// a worker runs out of work.
pub(crate) const EVENT_INTERVAL: u32 = 61;

#[derive(Clone)]
pub(crate) struct Config {
    /// The fairness guards that are on (all of them, outside tests).
    pub(crate) guards: Guards,
    pub(crate) monitor: Arc<monitor::Config>,
    /// The schedule seed (seed.rs).
    pub(crate) seed: Option<u64>,
    /// Run by a worker as it goes to sleep and as it wakes.
    pub(crate) on_park: Option<Hook>,
    pub(crate) on_unpark: Option<Hook>,
    /// Multi-thread: ticks between a busy worker's looks at I/O.
    pub(crate) event_interval: u32,
    /// Multi-thread: polls between a worker's looks at the injector.
    pub(crate) global_queue_interval: u32,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("guards", &self.guards)
            .field("seed", &self.seed)
            .field("on_park", &self.on_park.is_some())
            .field("on_unpark", &self.on_unpark.is_some())
            .field("event_interval", &self.event_interval)
            .field("global_queue_interval", &self.global_queue_interval)
            .finish_non_exhaustive()
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            guards: Guards::ALL,
            monitor: Arc::default(),
            seed: None,
            on_park: None,
            on_unpark: None,
            event_interval: EVENT_INTERVAL,
            global_queue_interval: GLOBAL_QUEUE_INTERVAL,
        }
    }
}

impl Config {
    /// Sleeps through `park` between the park hooks, counting the park and
    /// the wake-up in `metrics` and the time awake since `busy_since`, which
    /// becomes the wake-up's time.
    pub(crate) fn park(&self, metrics: &WorkerMetrics, busy_since: &mut Instant, park: impl FnOnce()) {
        metrics.add_busy_since(*busy_since);
        metrics.parks.incr();
        if let Some(hook) = &self.on_park {
            hook();
        }
        park();
        if let Some(hook) = &self.on_unpark {
            hook();
        }
        metrics.unparks.incr();
        *busy_since = Instant::now();
    }
}
