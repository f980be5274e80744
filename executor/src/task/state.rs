//! The task's state word: every transition of a task is one atomic operation on it.
//!
//! # State word
//! ```text
//! | ref count (bits 6..) | CANCELLED | JOIN_WAKER | JOIN_INTEREST | COMPLETE | RUNNING | SCHEDULED |
//! ```
//! ```text
//!            wake                     poll returns Pending
//! Idle ───────────────▶ Scheduled ─run─▶ Running ──────────────▶ Idle
//!  ▲                                      │  │ (a wake while Running sets SCHEDULED:
//!  │                                      │  │  the poller resubmits the task once)
//!  │                                      │  └─Ready or panic─▶ Complete ─last ref─▶ freed
//!  └──────────────────────────────────────┘
//! abort: Idle ─▶ Scheduled+CANCELLED (the scheduler drops the future when it runs it);
//!        Running ─▶ +CANCELLED (the poller drops the future instead of going Idle).
//! ```
//!
//! # Invariants
//! 1. SCHEDULED is set exactly while one `Notified` reference to the task exists,
//!    or while the task runs and was woken during its poll (then the poller turns
//!    its own reference into the `Notified` when the poll ends).
//! 2. RUNNING is set by exactly one thread at a time; that thread alone touches
//!    the future (the stage cell).
//! 3. COMPLETE is set once and never cleared; after it the output belongs to the
//!    `JoinHandle` (JOIN_INTEREST) or is dropped by the runtime (no JOIN_INTEREST).
//! 4. While JOIN_WAKER is clear and COMPLETE is clear, the join-waker cell belongs to
//!    the `JoinHandle`; while JOIN_WAKER is set, the runtime may read it, and the
//!    `JoinHandle` may only take it back by clearing the bit with a successful CAS.
//! 5. JOIN_INTEREST is cleared once, by the `JoinHandle`, and never set again.
//! 6. The allocation lives while the reference count is above zero.

use std::fmt;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

use crate::sync::AtomicUsize;

/// Set while the task sits in a run queue (or was woken while running).
const SCHEDULED: usize = 1 << 0;
/// Set while one thread polls or cancels the future.
const RUNNING: usize = 1 << 1;
/// Set once the future has been dropped and the output (or error) stored.
const COMPLETE: usize = 1 << 2;
/// Set while a `JoinHandle` exists.
const JOIN_INTEREST: usize = 1 << 3;
/// Set while the join-waker cell holds a waker the runtime may use.
const JOIN_WAKER: usize = 1 << 4;
/// Set once the task was aborted or the runtime shut down.
const CANCELLED: usize = 1 << 5;
const REF_SHIFT: usize = 6;
/// One reference in the count.
const REF_ONE: usize = 1 << REF_SHIFT;
const REF_MASK: usize = !(REF_ONE - 1);

/// The task's atomic state word.
pub(crate) struct State {
    word: AtomicUsize,
}

/// A copy of the state word at one instant.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

/// What the caller of [`State::transition_to_running`] must do next.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransitionToRunning {
    /// Poll the future.
    Success,
    /// Drop the future and complete with a cancellation error.
    Cancelled,
    /// The task is running elsewhere or complete; the `Notified` reference was dropped.
    Failed,
    /// As `Failed`, and that was the last reference: free the task.
    Dealloc,
}

/// What the poller must do after a `Pending` poll.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransitionToIdle {
    /// Nothing: a later wake schedules the task.
    Ok,
    /// The task was woken while running: submit it; a new reference was taken
    /// for the `Notified`, and the poller drops its own after the submit.
    OkNotified,
    /// The poller held the last reference: free the task.
    OkDealloc,
    /// The task was cancelled while running: drop the future and complete.
    Cancelled,
}

/// What a wake that consumes its reference must do next.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransitionToNotifiedByVal {
    /// Nothing to do.
    DoNothing,
    /// Submit the task; a new reference was taken for the `Notified`, and the
    /// waker drops its own after the submit.
    Submit,
    /// The waker held the last reference: free the task.
    Dealloc,
}

/// What a wake through a borrowed waker must do next.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransitionToNotifiedByRef {
    /// Nothing to do.
    DoNothing,
    /// Submit the task; a new reference was taken for the `Notified`.
    Submit,
}

