//! Socket system calls, FFI only: every socket is made non-blocking and
//! close-on-exec atomically, and every send passes MSG_NOSIGNAL so a closed
//! peer is an EPIPE error, never a SIGPIPE.
//!
//! # Invariants
//! 1. A `BorrowedFd` argument is an open descriptor for the whole call.
//! 2. Pointers handed to the kernel point to live buffers of the length passed.
//! 3. A `sockaddr_storage` is large and aligned enough for every address family;
//!    the kernel writes at most the length we pass in.

use std::io::{self, IoSlice};
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::retry;

/// Takes ownership of a descriptor the kernel just returned.
pub(crate) fn owned(fd: libc::c_int) -> OwnedFd {
    // SAFETY: `fd` was just returned by the kernel and is owned by nobody else.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// A new non-blocking, close-on-exec socket.
pub fn socket(domain: libc::c_int, kind: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: plain integers.
    let fd = retry(|| syscall!(socket(domain, kind | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0)))?;
    Ok(owned(fd))
}

/// The domain of `addr` (AF_INET or AF_INET6).
pub fn domain(addr: &SocketAddr) -> libc::c_int {
    match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    }
}

fn to_raw(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    let len = match addr {
        SocketAddr::V4(v4) => {
            let raw = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: v4.port().to_be(),
                sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes(v4.ip().octets()) },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage holds a sockaddr_in (invariant 3).
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), raw) };
            size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(v6) => {
            let raw = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: v6.port().to_be(),
                sin6_flowinfo: v6.flowinfo(),
                sin6_addr: libc::in6_addr { s6_addr: v6.ip().octets() },
                sin6_scope_id: v6.scope_id(),
            };
            // SAFETY: sockaddr_storage holds a sockaddr_in6 (invariant 3).
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), raw) };
            size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

fn from_raw(storage: &libc::sockaddr_storage) -> io::Result<SocketAddr> {
    match libc::c_int::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the kernel wrote a sockaddr_in (invariant 3).
            let raw: libc::sockaddr_in = unsafe { std::ptr::read((storage as *const libc::sockaddr_storage).cast()) };
            let ip = Ipv4Addr::from(raw.sin_addr.s_addr.to_ne_bytes());
            Ok(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(raw.sin_port))))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the kernel wrote a sockaddr_in6 (invariant 3).
            let raw: libc::sockaddr_in6 = unsafe { std::ptr::read((storage as *const libc::sockaddr_storage).cast()) };
            let ip = Ipv6Addr::from(raw.sin6_addr.s6_addr);
            Ok(SocketAddr::V6(SocketAddrV6::new(ip, u16::from_be(raw.sin6_port), raw.sin6_flowinfo, raw.sin6_scope_id)))
        }
        _ => Err(io::Error::new(io::ErrorKind::InvalidInput, "not an IP socket address")),
    }
}

fn unix_addr(path: &Path) -> io::Result<(libc::sockaddr_un, libc::socklen_t)> {
    // SAFETY: all-zero is a valid sockaddr_un.
    let mut raw: libc::sockaddr_un = unsafe { zeroed() };
    raw.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.as_os_str().as_bytes();
    if bytes.contains(&0) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "a Unix socket path may not contain NUL"));
    }
    if bytes.len() >= raw.sun_path.len() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "the Unix socket path is too long"));
    }
    for (dst, src) in raw.sun_path.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    let len = size_of::<libc::sa_family_t>() + bytes.len() + 1;
    Ok((raw, len as libc::socklen_t))
}

/// Binds `fd` to `addr`.
pub fn bind(fd: BorrowedFd<'_>, addr: &SocketAddr) -> io::Result<()> {
    let (storage, len) = to_raw(addr);
    // SAFETY: `storage` holds `len` bytes of address (invariants 1, 2).
    retry(|| syscall!(bind(fd.as_raw_fd(), (&storage as *const libc::sockaddr_storage).cast(), len))).map(drop)
}

/// Binds a Unix socket to `path`.
pub fn bind_unix(fd: BorrowedFd<'_>, path: &Path) -> io::Result<()> {
    let (raw, len) = unix_addr(path)?;
    // SAFETY: `raw` holds `len` bytes of address (invariants 1, 2).
    retry(|| syscall!(bind(fd.as_raw_fd(), (&raw as *const libc::sockaddr_un).cast(), len))).map(drop)
}

/// Marks `fd` as a listening socket.
pub fn listen(fd: BorrowedFd<'_>, backlog: libc::c_int) -> io::Result<()> {
    // SAFETY: plain integers (invariant 1).
    retry(|| syscall!(listen(fd.as_raw_fd(), backlog))).map(drop)
}

/// Starts connecting `fd` to `addr`; `Ok(false)` when the connection is in
/// progress (EINPROGRESS, or EINTR, after which it continues too).
pub fn connect(fd: BorrowedFd<'_>, addr: &SocketAddr) -> io::Result<bool> {
    let (storage, len) = to_raw(addr);
    // SAFETY: `storage` holds `len` bytes of address (invariants 1, 2).
    connected(syscall!(connect(fd.as_raw_fd(), (&storage as *const libc::sockaddr_storage).cast(), len)))
}

