//! The reactor thread: waits on epoll, stores readiness, wakes tasks.
//!
//! Each batch of events is handled under the slab lock, collecting wakers;
//! the wakers are woken only after every lock is released, all at once through
//! the `wake` function the runtime supplies (the executor queues the batch with
//! one unpark).

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::OnceLock;
use std::task::Waker;
use std::thread::JoinHandle;

use crate::readiness::Ready;
use crate::registration::{shut_down, ScheduledIo, Slab};
use crate::sync::{lock, Arc, AtomicBool, Mutex};
use crate::sys::{Epoll, EventFd, Events};

/// The token of the eventfd that interrupts `epoll_wait`.
const WAKE_TOKEN: u64 = u64::MAX;
/// Events taken per `epoll_wait`.
const EVENTS_PER_WAIT: usize = 1024;
/// How every source is registered: both directions, edge-triggered, with
/// half-close reported.
const INTEREST: u32 = (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET) as u32;

/// Wakes a batch of wakers and leaves the vector empty.
pub type WakeBatch = fn(&mut Vec<Waker>);

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
        });
        inner.epoll.add(inner.eventfd.as_raw_fd(), (libc::EPOLLIN | libc::EPOLLET) as u32, WAKE_TOKEN)?;
        let thread_inner = inner.clone();
        let thread = std::thread::Builder::new().name(thread_name).spawn(move || run(&thread_inner, wake))?;
        Ok(Driver { handle: Handle { inner }, thread: Some(thread) })
    }

    /// The handle sources register through.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Stops the reactor thread and wakes every waiting operation with an error.
    pub fn shutdown(&mut self) {
        let Some(thread) = self.thread.take() else { return };
        self.handle.inner.shutdown.store(true, Release);
        self.handle.inner.eventfd.wake();
        if thread.thread().id() != std::thread::current().id() {
            let _ = thread.join();
        }
        self.handle.inner.fail_all();
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
    pub fn global() -> &'static Handle {
        static GLOBAL: OnceLock<Driver> = OnceLock::new();
        GLOBAL
            .get_or_init(|| {
                Driver::start("runtime-reactor".to_string(), |wakers| wakers.drain(..).for_each(Waker::wake))
                    .expect("the OS refused to start the global reactor")
            })
            .handle()
    }

    /// Events handled since the reactor started.
    pub fn events(&self) -> u64 {
        self.inner.events.load(Relaxed)
    }

    /// Sources registered now.
    pub fn registrations(&self) -> usize {
        lock(&self.inner.slab).len()
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

impl Inner {
    /// After the thread stopped: every registration reports SHUTDOWN.
    fn fail_all(&self) {
        let mut wakers = Vec::new();
        for io in lock(&self.slab).iter() {
            io.dispatch(Ready::SHUTDOWN, &mut wakers);
        }
        wakers.into_iter().for_each(Waker::wake);
    }
}

fn run(inner: &Inner, wake: WakeBatch) {
    let mut events = Events::with_capacity(EVENTS_PER_WAIT);
    let mut wakers = Vec::new();
    loop {
        if inner.epoll.wait(&mut events, -1).is_err() {
            // Only a broken epoll descriptor fails here: stop, and let every
            // operation report the shutdown instead of hanging.
            inner.shutdown.store(true, Release);
        }
        if inner.shutdown.load(Acquire) {
            break;
        }
        {
            let slab = lock(&inner.slab);
            for (token, bits) in events.iter() {
                if token == WAKE_TOKEN {
                    inner.eventfd.drain();
                } else if let Some(io) = slab.get(token) {
                    io.dispatch(Ready::from_epoll(bits), &mut wakers);
                }
            }
        }
        inner.events.fetch_add(events.len() as u64, Relaxed);
        if !wakers.is_empty() {
            wake(&mut wakers);
            // A `wake` that left some behind: drop them outside any lock.
            wakers.clear();
        }
    }
    inner.fail_all();
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
