//! `runtime`: a stackless async runtime for Rust.
//!
//! A work-stealing executor polls tasks; blocking work runs on a pool of its
//! own. Applications start with `#[runtime::main]`:
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

pub use runtime_executor::{
    block_on, spawn, spawn_blocking, Builder, EnterGuard, Handle, JoinError, JoinHandle, Runtime, RuntimeMetrics,
};
pub use runtime_macros::{main, test};

/// Tasks: spawning, joining, yielding.
pub mod task {
    pub use runtime_executor::{spawn, spawn_blocking, yield_now, JoinError, JoinHandle, YieldNow};
}

/// The README's examples, compiled and run as doctests so they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