/// Starts connecting a Unix socket to `path`, as [`connect`].
pub fn connect_unix(fd: BorrowedFd<'_>, path: &Path) -> io::Result<bool> {
    let (raw, len) = unix_addr(path)?;
    // SAFETY: `raw` holds `len` bytes of address (invariants 1, 2).
    connected(syscall!(connect(fd.as_raw_fd(), (&raw as *const libc::sockaddr_un).cast(), len)))
}

fn connected(result: io::Result<libc::c_int>) -> io::Result<bool> {
    match result {
        Ok(_) => Ok(true),
        // EAGAIN (a Unix listener's full backlog) and the rest are real errors.
        Err(error) if matches!(error.raw_os_error(), Some(libc::EINPROGRESS | libc::EINTR)) => Ok(false),
        Err(error) => Err(error),
    }
}

/// Accepts a connection as a non-blocking, close-on-exec socket.
pub fn accept(fd: BorrowedFd<'_>) -> io::Result<(OwnedFd, Option<SocketAddr>)> {
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let flags = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: the kernel writes at most `len` bytes into `storage` (invariants 1, 2, 3).
    let fd = retry(|| {
        syscall!(accept4(fd.as_raw_fd(), (&mut storage as *mut libc::sockaddr_storage).cast(), &mut len, flags))
    })?;
    let fd = owned(fd);
    Ok((fd, from_raw(&storage).ok()))
}

/// Sends `buf` (MSG_NOSIGNAL).
pub fn send(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is live for the call (invariants 1, 2).
    retry(|| syscall!(send(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len(), libc::MSG_NOSIGNAL))).map(|n| n as usize)
}

/// Sends `bufs` in one `sendmsg` (writev with MSG_NOSIGNAL).
pub fn send_vectored(fd: BorrowedFd<'_>, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
    // SAFETY: all-zero is a valid msghdr (no name, no control data).
    let mut msg: libc::msghdr = unsafe { zeroed() };
    // IoSlice is ABI-compatible with iovec; the kernel only reads through it.
    msg.msg_iov = bufs.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = bufs.len().min(libc::UIO_MAXIOV as usize) as _;
    // SAFETY: `msg` points to `bufs`, live for the call (invariants 1, 2).
    retry(|| syscall!(sendmsg(fd.as_raw_fd(), &msg, libc::MSG_NOSIGNAL))).map(|n| n as usize)
}

/// Receives into `buf`; with `peek`, leaves the data queued (MSG_PEEK).
pub fn recv(fd: BorrowedFd<'_>, buf: &mut [u8], peek: bool) -> io::Result<usize> {
    let flags = if peek { libc::MSG_PEEK } else { 0 };
    // SAFETY: `buf` is live and writable for the call (invariants 1, 2).
    retry(|| syscall!(recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), flags))).map(|n| n as usize)
}

/// Receives into `bufs` in one `recvmsg` (readv).
pub fn recv_vectored(fd: BorrowedFd<'_>, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
    // SAFETY: all-zero is a valid msghdr (no name, no control data).
    let mut msg: libc::msghdr = unsafe { zeroed() };
    // IoSliceMut is ABI-compatible with iovec; the kernel writes through it.
    msg.msg_iov = bufs.as_mut_ptr().cast();
    msg.msg_iovlen = bufs.len().min(libc::UIO_MAXIOV as usize) as _;
    // SAFETY: `msg` points to `bufs`, live and writable for the call (invariants 1, 2).
    retry(|| syscall!(recvmsg(fd.as_raw_fd(), &mut msg, 0))).map(|n| n as usize)
}

/// Sends a datagram to `addr` (MSG_NOSIGNAL).
pub fn send_to(fd: BorrowedFd<'_>, buf: &[u8], addr: &SocketAddr) -> io::Result<usize> {
    let (storage, len) = to_raw(addr);
    // SAFETY: `buf` and `storage` are live for the call (invariants 1, 2).
    retry(|| {
        syscall!(sendto(
            fd.as_raw_fd(),
            buf.as_ptr().cast(),
            buf.len(),
            libc::MSG_NOSIGNAL,
            (&storage as *const libc::sockaddr_storage).cast(),
            len,
        ))
    })
    .map(|n| n as usize)
}

/// Receives a datagram and its sender's address.
pub fn recv_from(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `buf` and `storage` are live and writable, their lengths passed (invariants 1, 2, 3).
    let n = retry(|| {
        syscall!(recvfrom(
            fd.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            0,
            (&mut storage as *mut libc::sockaddr_storage).cast(),
            &mut len,
        ))
    })?;
    Ok((n as usize, from_raw(&storage)?))
}

/// The address a socket is bound to (getsockname).
pub fn local_addr(fd: BorrowedFd<'_>) -> io::Result<SocketAddr> {
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut storage: libc::sockaddr_storage = unsafe { zeroed() };
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: `storage` is live and writable, its length passed (invariants 1, 2, 3).
    retry(|| syscall!(getsockname(fd.as_raw_fd(), (&mut storage as *mut libc::sockaddr_storage).cast(), &mut len)))?;
    from_raw(&storage)
}

