//! The owned guards of an [`RwLock`] behind an `Arc` (`read_owned`,
//! `write_owned`): each keeps the lock alive, and a pointer to the value or
//! to the part a `map` chose (see the parent module's invariants).

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::Arc;

use super::RwLock;
use crate::guard::take_field;

/// Shared access to an [`RwLock`] behind an `Arc`, to its value or (after
/// [`map`](OwnedRwLockReadGuard::map)) a part `U` of it; released when dropped.
#[must_use = "dropping the guard releases the lock at once"]
pub struct OwnedRwLockReadGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<RwLock<T>>,
    value: NonNull<U>,
}

// SAFETY: the guard gives `&U` and shares the lock, which any thread may
// release (T: Send + Sync for the Arc<RwLock<T>>).
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Send for OwnedRwLockReadGuard<T, U> {}
// SAFETY: as for Send.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedRwLockReadGuard<T, U> {}

impl<T: ?Sized, U: ?Sized> OwnedRwLockReadGuard<T, U> {
    pub(super) fn new(lock: Arc<RwLock<T>>, value: NonNull<U>) -> Self {
        OwnedRwLockReadGuard { lock, value }
    }

    /// The lock this guard reads.
    pub fn rwlock(this: &Self) -> &Arc<RwLock<T>> {
        &this.lock
    }

    /// Narrows the guard to a part of the value.
    pub fn map<V: ?Sized>(this: Self, f: impl FnOnce(&U) -> &V) -> OwnedRwLockReadGuard<T, V> {
        let value = NonNull::from(f(&*this));
        OwnedRwLockReadGuard::new(take_field(this, |guard| &guard.lock), value)
    }

