//! The multi-thread scheduler: workers with local queues, a LIFO slot, the
//! global injector, work stealing and parking.
//!
//! # Scheduling
//! - A task woken by the task running on a worker goes to that worker's LIFO
//!   slot (message ping-pong stays in cache); the task it displaces goes to the
//!   back of the local queue. Only a push to the local queue wakes a parked
//!   worker; a searching worker may still steal the LIFO task. A task that
//!   woke itself (it yielded) goes to the back of the local queue, never the
//!   LIFO slot, and wakes nobody: it adds no work, and the round's end (below)
//!   wakes a parked worker once for all the tasks that yielded.
//! - At most [`MAX_LIFO_POLLS_PER_TICK`] LIFO tasks run in a row; then the LIFO
//!   task moves to the back of the local queue, so the LIFO slot cannot starve it.
//! - Tasks spawned or woken from other threads go to the injector, which every
//!   worker checks first once per [`GLOBAL_POLL_INTERVAL`] polls (LIFO-slot
//!   polls included: a chain of spawns runs 4 polls a tick), after a task
//!   ran out of its cooperative budget (a hog goes behind every task queued,
//!   remote ones included), and whenever its local queue is empty.
//! - Tasks spawned with `spawn_local` (not `Send`) wait in the worker's
//!   pinned queue, which nobody steals; they take every other tick while the
//!   local queue has tasks too.
//! - A worker with no work steals half of another's queue, starting at a random
//!   victim, then parks (idle.rs decides who wakes).
//! - Each worker counts rounds: a round ends when every task that was queued
//!   at its start has been popped or stolen, so a yielding task runs once a
//!   round and its progress is its worker's round count. At a round's end
//!   (looking at most once per [`GLOBAL_POLL_INTERVAL`] ticks, in steal.rs) a
//!   worker steals half the queue of one that is [`LAGGING_ROUNDS`] behind
//!   (it has more tasks, or less CPU: other processes, more workers than
//!   cores), so progress evens out across workers even when none runs dry.
//!   Workers that keep pace never steal from each other; one that wakes from
//!   parking starts at the round the others are in.
//! - With a driver's [`Poller`] (the reactor's epoll), one parked worker at a
//!   time blocks in it instead of its condvar: the tasks its events wake land
//!   on its own queues, with one notification per batch. Busy workers look at
//!   it without blocking every [`EVENT_INTERVAL`] ticks, and after a task ran
//!   out of budget: its I/O events must not wait for the reactor thread's
//!   hand-off window, nor 61 of the hog's polls.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::atomic::Ordering;

use crate::coop;
use crate::diagnostics::metrics::WorkerMetrics;
use crate::diagnostics::monitor;
#[cfg(not(loom))]
use crate::diagnostics::runtime_metrics::SchedulerMetrics;
use crate::queue::{inject::Inject, local, local::Local, local::Steal};
use crate::scheduler::config::Config;
use crate::scheduler::guards::Guard;
use crate::scheduler::multi_thread::idle::Idle;
use crate::scheduler::park::{Parker, Unparked};
use crate::scheduler::wake_batch::{add_to_batch, BatchQueue};
use crate::sync::{lock, AtomicBool, AtomicU32, Mutex};
use crate::task::pinned::LocalTasks;
use crate::task::{Header, JoinHandle, Notified, OwnedTasks, Schedule, SpawnedAt, Task};
use crate::Poller;
use std::sync::Arc;
use std::time::Instant;

/// Ticks between a worker's looks, at a round's end, for lagging workers.
pub(crate) const LAGGARDS_INTERVAL: u32 = 61;
/// LIFO-slot tasks run in a row before the slot's task goes to the back of the queue.
pub(crate) const MAX_LIFO_POLLS_PER_TICK: usize = 3;
/// Rounds a worker is behind when another takes half its queue (module docs):
/// enough that workers keeping pace, give or take an OS time slice, keep
/// their tasks (a steal moves them to another core's cache).
pub(super) const LAGGING_ROUNDS: i32 = 16;

