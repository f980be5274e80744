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

/// Deregisters a pipe end and makes it blocking again, for a new owner
/// (another child's stdio, or code that reads it synchronously).
fn unregister(pipe: Evented<File>) -> io::Result<OwnedFd> {
    let fd = OwnedFd::from(pipe.into_inner());
    process::set_blocking(fd.as_fd())?;
    Ok(fd)
}

impl ChildStdin {
    /// Wraps std's handle: non-blocking, on the reactor.
    ///
    /// # Errors
    /// When the descriptor cannot be made non-blocking or registered.
    pub fn from_std(stdin: std::process::ChildStdin) -> io::Result<ChildStdin> {
        Ok(ChildStdin { pipe: Some(register(stdin.into())?), guard_sigpipe: !process::sigpipe_ignored() })
    }

    /// The pipe's descriptor, off the reactor and blocking again.
    ///
    /// # Errors
    /// When it was closed already, or cannot be made blocking.
    pub fn into_owned_fd(mut self) -> io::Result<OwnedFd> {
        unregister(self.pipe.take().ok_or_else(closed)?)
    }
}

impl ChildStdout {
    /// Wraps std's handle: non-blocking, on the reactor.
    ///
    /// # Errors
    /// When the descriptor cannot be made non-blocking or registered.
    pub fn from_std(stdout: std::process::ChildStdout) -> io::Result<ChildStdout> {
        Ok(ChildStdout { pipe: register(stdout.into())? })
    }

    /// The pipe's descriptor, off the reactor and blocking again.
    ///
    /// # Errors
    /// When it cannot be made blocking.
    pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
        unregister(self.pipe)
    }
}

impl ChildStderr {
    /// Wraps std's handle: non-blocking, on the reactor.
    ///
    /// # Errors
    /// When the descriptor cannot be made non-blocking or registered.
    pub fn from_std(stderr: std::process::ChildStderr) -> io::Result<ChildStderr> {
        Ok(ChildStderr { pipe: register(stderr.into())? })
    }

    /// The pipe's descriptor, off the reactor and blocking again.
    ///
    /// # Errors
    /// When it cannot be made blocking.
    pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
        unregister(self.pipe)
    }
}

/// A child's pipe as another child's stdio, so one process pipes into the
/// next (`cmd.stdin(previous.stdout.take().unwrap().try_into()?)`, as in tokio).
macro_rules! into_stdio {
    ($($ty:ident),*) => {$(
        impl TryFrom<$ty> for std::process::Stdio {
            type Error = io::Error;

            fn try_from(pipe: $ty) -> io::Result<std::process::Stdio> {
                pipe.into_owned_fd().map(std::process::Stdio::from)
            }
        }
    )*};
}
into_stdio!(ChildStdin, ChildStdout, ChildStderr);

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

impl AsFd for ChildStdout {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.pipe.get_ref().as_fd()
    }
}

impl AsFd for ChildStderr {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.pipe.get_ref().as_fd()
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
