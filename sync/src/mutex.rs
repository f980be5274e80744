//! [`Mutex`]: an async mutual-exclusion lock, a [`Semaphore`] of one permit
//! around the value.
//!
//! # Invariants
//! 1. A guard exists only while its holder owns the semaphore's one permit,
//!    so at most one guard exists at a time and the value is touched only
//!    through it (or through `&mut Mutex`).
//! 2. The permit goes back only when the guard drops, after its last use of
//!    the value; the semaphore's Release/Acquire pair orders one holder's
//!    writes before the next holder's reads.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

use runtime_executor::Resource;

use crate::semaphore::{Acquiring, Semaphore, TryAcquireError};
use std::sync::Arc;

use crate::guard::take_field;
use crate::sync::UnsafeCell;

mod mapped;
pub use mapped::{MappedMutexGuard, OwnedMappedMutexGuard};

/// What a task waiting for the lock waits on, in a task dump.
static LOCK: Resource = Resource::new("Mutex::lock");

/// An async mutex: `lock().await` waits without blocking the thread, and
/// waiters get the lock in arrival order. Cancel-safe: a dropped `lock()`
/// future hands its turn to the next waiter.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use runtime::sync::Mutex;
///
/// # runtime::block_on(async {
/// let counter = Arc::new(Mutex::new(0));
/// let tasks: Vec<_> = (0..10)
///     .map(|_| {
///         let counter = counter.clone();
///         runtime::spawn(async move { *counter.lock().await += 1 })
///     })
///     .collect();
/// for task in tasks {
///     task.await.unwrap();
/// }
/// assert_eq!(*counter.lock().await, 10);
/// # });
/// ```
pub struct Mutex<T: ?Sized> {
    semaphore: Semaphore,
    value: UnsafeCell<T>,
}

