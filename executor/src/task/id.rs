//! [`Id`]: every task's process-unique number; the task this thread is
//! polling, for its id and for what it tells a dump (what it waits on).

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::Header;

/// A task's identity, unique among all tasks of the process for its whole
/// life (ids are never reused).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

/// Ids a thread takes from the process-wide counter at once, so spawning on
/// many workers does not make them all write one cache line.
const BLOCK: u64 = 1024;

static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);

crate::sync::thread_local! {
    /// This thread's unused ids: the next, and the end of its block.
    static RESERVED: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    /// The task being polled (or dropped) on this thread, and the coarse
    /// time its poll is stamped with (see `crate::dump`). One thread-local
    /// for both: the harness reaches it once per poll.
    static CURRENT: Current = const { Current { task: Cell::new(None), stamp: Cell::new(0) } };
}

struct Current {
    /// Set only while a guard from [`enter`] lives, by the thread that holds
    /// a reference to the task (the poller's or the canceller's).
    task: Cell<Option<NonNull<Header>>>,
    stamp: Cell<u32>,
}

/// The header of the task being polled on this thread.
fn with_current<R>(f: impl FnOnce(&Header) -> R) -> Option<R> {
    CURRENT.with(|current| {
        // SAFETY: `task` is set only while its guard lives, and the thread
        // that set it holds a reference to the task meanwhile.
        current.task.get().map(|task| f(unsafe { task.as_ref() }))
    })
}

impl Id {
    /// A new id.
    pub(crate) fn next() -> Id {
        let (mut next, mut end) = RESERVED.with(Cell::get);
        if next == end {
            // Relaxed: uniqueness needs only the atomicity of the add.
            next = NEXT_BLOCK.fetch_add(BLOCK, Relaxed);
            end = next + BLOCK;
        }
        RESERVED.with(|cell| cell.set((next + 1, end)));
        Id(NonZeroU64::new(next).unwrap_or_else(|| unreachable!("ids start at 1")))
    }

    /// The id as a number.
    pub fn as_u64(&self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

/// The id of the task this code runs in; `None` outside a task (on a plain
/// thread, or in a blocking job).
///
/// # Examples
/// ```
/// # let rt = runtime_executor::Runtime::new()?;
/// # rt.block_on(async {
/// let handle = runtime_executor::spawn(async { runtime_executor::try_id() });
/// let id = handle.id();
/// assert_eq!(handle.await.unwrap(), Some(id));
/// # });
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn try_id() -> Option<Id> {
    with_current(|header| header.id)
}

/// The id of the task this code runs in.
///
/// # Panics
/// Outside a task; see [`try_id`].
#[track_caller]
pub fn id() -> Id {
    try_id().expect("`task::id()` called outside a task: use `task::try_id()`")
}

/// Makes `task` the current task until the guard drops (also on unwind);
/// with `poll`, counts and stamps a poll of it. The caller holds a
/// reference to the task until the guard drops.
#[inline]
pub(crate) fn enter(task: NonNull<Header>, poll: bool) -> CurrentGuard {
    CURRENT.with(|current| {
        if poll {
            // SAFETY: the caller holds a reference.
            unsafe { task.as_ref() }.begin_poll(current.stamp.get());
        }
        CurrentGuard(current.task.replace(Some(task)))
    })
}

/// Restores the task that was current before [`enter`].
pub(crate) struct CurrentGuard(Option<NonNull<Header>>);

impl Drop for CurrentGuard {
    #[inline]
    fn drop(&mut self) {
        CURRENT.with(|current| current.task.set(self.0));
    }
}

/// Sets the coarse time this thread stamps polls with.
pub(crate) fn set_stamp(stamp: u32) {
    CURRENT.with(|current| current.stamp.set(stamp));
}

/// The id and spawn site of the task this thread is polling (or dropping),
/// if any; `None` too while the thread-locals are being destroyed. For the
/// panic report, which may run anywhere.
pub(crate) fn current_origin() -> Option<(Id, &'static std::panic::Location<'static>)> {
    CURRENT
        .try_with(|current| {
            // SAFETY: `task` is set only while its guard lives, and the thread
            // that set it holds a reference to the task meanwhile.
            current.task.get().map(|task| unsafe { task.as_ref() }).map(|header| (header.id, header.spawned_at))
        })
        .ok()
        .flatten()
}

/// Tells a dump what the task being polled waits on, if a task is.
pub(crate) fn set_waiting(kind: u8, payload: u32) {
    with_current(|header| header.set_waiting(kind, payload));
}
