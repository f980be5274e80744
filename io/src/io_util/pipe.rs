//! In-memory pipes, as tokio's: [`simplex`] (one direction) and
//! [`duplex`] (two), with a bounded buffer: a writer waits while it is
//! full, a reader while it is empty.
//!
//! # Closing
//! The write side closes on `close()` (tokio's `shutdown()`) or drop: the
//! reader drains what is buffered, then reads 0. The read side closes when
//! its end drops: writes then fail with `BrokenPipe`. Every wait spends the
//! task's cooperative budget, so a loop over a pipe that is always ready
//! still yields.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{ready, Context, Poll, Waker};

use futures_util::io::{AsyncRead, AsyncWrite};
use runtime_executor::coop;

/// A one-way in-memory pipe of at most `max_buf_size` buffered bytes: what
/// is written to it is read from it ([`SimplexStream::new_unsplit`]), or
/// split into a read half and a write half ([`simplex`]).
#[derive(Debug)]
pub struct SimplexStream {
    buffer: VecDeque<u8>,
    max_buf_size: usize,
    /// The write side is closed (EOF after the buffer), or the read side is
    /// (writes fail).
    write_closed: bool,
    read_closed: bool,
    read_waker: Option<Waker>,
    write_waker: Option<Waker>,
}

/// A pipe's two halves, as tokio's `simplex`.
///
/// # Examples
/// ```
/// use runtime::io::{AsyncReadExt, AsyncWriteExt};
///
/// # runtime::block_on(async {
/// let (mut rx, mut tx) = runtime::io::simplex(64);
/// tx.write_all(b"ping").await?;
/// tx.shutdown().await?; // the reader's end of stream
/// let mut got = String::new();
/// rx.read_to_string(&mut got).await?;
/// assert_eq!(got, "ping");
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub fn simplex(max_buf_size: usize) -> (super::ReadHalf<SimplexStream>, super::WriteHalf<SimplexStream>) {
    super::split(SimplexStream::new_unsplit(max_buf_size))
}

impl SimplexStream {
    /// A pipe that reads what is written to it, holding at most
    /// `max_buf_size` bytes.
    ///
    /// # Panics
    /// When `max_buf_size` is 0: no byte could ever pass.
    #[track_caller]
    pub fn new_unsplit(max_buf_size: usize) -> SimplexStream {
        assert!(max_buf_size > 0, "a pipe needs room for at least one byte");
        SimplexStream {
            buffer: VecDeque::new(),
            max_buf_size,
            write_closed: false,
            read_closed: false,
            read_waker: None,
            write_waker: None,
        }
    }

    fn poll_read_inner(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let coop = ready!(coop::poll_proceed(cx));
        if self.buffer.is_empty() {
            if self.write_closed {
                coop.made_progress();
                return Poll::Ready(Ok(0));
            }
            self.read_waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = buf.len().min(self.buffer.len());
        for (slot, byte) in buf.iter_mut().zip(self.buffer.drain(..n)) {
            *slot = byte;
        }
        if let Some(waker) = self.write_waker.take() {
            waker.wake();
        }
        coop.made_progress();
        Poll::Ready(Ok(n))
    }

    fn poll_write_inner(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let coop = ready!(coop::poll_proceed(cx));
        if self.read_closed || self.write_closed {
            coop.made_progress();
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        let room = self.max_buf_size - self.buffer.len();
        if room == 0 {
            self.write_waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let n = room.min(buf.len());
        self.buffer.extend(&buf[..n]);
        if let Some(waker) = self.read_waker.take() {
            waker.wake();
        }
        coop.made_progress();
        Poll::Ready(Ok(n))
    }

    /// The write side ends: the reader drains, then reads 0.
    fn close_write(&mut self) {
        self.write_closed = true;
        if let Some(waker) = self.read_waker.take() {
            waker.wake();
        }
    }

    /// The read side is gone: writes fail from now on.
    fn close_read(&mut self) {
        self.read_closed = true;
        self.buffer.clear();
        if let Some(waker) = self.write_waker.take() {
            waker.wake();
        }
    }
}

impl AsyncRead for SimplexStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.get_mut().poll_read_inner(cx, buf)
    }
}

impl AsyncWrite for SimplexStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_inner(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().close_write();
        Poll::Ready(Ok(()))
    }
}

/// One end of a [`duplex`] pipe: reads what the other end writes, and the
/// other way round. Dropping it closes both directions for the other end.
#[derive(Debug)]
pub struct DuplexStream {
    read: Arc<Mutex<SimplexStream>>,
    write: Arc<Mutex<SimplexStream>>,
}

/// Two connected in-memory streams, each buffering at most `max_buf_size`
/// bytes per direction: a socket pair without the kernel, for tests.
///
/// # Examples
/// ```
/// use runtime::io::{AsyncReadExt, AsyncWriteExt};
///
/// # runtime::block_on(async {
/// let (mut client, mut server) = runtime::io::duplex(64);
/// client.write_all(b"ping").await?;
/// let mut buf = [0; 4];
/// server.read_exact(&mut buf).await?;
/// server.write_all(b"pong").await?;
/// client.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"pong");
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub fn duplex(max_buf_size: usize) -> (DuplexStream, DuplexStream) {
    let one = Arc::new(Mutex::new(SimplexStream::new_unsplit(max_buf_size)));
    let two = Arc::new(Mutex::new(SimplexStream::new_unsplit(max_buf_size)));
    (DuplexStream { read: one.clone(), write: two.clone() }, DuplexStream { read: two, write: one })
}

fn lock(pipe: &Mutex<SimplexStream>) -> MutexGuard<'_, SimplexStream> {
    // A pipe's state stays consistent across a panic (no user code runs under the lock).
    pipe.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl AsyncRead for DuplexStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        lock(&self.read).poll_read_inner(cx, buf)
    }
}

impl AsyncWrite for DuplexStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        lock(&self.write).poll_write_inner(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        lock(&self.write).close_write();
        Poll::Ready(Ok(()))
    }
}

impl Drop for DuplexStream {
    fn drop(&mut self) {
        lock(&self.write).close_write();
        lock(&self.read).close_read();
    }
}
