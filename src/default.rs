//! `spawn`, `spawn_blocking` and `block_on` outside any runtime: on one
//! default runtime with its reactor and timers, started on first use.
//!
//! The executor holds the default runtime (so its `JoinSet` and the file
//! types' blocking jobs reach the same one); this module tells it to build
//! the facade's full runtime rather than a bare executor.

use std::future::Future;
use std::io;

use runtime_executor as executor;

use crate::{Builder, Handle, JoinHandle};

/// The default runtime: multi-thread, one worker per CPU, threads named
/// `runtime-default`.
fn build_default() -> io::Result<executor::Runtime> {
    let runtime = Builder::new_multi_thread().thread_name("runtime-default").build()?;
    Ok(runtime.into_process_lifetime())
}

/// The default runtime's handle, started on first use (the executor is
/// told how to build it first).
fn default() -> &'static Handle {
    executor::set_default_builder(build_default);
    executor::default_handle()
}

/// Spawns a task on the current runtime, or, outside any runtime, on the
/// default one (started on first use, reactor and timers included).
///
/// # Examples
/// ```
/// let handle = runtime::spawn(async { 40 + 2 });
/// assert_eq!(runtime::block_on(handle).unwrap(), 42);
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let spawned_at = std::panic::Location::caller();
    executor::with_current_or(default, |handle| handle.spawn_at(future, spawned_at))
}

/// Runs `f` on the current runtime's blocking pool (or the default runtime's).
///
/// # Examples
/// ```
/// let handle = runtime::spawn_blocking(|| std::fs::metadata(".").is_ok());
/// assert!(runtime::block_on(handle).unwrap());
/// ```
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    executor::with_current_or(default, |handle| handle.spawn_blocking(f))
}

/// Runs `future` to completion on this thread, in the current runtime's
/// context, or outside any runtime in the default runtime's.
///
/// # Panics
/// When called from a thread that runs asynchronous tasks (a worker, or
/// inside another `block_on`): use `spawn`, or `spawn_blocking`, instead.
///
/// # Examples
/// ```
/// use runtime::time::{sleep, Duration};
///
/// let slept = runtime::block_on(async {
///     sleep(Duration::from_millis(1)).await;
///     "slept"
/// });
/// assert_eq!(slept, "slept");
/// ```
#[track_caller]
pub fn block_on<F: Future>(future: F) -> F::Output {
    Handle::try_current().unwrap_or_else(|_| default().clone()).block_on(future)
}
