//! How an I/O type finds its reactor.

use runtime_executor::{Driver, Handle, RuntimeMetrics};
use runtime_reactor::Handle as ReactorHandle;

/// The reactor a runtime carries, as an executor [`Driver`]: the facade's
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

impl Driver for IoDriver {
    fn fill_metrics(&self, metrics: &mut RuntimeMetrics) {
        metrics.reactor_events = self.reactor.events();
        metrics.io_registrations = self.reactor.registrations();
    }
}

/// The current runtime's reactor, or the process-wide one outside any runtime.
pub(crate) fn current_reactor() -> ReactorHandle {
    Handle::try_current()
        .and_then(|handle| handle.driver::<IoDriver>().map(|driver| driver.reactor.clone()))
        .unwrap_or_else(|| ReactorHandle::global().clone())
}
