//! epoll and eventfd, FFI only.
//!
//! # Invariants
//! 1. Every descriptor here is an `OwnedFd` this module opened; it is valid for
//!    the life of its wrapper and closed exactly once, by `OwnedFd`'s drop.
//! 2. Pointers handed to the kernel point to live, properly sized buffers owned
//!    by the caller for the duration of the call.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

/// An epoll instance.
#[derive(Debug)]
pub(crate) struct Epoll {
    fd: OwnedFd,
}

/// The buffer `epoll_wait` fills.
pub(crate) struct Events {
    buffer: Vec<libc::epoll_event>,
    len: usize,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events").field("capacity", &self.buffer.len()).field("len", &self.len).finish()
    }
}

impl Events {
    pub(crate) fn with_capacity(capacity: usize) -> Events {
        Events { buffer: vec![libc::epoll_event { events: 0, u64: 0 }; capacity], len: 0 }
    }

    /// The (token, epoll event bits) pairs of the last wait.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.buffer[..self.len].iter().map(|event| (event.u64, event.events))
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl Epoll {
    pub(crate) fn new() -> io::Result<Epoll> {
        // SAFETY: no pointers; the flag is valid.
        let fd = syscall!(epoll_create1(libc::EPOLL_CLOEXEC))?;
        // SAFETY: the kernel just gave us this descriptor; nobody else owns it (invariant 1).
        Ok(Epoll { fd: unsafe { OwnedFd::from_raw_fd(fd) } })
    }

    /// Registers `fd` with `events` and `token`.
    pub(crate) fn add(&self, fd: RawFd, events: u32, token: u64) -> io::Result<()> {
        let mut event = libc::epoll_event { events, u64: token };
        // SAFETY: `event` lives across the call (invariant 2); a bad `fd` is an error, not UB.
        syscall!(epoll_ctl(self.fd.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut event)).map(drop)
    }

    /// Removes `fd` from the interest list.
    pub(crate) fn delete(&self, fd: RawFd) -> io::Result<()> {
        // SAFETY: a null event is allowed for EPOLL_CTL_DEL since Linux 2.6.9.
        syscall!(epoll_ctl(self.fd.as_raw_fd(), libc::EPOLL_CTL_DEL, fd, std::ptr::null_mut())).map(drop)
    }

    /// Waits up to `timeout` (`None`: no limit) for events. An interrupted
    /// wait (EINTR) returns no events: the caller's loop simply waits again.
    ///
    /// The timeout has nanosecond precision through `epoll_pwait2` (Linux
    /// 5.11); where the kernel lacks it, `epoll_wait` is used with the timeout
    /// rounded up to the next millisecond, so a wait never ends early.
    pub(crate) fn wait(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        let capacity = events.buffer.len().min(i32::MAX as usize) as i32;
        let result = match timeout {
            Some(timeout) if !timeout.is_zero() && HAS_PWAIT2.load(Relaxed) => {
                match self.pwait2(events, capacity, timeout) {
                    Err(error) if matches!(error.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) => {
                        // An old kernel, or a seccomp filter that does not know the call.
                        HAS_PWAIT2.store(false, Relaxed);
                        self.wait_ms(events, capacity, timeout_ms(Some(timeout)))
                    }
                    result => result,
                }
            }
            timeout => self.wait_ms(events, capacity, timeout_ms(timeout)),
        };
        events.len = match result {
            Ok(n) => n as usize,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => 0,
            Err(error) => return Err(error),
        };
        Ok(())
    }

    fn wait_ms(&self, events: &mut Events, capacity: i32, timeout_ms: i32) -> io::Result<i32> {
        // SAFETY: the buffer holds `capacity` initialised events and outlives the call (invariant 2).
        syscall!(epoll_wait(self.fd.as_raw_fd(), events.buffer.as_mut_ptr(), capacity, timeout_ms))
    }

    #[cfg(not(miri))]
    fn pwait2(&self, events: &mut Events, capacity: i32, timeout: Duration) -> io::Result<i32> {
        let timeout = libc::timespec {
            tv_sec: timeout.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
            tv_nsec: libc::c_long::from(timeout.subsec_nanos() as i32),
        };
        let no_sigmask: *const libc::sigset_t = std::ptr::null();
        // SAFETY: the buffer holds `capacity` initialised events and `timeout` is a live
        // timespec, both outliving the call (invariant 2); a null sigmask leaves the
        // signal mask alone, as epoll_wait does.
        syscall!(syscall(
            libc::SYS_epoll_pwait2,
            self.fd.as_raw_fd(),
            events.buffer.as_mut_ptr(),
            capacity,
            &timeout as *const libc::timespec,
            no_sigmask,
            0usize,
        ))
        .map(|n| n as i32)
    }

    /// Miri emulates epoll_wait, not the raw system call.
    #[cfg(miri)]
    fn pwait2(&self, events: &mut Events, capacity: i32, timeout: Duration) -> io::Result<i32> {
        self.wait_ms(events, capacity, timeout_ms(Some(timeout)))
    }
}

/// Asks the kernel to end this thread's timed waits as close to their
/// deadline as it can: by default it may stretch them by 50 µs ("timer
/// slack") to batch wake-ups, which would be most of a short timer's
/// lateness. A thread that waits in epoll for timers calls this once.
/// (Miri has no prctl: there, waits keep the default slack.)
pub(crate) fn minimize_timer_slack() {
    // SAFETY: PR_SET_TIMERSLACK takes an integer argument and no pointers; it
    // only changes a property of the calling thread.
    #[cfg(not(miri))]
    let _ = unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong) };
}

