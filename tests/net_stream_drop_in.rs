//! tokio's stream surface on TcpStream and UnixStream: readiness, the
//! non-blocking tries, split halves, socket options and conversions.

mod support;

use std::io::{IoSlice, IoSliceMut};
use std::time::Duration;

use runtime::io::{AsyncReadExt, AsyncWriteExt, Interest};
use runtime::net::{tcp, unix, TcpListener, TcpStream, UnixStream};
use support::watchdog;

const LIMIT: Duration = Duration::from_secs(60);

/// A connected pair of TCP streams on loopback.
async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

/// Issue 29: a try on a socket that is not ready is `WouldBlock`; once
/// readable, `try_read` reads without waiting; vectored forms move every
/// byte.
#[test]
fn try_read_and_try_write_never_wait() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (a, b) = tcp_pair().await;
            let mut buf = [0; 16];
            assert_eq!(b.try_read(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
            a.writable().await.unwrap();
            assert_eq!(a.try_write(b"hello").unwrap(), 5);
            assert_eq!(a.try_write_vectored(&[IoSlice::new(b" wor"), IoSlice::new(b"ld")]).unwrap(), 6);
            let mut got: Vec<u8> = Vec::new();
            while got.len() < 11 {
                b.readable().await.unwrap();
                let (mut x, mut y) = ([0; 4], [0; 16]);
                match b.try_read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)]) {
                    Ok(n) => got.extend(x.iter().chain(y.iter()).take(n)),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                    Err(e) => panic!("{e}"),
                }
            }
            assert_eq!(got, b"hello world");
            drop(a);
            b.readable().await.unwrap();
            assert_eq!(b.try_read(&mut buf).unwrap(), 0, "end of stream");
        });
    });
}

/// Issue 29: readiness is cleared only by a `WouldBlock`: after a read
/// that left data behind (or even emptied the buffer), `readable()` is
/// ready at once, and only the `WouldBlock` makes it wait again.
#[test]
fn readiness_is_cleared_only_by_a_would_block() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (mut a, b) = tcp_pair().await;
            a.write_all(b"abcd").await.unwrap();
            b.readable().await.unwrap();
            let mut one = [0; 2];
            assert_eq!(b.try_read(&mut one).unwrap(), 2);
            assert_eq!(b.try_read(&mut one).unwrap(), 2, "a short read did not clear the readiness");
            let readable = std::pin::pin!(b.readable());
            assert!(support::poll_once(readable).is_ready(), "still ready: no WouldBlock yet");
            assert_eq!(b.try_read(&mut one).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
            let mut readable = std::pin::pin!(b.readable());
            assert!(support::poll_once(readable.as_mut()).is_pending(), "the WouldBlock cleared it");
            a.write_all(b"e").await.unwrap();
            readable.await.unwrap();
        });
    });
}

/// Issue 29: `ready` reports each interest; `try_io` runs the caller's own
/// syscall and a `WouldBlock` from it clears the readiness; `async_io`
/// waits and retries.
#[test]
fn ready_try_io_and_async_io() {
    use std::os::fd::AsRawFd;
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (a, b) = UnixStream::pair().unwrap();
            let ready = a.ready(Interest::READABLE | Interest::WRITABLE).await.unwrap();
            assert!(ready.is_writable() && !ready.is_readable());
            (&b).write_all(b"xy").await.unwrap();
            let ready = a.ready(Interest::READABLE).await.unwrap();
            assert!(ready.is_readable());
            let raw_read = |buf: &mut [u8]| {
                // SAFETY: `a`'s descriptor is open and `buf` is writable for its length.
                let n = unsafe { libc::read(a.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
                if n < 0 {
                    Err(std::io::Error::last_os_error())
                } else {
                    Ok(n as usize)
                }
            };
            let mut buf = [0; 8];
            assert_eq!(a.try_io(Interest::READABLE, || raw_read(&mut buf)).unwrap(), 2);
            let blocked = a.try_io(Interest::READABLE, || raw_read(&mut buf));
            assert_eq!(blocked.unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
            assert!(support::poll_once(std::pin::pin!(a.readable())).is_pending(), "try_io's WouldBlock cleared it");
            let writer = runtime::spawn(async move {
                runtime::time::sleep(Duration::from_millis(20)).await;
                (&b).write_all(b"z").await.unwrap();
                b
            });
            let n = a.async_io(Interest::READABLE, || raw_read(&mut buf)).await.unwrap();
            assert_eq!(&buf[..n], b"z");
            writer.await.unwrap();
        });
    });
}

/// Issue 29: owned halves in two tasks on a multi-thread runtime move a
/// large transfer whole and in order; dropping the write half shuts the
/// write side down; `reunite` gives the stream back.
#[test]
fn owned_halves_carry_a_large_transfer_and_reunite() {
    const LEN: usize = 8 << 20;
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let (a, b) = tcp_pair().await;
            // b echoes everything back through its own halves.
            let (mut b_read, mut b_write) = b.into_split();
            let echo = runtime::spawn(async move {
                let mut buf = vec![0; 64 << 10];
                loop {
                    let n = b_read.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    b_write.write_all(&buf[..n]).await.unwrap();
                }
                b_write.close().await.unwrap(); // a's reader sees the end
                b_read.reunite(b_write).unwrap()
            });
            let (mut a_read, mut a_write) = a.into_split();
            let data: Vec<u8> = (0..LEN).map(|i| (i * 7 % 251) as u8).collect();
            let expected = data.clone();
            let writer = runtime::spawn(async move {
                a_write.write_all(&data).await.unwrap();
                // Dropped here: the write side shuts down, and the echo ends.
            });
            let mut back = Vec::with_capacity(LEN);
            a_read.read_to_end(&mut back).await.unwrap();
            assert!(back == expected, "bytes lost or reordered");
            writer.await.unwrap();
            let b = echo.await.unwrap();
            assert!(b.local_addr().is_ok(), "the reunited stream");
        });
    });
}

