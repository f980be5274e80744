//! No descriptor leaks: sockets of every kind, accepted, connected, failed and
//! dropped mid-operation, leave /proc/self/fd as they found it. (Its own test
//! binary: other tests' sockets would disturb the count.)

mod support;

use std::time::Duration;

use futures_util::future::poll_immediate;
use runtime::io::{AsyncReadExt, AsyncWriteExt};
use runtime::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use support::{os, watchdog};

#[test]
fn sockets_close_every_descriptor() {
    // Start the runtime first: its epoll, eventfd and threads stay open.
    let rt = runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    let before = os::open_fds();
    let rt = watchdog(Duration::from_secs(30), move || {
        rt.block_on(async {
            for _ in 0..50 {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let mut client = TcpStream::connect(addr).await.unwrap();
                let (mut server, _) = listener.accept().await.unwrap();
                client.write_all(b"x").await.unwrap();
                let mut buf = [0; 1];
                server.read_exact(&mut buf).await.unwrap();
                // A read dropped while pending.
                assert!(poll_immediate(server.read(&mut buf)).await.is_none());
                // A failed connect.
                let refused = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
                assert!(TcpStream::connect(refused).await.is_err());
                let _udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
                let _pair = UnixStream::pair().unwrap();
            }
        });
        rt
    });
    assert_eq!(os::open_fds(), before, "descriptors leaked");
    assert_eq!(rt.handle().metrics().io_registrations(), 0, "registrations leaked");
}
