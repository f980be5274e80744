//! Async TCP, UDP and Unix sockets.
//!
//! Every socket is non-blocking and close-on-exec from the moment it exists,
//! registered once with the reactor (edge-triggered), and every send passes
//! MSG_NOSIGNAL: a peer that went away is an `EPIPE` error, never a SIGPIPE.
//! Any number of tasks may wait on one socket (many `accept()` calls on one
//! listener, a reader and a writer on `&TcpStream`); all are woken.

/// `AsyncRead` and `AsyncWrite` for a stream type (a struct with an `io:
/// Evented<_>` field) and for a shared reference to it; the owned impls
/// delegate to the shared ones.
macro_rules! impl_async_read_write {
    ($ty:ty) => {
        impl futures_util::io::AsyncRead for &$ty {
            fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
                self.io.poll_recv(cx, buf)
            }
        }

        impl futures_util::io::AsyncWrite for &$ty {
            fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                self.io.poll_send(cx, buf)
            }
            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                self.io.poll_send_vectored(cx, bufs)
            }
            fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                // Unbuffered: written bytes are in the kernel already.
                Poll::Ready(Ok(()))
            }
            fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(self.io.shutdown_write())
            }
        }

        impl futures_util::io::AsyncRead for $ty {
            fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
                Pin::new(&mut &*self).poll_read(cx, buf)
            }
        }

        impl futures_util::io::AsyncWrite for $ty {
            fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
                Pin::new(&mut &*self).poll_write(cx, buf)
            }
            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                Pin::new(&mut &*self).poll_write_vectored(cx, bufs)
            }
            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Pin::new(&mut &*self).poll_flush(cx)
            }
            fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Pin::new(&mut &*self).poll_close(cx)
            }
        }
    };
}
pub(crate) use impl_async_read_write;

mod addr;
mod datagram;
mod split;
mod stream;
pub mod tcp;
mod tcp_socket;
mod udp;
pub mod unix;
mod unix_datagram;

pub use addr::ToSocketAddrs;
pub use tcp::{Incoming, TcpListener, TcpStream};
pub use tcp_socket::TcpSocket;
pub use udp::UdpSocket;
pub use unix::{UnixListener, UnixSocket, UnixStream};
pub use unix_datagram::UnixDatagram;

use std::io;

/// The socket addresses `host` names, resolved on the blocking pool (DNS
/// and `/etc/hosts` through the system resolver), as tokio's.
///
/// # Errors
/// The resolver's error, or `InvalidInput` when it names no address.
///
/// # Examples
/// ```
/// # runtime::block_on(async {
/// let addrs: Vec<_> = runtime::net::lookup_host("localhost:80").await?.collect();
/// assert!(addrs.iter().all(|addr| addr.port() == 80 && addr.ip().is_loopback()));
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn lookup_host(host: impl ToSocketAddrs) -> io::Result<impl Iterator<Item = std::net::SocketAddr>> {
    addr::resolve(host).await.map(Vec::into_iter)
}

/// True for the errors that mean "out of descriptors or memory": an accept
/// loop should wait a little and try again, not spin or give up.
pub(crate) fn is_resource_exhaustion(error: &io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM))
}

/// SO_BINDTODEVICE: the interface a socket is bound to.
pub(crate) fn device(fd: std::os::fd::BorrowedFd<'_>) -> io::Result<Option<Vec<u8>>> {
    let mut name = [0; libc::IFNAMSIZ];
    let len = runtime_reactor::socket::option_bytes(fd, libc::SOL_SOCKET, libc::SO_BINDTODEVICE, &mut name)?;
    let name = &name[..len];
    let name = name.split(|&b| b == 0).next().unwrap_or_default();
    Ok((!name.is_empty()).then(|| name.to_vec()))
}

/// Binds a socket to an interface (`None`: unbinds).
pub(crate) fn bind_device(fd: std::os::fd::BorrowedFd<'_>, interface: Option<&[u8]>) -> io::Result<()> {
    runtime_reactor::socket::set_option_bytes(
        fd,
        libc::SOL_SOCKET,
        libc::SO_BINDTODEVICE,
        interface.unwrap_or_default(),
    )
}