/// What the `JoinHandle` must release when it is dropped.
#[must_use]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JoinHandleDropped {
    /// The task is complete: the output is the handle's to drop.
    pub(crate) drop_output: bool,
    /// The join-waker cell is the handle's to clear.
    pub(crate) drop_waker: bool,
}

impl State {
    /// A new task: SCHEDULED (its first `Notified` exists), with a `JoinHandle`
    /// and `refs` references (the `Notified`, the `JoinHandle`, maybe the owner list).
    pub(crate) fn new(refs: usize) -> State {
        State { word: AtomicUsize::new((refs * REF_ONE) | SCHEDULED | JOIN_INTEREST) }
    }

    pub(crate) fn load(&self) -> Snapshot {
        // Acquire: pairs with the AcqRel of transition_to_complete, so a COMPLETE
        // seen here makes the stored output visible.
        Snapshot(self.word.load(Acquire))
    }

    /// Runs `f` on the word in a CAS loop; `f` returns the next word (or `None`
    /// to leave it) and the caller's result.
    fn fetch_update<R>(&self, mut f: impl FnMut(Snapshot) -> (Option<Snapshot>, R)) -> R {
        let mut current = self.word.load(Acquire);
        loop {
            let (next, result) = f(Snapshot(current));
            let Some(next) = next else { return result };
            // AcqRel: each transition publishes what the thread did before it (the
            // stored output, the join waker) and acquires what the previous owner did.
            match self.word.compare_exchange_weak(current, next.0, AcqRel, Acquire) {
                Ok(_) => return result,
                Err(actual) => current = actual,
            }
        }
    }

    /// Called with a `Notified` reference, which becomes the poller's reference.
    pub(crate) fn transition_to_running(&self) -> TransitionToRunning {
        self.fetch_update(|s| {
            debug_assert!(s.is_scheduled(), "a Notified task is SCHEDULED (invariant 1)");
            if s.is_running() || s.is_complete() {
                let next = s.ref_dec();
                let action =
                    if next.ref_count() == 0 { TransitionToRunning::Dealloc } else { TransitionToRunning::Failed };
                return (Some(next), action);
            }
            let next = Snapshot((s.0 | RUNNING) & !SCHEDULED);
            let action = if s.is_cancelled() { TransitionToRunning::Cancelled } else { TransitionToRunning::Success };
            (Some(next), action)
        })
    }

    /// Called by the poller after `Poll::Pending`.
    pub(crate) fn transition_to_idle(&self) -> TransitionToIdle {
        self.fetch_update(|s| {
            debug_assert!(s.is_running());
            if s.is_cancelled() {
                return (None, TransitionToIdle::Cancelled);
            }
            let next = Snapshot(s.0 & !RUNNING);
            if next.is_scheduled() {
                // The poller keeps its reference across the submit: once the
                // task is queued, another worker may run it to completion.
                return (Some(next.ref_inc()), TransitionToIdle::OkNotified);
            }
            let next = next.ref_dec();
            let action = if next.ref_count() == 0 { TransitionToIdle::OkDealloc } else { TransitionToIdle::Ok };
            (Some(next), action)
        })
    }

    /// Called by the poller once the output (or error) is stored.
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        // AcqRel: Release publishes the stored output to the JoinHandle (pairs with
        // its Acquire load); Acquire sees a join waker stored before JOIN_WAKER was set.
        let prev = Snapshot(self.word.fetch_xor(RUNNING | COMPLETE, AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete());
        Snapshot(prev.0 ^ (RUNNING | COMPLETE))
    }

    /// Wake that consumes the waker's reference.
    pub(crate) fn transition_to_notified_by_val(&self) -> TransitionToNotifiedByVal {
        self.fetch_update(|s| {
            if s.is_running() {
                let next = Snapshot(s.0 | SCHEDULED).ref_dec();
                debug_assert!(next.ref_count() > 0, "the poller holds a reference");
                (Some(next), TransitionToNotifiedByVal::DoNothing)
            } else if s.is_complete() || s.is_scheduled() {
                let next = s.ref_dec();
                let action = if next.ref_count() == 0 {
                    TransitionToNotifiedByVal::Dealloc
                } else {
                    TransitionToNotifiedByVal::DoNothing
                };
                (Some(next), action)
            } else {
                // The waker keeps its reference across the submit (issue 33,
                // item 2): once the task is queued, a worker may run it to
                // completion and its runtime may be dropped while the waking
                // thread still unparks a worker through the task's scheduler.
                (Some(Snapshot(s.0 | SCHEDULED).ref_inc()), TransitionToNotifiedByVal::Submit)
            }
        })
    }

