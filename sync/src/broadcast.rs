//! [`broadcast`](self): every receiver sees every value, or learns how many
//! it missed.
//!
//! A ring of `capacity` slots (rounded up to a power of two, as tokio's)
//! behind one lock, numbered by a running sequence: value `n` lives in slot
//! `n % capacity` until value `n + capacity` overwrites it. Each receiver
//! keeps the sequence number it reads next. A receiver that fell more than
//! `capacity` behind jumps to the oldest value still held and is told
//! `Lagged(missed)`.
//!
//! Each slot counts the receivers that were subscribed when its value was
//! sent and have not read it yet. The last of them takes the value out of
//! the slot instead of cloning it, and a receiver that drops reads off its
//! share of every slot, so a value lives until every receiver that could see
//! it has (or is gone), not until it is overwritten: the last receiver's drop
//! empties the ring.
//!
//! Values are cloned for each receiver under the lock; values that leave the
//! ring are dropped after it is released (a destructor may send again).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use crate::error::SendError;
use crate::sync::{lock, Arc, Mutex};
use crate::wait_list::{WaitList, WakeList};
use crate::Notify;

/// What a receiver waiting for a value waits on, in a task dump.
static RECV: runtime_executor::Resource = runtime_executor::Resource::new("broadcast::Receiver::recv");

/// A broadcast channel holding the last `capacity` values (`capacity`
/// rounded up to a power of two).
///
/// # Panics
/// When `capacity` is 0 or above `usize::MAX / 2`.
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
    let sender = Sender::new(capacity);
    let receiver = sender.subscribe();
    (sender, receiver)
}

struct Shared<T> {
    capacity: usize,
    state: Mutex<State<T>>,
    /// Notified when the last receiver goes, for [`Sender::closed`].
    no_receivers: Notify,
}

struct State<T> {
    ring: Vec<Slot<T>>,
    /// The sequence number the next value gets.
    next: u64,
    senders: usize,
    weak_senders: usize,
    receivers: usize,
    waiters: WaitList<()>,
}

struct Slot<T> {
    value: Option<T>,
    /// Receivers that were there at the send and have not read it yet.
    unread: usize,
}

impl<T> State<T> {
    /// The oldest sequence number still in the ring.
    fn oldest(&self) -> u64 {
        self.next.saturating_sub(self.ring.len() as u64)
    }

    fn slot(&mut self, seq: u64) -> &mut Slot<T> {
        let len = self.ring.len() as u64;
        &mut self.ring[(seq % len) as usize]
    }

    /// One reader fewer for the value `seq`; returns the value if that was
    /// its last reader (the caller drops it after unlocking, or keeps it).
    fn read_off(&mut self, seq: u64) -> Option<T> {
        let slot = self.slot(seq);
        slot.unread -= 1;
        if slot.unread == 0 {
            slot.value.take()
        } else {
            None
        }
    }

    /// Wakes every waiting receiver (a send, or the last sender gone).
    fn wake_receivers(&mut self, wakes: &mut WakeList) {
        while let Some(key) = self.waiters.front() {
            wakes.push(self.waiters.unlink(key));
        }
    }
}

