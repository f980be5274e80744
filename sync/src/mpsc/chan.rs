//! The channel both flavors share: a queue, the receiver's waker, the
//! sender count and, for the bounded flavor, a [`Semaphore`] of free slots.
//!
//! - Bounded: the queue is a lock-free [`Ring`] of `capacity` slots. A send
//!   takes a permit (the semaphore is the back-pressure), then pushes
//!   without a lock; the receiver gives the permit back once it read the
//!   message.
//! - Unbounded: the queue is a `VecDeque` behind a lock, and the receiver
//!   takes all of it at once (a swap) into a buffer of its own, so a stream
//!   of messages costs it one lock per batch.
//!
//! # Waking the receiver
//! The receiver's waker sits in a lock-free `WakerSlot`. A push, then a
//! SeqCst fence, then a look at `waiting`; the receiver stores its waker,
//! sets `waiting`, fences, then looks at the queue again before it sleeps.
//! One of the two sees the other's write (the store-buffer pattern), so a
//! message never sits unseen beside a sleeping receiver; a push while the
//! receiver runs costs a fence and a load, and one that wakes it no lock.
//!
//! # Closing
//! ```text
//! open ──last Sender dropped──▶ recv drains, then None
//!   └───Receiver closed/dropped─▶ new sends fail with their value,
//!                                 waiting senders fail (semaphore closed),
//!                                 held slots (permits) still send;
//!                                 recv drains, then None once every
//!                                 held slot was used or given back
//! ```
//! A bounded send that holds a slot never fails: a permit taken before the
//! close still sends, as tokio documents, and the receiver reports the end
//! only once every slot is back in the semaphore (a dropped permit wakes
//! it). An unbounded send checks the close under the list's lock, the lock
//! `close` takes too, so a send that returned `Ok` is always received (or
//! dropped with the receiver).
//!
//! # Weak senders
//! `senders` counts the strong ones; an upgrade increments it only from a
//! non-zero value (a CAS loop), so once the receiver saw zero no sender can
//! come back (`loom_mpsc_weak_upgrade_races_the_last_sender`).

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
use std::task::{Context, Poll, Waker};

use runtime_executor::{Register, WakerSlot};

use super::error::TryRecvError;
use super::ring::Ring;
use crate::semaphore::Semaphore;
use crate::sync::{fence, lock, Arc, AtomicBool, AtomicUsize, Mutex};
use crate::Notify;

/// What a receiver waiting for a message waits on, in a task dump.
static RECV: runtime_executor::Resource = runtime_executor::Resource::new("mpsc::Receiver::recv");

pub(super) struct Chan<T> {
    queue: Queue<T>,
    /// Free slots (bounded flavor only).
    pub(super) slots: Option<Semaphore>,
    senders: AtomicUsize,
    /// Weak senders, for `weak_count` only: they keep nothing alive but the allocation.
    weak_senders: AtomicUsize,
    /// Set when the receiver closed or dropped.
    rx_closed: AtomicBool,
    rx_waker: RxWaker,
    /// Notified when the receiver closes, for `Sender::closed`.
    closed: Notify,
    pub(super) capacity: usize,
}

enum Queue<T> {
    Bounded(Ring<T>),
    Unbounded(Mutex<VecDeque<T>>),
}

/// The receiver's waker, in a lock-free slot, and whether it sleeps on it.
struct RxWaker {
    waiting: AtomicBool,
    slot: WakerSlot,
}

impl RxWaker {
    /// Stores the receiver's waker; the caller then looks at the queue again.
    fn register(&self, waker: &Waker) {
        match self.slot.register(waker, |_| {}) {
            // Woken: a push took the slot meanwhile, and the waker was woken.
            Register::Stored | Register::Woken => {}
            // Only the receiver registers, one poll at a time.
            Register::Busy => unreachable!("one receiver registers at a time"),
        }
        self.waiting.store(true, Relaxed);
        // SeqCst: pairs with the fence in `wake` (see the module docs).
        fence(SeqCst);
    }