    /// Wake through a borrowed waker.
    pub(crate) fn transition_to_notified_by_ref(&self) -> TransitionToNotifiedByRef {
        self.fetch_update(|s| {
            if s.is_complete() || s.is_scheduled() {
                (None, TransitionToNotifiedByRef::DoNothing)
            } else if s.is_running() {
                (Some(Snapshot(s.0 | SCHEDULED)), TransitionToNotifiedByRef::DoNothing)
            } else {
                (Some(Snapshot(s.0 | SCHEDULED).ref_inc()), TransitionToNotifiedByRef::Submit)
            }
        })
    }

    /// `JoinHandle::abort`: returns true when the caller must submit a new `Notified`
    /// (a reference was taken for it) so the scheduler cancels the task.
    pub(crate) fn transition_to_notified_and_cancel(&self) -> bool {
        self.fetch_update(|s| {
            if s.is_cancelled() || s.is_complete() {
                (None, false)
            } else if s.is_running() || s.is_scheduled() {
                // The poller, or whoever pops the Notified, sees CANCELLED.
                (Some(Snapshot(s.0 | CANCELLED)), false)
            } else {
                (Some(Snapshot(s.0 | SCHEDULED | CANCELLED).ref_inc()), true)
            }
        })
    }

    /// Runtime shutdown: marks the task cancelled, and returns true when the caller
    /// now owns the future (set RUNNING) and must cancel it.
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        self.fetch_update(|s| {
            if s.is_running() || s.is_complete() {
                (Some(Snapshot(s.0 | CANCELLED)), false)
            } else {
                (Some(Snapshot(s.0 | CANCELLED | RUNNING)), true)
            }
        })
    }

    /// Stores that the join-waker cell holds a waker. Fails, leaving the cell to
    /// the caller, when the task completed first.
    pub(crate) fn set_join_waker(&self) -> Result<(), Snapshot> {
        self.fetch_update(|s| {
            debug_assert!(s.is_join_interested() && !s.is_join_waker_set());
            if s.is_complete() {
                return (None, Err(s));
            }
            (Some(Snapshot(s.0 | JOIN_WAKER)), Ok(()))
        })
    }

    /// Takes the join-waker cell back to replace the waker. Fails when the task
    /// completed first (the runtime may be reading the cell).
    pub(crate) fn unset_join_waker(&self) -> Result<(), Snapshot> {
        self.fetch_update(|s| {
            debug_assert!(s.is_join_interested());
            if s.is_complete() {
                // The runtime may have unset JOIN_WAKER already, after waking it.
                return (None, Err(s));
            }
            debug_assert!(s.is_join_waker_set());
            (Some(Snapshot(s.0 & !JOIN_WAKER)), Ok(()))
        })
    }

    /// Called by the runtime after waking the join waker of a complete task.
    pub(crate) fn unset_join_waker_after_complete(&self) -> Snapshot {
        // AcqRel: Release hands the cell back to the JoinHandle; Acquire sees whether
        // the handle was dropped (then the cell is ours to clear).
        let prev = Snapshot(self.word.fetch_and(!JOIN_WAKER, AcqRel));
        debug_assert!(prev.is_complete() && prev.is_join_waker_set());
        Snapshot(prev.0 & !JOIN_WAKER)
    }

    /// Called once by the `JoinHandle` as it is dropped (it still holds its reference).
    pub(crate) fn transition_to_join_handle_dropped(&self) -> JoinHandleDropped {
        self.fetch_update(|s| {
            debug_assert!(s.is_join_interested());
            let mut next = s.0 & !JOIN_INTEREST;
            if !s.is_complete() {
                // Take the cell back: the runtime will no longer wake it (invariant 4).
                next &= !JOIN_WAKER;
            }
            let next = Snapshot(next);
            let dropped = JoinHandleDropped { drop_output: s.is_complete(), drop_waker: !next.is_join_waker_set() };
            (Some(next), dropped)
        })
    }

    /// Takes one more reference (a cloned waker, a new `Notified`).
    pub(crate) fn ref_inc(&self) {
        // Relaxed: a new reference is made from an existing one, which already
        // keeps the task alive; nothing is published.
        let prev = self.word.fetch_add(REF_ONE, Relaxed);
        if prev > isize::MAX as usize {
            // As Arc does: a count this large means leaked references; stop before it wraps.
            std::process::abort();
        }
    }

    /// Drops one reference; true when it was the last one.
    pub(crate) fn ref_dec(&self) -> bool {
        self.ref_dec_by(1)
    }

    /// Drops `count` references; true when they were the last ones.
    pub(crate) fn ref_dec_by(&self, count: usize) -> bool {
        // AcqRel: Release publishes this thread's use of the task; Acquire, on the
        // last reference, sees every other thread's use before the free.
        let prev = self.word.fetch_sub(count * REF_ONE, AcqRel);
        let refs = (prev & REF_MASK) >> REF_SHIFT;
        debug_assert!(refs >= count, "reference count underflow");
        refs == count
    }
}

