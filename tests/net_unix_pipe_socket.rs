//! `net::unix::pipe` (anonymous pipes and FIFOs) and `UnixSocket`.

mod support;

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

use runtime::io::{AsyncReadExt, AsyncWriteExt};
use runtime::net::unix::pipe;
use runtime::net::UnixSocket;
use support::{watchdog, TempDir};

const LIMIT: Duration = Duration::from_secs(60);

fn mkfifo(path: &std::path::Path) {
    let path = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `path` is a valid NUL-terminated string for the call.
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0, "mkfifo");
}

#[test]
fn anonymous_pipe_moves_bytes_and_a_gone_reader_is_epipe() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let (mut tx, mut rx) = pipe::pipe().unwrap();
            let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
            let expected = data.clone();
            let writer = runtime::spawn(async move {
                tx.write_all(&data).await.unwrap();
                tx
            });
            let mut got = vec![0; expected.len()];
            rx.read_exact(&mut got).await.unwrap();
            assert!(got == expected);
            let tx = writer.await.unwrap();
            let mut buf = [0; 4];
            assert_eq!(rx.try_read(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
            drop(rx);
            tx.writable().await.unwrap();
            let error = tx.try_write(b"lost").unwrap_err();
            assert_eq!(error.raw_os_error(), Some(libc::EPIPE), "an error, and no SIGPIPE killed us");
            let fd = tx.into_blocking_fd().unwrap();
            assert!(pipe::Sender::from_owned_fd(fd).is_ok());
        });
    });
}

#[test]
fn fifos_open_as_tokio_documents() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let dir = TempDir::new("fifo");
            let path = dir.join("fifo");
            mkfifo(&path);
            let no_reader = pipe::OpenOptions::new().open_sender(&path).unwrap_err();
            assert_eq!(no_reader.raw_os_error(), Some(libc::ENXIO), "no reader yet: the OS's ENXIO");
            let rx = pipe::OpenOptions::new().open_receiver(&path).unwrap();
            let mut tx = pipe::OpenOptions::new().open_sender(&path).unwrap();
            tx.write_all(b"via fifo").await.unwrap();
            drop(tx);
            let mut rx = rx;
            let mut got = String::new();
            rx.read_to_string(&mut got).await.unwrap();
            assert_eq!(got, "via fifo");

            let _rw = pipe::OpenOptions::new().read_write(true).open_sender(&path).unwrap();
            let plain = dir.join("plain");
            std::fs::write(&plain, b"").unwrap();
            let not_fifo = pipe::OpenOptions::new().open_receiver(&plain).unwrap_err();
            assert_eq!(not_fifo.kind(), std::io::ErrorKind::InvalidInput);
            assert!(pipe::OpenOptions::new().unchecked(true).open_receiver(&plain).is_err(), "epoll refuses a file");

            let wrong_way = std::fs::File::open(&path);
            if let Ok(read_end) = wrong_way {
                assert_eq!(pipe::Sender::from_file(read_end).unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
            }
        });
    });
}

#[test]
fn unix_socket_becomes_a_listener_a_stream_or_a_datagram() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let dir = TempDir::new("unix_socket");
            let path = dir.join("s.sock");
            let socket = UnixSocket::new_stream().unwrap();
            socket.bind(&path).unwrap();
            assert_eq!(socket.local_addr().unwrap().as_pathname(), Some(path.as_path()));
            assert!(socket.take_error().unwrap().is_none());
            let listener = socket.listen(8).unwrap();
            let mut client = UnixSocket::new_stream().unwrap().connect(&path).await.unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            client.write_all(b"hi").await.unwrap();
            let mut buf = [0; 2];
            server.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"hi");

            let datagram_path = dir.join("d.sock");
            let socket = UnixSocket::new_datagram().unwrap();
            socket.bind(&datagram_path).unwrap();
            let datagram = socket.datagram().unwrap();
            let sender = UnixSocket::new_datagram().unwrap().datagram().unwrap();
            sender.send_to(b"dg", &datagram_path).await.unwrap();
            assert_eq!(datagram.recv(&mut buf).await.unwrap(), 2);

            let error = UnixSocket::new_datagram().unwrap().listen(1).unwrap_err();
            assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
            assert!(UnixSocket::new_stream().unwrap().datagram().is_err());
            let refused = UnixSocket::new_stream().unwrap().connect(dir.join("nobody")).await;
            assert!(refused.unwrap_err().raw_os_error().is_some());
        });
    });
}
