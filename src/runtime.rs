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
}

impl Builder {
    /// A runtime with a pool of worker threads (one per CPU unless
    /// [`worker_threads`](Builder::worker_threads) says otherwise).
    pub fn new_multi_thread() -> Builder {
        Builder { executor: executor::Builder::new_multi_thread() }
    }

    /// A runtime that runs every task on the thread that calls `block_on`.
    pub fn new_current_thread() -> Builder {
        Builder { executor: executor::Builder::new_current_thread() }
    }

    /// The number of worker threads (multi-thread flavor). Defaults to the
    /// number of CPUs.
    ///
    /// # Panics
    /// When `n` is zero.
    pub fn worker_threads(&mut self, n: usize) -> &mut Builder {
        self.executor.worker_threads(n);
        self
    }

    /// The most threads the blocking pool starts (default 512).
    ///
    /// # Panics
    /// When `n` is zero.
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

    /// Starts the reactor thread with the runtime's timers, then the
    /// executor's threads.
    ///
    /// # Errors
    /// When the OS refuses a thread, the epoll instance or the eventfd.
    pub fn build(&mut self) -> io::Result<Runtime> {
        let reactor = Reactor::start(format!("{}-reactor", self.executor.get_thread_name()), executor::wake_all)?;
        let interrupter = reactor.handle().interrupter();
        let timers = Arc::new(Timers::new(move || interrupter.interrupt()));
        reactor.handle().set_deadlines(timers.clone());
        let executor = self
            .executor
            .clone()
            .driver(Arc::new(IoDriver::new(reactor.handle().clone())))
            .driver(Arc::new(TimerDriver::new(timers.clone())))
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

    /// Shuts the runtime down, waiting at most `timeout` for running blocking
    /// jobs (those still running are left to finish on their own threads).
    pub fn shutdown_timeout(self, timeout: Duration) {
        let Runtime { executor, reactor, timers } = self;
        executor.shutdown_timeout(timeout);
        drop(reactor);
        drop(timers);
    }
}
