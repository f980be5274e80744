//! The only unsafe code of the reactor: the epoll, eventfd, socket, signal
//! and child-process system calls.

mod epoll;
pub mod process;
pub mod signal;
pub mod socket;

pub(crate) use epoll::{minimize_timer_slack, Epoll, EventFd, Events};
