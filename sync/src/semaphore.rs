//! [`Semaphore`]: a fair counting semaphore, and the base of [`Mutex`](crate::Mutex)
//! and [`RwLock`](crate::RwLock).
//!
//! # State word
//! ```text
//! | permits (bits 2..) | WAITERS | CLOSED |
//! ```
//! Acquiring and releasing are one CAS on the word while nobody waits. A task
//! that finds too few permits takes the lock of the wait list, takes what
//! there is and queues for the rest, setting WAITERS in the same CAS. While
//! WAITERS is set the word holds no permits: a release takes the lock and
//! hands its permits straight to the waiters in arrival order, and only what
//! is left once the list is empty goes back into the word, clearing WAITERS.
//! So a newcomer can never take permits ahead of a waiter.
//!
//! ```text
//!          release (CAS)             acquire, too few (lock, CAS)
//! No waiters ◀──────────▶ permits   ────────────────────────────▶ WAITERS, permits = 0
//!      ▲                                                               │
//!      └── the last waiter served or cancelled (lock, CAS) ────────────┘
//! ```
//!
//! # Invariants
//! 1. WAITERS is set and cleared only with the wait list's lock held, and it
//!    is set exactly while the list holds a queued waiter.
//! 2. While WAITERS is set, the permit count in the word is zero.
//! 3. A waiter's `assigned` permits are its own: they return to the semaphore
//!    when it is cancelled, or pass to its permit when it completes.
//!
//! Orderings: a CAS that takes permits is Acquire and one that gives them
//! back is Release, so what a lock holder wrote is visible to the next one;
//! permits handed over through the wait list are ordered by its lock.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::task::{Context, Poll};

use runtime_executor::{Resource, WaitingOn};

use std::sync::Arc;

use crate::sync::{lock, AtomicUsize, Mutex};
use crate::wait_list::{WaitList, WakeList};

/// What a task waiting for permits waits on, in a task dump.
static ACQUIRE: Resource = Resource::new("Semaphore::acquire");

const CLOSED: usize = 1;
const WAITERS: usize = 1 << 1;
const SHIFT: usize = 2;
/// Retries of a contended acquire before it queues (about 0.5 µs in all).
const SPINS: usize = if cfg!(loom) { 1 } else { 64 };

/// A counting semaphore whose waiters are served in arrival order.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use runtime::sync::Semaphore;
///
/// # runtime::block_on(async {
/// let semaphore = Arc::new(Semaphore::new(2));
/// let mut tasks = Vec::new();
/// for i in 0..8 {
///     let semaphore = semaphore.clone();
///     tasks.push(runtime::spawn(async move {
///         let _permit = semaphore.acquire().await.unwrap(); // at most two at a time
///         i
///     }));
/// }
/// for task in tasks {
///     task.await.unwrap();
/// }
/// assert_eq!(semaphore.available_permits(), 2);
/// # });
/// ```
pub struct Semaphore {
    state: AtomicUsize,
    waiters: Mutex<WaitList<Waiter>>,
}

#[derive(Debug)]
struct Waiter {
    /// Permits still missing.
    need: usize,
    /// Permits already handed to this waiter (invariant 3).
    assigned: usize,
    /// Set when the semaphore closed while it waited.
    closed: bool,
}

impl Semaphore {
    /// The most permits a semaphore can hold.
    pub const MAX_PERMITS: usize = usize::MAX >> (SHIFT + 1);

    /// A semaphore with `permits` permits.
    ///
    /// # Panics
    /// When `permits` exceeds [`Semaphore::MAX_PERMITS`].
    #[track_caller]
    pub fn new(permits: usize) -> Semaphore {
        assert!(
            permits <= Self::MAX_PERMITS,
            "a semaphore may not have more than MAX_PERMITS permits ({})",
            Self::MAX_PERMITS
        );
        Semaphore { state: AtomicUsize::new(permits << SHIFT), waiters: Mutex::new(WaitList::new()) }
    }

