//! [`Handle`]: a cheap reference to a running runtime, for spawning,
//! entering its context and reaching its services from any thread.

use std::any::Any;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use super::{RuntimeFlavor, Service};
use crate::block_on;
use crate::blocking::BlockingPool;
use crate::diagnostics::runtime_metrics::SchedulerMetrics;
use crate::runtime::context::{self, EnterGuard, TryCurrentError};
use crate::scheduler::{current_thread, multi_thread};
use crate::task::JoinHandle;
use crate::{RuntimeMetrics, ServiceMetrics};

/// A cheap, cloneable reference to a runtime, valid on any thread.
#[derive(Clone)]
pub struct Handle {
    pub(super) inner: Arc<HandleInner>,
}

/// Aligned as worker.rs's `Shared`: clones of the handle must not evict the
/// drivers that every timer's first poll looks up.
#[repr(align(128))]
pub(super) struct HandleInner {
    pub(super) scheduler: Scheduler,
    pub(super) blocking: BlockingPool,
    pub(super) services: Vec<Arc<dyn Service>>,
    pub(super) seed: Option<u64>,
}

pub(super) enum Scheduler {
    MultiThread(Arc<multi_thread::Shared>),
    CurrentThread(Arc<current_thread::Shared>),
}

/// So that APIs taking a runtime (`LocalSet::block_on`) take a handle too.
impl AsRef<Handle> for Handle {
    fn as_ref(&self) -> &Handle {
        self
    }
}

