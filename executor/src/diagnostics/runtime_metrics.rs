//! [`RuntimeMetrics`]: tokio's live view of a runtime's counters, each
//! method reading its value when called; and the one question each
//! scheduler answers for it ([`SchedulerMetrics`]).

use std::ops::Range;
use std::time::Duration;

use super::metrics::{bucket_range, ServiceMetrics, WorkerMetrics, POLL_TIME_BUCKETS};
use crate::Handle;

/// What the two schedulers tell [`RuntimeMetrics`].
pub(crate) trait SchedulerMetrics {
    fn num_workers(&self) -> usize;
    fn num_alive_tasks(&self) -> usize;
    /// Tasks in the queue that tasks spawned or woken from outside the workers go to.
    fn global_queue_depth(&self) -> usize;
    /// Tasks pushed to that queue so far.
    fn injector_pushes(&self) -> u64;
    /// `worker` is below `num_workers` (checked by the caller).
    fn worker(&self, worker: usize) -> &WorkerMetrics;
    fn local_queue_depth(&self, worker: usize) -> usize;
    fn keeps_histogram(&self) -> bool;
}

/// A runtime's counters, read live: each method returns the value at the
/// time of the call (tokio's `RuntimeMetrics`, from
/// [`Handle::metrics`](crate::Handle::metrics)). Counters only grow;
/// subtract two readings to measure an interval. Reading costs a few
/// relaxed loads; the workers pay a plain load and store per event.
///
/// Methods taking `worker` panic when it is not below [`num_workers`](Self::num_workers).
///
/// # Examples
/// ```
/// let rt = runtime::Builder::new_multi_thread().worker_threads(2).build()?;
/// let metrics = rt.metrics();
/// assert_eq!(metrics.num_workers(), 2);
/// let task = rt.spawn(std::future::pending::<()>());
/// assert_eq!(metrics.num_alive_tasks(), 1); // counted from the spawn
/// task.abort();
/// rt.block_on(async { assert!(task.await.unwrap_err().is_cancelled()) });
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct RuntimeMetrics {
    handle: Handle,
}

/// The figures as they are now.
impl std::fmt::Debug for RuntimeMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // One non-generic helper for the per-worker lists keeps this small.
        let per_worker = |figure: fn(&RuntimeMetrics, usize) -> u64| -> Vec<u64> {
            (0..self.num_workers()).map(|worker| figure(self, worker)).collect()
        };
        f.debug_struct("RuntimeMetrics")
            .field("num_workers", &self.num_workers())
            .field("num_alive_tasks", &self.num_alive_tasks())
            .field("global_queue_depth", &self.global_queue_depth())
            .field("worker_poll_count", &per_worker(RuntimeMetrics::worker_poll_count))
            .field("worker_steal_count", &per_worker(RuntimeMetrics::worker_steal_count))
            .field("worker_park_count", &per_worker(RuntimeMetrics::worker_park_count))
            .field("worker_local_queue_depth", &per_worker(|m, w| m.worker_local_queue_depth(w) as u64))
            .field("injector_pushes", &self.injector_pushes())
            .field("num_blocking_threads", &self.num_blocking_threads())
            .field("num_idle_blocking_threads", &self.num_idle_blocking_threads())
            .field("reactor_events", &self.reactor_events())
            .field("io_registrations", &self.io_registrations())
            .field("timers_pending", &self.timers_pending())
            .finish()
    }
}

impl RuntimeMetrics {
    pub(crate) fn new(handle: Handle) -> RuntimeMetrics {
        RuntimeMetrics { handle }
    }

    fn scheduler(&self) -> &dyn SchedulerMetrics {
        self.handle.scheduler_metrics()
    }

    #[track_caller]
    fn worker(&self, worker: usize) -> &WorkerMetrics {
        let workers = self.num_workers();
        assert!(worker < workers, "worker index {worker} out of range: the runtime has {workers} workers");
        self.scheduler().worker(worker)
    }

    fn services(&self) -> ServiceMetrics {
        self.handle.service_metrics()
    }

    /// Worker threads (1 for the current-thread flavor: the thread in `block_on`).
    pub fn num_workers(&self) -> usize {
        self.scheduler().num_workers()
    }

    /// Spawned tasks that have not completed yet (`spawn_local` tasks, which
    /// belong to their thread rather than to the runtime, are not counted).
    pub fn num_alive_tasks(&self) -> usize {
        self.scheduler().num_alive_tasks()
    }

