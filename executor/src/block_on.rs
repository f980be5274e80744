//! Blocking the calling thread on one future, with `std::thread::park` as the
//! waker: the park token makes a wake-up between a `Pending` poll and the park
//! impossible to lose.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};

/// Polls `future` on this thread, parking between polls until it is woken.
pub(crate) fn park_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let thread = std::thread::current();
    let waker = waker_fn::waker_fn(move || thread.unpark());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = crate::coop::budgeted(true, || future.as_mut().poll(&mut cx)) {
            return output;
        }
        std::thread::park();
    }
}