    /// A semaphore with `permits` permits, in a `const` context (a
    /// `static`), as tokio's `const_new`.
    ///
    /// # Panics
    /// When `permits` exceeds [`Semaphore::MAX_PERMITS`] (at compile time in a `static`).
    #[cfg(not(loom))]
    pub const fn const_new(permits: usize) -> Semaphore {
        assert!(permits <= Self::MAX_PERMITS, "a semaphore may not have more than MAX_PERMITS permits");
        Semaphore { state: AtomicUsize::new(permits << SHIFT), waiters: Mutex::new(WaitList::new()) }
    }

    /// The permits free right now.
    pub fn available_permits(&self) -> usize {
        self.state.load(Relaxed) >> SHIFT
    }

    /// Whether [`close`](Semaphore::close) was called.
    pub fn is_closed(&self) -> bool {
        self.state.load(Relaxed) & CLOSED != 0
    }

    /// Waits for one permit, in arrival order. Cancel-safe: a dropped future
    /// gives back what it was handed and loses its place.
    ///
    /// # Errors
    /// When the semaphore is closed.
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.acquire_many(1).await
    }

    /// Waits for `n` permits at once, in arrival order.
    ///
    /// # Errors
    /// When the semaphore is closed.
    pub async fn acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        Acquiring::new(self, n as usize, &ACQUIRE).await?;
        Ok(SemaphorePermit { semaphore: self, permits: n as usize })
    }

    /// Waits for one permit that owns a reference to the semaphore.
    ///
    /// # Errors
    /// When the semaphore is closed.
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// Waits for `n` permits that own a reference to the semaphore.
    ///
    /// # Errors
    /// When the semaphore is closed.
    pub async fn acquire_many_owned(self: Arc<Self>, n: u32) -> Result<OwnedSemaphorePermit, AcquireError> {
        Acquiring::new(&self, n as usize, &ACQUIRE).await?;
        Ok(OwnedSemaphorePermit { semaphore: self, permits: n as usize })
    }

    /// Takes one permit if one is free and nobody waits ahead.
    ///
    /// # Errors
    /// [`TryAcquireError::NoPermits`] or [`TryAcquireError::Closed`].
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are free and nobody waits ahead.
    ///
    /// # Errors
    /// [`TryAcquireError::NoPermits`] or [`TryAcquireError::Closed`].
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_take(n as usize)?;
        Ok(SemaphorePermit { semaphore: self, permits: n as usize })
    }

    /// [`try_acquire`](Semaphore::try_acquire) with a permit that owns a
    /// reference to the semaphore.
    ///
    /// # Errors
    /// [`TryAcquireError::NoPermits`] or [`TryAcquireError::Closed`].
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_take(1)?;
        Ok(OwnedSemaphorePermit { semaphore: self, permits: 1 })
    }

    /// [`try_acquire_many`](Semaphore::try_acquire_many) with a permit that
    /// owns a reference to the semaphore.
    ///
    /// # Errors
    /// [`TryAcquireError::NoPermits`] or [`TryAcquireError::Closed`].
    pub fn try_acquire_many_owned(self: Arc<Self>, n: u32) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_take(n as usize)?;
        Ok(OwnedSemaphorePermit { semaphore: self, permits: n as usize })
    }

    /// Removes up to `n` of the free permits for good; returns how many it
    /// removed (permits held, or handed to waiters, are not touched).
    pub fn forget_permits(&self, n: usize) -> usize {
        let mut state = self.state.load(Acquire);
        loop {
            let forgotten = (state >> SHIFT).min(n);
            // Acquire: as a take (the permits leave the word).
            match self.state.compare_exchange_weak(state, state - (forgotten << SHIFT), Acquire, Acquire) {
                Ok(_) => return forgotten,
                Err(actual) => state = actual,
            }
        }
    }

    /// Adds `n` permits, handing them to waiters first.
    ///
    /// # Panics
    /// When the total would exceed [`Semaphore::MAX_PERMITS`].
    pub fn add_permits(&self, n: usize) {
        self.release(n);
    }

    /// Closes the semaphore: every waiter and every later acquire fails with
    /// [`AcquireError`]. Permits already held stay valid.
    pub fn close(&self) {
        // Release: pairs with the Acquire loads that see CLOSED.
        self.state.fetch_or(CLOSED, Release);
        let mut wakes = WakeList::new();
        let mut list = lock(&self.waiters);
        let mut freed = 0;
        while let Some(key) = list.front() {
            let waiter = list.payload_mut(key);
            waiter.closed = true;
            freed += std::mem::take(&mut waiter.assigned);
            wakes.push(list.unlink(key));
        }
        self.return_to_word(freed);
        drop(list);
        wakes.wake_all();
    }

    /// One CAS loop: takes `n` permits from the word (invariant 2 keeps a
    /// newcomer behind the waiters).
    pub(crate) fn try_take(&self, n: usize) -> Result<(), TryAcquireError> {
        let mut state = self.state.load(Acquire);
        loop {
            if state & CLOSED != 0 {
                return Err(TryAcquireError::Closed);
            }
            if state >> SHIFT < n {
                return Err(TryAcquireError::NoPermits);
            }
            // Acquire: pairs with the Release of the CAS that gave the permits back.
            match self.state.compare_exchange_weak(state, state - (n << SHIFT), Acquire, Acquire) {
                Ok(_) => return Ok(()),
                Err(actual) => state = actual,
            }
        }
    }

    /// [`try_take`](Semaphore::try_take), retried for a moment while the
    /// permits are held but nobody queues: a lock held for a few instructions
    /// by a task on another worker is free again sooner than a queued waiter
    /// could be woken and polled (mutex_contended: 0.76-0.81x tokio without,
    /// 0.73 with). Once anyone queues, the permits go through the queue and
    /// spinning would only delay us. Only the locks spin: a full channel's
    /// slot or a user's permit comes back on no such schedule.
    fn try_take_spinning(&self, n: usize) -> Result<(), TryAcquireError> {
        for _ in 0..SPINS {
            match self.try_take(n) {
                Err(TryAcquireError::NoPermits) if self.state.load(Relaxed) & WAITERS == 0 => std::hint::spin_loop(),
                result => return result,
            }
        }
        self.try_take(n)
    }

    /// Gives `n` permits back: to the word while nobody waits (one CAS), else
    /// to the waiters in order.
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut state = self.state.load(Relaxed);
        while state & WAITERS == 0 {
            assert!(
                (state >> SHIFT) + n <= Self::MAX_PERMITS,
                "a semaphore holds at most {} permits",
                Self::MAX_PERMITS
            );
            // Release: pairs with the Acquire of the CAS that takes these permits.
            match self.state.compare_exchange_weak(state, state + (n << SHIFT), Release, Relaxed) {
                Ok(_) => return,
                Err(actual) => state = actual,
            }
        }
        let mut wakes = WakeList::new();
        let mut list = lock(&self.waiters);
        self.release_locked(&mut list, n, &mut wakes);
        drop(list);
        wakes.wake_all();
    }

    /// Hands `n` permits to the waiters in order; what is left once the list
    /// is empty goes to the word, clearing WAITERS (invariant 1).
    fn release_locked(&self, list: &mut WaitList<Waiter>, mut n: usize, wakes: &mut WakeList) {
        while let Some(key) = list.front() {
            if n == 0 {
                return;
            }
            let waiter = list.payload_mut(key);
            let given = waiter.need.min(n);
            waiter.need -= given;
            waiter.assigned += given;
            n -= given;
            if waiter.need > 0 {
                return;
            }
            wakes.push(list.unlink(key));
        }
        self.return_to_word(n);
    }

    /// With the list empty and locked: clears WAITERS and adds `n` permits.
    fn return_to_word(&self, n: usize) {
        // Release: pairs with the Acquire of the CAS that takes these permits.
        let _ = self.state.fetch_update(Release, Relaxed, |state| {
            assert!(
                (state >> SHIFT) + n <= Self::MAX_PERMITS,
                "a semaphore holds at most {} permits",
                Self::MAX_PERMITS
            );
            Some((state & !WAITERS) + (n << SHIFT))
        });
    }

    /// The slow path of an acquire: takes what is free and queues for the
    /// rest. With `queue_only`, enough free permits are left alone
    /// (`Queued::Free`): a task out of budget queues only behind others.
    fn take_or_queue(&self, need: usize, queue_only: bool, cx: &mut Context<'_>) -> Queued {
        let mut list = lock(&self.waiters);
        let mut state = self.state.load(Acquire);
        loop {
            if state & CLOSED != 0 {
                return Queued::Closed;
            }
            let free = state >> SHIFT;
            if queue_only && free >= need {
                return Queued::Free;
            }
            let next = if free >= need { state - (need << SHIFT) } else { (state & CLOSED) | WAITERS };
            // AcqRel: Acquire for the permits we take; Release only matters to
            // releasers, which the lock orders anyway.
            match self.state.compare_exchange_weak(state, next, AcqRel, Acquire) {
                Ok(_) if free >= need => return Queued::Acquired,
                Ok(_) => {
                    let waiter = Waiter { need: need - free, assigned: free, closed: false };
                    return Queued::Waiting(list.push_back(waiter, cx.waker().clone()));
                }
                Err(actual) => state = actual,
            }
        }
    }

    /// A queued acquire, polled again: done once a release unlinked it.
    fn poll_queued(&self, key: usize, cx: &mut Context<'_>) -> Poll<Result<(), AcquireError>> {
        let mut list = lock(&self.waiters);
        if list.is_linked(key) {
            let displaced = list.set_waker(key, cx.waker());
            drop(list);
            drop(displaced);
            return Poll::Pending;
        }
        let waiter = list.remove(key).payload;
        Poll::Ready(if waiter.closed { Err(AcquireError(())) } else { Ok(()) })
    }

    /// A dropped acquire: leaves the queue and hands on what it was given.
    fn cancel(&self, key: usize) {
        let mut wakes = WakeList::new();
        let mut list = lock(&self.waiters);
        let removed = list.remove(key);
        if removed.was_linked || removed.payload.assigned > 0 {
            self.release_locked(&mut list, removed.payload.assigned, &mut wakes);
        }
        drop(list);
        drop(removed.waker);
        wakes.wake_all();
    }
}

