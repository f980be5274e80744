//! The synchronisation primitives every `runtime` crate builds on: `std`'s,
//! or loom's under `--cfg loom`, so that the loom models check the very code
//! that ships. Each crate imports this one as its `crate::sync`
//! (`pub(crate) use runtime_shim as sync;`) instead of keeping a copy.
//!
//! Only what both sides offer is here: atomics, `Arc`, `Mutex`, `RwLock` and
//! `Condvar`, threads and their `thread_local!` (loom's threads share one OS
//! thread, so a model's thread-locals must be loom's), a poison-ignoring [`lock`], and an [`UnsafeCell`] with
//! loom's closure-based access.
#![deny(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

#[cfg(loom)]
pub use loom::{
    sync::{
        atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize},
        Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
    },
    thread,
};

#[cfg(not(loom))]
pub use std::{
    sync::{
        atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize},
        Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
    },
    thread, thread_local,
};

#[cfg(loom)]
#[doc(hidden)]
pub use loom as __loom;

/// `thread_local!` under loom, which also takes std's `const { .. }`
/// initialiser (loom's own macro does not parse it).
#[cfg(loom)]
#[macro_export]
macro_rules! thread_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = const { $init:expr }; $($rest:tt)*) => {
        $crate::__loom::thread_local!($(#[$attr])* $vis static $name: $t = $init;);
        $crate::thread_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr; $($rest:tt)*) => {
        $crate::__loom::thread_local!($(#[$attr])* $vis static $name: $t = $init;);
        $crate::thread_local!($($rest)*);
    };
}

/// Locks `mutex`, ignoring poison. Every lock in `runtime` guards state that
/// stays whole across a panic: no user code runs while one is held (wakers
/// are woken, and dropped, after unlocking).
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    #[cfg(loom)]
    return mutex.lock().unwrap();
    #[cfg(not(loom))]
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An `UnsafeCell` with loom's closure-based access, so that loom can check
/// that no two threads touch the cell at once.
#[derive(Debug)]
pub struct UnsafeCell<T: ?Sized>(#[cfg(loom)] loom::cell::UnsafeCell<T>, #[cfg(not(loom))] std::cell::UnsafeCell<T>);

impl<T> UnsafeCell<T> {
    /// A cell holding `value` (a `const fn` outside loom, for statics).
    #[cfg(not(loom))]
    pub const fn new(value: T) -> Self {
        Self(std::cell::UnsafeCell::new(value))
    }

    /// A cell holding `value`.
    #[cfg(loom)]
    pub fn new(value: T) -> Self {
        Self(loom::cell::UnsafeCell::new(value))
    }

    /// The contents, taking the cell.
    pub fn into_inner(self) -> T {
        #[cfg(loom)]
        return self.0.into_inner();
        #[cfg(not(loom))]
        self.0.into_inner()
    }
}

impl<T: ?Sized> UnsafeCell<T> {
    /// Runs `f` with a shared pointer to the contents.
    #[inline(always)]
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        #[cfg(loom)]
        return self.0.with(f);
        #[cfg(not(loom))]
        f(self.0.get())
    }

    /// Runs `f` with an exclusive pointer to the contents.
    #[inline(always)]
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        #[cfg(loom)]
        return self.0.with_mut(f);
        #[cfg(not(loom))]
        f(self.0.get())
    }

    /// The contents, exclusively, through `&mut self`.
    pub fn get_mut(&mut self) -> &mut T {
        #[cfg(loom)]
        #[allow(unsafe_code)]
        // SAFETY: `&mut self` proves no other access exists.
        return self.0.with_mut(|ptr| unsafe { &mut *ptr });
        #[cfg(not(loom))]
        self.0.get_mut()
    }
}
