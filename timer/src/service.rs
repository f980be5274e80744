//! Where a timer registers: its runtime's timers, driven by whichever thread
//! waits in epoll, or, outside any runtime, a process-wide timer thread.

use std::sync::OnceLock;
use std::task::Waker;
use std::thread::Thread;
use std::time::Instant;

use runtime_executor::{Handle, RuntimeFlavor, Service, ServiceMetrics};
use runtime_reactor::Deadlines;

use crate::sync::Arc;
use crate::timers::{Shard, Timers};

/// A runtime's timers as an executor [`Service`]: the facade's `Builder`
/// attaches it, and every timer first polled in the runtime's context
/// registers with it.
#[derive(Debug)]
pub struct TimerDriver {
    timers: Arc<Timers>,
    reactor: runtime_reactor::Handle,
}

impl TimerDriver {
    /// Wraps timers that `reactor` drives (see `runtime_reactor::Handle::set_deadlines`).
    pub fn new(timers: Arc<Timers>, reactor: runtime_reactor::Handle) -> TimerDriver {
        TimerDriver { timers, reactor }
    }
}

impl Service for TimerDriver {
    fn fill_metrics(&self, metrics: &mut ServiceMetrics) {
        metrics.timers_pending = self.timers.pending();
    }

    /// Auto-advance: a paused clock jumps to the next deadline once every
    /// task waits, after the reactor has woken the tasks of sockets ready
    /// now (time never jumps past an event that already arrived).
    fn on_idle(&self, has_work: &dyn Fn() -> bool) -> bool {
        if !self.timers.clock().is_paused() {
            return false;
        }
        self.reactor.flush_events();
        has_work() || self.timers.advance_to_next()
    }
}

impl Deadlines for Timers {
    fn arm(&self) -> Option<Instant> {
        Timers::arm(self)
    }

    fn next(&self) -> Option<Instant> {
        Timers::next(self)
    }

    fn fire(&self, wakers: &mut Vec<Waker>, wake: &mut dyn FnMut(&mut Vec<Waker>)) {
        Timers::fire(self, wakers, wake);
    }
}

/// Now, by the current runtime's clock (real time outside a runtime): one
/// relaxed load more than `std::time::Instant::now()` while no runtime in
/// the process was ever paused.
pub(crate) fn now() -> Instant {
    if !crate::clock::any_skewed() {
        return Instant::now();
    }
    Handle::with_current(|handle| Some(handle?.service::<TimerDriver>()?.timers.clock().now()))
        .unwrap_or_else(Instant::now)
}

/// The current runtime's timers, for `time::{pause, resume, advance}`.
///
/// # Panics
/// Outside a runtime, on a multi-thread runtime, or on one without timers.
#[track_caller]
pub(crate) fn paused_time_timers(operation: &str) -> Arc<Timers> {
    // The misuse is found inside the closure, the panic raised out here, so
    // that it names the caller's line (a closure cannot `#[track_caller]`).
    let timers = Handle::with_current(|handle| {
        let Some(handle) = handle else { return Err(PausedTimeMisuse::OutsideRuntime) };
        if handle.runtime_flavor() != RuntimeFlavor::CurrentThread {
            return Err(PausedTimeMisuse::MultiThread);
        }
        handle.service::<TimerDriver>().map(|driver| driver.timers.clone()).ok_or(PausedTimeMisuse::NoTimers)
    });
    match timers {
        Ok(timers) => timers,
        Err(PausedTimeMisuse::OutsideRuntime) => {
            panic!("`time::{operation}` was called outside a runtime: call it from a current_thread runtime's task")
        }
        Err(PausedTimeMisuse::MultiThread) => panic!(
            "`time::{operation}` needs a current_thread runtime: virtual time cannot hold \
             worker threads to one clock (build with `Builder::new_current_thread`, \
             or `flavor = \"current_thread\"`)"
        ),
        Err(PausedTimeMisuse::NoTimers) => panic!("`time::{operation}`: this runtime has no timers"),
    }
}

/// Why [`paused_time_timers`] found no clock to pause.
enum PausedTimeMisuse {
    OutsideRuntime,
    MultiThread,
    NoTimers,
}

/// The shard of the current runtime's timers for this thread, or the
/// process-wide timers' outside any runtime.
pub(crate) fn current() -> Arc<Shard> {
    Handle::with_current(|handle| {
        let timers = &handle?.service::<TimerDriver>()?.timers;
        Some(timers.shard(runtime_executor::current_worker_index()).clone())
    })
    .unwrap_or_else(global_shard)
}

/// The process-wide timers' only shard.
pub(crate) fn global_shard() -> Arc<Shard> {
    global().shard(None).clone()
}

/// Timers for sleeps polled outside any runtime, or that outlived theirs,
/// driven by a thread of their own that parks until the next deadline.
fn global() -> &'static Arc<Timers> {
    static TIMERS: OnceLock<Arc<Timers>> = OnceLock::new();
    static THREAD: OnceLock<Thread> = OnceLock::new();
    TIMERS.get_or_init(|| {
        // Before the thread records itself it has not armed yet, so it sees
        // any registration that finds no thread to unpark.
        let timers = Arc::new(Timers::new(1, || THREAD.get().map_or((), Thread::unpark)));
        let driven = timers.clone();
        std::thread::Builder::new()
            .name("runtime-timer".into())
            .spawn(move || {
                THREAD.get_or_init(std::thread::current);
                let mut wakers = Vec::new();
                loop {
                    match driven.arm() {
                        Some(deadline) => std::thread::park_timeout(deadline.saturating_duration_since(Instant::now())),
                        None => std::thread::park(),
                    }
                    driven.fire(&mut wakers, &mut runtime_reactor::wake_all_caught);
                }
            })
            .expect("the OS refused to start the timer thread");
        timers
    })
}
