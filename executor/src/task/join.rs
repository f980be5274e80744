//! `JoinHandle`, the owned right to a task's output, and `JoinError`.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Mutex;
use std::task::{Context, Poll};

use super::{Header, Id, Task};

/// A blocking-pool job's handle, as a dump names it.
static BLOCKING_JOB: super::Resource = super::Resource::new("a blocking job");

/// An owned permission to await a spawned task's output.
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] when the task panicked or
/// was cancelled. Dropping it detaches the task, which runs on to completion.
///
/// # Examples
/// ```
/// let rt = runtime_executor::Runtime::new()?;
/// let answer = rt.block_on(async {
///     let handle = runtime_executor::spawn(async { 6 * 7 });
///     handle.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct JoinHandle<T> {
    ptr: NonNull<Header>,
    _output: PhantomData<T>,
}

// SAFETY: the handle only reads the output (a T) and touches the header's atomics.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only offers `abort` and `is_finished`, which are atomic.
unsafe impl<T: Send> Sync for JoinHandle<T> {}
impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    pub(super) fn from_raw(ptr: NonNull<Header>) -> JoinHandle<T> {
        JoinHandle { ptr, _output: PhantomData }
    }

    fn header(&self) -> &Header {
        // SAFETY: the handle's reference keeps the task alive (raw.rs invariant 1).
        unsafe { self.ptr.as_ref() }
    }

    /// Cancels the task. A task that has not completed yet is dropped the next
    /// time its scheduler reaches it (at once if it is idle, after the current
    /// poll if it is running), and awaiting the handle then gives a cancelled
    /// [`JoinError`]. Aborting a finished task does nothing.
    ///
    /// # Examples
    /// ```
    /// let rt = runtime_executor::Runtime::new()?;
    /// rt.block_on(async {
    ///     let handle = runtime_executor::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     assert!(handle.await.unwrap_err().is_cancelled());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn abort(&self) {
        abort(self.ptr);
    }

    /// True once the task has completed, cancelled or panicked; awaiting the
    /// handle then returns without waiting.
    pub fn is_finished(&self) -> bool {
        self.header().state.load().is_complete()
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.header().id
    }

    /// A handle that can abort the task but not await it; it does not keep
    /// the output, and dropping it detaches nothing.
    pub fn abort_handle(&self) -> AbortHandle {
        self.header().state.ref_inc();
        AbortHandle { task: Task::from_raw(self.ptr) }
    }
}

/// Cancels the task behind `ptr`, to which the caller holds a reference.
fn abort(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the task alive (raw.rs invariant 1).
    let header = unsafe { ptr.as_ref() };
    if header.state.transition_to_notified_and_cancel() {
        // SAFETY: the transition took a reference for the Notified.
        unsafe { (header.vtable.schedule)(ptr) };
    }
}

/// Aborts a task without the right to its output: from
/// [`JoinHandle::abort_handle`] or `JoinSet::spawn`.
///
/// # Examples
/// ```
/// let rt = runtime_executor::Runtime::new()?;
/// rt.block_on(async {
///     let handle = runtime_executor::spawn(std::future::pending::<()>());
///     let abort = handle.abort_handle();
///     abort.abort();
///     assert!(handle.await.unwrap_err().is_cancelled());
///     assert!(abort.is_finished());
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct AbortHandle {
    task: Task,
}

impl AbortHandle {
    /// Cancels the task, as [`JoinHandle::abort`].
    pub fn abort(&self) {
        abort(self.task.as_ptr());
    }

    /// True once the task has completed, cancelled or panicked.
    pub fn is_finished(&self) -> bool {
        self.task.header().state.load().is_complete()
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.task.header().id
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> AbortHandle {
        self.task.header().state.ref_inc();
        AbortHandle { task: Task::from_raw(self.task.as_ptr()) }
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle").field("id", &self.id()).field("finished", &self.is_finished()).finish()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // A loop joining finished tasks one after another still yields.
        let coop = std::task::ready!(crate::coop::poll_proceed(cx));
        let mut output = Poll::Pending;
        // SAFETY: we hold a reference and JOIN_INTEREST; `output` has the type the
        // vtable writes (Poll<Result<T, JoinError>>).
        unsafe {
            (self.header().vtable.try_read_output)(self.ptr, &mut output as *mut _ as *mut (), cx.waker());
        }
        if output.is_ready() {
            coop.made_progress();
        } else {
            // A blocking job has no owner list (nor a place in dumps).
            super::waiting_on(if self.header().owner_slot.load(std::sync::atomic::Ordering::Relaxed) == u32::MAX {
                super::WaitingOn::Resource(&BLOCKING_JOB)
            } else {
                super::WaitingOn::Join(self.id())
            });
        }
        output
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        // SAFETY: the handle's reference and interest are handed over once.
        unsafe { (self.header().vtable.drop_join_handle)(self.ptr) }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("id", &self.id()).field("state", &self.header().state).finish()
    }
}

/// Why a task did not produce its output: it panicked, or it was cancelled by
/// [`JoinHandle::abort`] or by the runtime shutting down.
pub struct JoinError {
    // One pointer: `Result<(), JoinError>` stays a word wide inside every
    // task; a cancellation's allocation is on the rare path.
    inner: Box<ErrorInner>,
}

struct ErrorInner {
    id: Id,
    /// The panic's payload; `None` for a cancellation. A Mutex makes the
    /// payload Sync without unsafe.
    panic: Option<Mutex<Box<dyn Any + Send + 'static>>>,
}

impl JoinError {
    pub(crate) fn cancelled(id: Id) -> JoinError {
        JoinError { inner: Box::new(ErrorInner { id, panic: None }) }
    }

    pub(crate) fn panic(id: Id, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError { inner: Box::new(ErrorInner { id, panic: Some(Mutex::new(payload)) }) }
    }

    /// The id of the task that failed.
    pub fn id(&self) -> Id {
        self.inner.id
    }

    /// True when the task was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.inner.panic.is_none()
    }

    /// True when the task panicked.
    pub fn is_panic(&self) -> bool {
        self.inner.panic.is_some()
    }

    /// The panic's payload, to resume it with `std::panic::resume_unwind`.
    ///
    /// # Panics
    /// When the task was cancelled rather than panicking; see [`JoinError::try_into_panic`].
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic().expect("`JoinError::into_panic` on a cancelled task: check `is_panic` first")
    }

    /// The panic's payload, or the error itself when the task was cancelled.
    pub fn try_into_panic(mut self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.inner.panic.take() {
            Some(payload) => Ok(payload.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)),
            None => Err(self),
        }
    }

    fn panic_message(&self) -> Option<String> {
        let payload = self.inner.panic.as_ref()?.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        payload
            .downcast_ref::<&'static str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.id();
        match (self.is_cancelled(), self.panic_message()) {
            (true, _) => write!(f, "task {id} was cancelled"),
            (false, Some(message)) => write!(f, "task {id} panicked with message {message:?}"),
            (false, None) => write!(f, "task {id} panicked"),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.is_cancelled(), self.panic_message()) {
            (true, _) => write!(f, "JoinError::Cancelled({})", self.id()),
            (false, Some(message)) => write!(f, "JoinError::Panic({}, {message:?})", self.id()),
            (false, None) => write!(f, "JoinError::Panic({}, ..)", self.id()),
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for io::Error {
    fn from(error: JoinError) -> io::Error {
        let kind = if error.is_cancelled() { io::ErrorKind::Interrupted } else { io::ErrorKind::Other };
        io::Error::new(kind, error.to_string())
    }
}
