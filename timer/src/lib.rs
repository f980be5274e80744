//! The timers of `runtime`: [`sleep`], [`timeout`] and [`interval`], kept in
//! hierarchical timing wheels (one per worker, so workers registering timers
//! at once share no lock) that the runtime's reactor drives.
//!
//! The wheel counts 4.096 µs ticks (deadlines round up, so nothing fires
//! early); whoever waits in epoll waits no longer than the next deadline,
//! with a nanosecond timeout (`epoll_pwait2`), and fires the due timers with
//! the I/O events of the same wait. Registering and cancelling a timer are
//! O(1), and a timer registers only when first polled: a timeout around a
//! future that is ready at once never touches the wheel.
//!
//! Outside any runtime, timers run on a process-wide timer thread.
//!
//! A current-thread runtime's clock can be paused ([`pause`]): time then
//! moves only by [`advance`], or by jumping to the next deadline once every
//! task waits, so tests of timeouts and intervals run in milliseconds.
//! [`Instant::now`] follows that clock; `std::time::Instant::now` does not.
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(loom, allow(dead_code, unused_imports))]

mod clock;
pub(crate) use runtime_shim as sync;
mod timers;
mod wheel;

#[cfg(not(loom))]
pub mod error;
#[cfg(not(loom))]
mod instant;
#[cfg(not(loom))]
mod interval;
#[cfg(not(loom))]
mod pause;
#[cfg(not(loom))]
mod service;
#[cfg(not(loom))]
mod sleep;
#[cfg(not(loom))]
mod timeout;

#[cfg(not(loom))]
pub use instant::Instant;
#[cfg(not(loom))]
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
#[cfg(not(loom))]
pub use pause::{advance, pause, pause_timers, resume};
#[cfg(not(loom))]
pub use service::TimerDriver;
#[cfg(not(loom))]
pub use sleep::{sleep, sleep_until, Sleep};
#[cfg(not(loom))]
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};
pub use timers::Timers;
