//! The two schedulers and what they share: the work-stealing multi-thread
//! scheduler (`multi_thread/`), the current-thread one, how a thread parks
//! (`park`), what the `Builder` sets in either (`config`), how the
//! reactor's batches of wakes reach either (`wake_batch`), the fairness
//! guards' switches and the seeded schedule order.

pub(crate) mod config;
#[cfg(not(loom))]
pub(crate) mod current_thread;
pub(crate) mod guards;
pub(crate) mod multi_thread;
pub(crate) mod park;
pub(crate) mod seed;
pub(crate) mod wake_batch;
