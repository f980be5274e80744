//! [`oneshot`](self): one value from one task to another.
//!
//! One allocation holds a state word, the value cell and a waker cell for
//! each side. The state word also counts the two references (one bit per
//! side), so the common exchange (send, then a receive that finds the value,
//! then the receiver's drop) costs two atomic read-modify-writes in all:
//! the send's CAS, which also lets go of the sender, and the receiver's drop.
//!
//! # State word
//! ```text
//! | RX_ALIVE | TX_ALIVE | TX_TASK_SET | RX_TASK_SET | CLOSED | COMPLETE |
//! ```
//! - COMPLETE: the sender is done, with a value in the cell (`send`) or
//!   without (dropped). Never cleared.
//! - CLOSED: the receiver is gone or closed; a later `send` fails and gets
//!   its value back. Never cleared.
//! - RX_TASK_SET / TX_TASK_SET: the receiver's / sender's waker cell holds a
//!   waker that the other side may wake.
//! - TX_ALIVE / RX_ALIVE: that side still holds the allocation. Whoever
//!   clears the last of the two frees it.
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
//! 3. A side that must wake the other keeps its ALIVE bit until the wake is
//!    done, then clears it; the allocation (value and wakers with it) is
//!    freed only by the side whose RMW cleared the last ALIVE bit, so every
//!    access of the other side happened before (AcqRel on both).

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::atomic::Ordering::{AcqRel, Acquire};
use std::task::{Context, Poll, Waker};

use crate::block_cache;
pub use crate::error::RecvError;
use crate::sync::{AtomicUsize, UnsafeCell};

/// What a receiver waiting for its value waits on, in a task dump.
static RECV: runtime_executor::Resource = runtime_executor::Resource::new("oneshot::Receiver");

const COMPLETE: usize = 1;
const CLOSED: usize = 1 << 1;
const RX_TASK_SET: usize = 1 << 2;
const TX_TASK_SET: usize = 1 << 3;
const TX_ALIVE: usize = 1 << 4;
const RX_ALIVE: usize = 1 << 5;

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
    let inner = block_cache::alloc(Inner {
        state: AtomicUsize::new(TX_ALIVE | RX_ALIVE),
        value: UnsafeCell::new(None),
        rx_waker: UnsafeCell::new(None),
        tx_waker: UnsafeCell::new(None),
    });
    (Sender { inner, _value: PhantomData }, Receiver { inner, terminated: false, _value: PhantomData })
}

struct Inner<T> {
    state: AtomicUsize,
    value: UnsafeCell<Option<T>>,
    rx_waker: UnsafeCell<Option<Waker>>,
    tx_waker: UnsafeCell<Option<Waker>>,
}

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

    /// Wakes `side`'s stored waker; the caller's finishing transition saw
    /// its bit set, and the caller still holds its ALIVE bit.
    fn wake(&self, side: Side) {
        self.waker_cell(side).with(|cell| {
            // SAFETY: the bit was set when we finished, so the owner will
            // not write the cell again (invariant 2).
            if let Some(waker) = unsafe { &*cell } {
                waker.wake_by_ref();
            }
        });
    }

    /// Takes the value; the caller is the receiver and saw COMPLETE.
    fn take_value(&self) -> Option<T> {
        // SAFETY: COMPLETE is set, so the cell is the receiver's (invariant 1).
        self.value.with_mut(|cell| unsafe { (*cell).take() })
    }
}

/// Sets `finish` in the state and lets go of the side `alive`; wakes the
/// other side first when `wake` (its TASK_SET bit, with `stop`: the bit that
/// makes that waker pointless) says so; frees the allocation if the other
/// side is gone. One CAS when there is nobody to wake.
///
/// # Safety
/// The caller owns side `alive` of a live allocation and never touches it
/// again.
unsafe fn finish<T>(ptr: NonNull<Inner<T>>, finish: usize, alive: usize, wake: (Side, usize)) {
    let (side, stop) = wake;
    let other_alive = (TX_ALIVE | RX_ALIVE) & !alive;
    let before = {
        // SAFETY: our ALIVE bit keeps the allocation (invariant 3).
        let inner = unsafe { ptr.as_ref() };
        // Acquire: pairs with the other side's last RMW. Once it let go, the
        // word is ours alone: no RMW needed to free (the receiver's drop
        // after it took the value, in the common case).
        let state = inner.state.load(Acquire);
        if state & other_alive == 0 {
            // SAFETY: the other side is gone for good and we hold the last
            // reference, made by `block_cache::alloc` in `channel` (invariant 3).
            unsafe { block_cache::free(ptr) };
            return;
        }
        // AcqRel: Release publishes our writes to the side that frees;
        // Acquire sees the other side's, in case we free.
        let result = inner.state.fetch_update(AcqRel, Acquire, |state| {
            let wakes = state & side.bit() != 0 && state & stop == 0;
            Some(if wakes { state | finish } else { (state | finish) & !alive })
        });
        let before = result.unwrap_or_else(|state| state);
        if before & side.bit() == 0 || before & stop != 0 {
            before
        } else {
            inner.wake(side);
            inner.state.fetch_and(!alive, AcqRel)
        }
    };
    if before & other_alive == 0 {
        // SAFETY: we cleared the last ALIVE bit: nobody else holds the
        // allocation, made by `block_cache::alloc` in `channel` (invariant 3).
        unsafe { block_cache::free(ptr) };
    }
}

