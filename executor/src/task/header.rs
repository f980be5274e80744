//! The part of a task that every reference can read without knowing its future's type.

use std::panic::Location;
use std::ptr::NonNull;
use std::sync::atomic::AtomicBool;
use std::task::Waker;

use super::id::Id;
use super::state::State;
use crate::sync::AtomicU32;

/// The first field of every task allocation (`#[repr(C)]`), so a pointer to the
/// allocation is a pointer to its header.
#[repr(C)]
pub(crate) struct Header {
    /// The state word; see `state.rs` for its protocol.
    pub(crate) state: State,
    /// The functions that know the task's future and scheduler types.
    pub(crate) vtable: &'static Vtable,
    /// The task's slot in its scheduler's owner list (written before the task is
    /// published, read when it is released). 32 bits, beside `slow_reported`,
    /// so the two share one word.
    pub(crate) owner_slot: AtomicU32,
    /// Set once a slow poll of this task was reported (by the thread running it).
    pub(crate) slow_reported: AtomicBool,
    /// The caller of `spawn`, for slow-poll reports.
    pub(crate) spawned_at: &'static Location<'static>,
    /// The task's identity.
    pub(crate) id: Id,
}

// As small as before task ids: five words.
#[cfg(all(target_pointer_width = "64", not(loom)))]
const _: () = assert!(std::mem::size_of::<Header>() == 40);

/// Type-erased operations on one `Cell<F, S>`. Each takes the task's header pointer.
///
/// Every function is `unsafe` to call: the caller holds a reference to the task
/// (the reference count is above zero) and meets the function's own contract.
pub(crate) struct Vtable {
    /// Runs the task; consumes a `Notified` reference.
    pub(crate) poll: unsafe fn(NonNull<Header>),
    /// Hands the task to its scheduler; consumes a reference, which becomes the `Notified`.
    pub(crate) schedule: unsafe fn(NonNull<Header>),
    /// Frees the allocation; called when the reference count reached zero.
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
    /// `JoinHandle::poll`: writes `Poll<Result<T, JoinError>>` to the second argument
    /// when the output is ready, else registers the waker. Called by the `JoinHandle` only.
    pub(crate) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// Drops the `JoinHandle`'s interest and reference.
    pub(crate) drop_join_handle: unsafe fn(NonNull<Header>),
    /// Runtime shutdown: cancels the task unless it runs elsewhere; consumes a reference.
    pub(crate) shutdown: unsafe fn(NonNull<Header>),
}
