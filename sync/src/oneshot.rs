//! [`oneshot`](self): one value from one task to another.
//!
//! One allocation holds a state word, the value cell and a waker cell for
//! each side; sending, receiving and closing are single atomic operations.
//!
//! # State word
//! ```text
//! | TX_TASK_SET | RX_TASK_SET | CLOSED | COMPLETE |
//! ```
//! - COMPLETE: the sender is done, with a value in the cell (`send`) or
//!   without (dropped). Never cleared.
//! - CLOSED: the receiver is gone or closed; a later `send` fails and gets
//!   its value back. Never cleared.
//! - RX_TASK_SET / TX_TASK_SET: the receiver's / sender's waker cell holds a
//!   waker that the other side may wake.
//!
//! ```text
//!            send / drop tx                    recv
//! Empty ───────────────────▶ COMPLETE ─────────────────▶ value taken
//!   │ drop rx / close                  (COMPLETE before CLOSED: the value
//!   ▼                                   is still there for `try_recv`)
//! CLOSED ──send──▶ Err(value)
//! ```
//!
//! # Invariants
//! 1. The value cell belongs to the sender until it sets COMPLETE, then to
//!    the receiver. A `send` that finds CLOSED never sets COMPLETE, so the
//!    value is still its own to return.
//! 2. A side's waker cell is written only by that side, and only while its
//!    TASK_SET bit is clear and the other side has not finished (COMPLETE for
//!    the receiver's, CLOSED for the sender's). The other side reads it only
//!    when its finishing transition saw the bit set. A side that clears its
//!    bit and finds the other side finished sets the bit back and never
//!    writes the cell again.
//! 3. Both waker cells and the value are dropped with the allocation (the
//!    last `Arc`), never by a side while the other may read them.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering::{AcqRel, Acquire};
use std::task::{Context, Poll, Waker};

use crate::sync::{Arc, AtomicUsize, UnsafeCell};

const COMPLETE: usize = 1;
const CLOSED: usize = 1 << 1;
const RX_TASK_SET: usize = 1 << 2;
const TX_TASK_SET: usize = 1 << 3;

/// A channel for one value: [`Sender::send`] it, await the [`Receiver`].
///
/// # Examples
/// ```
/// # runtime::block_on(async {
/// let (tx, rx) = runtime::sync::oneshot::channel();
/// runtime::spawn(async move { tx.send(6 * 7).unwrap() });
/// assert_eq!(rx.await, Ok(42));
/// # });
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Inner {
        state: AtomicUsize::new(0),
        value: UnsafeCell::new(None),
        rx_waker: UnsafeCell::new(None),
        tx_waker: UnsafeCell::new(None),
    });
    (Sender { inner: Some(inner.clone()) }, Receiver { inner })
}

struct Inner<T> {
    state: AtomicUsize,
    value: UnsafeCell<Option<T>>,
    rx_waker: UnsafeCell<Option<Waker>>,
    tx_waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the value moves from the sender's thread to the receiver's (T: Send);
// each cell has one owner at a time (invariants 1 and 2).
unsafe impl<T: Send> Send for Inner<T> {}
// SAFETY: as for Send; `&Inner` gives no shared access to `T`.
unsafe impl<T: Send> Sync for Inner<T> {}

/// Which side's waker cell a poll registers in.
#[derive(Clone, Copy)]
enum Side {
    Rx,
    Tx,
}

impl Side {
    fn bit(self) -> usize {
        match self {
            Side::Rx => RX_TASK_SET,
            Side::Tx => TX_TASK_SET,
        }
    }

    /// The other side's finishing bit, which ends this side's wait.
    fn done_bit(self) -> usize {
        match self {
            Side::Rx => COMPLETE,
            Side::Tx => CLOSED,
        }
    }
}

impl<T> Inner<T> {
    fn waker_cell(&self, side: Side) -> &UnsafeCell<Option<Waker>> {
        match side {
            Side::Rx => &self.rx_waker,
            Side::Tx => &self.tx_waker,
        }
    }

    /// Stores `waker` for `side` unless the other side has finished; returns
    /// the state in which it finished, if it has.
    fn register(&self, side: Side, waker: &Waker) -> Option<usize> {
        // Acquire: pairs with the AcqRel of the finishing transition.
        let state = self.state.load(Acquire);
        if state & side.done_bit() != 0 {
            return Some(state);
        }
        if state & side.bit() != 0 {
            // SAFETY: our bit is set, so the other side only reads (invariant 2).
            let same =
                self.waker_cell(side).with(|cell| unsafe { &*cell }.as_ref().is_some_and(|w| w.will_wake(waker)));
            if same {
                return None;
            }
            // AcqRel: takes the cell back (Acquire pairs with the reader's transition).
            let state = self.state.fetch_and(!side.bit(), AcqRel);
            if state & side.done_bit() != 0 {
                // The other side may be reading the cell: set the bit back, never write.
                self.state.fetch_or(side.bit(), AcqRel);
                return Some(state);
            }
        }
        // SAFETY: our bit is clear and the other side has not finished, so it
        // will not read the cell until it sees the bit (invariant 2).
        self.waker_cell(side).with_mut(|cell| unsafe { *cell = Some(waker.clone()) });
        // AcqRel: Release publishes the waker to the side that sees the bit.
        let state = self.state.fetch_or(side.bit(), AcqRel);
        (state & side.done_bit() != 0).then_some(state)
    }

