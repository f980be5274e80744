//! Child-process system calls, FFI only: a pidfd for a child, and the
//! non-blocking flag for the parent's ends of its pipes.
//!
//! # Invariants
//! 1. A `BorrowedFd` argument is an open descriptor for the whole call.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use super::socket::{owned, retry};

/// A pidfd for process `pid` (Linux 5.3+): readable once the process exits,
/// close-on-exec. `Err` with `ErrorKind::Unsupported` where the kernel has
/// no pidfd_open (the caller falls back to SIGCHLD).
pub fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and touches no memory of ours.
    let result = retry(|| unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) });
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
    // SAFETY: F_GETFL/F_SETFL on an open descriptor (invariant 1).
    let flags = retry(|| unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) })?;
    // SAFETY: as above.
    retry(|| unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) })?;
    Ok(())
}
