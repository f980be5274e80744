//! The reactor: its epoll instance and registrations ([`Handle`]), the
//! thread that waits on it (`thread.rs`), a worker's turn at the wait and the
//! timers' interrupter (`turn.rs`). The reactor thread's stand-by and the
//! flush tickets are their own protocol, with a loom model (`stand_by.rs`);
//! who holds the wait is `handoff.rs`'s.
//!
//! Each batch of events is handled under the slab lock, collecting wakers;
//! the wakers are woken only after every lock is released, all at once through
//! the `wake` function the runtime supplies (the executor queues the batch with
//! one unpark).
//!
//! # Who waits in epoll
//! The reactor thread owns the epoll instance, but an idle worker may wait in
//! it instead (see [`Handle::try_acquire_wait`]); handoff.rs owns the word
//! that says who, and hands out the turns that end when dropped.
//! The reactor thread sleeps while a worker waits. When nobody waits, it
//! leaves [`HANDOFF_WINDOW`] for an idle worker to take over (a worker that
//! just waited, or that the reactor's last batch woke, will park again soon),
//! then waits itself. Busy workers also look at epoll (without blocking)
//! every few dozen ticks (the executor's event interval), so events are
//! picked up between tasks. Without worker waiting (current-thread runtimes,
//! the global reactor) the reactor thread simply waits all the time.
//!
//! # Timers
//! With [`Deadlines`] attached ([`Handle::set_deadlines`]), whoever waits in
//! epoll waits no longer than the next deadline (with `epoll_pwait2`'s
//! nanosecond timeout) and fires the due timers after each wait, with the
//! I/O wakers of the same batch. A timer registered with an earlier deadline
//! interrupts the wait through an [`Interrupter`], and kicks the reactor
//! thread out of its stand-by so it measures its nap against the new
//! deadline (a worker waiting in epoll may leave the wait before it). While
//! a worker holds the wait, the standing-by reactor thread still fires timers
//! that are [`HANDOFF_WINDOW`] overdue: a worker that left the wait for a
//! long poll does not hold them up.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::OnceLock;
use std::task::Waker;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::deadlines::Deadlines;
use crate::handoff::Handoff;
use crate::readiness::Ready;
use crate::scheduled_io::ScheduledIo;
use crate::slab::Slab;
use crate::stand_by::{Flushes, StandBy, StandByWatch};
use crate::sync::{lock, Arc, AtomicBool, Mutex};
use crate::sys::{Epoll, EventFd, Events};
use crate::wake::wake_all_caught;

mod thread;
mod turn;

pub use turn::{Interrupter, WaitTurn};

/// The token of the eventfd that interrupts `epoll_wait`.
const WAKE_TOKEN: u64 = u64::MAX;
/// Events taken per `epoll_wait`.
const EVENTS_PER_WAIT: usize = 1024;
/// How every source is registered: both directions, edge-triggered, with
/// half-close reported.
const INTEREST: u32 = (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLPRI | libc::EPOLLET) as u32;
/// How long the reactor thread leaves epoll unwatched for a worker to take over.
pub const HANDOFF_WINDOW: Duration = Duration::from_millis(1);
/// The longest the reactor thread sleeps before it looks whether a worker
/// still waits in epoll: how late, at worst, it takes over when every worker
/// is stuck in long polls (busy workers look at I/O between tasks anyway, at
/// the executor's event interval).
pub const MAX_STAND_BY: Duration = Duration::from_millis(100);

/// Wakes a batch of wakers and leaves the vector empty.
pub type WakeBatch = fn(&mut Vec<Waker>);

/// The error every operation of a shut-down reactor's sources reports.
pub(crate) fn shut_down() -> io::Error {
    io::Error::other("the runtime's reactor has shut down")
}

/// A reference to a running reactor, for registering sources with it.
#[derive(Clone, Debug)]
pub struct Handle {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    epoll: Epoll,
    eventfd: EventFd,
    slab: Mutex<Slab>,
    shutdown: AtomicBool,
    events: AtomicU64,
    /// Who waits in epoll (handoff.rs).
    handoff: Handoff,
    /// Set once a runtime's workers may wait in epoll.
    workers_wait: AtomicBool,
    /// The waiting worker's buffers; only a worker's turn touches them.
    /// (Taken out while a worker waits, so its wakers run outside the lock.)
    worker_buffers: Mutex<Option<(Events, Vec<Waker>)>>,
    /// The timers served with the I/O, once attached.
    deadlines: OnceLock<Arc<dyn Deadlines>>,
    /// The reactor thread's stand-by while a worker waits (stand_by.rs).
    stand_by: StandBy,
    /// `Handle::flush_events`'s tickets (stand_by.rs).
    flushes: Flushes,
}

/// Owns the reactor thread: dropping it (or [`Driver::shutdown`]) stops the
/// thread and fails every registration's pending and later operations.
#[derive(Debug)]
pub struct Driver {
    handle: Handle,
    thread: Option<JoinHandle<()>>,
}

