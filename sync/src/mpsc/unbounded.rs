//! The unbounded flavor: a send never waits.

use super::chan::{Chan, Rx};
use super::error::SendError;
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
        self.chan.push_unbounded(value).map_err(SendError)
    }
}

super::chan::sender_methods!(UnboundedSender, WeakUnboundedSender, "mpsc::UnboundedSender");

/// Receives from an unbounded channel; also a [`Stream`](futures_core::Stream).
pub struct UnboundedReceiver<T> {
    rx: Rx<T>,
}

super::chan::receiver_methods!(UnboundedReceiver, "mpsc::UnboundedReceiver");
