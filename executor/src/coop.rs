//! The cooperative budget: a task that finds its resources always ready still
//! yields, so it cannot hold a worker and starve the tasks queued behind it.
//!
//! Each task poll starts with [`BUDGET`] units (a thread-local, set by the
//! scheduler around the poll). Every runtime resource that can be ready again
//! and again — socket reads, writes and accepts, `Sleep`, `JoinHandle`, file
//! reads and writes — calls [`poll_proceed`] before it completes an operation:
//! it spends a unit, or, when none is left, wakes the task and returns
//! `Pending`. The woken task goes to the back of its queue (a self-wake is a
//! yield), and its next poll starts with a full budget. An operation that
//! returns `Pending` for its own reason gives its unit back.
//!
//! Outside a task poll (a plain thread, a foreign executor) and inside
//! [`unconstrained`] there is no budget: nothing is ever refused.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

/// Units a task may spend in one poll (as tokio's): enough that ordinary polls
/// never meet the limit, few enough that a hog yields within microseconds.
pub const BUDGET: u8 = 128;

crate::sync::thread_local! {
    /// The running poll's units left; `None` when unconstrained.
    static LEFT: Cell<Option<u8>> = const { Cell::new(None) };
}

/// Runs `poll` (one task poll) with a full budget, or unconstrained when the
/// budget is switched `off` (a fairness test's guard switch).
pub(crate) fn budgeted<R>(on: bool, poll: impl FnOnce() -> R) -> R {
    with_budget(on.then_some(BUDGET), poll)
}

/// Runs `f` with no budget: for a non-async `try_*` that polls budgeted
/// resources (a `try_*` never waits, so it must never be refused either),
/// leaving the running poll's budget as it was.
pub(crate) fn unbudgeted<R>(f: impl FnOnce() -> R) -> R {
    with_budget(None, f)
}

/// Whether the running poll has spent its whole budget: called at the end of
/// a task poll, it tells the scheduler the task is a hog.
pub(crate) fn is_spent() -> bool {
    LEFT.with(Cell::get) == Some(0)
}

/// Runs `f` with `budget`, then restores the previous one (also on panic).
fn with_budget<R>(budget: Option<u8>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u8>);
    impl Drop for Restore {
        fn drop(&mut self) {
            LEFT.with(|cell| cell.set(self.0));
        }
    }
    let _restore = Restore(LEFT.with(|cell| cell.replace(budget)));
    f()
}

/// Spends one unit of the running task's budget before a resource completes
/// an operation.
///
/// Returns `Pending`, after waking the task, when the budget is spent. The
/// returned guard gives the unit back when dropped, unless
/// [`RestoreOnPending::made_progress`] says the operation completed: an
/// operation that ends `Pending` for its own reason costs nothing.
///
/// # Examples
/// A resource of your own that is always ready, made to yield:
/// ```
/// use std::task::{Context, Poll};
///
/// fn poll_next_item(cx: &mut Context<'_>) -> Poll<u32> {
///     let coop = std::task::ready!(runtime_executor::coop::poll_proceed(cx));
///     coop.made_progress();
///     Poll::Ready(7)
/// }
/// # let rt = runtime_executor::Runtime::new()?;
/// # rt.block_on(runtime_executor::spawn(std::future::poll_fn(|cx| poll_next_item(cx)))).unwrap();
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    match LEFT.with(Cell::get) {
        None => Poll::Ready(RestoreOnPending { spent: false }),
        Some(0) => {
            // The wake during our own poll reschedules the task at the back.
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Some(left) => {
            LEFT.with(|cell| cell.set(Some(left - 1)));
            Poll::Ready(RestoreOnPending { spent: true })
        }
    }
}

/// The unit [`poll_proceed`] took: given back on drop unless the operation
/// [made progress](RestoreOnPending::made_progress).
#[derive(Debug)]
#[must_use = "dropping the guard at once gives the unit back"]
pub struct RestoreOnPending {
    spent: bool,
}

impl RestoreOnPending {
    /// The operation completed: the unit stays spent.
    pub fn made_progress(mut self) {
        self.spent = false;
    }
}

impl Drop for RestoreOnPending {
    fn drop(&mut self) {
        if self.spent {
            if let Some(left) = LEFT.with(Cell::get) {
                LEFT.with(|cell| cell.set(Some(left.saturating_add(1).min(BUDGET))));
            }
        }
    }
}

