//! Child-process system calls, FFI only: a pidfd for a child, and the
//! non-blocking flag for the parent's ends of its pipes.
//!
//! # Invariants
//! 1. A `BorrowedFd` argument is an open descriptor for the whole call.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use super::retry;
use super::socket::owned;

/// A pidfd for process `pid` (Linux 5.3+): readable once the process exits,
/// close-on-exec. `Err` with `ErrorKind::Unsupported` where the kernel has
/// no pidfd_open (the caller falls back to SIGCHLD).
pub fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and touches no memory of ours.
    let result = retry(|| syscall!(syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0)));
    match result {
        Ok(fd) => Ok(owned(fd as libc::c_int)),
        Err(error) if error.raw_os_error() == Some(libc::ENOSYS) => {
            Err(io::Error::new(io::ErrorKind::Unsupported, "pidfd_open is not supported by this kernel"))
        }
        Err(error) => Err(error),
    }
}

/// Makes `fd` non-blocking (the parent's end of a child's pipe).
pub fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    set_o_nonblock(fd, true)
}

/// Makes `fd` blocking again: a pipe end handed on to another child shares
/// its open file description, flags included, with that child's stdio.
pub fn set_blocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    set_o_nonblock(fd, false)
}

/// The descriptor's status flags (F_GETFL): its access mode, O_NONBLOCK …
pub fn status_flags(fd: BorrowedFd<'_>) -> io::Result<libc::c_int> {
    // SAFETY: F_GETFL on an open descriptor (invariant 1).
    retry(|| syscall!(fcntl(fd.as_raw_fd(), libc::F_GETFL)))
}

/// A new pipe, both ends non-blocking and close-on-exec: (read end, write end).
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors the kernel writes.
    retry(|| syscall!(pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK)))?;
    Ok((owned(fds[0]), owned(fds[1])))
}

fn set_o_nonblock(fd: BorrowedFd<'_>, on: bool) -> io::Result<()> {
    // SAFETY: F_GETFL/F_SETFL on an open descriptor (invariant 1).
    let flags = retry(|| syscall!(fcntl(fd.as_raw_fd(), libc::F_GETFL)))?;
    let flags = if on { flags | libc::O_NONBLOCK } else { flags & !libc::O_NONBLOCK };
    // SAFETY: as above.
    retry(|| syscall!(fcntl(fd.as_raw_fd(), libc::F_SETFL, flags)))?;
    Ok(())
}

/// Whether SIGPIPE is ignored in this process (Rust programs start so).
pub fn sigpipe_ignored() -> bool {
    // SAFETY: a zeroed sigaction is a valid buffer for the kernel to fill;
    // passing no new action only reads the current one.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut current) == 0 && current.sa_sigaction == libc::SIG_IGN
    }
}

/// `write(2)` to a pipe that never raises SIGPIPE, even where the
/// application restored SIGPIPE's default action: the signal is blocked in
/// this thread around the write, and one it raised is taken back out of the
/// thread's pending set (unless one was pending before) before unblocking.
/// A closed reader is then only an `EPIPE` error.
pub fn write_without_sigpipe(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: the sigset calls fill sets we own; pthread_sigmask and
    // sigpending only touch this thread's mask and pending set; write reads
    // `buf` for its length from an open descriptor (invariant 1);
    // sigtimedwait with a zero timeout only takes a pending SIGPIPE.
    unsafe {
        let mut pipe_only: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut pipe_only);
        libc::sigaddset(&mut pipe_only, libc::SIGPIPE);
        let mut old_mask: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, &pipe_only, &mut old_mask);
        let mut pending: libc::sigset_t = std::mem::zeroed();
        libc::sigpending(&mut pending);
        let was_pending = libc::sigismember(&pending, libc::SIGPIPE) == 1;
        let result = retry(|| syscall!(write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len())));
        if !was_pending && matches!(&result, Err(error) if error.raw_os_error() == Some(libc::EPIPE)) {
            let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
            while libc::sigtimedwait(&pipe_only, std::ptr::null_mut(), &zero) == -1
                && *libc::__errno_location() == libc::EINTR
            {}
        }
        libc::pthread_sigmask(libc::SIG_SETMASK, &old_mask, std::ptr::null_mut());
        result.map(|n| n as usize)
    }
}
