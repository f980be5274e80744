//! The halves of a stream socket, as tokio names them: borrowed
//! (`split`: `ReadHalf`, `WriteHalf`) and owned (`into_split`:
//! `OwnedReadHalf`, `OwnedWriteHalf`, `reunite`).
//!
//! A stream already reads and writes through `&Stream`, so a half is that
//! shared reference, borrowed or behind an `Arc`: no lock, no extra state,
//! and the cost of `&Stream`. Dropping an owned write half shuts the write
//! side down (the peer reads end of stream), unless it was
//! [`forget`](OwnedWriteHalf::forget)-ed or reunited; the borrowed one
//! shuts it down only through `close()`.

/// Defines the four halves and `ReuniteError` for the stream type `$stream`
/// (in the module that invokes it), and its `split` and `into_split`.
macro_rules! halves {
    ($stream:ident, $addr:ty, $setup:literal) => {
        impl $stream {
            /// Splits the stream into a read half and a write half that
            /// borrow it: one task may read while another writes. (A
            /// `&Self` does both already; the halves are tokio's shape.)
            pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
                (ReadHalf(self), WriteHalf(self))
            }

            /// Splits the stream into halves that own it together, for two
            /// tasks. Dropping the write half shuts down the write side;
            /// [`OwnedReadHalf::reunite`] makes the stream again.
            ///
            /// # Examples
            /// ```
            /// use runtime::io::{AsyncReadExt, AsyncWriteExt};
            ///
            /// # runtime::block_on(async {
            #[doc = $setup]
            /// let (_read, mut write) = a.into_split();
            /// let writer = runtime::spawn(async move { write.write_all(b"ping").await });
            /// let mut buf = Vec::new();
            /// b.read_to_end(&mut buf).await?; // ends when the write half drops
            /// assert_eq!(buf, b"ping");
            /// writer.await.unwrap()?;
            /// # Ok::<(), std::io::Error>(())
            /// # }).unwrap();
            /// ```
            pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
                let stream = std::sync::Arc::new(self);
                (OwnedReadHalf { stream: stream.clone() }, OwnedWriteHalf { stream, shutdown_on_drop: true })
            }
        }

        /// The read half of a borrowed split ([`split`]($stream::split)).
        #[derive(Debug)]
        pub struct ReadHalf<'a>(&'a $stream);

        /// The write half of a borrowed split ([`split`]($stream::split));
        /// `close()` shuts the write side down.
        #[derive(Debug)]
        pub struct WriteHalf<'a>(&'a $stream);

        /// The read half of [`into_split`]($stream::into_split).
        #[derive(Debug)]
        pub struct OwnedReadHalf {
            stream: std::sync::Arc<$stream>,
        }

        /// The write half of [`into_split`]($stream::into_split); dropping
        /// it shuts the write side down.
        #[derive(Debug)]
        pub struct OwnedWriteHalf {
            stream: std::sync::Arc<$stream>,
            shutdown_on_drop: bool,
        }

        /// [`OwnedReadHalf::reunite`] was given halves of two streams; both
        /// come back in it.
        #[derive(Debug)]
        pub struct ReuniteError(pub OwnedReadHalf, pub OwnedWriteHalf);

        impl std::fmt::Display for ReuniteError {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("tried to reunite halves that are not from the same socket")
            }
        }

        impl std::error::Error for ReuniteError {}

        impl OwnedReadHalf {
            /// The stream again, from this half and its own write half (which
            /// then does not shut anything down).
            ///
            /// # Errors
            /// [`ReuniteError`], holding both halves, when `other` belongs to
            /// another stream.
            pub fn reunite(self, other: OwnedWriteHalf) -> Result<$stream, ReuniteError> {
                reunite(self, other)
            }
        }

        impl OwnedWriteHalf {
            /// As [`OwnedReadHalf::reunite`].
            ///
            /// # Errors
            /// [`ReuniteError`] when `other` belongs to another stream.
            pub fn reunite(self, other: OwnedReadHalf) -> Result<$stream, ReuniteError> {
                reunite(other, self)
            }

            /// Drops the half without shutting the write side down.
            pub fn forget(mut self) {
                self.shutdown_on_drop = false;
            }
        }

        fn reunite(read: OwnedReadHalf, mut write: OwnedWriteHalf) -> Result<$stream, ReuniteError> {
            if !std::sync::Arc::ptr_eq(&read.stream, &write.stream) {
                return Err(ReuniteError(read, write));
            }
            write.shutdown_on_drop = false;
            drop(write);
            Ok(std::sync::Arc::try_unwrap(read.stream)
                .unwrap_or_else(|_| unreachable!("only the two halves hold the stream")))
        }

        impl Drop for OwnedWriteHalf {
            fn drop(&mut self) {
                if self.shutdown_on_drop {
                    let _ = self.stream.io.shutdown_write();
                }
            }
        }

        $crate::net::split::half_methods!($stream, $addr, ReadHalf<'_>, read, |h| h.0);
        $crate::net::split::half_methods!($stream, $addr, OwnedReadHalf, read, |h| &*h.stream);
        $crate::net::split::half_methods!($stream, $addr, WriteHalf<'_>, write, |h| h.0);
        $crate::net::split::half_methods!($stream, $addr, OwnedWriteHalf, write, |h| &*h.stream);
    };
}
pub(crate) use halves;

