//! Blocking the calling thread on one future, with `std::thread::park` as the
//! waker: the park token makes a wake-up between a `Pending` poll and the park
//! impossible to lose. The thread runs the local tasks spawned meanwhile too.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::coop;
use crate::local::LocalTasks;

/// Local tasks polled between two looks at the main future.
const LOCAL_INTERVAL: usize = 61;

/// Polls `future` on this thread, parking between polls until it is woken.
pub(crate) fn park_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let thread = std::thread::current();
    let woken = Arc::new(AtomicBool::new(true));
    let waker = {
        let (woken, thread) = (woken.clone(), thread.clone());
        waker_fn::waker_fn(move || {
            woken.store(true, Ordering::Release);
            thread.unpark();
        })
    };
    let mut cx = Context::from_waker(&waker);
    let local = LocalTasks::new(move || thread.unpark());
    let _entered = local.enter();
    loop {
        // Acquire: pairs with the waker's Release.
        if woken.swap(false, Ordering::AcqRel) {
            if let Poll::Ready(output) = coop::budgeted(true, || future.as_mut().poll(&mut cx)) {
                return output;
            }
        }
        let ran = local.run_some(LOCAL_INTERVAL, |task| coop::budgeted(true, || task.run()));
        if ran == 0 && !woken.load(Ordering::Acquire) {
            std::thread::park();
        }
    }
}
