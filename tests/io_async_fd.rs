//! `runtime::io::unix::AsyncFd` with tokio's guard API: what clears
//! readiness and what keeps it.

mod support;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use runtime::io::unix::{AsyncFd, TryIoError};
use runtime::io::{Interest, Ready};
use support::{poll_once, watchdog};

const LIMIT: Duration = Duration::from_secs(60);

fn pair() -> (UnixStream, AsyncFd<UnixStream>) {
    let (tx, rx) = UnixStream::pair().unwrap();
    rx.set_nonblocking(true).unwrap();
    (tx, AsyncFd::new(rx).unwrap())
}

/// Reads until WouldBlock; returns the bytes.
fn drain(stream: &UnixStream) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = [0; 64];
    loop {
        match (&*stream).read(&mut buf) {
            Ok(0) => return all,
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return all,
            Err(e) => panic!("{e}"),
        }
    }
}

/// A guard dropped without clearing keeps the readiness (the next wait is
/// ready at once); `clear_ready` makes the next wait sleep until new data.
#[test]
fn clear_ready_then_a_wait_sleeps_until_the_next_edge() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (mut tx, rx) = pair();
            tx.write_all(b"one").unwrap();
            let guard = rx.readable().await.unwrap();
            assert!(guard.ready().is_readable());
            assert_eq!(drain(guard.get_inner()), b"one");
            drop(guard); // retained: nothing cleared
            let mut guard = rx.readable().await.unwrap();
            guard.clear_ready();
            assert!(poll_once(std::pin::pin!(rx.readable())).is_pending(), "cleared: waits for a new edge");
            tx.write_all(b"two").unwrap();
            let guard = rx.readable().await.unwrap();
            assert_eq!(drain(guard.get_inner()), b"two");
        });
    });
}

/// `try_io` clears the readiness on WouldBlock (and only then).
#[test]
fn try_io_clears_readiness_on_would_block_only() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (mut tx, rx) = pair();
            tx.write_all(b"abc").unwrap();
            let mut buf = [0; 2];
            let mut guard = rx.readable().await.unwrap();
            let read = guard.try_io(|fd| fd.get_ref().read(&mut buf)).expect("not WouldBlock");
            assert_eq!(read.unwrap(), 2);
            drop(guard);
            let mut guard = rx.readable().await.unwrap(); // data left: still ready
            assert_eq!(guard.try_io(|fd| fd.get_ref().read(&mut buf)).unwrap().unwrap(), 1);
            let blocked: Result<std::io::Result<usize>, TryIoError> = guard.try_io(|fd| fd.get_ref().read(&mut buf));
            assert!(blocked.is_err());
            drop(guard);
            assert!(poll_once(std::pin::pin!(rx.readable())).is_pending(), "the WouldBlock cleared it");
            assert_eq!(
                rx.try_io(Interest::READABLE, |mut fd| fd.read(&mut buf)).unwrap_err().kind(),
                std::io::ErrorKind::WouldBlock,
                "not ready: no syscall, WouldBlock"
            );
        });
    });
}

/// `clear_ready_matching` clears one kind and keeps the other.
#[test]
fn clear_ready_matching_keeps_the_other_readiness() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (mut tx, rx) = pair();
            tx.write_all(b"x").unwrap();
            // Both edges are in: wait until the guard sees both.
            let mut guard = loop {
                let guard = rx.ready(Interest::READABLE | Interest::WRITABLE).await.unwrap();
                if guard.ready().is_readable() && guard.ready().is_writable() {
                    break guard;
                }
            };
            drain(guard.get_inner());
            guard.clear_ready_matching(Ready::READABLE);
            assert!(guard.ready().is_writable() && !guard.ready().is_readable());
            drop(guard);
            assert!(poll_once(std::pin::pin!(rx.readable())).is_pending(), "readable cleared");
            assert!(poll_once(std::pin::pin!(rx.writable())).is_ready(), "writable kept");
        });
    });
}

/// The `_mut` waits, `async_io_mut`, and the descriptor back on a failed
/// registration.
#[test]
fn mut_guards_async_io_and_try_new() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (mut tx, rx) = UnixStream::pair().unwrap();
            rx.set_nonblocking(true).unwrap();
            let mut rx = AsyncFd::with_interest(rx, Interest::READABLE).unwrap();
            assert_eq!(rx.interest(), Interest::READABLE);
            tx.write_all(b"hi").unwrap();
            let mut guard = rx.readable_mut().await.unwrap();
            let mut buf = [0; 2];
            guard.try_io(|fd| fd.get_mut().read(&mut buf)).unwrap().unwrap();
            assert_eq!(&buf, b"hi");
            let _inner: &mut UnixStream = guard.get_inner_mut();
            drop(guard);
            let writer = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                tx.write_all(b"yo").unwrap();
                tx
            });
            let n = rx.async_io_mut(Interest::READABLE, |fd| fd.read(&mut buf)).await.unwrap();
            assert_eq!(&buf[..n], b"yo");
            writer.join().unwrap();

            let file = std::fs::File::open("/proc/self/exe").unwrap();
            let error = AsyncFd::try_new(file).unwrap_err();
            let (file, cause) = error.into_parts();
            assert_eq!(cause.raw_os_error(), Some(libc::EPERM), "epoll refuses a regular file");
            assert!(file.metadata().is_ok(), "the file came back");
        });
    });
}

/// `Interest::PRIORITY`: out-of-band TCP data is priority readiness
/// (EPOLLPRI), reported as such and not as plain readable data.
#[test]
fn priority_readiness_reports_out_of_band_data() {
    use std::os::fd::AsRawFd;
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (server, _) = listener.accept().unwrap();
            server.set_nonblocking(true).unwrap();
            let server = AsyncFd::with_interest(server, Interest::PRIORITY).unwrap();
            // SAFETY: `client` is an open socket and the byte is live for the call.
            let sent = unsafe { libc::send(client.as_raw_fd(), b"!".as_ptr().cast(), 1, libc::MSG_OOB) };
            assert_eq!(sent, 1);
            let guard = server.ready(Interest::PRIORITY).await.unwrap();
            assert!(guard.ready().is_priority(), "{:?}", guard.ready());
        });
    });
}
