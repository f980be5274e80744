//! The live console of `runtime` (issue 32, being built): an HTTP/1.1
//! endpoint, served from the runtime's own sockets, that shows what every
//! task is doing.
//!
//! What is here so far: [`http`], a small HTTP/1.1 request reader that
//! never panics on what a client sends, bounded in size and in time; and
//! [`render`], the `/metrics` (Prometheus) and `/tasks.json` answers; and
//! [`serve`], the server that answers them (with `/dump`) on a listener the
//! caller binds. Still to come: the page at `/`, `Builder::console` and
//! `RUNTIME_CONSOLE`, and per-task busy time.
#![deny(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

pub mod http;
pub mod render;
mod server;

pub use server::serve;