/// State shared by all workers of one runtime; tasks hold it as their scheduler.
///
/// Aligned past a cache-line pair so that the `Arc`'s reference count, which
/// every spawn and every freed task writes, shares no line with the fields
/// every worker reads.
#[repr(align(128))]
pub(crate) struct Shared {
    pub(super) remotes: Box<[Remote]>,
    pub(super) inject: Inject<Notified>,
    pub(super) idle: Idle,
    pub(crate) owned: OwnedTasks,
    shutdown: AtomicBool,
    /// The driver's event wait, which one idle worker at a time blocks in.
    pub(super) poller: Option<Arc<dyn Poller>>,
    /// Guards, hooks, intervals; the seed gives each worker's victim choices.
    pub(super) config: Config,
}

/// What other threads may touch of one worker.
///
/// Aligned past a cache-line pair, and its counters on lines of their own:
/// a worker writes its counters on every poll, and no other worker's reads
/// of its queue, rounds or parker may share a line with them (nor with the
/// next worker's `Remote`).
#[repr(align(128))]
pub(super) struct Remote {
    pub(super) steal: Steal<Notified>,
    /// Rounds this worker completed (module docs); written by it alone.
    pub(super) rounds: AtomicU32,
    pub(super) parker: Parker,
    /// The worker's core while `block_in_place` hands it to a new thread
    /// (see there); taken by that thread, or back by the blocked one.
    handoff: Mutex<Option<Core>>,
    pub(super) metrics: OwnLines<WorkerMetrics>,
}

/// A value on cache lines of its own (a pair: the prefetcher pulls lines in twos).
#[repr(align(128))]
pub(super) struct OwnLines<T>(pub(super) T);

impl<T> std::ops::Deref for OwnLines<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Builds the shared state and the local queues, one per worker thread to start.
pub(crate) fn new(
    workers: usize,
    poller: Option<Arc<dyn Poller>>,
    config: Config,
) -> (Arc<Shared>, Vec<Local<Notified>>) {
    let (locals, remotes): (Vec<_>, Vec<_>) = (0..workers)
        .map(|_| {
            let (local, steal) = local::new();
            (
                local,
                Remote {
                    steal,
                    rounds: AtomicU32::new(0),
                    parker: Parker::new(),
                    handoff: Mutex::new(None),
                    metrics: OwnLines(WorkerMetrics::default()),
                },
            )
        })
        .unzip();
    let shared = Shared {
        remotes: remotes.into_boxed_slice(),
        inject: Inject::new(),
        idle: Idle::new(workers),
        owned: OwnedTasks::new(),
        shutdown: AtomicBool::new(false),
        poller,
        config,
    };
    (Arc::new(shared), locals)
}

impl Shared {
    pub(crate) fn spawn<F>(self: &Arc<Self>, future: F, spawned_at: SpawnedAt) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (handle, notified) = self.owned.bind(future, self.clone(), spawned_at);
        if let Some(notified) = notified {
            self.schedule_task(notified, false);
        }
        handle
    }

    fn schedule_task(self: &Arc<Self>, task: Notified, is_yield: bool) {
        let task = WORKER.with(|worker| match &*worker.borrow() {
            Some(worker) if Arc::ptr_eq(&worker.shared, self) => worker.schedule_local(task, is_yield),
            _ => Some(task),
        });
        let batched = |task| add_to_batch(self, task);
        if let Some(task) = task.and_then(batched) {
            self.schedule_remote(task);
        }
    }

    fn schedule_remote(&self, task: Notified) {
        // A refused task (shutdown) is dropped here, outside the injector's lock.
        if self.inject.push(task).is_ok() {
            self.notify_parked();
        }
    }

    pub(super) fn notify_parked(&self) {
        if let Some(worker) = self.idle.worker_to_notify() {
            self.unpark_worker(worker);
        }
    }

    pub(super) fn unpark_worker(&self, worker: usize) {
        if self.remotes[worker].parker.unpark() == Unparked::Polling {
            if let Some(poller) = &self.poller {
                poller.interrupt();
            }
        }
    }

    pub(super) fn has_work(&self) -> bool {
        !self.inject.is_empty() || self.remotes.iter().any(|remote| !remote.steal.is_empty())
    }

    pub(super) fn overflow(&self, batch: &mut dyn Iterator<Item = Notified>) {
        // A refused batch (shutdown) is dropped here, outside the injector's lock.
        let _ = self.inject.push_batch(batch);
    }

    /// Tells the workers to stop and wakes them.
    pub(crate) fn signal_shutdown(&self) {
        self.shutdown.store(true, Ordering::Release);
        for worker in 0..self.remotes.len() {
            self.unpark_worker(worker);
        }
    }

    /// After the workers stopped: cancels every task and empties the injector.
    pub(crate) fn shutdown_tasks(&self) {
        self.owned.close_and_shutdown_all();
        drop(self.inject.close());
    }

    pub(super) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }
}

