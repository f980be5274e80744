//! The mapped guards of a [`Mutex`]: the lock held, access narrowed to a
//! part of the value (`MutexGuard::map`).
//!
//! # Invariants
//! 1. A mapped guard owns the mutex's one permit (taken over from the guard
//!    it was mapped from, which was forgotten, not dropped) and gives it back
//!    when it drops.
//! 2. `value` was derived from the `&mut T` of a guard that held that
//!    permit, so while the permit is held it is the only way to the part.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::Arc;

use super::{Mutex, OwnedMutexGuard};
use crate::guard::take_field;
use crate::semaphore::Semaphore;

/// The lock of a [`Mutex`], narrowed to a part of its value by
/// [`MutexGuard::map`](super::MutexGuard::map); released when dropped.
#[must_use = "dropping the guard releases the lock at once"]
pub struct MappedMutexGuard<'a, T: ?Sized> {
    semaphore: &'a Semaphore,
    value: NonNull<T>,
    /// Borrows the part mutably for `'a`, as a `&'a mut T` would.
    _part: PhantomData<&'a mut T>,
}

// SAFETY: the guard is a `&mut T` with a permit: it moves where `&mut T`
// moves (T: Send) and is shared where `&T` is (T: Sync).
unsafe impl<T: ?Sized + Send> Send for MappedMutexGuard<'_, T> {}
// SAFETY: as for Send.
unsafe impl<T: ?Sized + Sync> Sync for MappedMutexGuard<'_, T> {}

impl<'a, T: ?Sized> MappedMutexGuard<'a, T> {
    pub(super) fn new(semaphore: &'a Semaphore, value: NonNull<T>) -> Self {
        MappedMutexGuard { semaphore, value, _part: PhantomData }
    }

    /// Narrows the guard further.
    pub fn map<U: ?Sized>(mut this: Self, f: impl FnOnce(&mut T) -> &mut U) -> MappedMutexGuard<'a, U> {
        let value = NonNull::from(f(&mut *this));
        let semaphore = this.semaphore;
        std::mem::forget(this); // its permit passes on (invariant 1)
        MappedMutexGuard::new(semaphore, value)
    }

    /// [`map`](Self::map) when `f` finds the part; the guard back otherwise.
    ///
    /// # Errors
    /// The unchanged guard when `f` returns `None`.
    pub fn try_map<U: ?Sized>(
        mut this: Self,
        f: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Result<MappedMutexGuard<'a, U>, Self> {
        match f(&mut *this).map(NonNull::from) {
            Some(value) => {
                let semaphore = this.semaphore;
                std::mem::forget(this);
                Ok(MappedMutexGuard::new(semaphore, value))
            }
            None => Err(this),
        }
    }
}

impl<T: ?Sized> Deref for MappedMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the permit is ours and `value` is the part (invariants 1, 2).
        unsafe { self.value.as_ref() }
    }
}

impl<T: ?Sized> DerefMut for MappedMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as for deref, and the guard is borrowed mutably.
        unsafe { self.value.as_mut() }
    }
}

impl<T: ?Sized> Drop for MappedMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MappedMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The lock of a [`Mutex`] behind an `Arc`, narrowed to a part `U` of its
/// value by [`OwnedMutexGuard::map`](super::OwnedMutexGuard::map); released
/// when dropped.
#[must_use = "dropping the guard releases the lock at once"]
pub struct OwnedMappedMutexGuard<T: ?Sized, U: ?Sized = T> {
    mutex: Arc<Mutex<T>>,
    value: NonNull<U>,
}

// SAFETY: as MappedMutexGuard's, plus the Arc, which moves with the lock (T: Send).
unsafe impl<T: ?Sized + Send, U: ?Sized + Send> Send for OwnedMappedMutexGuard<T, U> {}
// SAFETY: as for Send; `&guard` gives `&U` (U: Sync) and shares the Arc.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedMappedMutexGuard<T, U> {}

impl<T: ?Sized, U: ?Sized> OwnedMappedMutexGuard<T, U> {
    pub(super) fn new(mutex: Arc<Mutex<T>>, value: NonNull<U>) -> Self {
        OwnedMappedMutexGuard { mutex, value }
    }

    /// The mutex this guard locks.
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.mutex
    }

    /// Narrows the guard further.
    pub fn map<S: ?Sized>(mut this: Self, f: impl FnOnce(&mut U) -> &mut S) -> OwnedMappedMutexGuard<T, S> {
        let value = NonNull::from(f(&mut *this));
        OwnedMappedMutexGuard::new(take_field(this, |guard| &guard.mutex), value)
    }

    /// [`map`](Self::map) when `f` finds the part; the guard back otherwise.
    ///
    /// # Errors
    /// The unchanged guard when `f` returns `None`.
    pub fn try_map<S: ?Sized>(
        mut this: Self,
        f: impl FnOnce(&mut U) -> Option<&mut S>,
    ) -> Result<OwnedMappedMutexGuard<T, S>, Self> {
        match f(&mut *this).map(NonNull::from) {
            Some(value) => Ok(OwnedMappedMutexGuard::new(take_field(this, |guard| &guard.mutex), value)),
            None => Err(this),
        }
    }
}

impl<T: ?Sized> OwnedMappedMutexGuard<T, T> {
    /// The whole-value guard again (the permit moves back).
    pub(super) fn into_whole(this: Self) -> OwnedMutexGuard<T> {
        OwnedMutexGuard { mutex: take_field(this, |guard| &guard.mutex) }
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedMappedMutexGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: the permit is ours and `value` is the part (invariants 1, 2).
        unsafe { self.value.as_ref() }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedMappedMutexGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as for deref, and the guard is borrowed mutably.
        unsafe { self.value.as_mut() }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedMappedMutexGuard<T, U> {
    fn drop(&mut self) {
        self.mutex.semaphore.release(1);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedMappedMutexGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::super::{MutexGuard, OwnedMutexGuard};
    use super::*;

    /// Under Miri: the mapped pointers stay valid while the permit is held,
    /// and every map hands the one permit on.
    #[test]
    fn mapped_guards_reach_their_part_and_release_the_lock_once() {
        let mutex = Mutex::new((1, vec![2, 3]));
        let list = MutexGuard::map(mutex.try_lock().unwrap(), |pair| &mut pair.1);
        let mut last = MappedMutexGuard::try_map(list, |list| list.last_mut()).unwrap();
        *last += 10;
        assert!(mutex.try_lock().is_err());
        drop(last);
        assert_eq!(mutex.try_lock().unwrap().1, [2, 13]);

        let shared = Arc::new(Mutex::new(String::from("a")));
        let guard = shared.clone().try_lock_owned().unwrap();
        let mut text = OwnedMutexGuard::map(guard, |text| text.as_mut_str());
        text.make_ascii_uppercase();
        let text = OwnedMappedMutexGuard::try_map(text, |_| None::<&mut u8>).unwrap_err();
        assert_eq!(&*text, "A");
        drop(text);
        assert_eq!(shared.semaphore.available_permits(), 1);
    }
}
