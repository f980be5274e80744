//! The bounded flavor: a send waits for a free slot.

use std::fmt;

use super::chan::{Chan, Rx};
use super::error::{SendError, TrySendError};
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

    /// Sends `value`, waiting for a free slot.
    ///
    /// Not cancel-safe for the value: a dropped `send` future drops it. Use
    /// [`reserve`](Sender::reserve) to wait without risking the value.
    ///
    /// # Errors
    /// [`SendError`] with the value when the receiver is gone or closed.
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        if Acquiring::new(self.slots(), 1, &SEND).await.is_err() {
            return Err(SendError(value));
        }
        self.push(value).map_err(SendError)
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
        match self.slots().try_take(1) {
            Ok(()) => self.push(value).map_err(TrySendError::Closed),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(value)),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(value)),
        }
    }

    /// Waits for a free slot and holds it: [`Permit::send`] then cannot fail
    /// or wait. Cancel-safe: a dropped `reserve` loses its place only.
    ///
    /// # Errors
    /// [`SendError`] when the receiver is gone or closed.
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        match Acquiring::new(self.slots(), 1, &SEND).await {
            Ok(()) => Ok(Permit { sender: Some(self) }),
            Err(_) => Err(SendError(())),
        }
    }

    /// Takes a free slot if there is one now.
    ///
    /// # Errors
    /// [`TrySendError::Full`] or [`TrySendError::Closed`].
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        match self.slots().try_take(1) {
            Ok(()) => Ok(Permit { sender: Some(self) }),
            Err(TryAcquireError::NoPermits) => Err(TrySendError::Full(())),
            Err(TryAcquireError::Closed) => Err(TrySendError::Closed(())),
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

    /// Queues `value` in the slot we hold; gives the slot back if it failed.
    fn push(&self, value: T) -> Result<(), T> {
        self.chan.push(value).inspect_err(|_| self.slots().release(1))
    }
}

super::chan::sender_methods!(Sender, "mpsc::Sender");

/// A slot held in a bounded channel, from [`Sender::reserve`].
pub struct Permit<'a, T> {
    /// `None` once `send` used the slot.
    sender: Option<&'a Sender<T>>,
}

impl<T> Permit<'_, T> {
    /// Sends `value` into the held slot; never waits. When the receiver has
    /// closed meanwhile, the value is dropped.
    pub fn send(mut self, value: T) {
        if let Some(sender) = self.sender.take() {
            let _ = sender.push(value);
        }
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        if let Some(sender) = self.sender {
            sender.slots().release(1);
        }
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Permit").finish_non_exhaustive()
    }
}

/// Receives from a bounded channel; also a [`Stream`](futures_core::Stream).
pub struct Receiver<T> {
    rx: Rx<T>,
}

super::chan::receiver_methods!(Receiver, "mpsc::Receiver");
