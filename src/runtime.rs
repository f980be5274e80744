//! `Builder` and `Runtime`: the executor with its reactor thread attached.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use runtime_executor as executor;
use runtime_io::IoDriver;
use runtime_reactor::Driver as Reactor;
use runtime_timer::{TimerDriver, Timers};

use crate::{Handle, JoinHandle};

/// Configures and starts a [`Runtime`].
///
/// # Examples
/// ```
/// let rt = runtime::Builder::new_multi_thread().worker_threads(2).thread_name("app").build()?;
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    executor: executor::Builder,
    start_paused: bool,
}

impl Builder {
    /// A runtime with a pool of worker threads (one per CPU unless
    /// [`worker_threads`](Builder::worker_threads) says otherwise).
    pub fn new_multi_thread() -> Builder {
        Builder { executor: executor::Builder::new_multi_thread(), start_paused: false }
    }

    /// A runtime that runs every task on the thread that calls `block_on`.
    pub fn new_current_thread() -> Builder {
        Builder { executor: executor::Builder::new_current_thread(), start_paused: false }
    }

    /// The number of worker threads (multi-thread flavor). Defaults to the
    /// number of CPUs.
    ///
    /// # Panics
    /// When `n` is zero.
    #[track_caller]
    pub fn worker_threads(&mut self, n: usize) -> &mut Builder {
        self.executor.worker_threads(n);
        self
    }

    /// The most threads the blocking pool starts (default 512).
    ///
    /// # Panics
    /// When `n` is zero.
    #[track_caller]
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Builder {
        self.executor.max_blocking_threads(n);
        self
    }

    /// How long an idle blocking-pool thread waits for a job before it exits
    /// (default 10 s).
    pub fn blocking_keep_alive(&mut self, keep_alive: Duration) -> &mut Builder {
        self.executor.blocking_keep_alive(keep_alive);
        self
    }

    /// The name of the runtime's threads (default `runtime-worker`; the
    /// reactor thread gets `-reactor` appended, blocking threads `-blocking`).
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Builder {
        self.executor.thread_name(name);
        self
    }

    /// Reports every task whose poll takes `threshold` or longer, once per
    /// task, with where it was spawned and how long the poll took, on stderr
    /// or to [`Builder::on_slow_poll`]'s hook. Off by default (timing costs
    /// two clock reads per poll); without this call the environment variable
    /// `RUNTIME_SLOW_POLL_MS` (whole milliseconds) sets it. Turns on the
    /// poll-time histogram too.
    ///
    /// # Examples
    /// ```
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    ///
    /// let (reports, slow) = mpsc::channel();
    /// let rt = runtime::Builder::new_multi_thread()
    ///     .slow_poll_threshold(Duration::from_millis(20))
    ///     .on_slow_poll(move |report| reports.send(report.clone()).unwrap())
    ///     .build()?;
    /// // A blocking call inside a task: the mistake this finds.
    /// rt.block_on(rt.spawn(async { std::thread::sleep(Duration::from_millis(50)) })).unwrap();
    /// let report = slow.recv().unwrap();
    /// assert_eq!(report.spawned_at().file(), file!());
    /// assert!(report.duration() >= Duration::from_millis(50));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn slow_poll_threshold(&mut self, threshold: Duration) -> &mut Builder {
        self.executor.slow_poll_threshold(threshold);
        self
    }

    /// Sends slow-poll reports to `hook` instead of stderr. It runs on the
    /// worker right after the slow poll: keep it short.
    pub fn on_slow_poll(&mut self, hook: impl Fn(&crate::SlowPoll) + Send + Sync + 'static) -> &mut Builder {
        self.executor.on_slow_poll(hook);
        self
    }

    /// Schedules with a seed: the current-thread flavor runs its queued
    /// tasks in an order the seed picks (the same order for the same seed)
    /// instead of first come, first served, so a test can explore
    /// interleavings and replay the one that failed; the multi-thread
    /// flavor takes its random choices (steal victims) from it, though the
    /// OS still decides when its threads run. `RUNTIME_SEED=N` (or
    /// `RUNTIME_SEED=random`) overrides it; [`Handle::schedule_seed`] says
    /// which seed is in effect.
    ///
    /// # Examples
    /// ```
    /// let rt = runtime::Builder::new_current_thread().schedule_seed(7).build()?;
    /// let order = rt.block_on(async {
    ///     let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    ///     let tasks: Vec<_> = (0..4)
    ///         .map(|i| {
    ///             let log = log.clone();
    ///             runtime::spawn(async move { log.lock().unwrap().push(i) })
    ///         })
    ///         .collect();
    ///     for task in tasks {
    ///         task.await.unwrap();
    ///     }
    ///     let order = log.lock().unwrap().clone();
    ///     order
    /// });
    /// assert_eq!(order.len(), 4); // some order of 0..4, the same one on every run with seed 7
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn schedule_seed(&mut self, seed: u64) -> &mut Builder {
        self.executor.schedule_seed(seed);
        self
    }

    /// Starts the runtime with its clock paused (see
    /// [`time::pause`](crate::time::pause)): what
    /// `#[runtime::test(start_paused = true)]` builds.
    ///
    /// # Examples
    /// ```
    /// use runtime::time::{sleep, Duration, Instant};
    ///
    /// let rt = runtime::Builder::new_current_thread().start_paused(true).build()?;
    /// let slept = rt.block_on(async {
    ///     let start = Instant::now();
    ///     sleep(Duration::from_secs(24 * 3600)).await;
    ///     start.elapsed()
    /// });
    /// assert_eq!(slept, Duration::from_secs(24 * 3600));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start_paused(&mut self, paused: bool) -> &mut Builder {
        self.start_paused = paused;
        self
    }

    /// Keeps a histogram of task poll times in the metrics
    /// ([`RuntimeMetrics::poll_time_histogram`](crate::RuntimeMetrics::poll_time_histogram)).
    /// Off by default: it costs two clock reads per poll.
    pub fn enable_poll_time_histogram(&mut self) -> &mut Builder {
        self.executor.enable_poll_time_histogram();
        self
    }

    /// Switches a fairness guard (`runtime_executor::Guard`, not a name of
    /// this crate) off: for tests that show they fail without it.
    ///
    /// # Panics
    /// Unless runtime-executor's `guard-switches` feature is on (without it
    /// the scheduler checks no switch).
    #[doc(hidden)]
    pub fn disable_fairness_guard(&mut self, guard: executor::Guard) -> &mut Builder {
        self.executor.disable_fairness_guard(guard);
        self
    }

    /// Starts the reactor thread with the runtime's timers, then the
    /// executor's threads.
    ///
    /// # Errors
    /// When the OS refuses a thread, the epoll instance or the eventfd.
    ///
    /// # Panics
    /// With [`start_paused`](Builder::start_paused) on a multi-thread runtime.
    pub fn build(&mut self) -> io::Result<Runtime> {
        let current_thread = self.executor.worker_count() == 0;
        assert!(
            current_thread || !self.start_paused,
            "`start_paused` needs a current_thread runtime (`Builder::new_current_thread`)"
        );
        let reactor = Reactor::start(format!("{}-reactor", self.executor.get_thread_name()), executor::wake_all)?;
        let interrupter = reactor.handle().interrupter();
        // A wheel per worker, and one for the other threads (block_on's).
        let shards = self.executor.worker_count() + 1;
        let timers = Arc::new(Timers::new(shards, move || interrupter.interrupt()));
        reactor.handle().set_deadlines(timers.clone());
        if self.start_paused {
            runtime_timer::pause_timers(&timers);
        }
        let executor = self
            .executor
            .clone()
            .service(Arc::new(IoDriver::new(reactor.handle().clone())))
            .service(Arc::new(TimerDriver::new(timers.clone(), reactor.handle().clone())))
            .build()?;
        Ok(Runtime { executor, reactor, timers: TimersShutdown(timers) })
    }
}