    /// Tasks waiting in the global queue: those spawned or woken from outside
    /// the workers, and a local queue's overflow (every queued task, for the
    /// current-thread flavor, whose one queue this is).
    pub fn global_queue_depth(&self) -> usize {
        self.scheduler().global_queue_depth()
    }

    /// Times `worker` went to sleep.
    #[track_caller]
    pub fn worker_park_count(&self, worker: usize) -> u64 {
        self.worker(worker).parks.get()
    }

    /// Times `worker` went to sleep plus times it woke: odd while it sleeps.
    #[track_caller]
    pub fn worker_park_unpark_count(&self, worker: usize) -> u64 {
        let metrics = self.worker(worker);
        metrics.parks.get() + metrics.unparks.get()
    }

    /// How long `worker` has been awake (running tasks or looking for them),
    /// summed up to its last sleep: the time since it last woke is added
    /// when it next parks.
    #[track_caller]
    pub fn worker_total_busy_duration(&self, worker: usize) -> Duration {
        Duration::from_nanos(self.worker(worker).busy_nanos.get())
    }

    /// Tasks in `worker`'s own queue (0 for the current-thread flavor, which
    /// has only the global one).
    #[track_caller]
    pub fn worker_local_queue_depth(&self, worker: usize) -> usize {
        let _ = self.worker(worker);
        self.scheduler().local_queue_depth(worker)
    }

    /// Task polls by `worker`.
    #[track_caller]
    pub fn worker_poll_count(&self, worker: usize) -> u64 {
        self.worker(worker).polls.get()
    }

    /// Successful steals by `worker` (each moves one or more tasks).
    #[track_caller]
    pub fn worker_steal_count(&self, worker: usize) -> u64 {
        self.worker(worker).steals.get()
    }

    /// Task polls over all workers.
    pub fn polls(&self) -> u64 {
        (0..self.num_workers()).map(|worker| self.worker_poll_count(worker)).sum()
    }

    /// Steals over all workers.
    pub fn steals(&self) -> u64 {
        (0..self.num_workers()).map(|worker| self.worker_steal_count(worker)).sum()
    }

    /// Parks over all workers.
    pub fn parks(&self) -> u64 {
        (0..self.num_workers()).map(|worker| self.worker_park_count(worker)).sum()
    }

    /// Tasks pushed to the global queue so far.
    pub fn injector_pushes(&self) -> u64 {
        self.scheduler().injector_pushes()
    }

    /// Threads in the blocking pool.
    pub fn num_blocking_threads(&self) -> usize {
        self.handle.blocking_thread_counts().0
    }

    /// Blocking-pool threads waiting for a job.
    pub fn num_idle_blocking_threads(&self) -> usize {
        self.handle.blocking_thread_counts().1
    }

    /// I/O events the runtime's reactor has handled (0 without one).
    pub fn reactor_events(&self) -> u64 {
        self.services().reactor_events
    }

    /// I/O sources registered with the runtime's reactor now (0 without one).
    pub fn io_registrations(&self) -> usize {
        self.services().io_registrations
    }

    /// Timers registered and not yet fired or cancelled (0 without timers).
    pub fn timers_pending(&self) -> usize {
        self.services().timers_pending
    }

    /// Task polls by how long they took, summed over the workers: bucket `i`
    /// counts the polls in [`poll_time_bucket_range`](Self::poll_time_bucket_range)`(i)`.
    /// Empty unless the runtime was built with
    /// [`Builder::enable_poll_time_histogram`](crate::Builder::enable_poll_time_histogram)
    /// or a slow-poll threshold.
    pub fn poll_time_histogram(&self) -> Vec<u64> {
        let mut sums = Vec::new();
        if self.scheduler().keeps_histogram() {
            for worker in 0..self.num_workers() {
                self.scheduler().worker(worker).poll_times.add_to(&mut sums);
            }
        }
        sums
    }

    /// The poll times bucket `index` of [`poll_time_histogram`](Self::poll_time_histogram)
    /// counts: under 1 µs, then a power of two of microseconds each, the last
    /// open-ended.
    ///
    /// # Panics
    /// When `index` is not below [`POLL_TIME_BUCKETS`](crate::POLL_TIME_BUCKETS).
    #[track_caller]
    pub fn poll_time_bucket_range(index: usize) -> Range<Duration> {
        assert!(index < POLL_TIME_BUCKETS, "the poll-time histogram has {POLL_TIME_BUCKETS} buckets");
        bucket_range(index)
    }
}