/// Issue 29: the write half shuts down on drop (fails without it: the
/// peer's read would never end), `forget` does not, and `reunite` with
/// halves of two streams returns both in the error.
#[test]
fn write_half_drop_shuts_down_and_reunite_checks_the_pair() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (a, mut b) = UnixStream::pair().unwrap();
            let (_read, write) = a.into_split();
            drop(write);
            let mut buf = Vec::new();
            assert_eq!(b.read_to_end(&mut buf).await.unwrap(), 0, "end of stream after the drop");

            let (c, mut d) = UnixStream::pair().unwrap();
            let (_c_read, c_write) = c.into_split();
            c_write.forget();
            let mut byte = [0; 1];
            let read = std::pin::pin!(d.read(&mut byte));
            assert!(support::poll_once(read).is_pending(), "forget does not shut down");

            let (x, _) = tcp_pair().await;
            let (y, _) = tcp_pair().await;
            let (x_read, _x_write) = x.into_split();
            let (_y_read, y_write) = y.into_split();
            let error: tcp::ReuniteError = x_read.reunite(y_write).unwrap_err();
            assert!(error.to_string().contains("not from the same socket"));
            let tcp::ReuniteError(x_read, y_write) = error;
            assert!(x_read.local_addr().is_ok() && y_write.peer_addr().is_ok());
        });
    });
}

/// Issue 29: borrowed halves of one stream, reading and writing at once.
#[test]
fn borrowed_halves_read_and_write_at_once() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (mut a, b) = tcp_pair().await;
            let (mut read, mut write) = a.split();
            let echo = async {
                let mut buf = [0; 5];
                (&b).read_exact(&mut buf).await.unwrap();
                (&b).write_all(&buf).await.unwrap();
            };
            let talk = async {
                write.write_all(b"hello").await.unwrap();
                let mut buf = [0; 5];
                read.read_exact(&mut buf).await.unwrap();
                buf
            };
            let ((), buf) = futures_util::future::join(echo, talk).await;
            assert_eq!(&buf, b"hello");
            write.close().await.unwrap();
            let mut rest = Vec::new();
            (&b).read_to_end(&mut rest).await.unwrap();
            assert!(rest.is_empty());
        });
    });
}

/// Issue 29: socket options round-trip; `peek` leaves data; conversions.
#[test]
fn options_peek_and_conversions() {
    use std::os::fd::{AsFd, AsRawFd, OwnedFd};
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (a, b) = tcp_pair().await;
            a.set_linger(Some(Duration::from_secs(3))).unwrap();
            assert_eq!(a.linger().unwrap(), Some(Duration::from_secs(3)));
            a.set_linger(None).unwrap();
            assert_eq!(a.linger().unwrap(), None);
            a.set_ttl(42).unwrap();
            assert_eq!(a.ttl().unwrap(), 42);
            assert_eq!(a.set_ttl(1000).unwrap_err().raw_os_error(), Some(libc::EINVAL), "the OS error");
            assert!(a.take_error().unwrap().is_none());
            (&a).write_all(b"peek").await.unwrap();
            let mut buf = [0; 4];
            assert_eq!(b.peek(&mut buf).await.unwrap(), 4);
            let mut all = [0; 4];
            (&b).read_exact(&mut all).await.unwrap();
            assert_eq!(buf, all);

            let raw = a.as_raw_fd();
            assert_eq!(a.as_fd().as_raw_fd(), raw);
            let std_stream = a.into_std().unwrap();
            let a = TcpStream::from_std(std_stream).unwrap();
            let fd = OwnedFd::from(a);
            let a = TcpStream::try_from(fd).unwrap();
            (&a).write_all(b"!").await.unwrap();
            (&b).read_exact(&mut buf[..1]).await.unwrap();
            assert_eq!(buf[0], b'!');

            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            listener.set_ttl(7).unwrap();
            assert_eq!(listener.ttl().unwrap(), 7);
            let listener = TcpListener::from_std(listener.into_std().unwrap()).unwrap();
            assert!(listener.take_error().unwrap().is_none());
        });
    });
}

/// Issue 29: the peer's credentials on a Unix stream are this process's.
#[test]
fn unix_peer_cred_is_this_process() {
    runtime::block_on(async {
        let (a, b) = UnixStream::pair().unwrap();
        (&b).write_all(b"p").await.unwrap();
        let mut peeked = [0; 1];
        assert_eq!(a.peek(&mut peeked).await.unwrap(), 1);
        assert_eq!(std::future::poll_fn(|cx| a.poll_peek(cx, &mut peeked)).await.unwrap(), 1, "still there");
        let cred: unix::UCred = a.peer_cred().unwrap();
        assert_eq!(cred.pid(), Some(std::process::id() as i32));
        use std::os::unix::fs::MetadataExt;
        let me = std::fs::metadata("/proc/self").unwrap();
        assert_eq!((cred.uid(), cred.gid()), (me.uid(), me.gid()));
        let (read, write) = a.into_split();
        assert!(read.reunite(write).is_ok());
    });
}