    /// [`map`](Self::map) when `f` finds the part; the guard back otherwise.
    ///
    /// # Errors
    /// The unchanged guard when `f` returns `None`.
    pub fn try_map<V: ?Sized>(
        this: Self,
        f: impl FnOnce(&U) -> Option<&V>,
    ) -> Result<OwnedRwLockReadGuard<T, V>, Self> {
        match f(&*this).map(NonNull::from) {
            Some(value) => Ok(OwnedRwLockReadGuard::new(take_field(this, |guard| &guard.lock), value)),
            None => Err(this),
        }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockReadGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: we hold a read permit and the pointer was derived under it (invariants 1, 3).
        unsafe { self.value.as_ref() }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockReadGuard<T, U> {
    fn drop(&mut self) {
        self.lock.semaphore.release(1);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockReadGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Exclusive access to a part `U` of an [`RwLock`]'s value behind an `Arc`,
/// from [`OwnedRwLockWriteGuard::map`]; released when dropped.
#[must_use = "dropping the guard releases the lock at once"]
pub struct OwnedRwLockMappedWriteGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<RwLock<T>>,
    value: NonNull<U>,
}

/// Exclusive access to an [`RwLock`] behind an `Arc`, released when dropped.
#[must_use = "dropping the guard releases the lock at once"]
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
    value: NonNull<T>,
}

/// What both owned write guards have: `&mut`, release of every permit, map.
macro_rules! owned_write_guard {
    ([$($g:ident),*] $name:ty, $t:ident, $u:ident) => {
        // SAFETY: the guard gives `&mut U` on whichever thread holds it, and
        // shares the lock.
        unsafe impl<$($g: ?Sized),*> Send for $name where $t: Send + Sync, $u: Send + Sync {}
        // SAFETY: `&guard` gives `&U`.
        unsafe impl<$($g: ?Sized),*> Sync for $name where $t: Send + Sync, $u: Send + Sync {}

        impl<$($g: ?Sized),*> $name {
            /// The lock this guard writes.
            pub fn rwlock(this: &Self) -> &Arc<RwLock<$t>> {
                &this.lock
            }

            /// Narrows the guard to a part of the value; the write lock stays
            /// held until the mapped guard drops.
            pub fn map<V: ?Sized>(mut this: Self, f: impl FnOnce(&mut $u) -> &mut V) -> OwnedRwLockMappedWriteGuard<$t, V> {
                let value = NonNull::from(f(&mut *this));
                OwnedRwLockMappedWriteGuard { lock: take_field(this, |guard| &guard.lock), value }
            }

            /// [`map`](Self::map) when `f` finds the part; the guard back otherwise.
            ///
            /// # Errors
            /// The unchanged guard when `f` returns `None`.
            pub fn try_map<V: ?Sized>(
                mut this: Self,
                f: impl FnOnce(&mut $u) -> Option<&mut V>,
            ) -> Result<OwnedRwLockMappedWriteGuard<$t, V>, Self> {
                match f(&mut *this).map(NonNull::from) {
                    Some(value) => Ok(OwnedRwLockMappedWriteGuard { lock: take_field(this, |guard| &guard.lock), value }),
                    None => Err(this),
                }
            }
        }

        impl<$($g: ?Sized),*> Deref for $name {
            type Target = $u;
            fn deref(&self) -> &$u {
                // SAFETY: we hold every permit, so no other guard exists (invariants 1, 3).
                unsafe { self.value.as_ref() }
            }
        }

        impl<$($g: ?Sized),*> DerefMut for $name {
            fn deref_mut(&mut self) -> &mut $u {
                // SAFETY: as for deref, and the guard is borrowed mutably.
                unsafe { self.value.as_mut() }
            }
        }

        impl<$($g: ?Sized),*> Drop for $name {
            fn drop(&mut self) {
                self.lock.semaphore.release(self.lock.max_readers as usize);
            }
        }

        impl<$($g: ?Sized),*> fmt::Debug for $name where $u: fmt::Debug {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }
    };
}

owned_write_guard!([T, U] OwnedRwLockMappedWriteGuard<T, U>, T, U);
owned_write_guard!([T] OwnedRwLockWriteGuard<T>, T, T);

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    pub(super) fn new(lock: Arc<RwLock<T>>, value: NonNull<T>) -> Self {
        OwnedRwLockWriteGuard { lock, value }
    }

    /// Turns the write access into read access without letting a writer in
    /// between (as [`RwLockWriteGuard::downgrade`](super::RwLockWriteGuard::downgrade)).
    pub fn downgrade(this: Self) -> OwnedRwLockReadGuard<T> {
        let value = this.value;
        Self::keep_one_permit(this, value)
    }

    /// [`downgrade`](Self::downgrade), narrowed to a part of the value.
    pub fn downgrade_map<U: ?Sized>(this: Self, f: impl FnOnce(&T) -> &U) -> OwnedRwLockReadGuard<T, U> {
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
    ) -> Result<OwnedRwLockReadGuard<T, U>, Self> {
        match f(&*this).map(NonNull::from) {
            Some(value) => Ok(Self::keep_one_permit(this, value)),
            None => Err(this),
        }
    }

    /// The same access as a mapped guard (of the whole value).
    pub fn into_mapped(this: Self) -> OwnedRwLockMappedWriteGuard<T> {
        Self::map(this, |value| value)
    }

    /// Gives back every permit but one and makes a read guard of `value`
    /// with that one (invariant 2).
    fn keep_one_permit<U: ?Sized>(this: Self, value: NonNull<U>) -> OwnedRwLockReadGuard<T, U> {
        let lock = take_field(this, |guard| &guard.lock);
        lock.semaphore.release(lock.max_readers as usize - 1);
        OwnedRwLockReadGuard::new(lock, value)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// Under Miri: owned guards map and downgrade without a dangling pointer,
    /// and the permits add up again at the end.
    #[test]
    fn owned_guards_map_downgrade_and_give_every_permit_back() {
        let lock = Arc::new(RwLock::with_max_readers((1, String::from("x")), 3));
        let mut write = lock.clone().try_write_owned().unwrap();
        write.1.push('y');
        let mut text = OwnedRwLockWriteGuard::map(write, |pair| &mut pair.1);
        text.push('z');
        drop(text);
        let write = lock.clone().try_write_owned().unwrap();
        let read = OwnedRwLockWriteGuard::downgrade_map(write, |pair| pair.1.as_str());
        let other = lock.clone().try_read_owned().unwrap();
        assert_eq!((&*read, other.0), ("xyz", 1));
        let read = OwnedRwLockReadGuard::map(read, |text| &text[1..]);
        assert_eq!(&*read, "yz");
        drop((read, other));
        assert_eq!(lock.semaphore.available_permits(), 3);
    }
}
