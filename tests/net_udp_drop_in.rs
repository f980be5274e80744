//! tokio's UdpSocket surface: the try and poll forms, peeking, readiness,
//! options (the OS's error where Linux refuses), conversions.

mod support;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use runtime::io::Interest;
use runtime::net::UdpSocket;
use support::watchdog;

const LIMIT: Duration = Duration::from_secs(60);

async fn two() -> (UdpSocket, UdpSocket) {
    (UdpSocket::bind("127.0.0.1:0").await.unwrap(), UdpSocket::bind("127.0.0.1:0").await.unwrap())
}

#[test]
fn try_forms_never_wait_and_peeks_leave_the_datagram() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (a, b) = two().await;
            let b_addr = b.local_addr().unwrap();
            let mut buf = [0; 32];
            assert_eq!(b.try_recv_from(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
            a.writable().await.unwrap();
            assert_eq!(a.try_send_to(b"first", b_addr).unwrap(), 5);
            a.send_to(b"second", b_addr).await.unwrap();
            assert_eq!(b.peek_sender().await.unwrap(), a.local_addr().unwrap());
            let (n, from) = b.peek_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&b"first"[..], a.local_addr().unwrap()));
            assert_eq!(b.peek(&mut buf).await.unwrap(), 5);
            assert_eq!(b.try_peek_from(&mut buf).unwrap().0, 5);
            assert_eq!(b.try_peek_sender().unwrap(), a.local_addr().unwrap());
            let (n, _) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"first", "peeks took nothing");
            b.readable().await.unwrap();
            let (n, _) = b.try_recv_from(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"second");
            assert_eq!(b.try_recv_from(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
            let mut readable = std::pin::pin!(b.readable());
            assert!(support::poll_once(readable.as_mut()).is_pending(), "the WouldBlock cleared it");
        });
    });
}

#[test]
fn poll_forms_drive_a_datagram_both_ways() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (a, b) = two().await;
            let b_addr = b.local_addr().unwrap();
            std::future::poll_fn(|cx| a.poll_send_ready(cx)).await.unwrap();
            let sent = std::future::poll_fn(|cx| a.poll_send_to(cx, b"ping", b_addr)).await.unwrap();
            assert_eq!(sent, 4);
            let mut buf = [0; 8];
            std::future::poll_fn(|cx| b.poll_recv_ready(cx)).await.unwrap();
            let (n, from): (usize, SocketAddr) =
                std::future::poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await.unwrap();
            assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr().unwrap()));
            let n = std::future::poll_fn(|cx| b.poll_peek_sender(cx));
            let pending = std::pin::pin!(n);
            assert!(support::poll_once(pending).is_pending());

            // Connected: send/recv and their try and poll forms.
            a.connect(b_addr).await.unwrap();
            b.connect(a.local_addr().unwrap()).await.unwrap();
            a.send(b"c1").await.unwrap();
            std::future::poll_fn(|cx| a.poll_send(cx, b"c2")).await.unwrap();
            assert_eq!(b.recv(&mut buf).await.unwrap(), 2);
            let n = std::future::poll_fn(|cx| b.poll_recv(cx, &mut buf)).await.unwrap();
            assert_eq!(&buf[..n], b"c2");
            let ready = b.ready(Interest::READABLE | Interest::WRITABLE).await.unwrap();
            assert!(ready.is_writable());
            a.try_send(b"c3").unwrap();
            let got = loop {
                b.readable().await.unwrap();
                match b.try_recv(&mut buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                    Err(e) => panic!("{e}"),
                }
            };
            assert_eq!(&buf[..got], b"c3");
        });
    });
}

#[test]
fn options_round_trip_or_return_the_os_error() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (a, _) = two().await;
            a.set_broadcast(true).unwrap();
            assert!(a.broadcast().unwrap());
            a.set_multicast_loop_v4(false).unwrap();
            assert!(!a.multicast_loop_v4().unwrap());
            a.set_multicast_ttl_v4(9).unwrap();
            assert_eq!(a.multicast_ttl_v4().unwrap(), 9);
            a.set_ttl(33).unwrap();
            assert_eq!(a.ttl().unwrap(), 33);
            a.set_tos(0x10).unwrap();
            assert_eq!(a.tos().unwrap(), 0x10);
            assert!(a.take_error().unwrap().is_none());
            let not_multicast = a.join_multicast_v4(Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::UNSPECIFIED);
            assert_eq!(not_multicast.unwrap_err().raw_os_error(), Some(libc::EINVAL));
            match a.join_multicast_v4(Ipv4Addr::new(239, 1, 2, 3), Ipv4Addr::LOCALHOST) {
                Ok(()) => a.leave_multicast_v4(Ipv4Addr::new(239, 1, 2, 3), Ipv4Addr::LOCALHOST).unwrap(),
                Err(error) => assert!(error.raw_os_error().is_some(), "an OS error, not a panic: {error}"),
            }
            assert!(a.multicast_loop_v6().is_err(), "an IPv4 socket: the OS refuses");
            match a.bind_device(Some(b"lo")) {
                Ok(()) => {
                    assert_eq!(a.device().unwrap().as_deref(), Some(&b"lo"[..]));
                    a.bind_device(None).unwrap();
                    assert_eq!(a.device().unwrap(), None);
                }
                Err(error) => assert_eq!(error.raw_os_error(), Some(libc::EPERM)),
            }
            if let Ok(v6) = UdpSocket::bind("[::1]:0").await {
                v6.set_multicast_loop_v6(false).unwrap();
                assert!(!v6.multicast_loop_v6().unwrap());
            }
        });
    });
}

#[test]
fn try_io_async_io_and_conversions() {
    use std::os::fd::{AsFd, AsRawFd};
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (a, b) = two().await;
            let std_socket = a.into_std().unwrap();
            let a = UdpSocket::try_from(std_socket).unwrap();
            assert_eq!(a.as_fd().as_raw_fd(), a.as_raw_fd());
            let b_addr = b.local_addr().unwrap();
            let std_b = b.into_std().unwrap();
            let b = UdpSocket::from_std(std_b).unwrap();
            let sender = runtime::spawn(async move {
                runtime::time::sleep(Duration::from_millis(20)).await;
                a.send_to(b"late", b_addr).await.unwrap();
                a
            });
            let mut buf = [0; 8];
            let raw = b.as_raw_fd();
            let n = b
                .async_io(Interest::READABLE, || {
                    // SAFETY: `raw` is b's open descriptor and `buf` is writable for its length.
                    let n = unsafe { libc::recv(raw, buf.as_mut_ptr().cast(), buf.len(), 0) };
                    if n < 0 {
                        Err(std::io::Error::last_os_error())
                    } else {
                        Ok(n as usize)
                    }
                })
                .await
                .unwrap();
            assert_eq!(&buf[..n], b"late");
            let blocked = b.try_io(Interest::READABLE, || Err::<(), _>(std::io::ErrorKind::WouldBlock.into()));
            assert_eq!(blocked.unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
            sender.await.unwrap();
        });
    });
}
