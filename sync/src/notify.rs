//! [`Notify`]: wakes one waiting task, or all of them, without a value.
//!
//! # Protocol
//! The state sits behind one lock: a stored permit (a `notify_one` that found
//! nobody waiting), the FIFO of waiters, and a count of `notify_waiters`
//! calls. A [`Notified`] future reads that count when it is created, so a
//! `notify_waiters` that comes between its creation and its first poll still
//! completes it (as tokio's: create the future, check your condition, then
//! await it, and no wake-up is lost).
//!
//! ```text
//!              notify_one, nobody waits            notified() polled
//! no permit ─────────────────────────────▶ permit ─────────────────▶ no permit (Ready)
//! waiter queued ─notify_one (front)──▶ served ─poll─▶ Ready
//!               ─notify_waiters (all)─▶ served ─drop before poll─▶ (one-shot: passed on)
//! ```
//! A waiter served by `notify_one` and dropped before it saw it passes the
//! notification on to the next waiter (or back to the permit), so a
//! cancelled `notified().await` loses nothing.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering::{Acquire, Release};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::sync::{lock, AtomicUsize, Mutex};
use crate::wait_list::{WaitList, WakeList};

/// What a task waiting in `notified()` waits on, in a task dump.
static NOTIFIED: runtime_executor::Resource = runtime_executor::Resource::new("Notify::notified");

/// Wakes tasks waiting for an event that carries no value.
///
/// [`notify_one`](Notify::notify_one) wakes the longest-waiting task, or, if
/// none waits, stores one permit that the next
/// [`notified()`](Notify::notified) consumes at once.
/// [`notify_waiters`](Notify::notify_waiters) wakes every task waiting now and
/// stores nothing.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use runtime::sync::Notify;
///
/// # runtime::block_on(async {
/// let notify = Arc::new(Notify::new());
/// let waiter = runtime::spawn({
///     let notify = notify.clone();
///     async move { notify.notified().await }
/// });
/// notify.notify_one(); // kept as a permit if the task has not waited yet
/// waiter.await.unwrap();
/// # });
/// ```
pub struct Notify {
    state: Mutex<State>,
    /// `notify_waiters` calls so far; written under the lock.
    waiters_calls: AtomicUsize,
}

#[derive(Debug)]
struct State {
    permit: bool,
    waiters: WaitList<Served>,
    waiters_calls: usize,
}

/// What a waiter was woken by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Served {
    Not,
    One,
    All,
}

impl Notify {
    /// A `Notify` with no permit and nobody waiting.
    pub fn new() -> Notify {
        Notify {
            state: Mutex::new(State { permit: false, waiters: WaitList::new(), waiters_calls: 0 }),
            waiters_calls: AtomicUsize::new(0),
        }
    }

    /// A `Notify` with no permit and nobody waiting, in a `const` context
    /// (a `static`), as tokio's `const_new`.
    #[cfg(not(loom))]
    pub const fn const_new() -> Notify {
        Notify {
            state: Mutex::new(State { permit: false, waiters: WaitList::new(), waiters_calls: 0 }),
            waiters_calls: AtomicUsize::new(0),
        }
    }