#[cfg(not(loom))]
impl SchedulerMetrics for Shared {
    fn num_workers(&self) -> usize {
        self.remotes.len()
    }

    fn num_alive_tasks(&self) -> usize {
        self.owned.len()
    }

    fn global_queue_depth(&self) -> usize {
        self.inject.len()
    }

    fn injector_pushes(&self) -> u64 {
        self.inject.pushes()
    }

    fn worker(&self, worker: usize) -> &WorkerMetrics {
        &self.remotes[worker].metrics
    }

    fn local_queue_depth(&self, worker: usize) -> usize {
        self.remotes[worker].steal.len()
    }

    fn keeps_histogram(&self) -> bool {
        self.config.monitor.keeps_histogram()
    }
}

impl BatchQueue for Shared {
    fn push_batch(&self, tasks: Vec<Notified>) {
        // A refused batch (shutdown) is dropped here, outside the injector's lock.
        if self.inject.push_batch(tasks.into_iter()).is_ok() {
            self.notify_parked();
        }
    }
}

impl Schedule for Arc<Shared> {
    fn schedule(&self, task: Notified) {
        self.schedule_task(task, false);
    }

    fn reschedule(&self, task: Notified) {
        self.schedule_task(task, true);
    }

    fn release(&self, task: NonNull<Header>) -> Option<Task> {
        self.owned.remove(task)
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MultiThread")
            .field("workers", &self.remotes.len())
            .field("inject", &self.inject)
            .field("owned", &self.owned)
            .finish()
    }
}

/// One worker thread's own state, reachable from its wakers through a thread-local.
pub(super) struct Worker {
    pub(super) shared: Arc<Shared>,
    index: usize,
    core: RefCell<Core>,
    /// Tasks that are not `Send`, spawned here with `spawn_local`: never stolen.
    pinned: Arc<LocalTasks>,
    /// Set while this worker dispatches I/O events: the tasks they wake queue
    /// here without a notification each; one follows the batch (`after_io`).
    dispatching_io: Cell<bool>,
    /// Its core went to another thread in `block_in_place` and did not come
    /// back: the loop ends after the task that blocked.
    retired: Cell<bool>,
}

pub(super) struct Core {
    local: Local<Notified>,
    tick: u32,
    /// This worker's poll count (its `polls` metric) when it last looked at
    /// the injector (`Config::global_queue_interval`).
    inject_looked_at: u64,
    /// The tick at which it last looked at I/O (`Config::event_interval`).
    events_looked_at: u32,
    /// When it last woke (or started): its busy time runs from here.
    busy_since: Instant,
    /// A task spent its whole cooperative budget: before the next task, I/O
    /// and the injector are looked at, so the hog goes behind remote
    /// wake-ups too, not only local ones.
    hog_yielded: bool,
    searching: bool,
    rand: u32,
    /// The local queue's position where the current round ends.
    round_end: u32,
    /// The tick at which a round's end last looked for lagging workers.
    laggards_looked_at: u32,
}

crate::sync::thread_local! {
    static WORKER: RefCell<Option<Rc<Worker>>> = const { RefCell::new(None) };
}

/// The body of worker thread `index`.
pub(crate) fn run(shared: Arc<Shared>, index: usize, local: Local<Notified>) {
    let core = Core::new(&shared, index, local);
    run_core(shared, index, core);
}

