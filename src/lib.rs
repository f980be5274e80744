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
//!
//! # The crate's map
//! - Starting a runtime: `#[runtime::main]` and `#[runtime::test]`, or
//!   [`Builder`] and [`Runtime`] by hand; [`Handle`] reaches a running one
//!   from any thread. Outside any runtime, [`spawn`], [`block_on`] and the I/O
//!   types use a default runtime started on first use.
//! - [`task`]: spawning, joining, cancelling, `spawn_local`, task groups,
//!   task-local values, the cooperative budget, task dumps.
//! - [`net`], [`fs`], [`process`], [`signal`]: async versions of `std::net`,
//!   `std::fs` and `std::process`, and Unix signals; [`io`] has the traits.
//! - [`time`]: sleeps, timeouts and intervals, and paused time for tests.
//! - [`sync`]: channels and locks for tasks.
//!
//! A socket, a timer and a channel together:
//!
//! ```
//! use runtime::io::{AsyncReadExt, AsyncWriteExt};
//! use runtime::net::{TcpListener, TcpStream};
//! use runtime::time::{timeout, Duration};
//!
//! #[runtime::main(flavor = "current_thread")]
//! async fn main() -> std::io::Result<()> {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     let (done, finished) = runtime::sync::oneshot::channel();
//!     runtime::spawn(async move {
//!         let (mut peer, _) = listener.accept().await.unwrap();
//!         let mut word = [0; 5];
//!         peer.read_exact(&mut word).await.unwrap();
//!         done.send(word).unwrap();
//!     });
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"hello").await?;
//!     let word = timeout(Duration::from_secs(10), finished).await.expect("in time").unwrap();
//!     assert_eq!(&word, b"hello");
//!     Ok(())
//! }
//! ```
//!
//! # Testing
//! `#[runtime::test(seed = N)]` replays one interleaving of a test's tasks,
//! `#[runtime::test(start_paused = true)]` runs its timers on a virtual clock
//! that jumps ahead whenever every task waits, and [`Handle::dump`] lists
//! what every task waits on (README.md, "Testing your code").
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

#[cfg(feature = "console")]
mod console;
mod default;
mod macros;
#[doc(hidden)]
pub use macros::__private;
pub mod runtime;

pub use default::{block_on, spawn, spawn_blocking};
pub use runtime::{Builder, Runtime, WithReactor};
pub use runtime_executor::{
    Dump, EnterGuard, Handle, JoinError, JoinHandle, RuntimeFlavor, RuntimeMetrics, SlowPoll, TryCurrentError,
    POLL_TIME_BUCKETS, SEED_ENV, SLOW_POLL_ENV,
};
pub use runtime_macros::{main, test};

/// Tasks: spawning, joining, yielding, task groups, task ids, task-local
/// values, and task dumps ([`Handle::dump`](crate::Handle::dump)).
pub mod task {
    pub use crate::{spawn, spawn_blocking};
    pub use runtime_executor::coop::{consume_budget, unconstrained, Unconstrained};

    /// The cooperative budget: how long a task may use always-ready
    /// resources before it yields, and how to make a resource of your own
    /// take part.
    pub mod coop {
        pub use runtime_executor::coop::{
            consume_budget, cooperative, has_budget_remaining, unconstrained, Cooperative, Unconstrained,
        };
    }
    pub use runtime_executor::{
        block_in_place, id, spawn_local, task_local, try_id, yield_now, AbortHandle, AccessError, Dump, Id, JoinError,
        JoinHandle, JoinSet, LocalEnterGuard, LocalKey, LocalSet, RunUntil, TaskInfo, TaskLocalFuture, TaskState,
        YieldNow,
    };
}

/// Channels and locks for tasks: [`mpsc`](sync::mpsc), [`oneshot`](sync::oneshot),
/// [`broadcast`](sync::broadcast), [`watch`](sync::watch), [`Mutex`](sync::Mutex),
/// [`RwLock`](sync::RwLock), [`Semaphore`](sync::Semaphore),
/// [`Notify`](sync::Notify) and [`Barrier`](sync::Barrier).
pub mod sync {
    pub use runtime_sync::*;
}

