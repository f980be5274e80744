//! The I/O types of `runtime`: sockets on the reactor, as drop-in async
//! versions of `std::net` and `std::os::unix::net`, and [`AsyncFd`] for any
//! other non-blocking descriptor; and files ([`fs`]) on the blocking pool.
//!
//! A source registers with the reactor of the runtime it is created in (found
//! through [`IoDriver`], which the runtime attaches to itself); outside any
//! runtime, or in one started without a reactor, it uses a process-wide
//! reactor started on first use, so these types work under any executor.
#![deny(unsafe_code)]
// three allowances, each forwarding an unsafe fn of std: `process::Command::pre_exec`, `FromRawFd` for `TcpSocket` and `UnixSocket`
#![doc(test(attr(deny(warnings))))]

mod async_fd;
mod evented;
pub mod fs;
pub mod io_util;
pub mod net;
pub mod process;
mod service;
pub mod signal;

pub use async_fd::{AsyncFd, AsyncFdReadyGuard, AsyncFdReadyMutGuard, AsyncFdTryNewError, TryIoError};
pub use runtime_reactor::{Interest, Ready};
pub use service::IoDriver;
