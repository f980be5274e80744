//! What the crates above the executor attach to a runtime: a [`Service`]
//! (the reactor's I/O driver, the timers), and the event wait ([`Poller`])
//! that an idle worker may block in.

use std::any::Any;
use std::sync::Arc;

use crate::ServiceMetrics;

/// A service that the crates above the executor (the reactor's I/O types, the
/// timers) attach to a runtime with [`Builder::service`](crate::Builder::service), and find again from
/// any thread in its context with [`Handle::service`](crate::Handle::service). (Named so as not to be
/// confused with the reactor's `Driver`, the epoll thread.)
///
/// The executor never looks inside a service; it asks for its counters and
/// its event wait, and tells it when a current-thread runtime runs dry.
pub trait Service: Any + Send + Sync + std::fmt::Debug {
    /// Sets this service's counters in `metrics`.
    fn fill_metrics(&self, metrics: &mut ServiceMetrics);

    /// A current-thread runtime has nothing to run and no blocking job in
    /// flight, and is about to park: the service may make tasks runnable
    /// (paused timers jump to their next deadline). `has_work` says whether
    /// some task became runnable meanwhile. Returns true when it woke tasks:
    /// the scheduler then looks at its queue again instead of parking.
    fn on_idle(&self, has_work: &dyn Fn() -> bool) -> bool {
        let _ = has_work;
        false
    }

    /// The service's event wait, for idle workers to block in (see [`Poller`]).
    fn poller(&self) -> Option<Arc<dyn Poller>> {
        None
    }
}

/// One wait in a [`Poller`]'s event wait: `true` blocks until events arrive.
pub type Wait<'a> = &'a dyn Fn(bool);

/// An event wait (epoll) that an idle worker may block in instead of its
/// condition variable: the events it collects wake their tasks on that
/// worker's own queues, saving a thread hop per event batch.
///
/// One thread at a time waits. The implementation owns the claim: it holds
/// it for exactly the length of [`Poller::with_wait`], and gives it back when
/// that returns or unwinds, so no caller can leave it held.
pub trait Poller: Send + Sync + std::fmt::Debug {
    /// Claims the wait for the calling worker and runs `f` with it: each call
    /// of the `wait` it is given collects the events that are ready and wakes
    /// their tasks on this thread (with `true`, first waiting until some
    /// arrive or [`Poller::interrupt`] is called). Returns false, without
    /// running `f`, when another thread has the wait.
    fn with_wait(&self, f: &mut dyn FnMut(Wait<'_>)) -> bool;
    /// Makes a `wait` in progress, or the next one, return.
    fn interrupt(&self);
}
