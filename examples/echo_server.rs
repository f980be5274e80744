//! An echo server: every connection gets back exactly the bytes it sends.
//!
//! Run with `cargo run --release --example echo_server [ADDR]` (default
//! `127.0.0.1:7000`, port 0 picks a free one); it prints the address it
//! listens on. Talk to it with `nc 127.0.0.1 7000`.

use futures_util::StreamExt;
use runtime::io::{AsyncReadExt, AsyncWriteExt};
use runtime::net::{TcpListener, TcpStream};

#[runtime::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7000".to_string());
    let listener = TcpListener::bind(addr).await?;
    println!("echo server listening on {}", listener.local_addr()?);
    // `incoming` waits and retries by itself when descriptors run out.
    let mut connections = listener.incoming();
    while let Some(connection) = connections.next().await {
        match connection {
            Ok(stream) => {
                runtime::spawn(async move {
                    if let Err(error) = echo(stream).await {
                        eprintln!("connection ended with an error: {error}");
                    }
                });
            }
            Err(error) => eprintln!("accept failed: {error}"),
        }
    }
    Ok(())
}

async fn echo(stream: TcpStream) -> std::io::Result<()> {
    let mut buf = vec![0; 16 * 1024];
    loop {
        let n = (&stream).read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        (&stream).write_all(&buf[..n]).await?;
    }
}
