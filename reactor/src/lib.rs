//! The reactor of `runtime`: one thread per runtime waits on epoll in
//! edge-triggered mode and wakes the tasks whose sources became ready, and
//! the tasks whose timers ([`Deadlines`]) are due.
//!
//! It knows `std::task::Waker` and nothing of tasks: the executor meets it only
//! through wakers (and the batch-wake function a runtime hands to
//! [`Driver::start`]).
//!
//! # Examples
//! ```
//! use std::io::{Read, Write};
//! use std::os::fd::AsRawFd;
//! use runtime_reactor::{Direction, Driver, Registration};
//!
//! let driver = Driver::start("reactor".into(), |wakers| wakers.drain(..).for_each(|w| w.wake()))?;
//! let (mut a, mut b) = std::os::unix::net::UnixStream::pair()?;
//! b.set_nonblocking(true)?;
//! let registration = Registration::new(b.as_raw_fd(), driver.handle())?;
//! a.write_all(b"ping")?;
//! let mut buf = [0; 4];
//! let n = futures_lite_block_on(registration.io(Direction::Read, || b.read(&mut buf)))?;
//! assert_eq!(&buf[..n], b"ping");
//! # fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     let mut f = std::pin::pin!(f);
//! #     let thread = std::thread::current();
//! #     let waker = std::task::Waker::from(std::sync::Arc::new(Unpark(thread)));
//! #     struct Unpark(std::thread::Thread);
//! #     impl std::task::Wake for Unpark { fn wake(self: std::sync::Arc<Self>) { self.0.unpark() } }
//! #     let mut cx = std::task::Context::from_waker(&waker);
//! #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v } std::thread::park() }
//! # }
//! # Ok::<(), std::io::Error>(())
//! ```
#![deny(unsafe_code)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(loom, allow(dead_code, unused_imports))]

pub(crate) use runtime_shim as sync;

mod handoff;
mod readiness;
mod stand_by;
#[allow(unsafe_code)] // the lock-free waker slot
mod waiters;
mod wake;

#[cfg(not(loom))]
mod deadlines;
#[cfg(not(loom))]
mod driver;
#[cfg(not(loom))]
mod registration;
mod scheduled_io;
#[cfg(not(loom))]
mod slab;
#[cfg(not(loom))]
#[allow(unsafe_code)] // every system call
mod sys;

#[cfg(not(loom))]
pub use deadlines::Deadlines;
#[cfg(not(loom))]
pub use driver::{Driver, Handle, Interrupter, WaitTurn, WakeBatch};
pub use readiness::{Direction, Interest, Ready, ReadyEvent};
#[cfg(not(loom))]
pub use registration::Registration;
/// Child-process system calls: pidfds and non-blocking pipe ends.
#[cfg(not(loom))]
pub use sys::process;
/// Signal system calls: the process-wide handler and its self-pipe.
#[cfg(not(loom))]
pub use sys::signal;
/// Socket system calls for the I/O types: non-blocking and close-on-exec from
/// birth, MSG_NOSIGNAL on every send.
#[cfg(not(loom))]
pub use sys::socket;
pub use wake::{wake_all_caught, wake_caught};
