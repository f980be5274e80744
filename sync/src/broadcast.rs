//! [`broadcast`](self): every receiver sees every value, or learns how many
//! it missed.
//!
//! A ring of `capacity` slots behind one lock, numbered by a running
//! sequence: value `n` lives in slot `n % capacity` until value
//! `n + capacity` overwrites it. Each receiver keeps the sequence number it
//! reads next. A receiver that fell more than `capacity` behind jumps to the
//! oldest value still held and is told `Lagged(missed)`.
//!
//! Values are cloned for each receiver under the lock; values that are
//! overwritten are dropped after it is released.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use crate::error::SendError;
use crate::sync::{lock, Arc, Mutex};
use crate::wait_list::{WaitList, WakeList};

/// What a receiver waiting for a value waits on, in a task dump.
static RECV: runtime_executor::Resource = runtime_executor::Resource::new("broadcast::Receiver::recv");

/// A broadcast channel holding the last `capacity` values.
///
/// # Panics
/// When `capacity` is 0.
///
/// # Examples
/// ```
/// # runtime::block_on(async {
/// let (tx, mut rx1) = runtime::sync::broadcast::channel(16);
/// let mut rx2 = tx.subscribe();
/// tx.send(10).unwrap();
/// assert_eq!(rx1.recv().await, Ok(10));
/// assert_eq!(rx2.recv().await, Ok(10));
/// # });
/// ```
#[track_caller]
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "a broadcast channel needs a capacity above 0");
    let shared = Arc::new(Shared {
        capacity,
        state: Mutex::new(State {
            ring: (0..capacity).map(|_| None).collect(),
            next: 0,
            senders: 1,
            receivers: 1,
            waiters: WaitList::new(),
        }),
    });
    (Sender { shared: shared.clone() }, Receiver { shared, next: 0 })
}

struct Shared<T> {
    capacity: usize,
    state: Mutex<State<T>>,
}

struct State<T> {
    ring: Vec<Option<T>>,
    /// The sequence number the next value gets.
    next: u64,
    senders: usize,
    receivers: usize,
    waiters: WaitList<()>,
}

impl<T> Shared<T> {
    /// The oldest sequence number still in the ring.
    fn oldest(&self, state: &State<T>) -> u64 {
        state.next.saturating_sub(self.capacity as u64)
    }
}

/// Sends to every receiver; clone it for more producers.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Sends `value` to every receiver; returns how many there are.
    ///
    /// # Errors
    /// [`SendError`] with the value when there is no receiver.
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let mut wakes = WakeList::new();
        let mut state = lock(&self.shared.state);
        if state.receivers == 0 {
            return Err(SendError(value));
        }
        let slot = (state.next % self.shared.capacity as u64) as usize;
        let overwritten = state.ring[slot].replace(value);
        state.next += 1;
        while let Some(key) = state.waiters.front() {
            wakes.push(state.waiters.unlink(key));
        }
        let receivers = state.receivers;
        drop(state);
        drop(overwritten);
        wakes.wake_all();
        Ok(receivers)
    }

    /// A new receiver that sees every value sent from now on.
    pub fn subscribe(&self) -> Receiver<T> {
        let mut state = lock(&self.shared.state);
        state.receivers += 1;
        Receiver { shared: self.shared.clone(), next: state.next }
    }

    /// Receivers alive now.
    pub fn receiver_count(&self) -> usize {
        lock(&self.shared.state).receivers
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        lock(&self.shared.state).senders += 1;
        Sender { shared: self.shared.clone() }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut wakes = WakeList::new();
        let mut state = lock(&self.shared.state);
        state.senders -= 1;
        if state.senders == 0 {
            while let Some(key) = state.waiters.front() {
                wakes.push(state.waiters.unlink(key));
            }
        }
        drop(state);
        wakes.wake_all();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Sender").field("capacity", &self.shared.capacity).finish_non_exhaustive()
    }
}

/// Receives every value sent after it subscribed.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The sequence number this receiver reads next.
    next: u64,
}

