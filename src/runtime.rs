//! The runtime itself, at tokio's path (`runtime::runtime::Builder`, as
//! `tokio::runtime::Builder`); the crate root has the same names.
//! [`Builder`] and [`Runtime`] are the executor with its reactor thread and
//! timers attached; the rest is the executor's.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use runtime_executor as executor;
use runtime_io::IoDriver;
use runtime_reactor::Driver as Reactor;
use runtime_timer::{TimerDriver, Timers};

use crate::JoinHandle;
pub use runtime_executor::{EnterGuard, Handle, RuntimeFlavor, RuntimeMetrics, TryCurrentError};

/// The facade's [`Assembly`](executor::Assembly): the executor with its
/// reactor thread and the runtime's timers attached. `Builder` builds it.
#[derive(Debug, Clone, Copy, Default)]
pub struct WithReactor;

/// Configures and starts a [`Runtime`]: the executor's builder with the
/// reactor and timers attached ([`WithReactor`]). Every option is documented
/// on this type.
///
/// # Examples
/// ```
/// let rt = runtime::Builder::new_multi_thread().worker_threads(2).thread_name("app").build()?;
/// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
/// # Ok::<(), std::io::Error>(())
/// ```
pub type Builder = executor::Builder<WithReactor>;

impl executor::Assembly for WithReactor {
    type Runtime = Runtime;

    /// Starts the reactor thread with the runtime's timers, then the
    /// executor's threads.
    fn assemble(builder: &Builder) -> io::Result<Runtime> {
        let current_thread = builder.worker_count() == 0;
        assert!(
            current_thread || !builder.is_start_paused(),
            "`start_paused` needs a current_thread runtime (`Builder::new_current_thread`)"
        );
        let reactor = Reactor::start(format!("{}-reactor", builder.get_thread_name()), executor::wake_all)?;
        let interrupter = reactor.handle().interrupter();
        // A wheel per worker, and one for the other threads (block_on's).
        let shards = builder.worker_count() + 1;
        let timers = Arc::new(Timers::new(shards, move || interrupter.interrupt()));
        reactor.handle().set_deadlines(timers.clone());
        if builder.is_start_paused() {
            runtime_timer::pause_timers(&timers);
        }
        let mut engine = builder.engine();
        #[cfg(feature = "console")]
        let console = crate::console::address(builder);
        #[cfg(feature = "console")]
        if console.is_some() {
            // The console's page shows poll times.
            engine.enable_poll_time_histogram();
        }
        let executor = engine
            .service(Arc::new(IoDriver::new(reactor.handle().clone())))
            .service(Arc::new(TimerDriver::new(timers.clone(), reactor.handle().clone())))
            .build_engine()?;
        #[cfg(feature = "console")]
        let console = console.map(|addr| crate::console::start(&addr, &executor)).transpose()?;
        Ok(Runtime {
            executor,
            reactor,
            timers: TimersShutdown(timers),
            #[cfg(feature = "console")]
            console,
        })
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
    /// Where the console listens, if it serves.
    #[cfg(feature = "console")]
    console: Option<std::net::SocketAddr>,
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

impl AsRef<Handle> for Runtime {
    fn as_ref(&self) -> &Handle {
        self.executor.handle()
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

    /// Where the live console serves ([`Builder::console`]), if it does.
    #[cfg(feature = "console")]
    pub fn console_addr(&self) -> Option<std::net::SocketAddr> {
        self.console
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

    /// Makes this runtime the current one on this thread until the guard
    /// drops, so that `spawn`, `Handle::current` and new sockets reach it
    /// from plain code.
    ///
    /// # Examples
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let _guard = rt.enter();
    /// let task = runtime::spawn(async { 5 }); // on `rt`, not the default runtime
    /// assert_eq!(rt.block_on(task).unwrap(), 5);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn enter(&self) -> crate::EnterGuard<'_> {
        self.handle().enter()
    }

    /// The runtime's metrics now; see [`Handle::metrics`].
    pub fn metrics(&self) -> crate::RuntimeMetrics {
        self.handle().metrics()
    }

    /// Shuts the runtime down without waiting for its blocking jobs, which
    /// finish on their own threads (`shutdown_timeout` with no time at all).
    pub fn shutdown_background(self) {
        self.shutdown_timeout(Duration::ZERO);
    }

    /// The executor of a runtime that runs until the process exits (the
    /// default one, held by a static that is never dropped): its reactor and
    /// timers are never stopped either, so they are let go of here.
    pub(crate) fn into_process_lifetime(self) -> executor::Runtime {
        let Runtime { executor, reactor, timers, .. } = self;
        std::mem::forget((reactor, timers));
        executor
    }

    /// Shuts the runtime down, waiting at most `timeout` for running blocking
    /// jobs (those still running are left to finish on their own threads).
    pub fn shutdown_timeout(self, timeout: Duration) {
        let Runtime { executor, reactor, timers, .. } = self;
        executor.shutdown_timeout(timeout);
        drop(reactor);
        drop(timers);
    }
}
