//! An echo server: every connection gets back exactly the bytes it sends.
//!
//! Run with `cargo run --release --example echo_server [ADDR]` (default
//! `127.0.0.1:7000`, port 0 picks a free one); it prints the address it
//! listens on. Talk to it with `nc 127.0.0.1 7000`.
//!
//! Ctrl-C or SIGTERM shuts it down gracefully: it stops accepting at once,
//! lets the open connections finish for up to 5 s, then exits with status 0.

use std::pin::pin;
use std::time::Duration;

use futures_util::StreamExt;
use runtime::io::{AsyncReadExt, AsyncWriteExt};
use runtime::net::{TcpListener, TcpStream};
use runtime::signal::unix::{signal, SignalKind};
use runtime::sync::mpsc;

/// How long open connections may go on after a shutdown signal.
const GRACE: Duration = Duration::from_secs(5);

fn main() -> std::io::Result<()> {
    let rt = runtime::Runtime::new()?;
    let served = rt.block_on(serve());
    // Tasks still running are dropped; blocking jobs get a moment, not forever.
    rt.shutdown_timeout(Duration::from_secs(1));
    served
}

async fn serve() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7000".to_string());
    // The handlers go in before anyone can know where to connect, so a
    // signal never finds the default action (termination) still in place.
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let listener = TcpListener::bind(addr).await?;
    println!("echo server listening on {}", listener.local_addr()?);
    // Every connection holds a clone of `open`: `recv` returns None once all are gone.
    let (open, mut all_closed) = mpsc::channel::<()>(1);
    let accepting = runtime::spawn(accept(listener, open));
    futures_util::future::select(pin!(interrupt.recv()), pin!(terminate.recv())).await;
    // Aborting the accept loop drops the listener: no new connections.
    accepting.abort();
    let _ = accepting.await;
    println!("shutting down: waiting up to {GRACE:?} for the open connections");
    if runtime::time::timeout(GRACE, all_closed.recv()).await.is_err() {
        eprintln!("connections still open after {GRACE:?}: closing them");
    }
    Ok(())
}

async fn accept(listener: TcpListener, open: mpsc::Sender<()>) {
    // `incoming` waits and retries by itself when descriptors run out.
    let mut connections = listener.incoming();
    while let Some(connection) = connections.next().await {
        match connection {
            Ok(stream) => {
                let open = open.clone();
                runtime::spawn(async move {
                    if let Err(error) = echo(stream).await {
                        eprintln!("connection ended with an error: {error}");
                    }
                    drop(open);
                });
            }
            Err(error) => eprintln!("accept failed: {error}"),
        }
    }
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
