//! The bounded flavor: a send waits for a free slot.

use std::fmt;

use super::chan::{Chan, Rx};
use super::error::{SendError, SendTimeoutError, TrySendError};
use runtime_executor::Resource;

use crate::semaphore::{Acquiring, TryAcquireError};
use crate::sync::Arc;

/// What a sender waiting for room waits on, in a task dump.
static SEND: Resource = Resource::new("mpsc::Sender::send (channel full)");

/// A bounded channel with room for `capacity` messages: [`Sender::send`]
/// waits while it is full (back-pressure), [`Sender::reserve`] takes a slot
/// first and sends later. Waiting senders are served in arrival order.
///
/// # Panics
/// When `capacity` is 0.
///
/// # Examples
/// ```
/// # runtime::block_on(async {
/// let (tx, mut rx) = runtime::sync::mpsc::channel(16);
/// for id in 0..4 {
///     let tx = tx.clone();
///     runtime::spawn(async move { tx.send(id).await.unwrap() });
/// }
/// drop(tx);
/// let mut sum = 0;
/// while let Some(id) = rx.recv().await {
///     sum += id;
/// }
/// assert_eq!(sum, 6);
/// # });
/// ```
#[track_caller]
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "a bounded channel needs a capacity above 0");
    let chan = Chan::new(Some(capacity));
    (Sender { chan: chan.clone() }, Receiver { rx: Rx::new(chan) })
}