    /// The receiver goes: drops its waker now (and whatever the waker keeps
    /// alive), not with the last sender.
    fn clear(&self) {
        self.waiting.store(false, Relaxed);
        drop(self.slot.take());
    }

    /// The receiver found a message: pushes need not wake it.
    fn running(&self) {
        if self.waiting.load(Relaxed) {
            self.waiting.store(false, Relaxed);
        }
    }

    /// Wakes the receiver if it sleeps; called after a push.
    fn wake(&self) {
        // SeqCst: pairs with the fence in `register`.
        fence(SeqCst);
        if !self.waiting.load(Relaxed) {
            return;
        }
        self.waiting.store(false, Relaxed);
        // The slot's RMW chain orders the receiver's waker before this take.
        if let Some(waker) = self.slot.take() {
            waker.wake();
        }
    }
}

impl<T> Chan<T> {
    pub(super) fn new(capacity: Option<usize>) -> Arc<Chan<T>> {
        Arc::new(Chan {
            queue: match capacity {
                Some(capacity) => Queue::Bounded(Ring::new(capacity)),
                None => Queue::Unbounded(Mutex::new(VecDeque::new())),
            },
            slots: capacity.map(Semaphore::new),
            senders: AtomicUsize::new(1),
            weak_senders: AtomicUsize::new(0),
            rx_closed: AtomicBool::new(false),
            rx_waker: RxWaker { waiting: AtomicBool::new(false), slot: WakerSlot::new() },
            closed: Notify::new(),
            capacity: capacity.unwrap_or(usize::MAX),
        })
    }

    /// Queues `value` into the bounded channel's slot the caller holds (the
    /// message takes the slot over); wakes the receiver. Never fails: a slot
    /// taken before a close still sends, and a message that comes after the
    /// receiver went is dropped with the ring.
    pub(super) fn push_reserved(&self, value: T) {
        match &self.queue {
            Queue::Bounded(ring) => ring.push(value),
            Queue::Unbounded(_) => unreachable!("only a bounded channel has slots"),
        }
        self.rx_waker.wake();
    }

    /// Queues `value` in the unbounded list unless the receiver closed;
    /// wakes it.
    pub(super) fn push_unbounded(&self, value: T) -> Result<(), T> {
        let Queue::Unbounded(list) = &self.queue else { unreachable!("an unbounded channel has a list") };
        {
            let mut list = lock(list);
            // Under the lock `close` takes: a send either fails or is received.
            if self.rx_closed.load(Relaxed) {
                return Err(value);
            }
            list.push_back(value);
        }
        self.rx_waker.wake();
        Ok(())
    }

    /// Gives back `n` slots that sent nothing (a permit dropped unused): the
    /// receiver of a closed channel may wait for exactly that.
    pub(super) fn release_slots(&self, n: usize) {
        if let Some(slots) = &self.slots {
            slots.release(n);
        }
        // Unconditional: a receiver that closed and waits for the last slot
        // must see it (the fence in `wake` pairs with `register`'s); an
        // open channel's receiver gets at most a spurious poll.
        self.rx_waker.wake();
    }

