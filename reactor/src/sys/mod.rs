//! The only unsafe code of the reactor: the epoll and eventfd system calls.

mod epoll;

pub(crate) use epoll::{Epoll, EventFd, Events};