    /// A future that completes at the next notification meant for it.
    pub fn notified(&self) -> Notified<'_> {
        self.notified_as(&NOTIFIED)
    }

    /// [`notified`](Notify::notified) as a future that owns a reference to
    /// the `Notify`, for a `'static` task or a struct that keeps it.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// use runtime::sync::Notify;
    ///
    /// # runtime::block_on(async {
    /// let notify = Arc::new(Notify::new());
    /// let notified = notify.clone().notified_owned();
    /// let waiter = runtime::spawn(notified); // 'static: no borrow of `notify`
    /// notify.notify_one();
    /// waiter.await.unwrap();
    /// # });
    /// ```
    pub fn notified_owned(self: Arc<Self>) -> OwnedNotified {
        let waiting = Waiting::new(&self, &NOTIFIED);
        OwnedNotified { notify: self, waiting }
    }

    /// [`Notify::notified`] for a primitive built on it (a task dump names that).
    pub(crate) fn notified_as(&self, resource: &'static runtime_executor::Resource) -> Notified<'_> {
        Notified { notify: self, waiting: Waiting::new(self, resource) }
    }

    /// Wakes the longest-waiting task, or stores a permit for the next one.
    pub fn notify_one(&self) {
        self.notify_at(State::front);
    }

    /// Wakes the task that began waiting last, or stores a permit for the
    /// next one (a LIFO [`notify_one`](Notify::notify_one)).
    ///
    /// # Examples
    /// ```
    /// use std::pin::pin;
    /// use runtime::sync::Notify;
    ///
    /// # runtime::block_on(async {
    /// let notify = Notify::new();
    /// let (mut first, mut last) = (pin!(notify.notified()), pin!(notify.notified()));
    /// first.as_mut().enable();
    /// last.as_mut().enable();
    /// notify.notify_last();
    /// assert!(last.as_mut().enable(), "the later waiter was served");
    /// assert!(!first.as_mut().enable());
    /// # });
    /// ```
    pub fn notify_last(&self) {
        self.notify_at(State::back);
    }

    /// Serves the waiter `pick` chooses, or stores the permit.
    fn notify_at(&self, pick: fn(&State) -> Option<usize>) {
        let mut state = lock(&self.state);
        let waker = state.notify(pick);
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Wakes every task waiting now, and every [`Notified`] created before
    /// this call; stores no permit.
    pub fn notify_waiters(&self) {
        let mut wakes = WakeList::new();
        let mut state = lock(&self.state);
        state.waiters_calls = state.waiters_calls.wrapping_add(1);
        // Release: pairs with the Acquire in `Waiting::new`.
        self.waiters_calls.store(state.waiters_calls, Release);
        while let Some(key) = state.waiters.front() {
            *state.waiters.payload_mut(key) = Served::All;
            wakes.push(state.waiters.unlink(key));
        }
        drop(state);
        wakes.wake_all();
    }
}

impl State {
    fn front(&self) -> Option<usize> {
        self.waiters.front()
    }

    fn back(&self) -> Option<usize> {
        self.waiters.back()
    }

    /// Serves the waiter `pick` chooses, or stores the permit when none
    /// waits; returns the waker to wake.
    fn notify(&mut self, pick: fn(&State) -> Option<usize>) -> Option<Waker> {
        match pick(self) {
            Some(key) => {
                *self.waiters.payload_mut(key) = Served::One;
                self.waiters.unlink(key)
            }
            None => {
                self.permit = true;
                None
            }
        }
    }
}

impl Default for Notify {
    fn default() -> Self {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("Notify").field("permit", &state.permit).field("waiters", &state.waiters.len()).finish()
    }
}

/// A wait on a [`Notify`]: the state [`Notified`] and [`OwnedNotified`] share.
#[derive(Debug)]
struct Waiting {
    /// `notify_waiters` calls seen when the future was created.
    waiters_calls: usize,
    /// The wait-list key while queued.
    key: Option<usize>,
    /// Set once notified: every later poll is Ready.
    done: bool,
    /// What a task dump says the waiting task waits on.
    resource: &'static runtime_executor::Resource,
}

impl Waiting {
    fn new(notify: &Notify, resource: &'static runtime_executor::Resource) -> Waiting {
        // Acquire: pairs with the Release in `notify_waiters`. A future that
        // counts a call as made before it was created must also see what the
        // caller wrote before that call (a watch sender's version): else it
        // would check stale state and then wait for a call that already came
        // (the loom model of watch's close found this).
        let waiters_calls = notify.waiters_calls.load(Acquire);
        Waiting { waiters_calls, key: None, done: false, resource }
    }

    /// Takes a permit or a notification meant for us, or queues with
    /// `waker` (or refreshes it); returns whether we are notified.
    fn register(&mut self, notify: &Notify, waker: &Waker) -> bool {
        if self.done {
            return true;
        }
        let mut state = lock(&notify.state);
        let mut displaced = None;
        let ready = match self.key {
            Some(key) if state.waiters.is_linked(key) => {
                displaced = state.waiters.set_waker(key, waker);
                false
            }
            Some(key) => {
                let _served = state.waiters.remove(key);
                self.key = None;
                true
            }
            None if state.waiters_calls != self.waiters_calls => true,
            None if state.permit => {
                state.permit = false;
                true
            }
            None => {
                self.key = Some(state.waiters.push_back(Served::Not, waker.clone()));
                false
            }
        };
        drop(state);
        drop(displaced);
        self.done = ready;
        ready
    }

    fn poll(&mut self, notify: &Notify, cx: &mut Context<'_>) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        let coop = std::task::ready!(runtime_executor::coop::poll_proceed(cx));
        if !self.register(notify, cx.waker()) {
            return crate::pending(self.resource);
        }
        coop.made_progress();
        Poll::Ready(())
    }

    /// Leaves the queue; a `notify_one` meant for us that we will never see
    /// goes to the next waiter.
    fn cancel(&mut self, notify: &Notify) {
        let Some(key) = self.key.take() else { return };
        let mut state = lock(&notify.state);
        let removed = state.waiters.remove(key);
        let waker = if removed.payload == Served::One { state.notify(State::front) } else { None };
        drop(state);
        drop(removed.waker);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The future of [`Notify::notified`].
///
/// It can also take its place among the waiters before it is first polled,
/// with [`enable`](Notified::enable): a `notify_one` then reaches it even if
/// nothing polls it yet.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Notified<'a> {
    notify: &'a Notify,
    waiting: Waiting,
}

impl Notified<'_> {
    /// Queues this future among the waiters without polling it (no waker:
    /// whoever notifies it wakes no task until it is polled). Returns whether
    /// it is already notified, by a `notify_waiters` since its creation, a
    /// stored permit (which it takes), or a notification since it queued; a
    /// poll is then Ready at once.
    pub fn enable(mut self: Pin<&mut Self>) -> bool {
        let notify = self.notify;
        self.waiting.register(notify, Waker::noop())
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let notify = self.notify;
        self.waiting.poll(notify, cx)
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        self.waiting.cancel(self.notify);
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified").field("waiting", &self.waiting).finish()
    }
}

/// The future of [`Notify::notified_owned`]: a [`Notified`] that owns its
/// `Arc<Notify>`.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct OwnedNotified {
    notify: Arc<Notify>,
    waiting: Waiting,
}

impl OwnedNotified {
    /// As [`Notified::enable`].
    pub fn enable(mut self: Pin<&mut Self>) -> bool {
        let this = &mut *self;
        this.waiting.register(&this.notify, Waker::noop())
    }
}

impl Future for OwnedNotified {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        this.waiting.poll(&this.notify, cx)
    }
}

impl Drop for OwnedNotified {
    fn drop(&mut self) {
        self.waiting.cancel(&self.notify);
    }
}

impl fmt::Debug for OwnedNotified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedNotified").field("waiting", &self.waiting).finish()
    }
}
