//! The timers a reactor serves: it waits in epoll no longer than their next
//! deadline and fires the due ones after each wait.
//!
//! The timer crate implements [`Deadlines`]; the reactor knows only this
//! trait and `Waker`.

use std::task::Waker;
use std::time::Instant;

/// A runtime's timers as the thread waiting in epoll sees them.
pub trait Deadlines: Send + Sync + std::fmt::Debug {
    /// The deadline to wait until, at the latest, by a thread about to wait
    /// in epoll (`None`: no timer is pending). A timer registered later with
    /// an earlier deadline interrupts that wait ([`Interrupter`](crate::Interrupter)).
    fn arm(&self) -> Option<Instant>;

    /// The next deadline or an earlier instant (never a later one), cheaply.
    fn next(&self) -> Option<Instant>;

    /// Wakes every timer now due. Their wakers join `wakers` (which may hold
    /// the caller's I/O wakers already) and `wake` is called on the whole
    /// batch before this returns; firings are serialized from collection to
    /// wake, so no thread wakes a timer before another thread has woken one
    /// with an earlier deadline. When no timer is due, nothing is woken and
    /// `wakers` is left to the caller.
    fn fire(&self, wakers: &mut Vec<Waker>, wake: &mut dyn FnMut(&mut Vec<Waker>));
}