/// Sends into a bounded channel; clone it for more producers.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    fn slots(&self) -> &crate::Semaphore {
        self.chan.slots.as_ref().unwrap_or_else(|| unreachable!("a bounded channel has slots"))
    }

    /// Waits for `n` slots, in arrival order.
    async fn acquire(&self, n: usize) -> Result<(), SendError<()>> {
        if n > self.chan.capacity {
            return Err(SendError(())); // would wait forever
        }
        Acquiring::new(self.slots(), n, &SEND).await.map_err(|_| SendError(()))
    }

    /// Takes `n` slots if they are free now.
    fn try_acquire(&self, n: usize) -> Result<(), TrySendError<()>> {
        if n > self.chan.capacity {
            return Err(TrySendError::Full(()));
        }
        match self.slots().try_take(n) {
            Ok(()) => Ok(()),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(())),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(())),
        }
    }

    /// Sends `value`, waiting for a free slot. Once it has the slot the send
    /// cannot fail, even if the receiver closes meanwhile.
    ///
    /// Not cancel-safe for the value: a dropped `send` future drops it. Use
    /// [`reserve`](Sender::reserve) to wait without risking the value.
    ///
    /// # Errors
    /// [`SendError`] with the value when the receiver is gone or closed.
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.acquire(1).await.is_err() {
            return Err(SendError(value));
        }
        self.chan.push_reserved(value);
        Ok(())
    }

    /// [`send`](Sender::send), giving up after `timeout`.
    ///
    /// # Errors
    /// [`SendTimeoutError::Timeout`] with the value when no slot came free in
    /// time; [`SendTimeoutError::Closed`] with it when the receiver is gone.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use runtime::sync::mpsc::{self, error::SendTimeoutError};
    ///
    /// # runtime::block_on(async {
    /// let (tx, _rx) = mpsc::channel(1);
    /// tx.send(1).await.unwrap();
    /// let full = tx.send_timeout(2, Duration::from_millis(10)).await;
    /// assert_eq!(full, Err(SendTimeoutError::Timeout(2)));
    /// # });
    /// ```
    #[cfg(not(loom))]
    pub async fn send_timeout(&self, value: T, timeout: std::time::Duration) -> Result<(), SendTimeoutError<T>> {
        match runtime_timer::timeout(timeout, self.acquire(1)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(SendTimeoutError::Closed(value)),
            Err(_) => return Err(SendTimeoutError::Timeout(value)),
        }
        self.chan.push_reserved(value);
        Ok(())
    }

    /// [`send`](Sender::send) from synchronous code, blocking this thread
    /// while the channel is full.
    ///
    /// # Errors
    /// The value back once the receiver is gone.
    ///
    /// # Panics
    /// On a thread that runs asynchronous tasks, with tokio's message.
    #[cfg(not(loom))]
    #[track_caller]
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        runtime_executor::wait_blocking(self.send(value))
    }

    /// Sends `value` if a slot is free now.
    ///
    /// # Errors
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], with the value.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.try_acquire(1) {
            Ok(()) => {}
            Err(TrySendError::Full(())) => return Err(TrySendError::Full(value)),
            Err(TrySendError::Closed(())) => return Err(TrySendError::Closed(value)),
        }
        self.chan.push_reserved(value);
        Ok(())
    }

    /// Waits for a free slot and holds it: [`Permit::send`] then cannot fail
    /// or wait. Cancel-safe: a dropped `reserve` loses its place only.
    ///
    /// # Errors
    /// [`SendError`] when the receiver is gone or closed.
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        self.acquire(1).await?;
        Ok(Permit { chan: Some(&self.chan) })
    }

    /// Takes a free slot if there is one now.
    ///
    /// # Errors
    /// [`TrySendError::Full`] or [`TrySendError::Closed`].
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        self.try_acquire(1)?;
        Ok(Permit { chan: Some(&self.chan) })
    }

    /// Waits for `n` slots at once (in arrival order) and hands them out as
    /// permits, one per message.
    ///
    /// # Errors
    /// [`SendError`] when the receiver is gone or closed, or `n` exceeds the
    /// channel's capacity (it could never be met).
    ///
    /// # Examples
    /// ```
    /// # runtime::block_on(async {
    /// let (tx, mut rx) = runtime::sync::mpsc::channel(4);
    /// for (permit, word) in tx.reserve_many(2).await.unwrap().zip(["a", "b"]) {
    ///     permit.send(word);
    /// }
    /// assert_eq!(rx.recv().await, Some("a"));
    /// assert_eq!(rx.recv().await, Some("b"));
    /// # });
    /// ```
    pub async fn reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, SendError<()>> {
        self.acquire(n).await?;
        Ok(PermitIterator { chan: &self.chan, left: n })
    }

    /// [`reserve_many`](Sender::reserve_many) if the slots are free now.
    ///
    /// # Errors
    /// [`TrySendError::Full`] (also when `n` exceeds the capacity) or [`TrySendError::Closed`].
    pub fn try_reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, TrySendError<()>> {
        self.try_acquire(n)?;
        Ok(PermitIterator { chan: &self.chan, left: n })
    }

    /// [`reserve`](Sender::reserve) with a permit that owns the sender, for
    /// a permit that outlives a borrow (moved into a task).
    ///
    /// # Errors
    /// [`SendError`] with the sender when the receiver is gone or closed.
    pub async fn reserve_owned(self) -> Result<OwnedPermit<T>, SendError<Self>> {
        match self.acquire(1).await {
            Ok(()) => Ok(OwnedPermit { sender: Some(self) }),
            Err(_) => Err(SendError(self)),
        }
    }

    /// [`try_reserve`](Sender::try_reserve) with a permit that owns the sender.
    ///
    /// # Errors
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], with the sender.
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Self>> {
        match self.try_acquire(1) {
            Ok(()) => Ok(OwnedPermit { sender: Some(self) }),
            Err(TrySendError::Full(())) => Err(TrySendError::Full(self)),
            Err(TrySendError::Closed(())) => Err(TrySendError::Closed(self)),
        }
    }

    /// Free slots right now.
    pub fn capacity(&self) -> usize {
        self.slots().available_permits()
    }

    /// The capacity the channel was made with.
    pub fn max_capacity(&self) -> usize {
        self.chan.capacity
    }
}

