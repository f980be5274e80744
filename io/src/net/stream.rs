//! The readiness and non-blocking methods every stream socket (TCP, Unix)
//! has, as tokio names them, for a type with an `io: Evented<_>` field.

/// Implements tokio's readiness methods (`ready`, `readable`, `writable`,
/// `poll_*_ready`), the non-blocking tries (`try_read`, `try_write`, their
/// vectored forms, `try_io`, `async_io`), `take_error` and the descriptor
/// conversions for the stream type `$ty`, whose std type is `$std`.
macro_rules! stream_io {
    ($ty:ident, $std:ty) => {
        $crate::net::stream::socket_io!($ty);

        impl $ty {
            /// Waits until data (or the end of the stream) can be read; then
            /// [`try_read`](Self::try_read) may still find nothing (a
            /// spurious wake-up) and return `WouldBlock`.
            ///
            /// # Errors
            /// When the reactor has shut down.
            pub async fn readable(&self) -> std::io::Result<()> {
                self.ready(crate::Interest::READABLE).await.map(drop)
            }

            /// Polls for read readiness (the body of [`readable`](Self::readable)).
            pub fn poll_read_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
                self.io.poll_ready(crate::Interest::READABLE, cx).map_ok(drop)
            }

            /// Waits until there is room to write.
            ///
            /// # Errors
            /// When the reactor has shut down.
            pub async fn writable(&self) -> std::io::Result<()> {
                self.ready(crate::Interest::WRITABLE).await.map(drop)
            }

            /// Polls for write readiness (the body of [`writable`](Self::writable)).
            pub fn poll_write_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
                self.io.poll_ready(crate::Interest::WRITABLE, cx).map_ok(drop)
            }

            /// Reads what is there without waiting; `Ok(0)` is the end of the
            /// stream.
            ///
            /// # Errors
            /// `WouldBlock` when nothing can be read now (which also clears
            /// the readiness: the next [`readable`](Self::readable) waits for
            /// new data), or the socket's error.
            pub fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.io.try_recv(buf)
            }

            /// [`try_read`](Self::try_read) into several buffers (readv).
            ///
            /// # Errors
            /// As `try_read`.
            pub fn try_read_vectored(&self, bufs: &mut [std::io::IoSliceMut<'_>]) -> std::io::Result<usize> {
                self.io.try_recv_vectored(bufs)
            }

            /// Reads into `buf` without taking the data out of the socket,
            /// waiting for some.
            ///
            /// # Errors
            /// The socket's error.
            pub async fn peek(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                std::future::poll_fn(|cx| self.poll_peek(cx, buf)).await
            }

            /// Polls for [`peek`](Self::peek) (tokio's `ReadBuf` becomes `&mut [u8]`).
            pub fn poll_peek(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.io.poll_peek(cx, buf)
            }

            /// Writes what fits without waiting.
            ///
            /// # Errors
            /// `WouldBlock` when there is no room now (clearing the
            /// readiness), or the socket's error (`EPIPE` for a closed peer:
            /// never a SIGPIPE).
            pub fn try_write(&self, buf: &[u8]) -> std::io::Result<usize> {
                self.io.try_send(buf)
            }

            /// [`try_write`](Self::try_write) from several buffers (one sendmsg).
            ///
            /// # Errors
            /// As `try_write`.
            pub fn try_write_vectored(&self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                self.io.try_send_vectored(bufs)
            }

            /// Takes over a stream made by `std`, setting it non-blocking.
            ///
            /// # Errors
            /// When it cannot be made non-blocking or registered.
            pub fn from_std(stream: $std) -> std::io::Result<$ty> {
                stream.set_nonblocking(true)?;
                Ok($ty { io: crate::evented::Evented::new(stream)? })
            }

            /// The std stream, deregistered from the reactor and still
            /// non-blocking (set it blocking for blocking use).
            ///
            /// # Errors
            /// None today; the signature is tokio's.
            pub fn into_std(self) -> std::io::Result<$std> {
                Ok(self.io.into_inner())
            }
        }

        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(self.io.get_ref())
            }
        }

        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(self.io.get_ref())
            }
        }

        impl TryFrom<$std> for $ty {
            type Error = std::io::Error;

            /// As [`from_std`]($ty::from_std).
            fn try_from(stream: $std) -> std::io::Result<$ty> {
                $ty::from_std(stream)
            }
        }

        impl TryFrom<std::os::fd::OwnedFd> for $ty {
            type Error = std::io::Error;

            /// Takes over a connected socket's descriptor, as `from_std`.
            fn try_from(fd: std::os::fd::OwnedFd) -> std::io::Result<$ty> {
                $ty::from_std(<$std>::from(fd))
            }
        }

        impl From<$ty> for std::os::fd::OwnedFd {
            /// The descriptor, deregistered from the reactor.
            fn from(stream: $ty) -> std::os::fd::OwnedFd {
                std::os::fd::OwnedFd::from(stream.io.into_inner())
            }
        }
    };
}
pub(crate) use stream_io;

/// What every socket type has: `ready`, the caller's own syscalls
/// (`try_io`, `async_io`) and `take_error`.
macro_rules! socket_io {
    ($ty:ident) => {
        impl $ty {
            /// Waits until the socket is ready for any of `interest`; returns
            /// what it is ready for (an error counts as ready for all).
            ///
            /// # Errors
            /// When the reactor has shut down.
            pub async fn ready(&self, interest: crate::Interest) -> std::io::Result<crate::Ready> {
                self.io.ready(interest).await
            }

            /// Runs `f`, the caller's own non-blocking syscall on the socket
            /// (through its descriptor), if it is ready for `interest` now. A
            /// `WouldBlock` from `f` clears that readiness; any other result
            /// is returned as it is.
            ///
            /// # Errors
            /// `WouldBlock` when the socket is not ready, or what `f` returns.
            pub fn try_io<R>(
                &self,
                interest: crate::Interest,
                f: impl FnOnce() -> std::io::Result<R>,
            ) -> std::io::Result<R> {
                self.io.try_io(interest, |_| f())
            }

            /// Waits for `interest` and runs `f` until it does not return
            /// `WouldBlock` (each `WouldBlock` clears the readiness first).
            ///
            /// # Errors
            /// What `f` returns, or the reactor's shutdown.
            pub async fn async_io<R>(
                &self,
                interest: crate::Interest,
                mut f: impl FnMut() -> std::io::Result<R>,
            ) -> std::io::Result<R> {
                self.io.async_io(interest, |_| f()).await
            }

            /// The socket's pending error (SO_ERROR), clearing it.
            ///
            /// # Errors
            /// When the option cannot be read.
            pub fn take_error(&self) -> std::io::Result<Option<std::io::Error>> {
                self.io.get_ref().take_error()
            }
        }
    };
}
pub(crate) use socket_io;