impl Handle {
    /// The handle of the runtime this thread runs in.
    ///
    /// # Panics
    /// Outside a runtime; see [`Handle::try_current`].
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(handle) => handle,
            Err(error) => panic!("{error}"),
        }
    }

    /// The handle of the runtime this thread runs in.
    ///
    /// # Errors
    /// [`TryCurrentError`]: outside a runtime, or while this thread's
    /// thread-locals are being destroyed.
    ///
    /// # Examples
    /// ```
    /// assert!(runtime::Handle::try_current().unwrap_err().is_missing_context());
    /// let rt = runtime::Runtime::new()?;
    /// rt.block_on(async { assert!(runtime::Handle::try_current().is_ok()) });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::try_current()
    }

    /// Runs `f` with the current runtime's handle, if any, borrowed rather
    /// than cloned: for drivers looking themselves up on a hot path (a timer's
    /// first poll) without touching the handle's shared reference count.
    ///
    /// # Panics
    /// When `f` enters a runtime context ([`Handle::enter`], `block_on`).
    pub fn with_current<R>(f: impl FnOnce(Option<&Handle>) -> R) -> R {
        context::with_current(f)
    }

    /// Makes this runtime the current one on this thread until the guard drops,
    /// so `spawn` and `Handle::current` reach it.
    pub fn enter(&self) -> EnterGuard<'_> {
        context::enter(self.clone(), false)
    }

    /// Spawns a task onto this runtime.
    ///
    /// # Examples
    /// ```
    /// let rt = runtime_executor::Runtime::new()?;
    /// let handle = rt.handle().clone();
    /// let sum = std::thread::spawn(move || handle.block_on(handle.spawn(async { 2 + 2 })))
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(sum.unwrap(), 4);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_at(future, std::panic::Location::caller())
    }

    /// [`Handle::spawn`] with the caller to report in slow-poll reports and
    /// dumps (for spawn functions that reach the handle inside a closure).
    #[doc(hidden)]
    pub fn spawn_at<F>(&self, future: F, spawned_at: &'static Location<'static>) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match &self.inner.scheduler {
            Scheduler::MultiThread(shared) => shared.spawn(future, spawned_at),
            Scheduler::CurrentThread(shared) => shared.spawn(future, spawned_at),
        }
    }

    /// Runs `f` on the blocking pool and returns a handle to its result.
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.inner.blocking.spawn(f, false)
    }

    /// Like [`Handle::spawn_blocking`], for a job that must run even if the
    /// runtime shuts down before it starts (the pool runs it while shutting
    /// down, or on a thread of its own after): writes that were already
    /// reported done to their caller, for instance.
    pub fn spawn_blocking_mandatory<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.inner.blocking.spawn(f, true)
    }

    /// Runs `future` to completion on this thread, inside the runtime's context.
    /// On a current-thread runtime this thread also runs the runtime's tasks.
    ///
    /// # Panics
    /// When called from a thread that runs asynchronous tasks (a worker, or
    /// inside another `block_on`).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        context::assert_may_block();
        let _context = context::enter(self.clone(), true);
        match &self.inner.scheduler {
            Scheduler::MultiThread(_) => block_on::park_on(future),
            Scheduler::CurrentThread(shared) => shared.block_on(future, &|has_work| self.on_idle(has_work)),
        }
    }

    /// A current-thread scheduler with nothing to run asks the services
    /// (see [`Service::on_idle`]); blocking jobs in flight will wake it anyway.
    fn on_idle(&self, has_work: &dyn Fn() -> bool) -> bool {
        !self.inner.blocking.busy() && self.inner.services.iter().any(|service| service.on_idle(has_work))
    }

    /// Which scheduler the runtime runs.
    pub fn runtime_flavor(&self) -> RuntimeFlavor {
        match &self.inner.scheduler {
            Scheduler::MultiThread(_) => RuntimeFlavor::MultiThread,
            Scheduler::CurrentThread(_) => RuntimeFlavor::CurrentThread,
        }
    }

    /// The schedule seed this runtime runs with ([`Builder::schedule_seed`](crate::Builder::schedule_seed),
    /// or `RUNTIME_SEED`), if any: print it to replay a failing schedule.
    pub fn schedule_seed(&self) -> Option<u64> {
        self.inner.seed
    }

    /// The runtime's counters, read live ([`RuntimeMetrics`]).
    pub fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics::new(self.clone())
    }

    pub(crate) fn scheduler_metrics(&self) -> &dyn SchedulerMetrics {
        match &self.inner.scheduler {
            Scheduler::MultiThread(shared) => &**shared,
            Scheduler::CurrentThread(shared) => &**shared,
        }
    }

    pub(crate) fn service_metrics(&self) -> ServiceMetrics {
        let mut metrics = ServiceMetrics::default();
        for service in &self.inner.services {
            service.fill_metrics(&mut metrics);
        }
        metrics
    }

    /// The blocking pool's threads, and how many of them are idle.
    pub(crate) fn blocking_thread_counts(&self) -> (usize, usize) {
        self.inner.blocking.thread_counts()
    }

    /// A snapshot of every live task spawned onto this runtime (tasks of
    /// `spawn_local` are not in it): see [`Dump`](crate::Dump). It copies a
    /// few words per task under the owner lists' locks, one shard at a
    /// time; workers keep running meanwhile.
    pub fn dump(&self) -> crate::Dump {
        let owned = match &self.inner.scheduler {
            Scheduler::MultiThread(shared) => &shared.owned,
            Scheduler::CurrentThread(shared) => &shared.owned,
        };
        crate::Dump::collect(|visit| owned.for_each(visit))
    }

    /// The attached service of type `T`, if any (see [`Builder::service`](crate::Builder::service)).
    pub fn service<T: Service>(&self) -> Option<&T> {
        self.inner.services.iter().find_map(|service| (&**service as &dyn Any).downcast_ref::<T>())
    }

    /// The number of worker threads (1 for the current-thread flavor).
    pub fn num_workers(&self) -> usize {
        self.scheduler_metrics().num_workers()
    }
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut debug = f.debug_struct("Handle");
        match &self.inner.scheduler {
            Scheduler::MultiThread(shared) => debug.field("scheduler", shared),
            Scheduler::CurrentThread(shared) => debug.field("scheduler", shared),
        };
        debug.field("blocking", &self.inner.blocking).finish()
    }
}
