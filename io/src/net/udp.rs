//! `UdpSocket`.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, RawFd};

use runtime_reactor::{socket, Direction};

use super::addr::{first_working, resolve, ToSocketAddrs};
use crate::evented::Evented;

/// A UDP socket. Any number of tasks may send and receive on it at once.
///
/// # Examples
/// ```
/// use runtime_io::net::UdpSocket;
///
/// runtime_executor::block_on(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await?;
///     let b = UdpSocket::bind("127.0.0.1:0").await?;
///     a.send_to(b"hi", b.local_addr()?).await?;
///     let mut buf = [0; 8];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"hi"[..], a.local_addr()?));
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct UdpSocket {
    io: Evented<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to the first of `addr`'s addresses that works.
    ///
    /// # Errors
    /// The last address's error, or a resolution error.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        first_working(addr, |addr| async move {
            let fd = socket::socket(socket::domain(&addr), libc::SOCK_DGRAM)?;
            socket::bind(fd.as_fd(), &addr)?;
            Ok(UdpSocket { io: Evented::new(std::net::UdpSocket::from(fd))? })
        })
        .await
    }

    /// Sets the default destination for [`UdpSocket::send`] and the only
    /// source [`UdpSocket::recv`] accepts.
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        first_working(addr, |addr| async move { socket::connect(self.io.get_ref().as_fd(), &addr).map(drop) }).await
    }

    /// Sends a datagram to `addr` (its first address).
    pub async fn send_to(&self, buf: &[u8], addr: impl ToSocketAddrs) -> io::Result<usize> {
        let addr = resolve(addr).await?[0];
        self.io.io(Direction::Write, |s| socket::send_to(s.as_fd(), buf, &addr)).await
    }

    /// Receives a datagram and its sender's address.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.io(Direction::Read, |s| socket::recv_from(s.as_fd(), buf)).await
    }

    /// Sends a datagram to the connected address.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.io(Direction::Write, |s| socket::send(s.as_fd(), buf)).await
    }

    /// Receives a datagram from the connected address.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.io(Direction::Read, |s| socket::recv(s.as_fd(), buf, false)).await
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Takes over a socket made by `std`, setting it non-blocking.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket { io: Evented::new(socket)? })
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}
