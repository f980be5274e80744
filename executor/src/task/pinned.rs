//! Tasks whose futures are not `Send` ([`spawn_local`]): every thread that
//! runs tasks (a worker, or a thread inside `block_on`) keeps its own queue
//! of them, and only that thread polls or drops them; so does each
//! `LocalSet` (which is not `Send`: it stays on the thread that made it).
//!
//! # Invariants
//! 1. A local task is polled only on the thread that owns its [`LocalTasks`]
//!    (the loop that entered it, or the thread of its `LocalSet`): its waker,
//!    from whatever thread, queues it on that `LocalTasks` alone, which no
//!    other thread pops.
//! 2. The owner list holds every live local task, so the future is never the
//!    last thing a reference on another thread drops; the list is shut down
//!    on the owning thread when the loop leaves ([`Entered`]'s drop) or the
//!    `LocalSet` is dropped ([`LocalTasks::shut_down`]). Output
//!    that is not `Send` is read or dropped by the `JoinHandle`, which then is
//!    not `Send` either, or by the completing (owning) thread.
//! 3. No wake is lost: a waker on another thread pushes, then calls the loop's
//!    `wake`; the loop looks at the queue after every park, and its park
//!    (a park token) returns if `wake` came first.

use std::cell::RefCell;
use std::future::Future;
use std::ptr::NonNull;

use crate::queue::inject::Inject;
use crate::task::{Header, JoinHandle, Notified, OwnedTasks, Schedule, SpawnedAt, Task};
use std::sync::Arc;

crate::sync::thread_local! {
    /// The local tasks of the loop running on this thread.
    static CURRENT: RefCell<Option<Arc<LocalTasks>>> = const { RefCell::new(None) };
}

/// One loop's tasks that are not `Send`.
pub(crate) struct LocalTasks {
    queue: Inject<Notified>,
    owned: OwnedTasks,
    /// Rouses the owning loop from its park.
    wake: Box<dyn Fn() + Send + Sync>,
}

impl LocalTasks {
    /// Local tasks for a loop that `wake` rouses from its park.
    pub(crate) fn new(wake: impl Fn() + Send + Sync + 'static) -> Arc<LocalTasks> {
        Arc::new(LocalTasks { queue: Inject::new(), owned: OwnedTasks::unsharded(), wake: Box::new(wake) })
    }

    /// Makes these the tasks `spawn_local` reaches from this thread, until the
    /// guard drops; then the tasks still alive are cancelled, on this thread.
    pub(crate) fn enter(self: &Arc<Self>) -> Entered {
        let previous = CURRENT.with(|current| current.replace(Some(self.clone())));
        Entered { tasks: self.clone(), previous }
    }

    /// The next local task to poll.
    pub(crate) fn pop(&self) -> Option<Notified> {
        self.queue.pop()
    }

    /// The next task from these local tasks or from `other` (the loop's own
    /// queue), local first when `local_first`: a loop that flips it every
    /// turn gives each kind every other turn while both have tasks.
    pub(crate) fn pop_alternating(
        &self,
        local_first: bool,
        other: impl FnOnce() -> Option<Notified>,
    ) -> Option<Notified> {
        if local_first {
            self.pop().or_else(other)
        } else {
            other().or_else(|| self.pop())
        }
    }

    /// Local tasks alive (queued, running or waiting).
    pub(crate) fn alive(&self) -> usize {
        self.owned.len()
    }

    /// True when no local task waits to be polled (a hint outside the loop).
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Runs up to `max` of the local tasks queued now, each with `run`
    /// (taken under one lock); returns how many ran. Tasks woken meanwhile
    /// wait for the next call.
    pub(crate) fn run_some(&self, max: usize, mut run: impl FnMut(Notified)) -> usize {
        let mut batch = Vec::new();
        let Some(first) = self.queue.pop_batch(max.saturating_sub(1), |task| batch.push(task)) else { return 0 };
        let ran = 1 + batch.len();
        run(first);
        batch.into_iter().for_each(run);
        ran
    }

    /// Spawns onto these tasks; called only on their owning thread (by
    /// `spawn_local`, which found them entered here, or by their `LocalSet`,
    /// which cannot leave its thread).
    pub(crate) fn spawn<F>(self: &Arc<Self>, future: F, spawned_at: SpawnedAt) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // SAFETY: we are on the owning thread, which alone pops the queue the
        // scheduler pushes to and shuts the list down (invariants 1 and 2).
        let (handle, notified) = unsafe { self.owned.bind_local(future, self.clone(), spawned_at) };
        if let Some(notified) = notified {
            self.schedule(notified);
        }
        handle
    }

    /// Makes these the tasks `spawn_local` reaches from this thread until
    /// the guard drops, which restores the previous ones (and cancels nothing).
    pub(crate) fn enter_scope(self: &Arc<Self>) -> Scope {
        Scope(CURRENT.with(|current| current.replace(Some(self.clone()))))
    }

    /// Cancels every task still alive and refuses new ones; on the owning thread.
    pub(crate) fn shut_down(&self) {
        // Cancelling runs destructors, which may spawn_local (refused: the list
        // is closed) or wake local tasks (queued, then dropped with the queue).
        self.owned.close_and_shutdown_all();
        drop(self.queue.close());
    }

    fn is_current(self: &Arc<Self>) -> bool {
        CURRENT.with(|current| current.borrow().as_ref().is_some_and(|tasks| Arc::ptr_eq(tasks, self)))
    }
}

