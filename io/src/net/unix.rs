//! `UnixListener` and `UnixStream`, the halves of a split stream and the
//! peer's credentials (`runtime::net::unix`, as tokio's `tokio::net::unix`).

use std::io::{self, IoSlice};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use runtime_reactor::{socket, Direction};

use crate::evented::Evented;

pub mod pipe;
mod unix_socket;

pub use unix_socket::UnixSocket;

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
        std::future::poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection, as [`accept`](UnixListener::accept).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let (fd, _) = std::task::ready!(self.io.poll_io(Direction::Read, cx, |l| socket::accept(l.as_fd())))?;
        let stream = std::os::unix::net::UnixStream::from(fd);
        let addr = stream.peer_addr()?;
        let io = Evented::with_reactor(stream, self.io.registration().handle())?;
        Poll::Ready(Ok((UnixStream { io }, addr)))
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The socket's pending error (SO_ERROR), clearing it.
    ///
    /// # Errors
    /// When the option cannot be read.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Takes over a listener made by `std`, setting it non-blocking.
    ///
    /// # Errors
    /// When it cannot be made non-blocking or registered.
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener { io: Evented::new(listener)? })
    }

    /// The std listener, deregistered and still non-blocking.
    ///
    /// # Errors
    /// None today; the signature is tokio's.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        Ok(self.io.into_inner())
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl TryFrom<std::os::unix::net::UnixListener> for UnixListener {
    type Error = io::Error;

    /// As [`from_std`](UnixListener::from_std).
    fn try_from(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        UnixListener::from_std(listener)
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
        UnixSocket::new_stream()?.connect(path).await
    }

    pub(super) fn from_evented(io: Evented<std::os::unix::net::UnixStream>) -> UnixStream {
        UnixStream { io }
    }

    /// Waits for a connect that `connect` reported in progress (`done` false).
    pub(super) async fn finish_connect(&self, done: bool) -> io::Result<()> {
        self.io.finish_connect(done, std::os::unix::net::UnixStream::take_error).await
    }

    /// A connected pair of streams.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = socket::pair()?;
        let a = UnixStream { io: Evented::new(std::os::unix::net::UnixStream::from(a))? };
        let b = UnixStream { io: Evented::new(std::os::unix::net::UnixStream::from(b))? };
        Ok((a, b))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The credentials of the process at the other end, as the kernel saw
    /// them when the connection was made (SO_PEERCRED).
    ///
    /// # Errors
    /// What getsockopt reports.
    ///
    /// # Examples
    /// ```
    /// # runtime::block_on(async {
    /// let (a, _b) = runtime::net::UnixStream::pair()?;
    /// let peer = a.peer_cred()?;
    /// assert_eq!(peer.pid(), Some(std::process::id() as i32));
    /// # Ok::<(), std::io::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn peer_cred(&self) -> io::Result<UCred> {
        let cred: libc::ucred = socket::option(self.io.get_ref().as_fd(), libc::SOL_SOCKET, libc::SO_PEERCRED)?;
        Ok(UCred { pid: Some(cred.pid), uid: cred.uid, gid: cred.gid })
    }
}

/// The user, group and process of a Unix socket's peer
/// ([`UnixStream::peer_cred`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UCred {
    pid: Option<pid_t>,
    uid: uid_t,
    gid: gid_t,
}

/// A user id.
#[allow(non_camel_case_types)]
pub type uid_t = u32;
/// A group id.
#[allow(non_camel_case_types)]
pub type gid_t = u32;
/// A process id.
#[allow(non_camel_case_types)]
pub type pid_t = i32;

impl UCred {
    /// The peer's effective user id.
    pub fn uid(&self) -> uid_t {
        self.uid
    }

    /// The peer's effective group id.
    pub fn gid(&self) -> gid_t {
        self.gid
    }

    /// The peer's process id (always known on Linux).
    pub fn pid(&self) -> Option<pid_t> {
        self.pid
    }
}

super::impl_async_read_write!(UnixStream);
super::stream::stream_io!(UnixStream, std::os::unix::net::UnixStream);
super::split::halves!(UnixStream, SocketAddr, "# let (a, mut b) = runtime::net::UnixStream::pair()?;");
