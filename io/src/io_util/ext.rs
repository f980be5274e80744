//! `AsyncReadExt`, `AsyncWriteExt`, `AsyncBufReadExt` and `AsyncSeekExt`:
//! futures-util's methods and tokio's in one trait each, implemented for
//! every futures-io type, so that a port imports one trait and finds both
//! sets.
//!
//! Where the two disagree, tokio's shape is kept: `AsyncReadExt` has no
//! `split` (it would shadow a stream's own `split(&mut self)` and clash
//! with `AsyncBufReadExt::split(byte)`; [`split`](super::split) is the
//! function), and `lines()` returns tokio's [`Lines`] (`next_line()`),
//! which is also a `Stream` as futures-util's is.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_util::io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};

/// Reads a number of `N` bytes, decoded by `decode` (the `read_u8` …
/// `read_f64_le` futures).
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct ReadNum<'a, R: ?Sized, T, const N: usize> {
    reader: &'a mut R,
    buf: [u8; N],
    filled: usize,
    decode: fn([u8; N]) -> T,
}

impl<R: AsyncRead + Unpin + ?Sized, T, const N: usize> Future for ReadNum<'_, R, T, N> {
    type Output = io::Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let this = self.get_mut();
        while this.filled < N {
            let n = ready!(Pin::new(&mut *this.reader).poll_read(cx, &mut this.buf[this.filled..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
            }
            this.filled += n;
        }
        Poll::Ready(Ok((this.decode)(this.buf)))
    }
}

/// Writes a number's `N` bytes (the `write_u8` … `write_f64_le` futures).
#[must_use = "futures do nothing unless you `.await` or poll them"]
#[derive(Debug)]
pub struct WriteNum<'a, W: ?Sized, const N: usize> {
    writer: &'a mut W,
    buf: [u8; N],
    written: usize,
}

impl<W: AsyncWrite + Unpin + ?Sized, const N: usize> Future for WriteNum<'_, W, N> {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        while this.written < N {
            let n = ready!(Pin::new(&mut *this.writer).poll_write(cx, &this.buf[this.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            this.written += n;
        }
        Poll::Ready(Ok(()))
    }
}

/// The `read_*` methods: one per type and byte order.
macro_rules! read_nums {
    ($($name:ident: $ty:ty = $from:ident;)*) => {
        $(
            #[doc = concat!("Reads a `", stringify!($ty), "` (", stringify!($from), "); `UnexpectedEof` if the stream ends first.")]
            fn $name(&mut self) -> ReadNum<'_, Self, $ty, { size_of::<$ty>() }>
            where
                Self: Unpin,
            {
                ReadNum { reader: self, buf: [0; size_of::<$ty>()], filled: 0, decode: <$ty>::$from }
            }
        )*
    };
}

/// The `write_*` methods: one per type and byte order.
macro_rules! write_nums {
    ($($name:ident: $ty:ty = $to:ident;)*) => {
        $(
            #[doc = concat!("Writes a `", stringify!($ty), "` (", stringify!($to), ").")]
            fn $name(&mut self, n: $ty) -> WriteNum<'_, Self, { size_of::<$ty>() }>
            where
                Self: Unpin,
            {
                WriteNum { writer: self, buf: n.$to(), written: 0 }
            }
        )*
    };
}

