//! `Builder` and `Runtime`: starting and stopping a runtime.

use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle as ThreadHandle;
use std::time::Duration;

use crate::blocking::BlockingPool;
use crate::diagnostics::monitor::{self, SlowPoll};
use crate::runtime::context;
use crate::scheduler::config::Config;
use crate::scheduler::guards::Guard;
use crate::scheduler::seed;
use crate::scheduler::{current_thread, multi_thread};
use crate::sync::lock;
use crate::task::JoinHandle;
use crate::thread_spec::ThreadSpec;

use super::handle::{HandleInner, Scheduler};
use super::{Handle, Service};

/// Configures and starts a runtime: its scheduler, worker threads, blocking
/// pool, and the [`Service`]s attached to it.
///
/// There is one builder type for every runtime: `runtime::Builder` is this
/// type with the facade's [`Assembly`] (which adds the reactor and the
/// timers), and `Builder<Engine>` builds the executor alone. Each option is
/// written once, here; an assembly reads the options it needs.
///
/// # Examples
/// ```
/// let rt = runtime::Builder::new_multi_thread().worker_threads(2).thread_name("app").build()?;
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Builder<A: Assembly = Engine> {
    services: Vec<Arc<dyn Service>>,
    flavor: Flavor,
    worker_threads: Option<usize>,
    max_blocking_threads: usize,
    blocking_keep_alive: Duration,
    /// Names, stack size and hooks of the worker threads (blocking threads
    /// add `-blocking` to the name).
    threads: ThreadSpec,
    monitor: monitor::Config,
    /// The scheduler's settings but the monitor's (above, until `build`).
    scheduler: Config,
    start_paused: bool,
    /// Where the facade's console serves (`console`).
    #[cfg(feature = "console")]
    console: Option<String>,
    assembly: PhantomData<A>,
}

/// What a [`Builder`] builds from its options: the executor alone
/// ([`Engine`]), or the executor with more attached (the facade's runtime
/// with its reactor and timers).
pub trait Assembly: Clone + fmt::Debug + Send + Sync + 'static {
    /// The runtime `build` returns.
    type Runtime;

    /// Builds the runtime `builder` describes.
    ///
    /// # Errors
    /// When the OS refuses a thread or another resource the runtime needs.
    fn assemble(builder: &Builder<Self>) -> io::Result<Self::Runtime>;
}

/// The executor alone: a scheduler, its threads and the blocking pool.
#[derive(Debug, Clone, Copy, Default)]
pub struct Engine;

impl Assembly for Engine {
    type Runtime = Runtime;

    fn assemble(builder: &Builder<Engine>) -> io::Result<Runtime> {
        builder.build_engine()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    MultiThread,
    CurrentThread,
}

/// Which scheduler a runtime runs ([`Handle::runtime_flavor`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuntimeFlavor {
    /// Every task runs on the thread in `block_on`.
    CurrentThread,
    /// Worker threads run the tasks.
    MultiThread,
}

impl<A: Assembly> Builder<A> {
    /// A runtime with a pool of worker threads (one per CPU unless
    /// [`worker_threads`](Builder::worker_threads) says otherwise).
    pub fn new_multi_thread() -> Builder<A> {
        Builder::new(Flavor::MultiThread)
    }

    /// A runtime that runs every task on the thread that calls `block_on`.
    pub fn new_current_thread() -> Builder<A> {
        Builder::new(Flavor::CurrentThread)
    }

    fn new(flavor: Flavor) -> Builder<A> {
        Builder {
            services: Vec::new(),
            flavor,
            worker_threads: None,
            max_blocking_threads: 512,
            blocking_keep_alive: Duration::from_secs(10),
            threads: ThreadSpec {
                name: "runtime-worker".to_string(),
                name_fn: None,
                stack_size: None,
                on_start: None,
                on_stop: None,
            },
            monitor: monitor::Config::default(),
            scheduler: Config::default(),
            start_paused: false,
            #[cfg(feature = "console")]
            console: None,
            assembly: PhantomData,
        }
    }

    /// Schedules with a seed: the current-thread flavor runs its queued
    /// tasks in an order the seed picks (the same order for the same seed)
    /// instead of first come, first served, so a test can explore
    /// interleavings and replay the one that failed; the multi-thread
    /// flavor takes its random choices (steal victims) from it, though the
    /// OS still decides when its threads run. `RUNTIME_SEED=N` (or
    /// `RUNTIME_SEED=random`) overrides it; [`Handle::schedule_seed`](crate::Handle::schedule_seed) says
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
    pub fn schedule_seed(&mut self, seed: u64) -> &mut Self {
        self.scheduler.seed = Some(seed);
        self
    }