impl Schedule for Arc<LocalTasks> {
    fn schedule(&self, task: Notified) {
        // A refused task (the loop has left) is dropped here, outside the lock;
        // its future was already dropped on the owning thread (invariant 2).
        if self.queue.push(task).is_ok() && !self.is_current() {
            (self.wake)();
        }
    }

    fn release(&self, task: NonNull<Header>) -> Option<Task> {
        self.owned.remove(task)
    }
}

/// Leaves the loop's local tasks; see [`LocalTasks::enter`].
pub(crate) struct Entered {
    tasks: Arc<LocalTasks>,
    previous: Option<Arc<LocalTasks>>,
}

impl Entered {
    /// The local tasks entered.
    pub(crate) fn tasks(&self) -> &LocalTasks {
        &self.tasks
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        self.tasks.shut_down();
        let previous = self.previous.take();
        drop(CURRENT.with(|current| current.replace(previous)));
    }
}

/// Restores the tasks `spawn_local` reached before; see [`LocalTasks::enter_scope`].
pub(crate) struct Scope(Option<Arc<LocalTasks>>);

impl Drop for Scope {
    fn drop(&mut self) {
        let previous = self.0.take();
        drop(CURRENT.with(|current| current.replace(previous)));
    }
}

/// Spawns a future that is not `Send` onto this thread: it runs only here,
/// interleaved with the other tasks this thread runs.
///
/// Works on any thread that runs tasks: inside `block_on` (either flavor; the
/// main future of `#[runtime::main]` included) and in tasks on a multi-thread
/// runtime's workers, where the task stays on the worker that spawned it and
/// is never stolen. A local task lives as long as the loop that spawned it:
/// when that `block_on` returns, or that worker stops, the local tasks still
/// pending are dropped, on this thread.
///
/// # Panics
/// On a thread that runs no tasks (outside any runtime, or on a
/// blocking-pool thread): there would be nobody to poll the task.
///
/// # Examples
/// ```
/// use std::rc::Rc;
///
/// let rt = runtime_executor::Builder::<runtime_executor::Engine>::new_current_thread().build()?;
/// let sum = rt.block_on(async {
///     let shared = Rc::new(20); // Rc is not Send: `spawn` would refuse it
///     let task = runtime_executor::spawn_local({
///         let shared = shared.clone();
///         async move { *shared + 1 }
///     });
///     task.await.unwrap() + *shared + 1
/// });
/// assert_eq!(sum, 42);
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let tasks = CURRENT.with(|current| current.borrow().clone());
    let Some(tasks) = tasks else {
        panic!(
            "`spawn_local` was called on a thread that runs no tasks; call it inside `block_on` or \
             from a task on a runtime worker (use `spawn` for a `Send` future)"
        );
    };
    tasks.spawn(future, std::panic::Location::caller())
}

impl std::fmt::Debug for LocalTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTasks").field("queue", &self.queue).field("owned", &self.owned).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use crate::Builder;

    #[test]
    fn local_tasks_run_and_are_cancelled_on_the_block_on_thread() {
        for mut builder in [Builder::<crate::Engine>::new_current_thread(), Builder::new_multi_thread()] {
            let rt = builder.worker_threads(1).build().unwrap();
            let dropped = Rc::new(Cell::new(false));
            let sum = rt.block_on(async {
                let ran = Rc::new(Cell::new(0));
                let handles: Vec<_> = (1..=3)
                    .map(|i| {
                        let ran = ran.clone();
                        super::spawn_local(async move { ran.set(ran.get() + i) })
                    })
                    .collect();
                for handle in handles {
                    handle.await.unwrap();
                }
                struct SetOnDrop(Rc<Cell<bool>>);
                impl Drop for SetOnDrop {
                    fn drop(&mut self) {
                        self.0.set(true);
                    }
                }
                let guard = SetOnDrop(dropped.clone());
                super::spawn_local(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await
                });
                ran.get()
            });
            assert_eq!(sum, 6);
            assert!(dropped.get(), "the pending local task is dropped when block_on returns");
        }
    }
}
