//! [`Id`]: every task's process-unique number, and the id of the task this
//! thread is polling.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A task's identity, unique among all tasks of the process for its whole
/// life (ids are never reused).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(NonZeroU64);

/// Ids a thread takes from the process-wide counter at once, so spawning on
/// many workers does not make them all write one cache line.
const BLOCK: u64 = 1024;

static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This thread's unused ids: the next, and the end of its block.
    static RESERVED: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    /// The task being polled (or dropped) on this thread.
    static CURRENT: Cell<Option<Id>> = const { Cell::new(None) };
}

impl Id {
    /// A new id.
    pub(crate) fn next() -> Id {
        let (mut next, mut end) = RESERVED.get();
        if next == end {
            // Relaxed: uniqueness needs only the atomicity of the add.
            next = NEXT_BLOCK.fetch_add(BLOCK, Relaxed);
            end = next + BLOCK;
        }
        RESERVED.set((next + 1, end));
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
    CURRENT.get()
}

/// The id of the task this code runs in.
///
/// # Panics
/// Outside a task; see [`try_id`].
pub fn id() -> Id {
    try_id().expect("`task::id()` called outside a task: use `task::try_id()`")
}

/// Makes `id` the current task until the guard drops (also on unwind).
pub(crate) fn enter(id: Id) -> CurrentGuard {
    CurrentGuard(CURRENT.replace(Some(id)))
}

/// Restores the task id that was current before [`enter`].
pub(crate) struct CurrentGuard(Option<Id>);

impl Drop for CurrentGuard {
    fn drop(&mut self) {
        CURRENT.set(self.0);
    }
}
