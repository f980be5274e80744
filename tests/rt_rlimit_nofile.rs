//! The process runs out of descriptors (RLIMIT_NOFILE exhausted) before it
//! first uses sockets, files and timers from outside any runtime: every socket
//! and file operation returns the OS's error, timers keep time, nothing
//! panics; once descriptors are free again the same calls succeed (the
//! process-wide reactor starts then). Its own test binary, because it lowers
//! the process's descriptor limit.

mod support;

use std::io;
use std::time::Duration;

use runtime::io::{AsyncReadExt, AsyncWriteExt};
use runtime::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use support::{os, watchdog};

fn assert_emfile<T: std::fmt::Debug>(what: &str, result: io::Result<T>) {
    let error = result.expect_err(what);
    assert_eq!(error.raw_os_error(), Some(libc::EMFILE), "{what}: {error}");
}

#[test]
fn out_of_descriptors_outside_a_runtime_gives_errors_then_recovers() {
    watchdog(Duration::from_secs(30), || {
        // One descriptor left: the socket gets it, the process-wide reactor's
        // epoll instance does not.
        os::leave_fds(1);
        runtime::block_on(async {
            assert_emfile("bind, no reactor", TcpListener::bind("127.0.0.1:0").await);
            assert_emfile("socket pair, no reactor", UnixStream::pair());
        });
        os::exhaust_fds();
        // Outside any runtime: the default one (threads, no descriptor) polls.
        runtime::block_on(async {
            assert_emfile("bind", TcpListener::bind("127.0.0.1:0").await);
            assert_emfile("connect", TcpStream::connect("127.0.0.1:9").await);
            assert_emfile("udp bind", UdpSocket::bind("127.0.0.1:0").await);
            assert_emfile("socket pair", UnixStream::pair());
            assert_emfile("file open", runtime::fs::File::open("Cargo.toml").await);
            assert_emfile("fs::read", runtime::fs::read("Cargo.toml").await);
            runtime::time::sleep(Duration::from_millis(5)).await;
            let late = runtime::time::timeout(Duration::from_millis(5), std::future::pending::<()>()).await;
            assert!(late.is_err(), "the timeout fires");
        });

        os::raise_fd_limit();
        runtime::block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            client.write_all(b"ping").await.unwrap();
            let mut buf = [0; 4];
            server.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"ping");
            assert!(!runtime::fs::read("Cargo.toml").await.unwrap().is_empty());
        });
    });
}
