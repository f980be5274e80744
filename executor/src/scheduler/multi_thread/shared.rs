//! What all workers of one runtime share ([`Shared`]): spawning, where a
//! woken task is queued, waking parked workers, shutdown and metrics.

use std::future::Future;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use super::worker::WORKER;
use crate::diagnostics::metrics::WorkerMetrics;
use crate::diagnostics::monitor;
use crate::queue::{inject::Inject, local, local::Local, local::Steal};
use crate::scheduler::guards::Guards;
use crate::scheduler::multi_thread::idle::Idle;
use crate::scheduler::park::{Parker, Unparked};
use crate::scheduler::wake_batch::{add_to_batch, BatchQueue};
use crate::sync::Arc;
use crate::task::{Header, JoinHandle, Notified, OwnedTasks, Schedule, SpawnedAt, Task};
use crate::Poller;

/// State shared by all workers of one runtime; tasks hold it as their scheduler.
///
/// Aligned past a cache-line pair so that the `Arc`'s reference count, which
/// every spawn and every freed task writes, shares no line with the fields
/// every worker reads.
#[repr(align(128))]
pub(crate) struct Shared {
    pub(super) remotes: Box<[Remote]>,
    pub(super) inject: Inject<Notified>,
    pub(super) idle: Idle,
    pub(crate) owned: OwnedTasks,
    shutdown: AtomicBool,
    /// The driver's event wait, which one idle worker at a time blocks in.
    pub(super) poller: Option<Arc<dyn Poller>>,
    /// The fairness guards that are on (all of them, outside tests).
    pub(super) guards: Guards,
    pub(super) monitor: Arc<monitor::Config>,
    /// The schedule seed (seed.rs): each worker's victim choices come from it.
    pub(super) seed: Option<u64>,
}

/// What other threads may touch of one worker.
///
/// Aligned past a cache-line pair, and its counters on lines of their own:
/// a worker writes its counters on every poll, and no other worker's reads
/// of its queue, rounds or parker may share a line with them (nor with the
/// next worker's `Remote`).
#[repr(align(128))]
pub(super) struct Remote {
    pub(super) steal: Steal<Notified>,
    /// Rounds this worker completed (module docs); written by it alone.
    pub(super) rounds: AtomicU32,
    pub(super) parker: Parker,
    pub(super) metrics: OwnLines<WorkerMetrics>,
}

/// A value on cache lines of its own (a pair: the prefetcher pulls lines in twos).
#[repr(align(128))]
pub(super) struct OwnLines<T>(pub(super) T);

impl<T> std::ops::Deref for OwnLines<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Builds the shared state and the local queues, one per worker thread to start.
pub(crate) fn new(
    workers: usize,
    poller: Option<Arc<dyn Poller>>,
    guards: Guards,
    monitor: Arc<monitor::Config>,
    seed: Option<u64>,
) -> (Arc<Shared>, Vec<Local<Notified>>) {
    let (locals, remotes): (Vec<_>, Vec<_>) = (0..workers)
        .map(|_| {
            let (local, steal) = local::new();
            (
                local,
                Remote {
                    steal,
                    rounds: AtomicU32::new(0),
                    parker: Parker::new(),
                    metrics: OwnLines(WorkerMetrics::default()),
                },
            )
        })
        .unzip();
    let shared = Shared {
        remotes: remotes.into_boxed_slice(),
        inject: Inject::new(),
        idle: Idle::new(workers),
        owned: OwnedTasks::new(),
        shutdown: AtomicBool::new(false),
        poller,
        guards,
        monitor,
        seed,
    };
    (Arc::new(shared), locals)
}

impl Shared {
    pub(crate) fn spawn<F>(self: &Arc<Self>, future: F, spawned_at: SpawnedAt) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (handle, notified) = self.owned.bind(future, self.clone(), spawned_at);
        if let Some(notified) = notified {
            self.schedule_task(notified, false);
        }
        handle
    }

    fn schedule_task(self: &Arc<Self>, task: Notified, is_yield: bool) {
        let task = WORKER.with(|worker| match &*worker.borrow() {
            Some(worker) if Arc::ptr_eq(&worker.shared, self) => worker.schedule_local(task, is_yield),
            _ => Some(task),
        });
        let batched = |task| add_to_batch(self, task);
        if let Some(task) = task.and_then(batched) {
            self.schedule_remote(task);
        }
    }

    fn schedule_remote(&self, task: Notified) {
        // A refused task (shutdown) is dropped here, outside the injector's lock.
        if self.inject.push(task).is_ok() {
            self.notify_parked();
        }
    }

    pub(super) fn notify_parked(&self) {
        if let Some(worker) = self.idle.worker_to_notify() {
            self.unpark_worker(worker);
        }
    }

    pub(super) fn unpark_worker(&self, worker: usize) {
        if self.remotes[worker].parker.unpark() == Unparked::Polling {
            if let Some(poller) = &self.poller {
                poller.interrupt();
            }
        }
    }

    pub(super) fn has_work(&self) -> bool {
        !self.inject.is_empty() || self.remotes.iter().any(|remote| !remote.steal.is_empty())
    }

    pub(super) fn overflow(&self, batch: &mut dyn Iterator<Item = Notified>) {
        // A refused batch (shutdown) is dropped here, outside the injector's lock.
        let _ = self.inject.push_batch(batch);
    }

    /// Tells the workers to stop and wakes them.
    pub(crate) fn signal_shutdown(&self) {
        self.shutdown.store(true, Ordering::Release);
        for worker in 0..self.remotes.len() {
            self.unpark_worker(worker);
        }
    }

    /// After the workers stopped: cancels every task and empties the injector.
    pub(crate) fn shutdown_tasks(&self) {
        self.owned.close_and_shutdown_all();
        drop(self.inject.close());
    }

    pub(super) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }

    pub(crate) fn num_workers(&self) -> usize {
        self.remotes.len()
    }

    pub(crate) fn fill_metrics(&self, metrics: &mut crate::RuntimeMetrics) {
        metrics.workers = self.remotes.len();
        metrics.tasks_alive = self.owned.len();
        metrics.worker_polls = self.remotes.iter().map(|r| r.metrics.polls.get()).collect();
        metrics.worker_steals = self.remotes.iter().map(|r| r.metrics.steals.get()).collect();
        metrics.worker_parks = self.remotes.iter().map(|r| r.metrics.parks.get()).collect();
        metrics.injector_pushes = self.inject.pushes();
        if self.monitor.keeps_histogram() {
            for remote in self.remotes.iter() {
                remote.metrics.poll_times.add_to(&mut metrics.poll_time_histogram);
            }
        }
    }
}

impl BatchQueue for Shared {
    fn push_batch(&self, tasks: Vec<Notified>) {
        // A refused batch (shutdown) is dropped here, outside the injector's lock.
        if self.inject.push_batch(tasks.into_iter()).is_ok() {
            self.notify_parked();
        }
    }
}

impl Schedule for Arc<Shared> {
    fn schedule(&self, task: Notified) {
        self.schedule_task(task, false);
    }

    fn reschedule(&self, task: Notified) {
        self.schedule_task(task, true);
    }

    fn release(&self, task: NonNull<Header>) -> Option<Task> {
        self.owned.remove(task)
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultiThread")
            .field("workers", &self.remotes.len())
            .field("inject", &self.inject)
            .field("owned", &self.owned)
            .finish()
    }
}
