//! Registrations: one per I/O source, in a slab addressed by index and
//! generation. Both go into the epoll token, so an event for a slot that was
//! freed (and maybe reused) since is recognised and ignored.

use std::future::poll_fn;
use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll, Waker};

use crate::driver::Handle;
use crate::readiness::{self, Direction, Ready, ReadyEvent};
use crate::sync::{Arc, AtomicUsize};
use crate::waiters::Waiters;

/// The reactor's side of one source: its readiness word and its waiters.
#[derive(Debug)]
pub(crate) struct ScheduledIo {
    /// See readiness.rs for the layout.
    readiness: AtomicUsize,
    waiters: Waiters,
}

impl ScheduledIo {
    fn new() -> ScheduledIo {
        ScheduledIo { readiness: AtomicUsize::new(0), waiters: Waiters::new() }
    }

    /// Stores an event and collects the wakers it concerns. Hang-ups and
    /// errors wake both directions.
    pub(crate) fn dispatch(&self, ready: Ready, wakers: &mut Vec<Waker>) {
        // SeqCst: the reactor's side of waiters.rs invariant 2.
        let _ = self.readiness.fetch_update(SeqCst, SeqCst, |word| Some(readiness::with_event(word, ready)));
        if ready.is_hangup() || ready.intersects(Direction::Read.mask()) {
            self.waiters.take_all(Direction::Read, wakers);
        }
        if ready.is_hangup() || ready.intersects(Direction::Write.mask()) {
            self.waiters.take_all(Direction::Write, wakers);
        }
    }

    fn current(&self, direction: Direction) -> ReadyEvent {
        // SeqCst: the waiter's side of waiters.rs invariant 2.
        let mut event = readiness::unpack(self.readiness.load(SeqCst));
        event.ready = event.ready & direction.mask();
        event
    }

    fn poll_ready(&self, direction: Direction, cx: &mut Context<'_>) -> Poll<ReadyEvent> {
        let event = self.current(direction);
        if !event.ready.is_empty() {
            return Poll::Ready(event);
        }
        self.waiters.register(direction, cx.waker());
        // Re-check: an event stored before our waker was visible did not wake us.
        let event = self.current(direction);
        if event.ready.is_empty() {
            Poll::Pending
        } else {
            Poll::Ready(event)
        }
    }

    fn clear_readiness(&self, event: ReadyEvent) {
        // SeqCst: one total order with the reactor's updates of the same word.
        let _ = self.readiness.fetch_update(SeqCst, SeqCst, |word| readiness::cleared(word, event));
    }
}

/// A source registered with a reactor, edge-triggered, for reading and writing.
///
/// The owner keeps the file descriptor open until the registration is dropped;
/// dropping it removes the descriptor from epoll (before the owner closes it).
///
/// # The edge-triggered contract
/// Try the operation first; on EAGAIN clear the readiness observed (only if no
/// event came since) and wait for the next edge. [`Registration::poll_io`] does
/// exactly that.
#[derive(Debug)]
pub struct Registration {
    handle: Handle,
    io: Arc<ScheduledIo>,
    token: u64,
    fd: RawFd,
}

impl Registration {
    /// Registers `fd` (non-blocking) with the reactor behind `handle`.
    ///
    /// # Errors
    /// What `epoll_ctl` reports (a bad descriptor, a regular file: EPERM), or
    /// an error when the reactor has shut down.
    pub fn new(fd: RawFd, handle: &Handle) -> io::Result<Registration> {
        let io = Arc::new(ScheduledIo::new());
        let token = handle.register(fd, io.clone())?;
        Ok(Registration { handle: handle.clone(), io, token, fd })
    }

