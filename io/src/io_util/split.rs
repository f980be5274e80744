//! [`split`]: the halves of any stream that reads and writes, as tokio's.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::io::{AsyncRead, AsyncWrite};

/// The read half of [`split`].
#[derive(Debug)]
pub struct ReadHalf<T>(futures_util::io::ReadHalf<T>);

/// The write half of [`split`].
#[derive(Debug)]
pub struct WriteHalf<T>(futures_util::io::WriteHalf<T>);

/// Splits a stream that reads and writes into a read half and a write half,
/// for two tasks; a lock between them hands the stream to one at a time
/// (a socket's own `into_split` needs none).
///
/// # Examples
/// ```
/// use runtime::io::{AsyncReadExt, AsyncWriteExt};
///
/// # runtime::block_on(async {
/// let (stream, mut peer) = runtime::io::duplex(64);
/// let (read, mut write) = runtime::io::split(stream);
/// write.write_all(b"hi").await?;
/// let mut buf = [0; 2];
/// peer.read_exact(&mut buf).await?;
/// assert!(read.is_pair_of(&write));
/// let _stream = read.unsplit(write);
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub fn split<T: AsyncRead + AsyncWrite>(stream: T) -> (ReadHalf<T>, WriteHalf<T>) {
    let (read, write) = futures_util::io::AsyncReadExt::split(stream);
    (ReadHalf(read), WriteHalf(write))
}

impl<T> ReadHalf<T> {
    /// Whether `other` is this half's own write half.
    pub fn is_pair_of(&self, other: &WriteHalf<T>) -> bool {
        self.0.is_pair_of(&other.0)
    }

    /// The stream again, from its two halves.
    ///
    /// # Panics
    /// When `other` comes from another `split`, as tokio's.
    #[track_caller]
    pub fn unsplit(self, other: WriteHalf<T>) -> T
    where
        T: Unpin,
    {
        match self.0.reunite(other.0) {
            Ok(stream) => stream,
            Err(_) => panic!("unrelated `split::Write` passed to `split::Read::unsplit`"),
        }
    }
}

impl<T> WriteHalf<T> {
    /// Whether `other` is this half's own read half.
    pub fn is_pair_of(&self, other: &ReadHalf<T>) -> bool {
        other.0.is_pair_of(&self.0)
    }
}

impl<T: AsyncRead> AsyncRead for ReadHalf<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite> AsyncWrite for WriteHalf<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}
