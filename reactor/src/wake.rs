//! Waking wakers from the runtime's own threads.
//!
//! A waker runs code the runtime did not write (an outside executor's, a
//! test's). When that code panics on the reactor thread, on a worker
//! dispatching events or on the timer thread, the panic hook has reported
//! it, and the thread must go on serving every other source: the panic is
//! caught here, once per waker, and goes no further.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::Waker;

/// Wakes `waker`, catching a panic in its code (module docs).
pub fn wake_caught(waker: Waker) {
    let _ = catch_unwind(AssertUnwindSafe(|| waker.wake()));
}

/// Wakes every waker in `wakers` with [`wake_caught`], leaving it empty.
pub fn wake_all_caught(wakers: &mut Vec<Waker>) {
    wakers.drain(..).for_each(wake_caught);
}
