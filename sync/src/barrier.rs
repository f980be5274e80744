//! [`Barrier`]: lets `n` tasks wait until all of them have arrived.

use std::fmt;
use std::future::poll_fn;
use std::task::Poll;

use crate::sync::{lock, Mutex};
use crate::wait_list::{WaitList, WakeList};

/// What a task waiting at the barrier waits on, in a task dump.
static WAIT: runtime_executor::Resource = runtime_executor::Resource::new("Barrier::wait");

/// Makes `n` tasks wait for each other; the `n`-th to arrive releases them
/// all and is told it is the leader. A barrier can be used again: the next
/// `n` arrivals form the next generation.
///
/// Cancelling a `wait()` after it started does not take its arrival back
/// (as tokio's): the generation is released when `n` calls have arrived.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use runtime::sync::Barrier;
///
/// # runtime::block_on(async {
/// let barrier = Arc::new(Barrier::new(3));
/// let tasks: Vec<_> = (0..3)
///     .map(|_| {
///         let barrier = barrier.clone();
///         runtime::spawn(async move { barrier.wait().await.is_leader() })
///     })
///     .collect();
/// let mut leaders = 0;
/// for task in tasks {
///     leaders += task.await.unwrap() as usize;
/// }
/// assert_eq!(leaders, 1);
/// # });
/// ```
pub struct Barrier {
    n: usize,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    arrived: usize,
    generation: u64,
    waiters: WaitList<()>,
}

impl Barrier {
    /// A barrier for `n` tasks (`0` is taken as `1`).
    pub fn new(n: usize) -> Barrier {
        Barrier { n: n.max(1), state: Mutex::new(State { arrived: 0, generation: 0, waiters: WaitList::new() }) }
    }

    /// Arrives and waits for the rest of this generation.
    pub async fn wait(&self) -> BarrierWaitResult {
        let generation = {
            let mut state = lock(&self.state);
            state.arrived += 1;
            if state.arrived == self.n {
                state.arrived = 0;
                state.generation += 1;
                let mut wakes = WakeList::new();
                while let Some(key) = state.waiters.front() {
                    wakes.push(state.waiters.unlink(key));
                }
                drop(state);
                wakes.wake_all();
                return BarrierWaitResult(true);
            }
            state.generation
        };
        let mut waiting = Waiting { barrier: self, key: None };
        poll_fn(|cx| {
            let coop = std::task::ready!(runtime_executor::coop::poll_proceed(cx));
            let mut state = lock(&self.state);
            if state.generation != generation {
                if let Some(key) = waiting.key.take() {
                    let _served = state.waiters.remove(key);
                }
                coop.made_progress();
                return Poll::Ready(BarrierWaitResult(false));
            }
            let displaced = match waiting.key {
                Some(key) => state.waiters.set_waker(key, cx.waker()),
                None => {
                    waiting.key = Some(state.waiters.push_back((), cx.waker().clone()));
                    None
                }
            };
            drop(state);
            drop(displaced);
            crate::pending(&WAIT)
        })
        .await
    }
}

/// Leaves the wait list when a `wait()` is dropped.
struct Waiting<'a> {
    barrier: &'a Barrier,
    key: Option<usize>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            let removed = lock(&self.barrier.state).waiters.remove(key);
            drop(removed.waker);
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("Barrier").field("n", &self.n).field("arrived", &state.arrived).finish()
    }
}

/// What [`Barrier::wait`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// True for exactly one task of each generation: the last to arrive.
    pub fn is_leader(&self) -> bool {
        self.0
    }
}
