//! `runtime::io`: the I/O traits (futures-io's), their extension traits as
//! supersets of futures-util's and tokio's, and tokio's helpers: in-memory
//! pipes, bidirectional copy, splitting, buffering, the standard streams.

mod buf_stream;
mod copy_bidirectional;
mod ext;
mod pipe;
mod split;
mod stdio;
mod trivial;

pub use buf_stream::BufStream;
pub use copy_bidirectional::{copy_bidirectional, copy_bidirectional_with_sizes};
pub use ext::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, Lines, ReadNum, Split, WriteNum};
pub use futures_util::io::{copy, copy_buf, AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, BufReader, BufWriter};
pub use pipe::{duplex, simplex, DuplexStream, SimplexStream};
pub use split::{split, ReadHalf, WriteHalf};
pub use stdio::{stderr, stdin, stdout, Stderr, Stdin, Stdout};
pub use trivial::{empty, repeat, sink, Empty, Repeat, Sink};
