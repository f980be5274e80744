//! The reactor thread's loop: stand by while a worker holds the epoll wait,
//! otherwise take the wait, and wake each batch (module docs of `driver`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering::Acquire;
use std::task::Waker;

use super::{Inner, WakeBatch, EVENTS_PER_WAIT, HANDOFF_WINDOW, MAX_STAND_BY};
use crate::sys::{minimize_timer_slack, Events};
use crate::wake::wake_all_caught;

pub(super) fn run(inner: &Inner, wake: WakeBatch) {
    minimize_timer_slack();
    let mut events = Events::with_capacity(EVENTS_PER_WAIT);
    let mut wakers = Vec::new();
    let mut flushed = 0;
    while !inner.shutdown.load(Acquire) {
        let workers_wait = inner.workers_wait.load(Acquire);
        if workers_wait {
            inner.stand_by.stand_by(inner, HANDOFF_WINDOW, MAX_STAND_BY);
        }
        // Acquire: pairs with `flush_events`; a wait that starts after this
        // read sees every event ready when that flush began.
        let flush = inner.flushes.before_pass();
        // With workers waiting too, the window opens as the turn ends: the
        // tasks we are about to wake run on workers that will want the wait.
        // A waker's panic must not stop the reactor thread: the batch
        // function catches each (the executor's does), and a panic that
        // escapes it anyway costs the rest of this batch, not the thread.
        let mut wake_batch = |wakers: &mut Vec<Waker>| {
            if catch_unwind(AssertUnwindSafe(|| wake(wakers))).is_err() {
                wake_all_caught(wakers);
            }
        };
        if let Some(turn) = inner.handoff.try_reactor(workers_wait) {
            inner.wait_once(&mut events, &mut wakers, flush == flushed, &mut wake_batch);
            drop(turn);
        } else if let Some(deadlines) = inner.deadlines() {
            // A worker holds the wait: fire the timers it has left overdue.
            deadlines.fire(&mut wakers, &mut wake_batch);
        }
        if !wakers.is_empty() {
            wake_batch(&mut wakers);
        }
        // A `wake` that left some behind: drop them outside any lock.
        wakers.clear();
        if flush != flushed {
            flushed = flush;
            inner.flushes.answer(flush);
        }
    }
    inner.fail_all();
}