/// Reading helpers for every [`AsyncRead`]: futures-util's and tokio's.
///
/// # Examples
/// ```
/// use runtime::io::AsyncReadExt;
///
/// # runtime::block_on(async {
/// let mut input: &[u8] = &[0, 0, 1, 2, b'h', b'i'];
/// assert_eq!(input.read_u32().await?, 258);
/// let mut rest = String::new();
/// input.read_to_string(&mut rest).await?;
/// assert_eq!(rest, "hi");
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub trait AsyncReadExt: AsyncRead {
    /// Reads into `buf`; returns how many bytes (0 at the end of the stream).
    fn read<'a>(&'a mut self, buf: &'a mut [u8]) -> futures_util::io::Read<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncReadExt::read(self, buf)
    }

    /// Reads into several buffers.
    fn read_vectored<'a>(&'a mut self, bufs: &'a mut [io::IoSliceMut<'a>]) -> futures_util::io::ReadVectored<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncReadExt::read_vectored(self, bufs)
    }

    /// Fills `buf` exactly; `UnexpectedEof` if the stream ends first.
    fn read_exact<'a>(&'a mut self, buf: &'a mut [u8]) -> futures_util::io::ReadExact<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncReadExt::read_exact(self, buf)
    }

    /// Reads to the end of the stream, appending to `buf`.
    fn read_to_end<'a>(&'a mut self, buf: &'a mut Vec<u8>) -> futures_util::io::ReadToEnd<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncReadExt::read_to_end(self, buf)
    }

    /// Reads to the end of the stream as UTF-8, appending to `buf`.
    fn read_to_string<'a>(&'a mut self, buf: &'a mut String) -> futures_util::io::ReadToString<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncReadExt::read_to_string(self, buf)
    }

    /// This reader, then `next`.
    fn chain<R: AsyncRead>(self, next: R) -> futures_util::io::Chain<Self, R>
    where
        Self: Sized,
    {
        futures_util::io::AsyncReadExt::chain(self, next)
    }

    /// At most `limit` bytes of this reader.
    fn take(self, limit: u64) -> futures_util::io::Take<Self>
    where
        Self: Sized,
    {
        futures_util::io::AsyncReadExt::take(self, limit)
    }

    read_nums! {
        read_u8: u8 = from_be_bytes;
        read_i8: i8 = from_be_bytes;
        read_u16: u16 = from_be_bytes;
        read_i16: i16 = from_be_bytes;
        read_u32: u32 = from_be_bytes;
        read_i32: i32 = from_be_bytes;
        read_u64: u64 = from_be_bytes;
        read_i64: i64 = from_be_bytes;
        read_u128: u128 = from_be_bytes;
        read_i128: i128 = from_be_bytes;
        read_f32: f32 = from_be_bytes;
        read_f64: f64 = from_be_bytes;
        read_u16_le: u16 = from_le_bytes;
        read_i16_le: i16 = from_le_bytes;
        read_u32_le: u32 = from_le_bytes;
        read_i32_le: i32 = from_le_bytes;
        read_u64_le: u64 = from_le_bytes;
        read_i64_le: i64 = from_le_bytes;
        read_u128_le: u128 = from_le_bytes;
        read_i128_le: i128 = from_le_bytes;
        read_f32_le: f32 = from_le_bytes;
        read_f64_le: f64 = from_le_bytes;
    }
}

impl<R: AsyncRead + ?Sized> AsyncReadExt for R {}

