//! Tasks: one allocation per spawned future, counted references to it, and the
//! `JoinHandle` that waits for its output.
//!
//! References, each one count in the state word:
//! - [`Task`]: held by the scheduler's owner list while the task is alive, so
//!   shutdown can reach tasks that sit idle, waiting on a waker.
//! - [`Notified`]: the task sits in a run queue; running it consumes the reference.
//! - [`JoinHandle`]: the user's handle, with the right to the output.
//! - every `Waker` made from the task.
//!
//! The cell (`raw`, `header`, `state`, `join`, `owned`, `id`) is where the
//! crate's task unsafe code lives; the task-level API built on it
//! (`join_set`, `local_set`, `task_local`, `yield_now`, `block_in_place`) denies unsafe code again, and
//! `pinned` (spawn_local's tasks pinned to their thread) has its one call.

#[cfg(not(loom))]
#[deny(unsafe_code)]
mod block_in_place;
mod header;
mod id;
mod join;
#[cfg(not(loom))]
#[deny(unsafe_code)]
pub(crate) mod join_set;
#[cfg(not(loom))]
#[deny(unsafe_code)]
mod local_set;
#[cfg(all(test, loom))]
mod loom_tests;
mod owned;
pub(crate) mod pinned;
mod raw;
pub(crate) mod state;
#[cfg(not(loom))]
#[deny(unsafe_code)]
pub(crate) mod task_local;
mod waiting;
#[cfg(not(loom))]
#[deny(unsafe_code)]
pub(crate) mod yield_now;

use std::fmt;
use std::future::Future;
use std::ptr::NonNull;

#[cfg(not(loom))]
pub use block_in_place::block_in_place;
pub(crate) use header::Header;
pub(crate) use id::{current_origin, set_stamp, set_waiting};
pub use id::{id, try_id, Id};
pub use join::{AbortHandle, JoinError, JoinHandle};
#[cfg(not(loom))]
pub use join_set::JoinSet;
#[cfg(not(loom))]
pub use local_set::{LocalEnterGuard, LocalSet, RunUntil};
pub(crate) use owned::OwnedTasks;
#[cfg(not(loom))]
pub use pinned::spawn_local;
#[cfg(not(loom))]
pub use task_local::{AccessError, LocalKey, TaskLocalFuture};
pub(crate) use waiting::describe as describe_wait;
pub use waiting::{waiting_on, Resource, WaitingOn};
#[cfg(not(loom))]
pub use yield_now::{yield_now, YieldNow};

/// The caller of `spawn`, kept for slow-poll reports. Passed down explicitly
/// because `#[track_caller]` does not cross the closure that reaches the
/// current runtime.
pub(crate) type SpawnedAt = &'static std::panic::Location<'static>;

/// How a task reaches its scheduler.
pub(crate) trait Schedule: Send + Sync + 'static {
    /// Queues a task that was woken.
    fn schedule(&self, task: Notified);

    /// Queues a task that woke itself during its poll (it yielded): at the back of
    /// a queue, never ahead of the tasks already waiting.
    fn reschedule(&self, task: Notified) {
        self.schedule(task);
    }

    /// Removes a completed task from the owner list and returns the list's reference.
    fn release(&self, task: NonNull<Header>) -> Option<Task>;
}

/// A counted reference to a task.
pub(crate) struct Task {
    ptr: NonNull<Header>,
}

/// A reference to a task that sits in a run queue; `run` consumes it.
pub(crate) struct Notified(Task);

// SAFETY: a task reference only touches the header's atomics; the future is only
// polled or dropped by the scheduler that made it, which for a future that is not
// `Send` is the thread that made it (raw.rs invariant 5).
unsafe impl Send for Task {}
// SAFETY: as for Send; `&Task` offers nothing beyond atomics.
unsafe impl Sync for Task {}

impl Task {
    fn from_raw(ptr: NonNull<Header>) -> Task {
        Task { ptr }
    }

