//! `TcpListener` and `TcpStream`, and the halves of a split stream
//! (`runtime::net::tcp`, as tokio's `tokio::net::tcp`).

use std::future::Future;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use runtime_reactor::{socket, Direction};

use super::addr::{first_working, ToSocketAddrs};
use super::is_resource_exhaustion;
use crate::evented::Evented;

/// Pending connections the kernel queues per listener (it caps this at
/// net.core.somaxconn).
const BACKLOG: libc::c_int = 1024;
/// How long [`Incoming`] waits after running out of descriptors before it
/// tries `accept` again.
const EXHAUSTION_BACKOFF: Duration = Duration::from_millis(10);

/// A TCP socket listening for connections.
///
/// # Examples
/// ```
/// use runtime_io::net::{TcpListener, TcpStream};
///
/// runtime_executor::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let client = runtime_executor::spawn(async move { TcpStream::connect(addr).await });
///     let (_server_side, peer) = listener.accept().await?;
///     assert_eq!(peer, client.await.unwrap()?.local_addr()?);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct TcpListener {
    io: Evented<std::net::TcpListener>,
}

impl TcpListener {
    /// Binds to the first of `addr`'s addresses that works (SO_REUSEADDR set)
    /// and listens.
    ///
    /// # Errors
    /// The last address's error (EADDRINUSE, EACCES …), or a resolution error.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        first_working(addr, |addr| async move {
            let fd = socket::socket(socket::domain(&addr), libc::SOCK_STREAM)?;
            socket::set_reuseaddr(fd.as_fd())?;
            socket::bind(fd.as_fd(), &addr)?;
            socket::listen(fd.as_fd(), BACKLOG)?;
            Ok(TcpListener { io: Evented::new(std::net::TcpListener::from(fd))? })
        })
        .await
    }

    /// Waits for a connection. Any number of tasks may wait at once; each
    /// connection goes to one of them.
    ///
    /// # Errors
    /// What accept4 reports, EMFILE and ENFILE included (the listener keeps
    /// working once descriptors are free again; [`TcpListener::incoming`] waits
    /// and retries by itself).
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        std::future::poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection, as [`TcpListener::accept`].
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (fd, addr) = match self.io.poll_io(Direction::Read, cx, |listener| socket::accept(listener.as_fd())) {
            Poll::Ready(Ok(accepted)) => accepted,
            Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
            Poll::Pending => return Poll::Pending,
        };
        let stream = std::net::TcpStream::from(fd);
        let addr = match addr {
            Some(addr) => addr,
            None => stream.peer_addr()?,
        };
        let io = Evented::with_reactor(stream, self.io.registration().handle())?;
        Poll::Ready(Ok((TcpStream { io }, addr)))
    }

    /// The connections, as a stream. Running out of descriptors (EMFILE,
    /// ENFILE) or memory is not the end of the stream: it waits 10 ms and tries
    /// again, without spinning. Other errors are yielded.
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self, backoff: None }
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Takes over a listener made by `std`, setting it non-blocking.
    ///
    /// # Errors
    /// When it cannot be made non-blocking or registered.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener { io: Evented::new(listener)? })
    }

    /// The std listener, deregistered and still non-blocking.
    ///
    /// # Errors
    /// None today; the signature is tokio's.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        Ok(self.io.into_inner())
    }

    /// Sets the IP time-to-live of the connections' outgoing packets.
    ///
    /// # Errors
    /// What setsockopt reports.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live.
    ///
    /// # Errors
    /// What getsockopt reports.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// The socket's pending error (SO_ERROR), clearing it.
    ///
    /// # Errors
    /// When the option cannot be read.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl TryFrom<std::net::TcpListener> for TcpListener {
    type Error = io::Error;

    /// As [`from_std`](TcpListener::from_std).
    fn try_from(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        TcpListener::from_std(listener)
    }
}

/// The stream of connections from [`TcpListener::incoming`].
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
    backoff: Option<runtime_timer::Sleep>,
}

impl Stream for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(backoff) = &mut self.backoff {
                if Pin::new(backoff).poll(cx).is_pending() {
                    return Poll::Pending;
                }
                self.backoff = None;
            }
            match self.listener.poll_accept(cx) {
                Poll::Ready(Err(error)) if is_resource_exhaustion(&error) => {
                    self.backoff = Some(runtime_timer::sleep(EXHAUSTION_BACKOFF));
                }
                Poll::Ready(result) => return Poll::Ready(Some(result.map(|(stream, _)| stream))),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// A TCP connection.
///
/// `TcpStream` and `&TcpStream` implement `AsyncRead` and `AsyncWrite`, so one
/// task can read while another writes. `poll_close` shuts down the write half.
#[derive(Debug)]
pub struct TcpStream {
    io: Evented<std::net::TcpStream>,
}

impl TcpStream {
    /// Connects to the first of `addr`'s addresses that accepts.
    ///
    /// # Errors
    /// The last address's error (ECONNREFUSED, ETIMEDOUT …), or a resolution error.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        first_working(addr, |addr| async move {
            let fd = socket::socket(socket::domain(&addr), libc::SOCK_STREAM)?;
            let done = socket::connect(fd.as_fd(), &addr)?;
            let stream = TcpStream { io: Evented::new(std::net::TcpStream::from(fd))? };
            stream.finish_connect(done).await?;
            Ok(stream)
        })
        .await
    }

    pub(super) fn from_evented(io: Evented<std::net::TcpStream>) -> TcpStream {
        TcpStream { io }
    }

    /// Waits for a connect that `connect` reported in progress (`done` false).
    pub(super) async fn finish_connect(&self, done: bool) -> io::Result<()> {
        self.io.finish_connect(done, std::net::TcpStream::take_error).await?;
        // ENOTCONN here means the connection failed without a pending error.
        self.peer_addr().map(drop)
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets TCP_NODELAY (no Nagle delay for small writes).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// Whether TCP_NODELAY is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Sets SO_LINGER: with `Some(duration)`, closing waits up to that long
    /// for unsent data to go out (and a zero duration resets the connection
    /// at once); with `None`, closing returns at once and the kernel sends
    /// the rest in the background.
    ///
    /// # Errors
    /// What setsockopt reports.
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        socket::set_linger(self.io.get_ref().as_fd(), linger)
    }

    /// The SO_LINGER setting.
    ///
    /// # Errors
    /// What getsockopt reports.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        socket::linger(self.io.get_ref().as_fd())
    }

    /// Sets the IP time-to-live of outgoing packets.
    ///
    /// # Errors
    /// What setsockopt reports (EINVAL above 255).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live of outgoing packets.
    ///
    /// # Errors
    /// What getsockopt reports.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }
}

super::impl_async_read_write!(TcpStream);
super::stream::stream_io!(TcpStream, std::net::TcpStream);
super::split::halves!(
    TcpStream,
    SocketAddr,
    "# let listener = runtime::net::TcpListener::bind(\"127.0.0.1:0\").await?;\n\
     # let a = runtime::net::TcpStream::connect(listener.local_addr()?).await?;\n\
     # let (mut b, _) = listener.accept().await?;"
);
