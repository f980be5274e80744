//! The only unsafe code of the reactor: the epoll, eventfd, socket and signal system calls.

mod epoll;
pub mod signal;
pub mod socket;

pub(crate) use epoll::{minimize_timer_slack, Epoll, EventFd, Events};