    /// Starts the runtime with its clock paused (see
    /// `runtime::time::pause`): what
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
    pub fn start_paused(&mut self, paused: bool) -> &mut Self {
        self.start_paused = paused;
        self
    }

    /// The number of worker threads (multi-thread flavor). Defaults to the
    /// number of CPUs.
    ///
    /// # Panics
    /// When `n` is zero.
    #[track_caller]
    pub fn worker_threads(&mut self, n: usize) -> &mut Self {
        assert!(n > 0, "a runtime needs at least one worker thread");
        self.worker_threads = Some(n);
        self
    }

    /// The most threads the blocking pool starts (default 512).
    ///
    /// # Panics
    /// When `n` is zero.
    #[track_caller]
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Self {
        assert!(n > 0, "the blocking pool needs at least one thread");
        self.max_blocking_threads = n;
        self
    }

    /// How long an idle blocking-pool thread waits for a job before it exits
    /// (default 10 s).
    pub fn blocking_keep_alive(&mut self, keep_alive: Duration) -> &mut Self {
        self.blocking_keep_alive = keep_alive;
        self
    }

    /// Attaches `service` to the runtime: it lives as long as the runtime's
    /// handles and is found again with [`Handle::service`].
    #[doc(hidden)] // for assemblies (the facade's), not applications
    pub fn service(&mut self, service: Arc<dyn Service>) -> &mut Self {
        self.services.push(service);
        self
    }

    /// The number of worker threads `build` starts: 0 for the current-thread
    /// flavor, else the configured number or one per CPU.
    #[doc(hidden)] // for assemblies (the facade's), not applications
    pub fn worker_count(&self) -> usize {
        match self.flavor {
            Flavor::CurrentThread => 0,
            Flavor::MultiThread => {
                self.worker_threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            }
        }
    }

    /// Accepted for a tokio program's sake: a runtime's reactor and timers
    /// are always on, so there is nothing to enable.
    pub fn enable_all(&mut self) -> &mut Self {
        self
    }

    /// Accepted for a tokio program's sake: the reactor is always on
    /// (sockets, pipes, signals and processes work on every runtime).
    pub fn enable_io(&mut self) -> &mut Self {
        self
    }

    /// Accepted for a tokio program's sake: the timers are always on.
    pub fn enable_time(&mut self) -> &mut Self {
        self
    }

    /// tokio's name for [`blocking_keep_alive`](Builder::blocking_keep_alive):
    /// how long an idle blocking-pool thread waits for a job before it exits.
    pub fn thread_keep_alive(&mut self, keep_alive: Duration) -> &mut Self {
        self.blocking_keep_alive(keep_alive)
    }

