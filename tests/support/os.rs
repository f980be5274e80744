//! The few OS knobs the network tests turn: descriptor limits and SIGPIPE.
#![allow(dead_code)]

use std::io;

fn nofile() -> libc::rlimit {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `limit` is a live rlimit the kernel fills in.
    let result = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    assert_eq!(result, 0, "getrlimit: {}", io::Error::last_os_error());
    limit
}

/// Sets this process's soft limit on open descriptors (capped at the hard limit).
pub fn set_fd_limit(soft: u64) {
    let mut limit = nofile();
    limit.rlim_cur = soft.min(limit.rlim_max);
    // SAFETY: `limit` is a live, valid rlimit.
    let result = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    assert_eq!(result, 0, "setrlimit: {}", io::Error::last_os_error());
}

/// Raises the soft descriptor limit to the hard one, returning the new limit.
pub fn raise_fd_limit() -> u64 {
    let hard = nofile().rlim_max;
    set_fd_limit(hard);
    hard
}

/// Lowers the soft descriptor limit to the lowest free descriptor number, so
/// the next descriptor anything opens fails with EMFILE.
pub fn exhaust_fds() {
    leave_fds(0);
}

/// Lowers the soft descriptor limit so that `free` more descriptors can be
/// opened (if none above the lowest free one are open).
pub fn leave_fds(free: u64) {
    use std::os::fd::AsRawFd;
    let lowest_free = std::fs::File::open("/dev/null").expect("/dev/null").as_raw_fd();
    set_fd_limit(lowest_free as u64 + free);
}

/// Descriptors open in this process now.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").expect("/proc/self/fd").count()
}

/// Restores SIGPIPE's default action (kill the process), as a C program or a
/// Rust program that opted out of std's SIG_IGN would have it.
pub fn restore_sigpipe_default() {
    // SAFETY: setting a signal's disposition to SIG_DFL installs no handler code.
    let previous = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(previous, libc::SIG_ERR);
}

extern "C" fn ignore_signal(_: libc::c_int) {}

/// Installs a do-nothing SIGUSR1 handler without SA_RESTART, so a blocking
/// system call that the signal interrupts fails with EINTR.
pub fn interrupting_sigusr1() {
    // SAFETY: all-zero is a valid sigaction to fill in.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = ignore_signal as *const () as usize;
    // SAFETY: the handler is async-signal-safe (it does nothing); no SA_RESTART.
    let result = unsafe { libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()) };
    assert_eq!(result, 0);
}

/// Sends SIGUSR1 to every thread of this process.
pub fn signal_every_thread() {
    for task in std::fs::read_dir("/proc/self/task").expect("/proc/self/task").flatten() {
        if let Ok(tid) = task.file_name().to_string_lossy().parse::<libc::pid_t>() {
            // SAFETY: tgkill with our own pid and a thread id of ours; a thread
            // that exited meanwhile makes it fail harmlessly with ESRCH.
            unsafe { libc::syscall(libc::SYS_tgkill, std::process::id() as libc::pid_t, tid, libc::SIGUSR1) };
        }
    }
}
