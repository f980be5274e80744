//! The console's HTTP server: an accept loop on the runtime's own listener,
//! one short-lived task per connection, one request per connection.

use std::time::Duration;

use futures_util::StreamExt;
use runtime_executor::Handle;
use runtime_io::net::{TcpListener, TcpStream};

use crate::{http, render};

/// The page at `/`: no external script, style or font.
const PAGE: &str = include_str!("page.html");

/// How long a client has to send its request head.
const REQUEST_DEADLINE: Duration = Duration::from_secs(5);
/// How long, and how much, a closing connection still reads (see `linger`).
const LINGER: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 256 << 10;

/// Serves the console on `listener` until the runtime shuts down, reading
/// the runtime behind `handle`:
///
/// | path | answer |
/// |---|---|
/// | `/` | the page: one self-contained HTML file that polls the JSON below |
/// | `/metrics` | the runtime's metrics, Prometheus text |
/// | `/dump` | the task dump, plain text |
/// | `/tasks.json` | the live tasks, JSON |
/// | `/stats.json` | the metrics, JSON (for the page) |
///
/// Anything else is 404; a method other than GET or HEAD, 405; a malformed
/// request, 400 (431 when too large, 408 when too slow), and the
/// connection closes. Running out of descriptors pauses the accept loop
/// (it retries), it does not end it.
pub async fn serve(listener: TcpListener, handle: Handle) {
    let mut incoming = listener.incoming();
    while let Some(connection) = incoming.next().await {
        let Ok(stream) = connection else { continue };
        let handle = handle.clone();
        runtime_executor::spawn(async move { answer(stream, &handle).await });
    }
}

/// Reads one request from `stream` and answers it.
async fn answer(mut stream: TcpStream, handle: &Handle) {
    let deadline = runtime_timer::Instant::now() + REQUEST_DEADLINE;
    let (status, content_type, body, head_only) = match http::read_request(&mut stream, deadline).await {
        Ok(request) => {
            let (status, content_type, body) = respond(&request, handle);
            (status, content_type, body, request.method == "HEAD")
        }
        Err(error) => match error.status() {
            Some(status) => (status, "text/plain; charset=utf-8", format!("{error}\n"), false),
            None => return, // nobody left to answer
        },
    };
    // A client gone by now is not an error worth reporting.
    let _ = http::write_response(&mut stream, status, content_type, body.as_bytes(), head_only).await;
    linger(&mut stream).await;
}

/// Reads what the client still sends (a rejected request's rest) for a
/// moment before closing: closing with unread input resets the connection,
/// and a reset can destroy the response before the client reads it.
async fn linger(stream: &mut TcpStream) {
    let drain = async {
        let mut sink = [0; 4096];
        let mut left = LINGER_BYTES;
        while left > 0 {
            match futures_util::AsyncReadExt::read(stream, &mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    };
    let _ = runtime_timer::timeout(LINGER, drain).await;
}

/// The answer to a well-formed request: status, content type, body.
fn respond(request: &http::Request, handle: &Handle) -> (u16, &'static str, String) {
    if request.method != "GET" && request.method != "HEAD" {
        return (405, "text/plain; charset=utf-8", "only GET and HEAD\n".to_string());
    }
    match request.path.as_str() {
        "/" => (200, "text/html; charset=utf-8", PAGE.to_string()),
        "/metrics" => (200, "text/plain; version=0.0.4; charset=utf-8", render::prometheus(&handle.metrics())),
        "/stats.json" => (200, "application/json", render::stats_json(&handle.metrics())),
        "/dump" => (200, "text/plain; charset=utf-8", handle.dump().to_string()),
        "/tasks.json" => (200, "application/json", render::tasks_json(&handle.dump())),
        _ => (404, "text/plain; charset=utf-8", "no such page\n".to_string()),
    }
}
