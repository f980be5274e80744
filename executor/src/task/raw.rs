//! One task allocation (`Cell`), the harness that polls it, and its waker.
//!
//! A task is one heap allocation: header, scheduler handle, the future or its
//! output (the stage), and the `JoinHandle`'s waker. References to it (`Task`,
//! `Notified`, `JoinHandle`, each `Waker`) are pointers to the header that count
//! in the state word.
//!
//! # Invariants
//! 1. A `NonNull<Header>` handed to any function here points to a live `Cell<F, S>`
//!    of the types its vtable was made for, and the caller holds one reference.
//! 2. The stage cell is touched only by the thread that set RUNNING in the state
//!    word, or, once COMPLETE is set, by the `JoinHandle` (when JOIN_INTEREST is set)
//!    or by the completing thread (when it is not) — state.rs invariants 2 and 3.
//! 3. The join-waker cell is touched as state.rs invariant 4 says.
//! 4. The allocation is freed exactly once, by whoever drops the last reference.
//! 5. A task whose future is not `Send` is only polled and dropped on the thread
//!    that made it (`new_local`'s contract).

use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use super::header::{Header, Vtable};
use super::id;
use super::join::JoinError;
use super::state::TransitionToRunning;
use super::state::{State, TransitionToIdle, TransitionToNotifiedByRef, TransitionToNotifiedByVal};
use super::{Notified, Schedule, SpawnedAt, Task};
use crate::diagnostics::monitor;
use crate::sync::UnsafeCell;

/// The whole task allocation.
#[repr(C)]
struct Cell<F: Future, S> {
    header: Header,
    scheduler: S,
    stage: UnsafeCell<Stage<F>>,
    join_waker: UnsafeCell<Option<Waker>>,
}

/// What the task holds: its future, then its output, then nothing. Untagged:
/// the header keeps the tag ([`RUNNING`], [`FINISHED`] or [`CONSUMED`]) in
/// spare bits, where an enum's tag would cost most tasks a word. Only
/// [`drop_stage`], [`store_output`] and [`take_output`] touch it, as its
/// owner (invariant 2).
union Stage<F: Future> {
    running: ManuallyDrop<F>,
    finished: ManuallyDrop<Result<F::Output, JoinError>>,
}

const RUNNING: u8 = 0;
const FINISHED: u8 = 1;
const CONSUMED: u8 = 2;

/// Allocates a task holding `future` with `refs` references, SCHEDULED.
///
/// # Safety
/// If `F` or `F::Output` is not `Send`, the caller must poll, cancel and drop the
/// task and its output only on the current thread (invariant 5).
pub(super) unsafe fn allocate<F, S>(future: F, scheduler: S, refs: usize, spawned_at: SpawnedAt) -> NonNull<Header>
where
    F: Future + 'static,
    F::Output: 'static,
    S: Schedule,
{
    let cell = Box::new(Cell {
        header: Header::new(State::new(refs), vtable::<F, S>(), spawned_at, RUNNING),
        scheduler,
        stage: UnsafeCell::new(Stage { running: ManuallyDrop::new(future) }),
        join_waker: UnsafeCell::new(None),
    });
    // SAFETY: Box::into_raw never returns null. `Cell` is repr(C) with the header
    // first, so the cast keeps the address, and the pointer keeps the provenance
    // of the whole allocation for `dealloc`.
    unsafe { NonNull::new_unchecked(Box::into_raw(cell)) }.cast()
}

fn vtable<F: Future + 'static, S: Schedule>() -> &'static Vtable {
    &Vtable {
        poll: poll::<F, S>,
        schedule: schedule::<F, S>,
        dealloc: dealloc::<F, S>,
        try_read_output: try_read_output::<F, S>,
        drop_join_handle: drop_join_handle::<F, S>,
        shutdown: shutdown::<F, S>,
    }
}

/// # Safety
/// Invariant 1.
unsafe fn cell<'a, F: Future, S>(ptr: NonNull<Header>) -> &'a Cell<F, S> {
    // SAFETY: the pointer is a live Cell<F, S> and the caller's reference keeps it
    // alive for as long as it uses the borrow (invariant 1).
    unsafe { ptr.cast::<Cell<F, S>>().as_ref() }
}

