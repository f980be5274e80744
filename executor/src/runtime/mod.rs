//! A runtime as its users hold it: the [`Builder`] that starts one, the
//! [`Runtime`] that owns it, the [`Handle`] that reaches it, the thread's
//! current runtime (`context`), the default runtime used outside any
//! (`default_runtime`), and the [`Service`]s (reactor, timers) attached to it.
//!
//! Under loom only `service` is built: the scheduler's models drive a
//! [`Poller`].

#[cfg(not(loom))]
mod builder;
#[cfg(not(loom))]
pub(crate) mod context;
#[cfg(not(loom))]
pub(crate) mod default_runtime;
#[cfg(not(loom))]
mod handle;
mod service;

#[cfg(not(loom))]
pub use builder::{Assembly, Builder, Engine, Runtime, RuntimeFlavor};
#[cfg(not(loom))]
pub use context::TryCurrentError;
#[cfg(not(loom))]
pub use handle::Handle;
pub use service::{Poller, Service, Wait};