    /// The stack size, in bytes, of the runtime's worker and blocking-pool
    /// threads (default: std's, 2 MiB unless `RUST_MIN_STACK` says otherwise).
    ///
    /// # Examples
    /// ```
    /// let rt = runtime::Builder::new_multi_thread().thread_stack_size(8 << 20).build()?;
    /// assert_eq!(rt.block_on(rt.spawn(async { 7 })).unwrap(), 7);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn thread_stack_size(&mut self, bytes: usize) -> &mut Self {
        self.threads.stack_size = Some(bytes);
        self
    }

    /// Names each new worker and blocking thread with what `name` returns
    /// (instead of [`thread_name`](Builder::thread_name)'s fixed name).
    ///
    /// # Examples
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    ///
    /// static NEXT: AtomicUsize = AtomicUsize::new(0);
    /// let rt = runtime::Builder::new_multi_thread()
    ///     .worker_threads(1)
    ///     .thread_name_fn(|| format!("app-{}", NEXT.fetch_add(1, Ordering::Relaxed)))
    ///     .build()?;
    /// let name = rt.block_on(rt.spawn(async { std::thread::current().name().unwrap().to_string() })).unwrap();
    /// assert!(name.starts_with("app-"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn thread_name_fn(&mut self, name: impl Fn() -> String + Send + Sync + 'static) -> &mut Self {
        self.threads.name_fn = Some(Arc::new(name));
        self
    }

    /// Runs `hook` on every worker and blocking thread as it starts, before
    /// it runs anything else.
    ///
    /// # Examples
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let started = Arc::new(AtomicUsize::new(0));
    /// let count = started.clone();
    /// let rt = runtime::Builder::new_multi_thread()
    ///     .worker_threads(2)
    ///     .on_thread_start(move || {
    ///         count.fetch_add(1, Ordering::SeqCst);
    ///     })
    ///     .build()?;
    /// rt.block_on(rt.spawn_blocking(|| ())).unwrap();
    /// // The blocking thread ran its hook before the job (the workers may still be starting).
    /// assert!(started.load(Ordering::SeqCst) >= 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn on_thread_start(&mut self, hook: impl Fn() + Send + Sync + 'static) -> &mut Self {
        self.threads.on_start = Some(Arc::new(hook));
        self
    }

    /// Runs `hook` on every worker and blocking thread as it stops (after
    /// its last task or job, also when the runtime shuts down).
    pub fn on_thread_stop(&mut self, hook: impl Fn() + Send + Sync + 'static) -> &mut Self {
        self.threads.on_stop = Some(Arc::new(hook));
        self
    }

    /// Runs `hook` on a worker thread (the thread in `block_on`, for the
    /// current-thread flavor) each time it goes to sleep for want of tasks,
    /// inside the runtime's context. Blocking-pool threads do not run it.
    ///
    /// # Examples
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let parks = Arc::new(AtomicUsize::new(0));
    /// let count = parks.clone();
    /// let rt = runtime::Builder::new_current_thread()
    ///     .on_thread_park(move || {
    ///         count.fetch_add(1, Ordering::SeqCst);
    ///     })
    ///     .build()?;
    /// rt.block_on(runtime::time::sleep(std::time::Duration::from_millis(1)));
    /// assert!(parks.load(Ordering::SeqCst) >= 1, "it slept waiting for the timer");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn on_thread_park(&mut self, hook: impl Fn() + Send + Sync + 'static) -> &mut Self {
        self.scheduler.on_park = Some(Arc::new(hook));
        self
    }

    /// Runs `hook` on a worker thread each time it wakes from the sleep
    /// that [`on_thread_park`](Builder::on_thread_park)'s hook preceded.
    pub fn on_thread_unpark(&mut self, hook: impl Fn() + Send + Sync + 'static) -> &mut Self {
        self.scheduler.on_unpark = Some(Arc::new(hook));
        self
    }

    /// Ticks between a busy worker's looks at I/O and timer events
    /// (multi-thread flavor; default 61). Lower: events reach their tasks
    /// sooner while every worker is busy; higher: fewer system calls. An idle
    /// worker waits on events at once, and a task that spends its whole
    /// cooperative budget makes its worker look too, whatever the interval.
    /// The current-thread flavor receives events from the reactor thread
    /// between any two polls, so it has no interval to set.
    ///
    /// # Panics
    /// When `ticks` is zero.
    #[track_caller]
    pub fn event_interval(&mut self, ticks: u32) -> &mut Self {
        assert!(ticks > 0, "event_interval must be greater than 0");
        self.scheduler.event_interval = ticks;
        self
    }

    /// Polls between a worker's looks at the global queue, where tasks
    /// spawned or woken from outside the workers wait (multi-thread flavor;
    /// default 61). Counted in polls, so a task that keeps spawning cannot
    /// stretch it. The current-thread flavor has one queue, served in order,
    /// so it has no interval to set.
    ///
    /// # Panics
    /// When `polls` is zero.
    #[track_caller]
    pub fn global_queue_interval(&mut self, polls: u32) -> &mut Self {
        assert!(polls > 0, "global_queue_interval must be greater than 0");
        self.scheduler.global_queue_interval = polls;
        self
    }

    /// The configured thread name.
    #[doc(hidden)] // for assemblies (the facade's), not applications
    pub fn get_thread_name(&self) -> &str {
        &self.threads.name
    }

    /// The name of the runtime's threads (default `runtime-worker`; the
    /// reactor thread gets `-reactor` appended, blocking threads `-blocking`).
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.threads.name = name.into();
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
    pub fn slow_poll_threshold(&mut self, threshold: Duration) -> &mut Self {
        self.monitor.slow_poll_threshold = Some(threshold);
        self
    }

    /// Sends slow-poll reports to `hook` instead of stderr. It runs on the
    /// worker right after the slow poll: keep it short.
    pub fn on_slow_poll(&mut self, hook: impl Fn(&SlowPoll) + Send + Sync + 'static) -> &mut Self {
        self.monitor.on_slow_poll = Some(Arc::new(hook));
        self
    }

    /// Keeps a histogram of task poll times in the metrics
    /// ([`RuntimeMetrics::poll_time_histogram`](crate::RuntimeMetrics::poll_time_histogram)).
    /// Off by default: it costs two clock reads per poll.
    pub fn enable_poll_time_histogram(&mut self) -> &mut Self {
        self.monitor.histogram = true;
        self
    }

    /// Switches a fairness guard off. For tests only: a fairness test uses it
    /// to show that it fails without the guard it checks.
    ///
    /// # Panics
    /// Unless runtime-executor's `guard-switches` feature is on (without it
    /// the scheduler checks no switch).
    #[doc(hidden)]
    pub fn disable_fairness_guard(&mut self, guard: Guard) -> &mut Self {
        self.scheduler.guards.disable(guard);
        self
    }

    /// Starts the runtime: for `runtime::Builder`, the reactor thread with
    /// the runtime's timers, then the executor's threads.
    ///
    /// # Errors
    /// When the OS refuses a thread, the epoll instance or the eventfd.
    ///
    /// # Panics
    /// With [`start_paused`](Builder::start_paused) on a multi-thread runtime.
    pub fn build(&mut self) -> io::Result<A::Runtime> {
        A::assemble(self)
    }

    /// Whether the runtime starts with its clock paused (for the timers'
    /// service; see [`start_paused`](Builder::start_paused)).
    #[doc(hidden)] // for assemblies (the facade's), not applications
    pub fn is_start_paused(&self) -> bool {
        self.start_paused
    }

    /// These options for the executor alone, for an [`Assembly`] that adds
    /// its services and builds it with [`build_engine`](Builder::build_engine).
    #[doc(hidden)] // for assemblies (the facade's), not applications
    pub fn engine(&self) -> Builder<Engine> {
        Builder {
            services: self.services.clone(),
            flavor: self.flavor,
            worker_threads: self.worker_threads,
            max_blocking_threads: self.max_blocking_threads,
            blocking_keep_alive: self.blocking_keep_alive,
            threads: self.threads.clone(),
            monitor: self.monitor.clone(),
            scheduler: self.scheduler.clone(),
            start_paused: self.start_paused,
            #[cfg(feature = "console")]
            console: self.console.clone(),
            assembly: PhantomData,
        }
    }

    /// Serves the live console at `addr`: `HOST:PORT`, or a port alone for
    /// loopback (`"6669"` is `127.0.0.1:6669`). It answers `/metrics`
    /// (Prometheus text), `/dump` and `/tasks.json` from the runtime's own
    /// sockets; `RUNTIME_CONSOLE=ADDR` does the same for the first runtime a
    /// process builds. An address that does not parse, or cannot be bound,
    /// makes [`build`](Builder::build) fail.
    ///
    /// # Examples
    /// ```
    /// let rt = runtime::Builder::new_current_thread().console("127.0.0.1:0").build()?;
    /// let addr = rt.console_addr().expect("the console serves");
    /// assert!(addr.ip().is_loopback());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "console")]
    pub fn console(&mut self, addr: impl Into<String>) -> &mut Self {
        self.console = Some(addr.into());
        self
    }

    /// The address [`console`](Builder::console) set, for the assembly
    /// that serves it.
    #[cfg(feature = "console")]
    #[doc(hidden)] // for assemblies (the facade's), not applications
    pub fn console_address(&self) -> Option<&str> {
        self.console.as_deref()
    }

    /// Starts the executor alone with these options and services.
    ///
    /// # Errors
    /// When the OS refuses to start a worker thread.
    #[doc(hidden)] // for assemblies (the facade's), not applications
    pub fn build_engine(&self) -> io::Result<Runtime> {
        crate::diagnostics::panic_report::install();
        let workers = self.worker_count();
        let mut monitor = self.monitor.clone();
        if monitor.slow_poll_threshold.is_none() {
            monitor.slow_poll_threshold = monitor::threshold_from_env();
        }
        let config =
            Config { monitor: Arc::new(monitor), seed: seed::effective(self.scheduler.seed), ..self.scheduler.clone() };
        let seed = config.seed;
        let (scheduler, locals) = if workers == 0 {
            (Scheduler::CurrentThread(current_thread::Shared::new(config)), Vec::new())
        } else {
            let poller = self.services.iter().find_map(|service| service.poller());
            let (shared, locals) = multi_thread::new(workers, poller, config);
            (Scheduler::MultiThread(shared), locals)
        };
        let (max, keep_alive) = (self.max_blocking_threads, self.blocking_keep_alive);
        // A current-thread scheduler parked behind a blocking job looks again
        // at its end (see `Handle::on_idle`).
        let on_quiet = match &scheduler {
            Scheduler::CurrentThread(shared) => {
                let shared = shared.clone();
                Some(Arc::new(move || shared.unpark()) as Arc<dyn Fn() + Send + Sync>)
            }
            Scheduler::MultiThread(_) => None,
        };
        let worker_threads = self.threads.clone();
        let blocking_threads = ThreadSpec { name: format!("{}-blocking", self.threads.name), ..self.threads.clone() };
        let inner = Arc::new_cyclic(|weak: &Weak<HandleInner>| {
            let weak = weak.clone();
            // Blocking threads run inside the runtime's context (they may spawn).
            let enter_context = Arc::new(move || {
                if let Some(inner) = weak.upgrade() {
                    std::mem::forget(context::enter(Handle { inner }, false));
                }
            });
            HandleInner {
                scheduler,
                blocking: BlockingPool::new(max, keep_alive, blocking_threads, enter_context, on_quiet),
                services: self.services.clone(),
                seed,
            }
        });
        let handle = Handle { inner };
        let mut threads = Vec::with_capacity(workers);
        for (index, local) in locals.into_iter().enumerate() {
            let Scheduler::MultiThread(shared) = &handle.inner.scheduler else {
                unreachable!("locals exist only for multi-thread")
            };
            let (shared, worker_handle) = (shared.clone(), handle.clone());
            let spawned = worker_threads
                .spawn(move || context::enter(worker_handle, true), move || multi_thread::run(shared, index, local));
            match spawned {
                Ok(thread) => threads.push(thread),
                Err(error) => {
                    // Stop the workers already started before reporting.
                    drop(Runtime { handle, threads: Mutex::new(threads), blocking_timeout: None });
                    return Err(error);
                }
            }
        }
        Ok(Runtime { handle, threads: Mutex::new(threads), blocking_timeout: None })
    }
}