unsafe fn poll<F: Future + 'static, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the caller gives us a Notified reference (invariant 1).
    let cell = unsafe { cell::<F, S>(ptr) };
    match cell.header.state.transition_to_running() {
        TransitionToRunning::Success => {}
        // SAFETY: we set RUNNING; the Notified reference is ours.
        TransitionToRunning::Cancelled => return unsafe { cancel_and_complete::<F, S>(ptr) },
        TransitionToRunning::Failed => return,
        // SAFETY: the Notified held the last reference (invariant 4).
        TransitionToRunning::Dealloc => return unsafe { dealloc::<F, S>(ptr) },
    }
    // The future's poll and its drop see their own task id; the poll is
    // counted and stamped for dumps.
    let _current = id::enter(ptr, true);
    // The waker borrows the poller's reference; ManuallyDrop keeps its count.
    // SAFETY: data and vtable form a task waker (see WAKER_VTABLE).
    let waker = ManuallyDrop::new(unsafe { Waker::from_raw(raw_waker(ptr)) });
    let mut cx = Context::from_waker(&waker);
    let started = monitor::start();
    let polled = catch_unwind(AssertUnwindSafe(|| {
        // A panicking poll drops its future while the panic unwinds, so the
        // future's destructors see `thread::panicking()` (as tokio's do). A
        // destructor that panics then aborts the process, as any Rust
        // destructor panicking during an unwind does.
        let unwinding = DropOnUnwind(cell);
        // A task leaves the RUNNING stage only as it completes, and a
        // complete task never runs again (state.rs invariant 3).
        debug_assert!(cell.header.stage() == RUNNING, "a RUNNING task holds its future");
        let poll = cell.stage.with_mut(|stage| {
            // SAFETY: we set RUNNING, so the stage is ours (invariant 2), and
            // it holds the future (above), which never moves out of the
            // allocation until it is dropped.
            unsafe { Pin::new_unchecked(&mut *(*stage).running) }.poll(&mut cx)
        });
        std::mem::forget(unwinding);
        if poll.is_ready() {
            // The spent future is dropped here, inside the catch: a panic in its
            // destructor becomes the task's JoinError (the output is lost, as in tokio).
            drop_stage(cell);
        }
        poll
    }));
    if let Some(started) = started {
        monitor::finish(started, cell.header.spawned_at, || cell.header.mark_slow_reported());
    }
    let output = match polled {
        Ok(Poll::Pending) => {
            match cell.header.state.transition_to_idle() {
                TransitionToIdle::Ok => {}
                TransitionToIdle::OkNotified => {
                    // Woken while running: the transition took a reference for
                    // the Notified; ours keeps the cell (and `cell.scheduler`)
                    // alive until the submit returned.
                    cell.scheduler.reschedule(Notified(Task::from_raw(ptr)));
                    // SAFETY: the poller's reference, dropped once (invariant 4).
                    unsafe { drop_reference::<F, S>(ptr) };
                }
                // SAFETY: the poller held the last reference (invariant 4).
                TransitionToIdle::OkDealloc => unsafe { dealloc::<F, S>(ptr) },
                // SAFETY: RUNNING is still ours; so is the reference.
                TransitionToIdle::Cancelled => unsafe { cancel_and_complete::<F, S>(ptr) },
            }
            return;
        }
        Ok(Poll::Ready(output)) => Ok(output),
        Err(panic) => Err(JoinError::panic(cell.header.id, panic)),
    };
    store_output(cell, output);
    // SAFETY: we set RUNNING and stored the output.
    unsafe { complete::<F, S>(ptr) };
}

