//! The part of a task that every reference can read without knowing its future's type.

use std::panic::Location;
use std::ptr::NonNull;
use std::sync::atomic::Ordering::Relaxed;
use std::task::Waker;

use super::id::Id;
use super::state::State;
use crate::sync::{AtomicU32, AtomicU64};

/// The first field of every task allocation (`#[repr(C)]`), so a pointer to the
/// allocation is a pointer to its header.
#[repr(C)]
pub(crate) struct Header {
    /// The state word; see `state.rs` for its protocol.
    pub(crate) state: State,
    /// The functions that know the task's future and scheduler types.
    pub(crate) vtable: &'static Vtable,
    /// The task's slot in its scheduler's owner list (written before the task is
    /// published, read when it is released).
    pub(crate) owner_slot: AtomicU32,
    /// Polls so far, the slow-poll flag and the stage tag (see [`Polls`]).
    polls: AtomicU32,
    /// The caller of `spawn`, for slow-poll reports and dumps.
    pub(crate) spawned_at: &'static Location<'static>,
    /// The task's identity.
    pub(crate) id: Id,
    /// What the task last waited on and when it was last polled (see [`Seen`]),
    /// for dumps.
    seen: AtomicU64,
}

// Six words: the stage tag moved in here (raw.rs keeps the stage untagged),
// so a task costs what it did before dumps.
#[cfg(all(target_pointer_width = "64", not(loom)))]
const _: () = assert!(std::mem::size_of::<Header>() == 48);

/// The `polls` word: `| polls (bits 3..) | SLOW_REPORTED | stage (2 bits) |`.
///
/// Written only by the thread that owns the stage (raw.rs invariant 2: the
/// poller, or the `JoinHandle` once the task is complete), so a relaxed load
/// and store suffice; a dump reads it from any thread.
struct Polls;

impl Polls {
    const STAGE_MASK: u32 = 0b11;
    const SLOW_REPORTED: u32 = 1 << 2;
    const ONE: u32 = 1 << 3;
}

/// The `seen` word: `| stamp (24 bits) | waiting-on payload (32) | kind (8) |`.
///
/// The stamp is the coarse time of the last poll ([`crate::dump`]'s clock);
/// the kind and payload say what the task waits on when a runtime resource
/// told (0: nothing said). Written only by the polling thread.
struct Seen;

impl Seen {
    const KIND_BITS: u32 = 8;
    const PAYLOAD_SHIFT: u32 = 8;
    const STAMP_SHIFT: u32 = 40;
    const LOW_MASK: u64 = (1 << Seen::STAMP_SHIFT) - 1;
}

impl Header {
    pub(crate) fn new(
        state: State,
        vtable: &'static Vtable,
        spawned_at: &'static Location<'static>,
        stage: u8,
    ) -> Header {
        Header {
            state,
            vtable,
            owner_slot: AtomicU32::new(u32::MAX),
            polls: AtomicU32::new(u32::from(stage)),
            spawned_at,
            id: Id::next(),
            seen: AtomicU64::new(0),
        }
    }

    /// The stage tag (raw.rs). Only the stage's owner calls this.
    #[inline]
    pub(crate) fn stage(&self) -> u8 {
        (self.polls.load(Relaxed) & Polls::STAGE_MASK) as u8
    }

    /// Sets the stage tag. Only the stage's owner calls this.
    #[inline]
    pub(crate) fn set_stage(&self, stage: u8) {
        let word = self.polls.load(Relaxed);
        self.polls.store((word & !Polls::STAGE_MASK) | u32::from(stage), Relaxed);
    }

    /// Sets the slow-poll flag; true when it was not set. Only the poller calls this.
    pub(crate) fn mark_slow_reported(&self) -> bool {
        let word = self.polls.load(Relaxed);
        self.polls.store(word | Polls::SLOW_REPORTED, Relaxed);
        word & Polls::SLOW_REPORTED == 0
    }

    /// How many times the task was polled (saturating).
    pub(crate) fn polls(&self) -> u32 {
        self.polls.load(Relaxed) / Polls::ONE
    }

    /// A poll begins at coarse time `stamp`: counts it, stamps it and forgets
    /// what the last poll waited on. Only the poller calls this.
    #[inline]
    pub(crate) fn begin_poll(&self, stamp: u32) {
        let word = self.polls.load(Relaxed);
        if word < u32::MAX - Polls::ONE {
            self.polls.store(word + Polls::ONE, Relaxed);
        }
        self.seen.store(u64::from(stamp) << Seen::STAMP_SHIFT, Relaxed);
    }

    /// The poll under way waits on `kind` (non-zero) with `payload`.
    #[inline]
    pub(crate) fn set_waiting(&self, kind: u8, payload: u32) {
        let stamp = self.seen.load(Relaxed) & !Seen::LOW_MASK;
        self.seen.store(stamp | u64::from(payload) << Seen::PAYLOAD_SHIFT | u64::from(kind), Relaxed);
    }

    /// (coarse stamp of the last poll, waiting-on kind, payload).
    pub(crate) fn seen(&self) -> (u32, u8, u32) {
        let word = self.seen.load(Relaxed);
        let kind = (word & ((1 << Seen::KIND_BITS) - 1)) as u8;
        ((word >> Seen::STAMP_SHIFT) as u32, kind, (word >> Seen::PAYLOAD_SHIFT) as u32)
    }
}

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
