//! The default runtime: the one [`spawn`], [`spawn_blocking`] and
//! [`block_on`] use when called outside any runtime, started on first use
//! and kept until the process exits.
//!
//! The executor knows no reactor and no timers, so it cannot build a full
//! runtime itself: whoever composes one (the `runtime` facade) names how with
//! [`set_default_builder`] before it first reaches for the default, and every
//! path into the default (these functions, `JoinSet`, the file types'
//! blocking jobs) then gets that one runtime. Without a builder, or when the
//! builder fails (the OS refuses the reactor's descriptors), the default is
//! a plain executor: tasks still run, and sockets and timers fall back to
//! their process-wide reactor and timer thread.

use std::future::Future;
use std::io;
use std::sync::OnceLock;

use crate::{Builder, Handle, JoinHandle, Runtime};

/// How the default runtime is built, when someone said.
static BUILD: OnceLock<fn() -> io::Result<Runtime>> = OnceLock::new();

/// Names how the default runtime is built: the first call counts, and only
/// before the default started. The facade calls it; applications do not.
#[doc(hidden)]
pub fn set_default_builder(build: fn() -> io::Result<Runtime>) {
    let _ = BUILD.set(build);
}

/// The default runtime's handle, started on first use.
///
/// # Panics
/// When the OS refuses even the plain executor's worker threads: `spawn`
/// has no error to return.
#[doc(hidden)]
pub fn default_handle() -> &'static Handle {
    static DEFAULT: OnceLock<Runtime> = OnceLock::new();
    DEFAULT
        .get_or_init(|| {
            BUILD.get().and_then(|build| build().ok()).unwrap_or_else(|| {
                Builder::<crate::runtime::Engine>::new_multi_thread()
                    .thread_name("runtime-default")
                    .build()
                    .expect("the OS refused to start the default runtime's worker threads")
            })
        })
        .handle()
}

/// Runs `f` with the current runtime's handle, or outside any runtime with
/// `default()`'s, lent rather than cloned: spawning from many threads must
/// not make them all write the handle's reference count. `f` must not enter
/// a runtime context (as [`Handle::with_current`]). The facade passes a
/// `default` that first names its builder, so inside a runtime naming it
/// costs nothing.
#[doc(hidden)]
pub fn with_current_or<R>(default: fn() -> &'static Handle, f: impl FnOnce(&Handle) -> R) -> R {
    Handle::with_current(|current| match current {
        Some(handle) => f(handle),
        None => f(default()),
    })
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
    with_current_or(default_handle, |handle| handle.spawn_at(future, spawned_at))
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
    with_current_or(default_handle, |handle| handle.spawn_blocking(f))
}

/// Runs `f` on the current runtime's blocking pool (or the default
/// runtime's) even if the runtime shuts down before it starts; see
/// [`Handle::spawn_blocking_mandatory`].
pub fn spawn_blocking_mandatory<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    with_current_or(default_handle, |handle| handle.spawn_blocking_mandatory(f))
}

/// Runs `future` to completion on this thread, in the current runtime's
/// context (or the default runtime's).
///
/// # Panics
/// When called from a thread that runs asynchronous tasks (a worker, or
/// inside another `block_on`): use `spawn`, or `spawn_blocking`, instead.
#[track_caller]
pub fn block_on<F: Future>(future: F) -> F::Output {
    Handle::try_current().unwrap_or_else(|_| default_handle().clone()).block_on(future)
}
