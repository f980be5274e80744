//! The thread-local runtime context: which runtime `spawn` reaches from this
//! thread, and whether this thread may block.

use std::cell::{Cell, RefCell};

use crate::Handle;

thread_local! {
    static CURRENT: RefCell<Option<Handle>> = const { RefCell::new(None) };
    /// Set on worker threads and inside `block_on`: blocking here would stall tasks.
    static DRIVING: Cell<bool> = const { Cell::new(false) };
}

/// The handle of the runtime this thread runs in.
pub(crate) fn try_current() -> Result<Handle, TryCurrentError> {
    match CURRENT.try_with(|current| current.borrow().clone()) {
        Ok(Some(handle)) => Ok(handle),
        Ok(None) => Err(TryCurrentError { destroyed: false }),
        Err(_) => Err(TryCurrentError { destroyed: true }),
    }
}

/// Why [`Handle::try_current`] found no runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryCurrentError {
    destroyed: bool,
}

impl TryCurrentError {
    /// This thread runs in no runtime (it is not a worker, a blocking-pool
    /// thread, nor inside `block_on` or `Handle::enter`).
    pub fn is_missing_context(&self) -> bool {
        !self.destroyed
    }

    /// This thread is exiting and its thread-locals are gone (the call came
    /// from a thread-local's destructor).
    pub fn is_thread_local_destroyed(&self) -> bool {
        self.destroyed
    }
}

impl std::fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // tokio's words first, so that what matches tokio's message matches ours.
        f.write_str(match self.destroyed {
            false => {
                "there is no reactor running, must be called from the context of a runtime: from a task, \
                 from `block_on`, from a blocking-pool thread, or inside `Handle::enter`"
            }
            true => {
                "the runtime context thread-local variable has been destroyed: this thread is exiting, \
                 and no runtime can be reached from a thread-local's destructor"
            }
        })
    }
}

impl std::error::Error for TryCurrentError {}

/// Runs `f` with the handle of the runtime this thread runs in, borrowed:
/// no reference count is touched. `f` must not enter another context.
pub(crate) fn with_current<R>(f: impl FnOnce(Option<&Handle>) -> R) -> R {
    CURRENT.with(|current| f(current.borrow().as_ref()))
}

/// Restores the previous context when dropped. Returned by [`Handle::enter`];
/// it borrows the handle or runtime it came from, as tokio's does.
#[derive(Debug)]
#[must_use = "the context is left when the guard is dropped"]
pub struct EnterGuard<'a> {
    previous: Option<Handle>,
    previous_driving: bool,
    _not_send: std::marker::PhantomData<(*const (), &'a Handle)>,
}

/// Makes `handle` this thread's runtime; `driving` marks a thread that runs
/// tasks (a worker, or `block_on`), where blocking is forbidden.
pub(crate) fn enter(handle: Handle, driving: bool) -> EnterGuard<'static> {
    let previous = CURRENT.with(|current| current.replace(Some(handle)));
    let previous_driving = DRIVING.with(|d| d.replace(driving || d.get()));
    EnterGuard { previous, previous_driving, _not_send: std::marker::PhantomData }
}

impl Drop for EnterGuard<'_> {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // Drop the replaced handle outside the borrow: dropping a runtime's last
        // handle may run destructors that look at the context.
        let replaced = CURRENT.with(|current| current.replace(previous));
        DRIVING.with(|d| d.set(self.previous_driving));
        drop(replaced);
    }
}

/// Whether this thread may block: it drives no tasks (no worker, no `block_on`).
/// Marks this thread as one that may block until the guard drops (a
/// section in `block_in_place`, where no tasks wait on the thread).
pub(crate) fn blocking_section() -> impl Drop {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            DRIVING.with(|d| d.set(self.0));
        }
    }
    Restore(DRIVING.with(|d| d.replace(false)))
}

/// tokio's words for a blocking call on a thread that drives tasks.
pub(crate) const CANNOT_BLOCK: &str = "Cannot block the current thread from within a runtime. This happens \
     because a function attempted to block the current thread while the thread is being used to drive \
     asynchronous tasks.";

pub(crate) fn may_block() -> bool {
    !DRIVING.with(Cell::get)
}

/// Panics, saying what to do instead, when this thread drives tasks.
#[track_caller]
pub(crate) fn assert_may_block() {
    if !may_block() {
        panic!(
            "`block_on` was called on a thread that is running asynchronous tasks (a runtime worker, \
             or inside another `block_on`); blocking it would stall those tasks. Inside async code, \
             `.await` the future, or run it as a task with `spawn` and await its JoinHandle; for \
             blocking code use `spawn_blocking`."
        );
    }
}
