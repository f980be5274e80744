//! TcpSocket, lookup_host and UnixDatagram as tokio has them.

mod support;

use std::time::Duration;

use runtime::io::AsyncWriteExt;
use runtime::net::{lookup_host, TcpSocket, UnixDatagram};
use support::{watchdog, TempDir};

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn tcp_socket_options_then_listen_and_connect() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let socket = TcpSocket::new_v4().unwrap();
            socket.set_reuseaddr(true).unwrap();
            socket.set_reuseport(true).unwrap();
            socket.set_keepalive(true).unwrap();
            socket.set_nodelay(true).unwrap();
            socket.set_send_buffer_size(32 << 10).unwrap();
            socket.set_recv_buffer_size(32 << 10).unwrap();
            socket.set_linger(Some(Duration::from_secs(1))).unwrap();
            socket.set_tos(0x10).unwrap();
            assert!(socket.reuseaddr().unwrap() && socket.reuseport().unwrap() && socket.keepalive().unwrap());
            assert!(socket.nodelay().unwrap());
            assert!(socket.send_buffer_size().unwrap() >= 32 << 10, "the kernel doubles it");
            assert!(socket.recv_buffer_size().unwrap() >= 32 << 10);
            assert_eq!(socket.linger().unwrap(), Some(Duration::from_secs(1)));
            assert_eq!(socket.tos().unwrap(), 0x10);
            assert!(socket.take_error().unwrap().is_none());
            socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
            let addr = socket.local_addr().unwrap();
            let listener = socket.listen(16).unwrap();
            assert_eq!(listener.local_addr().unwrap(), addr);

            // A second socket on the same port with SO_REUSEPORT listens too.
            let twin = TcpSocket::new_v4().unwrap();
            twin.set_reuseport(true).unwrap();
            twin.bind(addr).unwrap();
            let _twin = twin.listen(16).unwrap();

            let client = TcpSocket::new_v4().unwrap();
            client.bind("127.0.0.1:0".parse().unwrap()).unwrap();
            let from = client.local_addr().unwrap();
            let mut stream = client.connect(addr).await.unwrap();
            assert_eq!(stream.local_addr().unwrap(), from, "bound before connecting");
            stream.write_all(b"x").await.unwrap();

            let refused = TcpSocket::new_v4().unwrap().connect("127.0.0.1:1".parse().unwrap()).await;
            assert_eq!(refused.unwrap_err().kind(), std::io::ErrorKind::ConnectionRefused);
            let wrong_family = TcpSocket::new_v6().map(|s| s.bind("127.0.0.1:0".parse().unwrap()));
            if let Ok(result) = wrong_family {
                assert!(result.unwrap_err().raw_os_error().is_some(), "the OS error");
            }

            let std_stream = std::net::TcpStream::connect(addr).unwrap();
            let socket = TcpSocket::from_std_stream(std_stream);
            assert_eq!(socket.local_addr().unwrap().ip(), addr.ip());
        });
    });
}

#[test]
fn lookup_host_resolves_names_and_literals() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let literal: Vec<_> = lookup_host("127.0.0.1:8080").await.unwrap().collect();
            assert_eq!(literal, ["127.0.0.1:8080".parse().unwrap()]);
            let named: Vec<_> = lookup_host(("localhost", 9)).await.unwrap().collect();
            assert!(!named.is_empty() && named.iter().all(|a| a.ip().is_loopback() && a.port() == 9));
            assert!(lookup_host("no-port-here").await.is_err(), "a clear error, not a panic");
        });
    });
}

#[test]
fn unix_datagrams_bound_unbound_connected_and_paired() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let dir = TempDir::new("unix_datagram");
            let server_path = dir.join("server.sock");
            let server = UnixDatagram::bind(&server_path).unwrap();
            let client_path = dir.join("client.sock");
            let client = UnixDatagram::bind(&client_path).unwrap();
            client.send_to(b"ping", &server_path).await.unwrap();
            let mut buf = [0; 16];
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"ping");
            assert_eq!(from.as_pathname(), Some(client_path.as_path()));
            server.send_to(b"pong", from.as_pathname().unwrap()).await.unwrap();
            assert_eq!(client.recv(&mut buf).await.unwrap(), 4);

            let unbound = UnixDatagram::unbound().unwrap();
            unbound.connect(&server_path).unwrap();
            assert_eq!(unbound.peer_addr().unwrap().as_pathname(), Some(server_path.as_path()));
            unbound.send(b"hi").await.unwrap();
            server.readable().await.unwrap();
            let (n, from) = server.try_recv_from(&mut buf).unwrap();
            assert_eq!((&buf[..n], from.is_unnamed()), (&b"hi"[..], true));
            assert_eq!(server.try_recv(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);

            let (a, b) = UnixDatagram::pair().unwrap();
            a.writable().await.unwrap(); // a new socket's readiness comes from the reactor first
            a.try_send(b"one").unwrap();
            std::future::poll_fn(|cx| a.poll_send(cx, b"two")).await.unwrap();
            assert_eq!(std::future::poll_fn(|cx| b.poll_recv(cx, &mut buf)).await.unwrap(), 3);
            let (n, _) = std::future::poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await.unwrap();
            assert_eq!(&buf[..n], b"two");
            a.shutdown(std::net::Shutdown::Write).unwrap();
            assert_eq!(a.send(b"x").await.unwrap_err().raw_os_error(), Some(libc::EPIPE), "EPIPE, no SIGPIPE");
            assert!(b.take_error().unwrap().is_none());
            let b = UnixDatagram::from_std(b.into_std().unwrap()).unwrap();
            assert!(b.local_addr().unwrap().is_unnamed());

            let missing = UnixDatagram::unbound().unwrap().send_to(b"?", dir.join("nobody")).await;
            assert!(missing.unwrap_err().raw_os_error().is_some(), "ENOENT, not a panic");
        });
    });
}

/// A big datagram the buffer cannot hold whole is cut, not an error (as
/// recv(2)); the socket keeps working.
#[test]
fn unix_datagram_longer_than_the_buffer_is_cut() {
    runtime::block_on(async {
        let (a, b) = UnixDatagram::pair().unwrap();
        a.send(&[7; 100]).await.unwrap();
        a.send(b"next").await.unwrap();
        let mut small = [0; 10];
        assert_eq!(b.recv(&mut small).await.unwrap(), 10);
        let mut buf = [0; 16];
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"next");
    });
}
