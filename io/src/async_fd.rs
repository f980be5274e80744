//! `AsyncFd`: any non-blocking descriptor on the reactor, with tokio's
//! readiness-guard API.
//!
//! A wait returns a guard holding the readiness it observed (with the
//! reactor's tick). The caller tries its operation; on `WouldBlock` it
//! clears that readiness through the guard ([`clear_ready`], or
//! [`try_io`], which does it), and the next wait sleeps until a new edge.
//! Clearing is a no-op if an event arrived since the observation, so no
//! edge is lost. A guard dropped without clearing keeps the readiness: the
//! next wait returns at once.
//!
//! [`clear_ready`]: AsyncFdReadyGuard::clear_ready
//! [`try_io`]: AsyncFdReadyGuard::try_io

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll};

use runtime_reactor::{Direction, Interest, Ready, ReadyEvent};

use crate::evented::Evented;

/// A non-blocking file descriptor (a pipe, an eventfd, a socket made
/// elsewhere) registered with the reactor.
///
/// The descriptor must already be non-blocking: an operation that would
/// block must fail with `WouldBlock`, which is how `AsyncFd` knows to wait.
///
/// # Examples
/// ```
/// use std::io::{Read, Write};
/// use runtime::io::unix::AsyncFd;
///
/// # runtime::block_on(async {
/// let (mut tx, rx) = std::os::unix::net::UnixStream::pair()?;
/// rx.set_nonblocking(true)?;
/// let rx = AsyncFd::new(rx)?;
/// tx.write_all(b"ping")?;
/// let mut buf = [0; 4];
/// let n = loop {
///     let mut guard = rx.readable().await?;
///     match guard.try_io(|fd| fd.get_ref().read(&mut buf)) {
///         Ok(result) => break result?,
///         Err(_would_block) => continue, // readiness cleared: wait again
///     }
/// };
/// assert_eq!(&buf[..n], b"ping");
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct AsyncFd<T: AsFd> {
    io: Evented<T>,
    interest: Interest,
}

impl<T: AsFd> fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFd")
            .field("fd", &self.io.get_ref().as_fd().as_raw_fd())
            .field("interest", &self.interest)
            .finish()
    }
}

/// Readiness from a wait on a shared [`AsyncFd`]: try the operation, and
/// clear the readiness after a `WouldBlock` ([`try_io`](Self::try_io) does).
#[must_use = "clear the readiness after a WouldBlock, or the next wait returns at once"]
pub struct AsyncFdReadyGuard<'a, T: AsFd> {
    fd: &'a AsyncFd<T>,
    event: Option<ReadyEvent>,
}

/// Readiness from a wait on an [`AsyncFd`] borrowed mutably (the `_mut`
/// waits), for operations that need `&mut T`.
#[must_use = "clear the readiness after a WouldBlock, or the next wait returns at once"]
pub struct AsyncFdReadyMutGuard<'a, T: AsFd> {
    fd: &'a mut AsyncFd<T>,
    event: Option<ReadyEvent>,
}

/// The operation in a guard's `try_io` returned `WouldBlock`; the readiness
/// was cleared, so wait again.
#[derive(Debug)]
pub struct TryIoError(());

impl fmt::Display for TryIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation would block")
    }
}

impl std::error::Error for TryIoError {}

/// [`AsyncFd::try_new`] could not register the descriptor; holds it back
/// with the error.
pub struct AsyncFdTryNewError<T> {
    inner: T,
    cause: io::Error,
}

impl<T> AsyncFdTryNewError<T> {
    /// The descriptor and why it could not be registered.
    pub fn into_parts(self) -> (T, io::Error) {
        (self.inner, self.cause)
    }
}

impl<T> fmt::Debug for AsyncFdTryNewError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdTryNewError").field("cause", &self.cause).finish_non_exhaustive()
    }
}

impl<T> fmt::Display for AsyncFdTryNewError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.cause, f)
    }
}

impl<T> std::error::Error for AsyncFdTryNewError<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

impl<T> From<AsyncFdTryNewError<T>> for io::Error {
    fn from(error: AsyncFdTryNewError<T>) -> io::Error {
        error.cause
    }
}

