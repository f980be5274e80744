//! Starting the live console (`runtime-console`) for a runtime the
//! facade's assembly builds: from `Builder::console`, or `RUNTIME_CONSOLE`
//! for the first runtime of the process.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};

use runtime_executor as executor;

/// The environment variable that turns the console on: `HOST:PORT`, or a
/// port for loopback.
pub const CONSOLE_ENV: &str = "RUNTIME_CONSOLE";

/// Set once a runtime took `RUNTIME_CONSOLE`: the variable is read once,
/// for one runtime (a second would only find the port taken).
static ENV_TAKEN: AtomicBool = AtomicBool::new(false);

/// `HOST:PORT`, or a port alone for loopback.
fn parse(addr: &str) -> io::Result<SocketAddr> {
    let addr = addr.trim();
    if let Ok(port) = addr.parse::<u16>() {
        return Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    }
    addr.parse().map_err(|_| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("console address {addr:?}: expected HOST:PORT or a port"))
    })
}

/// Where the console of a runtime `builder` builds should serve: its
/// `console` address, or the environment's for the first runtime (which
/// takes it).
pub(crate) fn address(builder: &crate::Builder) -> Option<String> {
    match builder.console_address() {
        Some(addr) => Some(addr.to_string()),
        None => match std::env::var(CONSOLE_ENV) {
            Ok(addr) if !ENV_TAKEN.swap(true, Ordering::Relaxed) => Some(addr),
            _ => None,
        },
    }
}

/// Serves the console of `executor` at `addr`; returns where it listens.
///
/// # Errors
/// An address that does not parse, or that cannot be bound (EADDRINUSE …).
pub(crate) fn start(addr: &str, executor: &executor::Runtime) -> io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind(parse(addr)?)?;
    let bound = listener.local_addr()?;
    let _context = executor.handle().enter();
    let listener = runtime_io::net::TcpListener::from_std(listener)?;
    executor.spawn(runtime_console::serve(listener, executor.handle().clone()));
    Ok(bound)
}
