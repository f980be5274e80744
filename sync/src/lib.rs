//! Synchronisation for async tasks: channels ([`mpsc`], [`oneshot`],
//! [`broadcast`], [`watch`]) and locks ([`Mutex`], [`RwLock`],
//! [`Semaphore`], [`Notify`], [`Barrier`]).
//!
//! Every waiting future here is cancel-safe as tokio documents it (a dropped
//! `recv()` loses no message; a dropped `lock()` or `acquire()` hands its
//! place on), spends the task's cooperative budget when it completes, and
//! serves its waiters in arrival order. None blocks a thread; all work on any
//! executor, and outside one.
//!
//! # Examples
//! ```
//! use runtime::sync::{mpsc, Mutex};
//! use std::sync::Arc;
//!
//! # runtime::block_on(async {
//! let total = Arc::new(Mutex::new(0));
//! let (tx, mut rx) = mpsc::channel(8);
//! for i in 1..=3 {
//!     let tx = tx.clone();
//!     runtime::spawn(async move { tx.send(i).await.unwrap() });
//! }
//! drop(tx);
//! while let Some(i) = rx.recv().await {
//!     *total.lock().await += i;
//! }
//! assert_eq!(*total.lock().await, 6);
//! # });
//! ```
//!
//! # How it is built
//! One wait list (`wait_list.rs`: a slab of waiters threaded in arrival
//! order by index) sits behind each primitive's lock; the [`Semaphore`]'s
//! state word lets acquire and release skip that lock while nobody waits, and
//! [`Mutex`] and [`RwLock`] are semaphores around a value. [`oneshot`] is one
//! lock-free state word that also counts its two references. A bounded
//! [`mpsc`] channel is a semaphore of slots in front of a lock-free ring; an
//! unbounded one is a list behind a lock that the receiver takes whole.
//!
//! Unsafe code lives in `oneshot.rs` (the value and waker cells, one
//! allocation freed by whichever side lets go last), `block_cache.rs` (the
//! per-thread cache of freed blocks that allocation comes from),
//! `mpsc/ring.rs` (the ring's slots), `mutex.rs` and `rwlock.rs` with
//! their guards in `mutex/` and `rwlock/` (the guarded value, and the
//! pointer a mapped guard keeps to its part), `guard.rs` (a field moved out
//! of a guard that `map` forgets); each file opens with the invariants its `// SAFETY:`
//! comments cite. The lock-free parts have loom models
//! (`RUSTFLAGS="--cfg loom" cargo test -p runtime-sync --release --lib loom`)
//! and the unsafe ones run under Miri (`cargo +nightly miri test -p runtime-sync --lib`).
#![deny(unsafe_code)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(loom, allow(dead_code, unused_imports))]

pub(crate) use runtime_shim as sync;

mod barrier;
#[allow(unsafe_code)] // the mpsc ring's block cache
mod block_cache;
pub mod broadcast;
mod error;
#[allow(unsafe_code)] // moving a field out of a forgotten guard
mod guard;
#[allow(unsafe_code)] // the data behind the lock
mod mutex;
mod notify;
mod once_cell;
#[allow(unsafe_code)] // the value cell
pub mod oneshot;
#[allow(unsafe_code)] // the data behind the lock
mod rwlock;
mod semaphore;
mod wait_list;

pub mod mpsc;
pub mod watch;

#[cfg(all(test, loom))]
mod loom_tests;

/// `Pending`, after telling a task dump that the task waits on `resource`.
pub(crate) fn pending<T>(resource: &'static runtime_executor::Resource) -> std::task::Poll<T> {
    runtime_executor::waiting_on(runtime_executor::WaitingOn::Resource(resource));
    std::task::Poll::Pending
}

pub use barrier::{Barrier, BarrierWaitResult};

/// The futures of this module's types that have a name, at tokio's path.
pub mod futures {
    pub use crate::notify::{Notified, OwnedNotified};
}
pub use mutex::{MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard, TryLockError};
pub use notify::{Notified, Notify, OwnedNotified};
pub use once_cell::{OnceCell, SetError, SetOnce, SetOnceError};
pub use rwlock::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock, RwLockMappedWriteGuard,
    RwLockReadGuard, RwLockWriteGuard,
};
pub use semaphore::{AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError};