    pub(super) fn is_closed(&self) -> bool {
        // Acquire: pairs with the Release in Rx::close.
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

    /// A strong sender from a weak one, unless the count already reached zero.
    pub(super) fn upgrade(&self) -> bool {
        // Relaxed: the count is one modification order; a zero is final.
        let mut count = self.senders.load(Relaxed);
        loop {
            if count == 0 {
                return false;
            }
            match self.senders.compare_exchange_weak(count, count + 1, Relaxed, Relaxed) {
                Ok(_) => return true,
                Err(actual) => count = actual,
            }
        }
    }

    pub(super) fn strong_count(&self) -> usize {
        self.senders.load(Relaxed)
    }

    pub(super) fn weak_count(&self) -> usize {
        self.weak_senders.load(Relaxed)
    }

    pub(super) fn add_weak(&self) {
        self.weak_senders.fetch_add(1, Relaxed);
    }

    pub(super) fn drop_weak(&self) {
        self.weak_senders.fetch_sub(1, Relaxed);
    }

    pub(super) fn drop_sender(&self) {
        // AcqRel: the receiver that sees zero sees every sender's pushes.
        if self.senders.fetch_sub(1, AcqRel) == 1 {
            self.rx_waker.wake();
        }
    }

    /// Whether no message can come any more (the caller then looks at the
    /// queue once more): every sender is gone, or the receiver closed and no
    /// slot is held (a held slot may still send).
    fn ended(&self) -> bool {
        // Acquire: pairs with the last sender's AcqRel decrement.
        if self.senders.load(Acquire) == 0 {
            return true;
        }
        if !self.rx_closed.load(Relaxed) {
            return false;
        }
        // After the close no slot can be taken, and the receiver's own close
        // (an RMW on the semaphore word) comes before this load, so a full
        // count means none is held now or later; a queued message holds its
        // slot until received.
        self.slots.as_ref().is_none_or(|slots| slots.available_permits() == self.capacity)
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
    /// Bounded flavor: the ring index of the next message (ring.rs).
    head: usize,
    /// Unbounded flavor: messages taken from the list, not yet handed out.
    buffer: VecDeque<T>,
}

/// What [`Rx::pop`] found.
enum Popped<T> {
    Value(T),
    Empty,
    /// Every sender is gone (or the receiver closed) and nothing is left.
    Closed,
}

impl<T> Rx<T> {
    pub(super) fn new(chan: Arc<Chan<T>>) -> Rx<T> {
        Rx { chan, head: 0, buffer: VecDeque::new() }
    }

    /// The next queued message, its slot given back.
    fn take(&mut self) -> Option<T> {
        match &self.chan.queue {
            Queue::Bounded(ring) => {
                let value = ring.pop(&mut self.head)?;
                if let Some(slots) = &self.chan.slots {
                    slots.release(1);
                }
                Some(value)
            }
            Queue::Unbounded(list) => {
                if self.buffer.is_empty() {
                    std::mem::swap(&mut self.buffer, &mut *lock(list));
                }
                self.buffer.pop_front()
            }
        }
    }

    /// Hands out the next message; with `waker`, registers it when there is none.
    fn pop(&mut self, waker: Option<&Waker>) -> Popped<T> {
        if let Some(value) = self.take() {
            self.chan.rx_waker.running();
            return Popped::Value(value);
        }
        if let Some(waker) = waker {
            self.chan.rx_waker.register(waker);
            // Again: a push may have come before the registration.
            if let Some(value) = self.take() {
                self.chan.rx_waker.running();
                return Popped::Value(value);
            }
        }
        if self.chan.ended() {
            // Once more after seeing the end: the last sender may have pushed
            // just before it went (the loom model finds this).
            return self.take().map_or(Popped::Closed, Popped::Value);
        }
        Popped::Empty
    }

    /// The next message if one is queued.
    pub(super) fn try_recv(&mut self) -> Result<T, TryRecvError> {
        match self.pop(None) {
            Popped::Value(value) => Ok(value),
            Popped::Empty => Err(TryRecvError::Empty),
            Popped::Closed => Err(TryRecvError::Disconnected),
        }
    }

    pub(super) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let coop = std::task::ready!(runtime_executor::coop::poll_proceed(cx));
        let result = match self.pop(Some(cx.waker())) {
            Popped::Value(value) => Some(value),
            Popped::Closed => None,
            Popped::Empty => return crate::pending(&RECV),
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
            let Some(value) = self.take() else { break };
            out.push(value);
            taken += 1;
        }
        Poll::Ready(taken)
    }

    /// Messages waiting to be received.
    pub(super) fn len(&self) -> usize {
        match &self.chan.queue {
            Queue::Bounded(ring) => ring.len(self.head),
            Queue::Unbounded(list) => self.buffer.len() + lock(list).len(),
        }
    }

    /// Stops every send; what was sent before can still be received.
    pub(super) fn close(&mut self) {
        // Under the list's lock: an unbounded send checks the flag under it.
        let list = match &self.chan.queue {
            Queue::Unbounded(list) => Some(lock(list)),
            Queue::Bounded(_) => None,
        };
        // Release: pairs with the Acquire in is_closed.
        self.chan.rx_closed.store(true, Release);
        drop(list);
        if let Some(slots) = &self.chan.slots {
            slots.close();
        }
        self.chan.closed.notify_waiters();
    }
}

impl<T> Drop for Rx<T> {
    fn drop(&mut self) {
        self.close();
        // The messages nobody will receive, and the receiver's waker, are
        // dropped now, not with the last sender.
        while self.take().is_some() {}
        self.chan.rx_waker.clear();
        if let Queue::Bounded(ring) = &self.chan.queue {
            ring.leave(self.head);
        }
    }
}

impl<T> fmt::Debug for Rx<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rx").field("chan", &self.chan).field("queued", &self.len()).finish()
    }
}