/// Pins values on the stack, shadowing each name with a `Pin<&mut T>` (as
/// tokio's `pin!`): `pin!(a, b);`, or `pin! { let fut = async { .. }; }`.
///
/// # Examples
/// ```
/// # runtime::block_on(async {
/// let sleep = runtime::time::sleep(std::time::Duration::from_millis(1));
/// runtime::pin!(sleep);
/// (&mut sleep).await; // awaited by reference: it is pinned, and Unpin is not needed
/// runtime::pin! {
///     let answer = async { 42 };
/// }
/// assert_eq!(answer.await, 42);
/// # });
/// ```
#[macro_export]
macro_rules! pin {
    ($($name:ident),* $(,)?) => {
        $( let mut $name = ::core::pin::pin!($name); )*
    };
    ($(let $name:ident = $init:expr;)*) => {
        $( let mut $name = ::core::pin::pin!($init); )*
    };
}
pub use runtime_executor::task_local;

/// Timers: [`sleep`](time::sleep), [`timeout`](time::timeout) and
/// [`interval`](time::interval), driven by the reactor thread with
/// sub-millisecond precision, and paused (virtual) time for tests:
/// [`pause`](time::pause), [`resume`](time::resume), [`advance`](time::advance).
///
/// [`Instant`](time::Instant) is the runtime clock's instant: it follows a
/// paused clock, where `std::time::Instant` does not; the two convert into
/// each other, and every function here takes either.
///
/// ```
/// use runtime::time::{interval, sleep, timeout, Duration, Instant};
///
/// #[runtime::main(flavor = "current_thread")]
/// async fn main() {
///     let start = Instant::now();
///     sleep(Duration::from_millis(5)).await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
///     assert!(timeout(Duration::from_millis(5), std::future::pending::<()>()).await.is_err());
///     let mut ticks = interval(Duration::from_millis(1));
///     ticks.tick().await; // the first tick is immediate
///     ticks.tick().await;
/// }
/// ```
pub mod time {
    pub use runtime_timer::{
        advance, interval, interval_at, pause, resume, sleep, sleep_until, timeout, timeout_at, Elapsed, Instant,
        Interval, MissedTickBehavior, Sleep, Timeout,
    };
    pub use std::time::Duration;

    /// tokio's `time::error`: a timeout's [`Elapsed`] and the timers' [`Error`](error::Error).
    pub mod error {
        pub use runtime_timer::error::{Elapsed, Error};
    }
}

/// Async TCP, UDP and Unix sockets, drop-in async versions of `std::net` and
/// `std::os::unix::net`.
///
/// ```
/// use runtime::io::{AsyncReadExt, AsyncWriteExt};
/// use runtime::net::{UdpSocket, UnixStream};
///
/// #[runtime::main(flavor = "current_thread")]
/// async fn main() -> std::io::Result<()> {
///     let (mut a, mut b) = UnixStream::pair()?;
///     a.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     b.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///
///     let (x, y) = (UdpSocket::bind("127.0.0.1:0").await?, UdpSocket::bind("127.0.0.1:0").await?);
///     x.send_to(b"datagram", y.local_addr()?).await?;
///     let mut buf = [0; 16];
///     let (n, from) = y.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"datagram"[..], x.local_addr()?));
///     Ok(())
/// }
/// ```
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
///
/// ```
/// #[runtime::main(flavor = "current_thread")]
/// async fn main() -> std::io::Result<()> {
///     let dir = std::env::temp_dir().join(format!("runtime-fs-doc-{}", std::process::id()));
///     runtime::fs::create_dir_all(&dir).await?;
///     runtime::fs::write(dir.join("a.txt"), "some bytes").await?;
///     assert_eq!(runtime::fs::read_to_string(dir.join("a.txt")).await?, "some bytes");
///     runtime::fs::remove_dir_all(&dir).await
/// }
/// ```
pub mod fs {
    pub use runtime_io::fs::*;
}

/// Async I/O traits and helpers, and [`AsyncFd`](io::AsyncFd) for any non-blocking descriptor.
pub mod io {
    pub use runtime_io::io_util::*;
    pub use runtime_io::{AsyncFd, AsyncFdReadyGuard, Interest, Ready};

    /// Unix-specific I/O, at tokio's path: [`AsyncFd`] and its guards.
    pub mod unix {
        pub use runtime_io::{AsyncFd, AsyncFdReadyGuard, AsyncFdReadyMutGuard, AsyncFdTryNewError, TryIoError};
    }
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
