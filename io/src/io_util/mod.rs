//! `runtime::io`: the I/O traits (futures-io's), their extension traits as
//! supersets of futures-util's and tokio's, and tokio's helpers: in-memory
//! pipes, bidirectional copy, splitting, buffering, the standard streams.

mod ext;

pub use ext::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, Lines, ReadNum, Split, WriteNum};
pub use futures_util::io::{
    copy, copy_buf, empty, repeat, sink, AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, BufReader, BufWriter, Empty,
    ReadHalf, Repeat, Sink, WriteHalf,
};

/// Splits a stream that reads and writes into a read half and a write half
/// for two tasks (a lock between them; a socket's own `into_split` needs
/// none).
pub fn split<T: AsyncRead + AsyncWrite>(stream: T) -> (ReadHalf<T>, WriteHalf<T>) {
    futures_util::io::AsyncReadExt::split(stream)
}