impl Core {
    fn new(shared: &Shared, index: usize, local: Local<Notified>) -> Core {
        let round_end = local.back();
        Core {
            local,
            tick: 0,
            inject_looked_at: 0,
            events_looked_at: 0,
            busy_since: Instant::now(),
            hog_yielded: false,
            searching: false,
            rand: crate::scheduler::seed::worker_rand(shared.config.seed, index),
            round_end,
            laggards_looked_at: 0,
        }
    }
}

/// Runs worker `index` with `core` until shutdown (or until its core is
/// handed to another thread and not given back).
fn run_core(shared: Arc<Shared>, index: usize, core: Core) {
    let pinned = {
        let shared = shared.clone();
        LocalTasks::new(move || shared.unpark_worker(index))
    };
    let worker = Rc::new(Worker {
        shared,
        index,
        core: RefCell::new(core),
        pinned,
        dispatching_io: Cell::new(false),
        retired: Cell::new(false),
    });
    WORKER.with(|slot| *slot.borrow_mut() = Some(worker.clone()));
    let monitored = monitor::enter(&worker.shared.config.monitor, &worker.remote().metrics.poll_times);
    let entered = worker.pinned.enter();
    worker.run();
    // The pinned tasks are cancelled here, on their own thread.
    drop(entered);
    drop(monitored);
    WORKER.with(|slot| slot.borrow_mut().take());
    // Drop the references in our queue; shutdown cancels the tasks through the owner list.
    let mut core = worker.core.borrow_mut();
    while let Some(task) = core.local.pop() {
        drop(task);
    }
    drop(core.local.pop_lifo());
}

/// Runs `f` on this worker thread, which may block in it, after handing the
/// worker's core (its queues) to a new thread on the blocking pool, so the
/// worker's tasks keep running meanwhile (tokio's `block_in_place`). When `f`
/// returns, the core comes back if the new thread has not taken it yet;
/// otherwise this thread stops being a worker once the task that called
/// returns. `Err(f)` when this thread is no multi-thread worker.
///
/// A worker running `spawn_local` tasks keeps its core: those tasks live on
/// this thread. `f` then runs in place, and idle workers steal the queue.
#[cfg(not(loom))]
pub(crate) fn block_in_place<F: FnOnce() -> R, R>(f: F, handle: &crate::Handle) -> Result<R, F> {
    let Some(worker) = WORKER.with(|slot| slot.borrow().clone()) else { return Err(f) };
    let _blocking = crate::runtime::context::blocking_section();
    if worker.pinned.alive() > 0 {
        return Ok(f());
    }
    let shared = worker.shared.clone();
    let index = worker.index;
    let placeholder = Core::new(&shared, index, local::new().0);
    *lock(&shared.remotes[index].handoff) = Some(worker.core.replace(placeholder));
    // This thread's wakes now go through the injector, not the core's queues.
    WORKER.with(|slot| slot.borrow_mut().take());
    let new_worker = {
        let (shared, handle) = (shared.clone(), handle.clone());
        move || {
            let Some(core) = lock(&shared.remotes[index].handoff).take() else { return };
            let _driving = crate::runtime::context::enter(handle, true);
            run_core(shared, index, core);
        }
    };
    drop(handle.spawn_blocking(new_worker));

    /// Takes the core back when `f` returns or unwinds, if it is still there.
    struct Reclaim(Rc<Worker>);
    impl Drop for Reclaim {
        fn drop(&mut self) {
            let worker = &self.0;
            match lock(&worker.shared.remotes[worker.index].handoff).take() {
                Some(core) => {
                    drop(worker.core.replace(core));
                    WORKER.with(|slot| *slot.borrow_mut() = Some(worker.clone()));
                }
                None => worker.retired.set(true),
            }
        }
    }
    let _reclaim = Reclaim(worker);
    Ok(f())
}

/// The index of the worker running on this thread, if it is one (of any runtime).
pub(crate) fn current_index() -> Option<usize> {
    WORKER.try_with(|worker| worker.borrow().as_ref().map(|worker| worker.index)).ok().flatten()
}

impl Worker {
    fn remote(&self) -> &Remote {
        &self.shared.remotes[self.index]
    }

