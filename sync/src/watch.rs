//! [`watch`](self): the latest value, and a wake-up when it changes.
//!
//! The value sits behind a reader-writer lock with a version counter beside
//! it (bit 0: the sender is gone; the rest counts sends). A receiver keeps the
//! version it last saw; `changed()` completes when the counter moved past it.
//! Waiting goes through a [`Notify`]: the `Notified` future is created before
//! the version is checked, so a send in between is never missed.

use std::fmt;
use std::ops::Deref;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};
use std::sync::PoisonError;

pub use crate::error::{RecvError, SendError};
use crate::sync::{Arc, AtomicUsize, RwLock, RwLockReadGuard};
use crate::Notify;

/// What a receiver waiting for a new value waits on, in a task dump.
static CHANGED: runtime_executor::Resource = runtime_executor::Resource::new("watch::Receiver::changed");

const CLOSED: usize = 1;
const STEP: usize = 2;

/// A watch channel starting at `init`.
///
/// # Examples
/// ```
/// # runtime::block_on(async {
/// let (tx, mut rx) = runtime::sync::watch::channel("starting");
/// runtime::spawn(async move { tx.send("ready").unwrap() });
/// rx.changed().await.unwrap();
/// assert_eq!(*rx.borrow_and_update(), "ready");
/// # });
/// ```
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        value: RwLock::new(init),
        version: AtomicUsize::new(0),
        receivers: AtomicUsize::new(1),
        senders: AtomicUsize::new(1),
        changed: Notify::new(),
        receivers_gone: Notify::new(),
    });
    (Sender { shared: shared.clone() }, Receiver { shared, seen: 0 })
}

struct Shared<T> {
    value: RwLock<T>,
    /// Sends so far (times STEP), and CLOSED.
    version: AtomicUsize,
    receivers: AtomicUsize,
    /// Senders alive: the last one's drop closes the channel.
    senders: AtomicUsize,
    changed: Notify,
    receivers_gone: Notify,
}

impl<T> Shared<T> {
    fn read(&self) -> RwLockReadGuard<'_, T> {
        self.value.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn version(&self) -> usize {
        self.version_and_closed().0
    }

    fn is_closed(&self) -> bool {
        self.version_and_closed().1
    }

    /// The version and whether the sender is gone, from one load: two loads
    /// could see the close and not the send just before it.
    fn version_and_closed(&self) -> (usize, bool) {
        // Acquire: pairs with the AcqRel of the send that bumped it, after writing the value.
        let word = self.version.load(Acquire);
        (word & !CLOSED, word & CLOSED != 0)
    }
}

/// Publishes new values to every [`Receiver`].
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// A sender with no receiver yet (make them with [`subscribe`](Sender::subscribe)).
    pub fn new(init: T) -> Sender<T> {
        channel(init).0
    }

    /// Replaces the value and wakes every receiver.
    ///
    /// # Errors
    /// [`SendError`] with the value when there is no receiver (the value is
    /// then not stored).
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.shared.receivers.load(Acquire) == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Replaces the value even with no receiver; returns the old one.
    pub fn send_replace(&self, value: T) -> T {
        let mut old = None;
        self.send_modify(|current| old = Some(std::mem::replace(current, value)));
        old.unwrap_or_else(|| unreachable!("send_modify ran the closure"))
    }

    /// Changes the value in place and wakes every receiver, even with none.
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.send_if_modified(|value| {
            modify(value);
            true
        });
    }

    /// Changes the value in place; when `modify` returns true, the change is
    /// a new version and every receiver is woken; when false, nobody is.
    /// Returns what `modify` returned.
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        {
            let mut value = self.shared.value.write().unwrap_or_else(PoisonError::into_inner);
            if !modify(&mut value) {
                return false;
            }
            // AcqRel: Release publishes the new value to receivers that see the version.
            self.shared.version.fetch_add(STEP, AcqRel);
        }
        self.shared.changed.notify_waiters();
        true
    }

    /// Senders alive now.
    pub fn sender_count(&self) -> usize {
        self.shared.senders.load(Relaxed)
    }

    /// The current value (holding it blocks senders: keep it short).
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref { guard: self.shared.read(), has_changed: false }
    }

    /// A new receiver that has seen the current value.
    pub fn subscribe(&self) -> Receiver<T> {
        self.shared.receivers.fetch_add(1, Relaxed);
        Receiver { shared: self.shared.clone(), seen: self.shared.version() }
    }

    /// Receivers alive now.
    pub fn receiver_count(&self) -> usize {
        self.shared.receivers.load(Relaxed)
    }

    /// Whether every receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Waits until every receiver is gone.
    pub async fn closed(&self) {
        // Budgeted like every other wait: a loop on a closed channel yields.
        let coop = std::future::poll_fn(runtime_executor::coop::poll_proceed).await;
        loop {
            let notified = self.shared.receivers_gone.notified();
            if self.is_closed() {
                return coop.made_progress();
            }
            notified.await;
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        self.shared.senders.fetch_add(1, Relaxed);
        Sender { shared: self.shared.clone() }
    }
}

