//! [`LocalSet`]: a group of tasks that are not `Send`, run on the thread
//! that awaits (or `block_on`s) the set, on either runtime flavor (tokio's
//! `LocalSet`). Its tasks are `pinned`'s local tasks with a queue of their
//! own; whoever drives the set is woken when one of them is.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::coop;
use crate::sync::{lock, Mutex};
use crate::task::pinned::{LocalTasks, Scope};
use crate::task::JoinHandle;
use crate::Handle;

/// Local tasks run per poll of the set, before it yields to its own
/// scheduler (as tokio's): a set with much work does not hog its thread.
const MAX_TASKS_PER_TICK: usize = 61;

/// A set of tasks that are not `Send`, all run on the thread that drives the
/// set: by awaiting [`run_until`](LocalSet::run_until) or the set itself,
/// or with [`block_on`](LocalSet::block_on). Inside, `task::spawn_local`
/// spawns into the set. Dropping the set cancels the tasks still in it.
///
/// A `LocalSet` is not `Send`: it stays on the thread that made it.
///
/// # Examples
/// ```
/// use std::rc::Rc;
///
/// let rt = runtime::Builder::new_current_thread().build()?;
/// let local = runtime::task::LocalSet::new();
/// let shared = Rc::new(41); // not Send
/// let answer = local.block_on(&rt, async move {
///     let task = runtime::task::spawn_local(async move { *shared + 1 });
///     task.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct LocalSet {
    tasks: Arc<LocalTasks>,
    /// The waker of whoever drives the set; a task woken from another
    /// thread (or from outside the set's polls) wakes it.
    driver: Arc<Mutex<Option<Waker>>>,
    _not_send: PhantomData<*const ()>,
}

impl LocalSet {
    /// An empty set.
    pub fn new() -> LocalSet {
        let driver: Arc<Mutex<Option<Waker>>> = Arc::default();
        let tasks = {
            let driver = driver.clone();
            LocalTasks::new(move || {
                let waker = lock(&driver).clone();
                if let Some(waker) = waker {
                    waker.wake();
                }
            })
        };
        LocalSet { tasks, driver, _not_send: PhantomData }
    }

    /// Spawns `future` into the set. It runs when the set is driven, on the
    /// driving thread.
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.tasks.spawn(future, std::panic::Location::caller())
    }

    /// Runs `future` to completion while driving the set's tasks; the tasks
    /// still pending when it completes stay in the set.
    pub fn run_until<F: Future>(&self, future: F) -> RunUntil<'_, F> {
        RunUntil { set: self, future }
    }

    /// Runs `future` on `rt` with this set, on this thread: `rt.block_on(self.run_until(future))`.
    ///
    /// # Panics
    /// As the runtime's `block_on`: inside a runtime's task or `block_on`.
    #[track_caller]
    pub fn block_on<R, F>(&self, rt: &R, future: F) -> F::Output
    where
        R: AsRef<Handle> + ?Sized,
        F: Future,
    {
        rt.as_ref().block_on(self.run_until(future))
    }

    /// Makes this set the one `task::spawn_local` spawns into, on this
    /// thread, until the guard drops (the tasks run when the set is driven).
    pub fn enter(&self) -> LocalEnterGuard {
        LocalEnterGuard { _scope: self.tasks.enter_scope(), _not_send: PhantomData }
    }

    /// Registers `cx`'s waker as the set's driver, then runs up to
    /// [`MAX_TASKS_PER_TICK`] of its queued tasks. True when more are queued.
    fn tick(&self, cx: &Context<'_>) -> bool {
        {
            let mut driver = lock(&self.driver);
            if !driver.as_ref().is_some_and(|waker| waker.will_wake(cx.waker())) {
                *driver = Some(cx.waker().clone());
            }
        }
        let _scope = self.tasks.enter_scope();
        self.tasks.run_some(MAX_TASKS_PER_TICK, |task| coop::budgeted(true, || task.run()));
        !self.tasks.is_empty()
    }
}

impl Default for LocalSet {
    fn default() -> LocalSet {
        LocalSet::new()
    }
}

impl std::fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalSet").field("tasks", &self.tasks.alive()).finish_non_exhaustive()
    }
}

impl Drop for LocalSet {
    fn drop(&mut self) {
        // On the set's own thread (it is not Send): destructors that
        // spawn_local reach this set, which refuses them.
        let _scope = self.tasks.enter_scope();
        self.tasks.shut_down();
    }
}

/// Awaiting the set runs its tasks until none is left.
impl Future for LocalSet {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let more = self.tick(cx);
        if self.tasks.alive() == 0 {
            return Poll::Ready(());
        }
        if more {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

pin_project_lite::pin_project! {
    /// The future of [`LocalSet::run_until`].
    #[must_use = "futures do nothing unless polled"]
    pub struct RunUntil<'a, F> {
        set: &'a LocalSet,
        #[pin]
        future: F,
    }
}

impl<F> std::fmt::Debug for RunUntil<'_, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunUntil").field("set", self.set).finish_non_exhaustive()
    }
}

impl<F: Future> Future for RunUntil<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        {
            // The main future may spawn_local into the set.
            let _scope = this.set.tasks.enter_scope();
            if let Poll::Ready(output) = this.future.poll(cx) {
                return Poll::Ready(output);
            }
        }
        if this.set.tick(cx) {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

/// Returned by [`LocalSet::enter`]; leaves the set when dropped.
#[must_use = "the set is left when the guard is dropped"]
pub struct LocalEnterGuard {
    _scope: Scope,
    _not_send: PhantomData<*const ()>,
}

impl std::fmt::Debug for LocalEnterGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalEnterGuard").finish_non_exhaustive()
    }
}