    fn run(&self) {
        while !self.shared.is_shutdown() && !self.retired.get() {
            let look = {
                let mut core = self.core.borrow_mut();
                let due = core.tick.wrapping_sub(core.events_looked_at) >= self.shared.config.event_interval;
                if due {
                    core.events_looked_at = core.tick;
                }
                due || core.hog_yielded
            };
            if look {
                crate::diagnostics::dump::refresh_stamp();
                if self.shared.config.guards.on(Guard::EventInterval) {
                    self.poll_io();
                }
            }
            if let Some(task) = self.next_task().or_else(|| self.steal_work()) {
                self.run_task(task);
            } else {
                self.park();
                crate::diagnostics::dump::refresh_stamp();
            }
        }
    }

    /// Queues a task woken on this worker; returns it when the core is busy
    /// (a wake from inside the worker's own bookkeeping), for the injector.
    pub(super) fn schedule_local(&self, task: Notified, is_yield: bool) -> Option<Notified> {
        let Ok(mut core) = self.core.try_borrow_mut() else { return Some(task) };
        // The LIFO slot takes the woken task; the one it displaces queues up. A
        // task that only filled the LIFO slot wakes nobody (as in tokio): this
        // worker runs it as soon as the current task returns, and saving the
        // notification's fence matters on the message-passing path. A yield
        // wakes nobody either: it adds no work, and the round's end (which
        // follows within a queue's length of polls) wakes a worker for the lot.
        let to_back = is_yield && self.shared.config.guards.on(Guard::YieldToBack);
        let task = if to_back { task } else { core.local.push_lifo(task)? };
        core.local.push_back(task, |batch| self.shared.overflow(batch));
        drop(core);
        if !to_back && !self.dispatching_io.get() {
            self.shared.notify_parked();
        }
        None
    }