impl<T: Clone> Receiver<T> {
    /// The next value, [`RecvError::Lagged`] when values were overwritten
    /// before this receiver read them (it then resumes at the oldest one
    /// held), or [`RecvError::Closed`] when every sender is gone and every
    /// value was read. Cancel-safe: a dropped `recv` loses no value.
    pub fn recv(&mut self) -> Recv<'_, T> {
        Recv { receiver: self, key: None }
    }

    /// [`recv`](Receiver::recv) from synchronous code, blocking this thread.
    ///
    /// # Errors
    /// As [`recv`](Receiver::recv).
    ///
    /// # Panics
    /// On a thread that runs asynchronous tasks, with tokio's message.
    #[cfg(not(loom))]
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Result<T, RecvError> {
        runtime_executor::wait_blocking(self.recv())
    }

    /// The next value if one is there.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`], [`TryRecvError::Lagged`] or [`TryRecvError::Closed`].
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let state = lock(&self.shared.state);
        match take(&self.shared, &mut self.next, &state) {
            Some(Ok(value)) => Ok(value),
            Some(Err(missed)) => Err(TryRecvError::Lagged(missed)),
            None if state.senders == 0 => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// A new receiver at the same channel that sees values sent from now on.
    pub fn resubscribe(&self) -> Receiver<T> {
        let mut state = lock(&self.shared.state);
        state.receivers += 1;
        Receiver { shared: self.shared.clone(), next: state.next }
    }
}

/// The value at `next`, or the count missed; `None` when nothing new was sent.
fn take<T: Clone>(shared: &Shared<T>, next: &mut u64, state: &State<T>) -> Option<Result<T, u64>> {
    if *next >= state.next {
        return None;
    }
    let oldest = shared.oldest(state);
    if *next < oldest {
        let missed = oldest - *next;
        *next = oldest;
        return Some(Err(missed));
    }
    let slot = (*next % shared.capacity as u64) as usize;
    // Past the value before cloning it: a `Clone` that panics costs this
    // receiver that one value, not every later `recv`.
    *next += 1;
    let value = state.ring[slot].as_ref().unwrap_or_else(|| unreachable!("a sent slot holds its value"));
    Some(Ok(value.clone()))
}

impl<T> Receiver<T> {
    /// Values sent that this receiver has not read yet (at most the capacity).
    pub fn len(&self) -> usize {
        let state = lock(&self.shared.state);
        (state.next - self.next.max(self.shared.oldest(&state))) as usize
    }

    /// Whether every value sent was read.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        lock(&self.shared.state).receivers -= 1;
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Receiver").field("next", &self.next).finish_non_exhaustive()
    }
}

/// The future of [`Receiver::recv`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Recv<'a, T> {
    receiver: &'a mut Receiver<T>,
    key: Option<usize>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let coop = std::task::ready!(runtime_executor::coop::poll_proceed(cx));
        let receiver = &mut *this.receiver;
        let mut state = lock(&receiver.shared.state);
        if let Some(key) = this.key {
            if state.waiters.is_linked(key) {
                let displaced = state.waiters.set_waker(key, cx.waker());
                drop(state);
                drop(displaced);
                return crate::pending(&RECV);
            }
            let _served = state.waiters.remove(key);
            this.key = None;
        }
        let result = match take(&receiver.shared, &mut receiver.next, &state) {
            Some(Ok(value)) => Ok(value),
            Some(Err(missed)) => Err(RecvError::Lagged(missed)),
            None if state.senders == 0 => Err(RecvError::Closed),
            None => {
                this.key = Some(state.waiters.push_back((), cx.waker().clone()));
                return crate::pending(&RECV);
            }
        };
        drop(state);
        coop.made_progress();
        Poll::Ready(result)
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            let removed = lock(&self.receiver.shared.state).waiters.remove(key);
            drop(removed.waker);
        }
    }
}

impl<T> fmt::Debug for Recv<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Recv").field("queued", &self.key.is_some()).finish()
    }
}

/// Why [`Receiver::recv`] returned no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvError {
    /// Every sender is gone and every value was read.
    Closed,
    /// This many values were overwritten before this receiver read them.
    Lagged(u64),
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Closed => f.write_str("channel closed"),
            RecvError::Lagged(missed) => write!(f, "receiver lagged by {missed} values"),
        }
    }
}

impl std::error::Error for RecvError {}

/// Why [`Receiver::try_recv`] returned no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing new; senders remain.
    Empty,
    /// Every sender is gone and every value was read.
    Closed,
    /// This many values were overwritten before this receiver read them.
    Lagged(u64),
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("channel empty"),
            TryRecvError::Closed => f.write_str("channel closed"),
            TryRecvError::Lagged(missed) => write!(f, "receiver lagged by {missed} values"),
        }
    }
}

impl std::error::Error for TryRecvError {}

/// The errors of this module's channel, at tokio's path (`broadcast::error`);
/// the same types as at the module's root.
pub mod error {
    pub use super::{RecvError, SendError, TryRecvError};
}