/// Sends the one value of a [`channel`].
pub struct Sender<T> {
    inner: NonNull<Inner<T>>,
    _value: PhantomData<T>,
}

// SAFETY: the value moves from the sender's thread to the receiver's (T: Send);
// each cell has one owner at a time (invariants 1 and 2).
unsafe impl<T: Send> Send for Sender<T> {}
// SAFETY: `&Sender` only reads the state word.
unsafe impl<T: Send> Sync for Sender<T> {}

impl<T> Sender<T> {
    fn inner(&self) -> &Inner<T> {
        // SAFETY: TX_ALIVE is ours until we drop (invariant 3).
        unsafe { self.inner.as_ref() }
    }

    /// Sends `value`, or gives it back when the receiver is gone or closed.
    ///
    /// # Errors
    /// `Err(value)` when the receiver was dropped or closed.
    pub fn send(self, value: T) -> Result<(), T> {
        let inner = self.inner();
        // SAFETY: COMPLETE is not set, so the cell is ours (invariant 1).
        inner.value.with_mut(|cell| unsafe { *cell = Some(value) });
        let ptr = self.inner;
        std::mem::forget(self);
        // Publishing the value and letting go of the sender in one CAS, unless
        // CLOSED came meanwhile: then the value is still ours to take back.
        // SAFETY: we own TX_ALIVE and give it up here.
        let taken = unsafe { send_or_take_back(ptr) };
        taken.map_or(Ok(()), Err)
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
}

/// Sets COMPLETE over the stored value unless the receiver closed, and lets
/// go of the sender; returns the value when it could not be sent.
///
/// # Safety
/// The caller owns TX_ALIVE, stored the value, and never touches the
/// allocation again.
unsafe fn send_or_take_back<T>(ptr: NonNull<Inner<T>>) -> Option<T> {
    // SAFETY: TX_ALIVE is still ours.
    let inner = unsafe { ptr.as_ref() };
    let mut state = inner.state.load(Acquire);
    loop {
        if state & CLOSED != 0 {
            // SAFETY: COMPLETE is not set: the cell is still ours (invariant 1).
            let value = inner.value.with_mut(|cell| unsafe { (*cell).take() });
            // SAFETY: we own TX_ALIVE and give it up.
            unsafe { finish(ptr, COMPLETE, TX_ALIVE, (Side::Rx, CLOSED)) };
            return value;
        }
        if state & RX_TASK_SET != 0 {
            // A waker to wake: the general path (it keeps us alive for the wake).
            // SAFETY: we own TX_ALIVE and give it up.
            unsafe { finish(ptr, COMPLETE, TX_ALIVE, (Side::Rx, CLOSED)) };
            return None;
        }
        // AcqRel: Release publishes the value; Acquire in case we free.
        match inner.state.compare_exchange_weak(state, (state | COMPLETE) & !TX_ALIVE, AcqRel, Acquire) {
            Ok(before) => {
                if before & RX_ALIVE == 0 {
                    // SAFETY: the receiver is gone and we cleared the last ALIVE bit (invariant 3).
                    unsafe { block_cache::free(ptr) };
                }
                return None;
            }
            Err(actual) => state = actual,
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // SAFETY: we own TX_ALIVE and give it up; `self` is not used again.
        unsafe { finish(self.inner, COMPLETE, TX_ALIVE, (Side::Rx, CLOSED)) };
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender").field("closed", &self.is_closed()).finish()
    }
}

/// Receives the one value of a [`channel`]: await it.
///
/// Awaiting gives `Ok(value)`, or [`RecvError`] when the sender was dropped
/// without sending. Cancel-safe: a dropped await leaves the value in place.
pub struct Receiver<T> {
    inner: NonNull<Inner<T>>,
    /// Set once it gave its outcome (a value or an error): it must not be
    /// polled again.
    terminated: bool,
    _value: PhantomData<T>,
}

// SAFETY: as for Sender.
unsafe impl<T: Send> Send for Receiver<T> {}
// SAFETY: `&Receiver` offers nothing.
unsafe impl<T: Send> Sync for Receiver<T> {}
impl<T> Unpin for Receiver<T> {}

impl<T> Receiver<T> {
    fn inner(&self) -> &Inner<T> {
        // SAFETY: RX_ALIVE is ours until we drop (invariant 3).
        unsafe { self.inner.as_ref() }
    }

    /// Waits for the value from synchronous code, blocking this thread.
    ///
    /// # Errors
    /// [`RecvError`] when the sender was dropped without sending.
    ///
    /// # Panics
    /// On a thread that runs asynchronous tasks, with tokio's message.
    #[cfg(not(loom))]
    #[track_caller]
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        runtime_executor::wait_blocking(self)
    }

    /// Takes the value if it was sent.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] while nothing was sent; [`TryRecvError::Closed`]
    /// when the sender was dropped, the value already taken, or the receiver
    /// closed before a value came.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let state = self.inner().state.load(Acquire);
        if self.terminated || state & (COMPLETE | CLOSED) == 0 {
            return Err(if self.terminated { TryRecvError::Closed } else { TryRecvError::Empty });
        }
        self.terminated = true;
        if state & COMPLETE != 0 {
            return self.inner().take_value().ok_or(TryRecvError::Closed);
        }
        Err(TryRecvError::Closed)
    }