    /// Runs `wait` (the poller's) with per-task notifications held back
    /// (until it returns or unwinds).
    fn dispatch_io(&self, wait: impl FnOnce()) {
        struct Dispatching<'a>(&'a Cell<bool>);
        impl Drop for Dispatching<'_> {
            fn drop(&mut self) {
                self.0.set(false);
            }
        }
        self.dispatching_io.set(true);
        let _dispatching = Dispatching(&self.dispatching_io);
        wait();
    }

    /// After an I/O batch: another worker is roused if there is work to steal
    /// (it wakes a further one in turn if it finds more, idle.rs).
    fn after_io(&self) {
        if self.remote().steal.is_stealable() {
            self.shared.notify_parked();
        }
    }

    /// Takes the I/O events that are ready, if no other thread is waiting for
    /// them; their tasks land on this worker's queues. The core is not
    /// borrowed here, so wakes take the local path.
    fn poll_io(&self) {
        if let Some(poller) = &self.shared.poller {
            if poller.with_wait(&mut |wait| self.dispatch_io(|| wait(false))) {
                self.after_io();
            }
        }
    }

    fn has_local_work(&self) -> bool {
        !self.remote().steal.is_empty() || !self.pinned.is_empty()
    }

    fn next_task(&self) -> Option<Notified> {
        let mut core = self.core.borrow_mut();
        core.tick = core.tick.wrapping_add(1);
        let hog_yielded = std::mem::take(&mut core.hog_yielded);
        if self.shared.config.guards.on(Guard::InjectorInterval) {
            // At the interval a fair share that fits in the local queue, not
            // one task: the injector's tasks then progress as fast as the
            // local queue's (taking one, as tokio and Go do, serves them at
            // 1/61 of the rate). After a hog's yield one task, for one lock.
            // (A look that finds the injector empty costs one load.)
            let polls = self.remote().metrics.polls.get();
            let task = if polls - core.inject_looked_at >= u64::from(self.shared.config.global_queue_interval) {
                core.inject_looked_at = polls;
                self.pop_inject_batch(&mut core)
            } else if hog_yielded {
                self.shared.inject.pop()
            } else {
                None
            };
            if task.is_some() {
                return task;
            }
        }
        // The LIFO slot is full here only when I/O events were dispatched on
        // this worker since its last task (run_task empties it otherwise): the
        // task just woken by I/O runs before the queue, a hog included.
        if let Some(task) = core.local.pop_lifo() {
            return Some(task);
        }
        // Pinned tasks take every other tick while the local queue has tasks too.
        let task = self.pinned.pop_alternating(core.tick.is_multiple_of(2), || self.pop_local(&mut core));
        task.or_else(|| self.pop_inject_batch(&mut core))
    }

    /// Takes a task from the injector, and a fair share more into the local
    /// queue: at most half its free slots, so that the tasks woken meanwhile
    /// fit (a full queue's next wake would send the oldest half straight back
    /// to the injector's tail).
    fn pop_inject_batch(&self, core: &mut Core) -> Option<Notified> {
        let share = self.shared.inject.len() / self.shared.remotes.len();
        let more = share.min(core.local.remaining_slots() / 2).min(local::CAPACITY / 2);
        self.shared.inject.pop_batch(more, |task| {
            core.local.push_back(task, |_| unreachable!("the batch fits in the free slots"));
        })
    }

    fn run_task(&self, task: Notified) {
        let was_searching = std::mem::replace(&mut self.core.borrow_mut().searching, false);
        if was_searching && self.shared.idle.transition_worker_from_searching() {
            // We were the last searcher and found work: there may be more.
            self.shared.notify_parked();
        }
        let lifo_polls =
            if self.shared.config.guards.on(Guard::LifoBound) { MAX_LIFO_POLLS_PER_TICK } else { usize::MAX };
        // One call site for the poll, so that it stays inlined in the loop.
        let (mut task, mut polled_lifo) = (task, 0);
        loop {
            self.poll(task);
            if polled_lifo == lifo_polls {
                break;
            }
            let Some(next) = self.core.borrow_mut().local.pop_lifo() else { return };
            (task, polled_lifo) = (next, polled_lifo + 1);
        }
        let mut core = self.core.borrow_mut();
        if let Some(task) = core.local.pop_lifo() {
            // LIFO budget spent: the task waits its turn like the others.
            core.local.push_back(task, |batch| self.shared.overflow(batch));
        }
    }

    /// Polls one task, with a fresh cooperative budget.
    fn poll(&self, task: Notified) {
        self.remote().metrics.polls.incr();
        let spent = coop::budgeted(self.shared.config.guards.on(Guard::Budget), || {
            task.run();
            coop::is_spent()
        });
        if spent {
            self.core.borrow_mut().hog_yielded = true;
        }
    }

    fn park(&self) {
        let was_searching = std::mem::replace(&mut self.core.borrow_mut().searching, false);
        let idle = &self.shared.idle;
        if idle.transition_worker_to_parked(self.index, was_searching) && self.shared.has_work() {
            // We were the last searcher: work queued meanwhile must not wait (idle.rs invariant 1).
            self.shared.notify_parked();
        }
        let mut busy_since = self.core.borrow().busy_since;
        let mut woken = false;
        self.shared.config.park(&self.remote().metrics, &mut busy_since, || woken = self.sleep());
        self.core.borrow_mut().busy_since = busy_since;
        if woken {
            self.catch_up_rounds();
            // The waker counted us as searching.
            self.core.borrow_mut().searching = true;
        }
    }

    /// Sleeps until there is work or the runtime shuts down. True when
    /// another worker woke us (and counted us as searching); false on
    /// shutdown, or when I/O woke tasks onto our own queues and we took
    /// ourselves off the idle list.
    fn sleep(&self) -> bool {
        let idle = &self.shared.idle;
        loop {
            // One idle worker waits for I/O itself: the tasks it wakes land in
            // its own queues, with no thread hop from the reactor.
            let parker = &self.remote().parker;
            let polled = self.shared.poller.as_ref().is_some_and(|poller| {
                poller.with_wait(&mut |wait| parker.park_polling(|| self.dispatch_io(|| wait(true))))
            });
            if !polled {
                parker.park();
            }
            if self.shared.is_shutdown() {
                return false;
            }
            if !idle.is_parked(self.index) {
                return true;
            }
            if self.has_local_work() {
                // I/O woke tasks onto our queues while we were still listed as asleep.
                let unlisted = idle.unpark_worker_by_id(self.index);
                self.after_io();
                return !unlisted;
            }
        }
    }
}

