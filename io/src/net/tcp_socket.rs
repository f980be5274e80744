//! `TcpSocket`: a TCP socket configured before it connects or listens.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::time::Duration;

use runtime_reactor::socket;

use super::{TcpListener, TcpStream};
use crate::evented::Evented;

/// A TCP socket not yet connected or listening, for options that must be
/// set first (SO_REUSEPORT, buffer sizes, binding before connecting), as
/// tokio's. [`connect`](TcpSocket::connect) makes a [`TcpStream`],
/// [`listen`](TcpSocket::listen) a [`TcpListener`].
///
/// # Examples
/// ```
/// use runtime::net::TcpSocket;
///
/// # runtime::block_on(async {
/// let socket = TcpSocket::new_v4()?;
/// socket.set_reuseaddr(true)?;
/// socket.set_recv_buffer_size(64 << 10)?;
/// socket.bind("127.0.0.1:0".parse().unwrap())?;
/// let listener = socket.listen(128)?;
/// let addr = listener.local_addr()?;
/// let stream = TcpSocket::new_v4()?.connect(addr).await?;
/// assert_eq!(stream.peer_addr()?, addr);
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct TcpSocket {
    fd: OwnedFd,
}

impl TcpSocket {
    /// A new IPv4 TCP socket (non-blocking, close-on-exec).
    ///
    /// # Errors
    /// What socket reports (EMFILE …).
    pub fn new_v4() -> io::Result<TcpSocket> {
        Ok(TcpSocket { fd: socket::socket(libc::AF_INET, libc::SOCK_STREAM)? })
    }

    /// A new IPv6 TCP socket.
    ///
    /// # Errors
    /// What socket reports (EAFNOSUPPORT without IPv6 …).
    pub fn new_v6() -> io::Result<TcpSocket> {
        Ok(TcpSocket { fd: socket::socket(libc::AF_INET6, libc::SOCK_STREAM)? })
    }

    fn set(&self, level: libc::c_int, name: libc::c_int, value: libc::c_int) -> io::Result<()> {
        socket::set_option(self.fd.as_fd(), level, name, value)
    }

    fn get(&self, level: libc::c_int, name: libc::c_int) -> io::Result<libc::c_int> {
        socket::option(self.fd.as_fd(), level, name)
    }

    /// Sets SO_KEEPALIVE.
    ///
    /// # Errors
    /// What setsockopt reports.
    pub fn set_keepalive(&self, keepalive: bool) -> io::Result<()> {
        self.set(libc::SOL_SOCKET, libc::SO_KEEPALIVE, keepalive.into())
    }

    /// Whether SO_KEEPALIVE is set.
    ///
    /// # Errors
    /// What getsockopt reports.
    pub fn keepalive(&self) -> io::Result<bool> {
        self.get(libc::SOL_SOCKET, libc::SO_KEEPALIVE).map(|v| v != 0)
    }

    /// Sets SO_REUSEADDR (a restarted server binds its port at once).
    ///
    /// # Errors
    /// What setsockopt reports.
    pub fn set_reuseaddr(&self, reuseaddr: bool) -> io::Result<()> {
        self.set(libc::SOL_SOCKET, libc::SO_REUSEADDR, reuseaddr.into())
    }

    /// Whether SO_REUSEADDR is set.
    ///
    /// # Errors
    /// What getsockopt reports.
    pub fn reuseaddr(&self) -> io::Result<bool> {
        self.get(libc::SOL_SOCKET, libc::SO_REUSEADDR).map(|v| v != 0)
    }

    /// Sets SO_REUSEPORT (several sockets share one port; the kernel
    /// spreads the connections).
    ///
    /// # Errors
    /// What setsockopt reports.
    pub fn set_reuseport(&self, reuseport: bool) -> io::Result<()> {
        self.set(libc::SOL_SOCKET, libc::SO_REUSEPORT, reuseport.into())
    }

    /// Whether SO_REUSEPORT is set.
    ///
    /// # Errors
    /// What getsockopt reports.
    pub fn reuseport(&self) -> io::Result<bool> {
        self.get(libc::SOL_SOCKET, libc::SO_REUSEPORT).map(|v| v != 0)
    }

