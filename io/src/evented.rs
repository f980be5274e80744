//! A descriptor registered with the reactor, with the edge-triggered read and
//! write loops every socket type shares.

use std::io::{self, IoSlice};
use std::os::fd::{AsFd, AsRawFd};
use std::task::{Context, Poll};

use runtime_executor::{self as dump, coop, WaitingOn};
use runtime_reactor::{socket, Direction, Handle, Interest, Ready, ReadyEvent, Registration};

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
        Evented::with_reactor(io, &crate::service::current_reactor()?)
    }

    /// [`Evented::new`], handing `io` back with the error.
    pub(crate) fn try_new(io: T) -> Result<Evented<T>, (T, io::Error)> {
        let reactor = match crate::service::current_reactor() {
            Ok(reactor) => reactor,
            Err(error) => return Err((io, error)),
        };
        match Registration::new(io.as_fd().as_raw_fd(), &reactor) {
            Ok(registration) => Ok(Evented { registration, io }),
            Err(error) => Err((io, error)),
        }
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
        mut f: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let polled = coop::poll_budgeted(cx, |cx| self.registration.poll_io(direction, cx, || f(&self.io)));
        self.tell_dump(direction, polled)
    }

    /// A `Pending` poll tells a task dump which descriptor and direction the task waits on.
    fn tell_dump<R>(&self, direction: Direction, polled: Poll<R>) -> Poll<R> {
        if polled.is_pending() {
            let fd = self.io.as_fd().as_raw_fd();
            dump::waiting_on(match direction {
                Direction::Read => WaitingOn::Readable(fd),
                Direction::Write => WaitingOn::Writable(fd),
            });
        }
        polled
    }

    /// A byte transfer (see [`Registration::poll_transfer`]).
    fn poll_transfer(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        len: usize,
        mut f: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let polled = coop::poll_budgeted(cx, |cx| self.registration.poll_transfer(direction, cx, len, || f(&self.io)));
        self.tell_dump(direction, polled)
    }

    /// Ready when the source is ready for any of `interest` (a unit of the
    /// task's budget). An error satisfies any interest, and is reported with
    /// the interest's own bits too, so that the operation a caller runs on
    /// `is_readable()` or `is_writable()` meets the error instead of
    /// waiting again at once.
    pub(crate) fn poll_ready(&self, interest: Interest, cx: &mut Context<'_>) -> Poll<io::Result<Ready>> {
        self.poll_ready_event(interest, cx).map_ok(|event| {
            let mut ready = event.ready();
            if ready.is_error() {
                ready |= interest.mask() & (Ready::READABLE | Ready::WRITABLE);
            }
            ready
        })
    }

    /// [`Evented::poll_ready`] with the observation itself, for a caller
    /// that clears it later (`AsyncFd`'s guards).
    pub(crate) fn poll_ready_event(&self, interest: Interest, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        let polled = coop::poll_budgeted(cx, |cx| self.registration.poll_interest(interest, cx));
        let direction =
            if interest.is_writable() && !interest.is_readable() { Direction::Write } else { Direction::Read };
        self.tell_dump(direction, polled)
    }

    /// The descriptor, mutably.
    pub(crate) fn get_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// [`Evented::poll_ready`] as a future.
    pub(crate) async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        std::future::poll_fn(|cx| self.poll_ready(interest, cx)).await
    }

    /// Runs `f` once if the source is ready for `interest`; `WouldBlock`
    /// otherwise, or when `f` says so (which clears the readiness).
    pub(crate) fn try_io<R>(&self, interest: Interest, f: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        self.registration.try_io(interest, || f(&self.io))
    }

    /// Waits for `interest` and runs `f` until it does not return `WouldBlock`.
    pub(crate) async fn async_io<R>(
        &self,
        interest: Interest,
        mut f: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            self.ready(interest).await?;
            match self.try_io(interest, &mut f) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
                result => return result,
            }
        }
    }

    /// Stream sockets: receives into `buf` if the socket is readable now.
    pub(crate) fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_io(Interest::READABLE, |s| socket::recv(s.as_fd(), buf, false))
    }

    /// Stream sockets: receives into `bufs` (readv) if the socket is readable now.
    pub(crate) fn try_recv_vectored(&self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
        self.try_io(Interest::READABLE, |s| socket::recv_vectored(s.as_fd(), bufs))
    }

    /// Stream sockets: sends `buf` if the socket is writable now.
    pub(crate) fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.try_io(Interest::WRITABLE, |s| socket::send(s.as_fd(), buf))
    }

    /// Stream sockets: sends `bufs` in one sendmsg if the socket is writable now.
    pub(crate) fn try_send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.try_io(Interest::WRITABLE, |s| socket::send_vectored(s.as_fd(), bufs))
    }

    /// Stream sockets: peeks into `buf`, waiting for data.
    pub(crate) fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_io(Direction::Read, cx, |s| socket::recv(s.as_fd(), buf, true))
    }

    /// Stream sockets: receives into `buf`.
    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_transfer(Direction::Read, cx, buf.len(), |s| socket::recv(s.as_fd(), buf, false))
    }

    /// Stream sockets: sends `buf` (MSG_NOSIGNAL).
    pub(crate) fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_transfer(Direction::Write, cx, buf.len(), |s| socket::send(s.as_fd(), buf))
    }

    /// Stream sockets: sends `bufs` in one sendmsg (MSG_NOSIGNAL).
    pub(crate) fn poll_send_vectored(&self, cx: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
        let len = bufs.iter().map(|b| b.len()).sum();
        self.poll_transfer(Direction::Write, cx, len, |s| socket::send_vectored(s.as_fd(), bufs))
    }

    /// Stream sockets: shuts down the write half.
    pub(crate) fn shutdown_write(&self) -> io::Result<()> {
        socket::shutdown_write(self.io.as_fd())
    }

    /// [`Evented::poll_io`] as a future.
    pub(crate) async fn io<R>(&self, direction: Direction, mut f: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        std::future::poll_fn(|cx| self.poll_io(direction, cx, &mut f)).await
    }

    /// Finishes a non-blocking connect that `connect` reported in progress
    /// (`done` false): waits until the socket is writable, then reports the
    /// socket's pending error, if any (`take_error`: SO_ERROR).
    pub(crate) async fn finish_connect(
        &self,
        done: bool,
        take_error: impl FnOnce(&T) -> io::Result<Option<io::Error>>,
    ) -> io::Result<()> {
        if done {
            return Ok(());
        }
        self.ready(Interest::WRITABLE).await?;
        match take_error(&self.io)? {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}
