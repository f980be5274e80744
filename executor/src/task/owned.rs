//! The owner list: every live task of a scheduler, so shutdown can reach the
//! ones that sit idle behind a waker nobody will wake.
//!
//! A sharded slab under mutexes (no unsafe): a task's shard comes from its
//! address and its index within the shard is stored in its header, so insert
//! and remove are O(1) and spawns on different workers rarely share a lock.

use std::future::Future;
use std::ptr::NonNull;

use super::{new_local, new_owned, Header, JoinHandle, Notified, Schedule, SpawnedAt, Task};
use crate::sync::{lock, Mutex};

const SHARDS: usize = if cfg!(loom) { 2 } else { 64 };

/// The live tasks of one scheduler.
pub(crate) struct OwnedTasks {
    shards: Box<[Mutex<Shard>]>,
}

#[derive(Default)]
struct Shard {
    /// One pointer per slot: a live task costs the list 8 bytes.
    slots: Vec<Option<Task>>,
    /// Indices of the empty slots.
    free: Vec<u32>,
    len: usize,
    closed: bool,
}

impl OwnedTasks {
    /// A list for tasks spawned from many threads at once.
    pub(crate) fn new() -> OwnedTasks {
        OwnedTasks::with_shards(SHARDS)
    }

    /// A list whose tasks are all spawned and completed on one thread.
    pub(crate) fn unsharded() -> OwnedTasks {
        OwnedTasks::with_shards(1)
    }

    fn with_shards(shards: usize) -> OwnedTasks {
        OwnedTasks { shards: (0..shards).map(|_| Mutex::new(Shard::default())).collect() }
    }

    fn shard(&self, ptr: NonNull<Header>) -> &Mutex<Shard> {
        // Fibonacci hashing of the address spreads consecutive allocations;
        // under loom the task's id: a model must be deterministic, and
        // addresses differ from one execution to the next.
        #[cfg(not(loom))]
        let key = (ptr.as_ptr() as usize as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58;
        #[cfg(loom)]
        // SAFETY: the caller holds a reference to the task.
        let key = unsafe { ptr.as_ref() }.id.as_u64();
        &self.shards[key as usize % self.shards.len()]
    }

    /// Makes a task of `future` owned by this list. Returns the `Notified` to
    /// queue, or `None` when the list is closed (shutdown): then the task is
    /// already cancelled and the handle reports it.
    pub(crate) fn bind<F, S>(
        &self,
        future: F,
        scheduler: S,
        spawned_at: SpawnedAt,
    ) -> (JoinHandle<F::Output>, Option<Notified>)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
        S: Schedule,
    {
        self.adopt(new_owned(future, scheduler, spawned_at))
    }

    /// [`OwnedTasks::bind`] for a future that is not `Send`.
    ///
    /// # Safety
    /// The task, its future and its output are polled, cancelled and dropped
    /// only on the calling thread: `scheduler` queues it for this thread alone,
    /// and this list is shut down on this thread (raw.rs invariant 5).
    pub(crate) unsafe fn bind_local<F, S>(
        &self,
        future: F,
        scheduler: S,
        spawned_at: SpawnedAt,
    ) -> (JoinHandle<F::Output>, Option<Notified>)
    where
        F: Future + 'static,
        F::Output: 'static,
        S: Schedule,
    {
        // SAFETY: passed on from our caller.
        self.adopt(unsafe { new_local(future, scheduler, spawned_at) })
    }

    fn adopt<T>(&self, (task, notified, handle): (Task, Notified, JoinHandle<T>)) -> (JoinHandle<T>, Option<Notified>) {
        match self.insert(task) {
            Ok(()) => (handle, Some(notified)),
            Err(task) => {
                drop(notified);
                task.shutdown();
                (handle, None)
            }
        }
    }

    /// Adds a new task; gives it back when the list is closed (the runtime is
    /// shutting down), and the caller must shut it down.
    fn insert(&self, task: Task) -> Result<(), Task> {
        let mut shard = lock(self.shard(task.as_ptr()));
        if shard.closed {
            return Err(task);
        }
        shard.len += 1;
        match shard.free.pop() {
            Some(index) => {
                task.set_owner_slot(index);
                shard.slots[index as usize] = Some(task);
            }
            None => {
                task.set_owner_slot(u32::try_from(shard.slots.len()).expect("fewer than 2^32 tasks per shard"));
                shard.slots.push(Some(task));
            }
        }
        Ok(())
    }

    /// Removes a completed task and returns the list's reference to it, or `None`
    /// when shutdown already took it.
    pub(crate) fn remove(&self, ptr: NonNull<Header>) -> Option<Task> {
        let mut shard = lock(self.shard(ptr));
        // SAFETY: the caller's running reference keeps the task alive.
        let index = unsafe { ptr.as_ref() }.owner_slot.load(std::sync::atomic::Ordering::Relaxed) as usize;
        match shard.slots.get(index) {
            Some(Some(task)) if task.as_ptr() == ptr => {}
            _ => return None,
        }
        let task = shard.slots[index].take();
        shard.free.push(u32::try_from(index).expect("fewer than 2^32 tasks per shard"));
        shard.len -= 1;
        task
    }

    /// Closes the list to new tasks and shuts down every task in it. Locks are
    /// released before any task is touched, since cancelling runs user destructors.
    pub(crate) fn close_and_shutdown_all(&self) {
        for shard in self.shards.iter() {
            let slots = {
                let mut shard = lock(shard);
                shard.closed = true;
                shard.len = 0;
                shard.free = Vec::new();
                std::mem::take(&mut shard.slots)
            };
            slots.into_iter().flatten().for_each(Task::shutdown);
        }
    }

    /// Hands each live task's header to `f`, with one shard locked at a time
    /// (`f` must not run user code: it copies atomics for a dump).
    pub(crate) fn for_each(&self, f: &mut dyn FnMut(&Header)) {
        for shard in self.shards.iter() {
            lock(shard).slots.iter().flatten().for_each(|task| f(task.header()));
        }
    }

    /// The number of live tasks.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|shard| lock(shard).len).sum()
    }
}

impl std::fmt::Debug for OwnedTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnedTasks").field("len", &self.len()).finish()
    }
}
