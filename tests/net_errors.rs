//! Peers that reset and vanish: errors surface as `io::Error`s, SIGPIPE never
//! fires (its default action is restored here, so it would kill this test
//! process), and the server keeps serving.

mod support;

use std::time::Duration;

use runtime::io::{AsyncReadExt, AsyncWriteExt};
use runtime::net::{TcpListener, TcpStream, UnixStream};
use support::{os, watchdog};

const LIMIT: Duration = Duration::from_secs(30);

/// A connection whose server side closed with unread data, which makes the
/// kernel answer with RST instead of FIN.
async fn reset_connection(listener: &TcpListener) -> TcpStream {
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    client.write_all(b"never read").await.unwrap();
    // Wait until the bytes sit in the server's receive queue, then close it.
    let mut probe = [0; 1];
    server.peek(&mut probe).await.unwrap();
    drop(server);
    client
}

#[test]
fn reset_and_broken_pipe_are_errors_and_the_server_keeps_serving() {
    os::restore_sigpipe_default();
    let rt = runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    watchdog(LIMIT, move || {
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();

            let mut client = reset_connection(&listener).await;
            let mut buf = [0; 16];
            let error = client.read(&mut buf).await.unwrap_err();
            assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset);

            // Writing to a reset connection: EPIPE (or the reset itself), never SIGPIPE.
            let mut client = reset_connection(&listener).await;
            let mut error = None;
            for _ in 0..100 {
                if let Err(e) = client.write_all(&[0; 65536]).await {
                    error = Some(e);
                    break;
                }
            }
            let kind = error.expect("writes to a reset connection fail").kind();
            assert!(matches!(kind, std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset), "{kind:?}");
            // Vectored writes go through sendmsg with MSG_NOSIGNAL as well.
            let slices = [std::io::IoSlice::new(b"still no signal")];
            assert!(client.write_vectored(&slices).await.is_err());

            // The listener still serves new connections.
            let mut fresh = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
            let (mut accepted, _) = listener.accept().await.unwrap();
            fresh.write_all(b"alive").await.unwrap();
            let mut alive = [0; 5];
            accepted.read_exact(&mut alive).await.unwrap();
            assert_eq!(&alive, b"alive");
        })
    });
}

#[test]
fn unix_writes_to_a_closed_peer_are_epipe_not_sigpipe() {
    os::restore_sigpipe_default();
    let rt = runtime::Builder::new_current_thread().build().unwrap();
    watchdog(LIMIT, move || {
        rt.block_on(async {
            let (mut a, b) = UnixStream::pair().unwrap();
            drop(b);
            let error = a.write_all(b"into the void").await.unwrap_err();
            assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe);
        })
    });
}
