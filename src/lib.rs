//! `runtime`: a stackless async runtime for Rust.
//!
//! A work-stealing executor polls tasks; a reactor thread waits on epoll
//! (edge-triggered) and wakes the tasks whose sockets became ready; blocking
//! work runs on a pool of its own. Applications start with `#[runtime::main]`:
//!
//! ```
//! #[runtime::main(worker_threads = 2)]
//! async fn main() {
//!     let handle = runtime::spawn(async { "hello from a task" });
//!     println!("{}", handle.await.unwrap());
//! }
//! ```
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

mod runtime;

pub use runtime::{Builder, Runtime};
#[doc(hidden)]
pub use runtime_executor::Guard;
pub use runtime_executor::{
    block_on, spawn, spawn_blocking, Dump, EnterGuard, Handle, JoinError, JoinHandle, RuntimeFlavor, RuntimeMetrics,
    SlowPoll, POLL_TIME_BUCKETS, SEED_ENV, SLOW_POLL_ENV,
};
pub use runtime_macros::{main, test};

/// Tasks: spawning, joining, yielding, task groups, task ids, task-local
/// values, and task dumps ([`Handle::dump`](crate::Handle::dump)).
pub mod task {
    pub use runtime_executor::coop::{consume_budget, unconstrained, Unconstrained};
    pub use runtime_executor::{
        id, spawn, spawn_blocking, spawn_local, task_local, try_id, yield_now, AbortHandle, AccessError, Dump, Id,
        JoinError, JoinHandle, JoinSet, LocalKey, TaskInfo, TaskLocalFuture, TaskState, YieldNow,
    };
}

/// Channels and locks for tasks: [`mpsc`](sync::mpsc), [`oneshot`](sync::oneshot),
/// [`broadcast`](sync::broadcast), [`watch`](sync::watch), [`Mutex`](sync::Mutex),
/// [`RwLock`](sync::RwLock), [`Semaphore`](sync::Semaphore),
/// [`Notify`](sync::Notify) and [`Barrier`](sync::Barrier).
pub mod sync {
    pub use runtime_sync::*;
}

pub use futures_util::{join, select, try_join};
pub use runtime_executor::task_local;

/// Timers: [`sleep`](time::sleep), [`timeout`](time::timeout) and
/// [`interval`](time::interval), driven by the reactor thread with
/// sub-millisecond precision, and paused (virtual) time for tests:
/// [`pause`](time::pause), [`resume`](time::resume), [`advance`](time::advance).
///
/// [`Instant`](time::Instant) is `std::time::Instant` that follows a paused
/// runtime's clock; it converts to and from std's, and every function here
/// takes either.
pub mod time {
    pub use runtime_timer::{
        advance, interval, interval_at, pause, resume, sleep, sleep_until, timeout, timeout_at, Elapsed, Instant,
        Interval, MissedTickBehavior, Sleep, Timeout,
    };
    pub use std::time::Duration;
}

/// Async TCP, UDP and Unix sockets, drop-in async versions of `std::net` and
/// `std::os::unix::net`.
pub mod net {
    pub use runtime_io::net::*;
}

/// Child processes through the reactor: [`Command`](process::Command) and
/// [`Child`](process::Child), with async pipes.
pub mod process {
    pub use runtime_io::process::*;
}

/// Signals through the reactor: [`ctrl_c`](signal::ctrl_c) and
/// [`unix::signal`](signal::unix::signal).
pub mod signal {
    pub use runtime_io::signal::*;
}

/// Async files and file-system functions, drop-in async versions of
/// `std::fs`, run on the blocking pool.
pub mod fs {
    pub use runtime_io::fs::*;
}

/// Async I/O traits and helpers, and [`AsyncFd`](io::AsyncFd) for any non-blocking descriptor.
pub mod io {
    pub use futures_util::io::{
        copy, AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt, AsyncWrite,
        AsyncWriteExt, BufReader, BufWriter,
    };
    pub use runtime_io::{AsyncFd, AsyncFdReadyGuard};
}

/// Runs a `#[runtime::test]` body; when it panics under a schedule seed,
/// prints the seed that replays it first. Not for use outside the macro.
#[doc(hidden)]
pub fn __run_test<F: std::future::Future>(runtime: Runtime, body: F) -> F::Output {
    let seed = runtime.handle().schedule_seed();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runtime.block_on(body))) {
        Ok(output) => output,
        Err(panic) => {
            if let Some(seed) = seed {
                eprintln!(
                    "this test failed under schedule seed {seed}: rerun it with {}={seed} to replay it",
                    SEED_ENV
                );
            }
            std::panic::resume_unwind(panic)
        }
    }
}

/// The README's examples, compiled and run as doctests so they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
