//! [`stdin`], [`stdout`] and [`stderr`]: the process's standard streams,
//! read and written on the blocking pool (a terminal or a pipe cannot be
//! made non-blocking without changing it for every other user of the
//! descriptor), as tokio's.
//!
//! A write copies the bytes and returns at once while a pool thread writes
//! them; the next write or flush waits for it first, so writes stay in
//! order, and `flush().await` returns only once everything written before
//! it is out of the process (std's buffer flushed too). An error from a
//! background write is reported by the next write or flush. A read hands
//! out what a pool thread read; a read cancelled mid-way loses nothing (the
//! bytes wait for the next read).

use std::future::Future;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_util::io::{AsyncRead, AsyncWrite};
use runtime_executor::JoinHandle;

/// The most a single write hands to a pool thread, and a read asks for.
const MAX_CHUNK: usize = 2 << 20;

/// What a pool thread is doing with the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Read,
    Write,
    Flush,
}

/// A std stream, moved to a pool thread for each operation and back.
#[derive(Debug)]
enum State<T> {
    /// `buf[pos..]` is read input not handed out yet.
    Idle {
        inner: T,
        buf: Vec<u8>,
        pos: usize,
    },
    Busy(Op, JoinHandle<Done<T>>),
}

/// What a pool thread's operation returns: the stream, its buffer, the result.
#[derive(Debug)]
struct Done<T> {
    inner: T,
    buf: Vec<u8>,
    result: io::Result<usize>,
}

/// The engine of the three streams.
#[derive(Debug)]
struct Blocking<T> {
    /// `None` only between taking the idle state and starting a job.
    state: Option<State<T>>,
}

impl<T: Send + 'static> Blocking<T> {
    fn new(inner: T) -> Blocking<T> {
        Blocking { state: Some(State::Idle { inner, buf: Vec::new(), pos: 0 }) }
    }

    /// Runs `f` on a pool thread with the stream and the buffer (the idle
    /// stream is taken).
    fn start(&mut self, op: Op, f: impl FnOnce(&mut T, &mut Vec<u8>) -> io::Result<usize> + Send + 'static) {
        let Some(State::Idle { inner, buf, .. }) = self.state.take() else { unreachable!("a job starts from idle") };
        let handle = runtime_executor::spawn_blocking_mandatory(move || {
            let (mut inner, mut buf) = (inner, buf);
            let result = f(&mut inner, &mut buf);
            Done { inner, buf, result }
        });
        self.state = Some(State::Busy(op, handle));
    }

    /// Waits for the job in flight, if any; returns what it was and did.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<Option<(Op, io::Result<usize>)>> {
        let Some(State::Busy(op, handle)) = &mut self.state else { return Poll::Ready(None) };
        let op = *op;
        let done = match ready!(Pin::new(handle).poll(cx)) {
            Ok(done) => done,
            // The pool thread panicked (in std's write?): the stream is gone with it.
            Err(error) => return Poll::Ready(Some((op, Err(io::Error::other(error))))),
        };
        self.state = Some(State::Idle { inner: done.inner, buf: done.buf, pos: 0 });
        Poll::Ready(Some((op, done.result)))
    }

    fn idle_buf(&mut self) -> (&mut Vec<u8>, &mut usize) {
        match &mut self.state {
            Some(State::Idle { buf, pos, .. }) => (buf, pos),
            _ => unreachable!("idle here"),
        }
    }
}

impl<T: Read + Send + 'static> Blocking<T> {
    fn poll_read(&mut self, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<io::Result<usize>> {
        loop {
            match ready!(self.poll_idle(cx)) {
                Some((Op::Read, Ok(n))) => {
                    self.idle_buf().0.truncate(n);
                    if n == 0 {
                        return Poll::Ready(Ok(0)); // end of input
                    }
                }
                Some((_, Err(error))) => return Poll::Ready(Err(error)),
                _ => {}
            }
            let (buf, pos) = self.idle_buf();
            if *pos < buf.len() {
                let n = out.len().min(buf.len() - *pos);
                out[..n].copy_from_slice(&buf[*pos..*pos + n]);
                *pos += n;
                return Poll::Ready(Ok(n));
            }
            if out.is_empty() {
                return Poll::Ready(Ok(0));
            }
            let want = out.len().min(MAX_CHUNK);
            self.start(Op::Read, move |inner, buf| {
                buf.resize(want, 0);
                inner.read(buf)
            });
        }
    }
}

impl<T: Write + Send + 'static> Blocking<T> {
    fn poll_write(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        if let Some((_, Err(error))) = ready!(self.poll_idle(cx)) {
            return Poll::Ready(Err(error));
        }
        let n = data.len().min(MAX_CHUNK);
        let (buf, _) = self.idle_buf();
        buf.clear();
        buf.extend_from_slice(&data[..n]);
        self.start(Op::Write, |inner, buf| inner.write_all(buf).map(|()| buf.len()));
        Poll::Ready(Ok(n))
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            match ready!(self.poll_idle(cx)) {
                Some((Op::Flush, result)) => return Poll::Ready(result.map(drop)),
                Some((_, Err(error))) => return Poll::Ready(Err(error)),
                _ => self.start(Op::Flush, |inner, _| inner.flush().map(|()| 0)),
            }
        }
    }
}

/// The process's standard input, read on the blocking pool ([`stdin`]).
///
/// A read in flight keeps a pool thread until input comes (as tokio's): a
/// task that stops reading standard input still holds that thread.
#[derive(Debug)]
pub struct Stdin(Blocking<io::Stdin>, io::Stdin);

/// The process's standard output, written on the blocking pool ([`stdout`]).
/// `flush().await` before the process exits, or what was written last may
/// be lost with it.
#[derive(Debug)]
pub struct Stdout(Blocking<io::Stdout>, io::Stdout);

/// The process's standard error, written on the blocking pool ([`stderr`]).
#[derive(Debug)]
pub struct Stderr(Blocking<io::Stderr>, io::Stderr);

/// The process's standard input.
pub fn stdin() -> Stdin {
    Stdin(Blocking::new(io::stdin()), io::stdin())
}

/// The process's standard output.
///
/// # Examples
/// ```
/// use runtime::io::AsyncWriteExt;
///
/// # runtime::block_on(async {
/// let mut out = runtime::io::stdout();
/// out.write_all(b"hello\n").await?;
/// out.flush().await?; // out of the process now
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub fn stdout() -> Stdout {
    Stdout(Blocking::new(io::stdout()), io::stdout())
}

/// The process's standard error.
pub fn stderr() -> Stderr {
    Stderr(Blocking::new(io::stderr()), io::stderr())
}

impl AsyncRead for Stdin {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.get_mut().0.poll_read(cx, buf)
    }
}

macro_rules! async_write {
    ($ty:ident) => {
        impl AsyncWrite for $ty {
            fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                self.get_mut().0.poll_write(cx, buf)
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.get_mut().0.poll_flush(cx)
            }

            /// Flushes: the standard stream itself stays open.
            fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.get_mut().0.poll_flush(cx)
            }
        }
    };
}

async_write!(Stdout);
async_write!(Stderr);

/// The descriptor of each stream (0, 1, 2), for `AsFd` and `AsRawFd`.
macro_rules! as_fd {
    ($($ty:ident),*) => {
        $(impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.1.as_fd()
            }
        }

        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                self.1.as_raw_fd()
            }
        })*
    };
}

as_fd!(Stdin, Stdout, Stderr);
