//! The only unsafe code of the reactor: the epoll, eventfd and socket system calls.

mod epoll;
pub mod socket;

pub(crate) use epoll::{minimize_timer_slack, Epoll, EventFd, Events};
