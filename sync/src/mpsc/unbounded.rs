//! The unbounded flavor: a send never waits.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::chan::{Chan, Rx};
use super::error::{SendError, TryRecvError};
use crate::sync::Arc;

/// A channel without a bound: [`UnboundedSender::send`] never waits, so a
/// producer faster than its consumer grows the queue without limit.
///
/// # Examples
/// ```
/// # runtime::block_on(async {
/// let (tx, mut rx) = runtime::sync::mpsc::unbounded_channel();
/// tx.send("hello").unwrap();
/// drop(tx);
/// assert_eq!(rx.recv().await, Some("hello"));
/// assert_eq!(rx.recv().await, None);
/// # });
/// ```
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Chan::new(None);
    (UnboundedSender { chan: chan.clone() }, UnboundedReceiver { rx: Rx::new(chan) })
}

/// Sends into an unbounded channel; clone it for more producers.
pub struct UnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> UnboundedSender<T> {
    /// Queues `value` at once.
    ///
    /// # Errors
    /// [`SendError`] with the value when the receiver is gone or closed.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.chan.push(value).map_err(SendError)
    }

    /// Waits until the receiver is dropped or closed.
    pub async fn closed(&self) {
        self.chan.closed().await
    }

    /// Whether the receiver is dropped or closed.
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Whether both senders feed the same channel.
    pub fn same_channel(&self, other: &UnboundedSender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        UnboundedSender { chan: self.chan.clone() }
    }
}

impl<T> Drop for UnboundedSender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::UnboundedSender").field("chan", &self.chan).finish()
    }
}

/// Receives from an unbounded channel; also a [`Stream`](futures_core::Stream).
pub struct UnboundedReceiver<T> {
    rx: Rx<T>,
}

impl<T> UnboundedReceiver<T> {
    /// The next message, or `None` once every sender is gone (or the
    /// receiver closed) and the queue is drained. Cancel-safe.
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.rx.poll_recv(cx)).await
    }

    /// Waits for at least one message and moves up to `limit` into `out`;
    /// returns how many (0 only when closed and drained, or `limit` is 0).
    pub async fn recv_many(&mut self, out: &mut Vec<T>, limit: usize) -> usize {
        std::future::poll_fn(|cx| self.rx.poll_recv_many(cx, out, limit)).await
    }

    /// Polls for the next message (the body of [`recv`](UnboundedReceiver::recv)).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.rx.poll_recv(cx)
    }

    /// The next message if one is queued.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] or [`TryRecvError::Disconnected`].
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.rx.try_recv()
    }

    /// Stops every send; messages already sent can still be received.
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
impl<T> Unpin for UnboundedReceiver<T> {}

impl<T> futures_core::Stream for UnboundedReceiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.get_mut().rx.poll_recv(cx)
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::UnboundedReceiver").field("rx", &self.rx).finish()
    }
}
