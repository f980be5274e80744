//! The global injector: tasks spawned or woken from outside a worker, and the
//! overflow of full local queues.
//!
//! A mutex-guarded deque with an atomic length beside it, so that the common
//! question "is there anything?" costs one load. Every change of `len` happens
//! under the lock; readers outside it use it only as a hint, and the parking
//! protocol (idle.rs) orders it with a SeqCst fence.

use std::collections::VecDeque;
use std::sync::atomic::Ordering::{Acquire, Release};

use crate::sync::{lock, AtomicUsize, Mutex};

/// The global queue shared by all workers.
pub(crate) struct Inject<T> {
    queue: Mutex<Queue<T>>,
    len: AtomicUsize,
}

struct Queue<T> {
    items: VecDeque<T>,
    closed: bool,
    /// Items ever pushed (a metric, counted under the lock for free).
    pushes: u64,
}

impl<T> Inject<T> {
    pub(crate) fn new() -> Inject<T> {
        Inject {
            queue: Mutex::new(Queue { items: VecDeque::new(), closed: false, pushes: 0 }),
            len: AtomicUsize::new(0),
        }
    }

    /// A hint: true when the queue looked empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn len(&self) -> usize {
        // Acquire: pairs with the Release stores below, so a non-zero length seen
        // here means the items are reachable under the lock.
        self.len.load(Acquire)
    }

    /// Queues one item; gives it back once the queue is closed. The caller drops
    /// what comes back outside any lock.
    pub(crate) fn push(&self, item: T) -> Result<(), T> {
        let mut queue = lock(&self.queue);
        if queue.closed {
            return Err(item);
        }
        queue.items.push_back(item);
        queue.pushes += 1;
        // Release: publishes the item (pairs with the Acquire in `len`).
        self.len.store(queue.items.len(), Release);
        Ok(())
    }

    /// Queues a batch under one lock; gives the batch back once the queue is closed.
    pub(crate) fn push_batch(&self, items: impl Iterator<Item = T>) -> Result<(), Vec<T>> {
        let mut queue = lock(&self.queue);
        if queue.closed {
            return Err(items.collect());
        }
        let before = queue.items.len();
        queue.items.extend(items);
        queue.pushes += (queue.items.len() - before) as u64;
        // Release: publishes the items (pairs with the Acquire in `len`).
        self.len.store(queue.items.len(), Release);
        Ok(())
    }

    pub(crate) fn pop(&self) -> Option<T> {
        if self.is_empty() {
            return None;
        }
        let mut queue = lock(&self.queue);
        let item = queue.items.pop_front();
        self.len.store(queue.items.len(), Release);
        item
    }

    /// Pops one item to run now and up to `more` others for the caller's local
    /// queue, under one lock.
    pub(crate) fn pop_batch(&self, more: usize, mut into: impl FnMut(T)) -> Option<T> {
        if self.is_empty() {
            return None;
        }
        let mut queue = lock(&self.queue);
        let first = queue.items.pop_front()?;
        let n = more.min(queue.items.len());
        queue.items.drain(..n).for_each(&mut into);
        self.len.store(queue.items.len(), Release);
        Some(first)
    }

    /// Items ever pushed.
    pub(crate) fn pushes(&self) -> u64 {
        lock(&self.queue).pushes
    }

    /// Closes the queue and returns what it held; later pushes are refused.
    pub(crate) fn close(&self) -> VecDeque<T> {
        let mut queue = lock(&self.queue);
        queue.closed = true;
        self.len.store(0, Release);
        std::mem::take(&mut queue.items)
    }
}

impl<T> std::fmt::Debug for Inject<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inject").field("len", &self.len()).finish()
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::{thread, Arc};

    #[test]
    fn loom_inject_every_item_is_popped_once() {
        loom::model(|| {
            let inject = Arc::new(Inject::new());
            let producer = {
                let inject = inject.clone();
                thread::spawn(move || {
                    inject.push(1).unwrap();
                    inject.push_batch([2, 3].into_iter()).unwrap();
                })
            };
            let mut seen = Vec::new();
            for _ in 0..2 {
                if let Some(item) = inject.pop_batch(1, |item| seen.push(item)) {
                    seen.push(item);
                }
            }
            producer.join().unwrap();
            seen.extend(inject.close());
            seen.sort();
            assert_eq!(seen, [1, 2, 3]);
            assert!(inject.push(4).is_err(), "a closed injector refuses items");
        });
    }
}