/// Drops what the stage holds, the future or the output, in place. The tag
/// says CONSUMED first: if the destructor panics, the cell holds no stage to
/// drop twice (never a half-dropped one). The caller owns the stage
/// (invariant 2).
#[inline(always)]
fn drop_stage<F: Future, S>(cell: &Cell<F, S>) {
    let tag = cell.header.stage();
    if tag == CONSUMED {
        return;
    }
    cell.header.set_stage(CONSUMED);
    cell.stage.with_mut(|slot| {
        // SAFETY: the stage is the caller's, and `tag` named the field that
        // held a value, which is dropped once: the tag no longer names it.
        unsafe {
            match tag {
                RUNNING => ManuallyDrop::drop(&mut (*slot).running),
                _ => ManuallyDrop::drop(&mut (*slot).finished),
            }
        }
    });
}

/// Stores the task's output in the consumed stage. The caller owns the stage.
fn store_output<F: Future, S>(cell: &Cell<F, S>, output: Result<F::Output, JoinError>) {
    // Every path to the output drops the future first (poll, cancel_and_complete).
    debug_assert_eq!(cell.header.stage(), CONSUMED, "the output goes where the future was dropped");
    // SAFETY: the stage is the caller's and holds nothing to overwrite.
    cell.stage.with_mut(|slot| unsafe { *slot = Stage { finished: ManuallyDrop::new(output) } });
    cell.header.set_stage(FINISHED);
}

/// Moves the output out, once; `None` when there is none. The caller owns the stage.
fn take_output<F: Future, S>(cell: &Cell<F, S>) -> Option<Result<F::Output, JoinError>> {
    if cell.header.stage() != FINISHED {
        return None;
    }
    cell.header.set_stage(CONSUMED);
    // SAFETY: the stage is the caller's and the tag said it held the output,
    // which the new tag no longer names: it is moved out exactly once.
    Some(cell.stage.with_mut(|slot| unsafe { ManuallyDrop::take(&mut (*slot).finished) }))
}

impl<F: Future, S> Drop for Cell<F, S> {
    /// The last reference is gone (`dealloc`): drops what the stage still holds.
    fn drop(&mut self) {
        drop_stage(self);
    }
}

/// Drops the future of a poll that is unwinding (see `poll`); forgotten when
/// the poll returns.
struct DropOnUnwind<'a, F: Future, S>(&'a Cell<F, S>);

impl<F: Future, S> Drop for DropOnUnwind<'_, F, S> {
    fn drop(&mut self) {
        // We set RUNNING; the poll's borrow of the stage ended with its frame.
        drop_stage(self.0);
    }
}

/// Drops the future of a task this thread set RUNNING on and completes it with
/// a cancellation (or the panic its destructor raised).
///
/// # Safety
/// Invariant 1, and the caller set RUNNING.
unsafe fn cancel_and_complete<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: per the caller's contract.
    let cell = unsafe { cell::<F, S>(ptr) };
    let current = id::enter(ptr, false);
    let error = match catch_unwind(AssertUnwindSafe(|| drop_stage(cell))) {
        Ok(()) => JoinError::cancelled(cell.header.id),
        Err(panic) => JoinError::panic(cell.header.id, panic),
    };
    drop(current);
    store_output(cell, Err(error));
    // SAFETY: per the caller's contract.
    unsafe { complete::<F, S>(ptr) };
}

/// Publishes the stored output, wakes the `JoinHandle`, releases the task from
/// its owner list and drops the running reference.
///
/// # Safety
/// Invariant 1, and the caller set RUNNING and stored the output. The cell is
/// borrowed locally, never as an argument, since this may free it.
unsafe fn complete<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: per the caller's contract.
    let cell = unsafe { cell::<F, S>(ptr) };
    let snapshot = cell.header.state.transition_to_complete();
    if !snapshot.is_join_interested() {
        // No JoinHandle: the output is ours to drop (state.rs invariant 3).
        let _ = catch_unwind(AssertUnwindSafe(|| drop_stage(cell)));
    } else if snapshot.is_join_waker_set() {
        let _ = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: JOIN_WAKER and COMPLETE are set: the runtime may read the
            // cell, and the handle no longer writes it (invariant 3).
            cell.join_waker.with(|waker| match unsafe { &*waker } {
                Some(waker) => waker.wake_by_ref(),
                None => unreachable!("JOIN_WAKER is set only over a stored waker"),
            })
        }));
        if !cell.header.state.unset_join_waker_after_complete().is_join_interested() {
            // The handle was dropped while we woke it: the waker is ours to drop.
            // SAFETY: JOIN_WAKER is clear and the handle is gone (invariant 3).
            cell.join_waker.with_mut(|waker| unsafe { *waker = None });
        }
    }
    let released = cell.scheduler.release(ptr);
    let refs = if let Some(task) = released {
        // Drop the owner list's reference together with the running one.
        std::mem::forget(task);
        2
    } else {
        1
    };
    if cell.header.state.ref_dec_by(refs) {
        // SAFETY: those were the last references (invariant 4).
        unsafe { dealloc::<F, S>(ptr) };
    }
}