/// What [`Semaphore::take_or_queue`] did.
enum Queued {
    Acquired,
    Closed,
    Waiting(usize),
    /// Enough permits are free; none taken (`queue_only`).
    Free,
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("permits", &self.available_permits())
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

/// Waits for `need` permits of a semaphore; the future every lock and permit
/// of this crate waits with.
///
/// A poll when the task's cooperative budget is spent still takes its place
/// in the queue, if there is one, before it yields: else a task that ran out
/// of budget would lose its turn to whoever came after it. With permits
/// free it takes none (holding them across the yield would make everyone
/// else queue) and tries again when polled with budget.
pub(crate) struct Acquiring<'a> {
    semaphore: &'a Semaphore,
    need: usize,
    /// Whether a contended first try spins (the locks) before queuing.
    spin: bool,
    /// The wait-list key while queued.
    key: Option<usize>,
    /// What a task dump says the waiting task waits on.
    resource: &'static Resource,
}

impl<'a> Acquiring<'a> {
    pub(crate) fn new(semaphore: &'a Semaphore, need: usize, resource: &'static Resource) -> Acquiring<'a> {
        Acquiring { semaphore, need, spin: false, key: None, resource }
    }

    /// An acquire for a lock, whose holders release it within instructions.
    pub(crate) fn lock(semaphore: &'a Semaphore, need: usize, resource: &'static Resource) -> Acquiring<'a> {
        Acquiring { semaphore, need, spin: true, key: None, resource }
    }

    fn pending<T>(&self) -> Poll<T> {
        runtime_executor::waiting_on(WaitingOn::Resource(self.resource));
        Poll::Pending
    }
}

