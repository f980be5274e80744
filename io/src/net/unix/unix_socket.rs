//! `UnixSocket`: a Unix-domain socket configured before it listens,
//! connects, or becomes a datagram socket.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;

use runtime_reactor::socket;

use super::{UnixListener, UnixStream};
use crate::evented::Evented;
use crate::net::UnixDatagram;

/// A Unix-domain socket not yet listening or connected, as tokio's: made
/// as a stream ([`new_stream`](UnixSocket::new_stream)) or a datagram
/// ([`new_datagram`](UnixSocket::new_datagram)) socket, bound, then turned
/// into a [`UnixListener`], a [`UnixStream`] or a [`UnixDatagram`].
///
/// # Examples
/// ```
/// use runtime::net::UnixSocket;
///
/// # runtime::block_on(async {
/// # let dir = std::env::temp_dir().join(format!("unix-socket-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("server.sock");
/// let socket = UnixSocket::new_stream()?;
/// socket.bind(&path)?;
/// let listener = socket.listen(64)?;
/// let client = UnixSocket::new_stream()?.connect(&path).await?;
/// let (_server_side, _) = listener.accept().await?;
/// assert_eq!(client.peer_addr()?.as_pathname(), Some(path.as_path()));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct UnixSocket {
    fd: OwnedFd,
    kind: libc::c_int,
}

impl UnixSocket {
    /// A new Unix stream socket.
    ///
    /// # Errors
    /// What socket reports (EMFILE …).
    pub fn new_stream() -> io::Result<UnixSocket> {
        Ok(UnixSocket { fd: socket::socket(libc::AF_UNIX, libc::SOCK_STREAM)?, kind: libc::SOCK_STREAM })
    }

    /// A new Unix datagram socket.
    ///
    /// # Errors
    /// What socket reports.
    pub fn new_datagram() -> io::Result<UnixSocket> {
        Ok(UnixSocket { fd: socket::socket(libc::AF_UNIX, libc::SOCK_DGRAM)?, kind: libc::SOCK_DGRAM })
    }

    fn expect(&self, kind: libc::c_int, what: &str) -> io::Result<()> {
        if self.kind == kind {
            return Ok(());
        }
        let which = if self.kind == libc::SOCK_DGRAM { "a datagram" } else { "a stream" };
        Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{what} cannot be called on {which} socket")))
    }

    /// Binds to `path` (which must not exist yet).
    ///
    /// # Errors
    /// EADDRINUSE when `path` exists, EACCES, a path too long …
    pub fn bind(&self, path: impl AsRef<Path>) -> io::Result<()> {
        socket::bind_unix(self.fd.as_fd(), path.as_ref())
    }

    /// Listens with a queue of `backlog` connections.
    ///
    /// # Errors
    /// `InvalidInput` for a datagram socket, or what listen reports.
    pub fn listen(self, backlog: u32) -> io::Result<UnixListener> {
        self.expect(libc::SOCK_STREAM, "listen")?;
        socket::listen(self.fd.as_fd(), backlog.min(i32::MAX as u32) as libc::c_int)?;
        UnixListener::from_std(std::os::unix::net::UnixListener::from(self.fd))
    }

    /// Connects to the socket at `path`.
    ///
    /// # Errors
    /// `InvalidInput` for a datagram socket; ENOENT, ECONNREFUSED …
    pub async fn connect(self, path: impl AsRef<Path>) -> io::Result<UnixStream> {
        self.expect(libc::SOCK_STREAM, "connect")?;
        let done = socket::connect_unix(self.fd.as_fd(), path.as_ref())?;
        let stream = UnixStream::from_evented(Evented::new(std::os::unix::net::UnixStream::from(self.fd))?);
        stream.finish_connect(done).await?;
        Ok(stream)
    }

    /// The socket as a [`UnixDatagram`].
    ///
    /// # Errors
    /// `InvalidInput` for a stream socket.
    pub fn datagram(self) -> io::Result<UnixDatagram> {
        self.expect(libc::SOCK_DGRAM, "datagram")?;
        UnixDatagram::from_std(std::os::unix::net::UnixDatagram::from(self.fd))
    }

    /// The address it is bound to.
    ///
    /// # Errors
    /// What getsockname reports.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        // std reads the address of any Unix socket; a duplicate lends it one.
        std::os::unix::net::UnixDatagram::from(self.fd.try_clone()?).local_addr()
    }

    /// The socket's pending error (SO_ERROR), clearing it.
    ///
    /// # Errors
    /// When the option cannot be read.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        socket::take_error(self.fd.as_fd())
    }
}

impl AsRawFd for UnixSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for UnixSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl IntoRawFd for UnixSocket {
    fn into_raw_fd(self) -> RawFd {
        self.fd.into_raw_fd()
    }
}

#[allow(unsafe_code)] // std's trait is an unsafe fn; this forwards its contract
impl FromRawFd for UnixSocket {
    /// # Safety
    /// `fd` is an open Unix socket that nothing else owns.
    unsafe fn from_raw_fd(fd: RawFd) -> UnixSocket {
        // SAFETY: the caller's contract.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let kind = socket::option(fd.as_fd(), libc::SOL_SOCKET, libc::SO_TYPE).unwrap_or(libc::SOCK_STREAM);
        UnixSocket { fd, kind }
    }
}
