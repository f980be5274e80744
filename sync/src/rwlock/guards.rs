//! The borrowed guards of an [`RwLock`](super::RwLock): read, write, and a
//! write narrowed by `map` (see the parent module's invariants).

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

use crate::semaphore::Semaphore;

/// Shared access to an [`RwLock`](super::RwLock) (or to a part of its value,
/// after [`map`](RwLockReadGuard::map)), released when dropped.
#[must_use = "dropping the guard releases the lock at once"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    semaphore: &'a Semaphore,
    value: NonNull<T>,
    _part: PhantomData<&'a T>,
}

// SAFETY: a read guard only ever gives `&T` (invariant 1), so it may move or
// be shared where `&T` may.
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: as for Send.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    pub(super) fn new(semaphore: &'a Semaphore, value: NonNull<T>) -> Self {
        RwLockReadGuard { semaphore, value, _part: PhantomData }
    }

    /// Narrows the guard to a part of the value; the read lock stays held
    /// until the new guard drops (an associated function, so that it
    /// shadows no method of `T`).
    ///
    /// # Examples
    /// ```
    /// use runtime::sync::{RwLock, RwLockReadGuard};
    ///
    /// # runtime::block_on(async {
    /// let lock = RwLock::new((1, "one"));
    /// let name = RwLockReadGuard::map(lock.read().await, |pair| &pair.1);
    /// assert_eq!(*name, "one");
    /// # });
    /// ```
    pub fn map<U: ?Sized>(this: Self, f: impl FnOnce(&T) -> &U) -> RwLockReadGuard<'a, U> {
        let value = NonNull::from(f(&*this));
        RwLockReadGuard::new(std::mem::ManuallyDrop::new(this).semaphore, value)
    }

    /// [`map`](Self::map) when `f` finds the part; the guard back otherwise.
    ///
    /// # Errors
    /// The unchanged guard when `f` returns `None`.
    pub fn try_map<U: ?Sized>(this: Self, f: impl FnOnce(&T) -> Option<&U>) -> Result<RwLockReadGuard<'a, U>, Self> {
        match f(&*this).map(NonNull::from) {
            Some(value) => Ok(RwLockReadGuard::new(std::mem::ManuallyDrop::new(this).semaphore, value)),
            None => Err(this),
        }
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: we hold a read permit, so no write guard exists, and the
        // pointer was derived under it (invariants 1, 3).
        unsafe { self.value.as_ref() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The parts of a borrowed write guard: the permits and the value.
macro_rules! write_guard {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[must_use = "dropping the guard releases the lock at once"]
        pub struct $name<'a, T: ?Sized> {
            semaphore: &'a Semaphore,
            /// Every permit of the lock (its `max_readers`).
            permits: u32,
            value: NonNull<T>,
            _part: PhantomData<&'a mut T>,
        }

        // SAFETY: the guard gives `&mut T` on whichever thread holds it.
        unsafe impl<T: ?Sized + Send + Sync> Send for $name<'_, T> {}
        // SAFETY: `&guard` gives `&T`.
        unsafe impl<T: ?Sized + Send + Sync> Sync for $name<'_, T> {}

        impl<'a, T: ?Sized> $name<'a, T> {
            pub(super) fn new(semaphore: &'a Semaphore, permits: u32, value: NonNull<T>) -> Self {
                $name { semaphore, permits, value, _part: PhantomData }
            }

            /// Narrows the guard to a part of the value; the write lock stays
            /// held until the mapped guard drops.
            pub fn map<U: ?Sized>(mut this: Self, f: impl FnOnce(&mut T) -> &mut U) -> RwLockMappedWriteGuard<'a, U> {
                let value = NonNull::from(f(&mut *this));
                let this = std::mem::ManuallyDrop::new(this);
                RwLockMappedWriteGuard::new(this.semaphore, this.permits, value)
            }

            /// [`map`](Self::map) when `f` finds the part; the guard back otherwise.
            ///
            /// # Errors
            /// The unchanged guard when `f` returns `None`.
            pub fn try_map<U: ?Sized>(
                mut this: Self,
                f: impl FnOnce(&mut T) -> Option<&mut U>,
            ) -> Result<RwLockMappedWriteGuard<'a, U>, Self> {
                match f(&mut *this).map(NonNull::from) {
                    Some(value) => {
                        let this = std::mem::ManuallyDrop::new(this);
                        Ok(RwLockMappedWriteGuard::new(this.semaphore, this.permits, value))
                    }
                    None => Err(this),
                }
            }
        }

        impl<T: ?Sized> Deref for $name<'_, T> {
            type Target = T;
            fn deref(&self) -> &T {
                // SAFETY: we hold every permit, so no other guard exists (invariants 1, 3).
                unsafe { self.value.as_ref() }
            }
        }

        impl<T: ?Sized> DerefMut for $name<'_, T> {
            fn deref_mut(&mut self) -> &mut T {
                // SAFETY: as for deref, and the guard is borrowed mutably.
                unsafe { self.value.as_mut() }
            }
        }

        impl<T: ?Sized> Drop for $name<'_, T> {
            fn drop(&mut self) {
                self.semaphore.release(self.permits as usize);
            }
        }

        impl<T: ?Sized + fmt::Debug> fmt::Debug for $name<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }
    };
}