    /// Whether it already gave its outcome (through `.await`, a poll or
    /// [`try_recv`](Receiver::try_recv)); polling it again is then an error,
    /// as for any finished future.
    ///
    /// # Examples
    /// ```
    /// # runtime::block_on(async {
    /// let (tx, mut rx) = runtime::sync::oneshot::channel();
    /// tx.send(1).unwrap();
    /// assert!(!rx.is_terminated());
    /// assert_eq!((&mut rx).await, Ok(1));
    /// assert!(rx.is_terminated());
    /// # });
    /// ```
    pub fn is_terminated(&self) -> bool {
        self.terminated
    }

    /// Whether no value waits to be taken: true before the send, after the
    /// value was taken, and when the sender went without sending.
    pub fn is_empty(&self) -> bool {
        // Acquire: pairs with the sender's AcqRel COMPLETE.
        if self.terminated || self.inner().state.load(Acquire) & COMPLETE == 0 {
            return true;
        }
        // SAFETY: COMPLETE is set, so the cell is the receiver's (invariant 1).
        self.inner().value.with(|cell| unsafe { (*cell).is_none() })
    }

    /// Stops the sender from sending; a value sent before can still be taken
    /// with [`try_recv`](Receiver::try_recv).
    pub fn close(&mut self) {
        let inner = self.inner();
        // AcqRel: Acquire so a COMPLETE value can still be taken; Release for the sender.
        let before = inner.state.fetch_or(CLOSED, AcqRel);
        if before & TX_TASK_SET != 0 && before & (COMPLETE | CLOSED) == 0 {
            inner.wake(Side::Tx);
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        assert!(!self.terminated, "oneshot::Receiver polled after it completed");
        let coop = std::task::ready!(runtime_executor::coop::poll_proceed(cx));
        let inner = self.inner();
        let state = match inner.register(Side::Rx, cx.waker()) {
            Some(state) => state,
            None if inner.state.load(Acquire) & CLOSED != 0 => CLOSED,
            None => return crate::pending(&RECV),
        };
        coop.made_progress();
        let outcome = if state & COMPLETE == 0 { None } else { inner.take_value() };
        self.terminated = true;
        Poll::Ready(outcome.ok_or(RecvError(())))
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // Wakes a sender waiting in `closed()` unless it already finished.
        // SAFETY: we own RX_ALIVE and give it up; `self` is not used again.
        unsafe { finish(self.inner, CLOSED, RX_ALIVE, (Side::Tx, COMPLETE | CLOSED)) };
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Receiver").finish_non_exhaustive()
    }
}

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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn poll<T>(rx: &mut Receiver<T>) -> Poll<Result<T, RecvError>> {
        Pin::new(rx).poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn every_order_of_send_poll_and_drop_frees_once() {
        // Send before the poll, after it, never; drop either side first.
        let (tx, mut rx) = channel();
        tx.send(String::from("a")).unwrap();
        assert_eq!(poll(&mut rx), Poll::Ready(Ok(String::from("a"))));

        let (tx, mut rx) = channel();
        assert!(poll(&mut rx).is_pending());
        tx.send(String::from("b")).unwrap();
        drop(rx);

        let (tx, mut rx) = channel::<String>();
        assert!(poll(&mut rx).is_pending());
        drop(tx);
        assert!(matches!(poll(&mut rx), Poll::Ready(Err(_))));

        let (tx, rx) = channel();
        drop(rx);
        assert_eq!(tx.send(String::from("c")), Err(String::from("c")));

        let (mut tx, rx) = channel::<String>();
        let mut cx = Context::from_waker(Waker::noop());
        assert!(tx.poll_closed(&mut cx).is_pending());
        drop(rx);
        assert!(tx.poll_closed(&mut cx).is_ready());
    }

    /// Polls `future` on this thread, parking between wakes.
    fn park_on<F: Future>(future: F) -> F::Output {
        struct Unpark(std::thread::Thread);
        impl std::task::Wake for Unpark {
            fn wake(self: std::sync::Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
        let mut future = std::pin::pin!(future);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
                return output;
            }
            std::thread::park();
        }
    }

    #[test]
    fn sides_on_two_threads() {
        for _ in 0..if cfg!(miri) { 10 } else { 1000 } {
            let (tx, rx) = channel();
            let sender = std::thread::spawn(move || tx.send(vec![1u8; 16]).is_ok());
            let got = park_on(rx);
            assert!(sender.join().unwrap());
            assert_eq!(got.unwrap().len(), 16);
        }
    }
}

/// The errors of this module's channel, at tokio's path (`oneshot::error`);
/// the same types as at the module's root.
pub mod error {
    pub use super::{RecvError, TryRecvError};
}
