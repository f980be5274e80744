//! `UnixListener` and `UnixStream`.

use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use runtime_reactor::{socket, Direction};

use crate::evented::Evented;

/// A Unix-domain socket listening for connections.
#[derive(Debug)]
pub struct UnixListener {
    io: Evented<std::os::unix::net::UnixListener>,
}

impl UnixListener {
    /// Binds to `path` (which must not exist yet) and listens.
    ///
    /// # Errors
    /// EADDRINUSE when `path` exists, EACCES, a path too long or with a NUL.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let fd = socket::socket(libc::AF_UNIX, libc::SOCK_STREAM)?;
        socket::bind_unix(fd.as_fd(), path.as_ref())?;
        socket::listen(fd.as_fd(), 1024)?;
        Ok(UnixListener { io: Evented::new(std::os::unix::net::UnixListener::from(fd))? })
    }

    /// Waits for a connection.
    ///
    /// # Errors
    /// What accept4 reports, EMFILE included.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (fd, _) = self.io.io(Direction::Read, |l| socket::accept(l.as_fd())).await?;
        let stream = std::os::unix::net::UnixStream::from(fd);
        let addr = stream.peer_addr()?;
        let io = Evented::with_reactor(stream, self.io.registration().handle())?;
        Ok((UnixStream { io }, addr))
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

/// A Unix-domain stream connection; `&UnixStream` reads and writes too.
#[derive(Debug)]
pub struct UnixStream {
    io: Evented<std::os::unix::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`.
    ///
    /// # Errors
    /// ENOENT, ECONNREFUSED, EAGAIN (the listener's backlog is full) …
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let fd = socket::socket(libc::AF_UNIX, libc::SOCK_STREAM)?;
        let done = socket::connect_unix(fd.as_fd(), path.as_ref())?;
        let stream = UnixStream { io: Evented::new(std::os::unix::net::UnixStream::from(fd))? };
        stream.io.finish_connect(done, std::os::unix::net::UnixStream::take_error).await?;
        Ok(stream)
    }

    /// A connected pair of streams.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = socket::pair()?;
        let a = UnixStream { io: Evented::new(std::os::unix::net::UnixStream::from(a))? };
        let b = UnixStream { io: Evented::new(std::os::unix::net::UnixStream::from(b))? };
        Ok((a, b))
    }

    /// Takes over a stream made by `std`, setting it non-blocking.
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        Ok(UnixStream { io: Evented::new(stream)? })
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Shuts down the read half, the write half or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

super::impl_async_read_write!(UnixStream);
