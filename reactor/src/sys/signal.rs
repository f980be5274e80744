//! Signal system calls, FFI only: the process-wide handler and the
//! self-pipe it writes to.
//!
//! The handler does two things, with async-signal-safe operations only: it
//! sets the signal's pending flag (a lock-free atomic), then writes the
//! signal's number, one byte, to the pipe's non-blocking write end, only to
//! wake the reader (and puts `errno` back as it found it). The reader counts
//! deliveries by taking the flags ([`take_pending`]), not by counting bytes:
//! raises that come before the reader looks coalesce into one, whoever reads
//! the bytes, and a byte dropped by a full pipe loses nothing, since the
//! reader takes every flag after each batch.
//!
//! signalfd is not used: it only receives signals that are blocked in every
//! thread, and a library cannot block a signal in threads it did not start.
//!
//! # Invariants
//! 1. `WRITE_END` is -1 or the write end of the pipe, which is never closed
//!    once published (the handler may run at any moment).
//! 2. The handler touches only `PENDING`, `WRITE_END` and `errno`.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, IntoRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use super::retry;
use super::socket::owned;

/// The write end of the self-pipe (invariant 1).
static WRITE_END: AtomicI32 = AtomicI32::new(-1);

/// Signals that can be caught: 1 to SIGRTMAX (64 on Linux).
const SIGNALS: usize = 65;

/// Set by the handler, taken by the reader.
static PENDING: [AtomicBool; SIGNALS] = [const { AtomicBool::new(false) }; SIGNALS];

/// Whether `signum` was delivered since the last call (clears the flag).
pub fn take_pending(signum: libc::c_int) -> bool {
    // SeqCst: the handler's store comes before its write(2) that woke us,
    // and our read(2) of that byte before this look. The load first spares
    // the RMW for the signals nobody raised (every batch looks at all of them).
    PENDING
        .get(signum as usize)
        .is_some_and(|pending| pending.load(Ordering::SeqCst) && pending.swap(false, Ordering::SeqCst))
}

extern "C" fn on_signal(signum: libc::c_int) {
    // SAFETY: reading and restoring errno through libc's own pointer to it
    // (invariant 2); write(2) is async-signal-safe and the buffer is live.
    unsafe {
        let errno = *libc::__errno_location();
        if let Some(pending) = PENDING.get(signum as usize) {
            pending.store(true, Ordering::SeqCst);
        }
        let fd = WRITE_END.load(Ordering::Relaxed);
        if fd >= 0 {
            let byte = signum as u8;
            libc::write(fd, (&byte as *const u8).cast(), 1);
        }
        *libc::__errno_location() = errno;
    }
}

/// Makes the self-pipe (both ends non-blocking and close-on-exec) and
/// publishes its write end to the handler; returns the read end. Called once
/// per process; the write end stays open for good (invariant 1).
pub fn open_pipe() -> io::Result<OwnedFd> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a live array of two descriptors for the kernel to fill.
    retry(|| syscall!(pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK)))?;
    let (read, write) = (owned(fds[0]), owned(fds[1]));
    WRITE_END.store(write.into_raw_fd(), Ordering::Release);
    Ok(read)
}

/// Installs the handler for `signum` (SA_RESTART: interrupted system calls
/// resume; no chaining to an earlier handler).
///
/// # Errors
/// The kernel's, for a number it does not know or will not let be caught.
pub fn install(signum: libc::c_int) -> io::Result<()> {
    // SAFETY: a zeroed sigaction is valid (empty mask, no flags); we fill in
    // the handler and flags before passing it.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    action.sa_flags = libc::SA_RESTART;
    // SAFETY: `action` is a valid sigaction; we do not ask for the old one.
    retry(|| syscall!(sigaction(signum, &action, std::ptr::null_mut())))?;
    Ok(())
}

/// Reads signal numbers from the pipe's read end; WouldBlock when empty.
pub fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is live for its length; `fd` is open (the caller borrows it).
    retry(|| syscall!(read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()))).map(|n| n as usize)
}

/// The highest signal number (SIGRTMAX, at most 64 here).
pub fn max_signal() -> libc::c_int {
    libc::SIGRTMAX().min(SIGNALS as libc::c_int - 1)
}