    /// Wakes `side`'s stored waker, if the finishing transition saw one.
    fn wake(&self, side: Side, state_before: usize) {
        if state_before & side.bit() != 0 {
            self.waker_cell(side).with(|cell| {
                // SAFETY: the bit was set when we finished, so the owner will
                // not write the cell again (invariant 2).
                if let Some(waker) = unsafe { &*cell } {
                    waker.wake_by_ref();
                }
            });
        }
    }

    /// Takes the value; the caller is the receiver and saw COMPLETE.
    fn take_value(&self) -> Option<T> {
        // SAFETY: COMPLETE is set, so the cell is the receiver's (invariant 1).
        self.value.with_mut(|cell| unsafe { (*cell).take() })
    }

    /// Sets CLOSED; wakes the sender if it waits in `closed()`.
    fn close(&self) -> usize {
        // AcqRel: Acquire so a COMPLETE value can still be taken; Release for the sender.
        let state = self.state.fetch_or(CLOSED, AcqRel);
        if state & COMPLETE == 0 {
            self.wake(Side::Tx, state);
        }
        state
    }
}

/// Sends the one value of a [`channel`].
pub struct Sender<T> {
    /// `None` once `send` used it.
    inner: Option<Arc<Inner<T>>>,
}

impl<T> Sender<T> {
    /// Sends `value`, or gives it back when the receiver is gone or closed.
    ///
    /// # Errors
    /// `Err(value)` when the receiver was dropped or closed.
    pub fn send(mut self, value: T) -> Result<(), T> {
        let inner = self.inner.take().unwrap_or_else(|| unreachable!("send consumes the sender"));
        // SAFETY: COMPLETE is not set, so the cell is ours (invariant 1).
        inner.value.with_mut(|cell| unsafe { *cell = Some(value) });
        // AcqRel: Release publishes the value; Acquire pairs with a waker's publication.
        let result =
            inner.state.fetch_update(AcqRel, Acquire, |state| (state & CLOSED == 0).then_some(state | COMPLETE));
        match result {
            Ok(before) => {
                inner.wake(Side::Rx, before);
                Ok(())
            }
            Err(_) => {
                // SAFETY: we did not set COMPLETE: the cell is still ours (invariant 1).
                let value = inner.value.with_mut(|cell| unsafe { (*cell).take() });
                Err(value.unwrap_or_else(|| unreachable!("the value we stored")))
            }
        }
    }

    /// Whether the receiver was dropped or closed.
    pub fn is_closed(&self) -> bool {
        self.inner().state.load(Acquire) & CLOSED != 0
    }

    /// Waits until the receiver is dropped or closed.
    pub async fn closed(&mut self) {
        std::future::poll_fn(|cx| self.poll_closed(cx)).await
    }

    /// Ready once the receiver is dropped or closed; otherwise registers `cx`.
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let coop = std::task::ready!(runtime_executor::coop::poll_proceed(cx));
        match self.inner().register(Side::Tx, cx.waker()) {
            Some(_) => {
                coop.made_progress();
                Poll::Ready(())
            }
            None => Poll::Pending,
        }
    }

    fn inner(&self) -> &Inner<T> {
        self.inner.as_deref().unwrap_or_else(|| unreachable!("only send takes the sender's Arc"))
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Some(inner) = &self.inner {
            // AcqRel: Release for the receiver that sees COMPLETE without a value.
            let before = inner.state.fetch_or(COMPLETE, AcqRel);
            inner.wake(Side::Rx, before);
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender").finish_non_exhaustive()
    }
}

/// Receives the one value of a [`channel`]: await it.
///
/// Awaiting gives `Ok(value)`, or [`RecvError`] when the sender was dropped
/// without sending. Cancel-safe: a dropped await leaves the value in place.
pub struct Receiver<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Receiver<T> {
    /// Takes the value if it was sent.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] while nothing was sent; [`TryRecvError::Closed`]
    /// when the sender was dropped, the value already taken, or the receiver
    /// closed before a value came.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let state = self.inner.state.load(Acquire);
        if state & COMPLETE != 0 {
            return self.inner.take_value().ok_or(TryRecvError::Closed);
        }
        if state & CLOSED != 0 {
            return Err(TryRecvError::Closed);
        }
        Err(TryRecvError::Empty)
    }

    /// Stops the sender from sending; a value sent before can still be taken
    /// with [`try_recv`](Receiver::try_recv).
    pub fn close(&mut self) {
        self.inner.close();
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = std::task::ready!(runtime_executor::coop::poll_proceed(cx));
        let state = match self.inner.register(Side::Rx, cx.waker()) {
            Some(state) => state,
            None if self.inner.state.load(Acquire) & CLOSED != 0 => CLOSED,
            None => return Poll::Pending,
        };
        coop.made_progress();
        if state & COMPLETE == 0 {
            return Poll::Ready(Err(RecvError(())));
        }
        Poll::Ready(self.inner.take_value().ok_or(RecvError(())))
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.inner.close();
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Receiver").finish_non_exhaustive()
    }
}

/// The sender was dropped without sending (or the value was already taken).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecvError(());

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel closed")
    }
}

impl std::error::Error for RecvError {}

/// Why [`Receiver::try_recv`] returned no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// No value yet; the sender may still send one.
    Empty,
    /// No value will come.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("channel empty"),
            TryRecvError::Closed => f.write_str("channel closed"),
        }
    }
}

impl std::error::Error for TryRecvError {}
