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
use std::task::{Context, Poll};

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
        // Relaxed: a call that happened before this one is seen by coherence;
        // a later one is seen under the lock at the first poll.
        self.notified_as(&NOTIFIED)
    }

    /// [`Notify::notified`] for a primitive built on it (a task dump names that).
    pub(crate) fn notified_as(&self, resource: &'static runtime_executor::Resource) -> Notified<'_> {
        // Acquire: pairs with the Release in `notify_waiters`. A `Notified`
        // that counts a call as made before it was created must also see
        // what the caller wrote before that call (a watch sender's version):
        // else it would check stale state and then wait for a call that
        // already came (the loom model of watch's close found this).
        let waiters_calls = self.waiters_calls.load(Acquire);
        Notified { notify: self, waiters_calls, key: None, done: false, resource }
    }

    /// Wakes the longest-waiting task, or stores a permit for the next one.
    pub fn notify_one(&self) {
        let mut state = lock(&self.state);
        let waker = state.notify_one();
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
        // Release: pairs with the Acquire in `notified_as`.
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
    /// Serves the front waiter, or stores the permit; returns the waker to wake.
    fn notify_one(&mut self) -> Option<std::task::Waker> {
        match self.waiters.front() {
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

/// The future of [`Notify::notified`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Notified<'a> {
    notify: &'a Notify,
    waiters_calls: usize,
    key: Option<usize>,
    done: bool,
    /// What a task dump says the waiting task waits on.
    resource: &'static runtime_executor::Resource,
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        let coop = std::task::ready!(runtime_executor::coop::poll_proceed(cx));
        let mut state = lock(&self.notify.state);
        let mut displaced = None;
        let ready = match self.key {
            Some(key) if state.waiters.is_linked(key) => {
                displaced = state.waiters.set_waker(key, cx.waker());
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
                self.key = Some(state.waiters.push_back(Served::Not, cx.waker().clone()));
                false
            }
        };
        drop(state);
        drop(displaced);
        if !ready {
            return crate::pending(self.resource);
        }
        self.done = true;
        coop.made_progress();
        Poll::Ready(())
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let mut state = lock(&self.notify.state);
        let removed = state.waiters.remove(key);
        // A notify_one meant for us that we will never see goes to the next.
        let waker = if removed.payload == Served::One { state.notify_one() } else { None };
        drop(state);
        drop(removed.waker);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified").field("queued", &self.key.is_some()).field("done", &self.done).finish()
    }
}
