//! [`RwLock`]: many readers or one writer, a [`Semaphore`] of `MAX_READS`
//! permits around the value: a read takes one, a write takes them all.
//!
//! Because the semaphore serves waiters in arrival order, a queued writer is
//! not starved by readers that come after it: they queue behind it.
//!
//! # Invariants
//! 1. A read guard holds one permit; a write guard holds all `MAX_READS`.
//!    So while a write guard exists no other guard does, and the value is
//!    written only through the write guard (or `&mut RwLock`).
//! 2. Permits go back when a guard drops, after its last use of the value.

use std::fmt;
use std::ops::{Deref, DerefMut};

use runtime_executor::Resource;

use crate::semaphore::{Acquiring, Semaphore};
use crate::sync::UnsafeCell;

/// What a task waiting to read waits on, in a task dump.
static READ: Resource = Resource::new("RwLock::read");
/// What a task waiting to write waits on, in a task dump.
static WRITE: Resource = Resource::new("RwLock::write");

/// Readers a lock admits at once.
const MAX_READS: usize = if cfg!(loom) { 4 } else { u32::MAX as usize >> 3 };

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
        RwLock { semaphore: Semaphore::new(MAX_READS), value: UnsafeCell::new(value) }
    }

    /// A new unlocked lock holding `value`, in a `const` context (a
    /// `static`), as tokio's `const_new`.
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> RwLock<T> {
        RwLock { semaphore: Semaphore::const_new(MAX_READS), value: UnsafeCell::new(value) }
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
        match Acquiring::lock(&self.semaphore, 1, &READ).await {
            Ok(()) => RwLockReadGuard { lock: self },
            Err(_) => unreachable!("a lock's semaphore is never closed"),
        }
    }

    /// Waits for exclusive access, in arrival order.
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        match Acquiring::lock(&self.semaphore, MAX_READS, &WRITE).await {
            Ok(()) => RwLockWriteGuard { lock: self },
            Err(_) => unreachable!("a lock's semaphore is never closed"),
        }
    }

    /// Takes shared access if no writer holds or waits for the lock.
    ///
    /// # Errors
    /// [`TryLockError`](crate::TryLockError) otherwise.
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, crate::TryLockError> {
        self.semaphore.try_take(1).map_err(crate::TryLockError::from)?;
        Ok(RwLockReadGuard { lock: self })
    }

    /// Takes exclusive access if nobody holds or waits for the lock.
    ///
    /// # Errors
    /// [`TryLockError`](crate::TryLockError) otherwise.
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, crate::TryLockError> {
        self.semaphore.try_take(MAX_READS).map_err(crate::TryLockError::from)?;
        Ok(RwLockWriteGuard { lock: self })
    }

    /// The value, through exclusive access to the lock.
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
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

/// Shared access to an [`RwLock`], released when dropped.
#[must_use = "dropping the guard releases the lock at once"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

// SAFETY: a read guard only ever gives `&T` (invariant 1), so it may move or
// be shared where `&T` may.
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: as for Send.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: we hold a read permit, so no write guard exists (invariant 1).
        self.lock.value.with(|value| unsafe { &*value })
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Exclusive access to an [`RwLock`], released when dropped.
#[must_use = "dropping the guard releases the lock at once"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

// SAFETY: the write guard gives `&mut T` on whichever thread holds it.
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockWriteGuard<'_, T> {}
// SAFETY: `&RwLockWriteGuard` gives `&T`.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockWriteGuard<'_, T> {}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: we hold every permit, so no other guard exists (invariant 1).
        self.lock.value.with(|value| unsafe { &*value })
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: we hold every permit and the guard is borrowed mutably (invariant 1).
        self.lock.value.with_mut(|value| unsafe { &mut *value })
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(MAX_READS);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