/// Runs `poll`, one operation of a resource, under the budget: refused
/// (`Pending`, task woken) when the budget is spent, a unit spent when it
/// completes, nothing when it returns `Pending` itself.
pub fn poll_budgeted<R>(cx: &mut Context<'_>, poll: impl FnOnce(&mut Context<'_>) -> Poll<R>) -> Poll<R> {
    let coop = std::task::ready!(poll_proceed(cx));
    let result = std::task::ready!(poll(cx));
    coop.made_progress();
    Poll::Ready(result)
}

/// Spends one unit of the task's budget, yielding first if it is spent.
///
/// For loops that do a lot of work without touching a runtime resource
/// (computing over in-memory data): awaiting this in the loop yields exactly
/// when the budget runs out, which is far cheaper than `yield_now` on every
/// iteration.
///
/// # Examples
/// ```
/// let rt = runtime_executor::Runtime::new()?;
/// let sum = rt.block_on(runtime_executor::spawn(async {
///     let mut sum = 0u64;
///     for i in 0..10_000 {
///         sum += i;
///         runtime_executor::coop::consume_budget().await;
///     }
///     sum
/// }));
/// assert_eq!(sum.unwrap(), 49_995_000);
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn consume_budget() {
    std::future::poll_fn(|cx| poll_proceed(cx).map(RestoreOnPending::made_progress)).await;
}

/// Runs `future` without a budget: the runtime's resources inside it never
/// make it yield. Only for futures that yield by themselves often enough; a
/// hog inside it starves the tasks queued behind it.
///
/// # Examples
/// ```
/// let rt = runtime_executor::Runtime::new()?;
/// let answer = rt.block_on(runtime_executor::coop::unconstrained(async { 42 }));
/// assert_eq!(answer, 42);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn unconstrained<F: Future>(future: F) -> Unconstrained<F> {
    Unconstrained { future }
}

pin_project! {
    /// The future returned by [`unconstrained`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Unconstrained<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let future = self.project().future;
        with_budget(None, || future.poll(cx))
    }
}

/// Whether the running task may still use a runtime resource without being
/// made to yield: true outside a task poll and inside [`unconstrained`].
///
/// # Examples
/// ```
/// let rt = runtime::Runtime::new()?;
/// rt.block_on(async { assert!(runtime::task::coop::has_budget_remaining()) });
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn has_budget_remaining() -> bool {
    LEFT.with(Cell::get) != Some(0)
}

/// Makes `future` take part in the cooperative budget as the runtime's own
/// resources do: each poll that completes it spends a unit, and a poll when
/// the budget is spent yields (`Pending`, task woken) instead of polling it.
/// For a resource of your own that may be ready again and again.
///
/// # Examples
/// ```
/// let rt = runtime::Runtime::new()?;
/// let value = rt.block_on(runtime::task::coop::cooperative(async { 3 }));
/// assert_eq!(value, 3);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn cooperative<F: Future>(future: F) -> Cooperative<F> {
    Cooperative { future }
}

pin_project! {
    /// The future returned by [`cooperative`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Cooperative<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Cooperative<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let future = self.project().future;
        poll_budgeted(cx, |cx| future.poll(cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    fn spend_all(cx: &mut Context<'_>) -> usize {
        let mut spent = 0;
        while let Poll::Ready(coop) = poll_proceed(cx) {
            coop.made_progress();
            spent += 1;
        }
        spent
    }

    #[test]
    fn a_poll_spends_exactly_the_budget() {
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(budgeted(true, || spend_all(&mut cx)), usize::from(BUDGET));
        assert!(budgeted(true, || {
            spend_all(&mut cx);
            is_spent()
        }));
    }

    #[test]
    fn pending_operations_give_their_unit_back() {
        let mut cx = Context::from_waker(Waker::noop());
        budgeted(true, || {
            for _ in 0..1_000 {
                let Poll::Ready(coop) = poll_proceed(&mut cx) else { panic!("budget spent by restored units") };
                drop(coop);
            }
            assert_eq!(spend_all(&mut cx), usize::from(BUDGET));
        });
    }

    #[test]
    fn unconstrained_and_outside_a_poll_never_refuse() {
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..1_000 {
            assert!(poll_proceed(&mut cx).is_ready());
        }
        budgeted(true, || {
            let inner = with_budget(None, || (0..1_000).all(|_| poll_proceed(&mut cx).is_ready()));
            assert!(inner);
            // The outer budget is back, untouched.
            assert_eq!(spend_all(&mut cx), usize::from(BUDGET));
        });
    }
}
