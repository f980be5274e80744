//! A thread blocked on one future (`block_on`): the future's waker sets a
//! flag and unparks the thread, whose park token makes a wake-up between a
//! `Pending` poll and the park impossible to lose. Meanwhile the thread runs
//! the local tasks it spawned (local.rs).

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::coop;
use crate::task::pinned::{Entered, LocalTasks};
use crate::wake_flag::WakeFlag;

/// Tasks polled between two looks at a `block_on` thread's main future (its
/// local tasks, and a current-thread driver's queue too).
pub(crate) const MAIN_FUTURE_INTERVAL: usize = 61;

/// The calling thread, blocked on a main future.
pub(crate) struct Blocked {
    /// Set by the main future's waker (wake_flag.rs).
    woken: Arc<WakeFlag>,
    waker: Waker,
    /// This thread's local tasks, until dropped.
    entered: Entered,
}

impl Blocked {
    /// `unpark` rouses this thread (and whatever else must look again).
    pub(crate) fn new(unpark: impl Fn() + Send + Sync + 'static) -> Blocked {
        let unpark = Arc::new(unpark);
        let woken = Arc::new(WakeFlag::new());
        let waker = {
            let (woken, unpark) = (woken.clone(), unpark.clone());
            waker_fn::waker_fn(move || {
                woken.wake();
                unpark();
            })
        };
        let entered = LocalTasks::new(move || unpark()).enter();
        Blocked { woken, waker, entered }
    }

    /// The local tasks this thread runs meanwhile.
    pub(crate) fn local(&self) -> &LocalTasks {
        self.entered.tasks()
    }

    /// Polls the main future if it was woken since its last poll.
    pub(crate) fn poll_main<F: Future>(&self, future: Pin<&mut F>, budget: bool) -> Poll<F::Output> {
        if !self.woken.take() {
            return Poll::Pending;
        }
        coop::budgeted(budget, || future.poll(&mut Context::from_waker(&self.waker)))
    }

    /// True when the main future was woken and waits for its poll.
    pub(crate) fn is_woken(&self) -> bool {
        self.woken.is_set()
    }

    /// One turn of a thread that runs nothing else: the main future, then
    /// some local tasks; parks when there was nothing to do.
    pub(crate) fn turn<F: Future>(&self, future: Pin<&mut F>, budget: bool) -> Poll<F::Output> {
        if let Poll::Ready(output) = self.poll_main(future, budget) {
            return Poll::Ready(output);
        }
        let ran = self.local().run_some(MAIN_FUTURE_INTERVAL, |task| coop::budgeted(budget, || task.run()));
        if ran == 0 && !self.is_woken() {
            std::thread::park();
        }
        Poll::Pending
    }
}

/// Polls `future` on this thread, parking between polls until it is woken.
/// Waits on this thread for `future`, for synchronous code that talks to
/// tasks (the `blocking_*` bridges of `runtime::sync`): no runtime is
/// entered, the thread parks between wakes.
///
/// # Panics
/// On a thread that drives tasks (a worker, or inside `block_on`), with
/// tokio's message.
#[doc(hidden)]
#[track_caller]
pub fn wait_blocking<F: Future>(future: F) -> F::Output {
    if !crate::runtime::context::may_block() {
        panic!("{}", crate::runtime::context::CANNOT_BLOCK);
    }
    park_on(future)
}

pub(crate) fn park_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let thread = std::thread::current();
    let blocked = Blocked::new(move || thread.unpark());
    loop {
        if let Poll::Ready(output) = blocked.turn(future.as_mut(), true) {
            return output;
        }
    }
}
