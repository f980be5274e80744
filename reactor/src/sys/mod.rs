//! The reactor's system calls: epoll, eventfd, sockets, signals and child
//! processes. With `waiters.rs` (the lock-free waker slot), the only modules
//! of this crate allowed unsafe code (the crate root denies it elsewhere).

use std::io;

/// Calls `libc::$name($args)` and turns the C convention (-1 and errno) into
/// `io::Result`: the one way this crate makes a system call. EINTR comes back
/// as an error; [`retry`] is where a family of calls retries it.
macro_rules! syscall {
    ($name:ident($($arg:expr),* $(,)?)) => {{
        // SAFETY: the comment above each use says why its arguments make the
        // call sound, citing its file's invariants.
        #[allow(unused_unsafe)]
        let result = unsafe { libc::$name($($arg),*) };
        if result == -1 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(result)
        }
    }};
}

/// Runs `call` again while it fails with EINTR: the one place the socket,
/// signal and process calls retry it.
pub(crate) fn retry<T>(mut call: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match call() {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            result => return result,
        }
    }
}

mod epoll;
pub mod process;
pub mod signal;
pub mod socket;

pub(crate) use epoll::{minimize_timer_slack, Epoll, EventFd, Events};
