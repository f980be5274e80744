//! The live console of `runtime` (issue 32, being built): an HTTP/1.1
//! endpoint, served from the runtime's own sockets, that shows what every
//! task is doing.
//!
//! What is here so far: [`http`], a small HTTP/1.1 request reader that
//! never panics on what a client sends, bounded in size and in time; and
//! [`render`], the `/metrics` (Prometheus) and `/tasks.json` answers; and
//! [`serve`], the server that answers them (with `/dump`, `/stats.json` and
//! the page at `/`, which polls the JSON) on a listener the facade binds
//! (`Builder::console`, `RUNTIME_CONSOLE`). Still to come: per-task busy
//! time, and the page's panels that need it.
#![deny(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

pub mod http;
pub mod render;
mod server;

pub use server::serve;