/// The sending methods both flavors share, on a type holding a `chan: Arc<Chan<T>>`.
macro_rules! sender_methods {
    ($ty:ident, $weak:ident, $name:literal) => {
        impl<T> $ty<T> {
            /// Waits until the receiver is dropped or closed.
            pub async fn closed(&self) {
                self.chan.closed().await
            }

            /// Whether the receiver is dropped or closed.
            pub fn is_closed(&self) -> bool {
                self.chan.is_closed()
            }

            /// Whether both senders feed the same channel.
            pub fn same_channel(&self, other: &$ty<T>) -> bool {
                crate::sync::Arc::ptr_eq(&self.chan, &other.chan)
            }

            /// A weak sender of this channel, which does not keep it open.
            pub fn downgrade(&self) -> $weak<T> {
                self.chan.add_weak();
                $weak { chan: self.chan.clone() }
            }

            /// Senders alive now (weak ones not counted).
            pub fn strong_count(&self) -> usize {
                self.chan.strong_count()
            }

            /// Weak senders alive now.
            pub fn weak_count(&self) -> usize {
                self.chan.weak_count()
            }
        }

        /// A sender that does not keep the channel open: once every strong
        /// sender is gone the receiver sees the end, and
        /// [`upgrade`](Self::upgrade) gives `None`.
        pub struct $weak<T> {
            chan: crate::sync::Arc<super::chan::Chan<T>>,
        }

        impl<T> $weak<T> {
            /// A strong sender again, unless every strong sender is gone.
            pub fn upgrade(&self) -> Option<$ty<T>> {
                self.chan.upgrade().then(|| $ty { chan: self.chan.clone() })
            }

            /// Strong senders alive now.
            pub fn strong_count(&self) -> usize {
                self.chan.strong_count()
            }

            /// Weak senders alive now.
            pub fn weak_count(&self) -> usize {
                self.chan.weak_count()
            }
        }

        impl<T> Clone for $weak<T> {
            fn clone(&self) -> Self {
                self.chan.add_weak();
                $weak { chan: self.chan.clone() }
            }
        }

        impl<T> Drop for $weak<T> {
            fn drop(&mut self) {
                self.chan.drop_weak();
            }
        }

        impl<T> std::fmt::Debug for $weak<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($weak)).field("chan", &self.chan).finish()
            }
        }

        impl<T> Clone for $ty<T> {
            fn clone(&self) -> Self {
                self.chan.add_sender();
                $ty { chan: self.chan.clone() }
            }
        }

        impl<T> Drop for $ty<T> {
            fn drop(&mut self) {
                self.chan.drop_sender();
            }
        }

        impl<T> std::fmt::Debug for $ty<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct($name).field("chan", &self.chan).finish()
            }
        }
    };
}
pub(super) use sender_methods;