impl Driver {
    /// Starts a reactor thread named `thread_name` that hands each batch of
    /// wakers to `wake`.
    ///
    /// # Errors
    /// When the OS refuses the epoll instance, the eventfd or the thread.
    pub fn start(thread_name: String, wake: WakeBatch) -> io::Result<Driver> {
        let inner = Arc::new(Inner {
            epoll: Epoll::new()?,
            eventfd: EventFd::new()?,
            slab: Mutex::new(Slab::default()),
            shutdown: AtomicBool::new(false),
            events: AtomicU64::new(0),
            handoff: Handoff::new(),
            workers_wait: AtomicBool::new(false),
            worker_buffers: Mutex::new(None),
            deadlines: OnceLock::new(),
            stand_by: StandBy::new(),
            flushes: Flushes::new(),
        });
        inner.epoll.add(inner.eventfd.as_raw_fd(), (libc::EPOLLIN | libc::EPOLLET) as u32, WAKE_TOKEN)?;
        let thread_inner = inner.clone();
        let thread = std::thread::Builder::new().name(thread_name).spawn(move || thread::run(&thread_inner, wake))?;
        Ok(Driver { handle: Handle { inner }, thread: Some(thread) })
    }

    /// The handle sources register through.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Stops the reactor thread and wakes every waiting operation with an error.
    pub fn shutdown(&mut self) {
        let Some(thread) = self.thread.take() else { return };
        let inner = &self.handle.inner;
        inner.shutdown.store(true, Release);
        inner.eventfd.wake();
        inner.stand_by.wake_for_shutdown();
        inner.flushes.wake_for_shutdown();
        if thread.thread().id() != std::thread::current().id() {
            let _ = thread.join();
        }
        inner.fail_all();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Handle {
    /// A process-wide reactor, started on first use, for sources created
    /// outside any runtime. It runs until the process exits.
    ///
    /// # Errors
    /// When the OS refuses its epoll instance, eventfd or thread (out of file
    /// descriptors, say); the next call tries again.
    pub fn global() -> io::Result<&'static Handle> {
        static GLOBAL: OnceLock<Driver> = OnceLock::new();
        static STARTING: Mutex<()> = Mutex::new(());
        if let Some(driver) = GLOBAL.get() {
            return Ok(driver.handle());
        }
        let _starting = lock(&STARTING);
        if let Some(driver) = GLOBAL.get() {
            return Ok(driver.handle());
        }
        let driver = Driver::start("runtime-reactor".to_string(), wake_all_caught)?;
        Ok(GLOBAL.get_or_init(|| driver).handle())
    }

    /// Events handled since the reactor started.
    pub fn events(&self) -> u64 {
        self.inner.events.load(Relaxed)
    }

    /// Sources registered now.
    pub fn registrations(&self) -> usize {
        lock(&self.inner.slab).len()
    }

    /// Attaches timers: from now on whoever waits in epoll serves them too
    /// (module docs). Only the first call counts.
    pub fn set_deadlines(&self, deadlines: Arc<dyn Deadlines>) {
        if self.inner.deadlines.set(deadlines).is_ok() {
            // The current wait began without a deadline: make it look again.
            self.inner.eventfd.wake();
        }
    }

    /// What the attached timers use to interrupt the wait in epoll. It does
    /// not keep the reactor alive.
    pub fn interrupter(&self) -> Interrupter {
        Interrupter::new(Arc::downgrade(&self.inner))
    }

    /// Lets idle workers wait in this reactor's epoll from now on (a
    /// multi-thread runtime calls this once, at start).
    pub fn enable_worker_waiting(&self) {
        self.inner.workers_wait.store(true, Release);
        // The reactor thread may be in a wait that began before: make it look again.
        self.inner.eventfd.wake();
    }

    /// Claims the epoll wait for the calling (idle worker) thread, until the
    /// returned turn is dropped (the reactor thread notices by itself);
    /// `None` when another thread waits in it.
    pub fn try_acquire_wait(&self) -> Option<WaitTurn<'_>> {
        let turn = self.inner.handoff.try_worker()?;
        Some(WaitTurn::new(&self.inner, turn))
    }

    /// Returns once the reactor thread has collected every event that was
    /// ready at the call and woken its tasks: before a paused clock jumps
    /// ahead, a socket that is ready must wake its task first. Returns at
    /// once where workers wait in epoll themselves, or the reactor is shut down.
    pub fn flush_events(&self) {
        let inner = &self.inner;
        if inner.workers_wait.load(Acquire) {
            return;
        }
        let ticket = inner.flushes.request();
        inner.eventfd.wake();
        inner.flushes.wait(ticket, || inner.shutdown.load(Acquire), MAX_STAND_BY);
    }

    /// Makes a [`WaitTurn::wait`] in progress, or the next one, return.
    pub fn interrupt_wait(&self) {
        self.inner.eventfd.wake();
    }

    pub(crate) fn register(&self, fd: RawFd, io: Arc<ScheduledIo>) -> io::Result<u64> {
        let mut slab = lock(&self.inner.slab);
        if self.inner.shutdown.load(Acquire) {
            return Err(shut_down());
        }
        let token = slab.insert(io);
        // Under the lock: an event cannot arrive before the entry exists.
        if let Err(error) = self.inner.epoll.add(fd, INTEREST, token) {
            slab.remove(token);
            return Err(error);
        }
        Ok(token)
    }