unsafe fn schedule<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the caller gives us a reference (invariant 1), which becomes the Notified.
    let cell = unsafe { cell::<F, S>(ptr) };
    cell.scheduler.schedule(Notified(Task::from_raw(ptr)));
}

/// Drops one reference; frees the task if it was the last.
///
/// # Safety
/// Invariant 1; the caller gives up its reference.
unsafe fn drop_reference<F: Future, S>(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the cell alive until this decrement.
    if unsafe { cell::<F, S>(ptr) }.header.state.ref_dec() {
        // SAFETY: that was the last reference (invariant 4).
        unsafe { dealloc::<F, S>(ptr) };
    }
}

unsafe fn dealloc<F: Future, S>(ptr: NonNull<Header>) {
    // SAFETY: the reference count reached zero (invariant 4); the box was made in
    // `allocate` with the same types.
    drop(unsafe { Box::from_raw(ptr.cast::<Cell<F, S>>().as_ptr()) });
}

unsafe fn try_read_output<F: Future, S>(ptr: NonNull<Header>, dst: *mut (), waker: &Waker) {
    // SAFETY: the JoinHandle holds a reference (invariant 1).
    let cell = unsafe { cell::<F, S>(ptr) };
    if !can_read_output(cell, waker) {
        return;
    }
    // COMPLETE is set and we hold JOIN_INTEREST: the stage is ours (invariant 2).
    let Some(output) = take_output(cell) else {
        panic!("JoinHandle polled after it returned Ready");
    };
    // SAFETY: the JoinHandle<F::Output> passes a `*mut Poll<Result<F::Output, JoinError>>`.
    unsafe { *dst.cast::<Poll<Result<F::Output, JoinError>>>() = Poll::Ready(output) };
}

/// True when the output can be read; otherwise stores `waker` for completion.
fn can_read_output<F: Future, S>(cell: &Cell<F, S>, waker: &Waker) -> bool {
    let state = &cell.header.state;
    let snapshot = state.load();
    if snapshot.is_complete() {
        return true;
    }
    let stored = if !snapshot.is_join_waker_set() {
        set_join_waker(cell, waker)
    } else {
        // SAFETY: JOIN_WAKER is set: the runtime only reads the cell, and so do we.
        let same = cell.join_waker.with(|stored| match unsafe { &*stored } {
            Some(stored) => stored.will_wake(waker),
            None => unreachable!("JOIN_WAKER is set only over a stored waker"),
        });
        if same {
            return false;
        }
        state.unset_join_waker().and_then(|()| set_join_waker(cell, waker))
    };
    match stored {
        Ok(()) => false,
        Err(snapshot) => {
            debug_assert!(snapshot.is_complete());
            true
        }
    }
}

/// Writes `waker` into the join-waker cell, which the handle owns now, and
/// publishes it with JOIN_WAKER; takes it back if the task completed first.
fn set_join_waker<F: Future, S>(cell: &Cell<F, S>, waker: &Waker) -> Result<(), super::state::Snapshot> {
    // SAFETY: JOIN_WAKER is clear and the task is not complete: the cell is the
    // handle's (invariant 3).
    cell.join_waker.with_mut(|slot| unsafe { *slot = Some(waker.clone()) });
    let result = cell.header.state.set_join_waker();
    if result.is_err() {
        // SAFETY: the bit was not set, so the cell is still the handle's.
        cell.join_waker.with_mut(|slot| unsafe { *slot = None });
    }
    result
}

