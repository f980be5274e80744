//! `AsyncFd`: any non-blocking descriptor on the reactor.

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};

use runtime_reactor::{Direction, ReadyEvent};

use crate::evented::Evented;

/// A non-blocking file descriptor (a pipe, an eventfd, a socket made elsewhere)
/// registered with the reactor.
///
/// The descriptor must already be non-blocking: an operation that would block
/// must fail with `WouldBlock`, which is how `AsyncFd` knows to wait.
///
/// # Examples
/// ```
/// use std::io::{Read, Write};
/// use runtime_io::AsyncFd;
///
/// runtime_executor::block_on(async {
///     let (mut tx, rx) = std::os::unix::net::UnixStream::pair()?;
///     rx.set_nonblocking(true)?;
///     let rx = AsyncFd::new(rx)?;
///     tx.write_all(b"ping")?;
///     let mut buf = [0; 4];
///     let n = rx.read_with(|mut s| s.read(&mut buf)).await?;
///     assert_eq!(&buf[..n], b"ping");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct AsyncFd<T: AsFd> {
    io: Evented<T>,
}

/// Readiness from [`AsyncFd::readable`] or [`AsyncFd::writable`]. Call
/// [`AsyncFdReadyGuard::clear_ready`] after an operation returned
/// `WouldBlock`, or use [`AsyncFdReadyGuard::try_io`], which does it for you.
#[derive(Debug)]
#[must_use = "clear the readiness after a WouldBlock, or the next wait returns at once"]
pub struct AsyncFdReadyGuard<'a, T: AsFd> {
    fd: &'a AsyncFd<T>,
    event: ReadyEvent,
}

impl<T: AsFd> AsyncFd<T> {
    /// Registers `io` with the current runtime's reactor.
    ///
    /// # Errors
    /// What epoll_ctl reports: EPERM for a regular file (epoll cannot wait on
    /// one; use `runtime::fs`), EBADF, ENOMEM.
    pub fn new(io: T) -> io::Result<AsyncFd<T>> {
        Ok(AsyncFd { io: Evented::new(io)? })
    }

    /// Waits until the descriptor is readable (or hung up, or failed).
    pub async fn readable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        let event = self.io.readiness(Direction::Read).await?;
        Ok(AsyncFdReadyGuard { fd: self, event })
    }

    /// Waits until the descriptor is writable (or hung up, or failed).
    pub async fn writable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        let event = self.io.readiness(Direction::Write).await?;
        Ok(AsyncFdReadyGuard { fd: self, event })
    }

    /// Runs the non-blocking read `f` until it does not return `WouldBlock`.
    pub async fn read_with<R>(&self, f: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.io.io(Direction::Read, f).await
    }

    /// Runs the non-blocking write `f` until it does not return `WouldBlock`.
    pub async fn write_with<R>(&self, f: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.io.io(Direction::Write, f).await
    }

    /// The wrapped descriptor.
    pub fn get_ref(&self) -> &T {
        self.io.get_ref()
    }

    /// Deregisters and returns the descriptor.
    pub fn into_inner(self) -> T {
        self.io.into_inner()
    }
}

impl<T: AsFd> AsyncFdReadyGuard<'_, T> {
    /// Forgets this readiness (unless an event arrived since): the next wait
    /// waits for a new edge.
    pub fn clear_ready(self) {
        self.fd.io.registration().clear_readiness(self.event);
    }

    /// Runs `f`; on `WouldBlock` clears the readiness and returns `None`
    /// (wait again).
    pub fn try_io<R>(self, f: impl FnOnce(&T) -> io::Result<R>) -> Option<io::Result<R>> {
        match f(self.fd.get_ref()) {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                None
            }
            result => Some(result),
        }
    }
}

impl<T: AsFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_fd().as_raw_fd()
    }
}
