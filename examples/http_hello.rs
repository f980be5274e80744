//! A minimal HTTP/1.1 server that answers every request with "Hello, world!",
//! keeping connections alive (and answering pipelined requests in order).
//!
//! Run with `cargo run --release --example http_hello [ADDR]` (default
//! `127.0.0.1:8080`), then `wrk -t1 -c64 -d10s http://127.0.0.1:8080/`.

use futures_util::StreamExt;
use runtime::io::{AsyncReadExt, AsyncWriteExt};
use runtime::net::{TcpListener, TcpStream};

const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";
/// A request head longer than this is refused (the connection is closed).
const MAX_HEAD: usize = 16 * 1024;

#[runtime::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let listener = TcpListener::bind(addr).await?;
    println!("http_hello listening on http://{}/", listener.local_addr()?);
    let mut connections = listener.incoming();
    while let Some(connection) = connections.next().await {
        match connection {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                runtime::spawn(async move {
                    // A peer that resets or sends garbage only ends its own connection.
                    let _ = serve(stream).await;
                });
            }
            Err(error) => eprintln!("accept failed: {error}"),
        }
    }
    Ok(())
}

async fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    let mut buf = vec![0; 4096];
    let mut filled = 0;
    let mut out = Vec::with_capacity(RESPONSE.len() * 4);
    loop {
        let n = stream.read(&mut buf[filled..]).await?;
        if n == 0 {
            return Ok(());
        }
        filled += n;
        // Answer every complete request head in the buffer.
        let mut start = 0;
        let mut close = false;
        while let Some(end) = find_head_end(&buf[start..filled]) {
            let head = &buf[start..start + end];
            close |= wants_close(head);
            out.extend_from_slice(RESPONSE);
            start += end;
        }
        if !out.is_empty() {
            stream.write_all(&out).await?;
            out.clear();
        }
        if close {
            return Ok(());
        }
        buf.copy_within(start..filled, 0);
        filled -= start;
        if filled == buf.len() {
            if buf.len() >= MAX_HEAD {
                return Ok(());
            }
            buf.resize(buf.len() * 2, 0);
        }
    }
}

/// The length of the first request head (through its blank line), if complete.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

fn wants_close(head: &[u8]) -> bool {
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    head.contains("\r\nconnection: close")
}