super::chan::sender_methods!(Sender, WeakSender, "mpsc::Sender");

/// A slot held in a bounded channel, from [`Sender::reserve`].
pub struct Permit<'a, T> {
    /// `None` once `send` used the slot.
    chan: Option<&'a Chan<T>>,
}

impl<T> Permit<'_, T> {
    /// Sends `value` into the held slot; never waits, never fails. If the
    /// receiver closed meanwhile it can still receive it; if it is gone, the
    /// value is dropped.
    pub fn send(mut self, value: T) {
        if let Some(chan) = self.chan.take() {
            chan.push_reserved(value);
        }
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        if let Some(chan) = self.chan {
            chan.release_slots(1);
        }
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Permit").finish_non_exhaustive()
    }
}

/// Slots held in a bounded channel, from [`Sender::reserve_many`]: yields
/// one [`Permit`] per slot; the slots it did not yield go back when dropped.
pub struct PermitIterator<'a, T> {
    chan: &'a Chan<T>,
    left: usize,
}

impl<'a, T> Iterator for PermitIterator<'a, T> {
    type Item = Permit<'a, T>;

    fn next(&mut self) -> Option<Permit<'a, T>> {
        self.left = self.left.checked_sub(1)?;
        Some(Permit { chan: Some(self.chan) })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<T> ExactSizeIterator for PermitIterator<'_, T> {}

impl<T> std::iter::FusedIterator for PermitIterator<'_, T> {}

impl<T> Drop for PermitIterator<'_, T> {
    fn drop(&mut self) {
        if self.left > 0 {
            self.chan.release_slots(self.left);
        }
    }
}

impl<T> fmt::Debug for PermitIterator<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::PermitIterator").field("left", &self.left).finish()
    }
}

/// A slot held in a bounded channel by a permit that owns its sender, from
/// [`Sender::reserve_owned`].
pub struct OwnedPermit<T> {
    /// `None` once `send` or `release` took the sender back.
    sender: Option<Sender<T>>,
}

impl<T> OwnedPermit<T> {
    /// Sends `value` into the held slot (never waits, never fails) and
    /// returns the sender.
    pub fn send(mut self, value: T) -> Sender<T> {
        let sender = self.take_sender();
        sender.chan.push_reserved(value);
        sender
    }

    /// Gives the slot back unused and returns the sender.
    pub fn release(mut self) -> Sender<T> {
        let sender = self.take_sender();
        sender.chan.release_slots(1);
        sender
    }

    /// Whether this permit belongs to the channel `other` belongs to.
    pub fn same_channel(&self, other: &OwnedPermit<T>) -> bool {
        matches!((&self.sender, &other.sender), (Some(a), Some(b)) if a.same_channel(b))
    }

    /// Whether this permit belongs to `sender`'s channel.
    pub fn same_channel_as_sender(&self, sender: &Sender<T>) -> bool {
        self.sender.as_ref().is_some_and(|own| own.same_channel(sender))
    }

    fn take_sender(&mut self) -> Sender<T> {
        self.sender.take().unwrap_or_else(|| unreachable!("a permit is used once"))
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(sender) = &self.sender {
            sender.chan.release_slots(1);
        }
    }
}

impl<T> fmt::Debug for OwnedPermit<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::OwnedPermit").finish_non_exhaustive()
    }
}

/// Receives from a bounded channel; also a [`Stream`](futures_core::Stream).
pub struct Receiver<T> {
    rx: Rx<T>,
}

impl<T> Receiver<T> {
    /// Free slots right now.
    pub fn capacity(&self) -> usize {
        self.rx.chan.slots.as_ref().map_or(0, crate::Semaphore::available_permits)
    }

    /// The capacity the channel was made with.
    pub fn max_capacity(&self) -> usize {
        self.rx.chan.capacity
    }
}

super::chan::receiver_methods!(Receiver, "mpsc::Receiver");
