//! A line-based chat: every line a client sends goes to every other client.
//!
//! Run with `cargo run --release --example chat [ADDR]` (default
//! `127.0.0.1:7001`), then connect two or more `nc 127.0.0.1 7001`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use futures_channel::mpsc::{unbounded, UnboundedSender};
use futures_util::StreamExt;
use runtime::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use runtime::net::{TcpListener, TcpStream};

/// Every connected client's outbox.
type Clients = Arc<Mutex<HashMap<SocketAddr, UnboundedSender<String>>>>;

#[runtime::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7001".to_string());
    let listener = TcpListener::bind(addr).await?;
    println!("chat listening on {}", listener.local_addr()?);
    let clients = Clients::default();
    let mut connections = listener.incoming();
    while let Some(connection) = connections.next().await {
        match connection {
            Ok(stream) => {
                let clients = clients.clone();
                runtime::spawn(async move {
                    let _ = client(stream, clients).await;
                });
            }
            Err(error) => eprintln!("accept failed: {error}"),
        }
    }
    Ok(())
}

async fn client(stream: TcpStream, clients: Clients) -> std::io::Result<()> {
    let stream = Arc::new(stream);
    let peer = stream.peer_addr()?;
    let (outbox, mut inbox) = unbounded::<String>();
    clients.lock().unwrap().insert(peer, outbox);
    broadcast(&clients, peer, format!("* {peer} joined\n"));

    // The writer: this client's outbox to its socket.
    let writer = {
        let stream = stream.clone();
        runtime::spawn(async move {
            while let Some(line) = inbox.next().await {
                if (&*stream).write_all(line.as_bytes()).await.is_err() {
                    break;
                }
            }
        })
    };
    // The reader: each line to everyone else.
    let mut lines = BufReader::new(&*stream).lines();
    while let Some(Ok(line)) = lines.next().await {
        broadcast(&clients, peer, format!("{peer}: {line}\n"));
    }
    clients.lock().unwrap().remove(&peer);
    writer.abort();
    broadcast(&clients, peer, format!("* {peer} left\n"));
    Ok(())
}

fn broadcast(clients: &Clients, from: SocketAddr, line: String) {
    for (addr, outbox) in clients.lock().unwrap().iter() {
        if *addr != from {
            let _ = outbox.unbounded_send(line.clone());
        }
    }
}