// How a worker finds work beyond its own queue: the rounds it counts, the
// lagging worker it takes half a queue from at a round's end, and the
// steal-half of an idle worker (module docs).
impl Worker {
    /// Pops the local queue, ending the round first when it is over.
    pub(super) fn pop_local(&self, core: &mut Core) -> Option<Notified> {
        if core.local.is_past(core.round_end) {
            if core.local.len() == 0 {
                return None;
            }
            core.round_end = core.local.back();
            if let Some(task) = self.end_round(core) {
                return Some(task);
            }
            if core.local.len() > 1 {
                // Tasks that yielded this round: an idle worker may take some.
                self.shared.notify_parked();
            }
        }
        core.local.pop()
    }

    /// Counts a round and takes half the queue of a worker that lags.
    pub(super) fn end_round(&self, core: &mut Core) -> Option<Notified> {
        // Relaxed: the counts only steer; a stale one costs a steal or defers one.
        let rounds = self.remote().rounds.load(Ordering::Relaxed).wrapping_add(1);
        self.remote().rounds.store(rounds, Ordering::Relaxed);
        // At most once per injector interval: a worker whose round is one
        // yielding task would otherwise read every other's count each poll.
        let since = core.tick.wrapping_sub(core.laggards_looked_at);
        if since < LAGGARDS_INTERVAL || !self.shared.config.guards.on(Guard::LaggingSteal) {
            return None;
        }
        core.laggards_looked_at = core.tick;
        self.steal_from_others(core, |remote| {
            let behind = rounds.wrapping_sub(remote.rounds.load(Ordering::Relaxed)) as i32;
            behind >= LAGGING_ROUNDS && remote.steal.is_stealable()
        })
    }

    /// Half the queue of the first other worker, from a random one on, that
    /// `victim` accepts.
    fn steal_from_others(&self, core: &mut Core, victim: impl Fn(&Remote) -> bool) -> Option<Notified> {
        let workers = self.shared.remotes.len();
        let start = core.next_rand() as usize % workers;
        let others = (0..workers).map(|i| (start + i) % workers).filter(|&other| other != self.index);
        others.map(|other| &self.shared.remotes[other]).filter(|remote| victim(remote)).find_map(|remote| {
            let task = remote.steal.steal_into(&mut core.local)?;
            self.remote().metrics.steals.incr();
            Some(task)
        })
    }

    /// After parking: this worker joins the round the busiest one is in, so
    /// that the others do not take its new tasks for a lagging worker's.
    pub(super) fn catch_up_rounds(&self) {
        let rounds = self.shared.remotes.iter().map(|remote| remote.rounds.load(Ordering::Relaxed));
        let ahead = rounds.max_by_key(|&r| r.wrapping_sub(self.remote().rounds.load(Ordering::Relaxed)) as i32);
        if let Some(ahead) = ahead {
            self.remote().rounds.store(ahead, Ordering::Relaxed);
        }
    }

    pub(super) fn steal_work(&self) -> Option<Notified> {
        let mut core = self.core.borrow_mut();
        if !core.searching {
            if !self.shared.idle.transition_worker_to_searching() {
                return None;
            }
            core.searching = true;
        }
        let stolen = if self.shared.config.guards.on(Guard::Stealing) {
            self.steal_from_others(&mut core, |_| true)
        } else {
            None
        };
        stolen.or_else(|| self.pop_inject_batch(&mut core))
    }
}

