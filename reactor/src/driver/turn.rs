//! A worker's turn at the epoll wait, and the interrupter the timers use.

use std::sync::Weak;

use super::{Inner, EVENTS_PER_WAIT};
use crate::handoff::Turn;
use crate::sync::lock;
use crate::sys::{minimize_timer_slack, Events};
use crate::wake::wake_all_caught;

/// A worker's turn at the epoll wait ([`Handle::try_acquire_wait`](super::Handle::try_acquire_wait)): the
/// wait is given back when this is dropped, on unwinding too.
#[derive(Debug)]
pub struct WaitTurn<'a> {
    inner: &'a Inner,
    _turn: Turn<'a>,
}

impl<'a> WaitTurn<'a> {
    pub(super) fn new(inner: &'a Inner, turn: Turn<'a>) -> WaitTurn<'a> {
        WaitTurn { inner, _turn: turn }
    }

    /// Collects ready events and wakes their tasks on this thread; with
    /// `block`, first waits until at least one event (or
    /// [`Handle::interrupt_wait`](super::Handle::interrupt_wait)) arrives. A waker that panics is skipped
    /// ([`wake_caught`](crate::wake_caught)).
    pub fn wait(&self, block: bool) {
        thread_local!(static SLACK_MINIMIZED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
        if block && !SLACK_MINIMIZED.replace(true) {
            minimize_timer_slack();
        }
        let buffers = lock(&self.inner.worker_buffers).take();
        let (mut events, mut wakers) = buffers.unwrap_or_else(|| (Events::with_capacity(EVENTS_PER_WAIT), Vec::new()));
        self.inner.wait_once(&mut events, &mut wakers, block, &mut wake_all_caught);
        wake_all_caught(&mut wakers);
        *lock(&self.inner.worker_buffers) = Some((events, wakers));
    }
}

/// Interrupts a reactor's epoll wait, for timers registered with an earlier
/// deadline than the one it waits for (see [`Handle::interrupter`](super::Handle::interrupter)).
#[derive(Clone, Debug)]
pub struct Interrupter {
    inner: Weak<Inner>,
}

impl Interrupter {
    pub(super) fn new(inner: Weak<Inner>) -> Interrupter {
        Interrupter { inner }
    }

    /// Makes the thread waiting in epoll look at the deadlines again, and the
    /// reactor thread in its stand-by too: its nap was measured against the
    /// old deadline, and a worker waiting in epoll now may leave the wait
    /// before the new one (then only the reactor thread watches the timers).
    pub fn interrupt(&self) {
        let Some(inner) = self.inner.upgrade() else { return };
        inner.eventfd.wake();
        inner.stand_by.kick();
    }
}