/// Whether `epoll_pwait2` works here; cleared at its first ENOSYS or EPERM.
static HAS_PWAIT2: AtomicBool = AtomicBool::new(true);

/// A timeout in whole milliseconds for `epoll_wait`, rounded up; -1: none.
fn timeout_ms(timeout: Option<Duration>) -> i32 {
    match timeout {
        None => -1,
        Some(timeout) => {
            let ms = timeout.as_nanos().div_ceil(1_000_000);
            i32::try_from(ms).unwrap_or(i32::MAX)
        }
    }
}

/// An eventfd: another thread's way to interrupt `epoll_wait`.
#[derive(Debug)]
pub(crate) struct EventFd {
    fd: OwnedFd,
}

impl EventFd {
    pub(crate) fn new() -> io::Result<EventFd> {
        // SAFETY: no pointers; the flags are valid.
        let fd = syscall!(eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK))?;
        // SAFETY: the kernel just gave us this descriptor (invariant 1).
        Ok(EventFd { fd: unsafe { OwnedFd::from_raw_fd(fd) } })
    }

    /// Makes the eventfd readable. A full counter (EAGAIN) is readable already.
    pub(crate) fn wake(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 (invariant 2).
        let _ = unsafe { libc::write(self.fd.as_raw_fd(), (&one as *const u64).cast(), 8) };
    }

    /// Resets the counter so the next `wake` is a new edge.
    pub(crate) fn drain(&self) {
        let mut count: u64 = 0;
        // SAFETY: reads 8 bytes into a live u64 (invariant 2). EAGAIN: already drained.
        let _ = unsafe { libc::read(self.fd.as_raw_fd(), (&mut count as *mut u64).cast(), 8) };
    }
}

impl AsRawFd for EventFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millisecond_timeouts_round_up() {
        assert_eq!(timeout_ms(None), -1);
        assert_eq!(timeout_ms(Some(Duration::ZERO)), 0);
        assert_eq!(timeout_ms(Some(Duration::from_nanos(1))), 1);
        assert_eq!(timeout_ms(Some(Duration::from_micros(1_001))), 2);
        assert_eq!(timeout_ms(Some(Duration::MAX)), i32::MAX);
    }

    #[test]
    fn a_timed_wait_lasts_at_least_its_timeout() {
        let epoll = Epoll::new().unwrap();
        let mut events = Events::with_capacity(4);
        let start = std::time::Instant::now();
        epoll.wait(&mut events, Some(Duration::from_micros(300))).unwrap();
        assert!(start.elapsed() >= Duration::from_micros(300));
        assert_eq!(events.len(), 0);
    }
}
