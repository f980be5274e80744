//! The blocking pool: closures that block (file I/O, DNS, CPU work) run on
//! threads of their own, so they never hold up a worker.
//!
//! Jobs wait in one queue. A job wakes an idle thread when there is one, else
//! starts a thread while fewer than `max_threads` exist, else waits for a thread
//! to free up. Idle threads exit after `keep_alive`. Each job is a task (so its
//! `JoinHandle` works like any other) that is polled once, to completion.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::sync::lock;
use crate::task::{self, JoinHandle, Notified, Schedule};
use crate::thread_spec::{Hook, ThreadSpec};

/// A pool of threads for blocking work.
pub(crate) struct BlockingPool {
    shared: Arc<Shared>,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled for each job handed to an idle thread, and at shutdown.
    work: Condvar,
    /// Signalled when a thread exits, for `shutdown`.
    exited: Condvar,
    max_threads: usize,
    keep_alive: Duration,
    threads: ThreadSpec,
    /// Run on each new pool thread before its first job: enters the runtime's context.
    enter_context: Hook,
    /// Called when the last job in flight finishes (`busy` turns false).
    on_quiet: Option<Hook>,
}

#[derive(Default)]
struct State {
    /// Jobs not yet started, each marked mandatory or not.
    queue: VecDeque<(Notified, bool)>,
    threads: usize,
    /// Threads waiting for a job and not yet handed one.
    idle: usize,
    /// Jobs running now.
    running: usize,
    /// Jobs handed to idle threads that have not woken for them yet.
    handed: usize,
    shutdown: bool,
}

/// The scheduler of a blocking job: it is polled once and never woken.
struct NoSchedule;

impl Schedule for NoSchedule {
    fn schedule(&self, _task: Notified) {
        unreachable!("a blocking job runs once and registers no waker")
    }

    fn release(&self, _task: std::ptr::NonNull<crate::task::Header>) -> Option<crate::task::Task> {
        None
    }
}

/// A closure as a future that completes on its first poll.
struct BlockingTask<F>(Option<F>);

impl<F> Unpin for BlockingTask<F> {}

impl<F: FnOnce() -> R, R> Future for BlockingTask<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let f = self.0.take().expect("a blocking job is polled once");
        Poll::Ready(f())
    }
}

impl BlockingPool {
    pub(crate) fn new(
        max_threads: usize,
        keep_alive: Duration,
        threads: ThreadSpec,
        enter_context: Hook,
        on_quiet: Option<Hook>,
    ) -> Self {
        let shared = Shared {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            exited: Condvar::new(),
            max_threads: max_threads.max(1),
            keep_alive,
            threads,
            enter_context,
            on_quiet,
        };
        BlockingPool { shared: Arc::new(shared) }
    }

