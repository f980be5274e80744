//! A runtime as its users hold it: the [`Builder`] that starts one, the
//! [`Runtime`] that owns it, the [`Handle`] that reaches it, the thread's
//! current runtime (`context`), the default runtime used outside any
//! (`default_runtime`), and the [`Service`]s (reactor, timers) attached to it.

mod builder;
pub(crate) mod context;
pub use context::TryCurrentError;
pub(crate) mod default_runtime;
mod handle;
mod service;

pub use builder::{Assembly, Builder, Engine, Runtime, RuntimeFlavor};
pub use handle::Handle;
pub use service::{Poller, Service, Wait};
