//! A descriptor registered with the reactor, with the edge-triggered read and
//! write loops every socket type shares.

use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::task::{Context, Poll};

use runtime_reactor::{Direction, Handle, Registration};

/// `io` registered with a reactor. The registration is declared first, so it
/// is dropped (the descriptor leaves epoll) before `io` closes the descriptor.
#[derive(Debug)]
pub(crate) struct Evented<T: AsFd> {
    registration: Registration,
    io: T,
}

impl<T: AsFd> Evented<T> {
    /// Registers `io`, already non-blocking, with the current reactor.
    pub(crate) fn new(io: T) -> io::Result<Evented<T>> {
        Evented::with_reactor(io, &crate::driver::current_reactor())
    }

    /// Registers `io` with `reactor`.
    pub(crate) fn with_reactor(io: T, reactor: &Handle) -> io::Result<Evented<T>> {
        let registration = Registration::new(io.as_fd().as_raw_fd(), reactor)?;
        Ok(Evented { registration, io })
    }

    pub(crate) fn get_ref(&self) -> &T {
        &self.io
    }

    pub(crate) fn registration(&self) -> &Registration {
        &self.registration
    }

    /// Deregisters and hands back the descriptor.
    pub(crate) fn into_inner(self) -> T {
        drop(self.registration);
        self.io
    }

    /// Runs `f` when `direction` is ready, until it does not return WouldBlock.
    pub(crate) fn poll_io<R>(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        f: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let mut f = f;
        self.registration.poll_io(direction, cx, || f(&self.io))
    }

    /// Like [`Evented::poll_io`] for a transfer of up to `len` bytes: a short
    /// transfer means the socket buffer ran empty (or full), so the readiness is
    /// cleared at once, saving the syscall that would only return EAGAIN. An
    /// event that came meanwhile keeps it (the tick).
    pub(crate) fn poll_transfer(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        len: usize,
        mut f: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            let event = match self.registration.poll_ready(direction, cx) {
                Poll::Ready(Ok(event)) => event,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            };
            match f(&self.io) {
                Ok(n) if n > 0 && n < len => {
                    self.registration.clear_readiness(event);
                    return Poll::Ready(Ok(n));
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => self.registration.clear_readiness(event),
                result => return Poll::Ready(result),
            }
        }
    }

    /// [`Evented::poll_io`] as a future.
    pub(crate) async fn io<R>(&self, direction: Direction, mut f: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        std::future::poll_fn(|cx| self.poll_io(direction, cx, &mut f)).await
    }
}