// SAFETY: the mutex hands `T` from thread to thread, so `T: Send` suffices
// for both: only one guard touches it at a time (invariant 1).
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as for Send; `&Mutex` gives access to `T` only through a guard.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `value`.
    pub fn new(value: T) -> Mutex<T> {
        Mutex { semaphore: Semaphore::new(1), value: UnsafeCell::new(value) }
    }

    /// A new unlocked mutex holding `value`, in a `const` context: a
    /// `static` mutex, as tokio's `const_new`.
    ///
    /// # Examples
    /// ```
    /// static COUNT: runtime::sync::Mutex<u32> = runtime::sync::Mutex::const_new(0);
    ///
    /// # runtime::block_on(async {
    /// *COUNT.lock().await += 1;
    /// assert_eq!(*COUNT.lock().await, 1);
    /// # });
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> Mutex<T> {
        Mutex { semaphore: Semaphore::const_new(1), value: UnsafeCell::new(value) }
    }

    /// The value, consuming the mutex.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock, in arrival order.
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        match Acquiring::lock(&self.semaphore, 1, &LOCK).await {
            Ok(()) => MutexGuard { mutex: self },
            Err(_) => unreachable!("a mutex's semaphore is never closed"),
        }
    }

    /// Takes the lock from synchronous code, blocking this thread until it
    /// is free (in arrival order with the async lockers).
    ///
    /// # Panics
    /// On a thread that runs asynchronous tasks (a worker, or inside
    /// `block_on`), with tokio's message: it would stall them.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// let counter = Arc::new(runtime::sync::Mutex::new(0));
    /// let worker = std::thread::spawn({
    ///     let counter = counter.clone();
    ///     move || *counter.blocking_lock() += 1
    /// });
    /// worker.join().unwrap();
    /// assert_eq!(*counter.blocking_lock(), 1);
    /// ```
    #[cfg(not(loom))]
    #[track_caller]
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        runtime_executor::wait_blocking(self.lock())
    }

    /// [`lock_owned`](Mutex::lock_owned) from synchronous code, blocking this thread.
    ///
    /// # Panics
    /// On a thread that runs asynchronous tasks, with tokio's message.
    #[cfg(not(loom))]
    #[track_caller]
    pub fn blocking_lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        runtime_executor::wait_blocking(self.lock_owned())
    }

    /// Waits for the lock and returns a guard that keeps the `Arc` alive, for
    /// holding the lock across a `spawn`.
    pub async fn lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        match Acquiring::lock(&self.semaphore, 1, &LOCK).await {
            Ok(()) => OwnedMutexGuard { mutex: self },
            Err(_) => unreachable!("a mutex's semaphore is never closed"),
        }
    }

    /// Takes the lock if it is free and nobody waits for it.
    ///
    /// # Errors
    /// [`TryLockError`] when it is held or waited for.
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        self.semaphore.try_take(1).map_err(TryLockError::from)?;
        Ok(MutexGuard { mutex: self })
    }

    /// [`try_lock`](Mutex::try_lock) with a guard that keeps the `Arc` alive.
    ///
    /// # Errors
    /// [`TryLockError`] when it is held or waited for.
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        self.semaphore.try_take(1).map_err(TryLockError::from)?;
        Ok(OwnedMutexGuard { mutex: self })
    }

    /// The value, through exclusive access to the mutex (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }

    /// # Safety
    /// The caller holds the permit (invariant 1), shared access only.
    unsafe fn value(&self) -> &T {
        // SAFETY: the permit is the caller's, so no guard writes (invariant 1).
        self.value.with(|value| unsafe { &*value })
    }

    /// # Safety
    /// The caller holds the permit (invariant 1) and `&mut` to its guard.
    #[allow(clippy::mut_from_ref)]
    unsafe fn value_mut(&self) -> &mut T {
        // SAFETY: the permit is the caller's, and its guard is borrowed
        // mutably, so this is the only reference (invariant 1).
        self.value.with_mut(|value| unsafe { &mut *value })
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Self {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => d.field("value", &&*guard),
            Err(_) => d.field("value", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// The lock of a [`Mutex`], released when dropped.
#[must_use = "dropping the guard releases the lock at once"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
}

// SAFETY: the guard gives `&T` to whoever holds `&MutexGuard`.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The mutex this guard locks (an associated function, so that it
    /// shadows no method of `T`).
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.mutex
    }

    /// Narrows the guard to a part of the value; the lock stays held until
    /// the mapped guard drops.
    ///
    /// # Examples
    /// ```
    /// use runtime::sync::{Mutex, MutexGuard};
    ///
    /// # runtime::block_on(async {
    /// let pair = Mutex::new((1, String::from("a")));
    /// let mut name = MutexGuard::map(pair.lock().await, |pair| &mut pair.1);
    /// name.push('b');
    /// assert!(pair.try_lock().is_err(), "still locked");
    /// drop(name);
    /// assert_eq!(pair.lock().await.1, "ab");
    /// # });
    /// ```
    pub fn map<U: ?Sized>(this: Self, f: impl FnOnce(&mut T) -> &mut U) -> MappedMutexGuard<'a, U> {
        MappedMutexGuard::map(Self::into_mapped(this), f)
    }

    /// [`map`](Self::map) when `f` finds the part; the guard back otherwise.
    ///
    /// # Errors
    /// The unchanged guard when `f` returns `None`.
    pub fn try_map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<MappedMutexGuard<'a, U>, Self> {
        let mutex = this.mutex;
        MappedMutexGuard::try_map(Self::into_mapped(this), f).map_err(|whole| {
            std::mem::forget(whole); // its permit passes back to a guard of the mutex
            MutexGuard { mutex }
        })
    }

    /// The same lock as a mapped guard of the whole value (the permit moves).
    fn into_mapped(mut this: Self) -> MappedMutexGuard<'a, T> {
        let value = NonNull::from(&mut *this);
        let semaphore = &this.mutex.semaphore;
        std::mem::forget(this);
        MappedMutexGuard::new(semaphore, value)
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the permit (invariant 1).
        unsafe { self.mutex.value() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the permit and is borrowed mutably (invariant 1).
        unsafe { self.mutex.value_mut() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The lock of a [`Mutex`] behind an `Arc`, released when dropped.
#[must_use = "dropping the guard releases the lock at once"]
pub struct OwnedMutexGuard<T: ?Sized> {
    mutex: Arc<Mutex<T>>,
}

// SAFETY: the guard gives `&T` to whoever holds `&OwnedMutexGuard`.
unsafe impl<T: ?Sized + Sync> Sync for OwnedMutexGuard<T> {}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The mutex this guard locks (an associated function, so that it
    /// shadows no method of `T`).
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.mutex
    }

    /// Narrows the guard to a part of the value; the lock stays held until
    /// the mapped guard drops.
    pub fn map<U: ?Sized>(this: Self, f: impl FnOnce(&mut T) -> &mut U) -> OwnedMappedMutexGuard<T, U> {
        OwnedMappedMutexGuard::map(Self::into_mapped(this), f)
    }

    /// [`map`](Self::map) when `f` finds the part; the guard back otherwise.
    ///
    /// # Errors
    /// The unchanged guard when `f` returns `None`.
    pub fn try_map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<OwnedMappedMutexGuard<T, U>, Self> {
        OwnedMappedMutexGuard::try_map(Self::into_mapped(this), f).map_err(OwnedMappedMutexGuard::into_whole)
    }

    /// The same lock as a mapped guard of the whole value (the permit moves).
    fn into_mapped(mut this: Self) -> OwnedMappedMutexGuard<T, T> {
        let value = NonNull::from(&mut *this);
        OwnedMappedMutexGuard::new(take_field(this, |guard| &guard.mutex), value)
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the permit (invariant 1).
        unsafe { self.mutex.value() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the permit and is borrowed mutably (invariant 1).
        unsafe { self.mutex.value_mut() }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.mutex.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The lock was held or waited for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryLockError(());

/// A lock's semaphore is never closed: every refusal is "held or waited for".
impl From<TryAcquireError> for TryLockError {
    fn from(_: TryAcquireError) -> TryLockError {
        TryLockError(())
    }
}

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("operation would block")
    }
}

impl std::error::Error for TryLockError {}