/// Writing helpers for every [`AsyncWrite`]: futures-util's and tokio's
/// (`shutdown()` is futures-util's `close()`: the write side ends).
pub trait AsyncWriteExt: AsyncWrite {
    /// Writes some of `buf`; returns how many bytes.
    fn write<'a>(&'a mut self, buf: &'a [u8]) -> futures_util::io::Write<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncWriteExt::write(self, buf)
    }

    /// Writes some of `bufs`.
    fn write_vectored<'a>(&'a mut self, bufs: &'a [io::IoSlice<'a>]) -> futures_util::io::WriteVectored<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncWriteExt::write_vectored(self, bufs)
    }

    /// Writes all of `buf`.
    fn write_all<'a>(&'a mut self, buf: &'a [u8]) -> futures_util::io::WriteAll<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncWriteExt::write_all(self, buf)
    }

    /// Flushes buffered data to the destination.
    fn flush(&mut self) -> futures_util::io::Flush<'_, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncWriteExt::flush(self)
    }

    /// Flushes and ends the write side (a socket's peer reads end of stream).
    fn close(&mut self) -> futures_util::io::Close<'_, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncWriteExt::close(self)
    }

    /// tokio's name for [`close`](AsyncWriteExt::close).
    fn shutdown(&mut self) -> futures_util::io::Close<'_, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncWriteExt::close(self)
    }

    write_nums! {
        write_u8: u8 = to_be_bytes;
        write_i8: i8 = to_be_bytes;
        write_u16: u16 = to_be_bytes;
        write_i16: i16 = to_be_bytes;
        write_u32: u32 = to_be_bytes;
        write_i32: i32 = to_be_bytes;
        write_u64: u64 = to_be_bytes;
        write_i64: i64 = to_be_bytes;
        write_u128: u128 = to_be_bytes;
        write_i128: i128 = to_be_bytes;
        write_f32: f32 = to_be_bytes;
        write_f64: f64 = to_be_bytes;
        write_u16_le: u16 = to_le_bytes;
        write_i16_le: i16 = to_le_bytes;
        write_u32_le: u32 = to_le_bytes;
        write_i32_le: i32 = to_le_bytes;
        write_u64_le: u64 = to_le_bytes;
        write_i64_le: i64 = to_le_bytes;
        write_u128_le: u128 = to_le_bytes;
        write_i128_le: i128 = to_le_bytes;
        write_f32_le: f32 = to_le_bytes;
        write_f64_le: f64 = to_le_bytes;
    }
}

impl<W: AsyncWrite + ?Sized> AsyncWriteExt for W {}

/// Buffered reading helpers for every [`AsyncBufRead`]: futures-util's and
/// tokio's (`lines()` and `split(byte)` in tokio's shape).
pub trait AsyncBufReadExt: AsyncBufRead {
    /// The buffered data, reading more if it is empty.
    fn fill_buf(&mut self) -> futures_util::io::FillBuf<'_, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncBufReadExt::fill_buf(self)
    }

    /// Marks `amt` buffered bytes as read.
    fn consume(&mut self, amt: usize)
    where
        Self: Unpin,
    {
        Pin::new(self).consume(amt)
    }

    /// futures-util's name for [`consume`](AsyncBufReadExt::consume).
    fn consume_unpin(&mut self, amt: usize)
    where
        Self: Unpin,
    {
        Pin::new(self).consume(amt)
    }

    /// Reads up to and including `byte`, appending to `buf`.
    fn read_until<'a>(&'a mut self, byte: u8, buf: &'a mut Vec<u8>) -> futures_util::io::ReadUntil<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncBufReadExt::read_until(self, byte, buf)
    }

    /// Reads a line (with its `\n`) as UTF-8, appending to `buf`.
    fn read_line<'a>(&'a mut self, buf: &'a mut String) -> futures_util::io::ReadLine<'a, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncBufReadExt::read_line(self, buf)
    }

    /// The lines, without their `\n` or `\r\n`: `next_line().await`, or a
    /// `Stream`.
    ///
    /// # Examples
    /// ```
    /// use runtime::io::AsyncBufReadExt;
    ///
    /// # runtime::block_on(async {
    /// let mut lines = (&b"one\r\ntwo\n"[..]).lines();
    /// assert_eq!(lines.next_line().await?.as_deref(), Some("one"));
    /// assert_eq!(lines.next_line().await?.as_deref(), Some("two"));
    /// assert_eq!(lines.next_line().await?, None);
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    fn lines(self) -> Lines<Self>
    where
        Self: Sized,
    {
        Lines { reader: self, buf: Vec::new() }
    }

    /// The segments between `byte`s: `next_segment().await`, or a `Stream`.
    fn split(self, byte: u8) -> Split<Self>
    where
        Self: Sized,
    {
        Split { reader: self, byte, buf: Vec::new() }
    }
}

impl<R: AsyncBufRead + ?Sized> AsyncBufReadExt for R {}