impl Future for Acquiring<'_> {
    type Output = Result<(), AcquireError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let semaphore = self.semaphore;
        let Poll::Ready(coop) = runtime_executor::coop::poll_proceed(cx) else {
            // Out of budget (the task is woken to run again later): queue now
            // if others wait, so that nobody who comes later gets ahead.
            if self.key.is_none() {
                if let Queued::Waiting(key) = semaphore.take_or_queue(self.need, true, cx) {
                    self.key = Some(key);
                }
            }
            return self.pending();
        };
        let result = match self.key {
            Some(key) => {
                let Poll::Ready(result) = semaphore.poll_queued(key, cx) else { return self.pending() };
                self.key = None;
                result
            }
            None => {
                match if self.spin { semaphore.try_take_spinning(self.need) } else { semaphore.try_take(self.need) } {
                    Ok(()) => Ok(()),
                    Err(TryAcquireError::Closed) => Err(AcquireError(())),
                    Err(TryAcquireError::NoPermits) => match semaphore.take_or_queue(self.need, false, cx) {
                        Queued::Acquired => Ok(()),
                        Queued::Free => unreachable!("only a queue-only call leaves free permits"),
                        Queued::Closed => Err(AcquireError(())),
                        Queued::Waiting(key) => {
                            self.key = Some(key);
                            return self.pending();
                        }
                    },
                }
            }
        };
        coop.made_progress();
        Poll::Ready(result)
    }
}

