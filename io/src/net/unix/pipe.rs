//! `runtime::net::unix::pipe`: anonymous pipes and FIFOs on the reactor,
//! as tokio's.
//!
//! A pipe's descriptor is made non-blocking here, which changes it for every
//! process that shares its open file description (a FIFO opened elsewhere
//! has its own). Writes never raise SIGPIPE: a reader that went away is an
//! `EPIPE` error.

use std::fs::File;
use std::io::{self, IoSlice, IoSliceMut, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::io::{AsyncRead, AsyncWrite};
use runtime_reactor::{process, Direction, Interest, Ready};

use crate::evented::Evented;

/// A new anonymous pipe: what is written to the [`Sender`] is read from the
/// [`Receiver`].
///
/// # Errors
/// What pipe2 reports (EMFILE …).
///
/// # Examples
/// ```
/// use runtime::io::{AsyncReadExt, AsyncWriteExt};
///
/// # runtime::block_on(async {
/// let (mut tx, mut rx) = runtime::net::unix::pipe::pipe()?;
/// tx.write_all(b"through the kernel").await?;
/// drop(tx);
/// let mut got = String::new();
/// rx.read_to_string(&mut got).await?;
/// assert_eq!(got, "through the kernel");
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub fn pipe() -> io::Result<(Sender, Receiver)> {
    let (read, write) = process::pipe()?;
    Ok((Sender { io: Evented::new(File::from(write))? }, Receiver { io: Evented::new(File::from(read))? }))
}

/// How to open a FIFO ([`OpenOptions::open_receiver`], [`OpenOptions::open_sender`]).
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    read_write: bool,
    unchecked: bool,
}

impl OpenOptions {
    /// Read-only for a receiver, write-only for a sender, checked to be a FIFO.
    pub fn new() -> OpenOptions {
        OpenOptions::default()
    }

    /// Opens the FIFO for reading and writing: a sender then opens even
    /// with no reader (instead of ENXIO), and a receiver never sees the end
    /// of stream while it is open itself.
    pub fn read_write(&mut self, value: bool) -> &mut OpenOptions {
        self.read_write = value;
        self
    }

    /// Skips the check that the path is a FIFO.
    pub fn unchecked(&mut self, value: bool) -> &mut OpenOptions {
        self.unchecked = value;
        self
    }

    /// Opens the FIFO at `path` for reading.
    ///
    /// # Errors
    /// ENOENT, EACCES, or `InvalidInput` for a path that is not a FIFO.
    pub fn open_receiver(&self, path: impl AsRef<Path>) -> io::Result<Receiver> {
        let file = self.open(path.as_ref(), false)?;
        Ok(Receiver { io: Evented::new(file)? })
    }

    /// Opens the FIFO at `path` for writing.
    ///
    /// # Errors
    /// ENXIO when no process has it open for reading (unless
    /// [`read_write`](Self::read_write)), ENOENT, or `InvalidInput` for a
    /// path that is not a FIFO.
    pub fn open_sender(&self, path: impl AsRef<Path>) -> io::Result<Sender> {
        let file = self.open(path.as_ref(), true)?;
        Ok(Sender { io: Evented::new(file)? })
    }

    fn open(&self, path: &Path, write: bool) -> io::Result<File> {
        let file = std::fs::OpenOptions::new()
            .read(!write || self.read_write)
            .write(write || self.read_write)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)?;
        if !self.unchecked && !file.metadata()?.file_type().is_fifo() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a pipe"));
        }
        Ok(file)
    }
}

/// Checks that `file` is a pipe open for `mode` (O_RDONLY or O_WRONLY; a
/// read-write one suits both), and makes it non-blocking.
fn checked(file: File, mode: libc::c_int) -> io::Result<File> {
    if !file.metadata()?.file_type().is_fifo() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a pipe"));
    }
    let access = process::status_flags(file.as_fd())? & libc::O_ACCMODE;
    if access != mode && access != libc::O_RDWR {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not opened for this direction"));
    }
    process::set_nonblocking(file.as_fd())?;
    Ok(file)
}

/// The writing end of a pipe; an `AsyncWrite`.
#[derive(Debug)]
pub struct Sender {
    io: Evented<File>,
}

/// The reading end of a pipe; an `AsyncRead`.
#[derive(Debug)]
pub struct Receiver {
    io: Evented<File>,
}

