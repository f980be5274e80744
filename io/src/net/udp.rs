//! `UdpSocket`.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll};

use runtime_reactor::{socket, Direction, Interest};

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
    ///
    /// # Errors
    /// A resolution error, or what sendto reports (EMSGSIZE for a datagram
    /// too large, ENETUNREACH …).
    pub async fn send_to(&self, buf: &[u8], addr: impl ToSocketAddrs) -> io::Result<usize> {
        let addr = resolve(addr).await?[0];
        self.io.io(Direction::Write, |s| socket::send_to(s.as_fd(), buf, &addr)).await
    }

    /// Polls to send a datagram to `target`.
    pub fn poll_send_to(&self, cx: &mut Context<'_>, buf: &[u8], target: SocketAddr) -> Poll<io::Result<usize>> {
        self.io.poll_io(Direction::Write, cx, |s| socket::send_to(s.as_fd(), buf, &target))
    }

    /// Sends a datagram to `target` if the socket is writable now.
    ///
    /// # Errors
    /// `WouldBlock` when it is not, or what sendto reports.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io.try_io(Interest::WRITABLE, |s| socket::send_to(s.as_fd(), buf, &target))
    }

    /// Receives a datagram and its sender's address. A datagram longer than
    /// `buf` is cut to its length (the rest is lost, as with recvfrom).
    ///
    /// # Errors
    /// What recvfrom reports (ECONNREFUSED after an ICMP error on a
    /// connected socket …).
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.io(Direction::Read, |s| socket::recv_from(s.as_fd(), buf)).await
    }

    /// Polls to receive a datagram (tokio's `ReadBuf` becomes `&mut [u8]`;
    /// the length comes back with the address).
    pub fn poll_recv_from(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_io(Direction::Read, cx, |s| socket::recv_from(s.as_fd(), buf))
    }

    /// Receives a datagram if one is queued now.
    ///
    /// # Errors
    /// `WouldBlock` when none is, or what recvfrom reports.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Interest::READABLE, |s| socket::recv_from(s.as_fd(), buf))
    }

    /// Reads the next datagram without taking it from the queue.
    ///
    /// # Errors
    /// What recv reports.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_peek(cx, buf)).await
    }

    /// Polls for [`peek`](UdpSocket::peek).
    pub fn poll_peek(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(Direction::Read, cx, |s| socket::recv(s.as_fd(), buf, true))
    }

    /// [`peek`](UdpSocket::peek) if a datagram is queued now.
    ///
    /// # Errors
    /// `WouldBlock` when none is.
    pub fn try_peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Interest::READABLE, |s| socket::recv(s.as_fd(), buf, true))
    }

    /// Reads the next datagram and its sender without taking it from the queue.
    ///
    /// # Errors
    /// What recvfrom reports.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        std::future::poll_fn(|cx| self.poll_peek_from(cx, buf)).await
    }

    /// Polls for [`peek_from`](UdpSocket::peek_from).
    pub fn poll_peek_from(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_io(Direction::Read, cx, |s| s.peek_from(buf))
    }

    /// [`peek_from`](UdpSocket::peek_from) if a datagram is queued now.
    ///
    /// # Errors
    /// `WouldBlock` when none is.
    pub fn try_peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Interest::READABLE, |s| s.peek_from(buf))
    }

    /// The sender of the next datagram, leaving it queued.
    ///
    /// # Errors
    /// What recvfrom reports.
    pub async fn peek_sender(&self) -> io::Result<SocketAddr> {
        std::future::poll_fn(|cx| self.poll_peek_sender(cx)).await
    }

    /// Polls for [`peek_sender`](UdpSocket::peek_sender).
    pub fn poll_peek_sender(&self, cx: &mut Context<'_>) -> Poll<io::Result<SocketAddr>> {
        self.io.poll_io(Direction::Read, cx, |s| s.peek_from(&mut []).map(|(_, from)| from))
    }

    /// [`peek_sender`](UdpSocket::peek_sender) if a datagram is queued now.
    ///
    /// # Errors
    /// `WouldBlock` when none is.
    pub fn try_peek_sender(&self) -> io::Result<SocketAddr> {
        self.io.try_io(Interest::READABLE, |s| s.peek_from(&mut []).map(|(_, from)| from))
    }

    /// The local address.
    ///
    /// # Errors
    /// What getsockname reports.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected address.
    ///
    /// # Errors
    /// ENOTCONN when not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Takes over a socket made by `std`, setting it non-blocking.
    ///
    /// # Errors
    /// When it cannot be made non-blocking or registered.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket { io: Evented::new(socket)? })
    }

    /// The std socket, deregistered and still non-blocking.
    ///
    /// # Errors
    /// None today; the signature is tokio's.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        Ok(self.io.into_inner())
    }

    /// Whether SO_BROADCAST is set.
    ///
    /// # Errors
    /// What getsockopt reports.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.get_ref().broadcast()
    }

    /// Sets SO_BROADCAST: sending to a broadcast address is allowed.
    ///
    /// # Errors
    /// What setsockopt reports.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }

    /// Whether IPv4 multicast sent here loops back to this host.
    ///
    /// # Errors
    /// What getsockopt reports.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v4()
    }

    /// Sets IP_MULTICAST_LOOP.
    ///
    /// # Errors
    /// What setsockopt reports.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v4(on)
    }

    /// The time-to-live of IPv4 multicast sent here.
    ///
    /// # Errors
    /// What getsockopt reports.
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.io.get_ref().multicast_ttl_v4()
    }

    /// Sets IP_MULTICAST_TTL.
    ///
    /// # Errors
    /// What setsockopt reports.
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_multicast_ttl_v4(ttl)
    }

    /// Whether IPv6 multicast sent here loops back to this host.
    ///
    /// # Errors
    /// What getsockopt reports (on an IPv4 socket, the OS error).
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v6()
    }

    /// Sets IPV6_MULTICAST_LOOP.
    ///
    /// # Errors
    /// What setsockopt reports.
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v6(on)
    }

    /// Joins the IPv4 multicast group `multiaddr` on the interface with
    /// address `interface` (`UNSPECIFIED`: the kernel's choice).
    ///
    /// # Errors
    /// What setsockopt reports (EINVAL for an address that is not multicast).
    pub fn join_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().join_multicast_v4(&multiaddr, &interface)
    }

    /// Joins the IPv6 multicast group `multiaddr` on interface index
    /// `interface` (0: the kernel's choice).
    ///
    /// # Errors
    /// What setsockopt reports.
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().join_multicast_v6(multiaddr, interface)
    }

    /// Leaves an IPv4 multicast group.
    ///
    /// # Errors
    /// What setsockopt reports (EADDRNOTAVAIL when not a member).
    pub fn leave_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v4(&multiaddr, &interface)
    }

    /// Leaves an IPv6 multicast group.
    ///
    /// # Errors
    /// What setsockopt reports.
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v6(multiaddr, interface)
    }

    /// The IP time-to-live of datagrams sent here.
    ///
    /// # Errors
    /// What getsockopt reports.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Sets the IP time-to-live.
    ///
    /// # Errors
    /// What setsockopt reports (EINVAL above 255).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The IPv4 type-of-service byte (IP_TOS).
    ///
    /// # Errors
    /// What getsockopt reports.
    pub fn tos(&self) -> io::Result<u32> {
        socket::option::<libc::c_int>(self.io.get_ref().as_fd(), libc::IPPROTO_IP, libc::IP_TOS).map(|tos| tos as u32)
    }

    /// Sets the IPv4 type-of-service byte.
    ///
    /// # Errors
    /// What setsockopt reports.
    pub fn set_tos(&self, tos: u32) -> io::Result<()> {
        socket::set_option(self.io.get_ref().as_fd(), libc::IPPROTO_IP, libc::IP_TOS, tos as libc::c_int)
    }

    /// The interface the socket is bound to (SO_BINDTODEVICE), if any.
    ///
    /// # Errors
    /// What getsockopt reports.
    pub fn device(&self) -> io::Result<Option<Vec<u8>>> {
        super::device(self.io.get_ref().as_fd())
    }

    /// Binds the socket to the interface `interface` (`None` unbinds):
    /// only its packets are received, and sends go out through it.
    ///
    /// # Errors
    /// EPERM without CAP_NET_RAW, ENODEV for an unknown interface.
    pub fn bind_device(&self, interface: Option<&[u8]>) -> io::Result<()> {
        super::bind_device(self.io.get_ref().as_fd(), interface)
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl TryFrom<std::net::UdpSocket> for UdpSocket {
    type Error = io::Error;

    /// As [`from_std`](UdpSocket::from_std).
    fn try_from(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        UdpSocket::from_std(socket)
    }
}

super::datagram::datagram_io!(UdpSocket);

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}
