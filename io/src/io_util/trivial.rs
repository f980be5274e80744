//! [`empty`], [`sink`] and [`repeat`]: readers and writers that need no
//! data, as tokio's. Each operation spends the task's cooperative budget,
//! so a loop over one that is always ready still yields to other tasks.

use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_util::io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};
use runtime_executor::coop;

/// Spends one unit of the task's budget (yielding when it is spent), then `value`.
fn budgeted<T>(cx: &mut Context<'_>, value: impl FnOnce() -> T) -> Poll<T> {
    let unit = ready!(coop::poll_proceed(cx));
    unit.made_progress();
    Poll::Ready(value())
}

/// Reads nothing (always at the end) and takes every write whole, ignoring it.
#[derive(Debug, Default, Clone, Copy)]
pub struct Empty {
    _private: (),
}

/// An [`Empty`].
///
/// # Examples
/// ```
/// use runtime::io::{AsyncReadExt, AsyncWriteExt};
///
/// # runtime::block_on(async {
/// let mut text = String::new();
/// runtime::io::empty().read_to_string(&mut text).await?;
/// assert!(text.is_empty());
/// assert_eq!(runtime::io::empty().write(&[1, 2, 3]).await?, 3);
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub fn empty() -> Empty {
    Empty { _private: () }
}

impl AsyncRead for Empty {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, _: &mut [u8]) -> Poll<io::Result<usize>> {
        budgeted(cx, || Ok(0))
    }
}

impl AsyncBufRead for Empty {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        budgeted(cx, || Ok(&[][..]))
    }

    fn consume(self: Pin<&mut Self>, _: usize) {}
}

impl AsyncWrite for Empty {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        budgeted(cx, || Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        budgeted(cx, || Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        budgeted(cx, || Ok(()))
    }
}

impl AsyncSeek for Empty {
    /// Any seek lands at 0, the only position.
    fn poll_seek(self: Pin<&mut Self>, cx: &mut Context<'_>, _: SeekFrom) -> Poll<io::Result<u64>> {
        budgeted(cx, || Ok(0))
    }
}

/// Takes every write whole and ignores it.
#[derive(Debug, Default, Clone, Copy)]
pub struct Sink {
    _private: (),
}

/// A [`Sink`].
pub fn sink() -> Sink {
    Sink { _private: () }
}

/// A sink writes as [`Empty`] does.
impl AsyncWrite for Sink {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut empty()).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut empty()).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut empty()).poll_close(cx)
    }
}

/// Reads one byte over and over, without end.
#[derive(Debug, Clone, Copy)]
pub struct Repeat {
    byte: u8,
}

/// A [`Repeat`] of `byte`.
///
/// # Examples
/// ```
/// use runtime::io::AsyncReadExt;
///
/// # runtime::block_on(async {
/// let mut buf = [0; 3];
/// runtime::io::repeat(7).read_exact(&mut buf).await?;
/// assert_eq!(buf, [7, 7, 7]);
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub fn repeat(byte: u8) -> Repeat {
    Repeat { byte }
}

impl AsyncRead for Repeat {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let byte = self.byte;
        budgeted(cx, || {
            buf.fill(byte);
            Ok(buf.len())
        })
    }
}
