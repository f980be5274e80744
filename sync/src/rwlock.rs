//! [`RwLock`]: many readers or one writer, a [`Semaphore`] of `max_readers`
//! permits around the value: a read takes one, a write takes them all.
//!
//! Because the semaphore serves waiters in arrival order, a queued writer is
//! not starved by readers that come after it: they queue behind it. A
//! writer that downgrades gives back all its permits but one, which go to
//! the waiters in order: the readers queued before the next writer get in,
//! and that writer then waits for every reader.
//!
//! The guards (`guards.rs`, `owned.rs`) hold a pointer to the value, or to
//! the part of it a `map` chose, beside the permits they own.
//!
//! # Invariants
//! 1. A read guard holds one permit; a write guard holds all `max_readers`.
//!    So while a write guard exists no other guard does, and the value is
//!    written only through the write guard (or `&mut RwLock`).
//! 2. Permits go back when a guard drops, after its last use of the value.
//!    A `map` or `downgrade` moves them to the new guard (the old one is
//!    forgotten), keeping one for the read guard a downgrade makes.
//! 3. A guard's pointer was derived from the value while its permits were
//!    held, as `&T` for a read guard and `&mut T` for a write guard.

use std::fmt;
use std::ptr::NonNull;
use std::sync::Arc;

use runtime_executor::Resource;

use crate::semaphore::{Acquiring, Semaphore};
use crate::sync::UnsafeCell;

mod guards;
mod owned;
pub use guards::{RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard};
pub use owned::{OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard};

/// What a task waiting to read waits on, in a task dump.
static READ: Resource = Resource::new("RwLock::read");
/// What a task waiting to write waits on, in a task dump.
static WRITE: Resource = Resource::new("RwLock::write");

/// The most readers a lock admits at once (and the default).
const MAX_READS: u32 = if cfg!(loom) { 4 } else { u32::MAX >> 3 };

/// An async reader-writer lock, fair in arrival order (a writer is never
/// starved by a stream of readers). Cancel-safe like [`Mutex`](crate::Mutex).
///
/// # Examples
/// ```
/// use runtime::sync::RwLock;
///
/// # runtime::block_on(async {
/// let lock = RwLock::new(5);
/// {
///     let (a, b) = (lock.read().await, lock.read().await);
///     assert_eq!(*a + *b, 10);
/// }
/// *lock.write().await += 1;
/// assert_eq!(*lock.read().await, 6);
/// # });
/// ```
pub struct RwLock<T: ?Sized> {
    /// Permits a writer takes: all of them.
    max_readers: u32,
    semaphore: Semaphore,
    value: UnsafeCell<T>,
}

