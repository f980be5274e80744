//! `Builder` and `Runtime`: starting and stopping a runtime.

use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle as ThreadHandle;
use std::time::Duration;

use crate::blocking::BlockingPool;
use crate::diagnostics::monitor::{self, SlowPoll};
use crate::runtime::context;
use crate::scheduler::guards::{Guard, Guards};
use crate::scheduler::seed;
use crate::scheduler::{current_thread, multi_thread};
use crate::sync::lock;
use crate::task::JoinHandle;

use super::handle::{HandleInner, Scheduler};
use super::{Handle, Service};

/// The engine's builder: a scheduler, its threads, the blocking pool and the
/// [`Service`]s attached to it.
///
/// Applications use `runtime::Builder`, which wraps this one, attaches the
/// reactor and the timers, and is where each option is documented; an
/// option here means the same and is described only in a line.
///
/// # Examples
/// ```
/// let rt = runtime_executor::Builder::new_multi_thread()
///     .worker_threads(2)
///     .thread_name("my-worker")
///     .build()?;
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    services: Vec<Arc<dyn Service>>,
    flavor: Flavor,
    worker_threads: Option<usize>,
    max_blocking_threads: usize,
    blocking_keep_alive: Duration,
    thread_name: String,
    monitor: monitor::Config,
    guards: Guards,
    seed: Option<u64>,
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

impl Builder {
    /// A runtime with a pool of worker threads (one per CPU unless
    /// [`worker_threads`](Builder::worker_threads) says otherwise).
    pub fn new_multi_thread() -> Builder {
        Builder::new(Flavor::MultiThread)
    }

    /// A runtime that runs every task on the thread that calls `block_on`.
    pub fn new_current_thread() -> Builder {
        Builder::new(Flavor::CurrentThread)
    }

    fn new(flavor: Flavor) -> Builder {
        Builder {
            services: Vec::new(),
            flavor,
            worker_threads: None,
            max_blocking_threads: 512,
            blocking_keep_alive: Duration::from_secs(10),
            thread_name: "runtime-worker".to_string(),
            monitor: monitor::Config::default(),
            guards: Guards::ALL,
            seed: None,
        }
    }

    /// Schedules with a seed (seed.rs; `RUNTIME_SEED` overrides it).
    pub fn schedule_seed(&mut self, seed: u64) -> &mut Builder {
        self.seed = Some(seed);
        self
    }

    /// The number of worker threads (multi-thread flavor; default one per CPU).
    ///
    /// # Panics
    /// When `n` is zero.
    #[track_caller]
    pub fn worker_threads(&mut self, n: usize) -> &mut Builder {
        assert!(n > 0, "a runtime needs at least one worker thread");
        self.worker_threads = Some(n);
        self
    }

    /// The most threads the blocking pool grows to (default 512).
    ///
    /// # Panics
    /// When `n` is zero.
    #[track_caller]
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Builder {
        assert!(n > 0, "the blocking pool needs at least one thread");
        self.max_blocking_threads = n;
        self
    }

    /// How long an idle blocking-pool thread lives (default 10 s).
    pub fn blocking_keep_alive(&mut self, keep_alive: Duration) -> &mut Builder {
        self.blocking_keep_alive = keep_alive;
        self
    }

    /// Attaches `service` to the runtime: it lives as long as the runtime's
    /// handles and is found again with [`Handle::service`].
    pub fn service(&mut self, service: Arc<dyn Service>) -> &mut Builder {
        self.services.push(service);
        self
    }

    /// The number of worker threads `build` starts: 0 for the current-thread
    /// flavor, else the configured number or one per CPU.
    pub fn worker_count(&self) -> usize {
        match self.flavor {
            Flavor::CurrentThread => 0,
            Flavor::MultiThread => {
                self.worker_threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            }
        }
    }

    /// The configured thread name.
    pub fn get_thread_name(&self) -> &str {
        &self.thread_name
    }

    /// The name of the runtime's threads (default `runtime-worker`).
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Builder {
        self.thread_name = name.into();
        self
    }

    /// Reports every task whose poll takes `threshold` or longer (monitor.rs;
    /// `RUNTIME_SLOW_POLL_MS` sets it when this is not called).
    pub fn slow_poll_threshold(&mut self, threshold: Duration) -> &mut Builder {
        self.monitor.slow_poll_threshold = Some(threshold);
        self
    }

    /// Sends slow-poll reports to `hook` instead of stderr.
    pub fn on_slow_poll(&mut self, hook: impl Fn(&SlowPoll) + Send + Sync + 'static) -> &mut Builder {
        self.monitor.on_slow_poll = Some(Arc::new(hook));
        self
    }

    /// Keeps a histogram of task poll times in the metrics
    /// ([`RuntimeMetrics::poll_time_histogram`](crate::RuntimeMetrics::poll_time_histogram)). Off by default: it costs two
    /// clock reads per poll.
    pub fn enable_poll_time_histogram(&mut self) -> &mut Builder {
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
    pub fn disable_fairness_guard(&mut self, guard: Guard) -> &mut Builder {
        self.guards.disable(guard);
        self
    }

    /// Starts the runtime.
    ///
    /// # Errors
    /// When the OS refuses to start a worker thread.
    pub fn build(&mut self) -> io::Result<Runtime> {
        let workers = self.worker_count();
        let mut monitor = self.monitor.clone();
        if monitor.slow_poll_threshold.is_none() {
            monitor.slow_poll_threshold = monitor::threshold_from_env();
        }
        let monitor = Arc::new(monitor);
        let seed = seed::effective(self.seed);
        let (scheduler, locals) = if workers == 0 {
            (Scheduler::CurrentThread(current_thread::Shared::new(self.guards, monitor, seed)), Vec::new())
        } else {
            let poller = self.services.iter().find_map(|service| service.poller());
            let (shared, locals) = multi_thread::new(workers, poller, self.guards, monitor, seed);
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
        let blocking_name = format!("{}-blocking", self.thread_name);
        let inner = Arc::new_cyclic(|weak: &Weak<HandleInner>| {
            let weak = weak.clone();
            // Blocking threads run inside the runtime's context (they may spawn).
            let on_start = Arc::new(move || {
                if let Some(inner) = weak.upgrade() {
                    std::mem::forget(context::enter(Handle { inner }, false));
                }
            });
            HandleInner {
                scheduler,
                blocking: BlockingPool::new(max, keep_alive, blocking_name, on_start, on_quiet),
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
            let spawned = std::thread::Builder::new().name(self.thread_name.clone()).spawn(move || {
                let _context = context::enter(worker_handle, true);
                multi_thread::run(shared, index, local);
            });
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

impl Runtime {
    /// A multi-thread runtime with one worker per CPU.
    ///
    /// # Errors
    /// When the OS refuses to start a worker thread.
    pub fn new() -> io::Result<Runtime> {
        Builder::new_multi_thread().build()
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
