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
#![deny(unsafe_code)]
#![doc(test(attr(deny(warnings))))]
// Under loom only the lock-free modules and their models are built.
#![cfg_attr(loom, allow(dead_code, unused_imports))]

pub(crate) use runtime_shim as sync;

pub mod coop;
mod idle;
mod park;
#[allow(unsafe_code)] // the run queues' ring of slots (ARCHITECTURE.md, "Where unsafe lives")
mod queue;
#[allow(unsafe_code)] // the task cell
mod task;

#[cfg(not(loom))]
mod block_on;
#[cfg(not(loom))]
mod blocking;
#[cfg(not(loom))]
mod context;
#[cfg(not(loom))]
mod current_thread;
#[cfg(not(loom))]
mod default;
mod dump;
#[cfg(not(loom))]
mod guards;
#[cfg(not(loom))]
mod join_set;
#[cfg(not(loom))]
#[allow(unsafe_code)] // binding a !Send future as a task
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
mod wake_batch;
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
pub use wake_batch::wake_all;
#[cfg(not(loom))]
pub use yield_now::{yield_now, YieldNow};

#[cfg(not(loom))]
pub use default::{
    block_on, default_handle, set_default_builder, spawn, spawn_blocking, spawn_blocking_mandatory, with_current_or,
};

/// The index (from 0 to the number of workers) of the multi-thread worker
/// running on this thread, `None` on any other thread: for drivers that keep
/// one shard of their state per worker (the timers' wheels).
#[cfg(not(loom))]
pub fn current_worker_index() -> Option<usize> {
    worker::current_index()
}