impl<T: AsFd> AsyncFd<T> {
    /// Registers `inner` with the current runtime's reactor, for reading and
    /// writing.
    ///
    /// # Errors
    /// What epoll_ctl reports: EPERM for a regular file (epoll cannot wait on
    /// one; use `runtime::fs`), EBADF, ENOMEM. The descriptor is dropped;
    /// [`try_new`](AsyncFd::try_new) gives it back.
    pub fn new(inner: T) -> io::Result<AsyncFd<T>> {
        Self::with_interest(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// Registers `inner` for `interest`: the waits that name no interest
    /// ([`readable`](Self::readable) …) are for these.
    ///
    /// # Errors
    /// As [`new`](AsyncFd::new).
    pub fn with_interest(inner: T, interest: Interest) -> io::Result<AsyncFd<T>> {
        Self::try_with_interest(inner, interest).map_err(io::Error::from)
    }

    /// [`new`](AsyncFd::new), giving the descriptor back on failure.
    ///
    /// # Errors
    /// [`AsyncFdTryNewError`] with the descriptor and the cause.
    pub fn try_new(inner: T) -> Result<AsyncFd<T>, AsyncFdTryNewError<T>> {
        Self::try_with_interest(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// [`with_interest`](AsyncFd::with_interest), giving the descriptor back
    /// on failure.
    ///
    /// # Errors
    /// [`AsyncFdTryNewError`] with the descriptor and the cause.
    pub fn try_with_interest(inner: T, interest: Interest) -> Result<AsyncFd<T>, AsyncFdTryNewError<T>> {
        match Evented::try_new(inner) {
            Ok(io) => Ok(AsyncFd { io, interest }),
            Err((inner, cause)) => Err(AsyncFdTryNewError { inner, cause }),
        }
    }

    /// The wrapped descriptor.
    pub fn get_ref(&self) -> &T {
        self.io.get_ref()
    }

    /// The wrapped descriptor, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        self.io.get_mut()
    }

    /// Deregisters and returns the descriptor.
    pub fn into_inner(self) -> T {
        self.io.into_inner()
    }

    /// The interest it was registered with.
    pub fn interest(&self) -> Interest {
        self.interest
    }

    /// Waits until the descriptor is ready for any of `interest` (or hung
    /// up, or failed); the guard holds what was observed.
    ///
    /// # Errors
    /// When the reactor has shut down.
    pub async fn ready(&self, interest: Interest) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        let event = std::future::poll_fn(|cx| self.io.poll_ready_event(interest, cx)).await?;
        Ok(AsyncFdReadyGuard { fd: self, event: Some(event) })
    }

    /// [`ready`](Self::ready) with a guard that gives `&mut T`.
    ///
    /// # Errors
    /// When the reactor has shut down.
    pub async fn ready_mut(&mut self, interest: Interest) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        let event = std::future::poll_fn(|cx| self.io.poll_ready_event(interest, cx)).await?;
        Ok(AsyncFdReadyMutGuard { fd: self, event: Some(event) })
    }

    /// Waits until the descriptor is readable (or hung up, or failed).
    ///
    /// # Errors
    /// When the reactor has shut down.
    pub async fn readable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Interest::READABLE).await
    }

    /// [`readable`](Self::readable) with a guard that gives `&mut T`.
    ///
    /// # Errors
    /// When the reactor has shut down.
    pub async fn readable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.ready_mut(Interest::READABLE).await
    }

    /// Waits until the descriptor is writable (or hung up, or failed).
    ///
    /// # Errors
    /// When the reactor has shut down.
    pub async fn writable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Interest::WRITABLE).await
    }

    /// [`writable`](Self::writable) with a guard that gives `&mut T`.
    ///
    /// # Errors
    /// When the reactor has shut down.
    pub async fn writable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.ready_mut(Interest::WRITABLE).await
    }

    /// Polls for read readiness (the body of [`readable`](Self::readable)).
    pub fn poll_read_ready<'a>(&'a self, cx: &mut Context<'_>) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        self.io
            .poll_ready_event(Interest::READABLE, cx)
            .map_ok(|event| AsyncFdReadyGuard { fd: self, event: Some(event) })
    }

    /// [`poll_read_ready`](Self::poll_read_ready) with a guard that gives `&mut T`.
    pub fn poll_read_ready_mut<'a>(
        &'a mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'a, T>>> {
        let event = std::task::ready!(self.io.poll_ready_event(Interest::READABLE, cx))?;
        Poll::Ready(Ok(AsyncFdReadyMutGuard { fd: self, event: Some(event) }))
    }

    /// Polls for write readiness (the body of [`writable`](Self::writable)).
    pub fn poll_write_ready<'a>(&'a self, cx: &mut Context<'_>) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        self.io
            .poll_ready_event(Interest::WRITABLE, cx)
            .map_ok(|event| AsyncFdReadyGuard { fd: self, event: Some(event) })
    }

    /// [`poll_write_ready`](Self::poll_write_ready) with a guard that gives `&mut T`.
    pub fn poll_write_ready_mut<'a>(
        &'a mut self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyMutGuard<'a, T>>> {
        let event = std::task::ready!(self.io.poll_ready_event(Interest::WRITABLE, cx))?;
        Poll::Ready(Ok(AsyncFdReadyMutGuard { fd: self, event: Some(event) }))
    }

    /// Runs `f` once if the descriptor is ready for `interest` now.
    ///
    /// # Errors
    /// `WouldBlock` when it is not ready, or when `f` says so (which clears
    /// the readiness); else what `f` returns.
    pub fn try_io<R>(&self, interest: Interest, f: impl FnOnce(&T) -> io::Result<R>) -> io::Result<R> {
        self.io.try_io(interest, f)
    }

    /// Waits for `interest` and runs `f` until it does not return
    /// `WouldBlock`.
    ///
    /// # Errors
    /// What `f` returns, or the reactor's shutdown.
    pub async fn async_io<R>(&self, interest: Interest, f: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.io.async_io(interest, f).await
    }

    /// [`async_io`](Self::async_io) with `&mut T`.
    ///
    /// # Errors
    /// As `async_io`.
    pub async fn async_io_mut<R>(
        &mut self,
        interest: Interest,
        mut f: impl FnMut(&mut T) -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            let mut guard = self.ready_mut(interest).await?;
            match guard.try_io(|fd| f(fd.get_mut())) {
                Ok(result) => return result,
                Err(TryIoError(())) => continue,
            }
        }
    }

    /// Runs the non-blocking read `f` until it does not return `WouldBlock`
    /// (`async_io(Interest::READABLE, f)`).
    ///
    /// # Errors
    /// What `f` returns.
    pub async fn read_with<R>(&self, f: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.io.io(Direction::Read, f).await
    }

    /// Runs the non-blocking write `f` until it does not return `WouldBlock`.
    ///
    /// # Errors
    /// What `f` returns.
    pub async fn write_with<R>(&self, f: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        self.io.io(Direction::Write, f).await
    }
}

