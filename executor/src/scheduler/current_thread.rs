//! The current-thread scheduler: every task runs inside `block_on`, on the
//! thread that calls it.
//!
//! One thread at a time drives the scheduler (holds `driver`). Another thread
//! calling `block_on` meanwhile polls its own future and takes over driving
//! once the driver leaves. The main future is polled whenever it was woken and
//! at least every [`MAIN_FUTURE_INTERVAL`] task polls, so a busy queue cannot starve it.
//!
//! Each thread in `block_on` also runs the local tasks it spawned (local.rs),
//! whether it drives or waits to drive.

use std::future::Future;
use std::pin::{pin, Pin};
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, TryLockError};
use std::task::Poll;
use std::thread::Thread;
use std::time::Instant;

use crate::block_on::{Blocked, MAIN_FUTURE_INTERVAL};
use crate::coop;
use crate::diagnostics::metrics::WorkerMetrics;
use crate::diagnostics::monitor;
use crate::diagnostics::runtime_metrics::SchedulerMetrics;
use crate::queue::inject::Inject;
use crate::scheduler::config::Config;
use crate::scheduler::guards::Guard;
use crate::scheduler::park::Parker;
use crate::scheduler::seed::SplitMix;
use crate::scheduler::wake_batch::{add_to_batch, BatchQueue};
use crate::sync::lock;
use crate::task::{Header, JoinHandle, Notified, OwnedTasks, Schedule, SpawnedAt, Task};

/// What the scheduler asks before it parks: given "has a task become
/// runnable?", whether it made tasks runnable.
pub(crate) type OnIdle<'a> = &'a dyn Fn(&dyn Fn() -> bool) -> bool;

/// The scheduler; tasks hold it as their scheduler.
pub(crate) struct Shared {
    queue: Inject<Notified>,
    pub(crate) owned: OwnedTasks,
    /// Wakes the driving thread: a task was queued or the main future woken.
    parker: Parker,
    /// Held by the thread that runs the tasks.
    driver: Mutex<()>,
    /// Threads in `block_on` waiting to drive.
    waiting: Mutex<Vec<Thread>>,
    /// Written by the driving thread (one at a time: `driver`).
    metrics: WorkerMetrics,
    config: Config,
    /// With a schedule seed, what picks the next task (seed.rs); only the
    /// driving thread takes it.
    picker: Option<Mutex<SplitMix>>,
}

impl Shared {
    pub(crate) fn new(config: Config) -> Arc<Shared> {
        let seed = config.seed;
        Arc::new(Shared {
            queue: Inject::new(),
            owned: OwnedTasks::new(),
            parker: Parker::new(),
            driver: Mutex::new(()),
            waiting: Mutex::new(Vec::new()),
            metrics: WorkerMetrics::default(),
            config,
            picker: seed.map(|seed| Mutex::new(SplitMix::new(seed))),
        })
    }

