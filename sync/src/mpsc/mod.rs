//! Multi-producer, single-consumer channels: [`channel`] (bounded, with
//! back-pressure) and [`unbounded_channel`].
//!
//! Messages arrive in the order each sender sent them. When every sender is
//! dropped, `recv` returns what is queued, then `None`; when the receiver is
//! dropped or closed, every send fails and returns its value in the error.

mod bounded;
mod chan;
pub mod error;
#[allow(unsafe_code)] // the ring's slots
mod ring;
mod unbounded;

pub use bounded::{channel, OwnedPermit, Permit, PermitIterator, Receiver, Sender, WeakSender};
pub use error::{SendError, TryRecvError, TrySendError};
pub use unbounded::{unbounded_channel, UnboundedReceiver, UnboundedSender, WeakUnboundedSender};