impl<T: AsFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_fd().as_raw_fd()
    }
}

impl<T: AsFd> AsFd for AsyncFd<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

/// The methods both guards share.
macro_rules! guard_methods {
    ($guard:ident) => {
        impl<T: AsFd> $guard<'_, T> {
            /// The readiness observed (what the wait returned for).
            pub fn ready(&self) -> Ready {
                self.event.map_or(Ready::EMPTY, |event| event.ready())
            }

            /// Forgets the observed readiness (unless an event arrived
            /// since): the next wait sleeps until a new edge. Call it after a
            /// `WouldBlock`.
            pub fn clear_ready(&mut self) {
                if let Some(event) = self.event.take() {
                    self.fd.io.registration().clear_readiness(event);
                }
            }

            /// Forgets only the bits of `ready` (say, `Ready::READABLE` while
            /// keeping a writable readiness seen at the same time).
            pub fn clear_ready_matching(&mut self, ready: Ready) {
                if let Some(event) = self.event {
                    self.fd.io.registration().clear_readiness(event.only(ready));
                    let left = event.ready() - ready;
                    self.event = (!left.is_empty()).then(|| event.only(left));
                }
            }

            /// Keeps the readiness (what dropping the guard does anyway).
            pub fn retain_ready(&mut self) {}

            /// The descriptor.
            pub fn get_inner(&self) -> &T {
                self.fd.get_ref()
            }
        }

        impl<T: AsFd> fmt::Debug for $guard<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($guard)).field("ready", &self.ready()).finish_non_exhaustive()
            }
        }
    };
}

guard_methods!(AsyncFdReadyGuard);
guard_methods!(AsyncFdReadyMutGuard);

impl<'a, T: AsFd> AsyncFdReadyGuard<'a, T> {
    /// Runs `f`; on `WouldBlock` clears the readiness and returns
    /// `Err(TryIoError)` (wait again); else `Ok` with what `f` returned.
    ///
    /// # Errors
    /// [`TryIoError`] when `f` returned `WouldBlock`.
    pub fn try_io<R>(&mut self, f: impl FnOnce(&'a AsyncFd<T>) -> io::Result<R>) -> Result<io::Result<R>, TryIoError> {
        match f(self.fd) {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                Err(TryIoError(()))
            }
            result => Ok(result),
        }
    }

    /// The `AsyncFd` waited on.
    pub fn get_ref(&self) -> &'a AsyncFd<T> {
        self.fd
    }
}

impl<T: AsFd> AsyncFdReadyMutGuard<'_, T> {
    /// As [`AsyncFdReadyGuard::try_io`], with `&mut AsyncFd`.
    ///
    /// # Errors
    /// [`TryIoError`] when `f` returned `WouldBlock`.
    pub fn try_io<R>(&mut self, f: impl FnOnce(&mut AsyncFd<T>) -> io::Result<R>) -> Result<io::Result<R>, TryIoError> {
        match f(self.fd) {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                Err(TryIoError(()))
            }
            result => Ok(result),
        }
    }

    /// The `AsyncFd` waited on.
    pub fn get_ref(&self) -> &AsyncFd<T> {
        self.fd
    }

    /// The `AsyncFd` waited on, mutably.
    pub fn get_mut(&mut self) -> &mut AsyncFd<T> {
        self.fd
    }

    /// The descriptor, mutably.
    pub fn get_inner_mut(&mut self) -> &mut T {
        self.fd.get_mut()
    }
}