    pub(crate) fn spawn<F>(self: &Arc<Self>, future: F, spawned_at: SpawnedAt) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (handle, notified) = self.owned.bind(future, self.clone(), spawned_at);
        if let Some(notified) = notified {
            self.schedule(notified);
        }
        handle
    }

    /// Runs tasks until `future` completes; `on_idle` is asked before each
    /// park (`Handle::on_idle`), and true means it made tasks runnable.
    pub(crate) fn block_on<F: Future>(self: &Arc<Self>, future: F, on_idle: OnIdle<'_>) -> F::Output {
        let mut future = pin!(future);
        let me = std::thread::current();
        let blocked = {
            let (this, thread) = (self.clone(), me.clone());
            // Whoever drives, and this thread if it only waits to drive.
            Blocked::new(move || {
                let _ = this.parker.unpark();
                thread.unpark();
            })
        };
        let budget = self.config.guards.on(Guard::Budget);
        loop {
            // Register before trying the lock: either the lock is free now, or the
            // driver sees us when it leaves (it unlocks, then wakes the waiters).
            {
                let mut waiting = lock(&self.waiting);
                if !waiting.iter().any(|thread| thread.id() == me.id()) {
                    waiting.push(me.clone());
                }
            }
            let guard = match self.driver.try_lock() {
                Ok(guard) => Some(guard),
                Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
                Err(TryLockError::WouldBlock) => None,
            };
            if let Some(guard) = guard {
                let _driving = Driving { guard: Some(guard), shared: self };
                return self.drive(future.as_mut(), &blocked, budget, on_idle);
            }
            // Another thread drives: run our own future and local tasks meanwhile.
            if let Poll::Ready(output) = blocked.turn(future.as_mut(), budget) {
                return output;
            }
        }
    }

    fn drive<F: Future>(
        &self,
        mut future: Pin<&mut F>,
        blocked: &Blocked,
        budget: bool,
        on_idle: OnIdle<'_>,
    ) -> F::Output {
        let _monitored = monitor::enter(&self.config.monitor, &self.metrics.poll_times);
        let mut seeded =
            self.picker.as_ref().map(|picker| Seeded { picker: lock(picker), ready: Vec::new(), queue: &self.queue });
        let mut until_stamp = 0;
        let mut busy_since = Instant::now();
        let output = loop {
            // Dumps stamp polls with a clock read this often (dump.rs).
            if until_stamp == 0 {
                crate::diagnostics::dump::refresh_stamp();
                until_stamp = crate::scheduler::config::EVENT_INTERVAL;
            }
            until_stamp -= 1;
            if let Poll::Ready(output) = blocked.poll_main(future.as_mut(), budget) {
                break output;
            }
            let mut ran = 0;
            while ran < MAIN_FUTURE_INTERVAL {
                let next = || match &mut seeded {
                    Some(seeded) => seeded.pick(),
                    None => self.queue.pop(),
                };
                let Some(task) = blocked.local().pop_alternating(ran % 2 == 1, next) else { break };
                self.metrics.polls.incr();
                coop::budgeted(budget, || task.run());
                ran += 1;
            }
            let has_work = || blocked.is_woken() || !self.queue.is_empty() || !blocked.local().is_empty();
            if ran == 0 && !blocked.is_woken() && !on_idle(&has_work) {
                self.config.park(&self.metrics, &mut busy_since, || self.parker.park());
                until_stamp = 0;
            }
        };
        // The thread leaves with its time since the last wake-up counted.
        self.metrics.add_busy_since(busy_since);
        output
    }

    /// Makes the driving thread look at its queue again.
    pub(crate) fn unpark(&self) {
        let _ = self.parker.unpark();
    }

    /// Cancels every task and empties the queue.
    pub(crate) fn shutdown_tasks(&self) {
        self.owned.close_and_shutdown_all();
        drop(self.queue.close());
    }
}

impl SchedulerMetrics for Shared {
    fn num_workers(&self) -> usize {
        1
    }

    fn num_alive_tasks(&self) -> usize {
        self.owned.len()
    }

    fn global_queue_depth(&self) -> usize {
        self.queue.len()
    }

    fn injector_pushes(&self) -> u64 {
        self.queue.pushes()
    }

    fn worker(&self, _: usize) -> &WorkerMetrics {
        &self.metrics
    }

    fn local_queue_depth(&self, _: usize) -> usize {
        0
    }

    fn keeps_histogram(&self) -> bool {
        self.config.monitor.keeps_histogram()
    }
}

/// The seeded pick: every queued task moves into `ready`, and the generator
/// chooses which runs next. Tasks still in `ready` when the driver leaves go
/// back to the queue (also on panic), so none is lost.
struct Seeded<'a> {
    picker: std::sync::MutexGuard<'a, SplitMix>,
    ready: Vec<Notified>,
    queue: &'a Inject<Notified>,
}

impl Seeded<'_> {
    fn pick(&mut self) -> Option<Notified> {
        while let Some(task) = self.queue.pop() {
            self.ready.push(task);
        }
        if self.ready.is_empty() {
            return None;
        }
        let at = self.picker.below(self.ready.len());
        Some(self.ready.swap_remove(at))
    }
}

impl Drop for Seeded<'_> {
    fn drop(&mut self) {
        for task in self.ready.drain(..) {
            // A refused task (shutdown) is dropped: the owner list cancels it.
            let _ = self.queue.push(task);
        }
    }
}

/// Leaves the driver's seat (also on panic): unlocks, then wakes the threads
/// waiting to drive.
struct Driving<'a> {
    guard: Option<std::sync::MutexGuard<'a, ()>>,
    shared: &'a Shared,
}

impl Drop for Driving<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        for thread in lock(&self.shared.waiting).drain(..) {
            thread.unpark();
        }
    }
}

impl BatchQueue for Shared {
    fn push_batch(&self, tasks: Vec<Notified>) {
        // A refused batch (shutdown) is dropped here, outside the queue's lock.
        if self.queue.push_batch(tasks.into_iter()).is_ok() {
            let _ = self.parker.unpark();
        }
    }
}

impl Schedule for Arc<Shared> {
    fn schedule(&self, task: Notified) {
        // Inside a batch of remote wakes, queued with the rest (wake_batch.rs).
        let Some(task) = add_to_batch(self, task) else { return };
        // A refused task (shutdown) is dropped here, outside the queue's lock.
        if self.queue.push(task).is_ok() {
            let _ = self.parker.unpark();
        }
    }

    fn release(&self, task: NonNull<Header>) -> Option<Task> {
        self.owned.remove(task)
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurrentThread").field("queue", &self.queue).field("owned", &self.owned).finish()
    }
}
