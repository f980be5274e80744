//! How a runtime starts its threads (workers and blocking-pool threads):
//! their names, stack size, and the hooks run as each starts and stops, as
//! the `Builder` set them.

use std::fmt;
use std::sync::Arc;

pub(crate) use crate::scheduler::config::Hook;

/// A runtime's thread settings.
#[derive(Clone)]
pub(crate) struct ThreadSpec {
    pub(crate) name: String,
    /// Names each new thread instead of `name` (`Builder::thread_name_fn`).
    pub(crate) name_fn: Option<Arc<dyn Fn() -> String + Send + Sync>>,
    /// `None`: std's default (2 MiB, or `RUST_MIN_STACK`).
    pub(crate) stack_size: Option<usize>,
    pub(crate) on_start: Option<Hook>,
    pub(crate) on_stop: Option<Hook>,
}

impl ThreadSpec {
    /// Starts a thread with these settings: it enters the runtime's context
    /// (`enter`, whose guard lives as long as the thread), runs the start
    /// hook, `body`, and the stop hook (on unwinding too), so that the hooks
    /// can reach the runtime.
    pub(crate) fn spawn<G, T: Send + 'static>(
        &self,
        enter: impl FnOnce() -> G + Send + 'static,
        body: impl FnOnce() -> T + Send + 'static,
    ) -> std::io::Result<std::thread::JoinHandle<T>> {
        let name = self.name_fn.as_ref().map_or_else(|| self.name.clone(), |name| name());
        let mut builder = std::thread::Builder::new().name(name);
        if let Some(bytes) = self.stack_size {
            builder = builder.stack_size(bytes);
        }
        let (on_start, on_stop) = (self.on_start.clone(), self.on_stop.clone());
        builder.spawn(move || {
            /// Runs the stop hook as the thread's body ends, unwinding included.
            struct Stop(Option<Hook>);
            impl Drop for Stop {
                fn drop(&mut self) {
                    if let Some(hook) = &self.0 {
                        hook();
                    }
                }
            }
            let _context = enter();
            if let Some(hook) = &on_start {
                hook();
            }
            let _stop = Stop(on_stop);
            body()
        })
    }
}

impl fmt::Debug for ThreadSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadSpec")
            .field("name", &self.name)
            .field("name_fn", &self.name_fn.is_some())
            .field("stack_size", &self.stack_size)
            .field("on_start", &self.on_start.is_some())
            .field("on_stop", &self.on_stop.is_some())
            .finish()
    }
}
