//! [`OnceCell`]: a value set once, by the first of any number of async
//! initialisers; [`SetOnce`]: a value set once, that tasks wait for.
//!
//! # How `OnceCell` works
//! The value sits in a `std::sync::OnceLock` (one acquire load to read it
//! once set); initialisers queue on a one-permit [`Semaphore`], in arrival
//! order. The permit holder runs its initialiser; if the value is set when
//! it gets the permit, it returns it. Setting the value closes the
//! semaphore, which wakes every queued initialiser to read it. An
//! initialiser that is cancelled, or fails (`get_or_try_init`), drops the
//! permit without setting: the next in the queue tries.
//!
//! Invariants:
//! 1. The value is set only by the permit's holder (`set` takes the permit
//!    with `try_acquire`), so at most one initialiser runs at a time.
//! 2. The semaphore is closed only after the value is set: an initialiser
//!    that finds it closed finds the value.

use std::fmt;
use std::future::Future;
use std::sync::OnceLock;

use crate::{Notify, Semaphore};

/// A value initialised once, asynchronously (tokio's `OnceCell`): the first
/// `get_or_init` runs its initialiser, the concurrent ones wait for it, and
/// all return the same value. A cancelled or failed initialiser lets the
/// next one try.
///
/// # Examples
/// ```
/// use runtime::sync::OnceCell;
///
/// static CONFIG: OnceCell<String> = OnceCell::const_new();
///
/// async fn config() -> &'static str {
///     CONFIG.get_or_init(|| async { "loaded once".to_owned() }).await
/// }
///
/// # runtime::block_on(async {
/// let (a, b) = runtime::join!(config(), config());
/// assert_eq!((a, b), ("loaded once", "loaded once"));
/// # });
/// ```
pub struct OnceCell<T> {
    value: OnceLock<T>,
    /// One permit: the right to initialise (module docs).
    init: Semaphore,
}

impl<T> OnceCell<T> {
    /// An empty cell.
    pub fn new() -> OnceCell<T> {
        OnceCell { value: OnceLock::new(), init: Semaphore::new(1) }
    }

    /// An empty cell, in a `const` context (a `static`).
    #[cfg(not(loom))]
    pub const fn const_new() -> OnceCell<T> {
        OnceCell { value: OnceLock::new(), init: Semaphore::const_new(1) }
    }

    /// A cell holding `value`, if it is `Some`.
    pub fn new_with(value: Option<T>) -> OnceCell<T> {
        let cell = OnceCell::new();
        if let Some(value) = value {
            let _ = cell.value.set(value);
            cell.init.close();
        }
        cell
    }

    /// Whether the value is set.
    pub fn initialized(&self) -> bool {
        self.value.get().is_some()
    }

    /// The value, if it is set.
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// The value, mutably, if it is set.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.value.get_mut()
    }

    /// Sets the value, if no other is set and no initialiser is running.
    ///
    /// # Errors
    /// [`SetError::AlreadyInitializedError`] or
    /// [`SetError::InitializingError`], with `value` back.
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        if self.initialized() {
            return Err(SetError::AlreadyInitializedError(value));
        }
        let Ok(permit) = self.init.try_acquire() else {
            return Err(if self.initialized() {
                SetError::AlreadyInitializedError(value)
            } else {
                SetError::InitializingError(value)
            });
        };
        let result = self.value.set(value).map_err(SetError::AlreadyInitializedError);
        self.init.close();
        drop(permit);
        result
    }

    /// The value, initialised by `f` if it is not set yet. Concurrent calls
    /// wait, in arrival order, for the one that runs; if that one is
    /// cancelled, the next runs its own `f`.
    pub async fn get_or_init<F, Fut>(&self, f: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        match self.get_or_try_init(|| async { Ok::<T, std::convert::Infallible>(f().await) }).await {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// The value, initialised by `f` if it is not set yet; an `Err` from `f`
    /// is returned and leaves the cell empty, for the next caller to try.
    ///
    /// # Errors
    /// The error of this call's `f`.
    pub async fn get_or_try_init<E, F, Fut>(&self, f: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.get() {
            return Ok(value);
        }
        // Closed only once the value is set (invariant 2).
        let Ok(permit) = self.init.acquire().await else {
            return Ok(self.get().unwrap_or_else(|| unreachable!("the cell closes only once set")));
        };
        if let Some(value) = self.get() {
            return Ok(value);
        }
        let value = f().await?;
        let value = self.value.get_or_init(|| value);
        self.init.close();
        drop(permit);
        Ok(value)
    }

    /// The value, taking the cell.
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }

    /// Takes the value out, leaving the cell empty (and ready to be
    /// initialised again).
    pub fn take(&mut self) -> Option<T> {
        let value = self.value.take();
        self.init = Semaphore::new(1);
        value
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> OnceCell<T> {
        OnceCell::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell").field("value", &self.get()).finish()
    }
}

impl<T: Clone> Clone for OnceCell<T> {
    fn clone(&self) -> OnceCell<T> {
        OnceCell::new_with(self.get().cloned())
    }
}

impl<T: PartialEq> PartialEq for OnceCell<T> {
    fn eq(&self, other: &OnceCell<T>) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for OnceCell<T> {}

impl<T> From<T> for OnceCell<T> {
    fn from(value: T) -> OnceCell<T> {
        OnceCell::new_with(Some(value))
    }
}

/// Why [`OnceCell::set`] failed; the value comes back in it.
#[derive(Debug, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell was set already.
    AlreadyInitializedError(T),
    /// An initialiser is running.
    InitializingError(T),
}

impl<T> SetError<T> {
    /// The cell was set already.
    pub fn is_already_init_err(&self) -> bool {
        matches!(self, SetError::AlreadyInitializedError(_))
    }

    /// An initialiser was running.
    pub fn is_initializing_err(&self) -> bool {
        matches!(self, SetError::InitializingError(_))
    }
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SetError::AlreadyInitializedError(_) => "the cell is already initialized",
            SetError::InitializingError(_) => "the cell is being initialized",
        })
    }
}