    pub(crate) fn deregister(&self, fd: RawFd, token: u64) {
        // The fd is still open (the owner closes it after us). An error means
        // the reactor is gone or the fd was never added: nothing to undo.
        let _ = self.inner.epoll.delete(fd);
        let removed = lock(&self.inner.slab).remove(token);
        // Its wakers are dropped here, outside the lock.
        drop(removed);
    }
}

impl StandByWatch for Inner {
    fn shutting_down(&self) -> bool {
        self.shutdown.load(Acquire)
    }

    fn workers_have_it(&self, window: Duration) -> bool {
        self.handoff.workers_have_it(window)
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.deadlines().and_then(Deadlines::next)
    }
}

impl Inner {
    pub(super) fn deadlines(&self) -> Option<&dyn Deadlines> {
        self.deadlines.get().map(|deadlines| &**deadlines)
    }

    /// One wait in epoll, blocking until the next deadline (or not at all):
    /// stores readiness and collects the wakers of ready sources and due
    /// timers. A broken epoll descriptor shuts the reactor down, so operations
    /// report it instead of hanging.
    pub(super) fn wait_once(
        &self,
        events: &mut Events,
        wakers: &mut Vec<Waker>,
        block: bool,
        wake: &mut dyn FnMut(&mut Vec<Waker>),
    ) {
        let timeout = match (block, self.deadlines()) {
            (false, _) => Some(Duration::ZERO),
            (true, None) => None,
            (true, Some(deadlines)) => {
                deadlines.arm().map(|deadline| deadline.saturating_duration_since(Instant::now()))
            }
        };
        if self.epoll.wait(events, timeout).is_err() {
            self.shutdown.store(true, Release);
            self.eventfd.wake();
            return;
        }
        // Busy workers look without blocking every few dozen polls and mostly
        // find nothing: then no lock and no write to a line they all share.
        if events.len() > 0 {
            let slab = lock(&self.slab);
            for (token, bits) in events.iter() {
                if token == WAKE_TOKEN {
                    self.eventfd.drain();
                } else if let Some(io) = slab.get(token) {
                    io.dispatch(Ready::from_epoll(bits), wakers);
                }
            }
            drop(slab);
            self.events.fetch_add(events.len() as u64, Relaxed);
        }
        if let Some(deadlines) = self.deadlines() {
            deadlines.fire(wakers, wake);
        }
    }

    /// After the thread stopped: every registration reports SHUTDOWN.
    pub(super) fn fail_all(&self) {
        let mut wakers = Vec::new();
        for io in lock(&self.slab).iter() {
            io.dispatch(Ready::SHUTDOWN, &mut wakers);
        }
        wake_all_caught(&mut wakers);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readiness::Direction;
    use crate::registration::Registration;
    use crate::sys::socket;
    use std::fs::File;
    use std::io::{Read, Write};
    use std::sync::Arc as StdArc;
    use std::task::{Context, Poll, Wake};

    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: StdArc<Self>) {
            self.0.unpark();
        }
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let waker = Waker::from(StdArc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            std::thread::park();
        }
    }

    fn driver() -> Driver {
        Driver::start("test-reactor".into(), |wakers| wakers.drain(..).for_each(Waker::wake)).unwrap()
    }

    #[test]
    fn a_registered_socket_wakes_its_reader_and_deregisters() {
        let driver = driver();
        // File: read/write rather than recv/send, which Miri emulates on socket pairs.
        let (a, b) = socket::pair().unwrap();
        let (mut a, b) = (File::from(a), File::from(b));
        let registration = Registration::new(b.as_raw_fd(), driver.handle()).unwrap();
        assert_eq!(driver.handle().registrations(), 1);
        let writer = std::thread::spawn(move || a.write_all(b"ping").unwrap());
        let mut buf = [0; 4];
        let n = block_on(registration.io(Direction::Read, || (&b).read(&mut buf))).unwrap();
        assert_eq!(&buf[..n], &b"ping"[..n]);
        writer.join().unwrap();
        drop(registration);
        assert_eq!(driver.handle().registrations(), 0);
    }

    #[test]
    fn shutdown_fails_pending_and_later_operations() {
        let mut driver = driver();
        let (_a, b) = socket::pair().unwrap();
        let b = File::from(b);
        let registration = Registration::new(b.as_raw_fd(), driver.handle()).unwrap();
        let handle = driver.handle().clone();
        let waiter = std::thread::spawn(move || {
            let mut buf = [0; 1];
            block_on(registration.io(Direction::Read, || (&b).read(&mut buf))).unwrap_err()
        });
        driver.shutdown();
        assert!(waiter.join().unwrap().to_string().contains("shut down"));
        let (_c, d) = socket::pair().unwrap();
        assert!(Registration::new(d.as_raw_fd(), &handle).is_err());
    }
}
