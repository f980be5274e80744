//! The parent's ends of a child's standard streams, non-blocking and
//! registered with the reactor.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::io::{AsyncRead, AsyncWrite};
use runtime_reactor::{process, Direction};

use crate::evented::Evented;

/// Makes a pipe end from std non-blocking and registers it.
fn register(fd: OwnedFd) -> io::Result<Evented<File>> {
    process::set_nonblocking(fd.as_fd())?;
    Evented::new(File::from(fd))
}

/// The child's standard input: [`AsyncWrite`]. Closing it (or dropping it)
/// gives the child end of file. A write after the child exited is an
/// `EPIPE` error ([`io::ErrorKind::BrokenPipe`]), never a SIGPIPE: Rust
/// programs ignore SIGPIPE from the start, and where the application
/// restored its default action, each write blocks it in its thread.
pub struct ChildStdin {
    /// `None` once closed.
    pipe: Option<Evented<File>>,
    /// SIGPIPE was not ignored when the child was spawned: writes block it
    /// around the call (reactor's `write_without_sigpipe`).
    guard_sigpipe: bool,
}

/// The child's standard output: [`AsyncRead`].
pub struct ChildStdout {
    pipe: Evented<File>,
}

/// The child's standard error: [`AsyncRead`].
pub struct ChildStderr {
    pipe: Evented<File>,
}

impl ChildStdin {
    pub(super) fn new(stdin: std::process::ChildStdin) -> io::Result<ChildStdin> {
        Ok(ChildStdin { pipe: Some(register(stdin.into())?), guard_sigpipe: !process::sigpipe_ignored() })
    }
}

impl ChildStdout {
    pub(super) fn new(stdout: std::process::ChildStdout) -> io::Result<ChildStdout> {
        Ok(ChildStdout { pipe: register(stdout.into())? })
    }
}

impl ChildStderr {
    pub(super) fn new(stderr: std::process::ChildStderr) -> io::Result<ChildStderr> {
        Ok(ChildStderr { pipe: register(stderr.into())? })
    }
}

fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the child's stdin was closed")
}

impl AsyncWrite for ChildStdin {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let guard = self.guard_sigpipe;
        match &self.pipe {
            Some(pipe) => pipe.poll_io(Direction::Write, cx, |file| {
                if guard {
                    process::write_without_sigpipe(file.as_fd(), buf)
                } else {
                    (&*file).write(buf)
                }
            }),
            None => Poll::Ready(Err(closed())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Closes the pipe: the child reads end of file.
    fn poll_close(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        drop(self.pipe.take());
        Poll::Ready(Ok(()))
    }
}

fn poll_read(pipe: &Evented<File>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
    pipe.poll_io(Direction::Read, cx, |file| (&*file).read(buf))
}

impl AsyncRead for ChildStdout {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        poll_read(&self.pipe, cx, buf)
    }
}

impl AsyncRead for ChildStderr {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        poll_read(&self.pipe, cx, buf)
    }
}

impl AsRawFd for ChildStdin {
    /// The descriptor, or -1 once closed.
    fn as_raw_fd(&self) -> RawFd {
        self.pipe.as_ref().map_or(-1, |pipe| pipe.get_ref().as_raw_fd())
    }
}

impl AsRawFd for ChildStdout {
    fn as_raw_fd(&self) -> RawFd {
        self.pipe.get_ref().as_raw_fd()
    }
}

impl AsRawFd for ChildStderr {
    fn as_raw_fd(&self) -> RawFd {
        self.pipe.get_ref().as_raw_fd()
    }
}

macro_rules! debug_by_fd {
    ($($ty:ident),*) => {$(
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty)).field("fd", &self.as_raw_fd()).finish()
            }
        }
    )*};
}
debug_by_fd!(ChildStdin, ChildStdout, ChildStderr);