write_guard!(
    /// Exclusive access to an [`RwLock`](super::RwLock), released when dropped.
    RwLockWriteGuard
);

write_guard!(
    /// Exclusive access to a part of an [`RwLock`](super::RwLock)'s value,
    /// from [`RwLockWriteGuard::map`]; released when dropped.
    RwLockMappedWriteGuard
);

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Turns the write access into read access without letting a writer in
    /// between: the readers queued before the next writer get in at once.
    ///
    /// # Examples
    /// ```
    /// use runtime::sync::{RwLock, RwLockWriteGuard};
    ///
    /// # runtime::block_on(async {
    /// let lock = RwLock::new(1);
    /// let mut write = lock.write().await;
    /// *write = 2;
    /// let read = RwLockWriteGuard::downgrade(write);
    /// assert_eq!(*read, 2);
    /// assert_eq!(*lock.try_read().unwrap(), 2, "other readers get in");
    /// # });
    /// ```
    pub fn downgrade(this: Self) -> RwLockReadGuard<'a, T> {
        let value = this.value;
        Self::keep_one_permit(this, value)
    }

    /// [`downgrade`](Self::downgrade), narrowed to a part of the value.
    pub fn downgrade_map<U: ?Sized>(this: Self, f: impl FnOnce(&T) -> &U) -> RwLockReadGuard<'a, U> {
        let value = NonNull::from(f(&*this));
        Self::keep_one_permit(this, value)
    }

    /// [`downgrade_map`](Self::downgrade_map) when `f` finds the part; the
    /// write guard back otherwise.
    ///
    /// # Errors
    /// The unchanged guard when `f` returns `None`.
    pub fn try_downgrade_map<U: ?Sized>(
        this: Self,
        f: impl FnOnce(&T) -> Option<&U>,
    ) -> Result<RwLockReadGuard<'a, U>, Self> {
        match f(&*this).map(NonNull::from) {
            Some(value) => Ok(Self::keep_one_permit(this, value)),
            None => Err(this),
        }
    }

    /// The same access as a mapped guard (of the whole value).
    pub fn into_mapped(this: Self) -> RwLockMappedWriteGuard<'a, T> {
        Self::map(this, |value| value)
    }

    /// Gives back every permit but one (to the waiters in arrival order) and
    /// makes a read guard of `value` with that one (invariant 2).
    fn keep_one_permit<U: ?Sized>(this: Self, value: NonNull<U>) -> RwLockReadGuard<'a, U> {
        let this = std::mem::ManuallyDrop::new(this);
        this.semaphore.release(this.permits as usize - 1);
        RwLockReadGuard::new(this.semaphore, value)
    }
}