/// The receiving methods both flavors offer, on a type holding an `rx: Rx<T>`.
macro_rules! receiver_methods {
    ($ty:ident, $name:literal) => {
        impl<T> $ty<T> {
            /// The next message, or `None` once every sender is gone (or the
            /// receiver closed) and the queue is drained. Cancel-safe: a
            /// dropped `recv` loses no message.
            pub async fn recv(&mut self) -> Option<T> {
                std::future::poll_fn(|cx| self.rx.poll_recv(cx)).await
            }

            /// Waits for at least one message and moves up to `limit` into
            /// `out`; returns how many (0 only when closed and drained, or
            /// `limit` is 0).
            pub async fn recv_many(&mut self, out: &mut Vec<T>, limit: usize) -> usize {
                std::future::poll_fn(|cx| self.rx.poll_recv_many(cx, out, limit)).await
            }

            /// [`recv`](Self::recv) from synchronous code, blocking this thread.
            ///
            /// # Panics
            /// On a thread that runs asynchronous tasks, with tokio's message.
            #[cfg(not(loom))]
            #[track_caller]
            pub fn blocking_recv(&mut self) -> Option<T> {
                runtime_executor::wait_blocking(self.recv())
            }

            /// [`recv_many`](Self::recv_many) from synchronous code, blocking this thread.
            ///
            /// # Panics
            /// On a thread that runs asynchronous tasks, with tokio's message.
            #[cfg(not(loom))]
            #[track_caller]
            pub fn blocking_recv_many(&mut self, out: &mut Vec<T>, limit: usize) -> usize {
                runtime_executor::wait_blocking(self.recv_many(out, limit))
            }

            /// Polls for the next message (the body of `recv`).
            pub fn poll_recv(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<T>> {
                self.rx.poll_recv(cx)
            }

            /// Polls for messages (the body of `recv_many`): moves up to
            /// `limit` into `out` once at least one is there.
            pub fn poll_recv_many(
                &mut self,
                cx: &mut std::task::Context<'_>,
                out: &mut Vec<T>,
                limit: usize,
            ) -> std::task::Poll<usize> {
                self.rx.poll_recv_many(cx, out, limit)
            }

            /// Whether the channel is closed: every sender is gone, or
            /// [`close`](Self::close) was called (messages may still wait).
            pub fn is_closed(&self) -> bool {
                self.rx.chan.is_closed() || self.rx.chan.strong_count() == 0
            }

            /// Strong senders alive now.
            pub fn sender_strong_count(&self) -> usize {
                self.rx.chan.strong_count()
            }

            /// Weak senders alive now.
            pub fn sender_weak_count(&self) -> usize {
                self.rx.chan.weak_count()
            }

            /// The next message if one is queued.
            ///
            /// # Errors
            /// [`TryRecvError::Empty`](super::TryRecvError::Empty) or
            /// [`TryRecvError::Disconnected`](super::TryRecvError::Disconnected).
            pub fn try_recv(&mut self) -> Result<T, super::TryRecvError> {
                self.rx.try_recv()
            }

            /// Stops every send (a bounded channel's waiting senders fail at
            /// once); messages already sent can still be received.
            pub fn close(&mut self) {
                self.rx.close();
            }

            /// Messages waiting to be received.
            pub fn len(&self) -> usize {
                self.rx.len()
            }

            /// Whether no message waits.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }
        }

        // Nothing in a receiver is pinned: the messages sit in a heap buffer.
        impl<T> Unpin for $ty<T> {}

        impl<T> futures_core::Stream for $ty<T> {
            type Item = T;

            fn poll_next(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<T>> {
                self.get_mut().rx.poll_recv(cx)
            }
        }

        impl<T> std::fmt::Debug for $ty<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct($name).field("rx", &self.rx).finish()
            }
        }
    };
}
pub(super) use receiver_methods;