    /// Queues `f` to run on a pool thread. A `mandatory` job runs even when
    /// the pool shuts down before it started (a write already reported done
    /// to its caller); the others are cancelled then.
    pub(crate) fn spawn<F, R>(&self, f: F, mandatory: bool) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (notified, handle) = task::new_unowned(BlockingTask(Some(f)), NoSchedule);
        match Shared::submit(&self.shared, notified, mandatory) {
            Ok(()) => {}
            // The pool is shut down: a mandatory job gets a thread of its own.
            Err(notified) if mandatory => {
                if let Err(error) = std::thread::Builder::new().spawn(move || notified.run()) {
                    eprintln!("runtime: a mandatory blocking job was lost: no thread for it ({error})");
                }
            }
            Err(notified) => notified.shutdown(),
        }
        handle
    }

    /// Whether a job is queued or running: its end may wake a task, so a
    /// paused clock must not jump past it.
    pub(crate) fn busy(&self) -> bool {
        let state = lock(&self.shared.state);
        state.running > 0 || !state.queue.is_empty()
    }

    /// (threads alive, threads idle)
    pub(crate) fn thread_counts(&self) -> (usize, usize) {
        let state = lock(&self.shared.state);
        (state.threads, state.idle)
    }

    /// Stops the pool: cancels queued jobs that are not mandatory and waits
    /// up to `timeout` for running ones and mandatory ones. Threads still
    /// running a job then are left to finish on their own.
    pub(crate) fn shutdown(&self, timeout: Duration) {
        let cancelled = {
            let mut state = lock(&self.shared.state);
            state.shutdown = true;
            let (mandatory, cancelled) = std::mem::take(&mut state.queue).into_iter().partition(|(_, m)| *m);
            state.queue = mandatory;
            if !state.queue.is_empty() && state.threads == 0 {
                // No thread left to drain the mandatory jobs: start one.
                state.threads += 1;
                if !Shared::start_thread(&self.shared) {
                    state.threads -= 1;
                }
            }
            cancelled
        };
        self.shared.work.notify_all();
        // Cancelling runs destructors: do it outside the lock.
        cancelled.into_iter().for_each(|(job, _)| job.shutdown());
        let deadline = Instant::now().checked_add(timeout);
        let mut state = lock(&self.shared.state);
        while state.threads > 0 {
            let wait = match deadline {
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(wait) if !wait.is_zero() => wait,
                    _ => break,
                },
                None => Duration::from_secs(3600),
            };
            state = self.shared.exited.wait_timeout(state, wait).unwrap_or_else(std::sync::PoisonError::into_inner).0;
        }
    }
}

impl Shared {
    fn submit(this: &Arc<Shared>, job: Notified, mandatory: bool) -> Result<(), Notified> {
        let mut state = lock(&this.state);
        if state.shutdown {
            return Err(job);
        }
        state.queue.push_back((job, mandatory));
        let wake_idle = state.idle > 0;
        let start_thread = !wake_idle && state.threads < this.max_threads;
        if wake_idle {
            state.idle -= 1;
            state.handed += 1;
        } else if start_thread {
            state.threads += 1;
        }
        // Notify and start threads after unlocking: a thread woken while we
        // still held the lock would only block on it again.
        drop(state);
        if wake_idle {
            this.work.notify_one();
        } else if start_thread && !Shared::start_thread(this) {
            // The OS refused a thread (EAGAIN): the job stays queued for a
            // running thread, or for the next submit to try again.
            lock(&this.state).threads -= 1;
        }
        Ok(())
    }

    /// Starts a pool thread, already counted in `threads`; false when the OS
    /// refuses it (the caller takes the count back).
    fn start_thread(this: &Arc<Shared>) -> bool {
        let (pool, enter) = (this.clone(), this.enter_context.clone());
        this.threads.spawn(move || enter(), move || pool.run()).is_ok()
    }

    fn run(&self) {
        let mut state = lock(&self.state);
        'work: loop {
            while let Some((job, _)) = state.queue.pop_front() {
                state.running += 1;
                drop(state);
                // The job has woken its JoinHandle's task when `run` returns.
                job.run();
                state = lock(&self.state);
                state.running -= 1;
                if let Some(on_quiet) = self.on_quiet.as_ref().filter(|_| state.running == 0 && state.queue.is_empty())
                {
                    on_quiet();
                }
            }
            if state.shutdown {
                break;
            }
            state.idle += 1;
            loop {
                let (next, waited) =
                    self.work.wait_timeout(state, self.keep_alive).unwrap_or_else(std::sync::PoisonError::into_inner);
                state = next;
                if state.handed > 0 {
                    // A submitter took us off the idle count and handed us a job.
                    state.handed -= 1;
                    continue 'work;
                }
                if state.shutdown {
                    // Drain the mandatory jobs still queued, then exit.
                    state.idle -= 1;
                    continue 'work;
                }
                if waited.timed_out() {
                    state.idle -= 1;
                    break 'work;
                }
            }
        }
        state.threads -= 1;
        drop(state);
        self.exited.notify_all();
    }
}

impl std::fmt::Debug for BlockingPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (threads, idle) = self.thread_counts();
        f.debug_struct("BlockingPool").field("threads", &threads).field("idle", &idle).finish()
    }
}
