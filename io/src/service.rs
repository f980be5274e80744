//! How an I/O type finds its reactor.

use std::sync::Arc;

use runtime_executor::{Handle, Poller, Service, ServiceMetrics, Wait};
use runtime_reactor::Handle as ReactorHandle;

/// The reactor a runtime carries, as an executor [`Service`]: the facade's
/// `Builder` attaches it, and every socket created in the runtime's context
/// registers with it.
#[derive(Debug)]
pub struct IoDriver {
    reactor: ReactorHandle,
}

impl IoDriver {
    /// Wraps the handle of a running reactor.
    pub fn new(reactor: ReactorHandle) -> IoDriver {
        IoDriver { reactor }
    }
}

impl Service for IoDriver {
    fn fill_metrics(&self, metrics: &mut ServiceMetrics) {
        metrics.reactor_events = self.reactor.events();
        metrics.io_registrations = self.reactor.registrations();
    }

    /// Idle workers may wait in the reactor's epoll (the executor asks only
    /// for multi-thread runtimes).
    fn poller(&self) -> Option<Arc<dyn Poller>> {
        self.reactor.enable_worker_waiting();
        Some(Arc::new(EpollWait(self.reactor.clone())))
    }
}

/// The reactor's epoll wait, offered to the executor's idle workers.
#[derive(Debug)]
struct EpollWait(ReactorHandle);

impl Poller for EpollWait {
    fn with_wait(&self, f: &mut dyn FnMut(Wait<'_>)) -> bool {
        // The turn ends when it drops, after `f` returns or while it unwinds.
        let Some(turn) = self.0.try_acquire_wait() else { return false };
        f(&|block| turn.wait(block));
        true
    }

    fn interrupt(&self) {
        self.0.interrupt_wait();
    }
}

/// The current runtime's reactor, or the process-wide one outside any
/// runtime (an error when the OS refuses to start that one).
pub(crate) fn current_reactor() -> std::io::Result<ReactorHandle> {
    let current = Handle::with_current(|handle| handle?.service::<IoDriver>().map(|driver| driver.reactor.clone()));
    current.map_or_else(|| ReactorHandle::global().cloned(), Ok)
}