    /// The reactor this source is registered with.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Ready when `direction` has readiness (or the source hung up or failed).
    ///
    /// # Errors
    /// When the reactor has shut down.
    pub fn poll_ready(&self, direction: Direction, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
        match self.io.poll_ready(direction, cx) {
            Poll::Ready(event) if event.ready.contains(Ready::SHUTDOWN) => Poll::Ready(Err(shut_down())),
            Poll::Ready(event) => Poll::Ready(Ok(event)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Forgets the readiness in `event`, unless an event arrived since.
    pub fn clear_readiness(&self, event: ReadyEvent) {
        self.io.clear_readiness(event);
    }

    /// Runs the non-blocking operation `f` when `direction` is ready, until it
    /// does not return `WouldBlock`.
    pub fn poll_io<R>(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        f: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_until_done(direction, cx, f, |_| false)
    }

    /// [`Registration::poll_io`] for a transfer of up to `len` bytes: a short
    /// transfer means the socket buffer ran empty (or full), so the readiness
    /// is cleared at once, saving the syscall that would only return EAGAIN.
    /// An event that came meanwhile keeps it (the tick).
    pub fn poll_transfer(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        len: usize,
        f: impl FnMut() -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.poll_until_done(direction, cx, f, |&n| n > 0 && n < len)
    }

    /// The edge-triggered loop: `f` until it does not return `WouldBlock`;
    /// readiness is cleared after a `WouldBlock`, or after a result `drained`
    /// says emptied the socket's buffer.
    fn poll_until_done<R>(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        mut f: impl FnMut() -> io::Result<R>,
        drained: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        loop {
            let event = match self.poll_ready(direction, cx) {
                Poll::Ready(Ok(event)) => event,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => return Poll::Pending,
            };
            match f() {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(event),
                result => {
                    if result.as_ref().is_ok_and(&drained) {
                        self.clear_readiness(event);
                    }
                    return Poll::Ready(result);
                }
            }
        }
    }

    /// [`Registration::poll_io`] as a future.
    pub async fn io<R>(&self, direction: Direction, mut f: impl FnMut() -> io::Result<R>) -> io::Result<R> {
        poll_fn(|cx| self.poll_io(direction, cx, &mut f)).await
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.handle.deregister(self.fd, self.token);
    }
}

pub(crate) fn shut_down() -> io::Error {
    io::Error::other("the runtime's reactor has shut down")
}

/// Registrations by slab index, with a generation per slot.
#[derive(Debug, Default)]
pub(crate) struct Slab {
    entries: Vec<Entry>,
    free: Vec<u32>,
    len: usize,
}

#[derive(Debug)]
struct Entry {
    generation: u32,
    io: Option<Arc<ScheduledIo>>,
}

fn token(index: u32, generation: u32) -> u64 {
    (u64::from(generation) << 32) | u64::from(index)
}

impl Slab {
    /// Stores `io`; returns its token.
    pub(crate) fn insert(&mut self, io: Arc<ScheduledIo>) -> u64 {
        self.len += 1;
        if let Some(index) = self.free.pop() {
            let entry = &mut self.entries[index as usize];
            entry.io = Some(io);
            return token(index, entry.generation);
        }
        let index = u32::try_from(self.entries.len()).expect("fewer than 2^32 registrations");
        self.entries.push(Entry { generation: 0, io: Some(io) });
        token(index, 0)
    }

    /// The live registration `token` names, if it still exists.
    pub(crate) fn get(&self, token: u64) -> Option<&Arc<ScheduledIo>> {
        let entry = self.entries.get(token as u32 as usize)?;
        (u64::from(entry.generation) == token >> 32).then_some(entry.io.as_ref()).flatten()
    }

    /// Frees the slot `token` names; later events for it are ignored.
    pub(crate) fn remove(&mut self, token: u64) -> Option<Arc<ScheduledIo>> {
        let index = token as u32;
        let entry = self.entries.get_mut(index as usize)?;
        if u64::from(entry.generation) != token >> 32 {
            return None;
        }
        let io = entry.io.take()?;
        entry.generation = entry.generation.wrapping_add(1);
        self.free.push(index);
        self.len -= 1;
        Some(io)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Arc<ScheduledIo>> {
        self.entries.iter().filter_map(|entry| entry.io.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reused_slot_ignores_the_old_token() {
        let mut slab = Slab::default();
        let old = slab.insert(Arc::new(ScheduledIo::new()));
        assert!(slab.get(old).is_some());
        assert!(slab.remove(old).is_some());
        let new = slab.insert(Arc::new(ScheduledIo::new()));
        assert_eq!(new as u32, old as u32, "the slot is reused");
        assert!(slab.get(old).is_none(), "an event for the freed registration is ignored");
        assert!(slab.remove(old).is_none());
        assert!(slab.get(new).is_some());
        assert_eq!(slab.len(), 1);
    }
}
