//! [`wake_all`]: a batch of remote wake-ups (the reactor's ready sources and
//! due timers) reaches each runtime's queue at once, after every waker of the
//! batch has run.
//!
//! While [`wake_all`] runs on a thread, a task woken there from outside its
//! runtime's threads is not queued at once but collected per runtime; the
//! batch is queued when the last waker has run. Two things follow:
//! - a batch costs each runtime one lock on its queue and one unpark, not one
//!   per task;
//! - no task of a batch runs before every waker of the batch was woken (a
//!   worker that picked up the first task while the reactor still woke the
//!   rest could see a timer with an earlier deadline not yet woken).

use std::cell::RefCell;
use std::task::Waker;

use crate::task::Notified;
use std::sync::Arc;

crate::sync::thread_local! {
    /// Set while [`wake_all`] runs on this thread: remote wake-ups collect
    /// here, per runtime queue, and are queued together.
    static BATCH: RefCell<Option<Batches>> = const { RefCell::new(None) };
}

/// Tasks woken during one [`wake_all`], per runtime queue. (This module is
/// not built under loom, whose `Arc` cannot hold a `dyn`: std's is used.)
type Batches = Vec<(Arc<dyn BatchQueue>, Vec<Notified>)>;

/// A runtime's queue for tasks woken from outside its threads.
pub(crate) trait BatchQueue: Send + Sync + 'static {
    /// Queues the tasks together and wakes a thread to run them; tasks the
    /// queue refuses (shutdown) are dropped, outside its lock.
    fn push_batch(&self, tasks: Vec<Notified>);
}

/// Wakes every waker in `wakers`, leaving it empty. A waker whose code
/// panics is skipped after the panic hook reported it: the caller is a
/// runtime thread (the reactor's) that must go on waking the rest.
///
/// Tasks woken this way from outside their runtime's workers reach its
/// queue under one lock with one notification, once every waker of the batch
/// has run (module docs).
pub fn wake_all(wakers: &mut Vec<Waker>) {
    if BATCH.with(|batch| batch.borrow().is_some()) {
        // Called from inside a wake: the outer call queues the batch.
        wakers.drain(..).for_each(wake_caught);
        return;
    }
    /// Queues the batch on every way out.
    struct Flush;
    impl Drop for Flush {
        fn drop(&mut self) {
            let batches = BATCH.with(|batch| batch.borrow_mut().take()).unwrap_or_default();
            for (queue, tasks) in batches {
                queue.push_batch(tasks);
            }
        }
    }
    BATCH.with(|batch| *batch.borrow_mut() = Some(Vec::new()));
    let _flush = Flush;
    wakers.drain(..).for_each(wake_caught);
}

/// Wakes `waker`, catching a panic in its code. (The reactor crate has the
/// same for its own threads; it does not depend on this one.)
fn wake_caught(waker: Waker) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| waker.wake()));
}

/// Adds `task` to this thread's [`wake_all`] batch for `queue`; gives it
/// back when no batch is being collected.
pub(crate) fn add_to_batch<Q: BatchQueue>(queue: &Arc<Q>, task: Notified) -> Option<Notified> {
    BATCH.with(|batch| {
        let mut batch = batch.borrow_mut();
        let Some(batches) = batch.as_mut() else { return Some(task) };
        let key = Arc::as_ptr(queue).cast::<()>();
        match batches.iter_mut().find(|(queued, _)| Arc::as_ptr(queued).cast::<()>() == key) {
            Some((_, tasks)) => tasks.push(task),
            None => batches.push((queue.clone(), vec![task])),
        }
        None
    })
}