impl<T: Default> Default for Sender<T> {
    fn default() -> Sender<T> {
        Sender::new(T::default())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // AcqRel: the last sender sees every other sender's sends.
        if self.shared.senders.fetch_sub(1, AcqRel) != 1 {
            return;
        }
        // Release: receivers that see CLOSED see every send before it.
        self.shared.version.fetch_or(CLOSED, AcqRel);
        self.shared.changed.notify_waiters();
    }
}

impl<T: fmt::Debug> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Sender").field("value", &*self.shared.read()).finish()
    }
}

/// Watches the latest value of a [`channel`].
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The version this receiver last saw.
    seen: usize,
}

impl<T> Receiver<T> {
    /// The current value, without marking it seen.
    pub fn borrow(&self) -> Ref<'_, T> {
        let guard = self.shared.read();
        let has_changed = self.shared.version() != self.seen;
        Ref { guard, has_changed }
    }

    /// The current value, marking it seen.
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = self.shared.read();
        let version = self.shared.version();
        let has_changed = version != self.seen;
        self.seen = version;
        Ref { guard, has_changed }
    }

    /// Whether a value was sent since this receiver last marked one seen.
    ///
    /// # Errors
    /// [`RecvError`] when the sender is gone.
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        if self.shared.is_closed() {
            return Err(RecvError(()));
        }
        Ok(self.shared.version() != self.seen)
    }

    /// Marks the current value seen.
    pub fn mark_unchanged(&mut self) {
        self.seen = self.shared.version();
    }

    /// Marks the current value unseen: the next [`changed`](Receiver::changed)
    /// returns at once.
    pub fn mark_changed(&mut self) {
        self.seen = self.shared.version().wrapping_sub(STEP);
    }

    /// Waits until the value satisfies `f` (the current one first, even if
    /// seen already), marks it seen and returns it.
    ///
    /// # Errors
    /// [`RecvError`] when the sender is gone and the last value does not satisfy `f`.
    pub async fn wait_for(&mut self, mut f: impl FnMut(&T) -> bool) -> Result<Ref<'_, T>, RecvError> {
        loop {
            // Created before the look, so a send in between is not missed.
            let notified = self.shared.changed.notified_as(&CHANGED);
            // The version under the read lock: no send can change it
            // meanwhile. The guard lives in this block only, so the future
            // holds none across the await (it stays `Send`).
            let closed = {
                let guard = self.shared.read();
                let (version, closed) = self.shared.version_and_closed();
                let has_changed = version != self.seen;
                self.seen = version;
                if f(&guard) {
                    return Ok(Ref { guard, has_changed });
                }
                closed
            };
            if closed {
                return Err(RecvError(()));
            }
            notified.await;
        }
    }

    /// Waits for a value newer than the last one seen, and marks it seen.
    /// Cancel-safe.
    ///
    /// # Errors
    /// [`RecvError`] when the sender is gone and nothing new was sent.
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        // Budgeted like every other wait: a loop on an always-changed value yields.
        let coop = std::future::poll_fn(runtime_executor::coop::poll_proceed).await;
        loop {
            // Created before the check, so a send in between is not missed.
            let notified = self.shared.changed.notified_as(&CHANGED);
            let (version, closed) = self.shared.version_and_closed();
            if version != self.seen {
                self.seen = version;
                coop.made_progress();
                return Ok(());
            }
            if closed {
                coop.made_progress();
                return Err(RecvError(()));
            }
            notified.await;
        }
    }

    /// Whether both receivers watch the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.receivers.fetch_add(1, Relaxed);
        Receiver { shared: self.shared.clone(), seen: self.seen }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // AcqRel: the sender that sees zero sees this receiver gone.
        if self.shared.receivers.fetch_sub(1, AcqRel) == 1 {
            self.shared.receivers_gone.notify_waiters();
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Receiver").field("value", &*self.shared.read()).field("seen", &self.seen).finish()
    }
}

/// A read lock on a watch channel's value.
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// Whether this value is newer than the one the receiver had seen.
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The errors of this module's channel, at tokio's path (`watch::error`);
/// the same types as at the module's root.
pub mod error {
    pub use super::{RecvError, SendError};
}