/// Sends to every receiver; clone it for more producers.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// A sender of a new channel with no receiver yet (sends fail until
    /// [`subscribe`](Sender::subscribe) makes one).
    ///
    /// # Panics
    /// When `capacity` is 0 or above `usize::MAX / 2`.
    #[track_caller]
    pub fn new(capacity: usize) -> Sender<T> {
        assert!(capacity > 0, "broadcast channel capacity cannot be zero");
        assert!(capacity <= usize::MAX >> 1, "broadcast channel capacity exceeded `usize::MAX / 2`");
        let capacity = capacity.next_power_of_two();
        let shared = Arc::new(Shared {
            capacity,
            state: Mutex::new(State {
                ring: (0..capacity).map(|_| Slot { value: None, unread: 0 }).collect(),
                next: 0,
                senders: 1,
                weak_senders: 0,
                receivers: 0,
                waiters: WaitList::new(),
            }),
            no_receivers: Notify::new(),
        });
        Sender { shared }
    }

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
        let (seq, receivers) = (state.next, state.receivers);
        let slot = state.slot(seq);
        let overwritten = slot.value.replace(value);
        slot.unread = receivers;
        state.next += 1;
        state.wake_receivers(&mut wakes);
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

    /// Values in the channel that some receiver alive at their send has not
    /// read yet (and that were not overwritten).
    pub fn len(&self) -> usize {
        let state = lock(&self.shared.state);
        (state.oldest()..state.next)
            .filter(|&seq| state.ring[(seq % state.ring.len() as u64) as usize].unread > 0)
            .count()
    }

    /// Whether [`len`](Sender::len) is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether both senders feed the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Waits until no receiver is left.
    pub async fn closed(&self) {
        loop {
            // Created before the check, so a drop in between is not missed.
            let notified = self.shared.no_receivers.notified();
            if self.receiver_count() == 0 {
                return;
            }
            notified.await;
        }
    }

    /// A [`WeakSender`] of this channel, which does not keep it open.
    pub fn downgrade(&self) -> WeakSender<T> {
        lock(&self.shared.state).weak_senders += 1;
        WeakSender { shared: self.shared.clone() }
    }

    /// Senders alive now.
    pub fn strong_count(&self) -> usize {
        lock(&self.shared.state).senders
    }

    /// Weak senders alive now.
    pub fn weak_count(&self) -> usize {
        lock(&self.shared.state).weak_senders
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
            state.wake_receivers(&mut wakes);
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

/// A sender that does not keep the channel open: once every [`Sender`] is
/// gone the receivers see the end, and [`upgrade`](WeakSender::upgrade)
/// gives `None`.
pub struct WeakSender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> WeakSender<T> {
    /// A [`Sender`] again, unless every sender is gone.
    pub fn upgrade(&self) -> Option<Sender<T>> {
        let mut state = lock(&self.shared.state);
        if state.senders == 0 {
            return None;
        }
        state.senders += 1;
        Some(Sender { shared: self.shared.clone() })
    }

    /// Senders alive now.
    pub fn strong_count(&self) -> usize {
        lock(&self.shared.state).senders
    }

    /// Weak senders alive now.
    pub fn weak_count(&self) -> usize {
        lock(&self.shared.state).weak_senders
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        lock(&self.shared.state).weak_senders += 1;
        WeakSender { shared: self.shared.clone() }
    }
}

impl<T> Drop for WeakSender<T> {
    fn drop(&mut self) {
        lock(&self.shared.state).weak_senders -= 1;
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::WeakSender").finish_non_exhaustive()
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
        let mut state = lock(&self.shared.state);
        match take(&mut self.next, &mut state) {
            Some(Ok(value)) => Ok(value),
            Some(Err(missed)) => Err(TryRecvError::Lagged(missed)),
            None if state.senders == 0 => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }
}

impl<T> Receiver<T> {
    /// A new receiver at the same channel that sees values sent from now on.
    pub fn resubscribe(&self) -> Receiver<T> {
        let mut state = lock(&self.shared.state);
        state.receivers += 1;
        Receiver { shared: self.shared.clone(), next: state.next }
    }

    /// Values sent that this receiver has not read yet. Above the capacity,
    /// the next `recv` reports [`RecvError::Lagged`].
    pub fn len(&self) -> usize {
        let state = lock(&self.shared.state);
        (state.next - self.next) as usize
    }

    /// Whether every value sent was read.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every sender is gone (values may still wait to be read).
    pub fn is_closed(&self) -> bool {
        lock(&self.shared.state).senders == 0
    }

    /// Whether both receivers listen to the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Senders alive now.
    pub fn sender_strong_count(&self) -> usize {
        lock(&self.shared.state).senders
    }

    /// Weak senders alive now.
    pub fn sender_weak_count(&self) -> usize {
        lock(&self.shared.state).weak_senders
    }
}

/// The value at `next`, or the count missed; `None` when nothing new was sent.
fn take<T: Clone>(next: &mut u64, state: &mut State<T>) -> Option<Result<T, u64>> {
    if *next >= state.next {
        return None;
    }
    let oldest = state.oldest();
    if *next < oldest {
        let missed = oldest - *next;
        *next = oldest;
        return Some(Err(missed));
    }
    let seq = *next;
    // Past the value before cloning it: a `Clone` that panics costs this
    // receiver that one value, not every later `recv`.
    *next += 1;
    if let Some(value) = state.read_off(seq) {
        return Some(Ok(value)); // the last reader: moved, not cloned
    }
    let value = state.slot(seq).value.as_ref().unwrap_or_else(|| unreachable!("an unread slot holds its value"));
    Some(Ok(value.clone()))
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut state = lock(&self.shared.state);
        state.receivers -= 1;
        let last = state.receivers == 0;
        let unread: Vec<T> =
            (self.next.max(state.oldest())..state.next).filter_map(|seq| state.read_off(seq)).collect();
        drop(state);
        drop(unread);
        if last {
            self.shared.no_receivers.notify_waiters();
        }
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
        let result = match take(&mut receiver.next, &mut state) {
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