unsafe fn drop_join_handle<F: Future, S>(ptr: NonNull<Header>) {
    // SAFETY: the JoinHandle holds a reference (invariant 1).
    let cell = unsafe { cell::<F, S>(ptr) };
    let dropped = cell.header.state.transition_to_join_handle_dropped();
    if dropped.drop_output {
        // The task is complete and the handle had interest: the output is ours
        // (invariant 2). Nobody is left to tell of a panic in its destructor.
        let _ = catch_unwind(AssertUnwindSafe(|| drop_stage(cell)));
    }
    if dropped.drop_waker {
        // SAFETY: JOIN_WAKER is clear after our transition: the cell is ours.
        cell.join_waker.with_mut(|waker| unsafe { *waker = None });
    }
    // SAFETY: the JoinHandle's reference, given up here.
    unsafe { drop_reference::<F, S>(ptr) };
}

unsafe fn shutdown<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the caller gives us a reference (invariant 1).
    let cell = unsafe { cell::<F, S>(ptr) };
    if cell.header.state.transition_to_shutdown() {
        // SAFETY: we set RUNNING: our reference is now the running one.
        unsafe { cancel_and_complete::<F, S>(ptr) };
    } else {
        // SAFETY: the caller's reference, given up here.
        unsafe { drop_reference::<F, S>(ptr) };
    }
}

/// The waker of every task: its data pointer is the header, and each waker holds
/// one reference.
static WAKER_VTABLE: RawWakerVTable = RawWakerVTable::new(waker_clone, waker_wake, waker_wake_by_ref, waker_drop);

fn raw_waker(ptr: NonNull<Header>) -> RawWaker {
    RawWaker::new(ptr.as_ptr() as *const (), &WAKER_VTABLE)
}

/// # Safety
/// `data` is the header pointer of a task waker that holds a reference.
unsafe fn header<'a>(data: *const ()) -> &'a Header {
    // SAFETY: the waker's reference keeps the task alive (invariant 1).
    unsafe { &*(data as *const Header) }
}

unsafe fn waker_clone(data: *const ()) -> RawWaker {
    // SAFETY: called through a live waker.
    unsafe { header(data) }.state.ref_inc();
    raw_waker(header_ptr(data))
}

/// The header pointer with the allocation's provenance (never derived from a
/// `&Header`, which would only cover the header and could not free the cell).
fn header_ptr(data: *const ()) -> NonNull<Header> {
    // SAFETY: wakers are made only from non-null header pointers.
    unsafe { NonNull::new_unchecked(data as *mut Header) }
}

unsafe fn waker_wake(data: *const ()) {
    // SAFETY: called through a live waker, whose reference this consumes.
    let header = unsafe { header(data) };
    let ptr = header_ptr(data);
    match header.state.transition_to_notified_by_val() {
        TransitionToNotifiedByVal::DoNothing => {}
        TransitionToNotifiedByVal::Submit => {
            // SAFETY: the transition took a new reference, which becomes the Notified.
            unsafe { (header.vtable.schedule)(ptr) };
            // The waker's own reference kept the task, and with it the
            // scheduler the submit used, alive until here.
            // SAFETY: called through a live waker, whose reference this drops.
            unsafe { waker_drop(data) };
        }
        // SAFETY: that was the last reference (invariant 4).
        TransitionToNotifiedByVal::Dealloc => unsafe { (header.vtable.dealloc)(ptr) },
    }
}

unsafe fn waker_wake_by_ref(data: *const ()) {
    // SAFETY: called through a live waker.
    let header = unsafe { header(data) };
    if header.state.transition_to_notified_by_ref() == TransitionToNotifiedByRef::Submit {
        // SAFETY: the transition took a new reference for the Notified.
        unsafe { (header.vtable.schedule)(header_ptr(data)) };
    }
}

unsafe fn waker_drop(data: *const ()) {
    // SAFETY: called through a live waker, whose reference this drops.
    let header = unsafe { header(data) };
    if header.state.ref_dec() {
        // SAFETY: that was the last reference (invariant 4).
        unsafe { (header.vtable.dealloc)(header_ptr(data)) };
    }
}
