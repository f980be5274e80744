//! The synchronisation primitives of this crate: `std`'s, or loom's under `--cfg loom`.

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{fence, AtomicBool, AtomicU64},
    Arc, Mutex, MutexGuard,
};

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{fence, AtomicBool, AtomicU64},
    Arc, Mutex, MutexGuard,
};

/// Locks `mutex`, ignoring poison: no user code runs while the wheel is locked.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    #[cfg(loom)]
    return mutex.lock().unwrap();
    #[cfg(not(loom))]
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
