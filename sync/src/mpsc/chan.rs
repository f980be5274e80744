//! The channel both flavors share: a queue behind a lock, the receiver's
//! waker, the sender count and, for the bounded flavor, a [`Semaphore`] of
//! free slots.
//!
//! The receiver takes the whole queue at once (a swap under the lock) into a
//! buffer of its own, so a stream of messages costs it one lock per batch,
//! not per message. A slot's permit goes back when its message leaves that
//! buffer, so at most `capacity` messages are ever buffered in all.
//!
//! # Closing
//! ```text
//! open ──last Sender dropped──▶ senders gone: recv drains, then None
//!   └───Receiver closed/dropped─▶ rx closed: sends fail with their value,
//!                                 waiting senders fail (semaphore closed)
//! ```
//! Both flags change under the queue lock, and a send checks `rx_closed`
//! under it, so no message is queued after the receiver closed unseen: it is
//! either received (drained by `close`'s caller) or dropped by the receiver.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::task::{Context, Poll, Waker};

use crate::semaphore::Semaphore;
use crate::sync::{lock, Arc, AtomicBool, AtomicUsize, Mutex};
use crate::Notify;

pub(super) struct Chan<T> {
    queue: Mutex<Queue<T>>,
    /// Free slots (bounded flavor only).
    pub(super) slots: Option<Semaphore>,
    senders: AtomicUsize,
    /// Set (under the queue lock) when the receiver closed or dropped.
    rx_closed: AtomicBool,
    /// Notified when the receiver closes, for `Sender::closed`.
    closed: Notify,
    pub(super) capacity: usize,
}

struct Queue<T> {
    items: VecDeque<T>,
    rx_waker: Option<Waker>,
    senders_gone: bool,
}

impl<T> Chan<T> {
    pub(super) fn new(capacity: Option<usize>) -> Arc<Chan<T>> {
        Arc::new(Chan {
            queue: Mutex::new(Queue { items: VecDeque::new(), rx_waker: None, senders_gone: false }),
            slots: capacity.map(Semaphore::new),
            senders: AtomicUsize::new(1),
            rx_closed: AtomicBool::new(false),
            closed: Notify::new(),
            capacity: capacity.unwrap_or(usize::MAX),
        })
    }

    /// Queues `value` unless the receiver closed; wakes it. The caller holds
    /// a slot when the channel is bounded.
    pub(super) fn push(&self, value: T) -> Result<(), T> {
        let mut queue = lock(&self.queue);
        if self.rx_closed.load(Relaxed) {
            return Err(value);
        }
        queue.items.push_back(value);
        let waker = queue.rx_waker.take();
        drop(queue);
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    pub(super) fn is_closed(&self) -> bool {
        // Acquire: pairs with the Release in close_rx.
        self.rx_closed.load(Acquire)
    }

    /// Waits until the receiver closes.
    pub(super) async fn closed(&self) {
        loop {
            // Created before the check, so a close in between is not missed.
            let notified = self.closed.notified();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }

    pub(super) fn add_sender(&self) {
        // Relaxed: the new sender is made from a live one, which keeps the count above zero.
        self.senders.fetch_add(1, Relaxed);
    }

    pub(super) fn drop_sender(&self) {
        // AcqRel: the last sender sees every other sender's pushes before it marks the end.
        if self.senders.fetch_sub(1, AcqRel) != 1 {
            return;
        }
        let mut queue = lock(&self.queue);
        queue.senders_gone = true;
        let waker = queue.rx_waker.take();
        drop(queue);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> fmt::Debug for Chan<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chan")
            .field("capacity", &self.capacity)
            .field("senders", &self.senders.load(Relaxed))
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// The receiving end both flavors share.
pub(super) struct Rx<T> {
    pub(super) chan: Arc<Chan<T>>,
    /// Messages taken from the queue, in order, not yet handed out.
    buffer: VecDeque<T>,
}

/// What [`Rx::try_pop`] found.
pub(super) enum Popped<T> {
    Value(T),
    Empty,
    /// Every sender is gone (or the receiver closed) and nothing is left.
    Closed,
}

impl<T> Rx<T> {
    pub(super) fn new(chan: Arc<Chan<T>>) -> Rx<T> {
        Rx { chan, buffer: VecDeque::new() }
    }

    /// Hands out the next message, refilling the buffer from the queue; with
    /// `waker`, registers it when there is none.
    fn pop(&mut self, waker: Option<&Waker>) -> Popped<T> {
        if self.buffer.is_empty() {
            let mut queue = lock(&self.chan.queue);
            if queue.items.is_empty() {
                if queue.senders_gone || self.chan.rx_closed.load(Relaxed) {
                    return Popped::Closed;
                }
                if let Some(waker) = waker {
                    match &queue.rx_waker {
                        Some(stored) if stored.will_wake(waker) => {}
                        _ => queue.rx_waker = Some(waker.clone()),
                    }
                }
                return Popped::Empty;
            }
            std::mem::swap(&mut self.buffer, &mut queue.items);
        }
        let value = self.buffer.pop_front().unwrap_or_else(|| unreachable!("the buffer was refilled"));
        if let Some(slots) = &self.chan.slots {
            slots.release(1);
        }
        Popped::Value(value)
    }

    pub(super) fn try_pop(&mut self) -> Popped<T> {
        self.pop(None)
    }

    pub(super) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let coop = std::task::ready!(runtime_executor::coop::poll_proceed(cx));
        let result = match self.pop(Some(cx.waker())) {
            Popped::Value(value) => Some(value),
            Popped::Closed => None,
            Popped::Empty => return Poll::Pending,
        };
        coop.made_progress();
        Poll::Ready(result)
    }

    /// Moves up to `limit` messages into `out`, waiting for the first.
    pub(super) fn poll_recv_many(&mut self, cx: &mut Context<'_>, out: &mut Vec<T>, limit: usize) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let Some(first) = std::task::ready!(self.poll_recv(cx)) else { return Poll::Ready(0) };
        out.push(first);
        let mut taken = 1;
        while taken < limit {
            match self.try_pop() {
                Popped::Value(value) => out.push(value),
                Popped::Empty | Popped::Closed => break,
            }
            taken += 1;
        }
        Poll::Ready(taken)
    }

    /// Messages waiting, in the buffer and the queue.
    pub(super) fn len(&self) -> usize {
        self.buffer.len() + lock(&self.chan.queue).items.len()
    }

    /// Stops every send; what was sent before can still be received.
    pub(super) fn close(&mut self) {
        let queue = lock(&self.chan.queue);
        // Release: pairs with the Acquire in is_closed.
        self.chan.rx_closed.store(true, Release);
        drop(queue);
        if let Some(slots) = &self.chan.slots {
            slots.close();
        }
        self.chan.closed.notify_waiters();
    }
}

impl<T> Drop for Rx<T> {
    fn drop(&mut self) {
        self.close();
        // The messages nobody will receive are dropped here, outside the lock.
        let items = std::mem::take(&mut lock(&self.chan.queue).items);
        drop(items);
    }
}

impl<T> fmt::Debug for Rx<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rx").field("chan", &self.chan).field("buffered", &self.buffer.len()).finish()
    }
}