/// One half's methods: the stream's, for its direction only, reached
/// through `$get`; and `AsyncRead` or `AsyncWrite`.
macro_rules! half_methods {
    ($stream:ident, $addr:ty, $half:ty, read, |$h:ident| $get:expr) => {
        $crate::net::split::half_common!($stream, $addr, $half, |$h| $get);

        impl $half {
            /// As the stream's [`readable`]($stream::readable).
            ///
            /// # Errors
            /// When the reactor has shut down.
            pub async fn readable(&self) -> std::io::Result<()> {
                self.stream().readable().await
            }

            /// As the stream's [`try_read`]($stream::try_read).
            ///
            /// # Errors
            /// `WouldBlock` when nothing can be read now, or the socket's error.
            pub fn try_read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.stream().try_read(buf)
            }

            /// As the stream's [`try_read_vectored`]($stream::try_read_vectored).
            ///
            /// # Errors
            /// As `try_read`.
            pub fn try_read_vectored(&self, bufs: &mut [std::io::IoSliceMut<'_>]) -> std::io::Result<usize> {
                self.stream().try_read_vectored(bufs)
            }
        }

        impl futures_util::io::AsyncRead for $half {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.stream().io.poll_recv(cx, buf)
            }
        }
    };
    ($stream:ident, $addr:ty, $half:ty, write, |$h:ident| $get:expr) => {
        $crate::net::split::half_common!($stream, $addr, $half, |$h| $get);

        impl $half {
            /// As the stream's [`writable`]($stream::writable).
            ///
            /// # Errors
            /// When the reactor has shut down.
            pub async fn writable(&self) -> std::io::Result<()> {
                self.stream().writable().await
            }

            /// As the stream's [`try_write`]($stream::try_write).
            ///
            /// # Errors
            /// `WouldBlock` when there is no room now, or the socket's error.
            pub fn try_write(&self, buf: &[u8]) -> std::io::Result<usize> {
                self.stream().try_write(buf)
            }

            /// As the stream's [`try_write_vectored`]($stream::try_write_vectored).
            ///
            /// # Errors
            /// As `try_write`.
            pub fn try_write_vectored(&self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
                self.stream().try_write_vectored(bufs)
            }
        }

        impl futures_util::io::AsyncWrite for $half {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.stream().io.poll_send(cx, buf)
            }
            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.stream().io.poll_send_vectored(cx, bufs)
            }
            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }
            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(self.stream().io.shutdown_write())
            }
        }
    };
}
pub(crate) use half_methods;

/// What both directions' halves have: the stream they reach through `$get`,
/// `ready`, the addresses, `AsRef`.
macro_rules! half_common {
    ($stream:ident, $addr:ty, $half:ty, |$h:ident| $get:expr) => {
        impl $half {
            fn stream(&self) -> &$stream {
                let $h = self;
                $get
            }

            /// As the stream's [`ready`]($stream::ready).
            ///
            /// # Errors
            /// When the reactor has shut down.
            pub async fn ready(&self, interest: crate::Interest) -> std::io::Result<crate::Ready> {
                self.stream().ready(interest).await
            }

            /// The remote address.
            ///
            /// # Errors
            /// ENOTCONN once the connection is gone.
            pub fn peer_addr(&self) -> std::io::Result<$addr> {
                self.stream().peer_addr()
            }

            /// The local address.
            ///
            /// # Errors
            /// What getsockname reports.
            pub fn local_addr(&self) -> std::io::Result<$addr> {
                self.stream().local_addr()
            }
        }

        impl AsRef<$stream> for $half {
            fn as_ref(&self) -> &$stream {
                self.stream()
            }
        }
    };
}
pub(crate) use half_common;