/// The engine's runtime: scheduler, worker threads and blocking pool
/// (applications use `runtime::Runtime`, which adds the reactor and timers).
///
/// Dropping it stops the workers, cancels every task it still holds (their
/// destructors run) and waits for running blocking jobs; see
/// [`Runtime::shutdown_timeout`] to bound that wait.
///
/// # Examples
/// ```
/// let rt = runtime_executor::Runtime::new()?;
/// let handle = rt.spawn(async { "hello" });
/// assert_eq!(rt.block_on(handle).unwrap(), "hello");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Runtime {
    handle: Handle,
    threads: Mutex<Vec<ThreadHandle<()>>>,
    blocking_timeout: Option<Duration>,
}

impl AsRef<Handle> for Runtime {
    fn as_ref(&self) -> &Handle {
        &self.handle
    }
}

impl Runtime {
    /// A multi-thread runtime with one worker per CPU.
    ///
    /// # Errors
    /// When the OS refuses to start a worker thread.
    pub fn new() -> io::Result<Runtime> {
        Builder::<Engine>::new_multi_thread().build()
    }

    /// Runs `future` to completion on this thread, inside the runtime's context.
    ///
    /// # Panics
    /// When called from a thread that runs asynchronous tasks (a worker, or
    /// inside another `block_on`).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    /// Spawns a task; see [`Handle::spawn`].
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs `f` on the blocking pool; see [`Handle::spawn_blocking`].
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// The runtime's handle.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Shuts the runtime down, waiting at most `timeout` for running blocking
    /// jobs (those still running are left to finish on their own threads).
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.blocking_timeout = Some(timeout);
        drop(self);
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        let inner = &self.handle.inner;
        match &inner.scheduler {
            Scheduler::MultiThread(shared) => {
                shared.signal_shutdown();
                let me = std::thread::current().id();
                for thread in std::mem::take(&mut *lock(&self.threads)) {
                    // A runtime dropped on one of its own workers cannot wait for itself.
                    if thread.thread().id() != me {
                        let _ = thread.join();
                    }
                }
                shared.shutdown_tasks();
            }
            Scheduler::CurrentThread(shared) => shared.shutdown_tasks(),
        }
        // Inside asynchronous code (another runtime's task, a `block_on`),
        // waiting for blocking jobs would stall every task of that thread:
        // the jobs are left to finish on their own threads, as
        // `shutdown_background` would. (tokio panics here instead.)
        let timeout = match crate::runtime::context::may_block() {
            true => self.blocking_timeout.unwrap_or(Duration::MAX),
            false => Duration::ZERO,
        };
        inner.blocking.shutdown(timeout);
    }
}
