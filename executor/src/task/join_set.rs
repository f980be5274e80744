//! [`JoinSet`]: a group of spawned tasks, joined in the order they finish.
//!
//! Each member's `JoinHandle` is polled with a waker of its own, which puts
//! the member's key on the set's ready list and wakes the task awaiting
//! `join_next`. So `join_next` polls only the members that were woken (and
//! each new member once, to register its waker): O(1) per completion, however
//! many tasks the set holds.

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use crate::{AbortHandle, Id, JoinError, JoinHandle};

/// A set of tasks spawned together: join them as they finish, abort them
/// all at once; dropping the set aborts every task still in it.
///
/// # Examples
/// ```
/// use runtime_executor::JoinSet;
///
/// # let rt = runtime_executor::Runtime::new()?;
/// # rt.block_on(async {
/// let mut set = JoinSet::new();
/// for i in 0..10u64 {
///     set.spawn(async move { i * i });
/// }
/// let mut total = 0;
/// while let Some(result) = set.join_next().await {
///     total += result.unwrap();
/// }
/// assert_eq!(total, 285);
/// # });
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct JoinSet<T> {
    members: Vec<Option<Member<T>>>,
    free: Vec<usize>,
    len: usize,
    ready: Arc<Ready>,
    /// Keys taken from `ready` and not yet polled.
    to_poll: Vec<usize>,
}

struct Member<T> {
    handle: JoinHandle<T>,
    waker: Waker,
}

/// The members woken since `join_next` last looked, and who to wake.
#[derive(Default)]
struct Ready {
    state: Mutex<ReadyState>,
}

#[derive(Default)]
struct ReadyState {
    keys: Vec<usize>,
    waker: Option<Waker>,
}

impl Ready {
    fn lock(&self) -> std::sync::MutexGuard<'_, ReadyState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The waker of one member.
struct MemberWaker {
    key: usize,
    ready: Arc<Ready>,
}

impl Wake for MemberWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let mut state = self.ready.lock();
        state.keys.push(self.key);
        let waker = state.waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    pub fn new() -> JoinSet<T> {
        JoinSet { members: Vec::new(), free: Vec::new(), len: 0, ready: Arc::default(), to_poll: Vec::new() }
    }