    fn header(&self) -> &Header {
        // SAFETY: our reference keeps the allocation alive (raw.rs invariant 1).
        unsafe { self.ptr.as_ref() }
    }

    /// The header pointer, which identifies the task.
    pub(crate) fn as_ptr(&self) -> NonNull<Header> {
        self.ptr
    }

    fn set_owner_slot(&self, slot: u32) {
        self.header().owner_slot.store(slot, std::sync::atomic::Ordering::Relaxed);
    }

    /// Cancels the task unless it is running elsewhere (then that thread cancels
    /// it when its poll ends); drops this reference.
    pub(crate) fn shutdown(self) {
        let ptr = self.ptr;
        std::mem::forget(self);
        // SAFETY: our reference is handed to shutdown, which consumes it.
        unsafe { (ptr.as_ref().vtable.shutdown)(ptr) }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        if self.header().state.ref_dec() {
            // SAFETY: that was the last reference (raw.rs invariant 4).
            unsafe { (self.header().vtable.dealloc)(self.ptr) };
        }
    }
}

impl fmt::Debug for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task").field("ptr", &self.ptr).field("state", &self.header().state).finish()
    }
}

impl Notified {
    /// Polls the task once (or cancels it); consumes the reference.
    pub(crate) fn run(self) {
        let ptr = self.0.ptr;
        std::mem::forget(self);
        // SAFETY: our Notified reference is handed to poll, which consumes it.
        unsafe { (ptr.as_ref().vtable.poll)(ptr) }
    }

    /// Cancels the task that will never run (its queue is being torn down).
    pub(crate) fn shutdown(self) {
        self.0.shutdown();
    }

    /// Turns the reference into a raw pointer, for a one-pointer atomic slot.
    pub(crate) fn into_raw(self) -> *mut Header {
        let ptr = self.0.ptr;
        std::mem::forget(self);
        ptr.as_ptr()
    }

    /// # Safety
    /// `ptr` came from [`Notified::into_raw`] and is turned back once.
    pub(crate) unsafe fn from_raw(ptr: *mut Header) -> Notified {
        // SAFETY: into_raw made it from a NonNull.
        Notified(Task::from_raw(unsafe { NonNull::new_unchecked(ptr) }))
    }
}

impl fmt::Debug for Notified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Notified").field(&self.0).finish()
    }
}

/// Allocates a task whose first `Notified` must be queued and whose owner
/// reference must go into the owner list.
pub(crate) fn new_owned<F, S>(future: F, scheduler: S, spawned_at: SpawnedAt) -> (Task, Notified, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: F and its output are Send, so any thread may run and drop them.
    unsafe { new_local(future, scheduler, spawned_at) }
}

/// [`new_owned`] for a future that is not `Send`.
///
/// # Safety
/// The task is polled, cancelled and dropped only on the calling thread (raw.rs
/// invariant 5).
pub(crate) unsafe fn new_local<F, S>(
    future: F,
    scheduler: S,
    spawned_at: SpawnedAt,
) -> (Task, Notified, JoinHandle<F::Output>)
where
    F: Future + 'static,
    F::Output: 'static,
    S: Schedule,
{
    // SAFETY: passed on from our caller.
    let ptr = unsafe { raw::allocate(future, scheduler, 3, spawned_at) };
    (Task::from_raw(ptr), Notified(Task::from_raw(ptr)), JoinHandle::from_raw(ptr))
}

/// Allocates a task that no owner list tracks (a blocking job: its queue holds it).
#[track_caller]
pub(crate) fn new_unowned<F, S>(future: F, scheduler: S) -> (Notified, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: F and its output are Send, so any thread may run and drop them.
    let ptr = unsafe { raw::allocate(future, scheduler, 2, std::panic::Location::caller()) };
    (Notified(Task::from_raw(ptr)), JoinHandle::from_raw(ptr))
}