impl Drop for Acquiring<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.semaphore.cancel(key);
        }
    }
}

impl fmt::Debug for Acquiring<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquiring").field("need", &self.need).field("queued", &self.key.is_some()).finish()
    }
}

/// Permits taken from a [`Semaphore`], given back when dropped.
#[must_use = "dropping a permit gives it back at once"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    permits: usize,
}

impl SemaphorePermit<'_> {
    /// Keeps the permits out of the semaphore for good.
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// Takes `other`'s permits into this one.
    ///
    /// # Panics
    /// When the two come from different semaphores.
    #[track_caller]
    pub fn merge(&mut self, mut other: Self) {
        assert!(std::ptr::eq(self.semaphore, other.semaphore), "merging permits from different semaphore instances");
        self.permits += std::mem::take(&mut other.permits);
    }

    /// Moves `n` of this permit's permits into a new one; `None` when it
    /// holds fewer.
    pub fn split(&mut self, n: usize) -> Option<Self> {
        self.permits = self.permits.checked_sub(n)?;
        Some(SemaphorePermit { semaphore: self.semaphore, permits: n })
    }

    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.release(self.permits);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit").field("permits", &self.permits).finish()
    }
}

/// Permits taken from a [`Semaphore`] behind an `Arc`, given back when dropped.
#[must_use = "dropping a permit gives it back at once"]
pub struct OwnedSemaphorePermit {
    semaphore: Arc<Semaphore>,
    permits: usize,
}

impl OwnedSemaphorePermit {
    /// Keeps the permits out of the semaphore for good.
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// Takes `other`'s permits into this one.
    ///
    /// # Panics
    /// When the two come from different semaphores.
    #[track_caller]
    pub fn merge(&mut self, mut other: Self) {
        assert!(Arc::ptr_eq(&self.semaphore, &other.semaphore), "merging permits from different semaphore instances");
        self.permits += std::mem::take(&mut other.permits);
    }

    /// Moves `n` of this permit's permits into a new one; `None` when it
    /// holds fewer.
    pub fn split(&mut self, n: usize) -> Option<Self> {
        self.permits = self.permits.checked_sub(n)?;
        Some(OwnedSemaphorePermit { semaphore: self.semaphore.clone(), permits: n })
    }

    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// The semaphore the permits came from.
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.semaphore
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.semaphore.release(self.permits);
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit").field("permits", &self.permits).finish()
    }
}

/// The semaphore was closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcquireError(());

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("semaphore closed")
    }
}

impl std::error::Error for AcquireError {}

/// Why [`Semaphore::try_acquire`] took nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore was closed.
    Closed,
    /// Too few permits are free (or others wait ahead).
    NoPermits,
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::Closed => f.write_str("semaphore closed"),
            TryAcquireError::NoPermits => f.write_str("no permits available"),
        }
    }
}

impl std::error::Error for TryAcquireError {}
