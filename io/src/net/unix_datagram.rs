//! `UnixDatagram`: Unix-domain datagram sockets on the reactor.

use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use runtime_reactor::{Direction, Interest};

use crate::evented::Evented;

/// A Unix-domain datagram socket: bound to a path or unbound, connected to
/// one peer or sending to any, as tokio's. Any number of tasks may send and
/// receive on it at once.
///
/// # Examples
/// ```
/// use runtime::net::UnixDatagram;
///
/// # runtime::block_on(async {
/// let (a, b) = UnixDatagram::pair()?;
/// a.send(b"hello").await?;
/// let mut buf = [0; 8];
/// let n = b.recv(&mut buf).await?;
/// assert_eq!(&buf[..n], b"hello");
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct UnixDatagram {
    io: Evented<std::os::unix::net::UnixDatagram>,
}

impl UnixDatagram {
    fn new(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        Ok(UnixDatagram { io: Evented::new(socket)? })
    }

    /// A socket bound to `path` (which must not exist yet).
    ///
    /// # Errors
    /// EADDRINUSE when `path` exists, EACCES …
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::new(std::os::unix::net::UnixDatagram::bind(path)?)
    }

    /// A connected pair of unnamed sockets.
    ///
    /// # Errors
    /// What socketpair reports (EMFILE …).
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = std::os::unix::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::new(a)?, UnixDatagram::new(b)?))
    }

    /// A socket bound to no path (it can send, and receive replies only when
    /// connected).
    ///
    /// # Errors
    /// What socket reports.
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::new(std::os::unix::net::UnixDatagram::unbound()?)
    }

    /// Sets the only peer: [`send`](Self::send) goes to it, and only its
    /// datagrams are received.
    ///
    /// # Errors
    /// ENOENT, ECONNREFUSED …
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// Takes over a std socket, setting it non-blocking.
    ///
    /// # Errors
    /// When it cannot be made non-blocking or registered.
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::new(socket)
    }

    /// The std socket, deregistered and still non-blocking.
    ///
    /// # Errors
    /// None today; the signature is tokio's.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        Ok(self.io.into_inner())
    }

    /// Sends a datagram to the socket at `target`.
    ///
    /// # Errors
    /// ENOENT, ECONNREFUSED (nobody bound there), EMSGSIZE …
    pub async fn send_to(&self, buf: &[u8], target: impl AsRef<Path>) -> io::Result<usize> {
        let target = target.as_ref();
        self.io.io(Direction::Write, |s| s.send_to(buf, target)).await
    }

    /// Polls to send a datagram to `target`.
    pub fn poll_send_to(&self, cx: &mut Context<'_>, buf: &[u8], target: impl AsRef<Path>) -> Poll<io::Result<usize>> {
        let target = target.as_ref();
        self.io.poll_io(Direction::Write, cx, |s| s.send_to(buf, target))
    }

    /// Sends to `target` if the socket is writable now.
    ///
    /// # Errors
    /// `WouldBlock` when it is not, or what sendto reports.
    pub fn try_send_to(&self, buf: &[u8], target: impl AsRef<Path>) -> io::Result<usize> {
        self.io.try_io(Interest::WRITABLE, |s| s.send_to(buf, target))
    }

    /// Receives a datagram and its sender's address.
    ///
    /// # Errors
    /// What recvfrom reports.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.io(Direction::Read, |s| s.recv_from(buf)).await
    }

    /// Polls to receive a datagram and its sender's address.
    pub fn poll_recv_from(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_io(Direction::Read, cx, |s| s.recv_from(buf))
    }

    /// Receives a datagram and its sender if one is queued now.
    ///
    /// # Errors
    /// `WouldBlock` when none is.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Interest::READABLE, |s| s.recv_from(buf))
    }

    /// The address it is bound to.
    ///
    /// # Errors
    /// What getsockname reports.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    /// ENOTCONN when not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Shuts down the reading side, the writing side or both.
    ///
    /// # Errors
    /// What shutdown reports.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }
}

super::datagram::datagram_io!(UnixDatagram);

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl TryFrom<std::os::unix::net::UnixDatagram> for UnixDatagram {
    type Error = io::Error;

    /// As [`from_std`](UnixDatagram::from_std).
    fn try_from(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(socket)
    }
}

impl TryFrom<OwnedFd> for UnixDatagram {
    type Error = io::Error;

    /// Takes over a Unix datagram socket's descriptor.
    fn try_from(fd: OwnedFd) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::from(fd))
    }
}
