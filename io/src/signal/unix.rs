//! Unix signals: [`signal`] makes a [`Signal`] that receives every delivery
//! of one [`SignalKind`].

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use runtime_executor::coop;

use super::registry::{registry, Registry};
use runtime_executor::{Resource, WaitingOn};

/// What a task waiting for a signal waits on, in a task dump.
static SIGNAL: Resource = Resource::new("a signal");

/// A signal number, made with one of the constructors or [`from_raw`](SignalKind::from_raw).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(i32);

impl SignalKind {
    /// Any signal number; [`signal`] refuses the ones that cannot be caught
    /// or must not be (SIGKILL, SIGSTOP, SIGILL, SIGFPE, SIGSEGV) and
    /// numbers the system does not have.
    pub const fn from_raw(signum: i32) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal number.
    pub const fn as_raw_value(&self) -> i32 {
        self.0
    }

    /// SIGINT: Ctrl-C in a terminal.
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// SIGTERM: the polite request to stop (`kill`, service managers).
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// SIGHUP: the terminal went away; by convention, reload configuration.
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// SIGQUIT: Ctrl-\ in a terminal.
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// SIGUSR1.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// SIGUSR2.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// SIGCHLD: a child process stopped or exited.
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// SIGALRM.
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// SIGPIPE (writes of this runtime never raise it: they use MSG_NOSIGNAL).
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }

    /// SIGWINCH: the terminal was resized.
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }

    /// SIGIO: a descriptor set up for signal-driven I/O is ready.
    pub const fn io() -> SignalKind {
        SignalKind(libc::SIGIO)
    }
}

impl From<SignalKind> for std::os::raw::c_int {
    fn from(kind: SignalKind) -> std::os::raw::c_int {
        kind.0
    }
}

impl From<i32> for SignalKind {
    fn from(signum: i32) -> SignalKind {
        SignalKind(signum)
    }
}

/// Receives the deliveries of one signal; also a [`Stream`](futures_core::Stream).
///
/// Deliveries are coalesced: raises that come before the runtime next looks
/// at the signal pipe count once, and the next `recv` completes once for
/// all deliveries counted since the last one (so a burst of raises while
/// nobody waits is one `recv`, as in tokio). Several `Signal`s of one kind
/// each see every delivery.
pub struct Signal {
    kind: SignalKind,
    registry: &'static Registry,
    /// The delivery count last seen.
    seen: u64,
    key: usize,
}

/// Starts receiving `kind`: installs its handler (once per process) and
/// returns a [`Signal`] that sees the deliveries from now on.
///
/// # Errors
/// [`io::ErrorKind::InvalidInput`] for a signal that cannot or must not be
/// caught (SIGKILL, SIGSTOP, SIGILL, SIGFPE, SIGSEGV) or a number the system
/// does not have; the OS's error when the signal pipe cannot be made.
///
/// # Examples
/// ```
/// use runtime::signal::unix::{signal, SignalKind};
///
/// # runtime::block_on(async {
/// let mut hangups = signal(SignalKind::hangup())?;
/// // Deliver one to ourselves.
/// std::process::Command::new("kill").args(["-HUP", &std::process::id().to_string()]).status()?;
/// hangups.recv().await;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let signum = kind.0;
    const FORBIDDEN: [i32; 5] = [libc::SIGKILL, libc::SIGSTOP, libc::SIGILL, libc::SIGFPE, libc::SIGSEGV];
    if FORBIDDEN.contains(&signum) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("signal {signum} cannot be received")));
    }
    if signum < 1 || signum > runtime_reactor::signal::max_signal() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{signum} is not a signal number")));
    }
    let registry = registry()?;
    let slot = registry.slot(signum);
    slot.install(signum)?;
    let key = slot.add_waiter();
    Ok(Signal { kind, registry, seen: slot.delivered(), key })
}

impl Signal {
    /// Waits for the next delivery (or the next batch, coalesced). Returns
    /// `None` only if the signal pipe failed, which does not happen in
    /// practice. Cancel-safe.
    pub async fn recv(&mut self) -> Option<()> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery (the body of [`recv`](Signal::recv)).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        let coop = std::task::ready!(coop::poll_proceed(cx));
        let slot = self.registry.slot(self.kind.0);
        // Before looking: a delivery read off the pipe after our look wakes us (registry.rs).
        slot.set_waker(self.key, cx.waker());
        loop {
            let delivered = slot.delivered();
            if delivered != self.seen {
                self.seen = delivered;
                coop.made_progress();
                return Poll::Ready(Some(()));
            }
            match self.registry.poll_drain(cx) {
                Poll::Ready(Ok(())) => continue,
                Poll::Ready(Err(_)) => return Poll::Ready(None),
                Poll::Pending if slot.delivered() != self.seen => continue,
                Poll::Pending => {
                    runtime_executor::waiting_on(WaitingOn::Resource(&SIGNAL));
                    return Poll::Pending;
                }
            }
        }
    }

    /// The signal this receives.
    pub fn kind(&self) -> SignalKind {
        self.kind
    }
}

impl futures_core::Stream for Signal {
    type Item = ();

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.get_mut().poll_recv(cx)
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        self.registry.slot(self.kind.0).remove_waiter(self.key);
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal").field("kind", &self.kind).finish_non_exhaustive()
    }
}