/// A running runtime: worker threads (or the current-thread scheduler), the
/// blocking pool and the reactor thread.
///
/// Dropping it stops the workers, drops every task it still holds (their
/// destructors run, their sockets leave the reactor), then stops the reactor:
/// sockets that outlive it report an error from then on.
///
/// Blocking jobs still running are waited for (up to
/// [`shutdown_timeout`](Runtime::shutdown_timeout)'s limit), except when the
/// runtime is dropped inside asynchronous code (a task of another runtime, or
/// a `block_on`): there waiting would stall that thread's other tasks, so
/// the jobs are left to finish on their own threads and the drop returns at
/// once. tokio panics in that case ("Cannot drop a runtime in a context
/// where blocking is not allowed"); `runtime` does not.
#[derive(Debug)]
pub struct Runtime {
    // Dropped in this order: the tasks go before the reactor they registered
    // with; timers that outlive both move to the process-wide timer thread.
    executor: executor::Runtime,
    reactor: Reactor,
    timers: TimersShutdown,
}

/// Shuts the runtime's timers down when dropped: sleeps that outlive the
/// runtime carry on with the process-wide timer thread instead of hanging.
#[derive(Debug)]
struct TimersShutdown(Arc<Timers>);

impl Drop for TimersShutdown {
    fn drop(&mut self) {
        self.0.shutdown();
    }
}

impl Runtime {
    /// A multi-thread runtime with one worker per CPU.
    ///
    /// # Errors
    /// When the OS refuses a thread or the reactor's descriptors.
    pub fn new() -> io::Result<Runtime> {
        Builder::new_multi_thread().build()
    }

    /// Runs `future` to completion on this thread, in the runtime's context.
    ///
    /// # Panics
    /// When called from a thread that runs asynchronous tasks (a worker, or
    /// inside another `block_on`): use `spawn`, or `spawn_blocking`, instead.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.executor.block_on(future)
    }

    /// Spawns a task; see [`Handle::spawn`].
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.executor.spawn(future)
    }

    /// Runs `f` on the blocking pool; see [`Handle::spawn_blocking`].
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.executor.spawn_blocking(f)
    }

    /// The runtime's handle.
    pub fn handle(&self) -> &Handle {
        self.executor.handle()
    }

    /// The executor of a runtime that runs until the process exits (the
    /// default one, held by a static that is never dropped): its reactor and
    /// timers are never stopped either, so they are let go of here.
    pub(crate) fn into_process_lifetime(self) -> executor::Runtime {
        let Runtime { executor, reactor, timers } = self;
        std::mem::forget((reactor, timers));
        executor
    }

    /// Shuts the runtime down, waiting at most `timeout` for running blocking
    /// jobs (those still running are left to finish on their own threads).
    pub fn shutdown_timeout(self, timeout: Duration) {
        let Runtime { executor, reactor, timers } = self;
        executor.shutdown_timeout(timeout);
        drop(reactor);
        drop(timers);
    }
}
