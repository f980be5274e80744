//! Runtime metrics: per-worker counters written only by their worker, summed
//! when read, so keeping them on costs a plain load and store per event.

use std::ops::Range;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use crate::sync::AtomicU64;

/// One worker's counters. Each is written by its worker only.
#[derive(Debug, Default)]
pub(crate) struct WorkerMetrics {
    pub(crate) polls: Counter,
    pub(crate) steals: Counter,
    pub(crate) parks: Counter,
    /// Poll times, when the runtime keeps them (see `monitor.rs`).
    pub(crate) poll_times: std::sync::Arc<crate::monitor::PollTimes>,
}

/// A counter with a single writer: increments need no atomic read-modify-write.
#[derive(Debug)]
pub(crate) struct Counter(AtomicU64);

impl Default for Counter {
    fn default() -> Counter {
        Counter(AtomicU64::new(0))
    }
}

impl Counter {
    /// Adds one. Only the owning thread calls this.
    pub(crate) fn incr(&self) {
        // Relaxed: a statistic; the single writer makes load+store exact.
        self.0.store(self.0.load(Relaxed) + 1, Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

/// A snapshot of a runtime's counters, from [`Handle::metrics`](crate::Handle::metrics).
///
/// Counters only grow; subtract two snapshots to measure an interval.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuntimeMetrics {
    /// Worker threads (1 for the current-thread flavor: the thread in `block_on`).
    pub workers: usize,
    /// Spawned tasks that have not completed yet (`spawn_local` tasks, which
    /// belong to their thread rather than to the runtime, are not counted).
    pub tasks_alive: usize,
    /// Task polls, per worker.
    pub worker_polls: Vec<u64>,
    /// Successful steals, per worker.
    pub worker_steals: Vec<u64>,
    /// Times each worker went to sleep.
    pub worker_parks: Vec<u64>,
    /// Tasks pushed to the global injector (spawned or woken from outside a
    /// worker, or overflowing a local queue).
    pub injector_pushes: u64,
    /// Threads in the blocking pool.
    pub blocking_threads: usize,
    /// Blocking-pool threads waiting for a job.
    pub idle_blocking_threads: usize,
    /// I/O events the runtime's reactor has handled (filled in by the I/O driver).
    pub reactor_events: u64,
    /// I/O sources registered with the runtime's reactor now (filled in by the I/O driver).
    pub io_registrations: usize,
    /// Timers registered and not yet fired or cancelled (filled in by the
    /// timer driver, 0 without one).
    pub timers_pending: usize,
    /// Task polls by how long they took, summed over the workers: bucket `i`
    /// counts the polls in [`RuntimeMetrics::poll_time_bucket_range`]`(i)`.
    /// Empty unless the runtime was built with
    /// [`Builder::enable_poll_time_histogram`](crate::Builder::enable_poll_time_histogram)
    /// or a slow-poll threshold.
    pub poll_time_histogram: Vec<u64>,
}

impl RuntimeMetrics {
    /// Task polls over all workers.
    pub fn polls(&self) -> u64 {
        self.worker_polls.iter().sum()
    }

    /// Steals over all workers.
    pub fn steals(&self) -> u64 {
        self.worker_steals.iter().sum()
    }

    /// Parks over all workers.
    pub fn parks(&self) -> u64 {
        self.worker_parks.iter().sum()
    }

    /// The poll times bucket `index` of [`RuntimeMetrics::poll_time_histogram`]
    /// counts: under 1 µs, then a power of two of microseconds each, the last
    /// open-ended.
    ///
    /// # Panics
    /// When `index` is not below [`POLL_TIME_BUCKETS`](crate::POLL_TIME_BUCKETS).
    pub fn poll_time_bucket_range(index: usize) -> Range<Duration> {
        assert!(index < crate::POLL_TIME_BUCKETS, "the poll-time histogram has {} buckets", crate::POLL_TIME_BUCKETS);
        crate::monitor::bucket_range(index)
    }
}