/// Seeking helpers for every [`AsyncSeek`]: futures-util's and tokio's.
pub trait AsyncSeekExt: AsyncSeek {
    /// Moves the position; returns the new one from the start.
    fn seek(&mut self, pos: io::SeekFrom) -> futures_util::io::Seek<'_, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncSeekExt::seek(self, pos)
    }

    /// Moves to the start.
    fn rewind(&mut self) -> futures_util::io::Seek<'_, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncSeekExt::seek(self, io::SeekFrom::Start(0))
    }

    /// The position from the start.
    fn stream_position(&mut self) -> futures_util::io::Seek<'_, Self>
    where
        Self: Unpin,
    {
        futures_util::io::AsyncSeekExt::seek(self, io::SeekFrom::Current(0))
    }
}

impl<S: AsyncSeek + ?Sized> AsyncSeekExt for S {}

/// Reads segments ending in `byte` (not included) into `buf`; `None` at the
/// end of the stream. Cancel-safe: a partial segment stays in `buf`.
fn poll_segment<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    cx: &mut Context<'_>,
    byte: u8,
    buf: &mut Vec<u8>,
) -> Poll<io::Result<Option<Vec<u8>>>> {
    loop {
        let available = ready!(Pin::new(&mut *reader).poll_fill_buf(cx))?;
        if available.is_empty() {
            return Poll::Ready(Ok((!buf.is_empty()).then(|| std::mem::take(buf))));
        }
        match available.iter().position(|&b| b == byte) {
            Some(at) => {
                buf.extend_from_slice(&available[..at]);
                Pin::new(&mut *reader).consume(at + 1);
                return Poll::Ready(Ok(Some(std::mem::take(buf))));
            }
            None => {
                let n = available.len();
                buf.extend_from_slice(available);
                Pin::new(&mut *reader).consume(n);
            }
        }
    }
}

/// The lines of a reader, from [`AsyncBufReadExt::lines`].
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Lines<R> {
    reader: R,
    buf: Vec<u8>,
}

impl<R: AsyncBufRead + Unpin> Lines<R> {
    /// The next line, `None` at the end. Cancel-safe.
    ///
    /// # Errors
    /// A read error, or `InvalidData` for a line that is not UTF-8.
    pub async fn next_line(&mut self) -> io::Result<Option<String>> {
        std::future::poll_fn(|cx| self.poll_next_line(cx)).await
    }

    /// Polls for the next line.
    pub fn poll_next_line(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<String>>> {
        let Some(mut line) = ready!(poll_segment(&mut self.reader, cx, b'\n', &mut self.buf))? else {
            return Poll::Ready(Ok(None));
        };
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Poll::Ready(String::from_utf8(line).map(Some).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)))
    }

    /// The reader back (what it buffered stays in it).
    pub fn into_inner(self) -> R {
        self.reader
    }

    /// The reader.
    pub fn get_ref(&self) -> &R {
        &self.reader
    }

    /// The reader, mutably.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.reader
    }
}

impl<R: AsyncBufRead + Unpin> futures_core::Stream for Lines<R> {
    type Item = io::Result<String>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<io::Result<String>>> {
        self.get_mut().poll_next_line(cx).map(Result::transpose)
    }
}

/// The segments of a reader, from [`AsyncBufReadExt::split`].
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Split<R> {
    reader: R,
    byte: u8,
    buf: Vec<u8>,
}

impl<R: AsyncBufRead + Unpin> Split<R> {
    /// The next segment (without its delimiter), `None` at the end. Cancel-safe.
    ///
    /// # Errors
    /// A read error.
    pub async fn next_segment(&mut self) -> io::Result<Option<Vec<u8>>> {
        std::future::poll_fn(|cx| self.poll_next_segment(cx)).await
    }

    /// Polls for the next segment.
    pub fn poll_next_segment(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<Vec<u8>>>> {
        poll_segment(&mut self.reader, cx, self.byte, &mut self.buf)
    }
}

impl<R: AsyncBufRead + Unpin> futures_core::Stream for Split<R> {
    type Item = io::Result<Vec<u8>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<io::Result<Vec<u8>>>> {
        self.get_mut().poll_next_segment(cx).map(Result::transpose)
    }
}
