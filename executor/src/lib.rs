//! The executor of `runtime`: tasks, the work-stealing scheduler, the
//! current-thread scheduler and the blocking pool.
//!
//! It knows `std::task::Waker` and nothing of file descriptors: the reactor and
//! the timers reach it only by waking tasks (in batches, with [`wake_all`]),
//! and attach themselves to a runtime as opaque [`Service`]s.
//!
//! # Examples
//! ```
//! let rt = runtime_executor::Runtime::new()?;
//! let total = rt.block_on(async {
//!     let handles: Vec<_> = (0..10u64).map(|i| runtime_executor::spawn(async move { i * i })).collect();
//!     let mut total = 0;
//!     for handle in handles {
//!         total += handle.await.unwrap();
//!     }
//!     total
//! });
//! assert_eq!(total, 285);
//! # Ok::<(), std::io::Error>(())
//! ```
#![doc(test(attr(deny(warnings))))]
// Under loom only the lock-free modules and their models are built.
#![cfg_attr(loom, allow(dead_code, unused_imports))]

mod sync;

pub mod coop;
mod idle;
mod park;
mod queue;
mod task;

#[cfg(not(loom))]
mod block_on;
#[cfg(not(loom))]
mod blocking;
#[cfg(not(loom))]
mod context;
#[cfg(not(loom))]
mod current_thread;
mod dump;
#[cfg(not(loom))]
mod guards;
#[cfg(not(loom))]
mod join_set;
#[cfg(not(loom))]
mod local;
mod metrics;
mod monitor;
#[cfg(not(loom))]
mod runtime;
#[cfg(not(loom))]
mod seed;
#[cfg(not(loom))]
mod task_local;
#[cfg(not(loom))]
mod worker;
#[cfg(not(loom))]
mod yield_now;

#[cfg(not(loom))]
pub use context::EnterGuard;
pub use dump::{waiting_on, Dump, Resource, TaskInfo, TaskState, WaitingOn};
#[cfg(not(loom))]
pub use guards::Guard;
#[cfg(not(loom))]
pub use join_set::JoinSet;
#[cfg(not(loom))]
pub use local::spawn_local;
pub use metrics::RuntimeMetrics;
pub use monitor::{SlowPoll, POLL_TIME_BUCKETS, SLOW_POLL_ENV};
#[cfg(not(loom))]
pub use runtime::{Builder, Handle, Poller, Runtime, RuntimeFlavor, Service, Wait};
#[cfg(not(loom))]
pub use seed::SEED_ENV;
pub use task::{id, try_id, AbortHandle, Id, JoinError, JoinHandle};
#[cfg(not(loom))]
pub use task_local::{AccessError, LocalKey, TaskLocalFuture};

#[cfg(not(loom))]
pub use worker::wake_all;
#[cfg(not(loom))]
pub use yield_now::{yield_now, YieldNow};

#[cfg(not(loom))]
pub use free::*;

/// The index (from 0 to the number of workers) of the multi-thread worker
/// running on this thread, `None` on any other thread: for drivers that keep
/// one shard of their state per worker (the timers' wheels).
#[cfg(not(loom))]
pub fn current_worker_index() -> Option<usize> {
    worker::current_index()
}

#[cfg(not(loom))]
mod free {
    use std::future::Future;
    use std::sync::OnceLock;

    use crate::{Builder, Handle, JoinHandle, Runtime};

    /// Runs `f` with the current runtime's handle, or the default runtime's
    /// (started on first use), lent rather than cloned: spawning from many
    /// threads must not make them all write the handle's reference count.
    /// `f` must not enter a runtime context (as [`Handle::with_current`]).
    fn with_current_or_default<R>(f: impl FnOnce(&Handle) -> R) -> R {
        Handle::with_current(|current| match current {
            Some(handle) => f(handle),
            None => f(default()),
        })
    }

    /// The default runtime's handle, started on first use.
    fn default() -> &'static Handle {
        static DEFAULT: OnceLock<Runtime> = OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                Builder::new_multi_thread()
                    .thread_name("runtime-default")
                    .build()
                    .expect("the OS refused to start the default runtime's worker threads")
            })
            .handle()
    }

    /// Spawns a task on the current runtime (or the default one, started on
    /// first use, when called outside any runtime).
    ///
    /// # Examples
    /// ```
    /// let handle = runtime_executor::spawn(async { 40 + 2 });
    /// assert_eq!(runtime_executor::block_on(handle).unwrap(), 42);
    /// ```
    #[track_caller]
    pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let spawned_at = std::panic::Location::caller();
        with_current_or_default(|handle| handle.spawn_at(future, spawned_at))
    }

    /// Runs `f` on the current runtime's blocking pool (or the default runtime's).
    ///
    /// # Examples
    /// ```
    /// let handle = runtime_executor::spawn_blocking(|| std::fs::metadata(".").is_ok());
    /// assert!(runtime_executor::block_on(handle).unwrap());
    /// ```
    pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        with_current_or_default(|handle| handle.spawn_blocking(f))
    }

    /// Runs `f` on the current runtime's blocking pool (or the default
    /// runtime's) even if the runtime shuts down before it starts; see
    /// [`Handle::spawn_blocking_mandatory`].
    pub fn spawn_blocking_mandatory<F, R>(f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        with_current_or_default(|handle| handle.spawn_blocking_mandatory(f))
    }

    /// Runs `future` to completion on this thread, in the current runtime's
    /// context (or the default runtime's).
    ///
    /// # Panics
    /// When called from a thread that runs asynchronous tasks (a worker, or
    /// inside another `block_on`): use `spawn`, or `spawn_blocking`, instead.
    #[track_caller]
    pub fn block_on<F: Future>(future: F) -> F::Output {
        Handle::try_current().unwrap_or_else(|| default().clone()).block_on(future)
    }
}