impl Snapshot {
    pub(crate) fn is_scheduled(self) -> bool {
        self.0 & SCHEDULED != 0
    }
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(crate) fn ref_count(self) -> usize {
        (self.0 & REF_MASK) >> REF_SHIFT
    }
    fn ref_inc(self) -> Snapshot {
        Snapshot(self.0 + REF_ONE)
    }
    fn ref_dec(self) -> Snapshot {
        debug_assert!(self.ref_count() > 0);
        Snapshot(self.0 - REF_ONE)
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("scheduled", &self.is_scheduled())
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("join_interest", &self.is_join_interested())
            .field("join_waker", &self.is_join_waker_set())
            .field("cancelled", &self.is_cancelled())
            .field("refs", &self.ref_count())
            .finish()
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.load().fmt(f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn wake_during_poll_reschedules_once() {
        let state = State::new(2);
        assert_eq!(state.transition_to_running(), TransitionToRunning::Success);
        assert_eq!(state.transition_to_notified_by_ref(), TransitionToNotifiedByRef::DoNothing);
        assert_eq!(state.transition_to_notified_by_ref(), TransitionToNotifiedByRef::DoNothing);
        assert_eq!(state.transition_to_idle(), TransitionToIdle::OkNotified);
        assert_eq!(
            state.load().ref_count(),
            3,
            "a new reference for the Notified; the poller drops its own after the submit"
        );
    }

    #[test]
    fn wake_after_complete_does_nothing() {
        let state = State::new(2);
        assert_eq!(state.transition_to_running(), TransitionToRunning::Success);
        let done = state.transition_to_complete();
        assert!(done.is_complete() && !done.is_running());
        assert_eq!(state.transition_to_notified_by_ref(), TransitionToNotifiedByRef::DoNothing);
    }

    #[test]
    fn abort_of_idle_task_submits_it_cancelled() {
        let state = State::new(2);
        assert_eq!(state.transition_to_running(), TransitionToRunning::Success);
        assert_eq!(state.transition_to_idle(), TransitionToIdle::Ok);
        assert!(state.transition_to_notified_and_cancel());
        assert!(!state.transition_to_notified_and_cancel(), "a second abort is a no-op");
        assert_eq!(state.transition_to_running(), TransitionToRunning::Cancelled);
    }

    #[test]
    fn join_waker_cannot_be_set_after_complete() {
        let state = State::new(2);
        assert_eq!(state.transition_to_running(), TransitionToRunning::Success);
        let _ = state.transition_to_complete();
        assert!(state.set_join_waker().is_err());
        let dropped = state.transition_to_join_handle_dropped();
        assert!(dropped.drop_output && dropped.drop_waker);
    }

    #[test]
    fn last_reference_reports_dealloc() {
        let state = State::new(1);
        assert!(state.ref_dec());
    }
}