    /// Tasks in the set (finished ones too, until joined).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a spawned task's handle to the set.
    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        let key = self.free.pop().unwrap_or(self.members.len());
        let waker = Waker::from(Arc::new(MemberWaker { key, ready: self.ready.clone() }));
        let member = Some(Member { handle, waker });
        if key == self.members.len() {
            self.members.push(member);
        } else {
            self.members[key] = member;
        }
        self.len += 1;
        // Polled once by the next join_next, which registers its waker.
        self.to_poll.push(key);
        abort
    }

    /// Spawns `future` on the current runtime (as [`spawn`](crate::spawn))
    /// into the set.
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(crate::spawn(future))
    }

    /// Spawns `future` on `handle`'s runtime into the set.
    #[track_caller]
    pub fn spawn_on<F>(&mut self, future: F, handle: &crate::Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(handle.spawn(future))
    }

    /// Spawns a future that is not `Send` on this thread (as
    /// [`spawn_local`](crate::spawn_local)) into the set.
    #[track_caller]
    pub fn spawn_local<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
        T: 'static,
    {
        self.insert(crate::spawn_local(future))
    }

    /// Runs `f` on the blocking pool (as [`spawn_blocking`](crate::spawn_blocking))
    /// into the set.
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.insert(crate::spawn_blocking(f))
    }

    /// Runs `f` on `handle`'s blocking pool into the set.
    pub fn spawn_blocking_on<F>(&mut self, f: F, handle: &crate::Handle) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.insert(handle.spawn_blocking(f))
    }

    /// Waits for the next task to finish and returns its output (or why it
    /// has none); `None` when the set is empty. Cancel-safe: a dropped
    /// `join_next` leaves every task in the set.
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// As [`join_next`](JoinSet::join_next), with the finished task's id
    /// (a failed task's is in its [`JoinError::id`]).
    pub async fn join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        poll_fn(|cx| self.poll_join_next_with_id(cx)).await
    }

    /// Polls for the next finished task (the body of [`join_next`](JoinSet::join_next)).
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_join_next_with_id(cx).map(|next| next.map(|result| result.map(|(_, output)| output)))
    }

    /// Polls for the next finished task, with its id.
    pub fn poll_join_next_with_id(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<(Id, T), JoinError>>> {
        if self.len == 0 {
            return Poll::Ready(None);
        }
        let mut state = self.ready.lock();
        let displaced = match &state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => None,
            _ => state.waker.replace(cx.waker().clone()),
        };
        drop(state);
        // A waker's drop may run a destructor that touches this set's tasks,
        // whose wakers take the same lock: never under it.
        drop(displaced);
        match self.poll_ready_members() {
            Some(output) => Poll::Ready(Some(output)),
            None => Poll::Pending,
        }
    }

    /// The output of a task that has finished, if any, without waiting.
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.try_join_next_with_id().map(|result| result.map(|(_, output)| output))
    }

    /// As [`try_join_next`](JoinSet::try_join_next), with the task's id.
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        // The budget is for waits; a try that spent it would report finished
        // tasks as not finished.
        crate::coop::unbudgeted(|| self.poll_ready_members())
    }

    /// Polls the woken members; removes and returns the first that finished.
    /// Two rounds at most: a member refused by a spent budget wakes itself
    /// again, and must not keep this loop going.
    fn poll_ready_members(&mut self) -> Option<Result<(Id, T), JoinError>> {
        for _ in 0..2 {
            while let Some(key) = self.to_poll.pop() {
                // A key whose member was joined already is stale: skip it.
                let Some(Some(member)) = self.members.get_mut(key) else { continue };
                let mut cx = Context::from_waker(&member.waker);
                if let Poll::Ready(output) = Pin::new(&mut member.handle).poll(&mut cx) {
                    let id = member.handle.id();
                    self.members[key] = None;
                    self.free.push(key);
                    self.len -= 1;
                    return Some(output.map(|output| (id, output)));
                }
            }
            std::mem::swap(&mut self.to_poll, &mut self.ready.lock().keys);
        }
        None
    }

    /// Aborts every task in the set; they stay in it until joined.
    pub fn abort_all(&mut self) {
        for member in self.members.iter().flatten() {
            member.handle.abort();
        }
    }

    /// Removes every task from the set without aborting it.
    pub fn detach_all(&mut self) {
        self.members.clear();
        self.free.clear();
        self.to_poll.clear();
        self.len = 0;
    }

    /// Aborts every task and waits until all have stopped.
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Waits for every task and returns their outputs in the order they finished.
    ///
    /// # Panics
    /// Resumes the panic of a task that panicked (as tokio's `join_all`).
    pub async fn join_all(mut self) -> Vec<T> {
        let mut outputs = Vec::with_capacity(self.len);
        while let Some(result) = self.join_next().await {
            match result {
                Ok(output) => outputs.push(output),
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                Err(_) => {}
            }
        }
        outputs
    }
}

/// Spawns each future (as [`JoinSet::spawn`]) into a new set.
impl<T, F> FromIterator<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    #[track_caller]
    fn from_iter<I: IntoIterator<Item = F>>(futures: I) -> JoinSet<T> {
        let mut set = JoinSet::new();
        set.extend(futures);
        set
    }
}

/// Spawns each future (as [`JoinSet::spawn`]) into the set.
impl<T, F> Extend<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    #[track_caller]
    fn extend<I: IntoIterator<Item = F>>(&mut self, futures: I) {
        for future in futures {
            self.spawn(future);
        }
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len).finish()
    }
}