    /// Sets SO_SNDBUF (the kernel doubles it, and caps it at wmem_max).
    ///
    /// # Errors
    /// What setsockopt reports.
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        self.set(libc::SOL_SOCKET, libc::SO_SNDBUF, size.min(i32::MAX as u32) as libc::c_int)
    }

    /// SO_SNDBUF as the kernel holds it.
    ///
    /// # Errors
    /// What getsockopt reports.
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        self.get(libc::SOL_SOCKET, libc::SO_SNDBUF).map(|v| v as u32)
    }

    /// Sets SO_RCVBUF (the kernel doubles it, and caps it at rmem_max).
    ///
    /// # Errors
    /// What setsockopt reports.
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        self.set(libc::SOL_SOCKET, libc::SO_RCVBUF, size.min(i32::MAX as u32) as libc::c_int)
    }

    /// SO_RCVBUF as the kernel holds it.
    ///
    /// # Errors
    /// What getsockopt reports.
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        self.get(libc::SOL_SOCKET, libc::SO_RCVBUF).map(|v| v as u32)
    }

    /// Sets SO_LINGER (see [`TcpStream::set_linger`]).
    ///
    /// # Errors
    /// What setsockopt reports.
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        socket::set_linger(self.fd.as_fd(), linger)
    }

    /// The SO_LINGER setting.
    ///
    /// # Errors
    /// What getsockopt reports.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        socket::linger(self.fd.as_fd())
    }

    /// Sets TCP_NODELAY.
    ///
    /// # Errors
    /// What setsockopt reports.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.set(libc::IPPROTO_TCP, libc::TCP_NODELAY, nodelay.into())
    }

    /// Whether TCP_NODELAY is set.
    ///
    /// # Errors
    /// What getsockopt reports.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.get(libc::IPPROTO_TCP, libc::TCP_NODELAY).map(|v| v != 0)
    }

    /// Sets the IPv4 type-of-service byte (IP_TOS).
    ///
    /// # Errors
    /// What setsockopt reports (on an IPv6 socket, the OS's error).
    pub fn set_tos(&self, tos: u32) -> io::Result<()> {
        self.set(libc::IPPROTO_IP, libc::IP_TOS, tos as libc::c_int)
    }

    /// The IPv4 type-of-service byte.
    ///
    /// # Errors
    /// What getsockopt reports.
    pub fn tos(&self) -> io::Result<u32> {
        self.get(libc::IPPROTO_IP, libc::IP_TOS).map(|v| v as u32)
    }

    /// Binds the socket to the interface `interface` (`None` unbinds).
    ///
    /// # Errors
    /// EPERM without CAP_NET_RAW, ENODEV for an unknown interface.
    pub fn bind_device(&self, interface: Option<&[u8]>) -> io::Result<()> {
        super::bind_device(self.fd.as_fd(), interface)
    }

    /// The interface the socket is bound to, if any.
    ///
    /// # Errors
    /// What getsockopt reports.
    pub fn device(&self) -> io::Result<Option<Vec<u8>>> {
        super::device(self.fd.as_fd())
    }

    /// The address it is bound to.
    ///
    /// # Errors
    /// What getsockname reports.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        socket::local_addr(self.fd.as_fd())
    }

    /// The socket's pending error (SO_ERROR), clearing it.
    ///
    /// # Errors
    /// When the option cannot be read.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        socket::take_error(self.fd.as_fd())
    }

    /// Binds to `addr`.
    ///
    /// # Errors
    /// EADDRINUSE, EACCES, EINVAL for an address of the other family …
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        socket::bind(self.fd.as_fd(), &addr)
    }

    /// Connects to `addr`, making a [`TcpStream`].
    ///
    /// # Errors
    /// ECONNREFUSED, ETIMEDOUT, ENETUNREACH …
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = std::net::TcpStream::from(self.fd);
        stream.set_nonblocking(true)?; // one from `from_std_stream` may block
        let done = socket::connect(stream.as_fd(), &addr)?;
        let stream = TcpStream::from_evented(Evented::new(stream)?);
        stream.finish_connect(done).await?;
        Ok(stream)
    }

    /// Listens, with a queue of `backlog` pending connections, making a
    /// [`TcpListener`].
    ///
    /// # Errors
    /// EADDRINUSE (another socket listens on the port without SO_REUSEPORT) …
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        socket::listen(self.fd.as_fd(), backlog.min(i32::MAX as u32) as libc::c_int)?;
        TcpListener::from_std(std::net::TcpListener::from(self.fd))
    }

    /// Takes over a std stream's socket (its options can then be read and set).
    pub fn from_std_stream(stream: std::net::TcpStream) -> TcpSocket {
        TcpSocket { fd: OwnedFd::from(stream) }
    }
}

impl AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for TcpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl IntoRawFd for TcpSocket {
    fn into_raw_fd(self) -> RawFd {
        self.fd.into_raw_fd()
    }
}

impl From<OwnedFd> for TcpSocket {
    /// A socket's descriptor (it should be a TCP socket; it is made
    /// non-blocking when it connects or listens).
    fn from(fd: OwnedFd) -> TcpSocket {
        TcpSocket { fd }
    }
}

#[allow(unsafe_code)] // std's trait is an unsafe fn; this forwards its contract
impl FromRawFd for TcpSocket {
    /// # Safety
    /// `fd` is an open TCP socket that nothing else owns.
    unsafe fn from_raw_fd(fd: RawFd) -> TcpSocket {
        // SAFETY: the caller's contract.
        TcpSocket { fd: unsafe { OwnedFd::from_raw_fd(fd) } }
    }
}
