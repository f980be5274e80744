//! [`Registration`]: a source registered with a reactor, and the
//! edge-triggered contract its operations follow.

use std::future::poll_fn;
use std::io;
use std::os::fd::RawFd;
use std::task::{Context, Poll};

use crate::driver::{shut_down, Handle};
use crate::readiness::{Direction, Interest, Ready, ReadyEvent};
use crate::scheduled_io::ScheduledIo;
use crate::sync::Arc;

/// A source registered with a reactor, edge-triggered, for reading and writing.
///
/// The owner keeps the file descriptor open until the registration is dropped;
/// dropping it removes the descriptor from epoll (before the owner closes it).
///
/// # The edge-triggered contract
/// Try the operation first; on EAGAIN clear the readiness observed (only if no
/// event came since) and wait for the next edge. [`Registration::poll_io`] does
/// exactly that.
#[derive(Debug)]
pub struct Registration {
    handle: Handle,
    io: Arc<ScheduledIo>,
    token: u64,
    fd: RawFd,
}

impl Registration {
    /// Registers `fd` (non-blocking) with the reactor behind `handle`.
    ///
    /// # Errors
    /// What `epoll_ctl` reports (a bad descriptor, a regular file: EPERM), or
    /// an error when the reactor has shut down.
    pub fn new(fd: RawFd, handle: &Handle) -> io::Result<Registration> {
        let io = Arc::new(ScheduledIo::new());
        let token = handle.register(fd, io.clone())?;
        Ok(Registration { handle: handle.clone(), io, token, fd })
    }

    /// The reactor this source is registered with.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Ready when `direction` has readiness (or the source hung up or failed).
    ///
    /// # Errors
    /// When the reactor has shut down.
    pub fn poll_ready(&self, direction: Direction, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        match self.io.poll_ready(direction, cx) {
            Poll::Ready(event) if event.ready.contains(Ready::SHUTDOWN) => Poll::Ready(Err(shut_down())),
            Poll::Ready(event) => Poll::Ready(Ok(event)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Ready when any readiness in `interest` is there (an error or a
    /// hang-up satisfies any interest).
    ///
    /// # Errors
    /// When the reactor has shut down.
    pub fn poll_interest(&self, interest: Interest, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        match self.io.poll_interest(interest, cx) {
            Poll::Ready(event) if event.ready.contains(Ready::SHUTDOWN) => Poll::Ready(Err(shut_down())),
            Poll::Ready(event) => Poll::Ready(Ok(event)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Runs the non-blocking operation `f` once if the source is ready for
    /// `interest` now, without waiting: `WouldBlock` when it is not (no
    /// syscall), and when `f` says so, which also clears the readiness it
    /// ran on. Only a `WouldBlock` clears it: a short read does not.
    ///
    /// # Errors
    /// `WouldBlock`, what `f` returns, or the reactor's shutdown.
    pub fn try_io<R>(&self, interest: Interest, f: impl FnOnce() -> io::Result<R>) -> io::Result<R> {
        let event = self.io.current(interest);
        if event.ready.contains(Ready::SHUTDOWN) {
            return Err(shut_down());
        }
        if event.ready.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let result = f();
        if result.as_ref().is_err_and(|error| error.kind() == io::ErrorKind::WouldBlock) {
            self.clear_readiness(event);
        }
        result
    }

    /// Forgets the readiness in `event`, unless an event arrived since.
    pub fn clear_readiness(&self, event: ReadyEvent) {
        self.io.clear_readiness(event);
    }

    /// Runs the non-blocking operation `f` when `direction` is ready, until it
    /// does not return `WouldBlock`.
    pub fn poll_io<R>(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        f: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_until_done(direction, cx, f, |_| false)
    }

    /// [`Registration::poll_io`] for a transfer of up to `len` bytes: a short
    /// transfer means the socket buffer ran empty (or full), so the readiness
    /// is cleared at once, saving the syscall that would only return EAGAIN.
    /// An event that came meanwhile keeps it (the tick).
    pub fn poll_transfer(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        len: usize,
        f: impl FnMut() -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.poll_until_done(direction, cx, f, |&n| n > 0 && n < len)
    }

    /// The edge-triggered loop: `f` until it does not return `WouldBlock`;
    /// readiness is cleared after a `WouldBlock`, or after a result `drained`
    /// says emptied the socket's buffer.
    fn poll_until_done<R>(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        mut f: impl FnMut() -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        loop {
            let event = match self.poll_ready(direction, cx) {
                Poll::Ready(Ok(event)) => event,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            };
            match f() {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(event),
                result => {
                    if result.as_ref().is_ok_and(&drained) {
                        self.clear_readiness(event);
                    }
                    return Poll::Ready(result);
                }
            }
        }
    }

    /// [`Registration::poll_io`] as a future.
    pub async fn io<R>(&self, direction: Direction, mut f: impl FnMut() -> io::Result<R>) -> io::Result<R> {
        poll_fn(|cx| self.poll_io(direction, cx, &mut f)).await
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.handle.deregister(self.fd, self.token);
    }
}