// SAFETY: a write guard moves access to `T` between threads (T: Send) and
// read guards share it (T: Sync), as std's RwLock (invariant 1).
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: as for Send.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    /// A new unlocked lock holding `value`.
    pub fn new(value: T) -> RwLock<T> {
        RwLock::with_max_readers(value, MAX_READS)
    }

    /// A new unlocked lock holding `value` that admits at most `max_reads`
    /// readers at once.
    ///
    /// # Panics
    /// When `max_reads` is 0 or above `u32::MAX >> 3`.
    #[track_caller]
    pub fn with_max_readers(value: T, max_reads: u32) -> RwLock<T> {
        assert!(max_reads <= MAX_READS, "a RwLock may not be created with more than {MAX_READS} readers");
        assert!(max_reads > 0, "a RwLock needs room for at least one reader");
        RwLock { max_readers: max_reads, semaphore: Semaphore::new(max_reads as usize), value: UnsafeCell::new(value) }
    }

    /// A new unlocked lock holding `value`, in a `const` context (a
    /// `static`), as tokio's `const_new`.
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> RwLock<T> {
        RwLock::const_with_max_readers(value, MAX_READS)
    }

    /// [`with_max_readers`](RwLock::with_max_readers) in a `const` context.
    ///
    /// # Panics
    /// As `with_max_readers` (at compile time in a `static`).
    #[cfg(not(loom))]
    pub const fn const_with_max_readers(value: T, max_reads: u32) -> RwLock<T> {
        assert!(max_reads <= MAX_READS, "a RwLock may not be created with more than u32::MAX >> 3 readers");
        assert!(max_reads > 0, "a RwLock needs room for at least one reader");
        RwLock {
            max_readers: max_reads,
            semaphore: Semaphore::const_new(max_reads as usize),
            value: UnsafeCell::new(value),
        }
    }

    /// The value, consuming the lock.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Shared access from synchronous code, blocking this thread.
    ///
    /// # Panics
    /// On a thread that runs asynchronous tasks, with tokio's message.
    #[cfg(not(loom))]
    #[track_caller]
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        runtime_executor::wait_blocking(self.read())
    }

    /// Exclusive access from synchronous code, blocking this thread.
    ///
    /// # Panics
    /// On a thread that runs asynchronous tasks, with tokio's message.
    #[cfg(not(loom))]
    #[track_caller]
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        runtime_executor::wait_blocking(self.write())
    }

    /// Waits for shared access, behind every writer queued before.
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        self.acquire(1, &READ).await;
        RwLockReadGuard::new(&self.semaphore, self.data())
    }

    /// Waits for exclusive access, in arrival order.
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.acquire(self.max_readers, &WRITE).await;
        RwLockWriteGuard::new(&self.semaphore, self.max_readers, self.data())
    }

    /// Takes shared access if no writer holds or waits for the lock.
    ///
    /// # Errors
    /// [`TryLockError`](crate::TryLockError) otherwise.
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, crate::TryLockError> {
        self.semaphore.try_take(1).map_err(crate::TryLockError::from)?;
        Ok(RwLockReadGuard::new(&self.semaphore, self.data()))
    }

    /// Takes exclusive access if nobody holds or waits for the lock.
    ///
    /// # Errors
    /// [`TryLockError`](crate::TryLockError) otherwise.
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, crate::TryLockError> {
        self.semaphore.try_take(self.max_readers as usize).map_err(crate::TryLockError::from)?;
        Ok(RwLockWriteGuard::new(&self.semaphore, self.max_readers, self.data()))
    }

    /// [`read`](RwLock::read) with a guard that owns a reference to the
    /// lock, for a guard that outlives a borrow (moved into a task).
    pub async fn read_owned(self: Arc<Self>) -> OwnedRwLockReadGuard<T> {
        self.acquire(1, &READ).await;
        let value = self.data();
        OwnedRwLockReadGuard::new(self, value)
    }

    /// [`write`](RwLock::write) with a guard that owns a reference to the lock.
    pub async fn write_owned(self: Arc<Self>) -> OwnedRwLockWriteGuard<T> {
        self.acquire(self.max_readers, &WRITE).await;
        let value = self.data();
        OwnedRwLockWriteGuard::new(self, value)
    }

    /// [`try_read`](RwLock::try_read) with a guard that owns a reference to the lock.
    ///
    /// # Errors
    /// [`TryLockError`](crate::TryLockError) when a writer holds or waits for the lock.
    pub fn try_read_owned(self: Arc<Self>) -> Result<OwnedRwLockReadGuard<T>, crate::TryLockError> {
        self.semaphore.try_take(1).map_err(crate::TryLockError::from)?;
        let value = self.data();
        Ok(OwnedRwLockReadGuard::new(self, value))
    }

    /// [`try_write`](RwLock::try_write) with a guard that owns a reference to the lock.
    ///
    /// # Errors
    /// [`TryLockError`](crate::TryLockError) when anybody holds or waits for the lock.
    pub fn try_write_owned(self: Arc<Self>) -> Result<OwnedRwLockWriteGuard<T>, crate::TryLockError> {
        self.semaphore.try_take(self.max_readers as usize).map_err(crate::TryLockError::from)?;
        let value = self.data();
        Ok(OwnedRwLockWriteGuard::new(self, value))
    }

    /// Waits for `permits` of the lock's semaphore, which is never closed.
    async fn acquire(&self, permits: u32, resource: &'static Resource) {
        if Acquiring::lock(&self.semaphore, permits as usize, resource).await.is_err() {
            unreachable!("a lock's semaphore is never closed");
        }
    }

    /// A pointer to the value, for a guard (invariant 3).
    fn data(&self) -> NonNull<T> {
        self.value.with_mut(|value| NonNull::new(value).unwrap_or_else(|| unreachable!("a cell is never null")))
    }

    /// The value, through exclusive access to the lock.
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> Self {
        RwLock::new(value)
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => d.field("value", &&*guard),
            Err(_) => d.field("value", &format_args!("<locked>")),
        };
        d.finish()
    }
}