/// A connected pair of non-blocking, close-on-exec Unix stream sockets.
pub fn pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    let kind = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: `fds` has room for the two descriptors (invariant 2).
    retry(|| syscall!(socketpair(libc::AF_UNIX, kind, 0, fds.as_mut_ptr())))?;
    Ok((owned(fds[0]), owned(fds[1])))
}

/// Sets SO_REUSEADDR, so a restarted server can bind its port at once.
pub fn set_reuseaddr(fd: BorrowedFd<'_>) -> io::Result<()> {
    set_option(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1 as libc::c_int)
}

/// Sets SO_LINGER: `Some(duration)` (whole seconds) or off.
pub fn set_linger(fd: BorrowedFd<'_>, linger: Option<std::time::Duration>) -> io::Result<()> {
    let value = libc::linger {
        l_onoff: libc::c_int::from(linger.is_some()),
        l_linger: linger.map_or(0, |d| d.as_secs().min(libc::c_int::MAX as u64) as libc::c_int),
    };
    set_option(fd, libc::SOL_SOCKET, libc::SO_LINGER, value)
}

/// The SO_LINGER setting.
pub fn linger(fd: BorrowedFd<'_>) -> io::Result<Option<std::time::Duration>> {
    let value: libc::linger = option(fd, libc::SOL_SOCKET, libc::SO_LINGER)?;
    Ok((value.l_onoff != 0).then(|| std::time::Duration::from_secs(value.l_linger as u64)))
}

/// The socket's pending error (SO_ERROR), clearing it.
pub fn take_error(fd: BorrowedFd<'_>) -> io::Result<Option<io::Error>> {
    let code: libc::c_int = option(fd, libc::SOL_SOCKET, libc::SO_ERROR)?;
    Ok((code != 0).then(|| io::Error::from_raw_os_error(code)))
}

/// A plain C value a socket option holds: all-zero bytes are a valid value,
/// and the kernel reads or writes at most `size_of::<Self>()` bytes of it.
pub trait OptionValue: Copy + sealed::Sealed {}

mod sealed {
    pub trait Sealed {}
}

macro_rules! option_values {
    ($($ty:ty),*) => {
        $(impl sealed::Sealed for $ty {}
        impl OptionValue for $ty {})*
    };
}
option_values!(libc::c_int, libc::linger, libc::ucred, libc::in_addr, libc::ip_mreqn, libc::ipv6_mreq);

/// Sets the socket option `level`/`name` to `value` (setsockopt).
pub fn set_option<T: OptionValue>(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: T,
) -> io::Result<()> {
    let len = size_of::<T>() as libc::socklen_t;
    // SAFETY: `value` is a live T of the length passed (invariants 1, 2).
    retry(|| syscall!(setsockopt(fd.as_raw_fd(), level, name, (&value as *const T).cast(), len))).map(drop)
}

/// Reads the socket option `level`/`name` (getsockopt).
pub fn option<T: OptionValue>(fd: BorrowedFd<'_>, level: libc::c_int, name: libc::c_int) -> io::Result<T> {
    // SAFETY: all-zero is a valid T (OptionValue's contract).
    let mut value: T = unsafe { zeroed() };
    let mut len = size_of::<T>() as libc::socklen_t;
    // SAFETY: `value` is a live, writable T of the length passed (invariants 1, 2).
    retry(|| syscall!(getsockopt(fd.as_raw_fd(), level, name, (&mut value as *mut T).cast(), &mut len)))?;
    Ok(value)
}

/// Sets a socket option that takes bytes (SO_BINDTODEVICE's interface name).
pub fn set_option_bytes(fd: BorrowedFd<'_>, level: libc::c_int, name: libc::c_int, value: &[u8]) -> io::Result<()> {
    // SAFETY: `value` is live for the call, its length passed (invariants 1, 2).
    retry(|| syscall!(setsockopt(fd.as_raw_fd(), level, name, value.as_ptr().cast(), value.len() as libc::socklen_t)))
        .map(drop)
}

/// Reads a socket option that holds bytes into `buf`; returns its length.
pub fn option_bytes(fd: BorrowedFd<'_>, level: libc::c_int, name: libc::c_int, buf: &mut [u8]) -> io::Result<usize> {
    let mut len = buf.len() as libc::socklen_t;
    // SAFETY: `buf` is live and writable, its length passed (invariants 1, 2).
    retry(|| syscall!(getsockopt(fd.as_raw_fd(), level, name, buf.as_mut_ptr().cast(), &mut len)))?;
    Ok(len as usize)
}

/// Shuts down the write half (the peer reads end of stream). A socket that is
/// not connected (already reset) counts as shut down.
pub fn shutdown_write(fd: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: plain integers (invariant 1).
    match retry(|| syscall!(shutdown(fd.as_raw_fd(), libc::SHUT_WR))) {
        Err(error) if error.raw_os_error() == Some(libc::ENOTCONN) => Ok(()),
        result => result.map(drop),
    }
}