impl<T: fmt::Debug> std::error::Error for SetError<T> {}

/// A value set once, by whoever comes first, that tasks can wait for
/// (tokio's `SetOnce`).
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use runtime::sync::SetOnce;
///
/// # runtime::block_on(async {
/// let port = Arc::new(SetOnce::new());
/// let waiter = runtime::spawn({
///     let port = port.clone();
///     async move { *port.wait().await }
/// });
/// port.set(8080u16).unwrap();
/// assert_eq!(waiter.await.unwrap(), 8080);
/// assert!(port.set(9090).is_err());
/// # });
/// ```
pub struct SetOnce<T> {
    value: OnceLock<T>,
    set: Notify,
}

impl<T> SetOnce<T> {
    /// An empty cell.
    pub fn new() -> SetOnce<T> {
        SetOnce { value: OnceLock::new(), set: Notify::new() }
    }

    /// An empty cell, in a `const` context.
    #[cfg(not(loom))]
    pub const fn const_new() -> SetOnce<T> {
        SetOnce { value: OnceLock::new(), set: Notify::const_new() }
    }

    /// A cell holding `value`, if it is `Some`.
    pub fn new_with(value: Option<T>) -> SetOnce<T> {
        let cell = SetOnce::new();
        if let Some(value) = value {
            let _ = cell.value.set(value);
        }
        cell
    }

    /// Whether the value is set.
    pub fn initialized(&self) -> bool {
        self.value.get().is_some()
    }

    /// The value, if it is set.
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// Sets the value and wakes every waiter, if no value is set.
    ///
    /// # Errors
    /// [`SetOnceError`], with `value` back, when one is set.
    pub fn set(&self, value: T) -> Result<(), SetOnceError<T>> {
        self.value.set(value).map_err(SetOnceError)?;
        self.set.notify_waiters();
        Ok(())
    }

    /// Waits until the value is set, and returns it.
    pub async fn wait(&self) -> &T {
        loop {
            // Made before the look: a `set` after the look wakes it.
            let notified = self.set.notified();
            if let Some(value) = self.get() {
                return value;
            }
            notified.await;
        }
    }

    /// The value, taking the cell.
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }
}

impl<T> Default for SetOnce<T> {
    fn default() -> SetOnce<T> {
        SetOnce::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for SetOnce<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetOnce").field("value", &self.get()).finish()
    }
}

/// [`SetOnce::set`] on a cell already set; the value comes back in it.
#[derive(Debug, PartialEq, Eq)]
pub struct SetOnceError<T>(pub T);

impl<T> fmt::Display for SetOnceError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the cell is already set")
    }
}

impl<T: fmt::Debug> std::error::Error for SetOnceError<T> {}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::{thread, Arc, AtomicUsize};
    use std::sync::atomic::Ordering::SeqCst;

    /// Two initialisers race: exactly one runs, both get its value.
    #[test]
    fn loom_once_cell_init_race() {
        loom::model(|| {
            let cell = Arc::new(OnceCell::new());
            let runs = Arc::new(AtomicUsize::new(0));
            let racer = |id: usize| {
                let (cell, runs) = (cell.clone(), runs.clone());
                move || {
                    *loom::future::block_on(cell.get_or_init(|| async move {
                        runs.fetch_add(1, SeqCst);
                        id
                    }))
                }
            };
            let other = thread::spawn(racer(1));
            let mine = racer(2)();
            let theirs = other.join().unwrap();
            assert_eq!(mine, theirs, "one value for both");
            assert_eq!(runs.load(SeqCst), 1, "one initialiser ran");
        });
    }

    /// An initialiser cancelled while it holds the permit lets the other
    /// run its own (and `set` racing it never sets twice).
    #[test]
    fn loom_once_cell_cancelled_initialiser_lets_the_next_try() {
        loom::model(|| {
            let cell = Arc::new(OnceCell::new());
            let other = {
                let cell = cell.clone();
                thread::spawn(move || *loom::future::block_on(cell.get_or_init(|| async { 2 })))
            };
            {
                // Polled once, its initialiser pending, then dropped.
                let mut first = Box::pin(cell.get_or_init(std::future::pending::<usize>));
                let _ = first.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
            }
            assert_eq!(other.join().unwrap(), 2);
            assert_eq!(cell.get(), Some(&2));
        });
    }
}
