//! Task-local values: [`task_local!`](crate::task_local) declares a key;
//! [`LocalKey::scope`] runs a future with a value for it.
//!
//! The value lives in the future returned by `scope`. Around each poll of
//! the inner future (and around its drop) it is swapped into a thread-local
//! slot and swapped back out afterwards, also on unwind, so it follows the
//! task from worker to worker and no other task ever sees it.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

/// Declares task-local keys: `static NAME: Type;`, each a [`LocalKey`].
///
/// # Examples
/// ```
/// runtime_executor::task_local! {
///     static REQUEST_ID: u64;
/// }
///
/// # let rt = runtime_executor::Runtime::new()?;
/// let seen = rt.block_on(REQUEST_ID.scope(7, async { REQUEST_ID.get() }));
/// assert_eq!(seen, 7);
/// assert!(REQUEST_ID.try_with(|_| ()).is_err(), "not set outside the scope");
/// # Ok::<(), std::io::Error>(())
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty; $($rest:tt)*) => {
        $crate::__task_local_key!($(#[$attr])* $vis $name, $t);
        $crate::task_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty) => {
        $crate::__task_local_key!($(#[$attr])* $vis $name, $t);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __task_local_key {
    ($(#[$attr:meta])* $vis:vis $name:ident, $t:ty) => {
        $(#[$attr])*
        $vis static $name: $crate::LocalKey<$t> = {
            ::std::thread_local! {
                static __SLOT: ::std::cell::RefCell<::std::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::LocalKey::__new(&__SLOT)
        };
    };
}

/// A key declared with [`task_local!`](crate::task_local).
pub struct LocalKey<T: 'static> {
    slot: &'static std::thread::LocalKey<RefCell<Option<T>>>,
}

impl<T: 'static> LocalKey<T> {
    #[doc(hidden)]
    pub const fn __new(slot: &'static std::thread::LocalKey<RefCell<Option<T>>>) -> LocalKey<T> {
        LocalKey { slot }
    }

    /// Runs `future` with `value` set for this key; the value is dropped
    /// with the returned future.
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture { key: self, value: Some(value), future: Some(future) }
    }

    /// Runs `f` with `value` set for this key, synchronously.
    ///
    /// # Panics
    /// When the key's value is borrowed (inside [`with`](LocalKey::with)).
    pub fn sync_scope<R>(&'static self, value: T, f: impl FnOnce() -> R) -> R {
        let mut value = Some(value);
        self.enter(&mut value, f)
    }

    /// Runs `f` with `value` swapped into the thread-local slot.
    fn enter<R>(&'static self, value: &mut Option<T>, f: impl FnOnce() -> R) -> R {
        struct SwapBack<'a, T: 'static> {
            key: &'static LocalKey<T>,
            value: &'a mut Option<T>,
        }
        impl<T: 'static> Drop for SwapBack<'_, T> {
            fn drop(&mut self) {
                // The slot outlives every scope on this thread, and nothing borrows it now.
                let _ = self.key.slot.try_with(|slot| std::mem::swap(self.value, &mut *slot.borrow_mut()));
            }
        }
        self.slot.with(|slot| {
            let mut current = slot
                .try_borrow_mut()
                .expect("a task-local scope was entered while the task-local value is borrowed (inside `with`)");
            std::mem::swap(value, &mut *current);
        });
        let _back = SwapBack { key: self, value };
        f()
    }

    /// Runs `f` with the value.
    ///
    /// # Panics
    /// Outside a [`scope`](LocalKey::scope) of this key.
    #[track_caller]
    pub fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        self.try_with(f).expect("a task-local value was read outside its `scope`")
    }

    /// Runs `f` with the value, or says that there is none.
    ///
    /// # Errors
    /// [`AccessError`] outside a [`scope`](LocalKey::scope) of this key.
    pub fn try_with<R>(&'static self, f: impl FnOnce(&T) -> R) -> Result<R, AccessError> {
        self.slot
            .try_with(|slot| {
                let value = slot.try_borrow().map_err(|_| AccessError(()))?;
                value.as_ref().map(f).ok_or(AccessError(()))
            })
            .map_err(|_| AccessError(()))?
    }

    /// A copy of the value.
    ///
    /// # Panics
    /// Outside a [`scope`](LocalKey::scope) of this key.
    pub fn get(&'static self) -> T
    where
        T: Clone,
    {
        self.with(T::clone)
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LocalKey { .. }")
    }
}

pin_project! {
    /// The future of [`LocalKey::scope`].
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct TaskLocalFuture<T: 'static, F> {
        key: &'static LocalKey<T>,
        value: Option<T>,
        // `None` once dropped (in our own drop, inside the scope).
        #[pin]
        future: Option<F>,
    }

    impl<T: 'static, F> PinnedDrop for TaskLocalFuture<T, F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let key = *this.key;
            let mut future = this.future;
            // The inner future's destructor sees the value too (as its polls do),
            // unless the slot is borrowed or gone (thread exit): then it drops bare.
            if future.is_some() && key.slot.try_with(|slot| slot.try_borrow_mut().is_ok()).unwrap_or(false) {
                key.enter(this.value, || future.set(None));
            }
        }
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let future = this.future;
        this.key.enter(this.value, || match future.as_pin_mut() {
            Some(future) => future.poll(cx),
            None => unreachable!("the future is dropped only with the scope"),
        })
    }
}

impl<T: 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture").finish_non_exhaustive()
    }
}

/// The task-local value was read outside its scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessError(());

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task-local value not set")
    }
}

impl std::error::Error for AccessError {}
