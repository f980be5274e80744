//! TCP end to end: echo, many connections, large transfers, half-close,
//! cancellation and concurrent use of `&TcpStream`.

mod support;

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::{join_all, poll_immediate};
use futures_util::StreamExt;
use runtime::io::{AsyncReadExt, AsyncWriteExt};
use runtime::net::{TcpListener, TcpStream};
use support::{os, watchdog};

const LIMIT: Duration = Duration::from_secs(60);

fn multi_thread() -> runtime::Runtime {
    runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap()
}

/// Serves an echo server on a fresh listener; returns its address.
async fn echo_server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    runtime::spawn(async move {
        let mut incoming = listener.incoming();
        while let Some(Ok(stream)) = incoming.next().await {
            runtime::spawn(async move {
                let mut buf = vec![0; 8192];
                loop {
                    match (&stream).read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if (&stream).write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

/// Bytes that tell their own position, so reordering or loss shows.
fn pattern(len: usize, seed: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 31 + seed * 7) % 251) as u8).collect()
}

#[test]
fn echo_round_trip_on_both_flavors() {
    for rt in [multi_thread(), runtime::Builder::new_current_thread().build().unwrap()] {
        watchdog(LIMIT, move || {
            rt.block_on(async {
                let addr = echo_server().await;
                let mut stream = TcpStream::connect(addr).await.unwrap();
                stream.write_all(b"hello, reactor").await.unwrap();
                let mut buf = [0; 14];
                stream.read_exact(&mut buf).await.unwrap();
                assert_eq!(&buf, b"hello, reactor");
                assert_eq!(stream.peer_addr().unwrap(), addr);
            })
        });
    }
}

#[test]
fn thousand_connections_each_echo_64_kib_in_order() {
    // Two descriptors per connection (both ends live here), plus headroom.
    let limit = os::raise_fd_limit();
    let connections = 1000.min((limit.saturating_sub(128) / 2) as usize);
    if connections < 1000 {
        eprintln!("descriptor hard limit {limit}: testing {connections} connections instead of 1,000");
    }
    let rt = multi_thread();
    watchdog(LIMIT, move || {
        rt.block_on(async {
            let addr = echo_server().await;
            let clients = (0..connections).map(|seed| {
                runtime::spawn(async move {
                    let stream = TcpStream::connect(addr).await.unwrap();
                    let data = pattern(64 * 1024, seed);
                    let sent = data.clone();
                    // Write and read at once: the echo would stall on full buffers otherwise.
                    let stream = Arc::new(stream);
                    let writer = {
                        let stream = stream.clone();
                        runtime::spawn(async move { (&*stream).write_all(&sent).await.unwrap() })
                    };
                    let mut received = vec![0; data.len()];
                    (&*stream).read_exact(&mut received).await.unwrap();
                    writer.await.unwrap();
                    assert!(received == data, "connection {seed} got its bytes out of order");
                })
            });
            for result in join_all(clients).await {
                result.unwrap();
            }
        })
    });
}

#[test]
fn sixty_four_mib_to_a_slow_reader() {
    const TOTAL: usize = 64 << 20;
    let rt = multi_thread();
    watchdog(LIMIT, move || {
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let writer = runtime::spawn(async move {
                let (mut stream, _) = listener.accept().await.unwrap();
                let chunk = pattern(1 << 20, 0);
                for _ in 0..TOTAL / chunk.len() {
                    stream.write_all(&chunk).await.unwrap();
                }
                stream.close().await.unwrap();
            });
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let expected = pattern(1 << 20, 0);
            let mut buf = vec![0; 4096];
            let mut offset = 0;
            loop {
                // Small reads with a yield between: the writer keeps hitting a full buffer.
                let n = stream.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                for &byte in &buf[..n] {
                    assert_eq!(byte, expected[offset % expected.len()], "byte {offset}");
                    offset += 1;
                }
                runtime::task::yield_now().await;
            }
            assert_eq!(offset, TOTAL);
            writer.await.unwrap();
        })
    });
}

#[test]
fn half_close_then_read_the_reply() {
    let rt = multi_thread();
    watchdog(LIMIT, move || {
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = runtime::spawn(async move {
                let (mut stream, _) = listener.accept().await.unwrap();
                let mut request = Vec::new();
                // Reads until the client's shutdown(Write) arrives as end of stream.
                stream.read_to_end(&mut request).await.unwrap();
                stream.write_all(format!("got {} bytes", request.len()).as_bytes()).await.unwrap();
            });
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(&[7; 1000]).await.unwrap();
            stream.close().await.unwrap(); // tokio's shutdown(): the write half only
            let mut reply = String::new();
            stream.read_to_string(&mut reply).await.unwrap();
            assert_eq!(reply, "got 1000 bytes");
            server.await.unwrap();
        })
    });
}

#[test]
fn a_dropped_read_future_loses_no_byte() {
    let rt = multi_thread();
    watchdog(LIMIT, move || {
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            let mut buf = [0; 64];
            // A read that is pending (no data yet), then dropped midway.
            assert!(poll_immediate(server.read(&mut buf)).await.is_none());
            // A read woken by arriving data but dropped before it ran again (a
            // timeout that fired at that moment): the bytes stay in the socket.
            let mut pending = Box::pin(server.read(&mut buf));
            assert!(poll_immediate(pending.as_mut()).await.is_none());
            client.write_all(b"first").await.unwrap();
            drop(pending);
            client.write_all(b" second").await.unwrap();
            let mut all = Vec::new();
            while all.len() < 12 {
                let n = server.read(&mut buf).await.unwrap();
                all.extend_from_slice(&buf[..n]);
            }
            assert_eq!(all, b"first second");
        })
    });
}