impl Sender {
    /// Waits until there is room in the pipe.
    ///
    /// # Errors
    /// When the reactor has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Polls for write readiness.
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(Interest::WRITABLE, cx).map_ok(drop)
    }

    /// Writes what fits now.
    ///
    /// # Errors
    /// `WouldBlock` when the pipe is full, `EPIPE` when the reader is gone.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Interest::WRITABLE, |file| process::write_without_sigpipe(file.as_fd(), buf))
    }

    /// Writes what fits now of `bufs` (the first non-empty one).
    ///
    /// # Errors
    /// As [`try_write`](Sender::try_write).
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.try_write(bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| &b[..]))
    }
}

impl AsyncWrite for Sender {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(Direction::Write, cx, |file| process::write_without_sigpipe(file.as_fd(), buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Nothing to flush; the pipe's end closes when the `Sender` drops.
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Receiver {
    /// Waits until data (or the end: every writer gone) can be read.
    ///
    /// # Errors
    /// When the reactor has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Polls for read readiness.
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(Interest::READABLE, cx).map_ok(drop)
    }

    /// Reads what is there now; `Ok(0)` once every writer is gone.
    ///
    /// # Errors
    /// `WouldBlock` when nothing can be read now.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Interest::READABLE, |mut file| file.read(buf))
    }

    /// [`try_read`](Receiver::try_read) into several buffers.
    ///
    /// # Errors
    /// As `try_read`.
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.io.try_io(Interest::READABLE, |mut file| file.read_vectored(bufs))
    }
}

impl AsyncRead for Receiver {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(Direction::Read, cx, |mut file| file.read(buf))
    }
}

/// What both ends have: construction from a file or descriptor (checked
/// to be a pipe open for `$mode`, or unchecked), readiness, the descriptor
/// back, `AsFd`.
macro_rules! pipe_end {
    ($ty:ident, $mode:expr, $end:literal) => {
        impl $ty {
            #[doc = concat!("Takes over a pipe's ", $end, " end, checking that it is one and making it non-blocking.")]
            ///
            /// # Errors
            /// `InvalidInput` when it is not a pipe open for this direction.
            pub fn from_file(file: File) -> io::Result<$ty> {
                Ok($ty { io: Evented::new(checked(file, $mode)?)? })
            }

            /// [`from_file`](Self::from_file) for a descriptor.
            ///
            /// # Errors
            /// As `from_file`.
            pub fn from_owned_fd(fd: OwnedFd) -> io::Result<$ty> {
                $ty::from_file(File::from(fd))
            }

            /// Takes over a descriptor without checks, making it non-blocking.
            ///
            /// # Errors
            /// When it cannot be made non-blocking or registered.
            pub fn from_file_unchecked(file: File) -> io::Result<$ty> {
                process::set_nonblocking(file.as_fd())?;
                Ok($ty { io: Evented::new(file)? })
            }

            /// [`from_file_unchecked`](Self::from_file_unchecked) for a descriptor.
            ///
            /// # Errors
            /// As `from_file_unchecked`.
            pub fn from_owned_fd_unchecked(fd: OwnedFd) -> io::Result<$ty> {
                $ty::from_file_unchecked(File::from(fd))
            }

            /// Waits until the pipe is ready for any of `interest`.
            ///
            /// # Errors
            /// When the reactor has shut down.
            pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
                self.io.ready(interest).await
            }

            /// The descriptor, set blocking again.
            ///
            /// # Errors
            /// When the flag cannot be changed.
            pub fn into_blocking_fd(self) -> io::Result<OwnedFd> {
                let file = self.io.into_inner();
                process::set_blocking(file.as_fd())?;
                Ok(file.into())
            }

            /// The descriptor, still non-blocking.
            ///
            /// # Errors
            /// None today; the signature is tokio's.
            pub fn into_nonblocking_fd(self) -> io::Result<OwnedFd> {
                Ok(self.io.into_inner().into())
            }
        }

        impl AsRawFd for $ty {
            fn as_raw_fd(&self) -> RawFd {
                self.io.get_ref().as_raw_fd()
            }
        }

        impl AsFd for $ty {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.io.get_ref().as_fd()
            }
        }
    };
}

pipe_end!(Sender, libc::O_WRONLY, "writing");
pipe_end!(Receiver, libc::O_RDONLY, "reading");
