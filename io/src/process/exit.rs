//! Learning that a child exited without a thread per child: its pidfd,
//! readable once it exits, on the reactor; where the kernel has no
//! pidfd_open (before Linux 5.3), every SIGCHLD through `runtime::signal`,
//! after which `waitpid(pid, WNOHANG)` tells whether it was this child.

use std::io;
use std::os::fd::OwnedFd;
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use runtime_reactor::{process, Direction, Handle};

use crate::evented::Evented;
use crate::signal::unix::{signal, Signal, SignalKind};

/// Set by tests to exercise the SIGCHLD path on a kernel that has pidfds.
static FORCE_SIGCHLD: AtomicBool = AtomicBool::new(false);

/// Makes every child spawned from now on wait through SIGCHLD, as on a
/// kernel without pidfd_open. For tests of that path only.
#[doc(hidden)]
pub fn force_sigchld_fallback() {
    FORCE_SIGCHLD.store(true, Ordering::Relaxed);
}

/// What tells us a child may have exited.
#[derive(Debug)]
pub(super) enum Exit {
    Pidfd(Evented<OwnedFd>),
    Sigchld(Signal),
}

impl Exit {
    /// The exit source for `pid`, registered with `reactor` (the current
    /// one, or the process-wide one for orphans that outlive it).
    pub(super) fn watch(pid: u32, reactor: Option<&Handle>) -> io::Result<Exit> {
        if !FORCE_SIGCHLD.load(Ordering::Relaxed) {
            match process::pidfd_open(pid) {
                Ok(fd) => {
                    let evented = match reactor {
                        Some(reactor) => Evented::with_reactor(fd, reactor)?,
                        None => Evented::new(fd)?,
                    };
                    return Ok(Exit::Pidfd(evented));
                }
                Err(error) if error.kind() == io::ErrorKind::Unsupported => {}
                Err(error) => return Err(error),
            }
        }
        Ok(Exit::Sigchld(signal(SignalKind::child())?))
    }

    /// Polls `child` until it has exited: its status, or `Pending` with `cx`
    /// registered for the next sign of an exit.
    pub(super) fn poll_exited(
        &mut self,
        child: &mut std::process::Child,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<ExitStatus>> {
        loop {
            if let Some(status) = child.try_wait()? {
                return Poll::Ready(Ok(status));
            }
            match self {
                Exit::Pidfd(pidfd) => {
                    let event = std::task::ready!(pidfd.registration().poll_ready(Direction::Read, cx))?;
                    // Readable means exited; a readiness left from before is forgotten.
                    if let Some(status) = child.try_wait()? {
                        return Poll::Ready(Ok(status));
                    }
                    pidfd.registration().clear_readiness(event);
                }
                // Any SIGCHLD since the Signal was made may be ours: look again.
                Exit::Sigchld(sigchld) => match sigchld.poll_recv(cx) {
                    Poll::Ready(Some(())) => continue,
                    Poll::Ready(None) => {
                        return Poll::Ready(Err(io::Error::other("the SIGCHLD stream ended")));
                    }
                    Poll::Pending => {
                        // A SIGCHLD between our look and the registration is
                        // counted by the Signal; one before it, the look saw.
                        return match child.try_wait()? {
                            Some(status) => Poll::Ready(Ok(status)),
                            None => Poll::Pending,
                        };
                    }
                },
            }
        }
    }
}
