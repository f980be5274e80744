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

#[cfg(not(loom))]
mod block_on;
#[cfg(not(loom))]
pub use block_on::wait_blocking;
#[cfg(not(loom))]
mod blocking;
pub mod coop;
mod diagnostics;
#[allow(unsafe_code)] // the run queues' ring of slots (ARCHITECTURE.md, "Where unsafe lives")
mod queue;
mod runtime;
mod scheduler;
#[allow(unsafe_code)] // the task cell (its API modules deny unsafe code again)
mod task;
#[cfg(not(loom))]
mod thread_spec;
mod wake_flag;
#[allow(unsafe_code)] // the waker cell, under the slot's state protocol
mod waker_slot;

pub use diagnostics::dump::{Dump, TaskInfo, TaskState};
pub use diagnostics::metrics::{ServiceMetrics, POLL_TIME_BUCKETS};
pub use diagnostics::monitor::{SlowPoll, SLOW_POLL_ENV};
#[cfg(not(loom))]
pub use diagnostics::runtime_metrics::RuntimeMetrics;
#[cfg(not(loom))]
pub use runtime::context::EnterGuard;
#[cfg(not(loom))]
pub use runtime::default_runtime::{
    block_on, default_handle, set_default_builder, spawn, spawn_blocking, spawn_blocking_mandatory, with_current_or,
};
#[cfg(not(loom))]
pub use runtime::{Assembly, Builder, Engine, Handle, Runtime, RuntimeFlavor, TryCurrentError};
pub use runtime::{Poller, Service, Wait};
#[cfg(not(loom))]
pub use scheduler::guards::Guard;
#[cfg(not(loom))]
pub use scheduler::seed::SEED_ENV;
#[cfg(not(loom))]
pub use scheduler::wake_batch::wake_all;
#[cfg(not(loom))]
pub use task::{
    block_in_place, spawn_local, yield_now, AccessError, JoinSet, LocalEnterGuard, LocalKey, LocalSet, RunUntil,
    TaskLocalFuture, YieldNow,
};
pub use task::{id, try_id, waiting_on, AbortHandle, Id, JoinError, JoinHandle, Resource, WaitingOn};
pub use waker_slot::{Register, WakerSlot};

/// The index (from 0 to the number of workers) of the multi-thread worker
/// running on this thread, `None` on any other thread: for drivers that keep
/// one shard of their state per worker (the timers' wheels).
#[cfg(not(loom))]
pub fn current_worker_index() -> Option<usize> {
    scheduler::multi_thread::current_index()
}
