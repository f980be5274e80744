//! [`copy_bidirectional`]: a proxy's two copies at once, each side's write
//! half shut down when the other side's reads end.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_util::io::{AsyncRead, AsyncWrite};

/// One direction's buffer and progress.
struct Copy {
    buf: Box<[u8]>,
    /// Bytes of `buf` already written, of `filled`.
    pos: usize,
    filled: usize,
    read_done: bool,
    need_flush: bool,
    copied: u64,
}

impl Copy {
    fn new(size: usize) -> Copy {
        Copy {
            buf: vec![0; size.max(1)].into_boxed_slice(),
            pos: 0,
            filled: 0,
            read_done: false,
            need_flush: false,
            copied: 0,
        }
    }

    /// Copies until the reader ends and everything is written and flushed.
    fn poll_copy<R, W>(&mut self, cx: &mut Context<'_>, reader: &mut R, writer: &mut W) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + Unpin + ?Sized,
        W: AsyncWrite + Unpin + ?Sized,
    {
        loop {
            if self.pos == self.filled && !self.read_done {
                match Pin::new(&mut *reader).poll_read(cx, &mut self.buf) {
                    Poll::Ready(Ok(0)) => self.read_done = true,
                    Poll::Ready(Ok(n)) => (self.pos, self.filled) = (0, n),
                    Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                    Poll::Pending => {
                        // Nothing to read now: push out what was written so far.
                        if self.need_flush {
                            ready!(Pin::new(&mut *writer).poll_flush(cx))?;
                            self.need_flush = false;
                        }
                        return Poll::Pending;
                    }
                }
            }
            while self.pos < self.filled {
                let n = ready!(Pin::new(&mut *writer).poll_write(cx, &self.buf[self.pos..self.filled]))?;
                if n == 0 {
                    return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                self.pos += n;
                self.copied += n as u64;
                self.need_flush = true;
            }
            if self.read_done && self.pos == self.filled {
                ready!(Pin::new(&mut *writer).poll_flush(cx))?;
                return Poll::Ready(Ok(self.copied));
            }
        }
    }
}

/// Where one direction stands.
enum Direction {
    Copying(Copy),
    ShuttingDown(u64),
    Done(u64),
}

impl Direction {
    fn poll<R, W>(&mut self, cx: &mut Context<'_>, reader: &mut R, writer: &mut W) -> Poll<io::Result<u64>>
    where
        R: AsyncRead + Unpin + ?Sized,
        W: AsyncWrite + Unpin + ?Sized,
    {
        loop {
            match self {
                Direction::Copying(copy) => {
                    *self = Direction::ShuttingDown(ready!(copy.poll_copy(cx, reader, writer))?)
                }
                Direction::ShuttingDown(copied) => {
                    let copied = *copied;
                    ready!(Pin::new(&mut *writer).poll_close(cx))?;
                    *self = Direction::Done(copied);
                }
                Direction::Done(copied) => return Poll::Ready(Ok(*copied)),
            }
        }
    }
}

/// Copies from `a` to `b` and from `b` to `a` at once, until both reads
/// end; when one side's reads end, the other side's write half is shut
/// down (after a flush). Returns the bytes copied each way, `(a to b, b to
/// a)`.
///
/// # Errors
/// The first read or write error on either side; the copy stops there.
///
/// # Examples
/// ```
/// use runtime::io::{AsyncReadExt, AsyncWriteExt};
///
/// # runtime::block_on(async {
/// let (mut client, mut proxy_front) = runtime::io::duplex(64);
/// let (mut proxy_back, mut server) = runtime::io::duplex(64);
/// let proxy = runtime::spawn(async move {
///     runtime::io::copy_bidirectional(&mut proxy_front, &mut proxy_back).await
/// });
/// client.write_all(b"hello").await?;
/// client.shutdown().await?;
/// let mut got = Vec::new();
/// server.read_to_end(&mut got).await?; // ends: the proxy shut its write side
/// server.write_all(b"bye").await?;
/// drop(server);
/// let mut reply = Vec::new();
/// client.read_to_end(&mut reply).await?;
/// assert_eq!((got.as_slice(), reply.as_slice()), (&b"hello"[..], &b"bye"[..]));
/// assert_eq!(proxy.await.unwrap()?, (5, 3));
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn copy_bidirectional<A, B>(a: &mut A, b: &mut B) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    copy_bidirectional_with_sizes(a, b, 8 << 10, 8 << 10).await
}

/// [`copy_bidirectional`] with a buffer of `a_to_b` bytes for the copy from
/// `a` to `b`, and of `b_to_a` bytes for the other.
///
/// # Errors
/// As `copy_bidirectional`.
pub async fn copy_bidirectional_with_sizes<A, B>(
    a: &mut A,
    b: &mut B,
    a_to_b: usize,
    b_to_a: usize,
) -> io::Result<(u64, u64)>
where
    A: AsyncRead + AsyncWrite + Unpin + ?Sized,
    B: AsyncRead + AsyncWrite + Unpin + ?Sized,
{
    let mut forward = Direction::Copying(Copy::new(a_to_b));
    let mut backward = Direction::Copying(Copy::new(b_to_a));
    std::future::poll_fn(|cx| {
        let forward = forward.poll(cx, a, b)?;
        let backward = backward.poll(cx, b, a)?;
        let (Poll::Ready(there), Poll::Ready(back)) = (forward, backward) else { return Poll::Pending };
        Poll::Ready(Ok((there, back)))
    })
    .await
}