impl Core {
    /// xorshift32: cheap victim selection.
    fn next_rand(&mut self) -> u32 {
        let mut x = self.rand;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rand = x;
        x
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_workers_counters_share_no_cache_line_pair_with_what_others_read() {
        assert_eq!(std::mem::align_of::<Remote>(), 128, "the next worker's Remote starts on a pair of its own");
        assert_eq!(std::mem::offset_of!(Remote, metrics) % 128, 0, "the counters start a pair of their own");
        let others_read = [
            std::mem::offset_of!(Remote, steal),
            std::mem::offset_of!(Remote, rounds),
            std::mem::offset_of!(Remote, parker),
        ];
        let counters = std::mem::offset_of!(Remote, metrics) / 128;
        assert!(others_read.iter().all(|&offset| offset / 128 != counters), "{others_read:?}");
    }
}

/// The assembled scheduler under loom, as tokio's `loom_multi_thread`: real
/// workers running [`run`], tasks spawned, woken and yielding while the
/// runtime shuts down.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::{lock, thread, AtomicUsize, Mutex};
    use std::panic::Location;
    use std::pin::Pin;
    use std::sync::atomic::Ordering::SeqCst;
    use std::task::{Context, Poll, Waker};

    /// Counts its drops: every future must be dropped exactly once, by the
    /// thread that completes or cancels it.
    struct Counted(Arc<AtomicUsize>);

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    /// Wakes itself `times` times, then completes.
    fn yielding(times: usize, counted: Counted) -> impl Future<Output = ()> + Send {
        let mut left = times;
        std::future::poll_fn(move |cx: &mut Context<'_>| {
            let _keep = &counted;
            if left == 0 {
                return Poll::Ready(());
            }
            left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        })
    }

    /// Pending until woken from outside: its waker goes to `slot`.
    fn woken_from_outside(slot: Arc<Mutex<Option<Waker>>>, counted: Counted) -> impl Future<Output = ()> + Send {
        let mut registered = false;
        std::future::poll_fn(move |cx: &mut Context<'_>| {
            let _keep = &counted;
            if registered {
                return Poll::Ready(());
            }
            registered = true;
            *lock(&slot) = Some(cx.waker().clone());
            Poll::Pending
        })
    }

    fn start(workers: usize) -> (Arc<Shared>, Vec<thread::JoinHandle<()>>) {
        let (shared, locals) = new(workers, None, Config::default());
        let threads = locals
            .into_iter()
            .enumerate()
            .map(|(index, local)| {
                let shared = shared.clone();
                thread::spawn(move || run(shared, index, local))
            })
            .collect();
        (shared, threads)
    }

    fn stop(shared: &Arc<Shared>, threads: Vec<thread::JoinHandle<()>>) {
        shared.signal_shutdown();
        for thread in threads {
            thread.join().unwrap();
        }
        shared.shutdown_tasks();
    }

    /// A task that yields races shutdown on one worker, with a wake from
    /// outside in flight: every worker returns and each future is dropped
    /// exactly once, whether it completed or was cancelled (a lost wake
    /// would deadlock the model, a double drop or a leak fails the count).
    #[test]
    fn loom_multi_thread_shutdown_with_tasks_in_flight() {
        loom::model(|| {
            let (shared, threads) = start(1);
            let drops = Arc::new(AtomicUsize::new(0));
            let slot = Arc::new(Mutex::new(None::<Waker>));
            let here = Location::caller();
            drop(shared.spawn(yielding(1, Counted(drops.clone())), here));
            drop(shared.spawn(woken_from_outside(slot.clone(), Counted(drops.clone())), here));
            let waker = {
                let slot = slot.clone();
                thread::spawn(move || {
                    if let Some(waker) = lock(&slot).take() {
                        waker.wake();
                    }
                })
            };
            stop(&shared, threads);
            waker.join().unwrap();
            drop(lock(&slot).take());
            assert_eq!(drops.load(SeqCst), 2);
            assert_eq!(shared.owned.len(), 0);
        });
    }

    /// Two workers: a task queued on one may be stolen by the other while
    /// both shut down; the task completes or is cancelled, once.
    #[test]
    fn loom_multi_thread_steal_racing_shutdown() {
        // One preemption: two whole workers and the spawner at two run for minutes.
        let mut model = loom::model::Builder::new();
        model.preemption_bound = Some(1);
        model.check(|| {
            let (shared, threads) = start(2);
            let drops = Arc::new(AtomicUsize::new(0));
            let here = Location::caller();
            drop(shared.spawn(yielding(1, Counted(drops.clone())), here));
            stop(&shared, threads);
            assert_eq!(drops.load(SeqCst), 1);
            assert_eq!(shared.owned.len(), 0);
        });
    }
}
