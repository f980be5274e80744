//! The synchronisation primitives this crate builds on: `std`'s, or loom's
//! under `--cfg loom`, so the loom models check the very code that ships.

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{fence, AtomicBool, AtomicUsize},
    Arc, Mutex, MutexGuard,
};

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{fence, AtomicBool, AtomicUsize},
    Arc, Mutex, MutexGuard,
};

/// Locks `mutex`, ignoring poison: no user code runs while our locks are held
/// (wakers are woken after unlocking), so the state behind them stays whole.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    #[cfg(loom)]
    return mutex.lock().unwrap();
    #[cfg(not(loom))]
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An `UnsafeCell` with loom's closure-based access, so loom can check that
/// no two threads touch the cell at once.
#[derive(Debug)]
pub(crate) struct UnsafeCell<T: ?Sized>(
    #[cfg(loom)] loom::cell::UnsafeCell<T>,
    #[cfg(not(loom))] std::cell::UnsafeCell<T>,
);

impl<T> UnsafeCell<T> {
    pub(crate) fn new(value: T) -> Self {
        #[cfg(loom)]
        return Self(loom::cell::UnsafeCell::new(value));
        #[cfg(not(loom))]
        Self(std::cell::UnsafeCell::new(value))
    }

    pub(crate) fn into_inner(self) -> T {
        #[cfg(loom)]
        return self.0.into_inner();
        #[cfg(not(loom))]
        self.0.into_inner()
    }
}

impl<T: ?Sized> UnsafeCell<T> {
    /// Runs `f` with a shared pointer to the contents.
    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        #[cfg(loom)]
        return self.0.with(f);
        #[cfg(not(loom))]
        f(self.0.get())
    }

    /// Runs `f` with an exclusive pointer to the contents.
    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        #[cfg(loom)]
        return self.0.with_mut(f);
        #[cfg(not(loom))]
        f(self.0.get())
    }

    /// The contents, exclusively, through `&mut self`.
    pub(crate) fn get_mut(&mut self) -> &mut T {
        #[cfg(loom)]
        // SAFETY: `&mut self` proves no other access exists.
        return self.0.with_mut(|ptr| unsafe { &mut *ptr });
        #[cfg(not(loom))]
        self.0.get_mut()
    }
}
