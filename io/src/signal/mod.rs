//! Signals through the reactor: [`ctrl_c`] and [`unix::signal`].
//!
//! One process-wide handler per signal number, installed with `sigaction`
//! the first time the signal is asked for (SA_RESTART, no chaining), writes
//! the number to a non-blocking self-pipe; the pipe's read end is registered
//! with the process-wide reactor, so no thread waits per signal and both
//! runtime flavors (and code outside any runtime) receive them alike.
//! signalfd is not used: it only sees signals blocked in every thread, and a
//! library cannot block them in threads it did not start.
//!
//! Once a handler is installed it stays for the life of the process (as in
//! tokio): the signal's default action (for SIGINT, terminating) no longer
//! happens. Every [`Signal`](unix::Signal) of a kind sees each delivery;
//! deliveries that come while nobody is waiting are coalesced into one.

mod registry;
pub mod unix;

use std::io;

/// Waits for the next Ctrl-C (SIGINT).
///
/// The first call installs the handler, so from then on Ctrl-C no longer
/// ends the process by itself: the program decides (see the echo server
/// example's graceful shutdown).
///
/// # Errors
/// When the signal pipe or handler cannot be set up (out of descriptors).
///
/// # Examples
/// ```no_run
/// # runtime::block_on(async {
/// runtime::signal::ctrl_c().await?;
/// println!("stopping");
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    let mut interrupts = unix::signal(unix::SignalKind::interrupt())?;
    interrupts.recv().await;
    Ok(())
}