#[test]
fn one_task_reads_while_another_writes_on_a_shared_stream() {
    let rt = multi_thread();
    watchdog(LIMIT, move || {
        rt.block_on(async {
            let addr = echo_server().await;
            let stream = Arc::new(TcpStream::connect(addr).await.unwrap());
            let data = pattern(4 << 20, 3);
            let writer = {
                let (stream, data) = (stream.clone(), data.clone());
                runtime::spawn(async move {
                    for chunk in data.chunks(10_000) {
                        (&*stream).write_all(chunk).await.unwrap();
                    }
                })
            };
            let reader = {
                let stream = stream.clone();
                runtime::spawn(async move {
                    let mut received = vec![0; 4 << 20];
                    (&*stream).read_exact(&mut received).await.unwrap();
                    received
                })
            };
            writer.await.unwrap();
            assert!(reader.await.unwrap() == data);
        })
    });
}

#[test]
fn many_tasks_accept_on_one_listener_and_none_is_lost() {
    let rt = multi_thread();
    watchdog(LIMIT, move || {
        rt.block_on(async {
            let listener = Arc::new(TcpListener::bind("127.0.0.1:0").await.unwrap());
            let addr = listener.local_addr().unwrap();
            let acceptors: Vec<_> = (0..8)
                .map(|_| {
                    let listener = listener.clone();
                    runtime::spawn(async move { listener.accept().await.unwrap().0 })
                })
                .collect();
            // Let every acceptor register as a waiter before anyone connects.
            runtime::task::yield_now().await;
            let mut clients = Vec::new();
            for _ in 0..8 {
                clients.push(TcpStream::connect(addr).await.unwrap());
            }
            for acceptor in acceptors {
                acceptor.await.unwrap();
            }
        })
    });
}

#[test]
fn vectored_writes_send_every_slice() {
    let rt = multi_thread();
    watchdog(LIMIT, move || {
        rt.block_on(async {
            let addr = echo_server().await;
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let slices =
                [std::io::IoSlice::new(b"one "), std::io::IoSlice::new(b"two "), std::io::IoSlice::new(b"three")];
            let mut written = 0;
            while written < 13 {
                written += stream.write_vectored(&slices).await.unwrap();
                assert!(written == 13, "loopback takes 13 bytes in one sendmsg");
            }
            let mut buf = [0; 13];
            stream.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"one two three");
        })
    });
}

#[test]
fn peek_leaves_the_data_and_options_round_trip() {
    let rt = multi_thread();
    watchdog(LIMIT, move || {
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
            let (mut server, peer) = listener.accept().await.unwrap();
            assert_eq!(peer, client.local_addr().unwrap());
            client.set_nodelay(true).unwrap();
            assert!(client.nodelay().unwrap());
            client.write_all(b"peek").await.unwrap();
            let mut buf = [0; 4];
            let n = server.peek(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], &b"peek"[..n]);
            server.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"peek");
            // poll_close shuts down the write half: the peer reads end of stream.
            client.close().await.unwrap();
            assert_eq!(server.read(&mut buf).await.unwrap(), 0);
        })
    });
}

#[test]
fn from_std_and_name_resolution() {
    let rt = multi_thread();
    watchdog(LIMIT, move || {
        rt.block_on(async {
            let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let port = std_listener.local_addr().unwrap().port();
            let listener = TcpListener::from_std(std_listener).unwrap();
            // "localhost" is not a literal address: it is resolved on the blocking pool.
            let client = runtime::spawn(async move { TcpStream::connect(("localhost", port)).await });
            let (server, _) = listener.accept().await.unwrap();
            let client = client.await.unwrap().unwrap();
            assert_eq!(server.peer_addr().unwrap(), client.local_addr().unwrap());
            let std_stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            let stream = TcpStream::from_std(std_stream).unwrap();
            let (mut accepted, _) = listener.accept().await.unwrap();
            (&stream).write_all(b"x").await.unwrap();
            let mut buf = [0; 1];
            accepted.read_exact(&mut buf).await.unwrap();
        })
    });
}

#[test]
fn connection_refused_is_an_error() {
    let rt = multi_thread();
    watchdog(LIMIT, move || {
        rt.block_on(async {
            // A port that was just free: nothing listens there.
            let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
            let error = TcpStream::connect(addr).await.unwrap_err();
            assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
        })
    });
}

#[test]
fn sockets_that_outlive_the_runtime_report_an_error() {
    let rt = multi_thread();
    let (listener, client) = rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        (listener, client)
    });
    drop(rt);
    watchdog(LIMIT, move || {
        runtime::block_on(async {
            let error = listener.accept().await.unwrap_err();
            assert!(error.to_string().contains("shut down"), "{error}");
            let mut buf = [0; 1];
            assert!((&client).read(&mut buf).await.is_err());
        })
    });
}

#[test]
fn the_reactor_thread_takes_over_while_every_worker_is_blocked() {
    let rt = runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap();
    let handle = rt.handle().clone();
    watchdog(LIMIT, move || {
        let (listener, addr) = rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            (listener, addr)
        });
        let accepted = rt.spawn(async move { listener.accept().await.unwrap().0 });
        // Let the only worker park (and wait in epoll) before it is blocked.
        support::wait_until(Duration::from_secs(10), || handle.metrics().parks() > 0);
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
        let blocker = rt.spawn(async move {
            // Holds the only worker: no worker looks at epoll meanwhile.
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        });
        started_rx.recv().unwrap();
        let before = handle.metrics().reactor_events();
        let _client = std::net::TcpStream::connect(addr).unwrap();
        // The connection's event is collected by the reactor thread, not lost.
        support::wait_until(Duration::from_secs(10), || handle.metrics().reactor_events() > before);
        release_tx.send(()).unwrap();
        rt.block_on(blocker).unwrap();
        rt.block_on(accepted).unwrap();
    });
}
