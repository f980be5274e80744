//! UDP and Unix-domain sockets end to end.

mod support;

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use runtime::io::{AsyncReadExt, AsyncWriteExt};
use runtime::net::{UdpSocket, UnixListener, UnixStream};
use support::watchdog;

const LIMIT: Duration = Duration::from_secs(30);

fn rt() -> runtime::Runtime {
    runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap()
}

#[test]
fn udp_send_to_recv_from_and_connected_send_recv() {
    let rt = rt();
    watchdog(LIMIT, move || {
        rt.block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            a.send_to(b"datagram", b.local_addr().unwrap()).await.unwrap();
            let mut buf = [0; 64];
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&b"datagram"[..], a.local_addr().unwrap()));

            a.connect(b.local_addr().unwrap()).await.unwrap();
            b.connect(a.local_addr().unwrap()).await.unwrap();
            assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());
            b.send(b"reply").await.unwrap();
            let n = a.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"reply");
        })
    });
}

#[test]
fn many_tasks_receive_on_one_udp_socket_and_none_is_lost() {
    let rt = rt();
    watchdog(LIMIT, move || {
        rt.block_on(async {
            let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
            let addr = socket.local_addr().unwrap();
            let receivers: Vec<_> = (0..6)
                .map(|_| {
                    let socket = socket.clone();
                    runtime::spawn(async move {
                        let mut buf = [0; 8];
                        let (n, _) = socket.recv_from(&mut buf).await.unwrap();
                        assert_eq!(n, 1);
                        buf[0]
                    })
                })
                .collect();
            runtime::task::yield_now().await;
            let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            for i in 0..6u8 {
                sender.send_to(&[i], addr).await.unwrap();
            }
            let mut got: Vec<u8> = join_all(receivers).await.into_iter().map(Result::unwrap).collect();
            got.sort_unstable();
            assert_eq!(got, vec![0, 1, 2, 3, 4, 5]);
        })
    });
}

#[test]
fn an_icmp_error_on_udp_is_reported_once_and_the_socket_keeps_working() {
    let rt = rt();
    watchdog(LIMIT, move || {
        rt.block_on(async {
            let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            // Nothing listens on a port that was just freed: loopback answers
            // with ICMP port unreachable, which a connected socket reports.
            let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
            socket.connect(closed).await.unwrap();
            socket.send(b"anyone?").await.unwrap();
            let mut buf = [0; 8];
            let error = socket.recv(&mut buf).await.unwrap_err();
            assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
            // The error was consumed: the socket serves again.
            let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            socket.connect(peer.local_addr().unwrap()).await.unwrap();
            peer.send_to(b"ok", socket.local_addr().unwrap()).await.unwrap();
            let n = socket.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"ok");
        })
    });
}

#[test]
fn unix_pair_round_trip_and_shared_reference_io() {
    let rt = rt();
    watchdog(LIMIT, move || {
        rt.block_on(async {
            let (a, b) = UnixStream::pair().unwrap();
            let (a, b) = (Arc::new(a), Arc::new(b));
            let data: Vec<u8> = (0..1 << 20).map(|i| (i % 253) as u8).collect();
            let writer = {
                let (a, data) = (a.clone(), data.clone());
                runtime::spawn(async move { (&*a).write_all(&data).await.unwrap() })
            };
            let mut received = vec![0; data.len()];
            (&*b).read_exact(&mut received).await.unwrap();
            writer.await.unwrap();
            assert!(received == data);
        })
    });
}

#[test]
fn unix_listener_accepts_connections() {
    let rt = rt();
    let dir = std::env::temp_dir().join(format!("runtime-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("socket");
    let _ = std::fs::remove_file(&path);
    let listener = rt.block_on(async { UnixListener::bind(&path).unwrap() });
    let client_path = path.clone();
    watchdog(LIMIT, move || {
        rt.block_on(async {
            let client = runtime::spawn(async move {
                let mut stream = UnixStream::connect(&client_path).await.unwrap();
                stream.write_all(b"over unix").await.unwrap();
                stream.close().await.unwrap();
            });
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut text = String::new();
            stream.read_to_string(&mut text).await.unwrap();
            assert_eq!(text, "over unix");
            client.await.unwrap();
        })
    });
    std::fs::remove_dir_all(dir).unwrap();
}
