//! What all workers of one runtime share ([`Shared`]): spawning, where a
//! woken task is queued, waking parked workers, shutdown and metrics; and
//! [`wake_all`], which queues a batch of remote wake-ups at once.

use std::cell::RefCell;
use std::future::Future;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::task::Waker;

use super::{OwnLines, Remote, Shared, WORKER};
use crate::guards::Guards;
use crate::idle::Idle;
use crate::metrics::WorkerMetrics;
use crate::monitor;
use crate::park::{Parker, Unparked};
use crate::queue::{inject::Inject, local, local::Local};
use crate::sync::Arc;
use crate::task::{Header, JoinHandle, Notified, OwnedTasks, Schedule, SpawnedAt, Task};
use crate::Poller;

thread_local! {
    /// Set while [`wake_all`] runs on this thread: remote wake-ups collect here,
    /// per runtime, and are queued together.
    static BATCH: RefCell<Option<Batches>> = const { RefCell::new(None) };
}

/// Tasks woken during one [`wake_all`], per runtime.
type Batches = Vec<(Arc<Shared>, Vec<Notified>)>;

/// Wakes every waker in `wakers`, leaving it empty. A waker whose code
/// panics is skipped after the panic hook reported it: the caller is a
/// runtime thread (the reactor's) that must go on waking the rest.
///
/// Tasks of a multi-thread runtime woken this way from outside its workers (the
/// reactor thread's batch of ready sources) reach its injector under one lock
/// with one notification, instead of one lock and one unpark each; the worker
/// that wakes up rouses another if there is more work than it can take.
pub fn wake_all(wakers: &mut Vec<Waker>) {
    if BATCH.with(|batch| batch.borrow().is_some()) {
        // Called from inside a wake: the outer call queues the batch.
        wakers.drain(..).for_each(wake_caught);
        return;
    }
    /// Queues the batch on every way out.
    struct Flush;
    impl Drop for Flush {
        fn drop(&mut self) {
            let batches = BATCH.with(|batch| batch.borrow_mut().take()).unwrap_or_default();
            for (shared, tasks) in batches {
                // A refused batch (shutdown) is dropped here, outside the injector's lock.
                if shared.inject.push_batch(tasks.into_iter()).is_ok() {
                    shared.notify_parked();
                }
            }
        }
    }
    BATCH.with(|batch| *batch.borrow_mut() = Some(Vec::new()));
    let _flush = Flush;
    wakers.drain(..).for_each(wake_caught);
}

/// Wakes `waker`, catching a panic in its code. (The reactor crate has the
/// same for its own threads; it does not depend on this one.)
fn wake_caught(waker: Waker) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| waker.wake()));
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
        if let Some(task) = task.and_then(|task| self.add_to_batch(task)) {
            self.schedule_remote(task);
        }
    }

    /// Adds `task` to this thread's [`wake_all`] batch; gives it back when no
    /// batch is being collected.
    fn add_to_batch(self: &Arc<Self>, task: Notified) -> Option<Notified> {
        BATCH.with(|batch| {
            let mut batch = batch.borrow_mut();
            let Some(batches) = batch.as_mut() else { return Some(task) };
            match batches.iter_mut().find(|(shared, _)| Arc::ptr_eq(shared, self)) {
                Some((_, tasks)) => tasks.push(task),
                None => batches.push((self.clone(), vec![task])),
            }
            None
        })
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
