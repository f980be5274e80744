//! A server process for the network benchmarks, the same workload on each
//! runtime: `net_server RUNTIME WORKLOAD` with RUNTIME one of runtime, tokio,
//! smol, epoll (a hand-written single-threaded epoll loop: the limit) and
//! WORKLOAD one of echo, echo_split (the echo through each runtime's split
//! halves), http, idle, udp (a UDP echo). It prints its address on the first
//! line; `idle` then prints `accepted N` every 1,000 connections.

use std::io::Write;

/// Worker threads: `BENCH_WORKERS`, else 2 (as the harness).
fn workers() -> usize {
    std::env::var("BENCH_WORKERS").map_or(2, |n| n.parse().expect("BENCH_WORKERS=N"))
}
const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";

#[derive(Clone, Copy, PartialEq)]
enum Workload {
    Echo,
    EchoSplit,
    Http,
    Idle,
    Udp,
}

fn announce(addr: std::net::SocketAddr) {
    println!("{addr}");
    std::io::stdout().flush().unwrap();
}

fn count_accepted(accepted: &std::sync::atomic::AtomicUsize) {
    let n = accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    if n.is_multiple_of(1000) {
        println!("accepted {n}");
        std::io::stdout().flush().unwrap();
    }
}

/// Answers every complete request head in `buf[..filled]`, appending the
/// responses to `out`; returns how many bytes were consumed.
fn answer_requests(buf: &[u8], out: &mut Vec<u8>) -> usize {
    let mut start = 0;
    while let Some(end) = buf[start..].windows(4).position(|w| w == b"\r\n\r\n") {
        out.extend_from_slice(RESPONSE);
        start += end + 4;
    }
    start
}

fn main() {
    // 5,000 idle connections need more than the usual 1,024 descriptors.
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `limit` is a live rlimit for the kernel to fill, then to read.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let workload = match args.get(1).map(String::as_str) {
        Some("echo") => Workload::Echo,
        Some("echo_split") => Workload::EchoSplit,
        Some("http") => Workload::Http,
        Some("idle") => Workload::Idle,
        Some("udp") => Workload::Udp,
        _ => panic!("usage: net_server runtime|tokio|smol|epoll echo|echo_split|http|idle|udp"),
    };
    match args[0].as_str() {
        "runtime" => ours::serve(workload),
        "tokio" => with_tokio::serve(workload),
        "smol" => with_smol::serve(workload),
        "epoll" => epoll_loop::serve(workload),
        other => panic!("unknown runtime {other}"),
    }
}

/// The UDP echo on runtime or tokio (the same API): `workers()` tasks share
/// one socket, each receiving a datagram and sending it back.
macro_rules! udp_echo {
    ($rt:ident) => {{
        let socket = std::sync::Arc::new($rt::net::UdpSocket::bind("127.0.0.1:0").await.unwrap());
        announce(socket.local_addr().unwrap());
        let tasks: Vec<_> = (0..workers())
            .map(|_| {
                let socket = socket.clone();
                $rt::spawn(async move {
                    let mut buf = [0; 2048];
                    while let Ok((n, from)) = socket.recv_from(&mut buf).await {
                        let _ = socket.send_to(&buf[..n], from).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            let _ = task.await;
        }
    }};
}

/// The connection handlers on the futures-io traits (runtime and smol).
mod futures_io_handlers {
    use futures_util::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

    pub async fn echo(mut stream: impl AsyncRead + AsyncWrite + Unpin) {
        let mut buf = vec![0; 4096];
        while let Ok(n @ 1..) = stream.read(&mut buf).await {
            if stream.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    }

    /// The echo from a read half into a write half.
    pub async fn echo_halves(mut read: impl AsyncRead + Unpin, mut write: impl AsyncWrite + Unpin) {
        let mut buf = vec![0; 4096];
        while let Ok(n @ 1..) = read.read(&mut buf).await {
            if write.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    }

    pub async fn http(mut stream: impl AsyncRead + AsyncWrite + Unpin) {
        let (mut buf, mut filled, mut out) = (vec![0; 4096], 0, Vec::new());
        while let Ok(n @ 1..) = stream.read(&mut buf[filled..]).await {
            filled += n;
            let used = super::answer_requests(&buf[..filled], &mut out);
            if stream.write_all(&out).await.is_err() {
                return;
            }
            out.clear();
            buf.copy_within(used..filled, 0);
            filled -= used;
            if filled == buf.len() {
                return;
            }
        }
    }

    pub async fn idle(mut stream: impl AsyncRead + Unpin) {
        let mut buf = [0; 1];
        let _ = stream.read(&mut buf).await;
    }
}

mod ours {
    use super::*;
    use futures_util::StreamExt;

    pub fn serve(workload: Workload) {
        let rt = runtime::Builder::new_multi_thread().worker_threads(workers()).build().unwrap();
        rt.block_on(async {
            if workload == Workload::Udp {
                return udp_echo!(runtime);
            }
            let listener = runtime::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            announce(listener.local_addr().unwrap());
            let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let mut incoming = listener.incoming();
            while let Some(Ok(stream)) = incoming.next().await {
                let _ = stream.set_nodelay(true);
                count_accepted(&accepted);
                runtime::spawn(async move {
                    match workload {
                        Workload::Echo => futures_io_handlers::echo(stream).await,
                        Workload::EchoSplit => {
                            let (read, write) = stream.into_split();
                            futures_io_handlers::echo_halves(read, write).await
                        }
                        Workload::Http => futures_io_handlers::http(stream).await,
                        Workload::Idle | Workload::Udp => futures_io_handlers::idle(stream).await,
                    }
                });
            }
        });
    }
}

mod with_smol {
    use super::*;

    pub fn serve(workload: Workload) {
        let executor = std::sync::Arc::new(smol::Executor::new());
        for _ in 1..workers() {
            let executor = executor.clone();
            std::thread::spawn(move || smol::block_on(executor.run(std::future::pending::<()>())));
        }
        smol::block_on(executor.clone().run(async move {
            if workload == Workload::Udp {
                let socket = smol::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
                announce(socket.local_addr().unwrap());
                let tasks: Vec<_> = (0..workers())
                    .map(|_| {
                        let socket = socket.clone();
                        executor.spawn(async move {
                            let mut buf = [0; 2048];
                            while let Ok((n, from)) = socket.recv_from(&mut buf).await {
                                let _ = socket.send_to(&buf[..n], from).await;
                            }
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await;
                }
                return;
            }
            let listener = smol::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            announce(listener.local_addr().unwrap());
            let accepted = std::sync::atomic::AtomicUsize::new(0);
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let _ = stream.set_nodelay(true);
                count_accepted(&accepted);
                executor
                    .spawn(async move {
                        match workload {
                            Workload::Echo => futures_io_handlers::echo(stream).await,
                            // smol's halves: two handles on one socket.
                            Workload::EchoSplit => futures_io_handlers::echo_halves(stream.clone(), stream).await,
                            Workload::Http => futures_io_handlers::http(stream).await,
                            Workload::Idle | Workload::Udp => futures_io_handlers::idle(stream).await,
                        }
                    })
                    .detach();
            }
        }));
    }
}

mod with_tokio {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    pub fn serve(workload: Workload) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(workers()).enable_all().build().unwrap();
        rt.block_on(async {
            if workload == Workload::Udp {
                return udp_echo!(tokio);
            }
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            announce(listener.local_addr().unwrap());
            let accepted = std::sync::atomic::AtomicUsize::new(0);
            loop {
                let Ok((mut stream, _)) = listener.accept().await else { continue };
                let _ = stream.set_nodelay(true);
                count_accepted(&accepted);
                tokio::spawn(async move {
                    let mut buf = vec![0; if workload == Workload::Idle { 1 } else { 4096 }];
                    match workload {
                        Workload::Echo => {
                            while let Ok(n @ 1..) = stream.read(&mut buf).await {
                                if stream.write_all(&buf[..n]).await.is_err() {
                                    return;
                                }
                            }
                        }
                        Workload::EchoSplit => {
                            let (mut read, mut write) = stream.into_split();
                            while let Ok(n @ 1..) = read.read(&mut buf).await {
                                if write.write_all(&buf[..n]).await.is_err() {
                                    return;
                                }
                            }
                        }
                        Workload::Http => {
                            let (mut filled, mut out) = (0, Vec::new());
                            while let Ok(n @ 1..) = stream.read(&mut buf[filled..]).await {
                                filled += n;
                                let used = answer_requests(&buf[..filled], &mut out);
                                if stream.write_all(&out).await.is_err() {
                                    return;
                                }
                                out.clear();
                                buf.copy_within(used..filled, 0);
                                filled -= used;
                                if filled == buf.len() {
                                    return;
                                }
                            }
                        }
                        Workload::Idle | Workload::Udp => {
                            let _ = stream.read(&mut buf).await;
                        }
                    }
                });
            }
        });
    }
}

/// A single-threaded edge-triggered epoll loop with per-connection buffers:
/// what the hardware can do with no runtime at all.
mod epoll_loop {
    use super::*;
    use std::collections::HashMap;
    use std::io::{ErrorKind, Read};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::AsRawFd;

    struct Conn {
        stream: TcpStream,
        buf: Vec<u8>,
        filled: usize,
        out: Vec<u8>,
    }

    fn epoll_add(epoll: i32, fd: i32) {
        let mut event =
            libc::epoll_event { events: (libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLET) as u32, u64: fd as u64 };
        // SAFETY: `event` is live for the call; both descriptors are open.
        assert_eq!(unsafe { libc::epoll_ctl(epoll, libc::EPOLL_CTL_ADD, fd, &mut event) }, 0);
    }

    /// The UDP echo: one thread, recvfrom and sendto until EAGAIN.
    fn serve_udp() {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        announce(socket.local_addr().unwrap());
        // SAFETY: no pointers.
        let epoll = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        epoll_add(epoll, socket.as_raw_fd());
        let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 8];
        let mut buf = [0; 2048];
        loop {
            // SAFETY: the buffer holds 8 events and outlives the call.
            unsafe { libc::epoll_wait(epoll, events.as_mut_ptr(), 8, -1) };
            while let Ok((n, from)) = socket.recv_from(&mut buf) {
                let _ = socket.send_to(&buf[..n], from);
            }
        }
    }

    pub fn serve(workload: Workload) {
        if workload == Workload::Udp {
            return serve_udp();
        }
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        announce(listener.local_addr().unwrap());
        // SAFETY: no pointers.
        let epoll = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        assert!(epoll >= 0);
        epoll_add(epoll, listener.as_raw_fd());
        let mut conns: HashMap<i32, Conn> = HashMap::new();
        let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
        let accepted = std::sync::atomic::AtomicUsize::new(0);
        loop {
            // SAFETY: the buffer holds 256 events and outlives the call.
            let n = unsafe { libc::epoll_wait(epoll, events.as_mut_ptr(), 256, -1) };
            for event in &events[..n.max(0) as usize] {
                let fd = event.u64 as i32;
                if fd == listener.as_raw_fd() {
                    while let Ok((stream, _)) = listener.accept() {
                        stream.set_nonblocking(true).unwrap();
                        stream.set_nodelay(true).unwrap();
                        count_accepted(&accepted);
                        let fd = stream.as_raw_fd();
                        epoll_add(epoll, fd);
                        let size = if workload == Workload::Idle { 1 } else { 4096 };
                        conns.insert(fd, Conn { stream, buf: vec![0; size], filled: 0, out: Vec::new() });
                    }
                    continue;
                }
                let Some(conn) = conns.get_mut(&fd) else { continue };
                if !serve_conn(conn, workload) {
                    conns.remove(&fd);
                }
            }
        }
    }

    /// Reads until EAGAIN, answering as it goes; false when the connection ended.
    fn serve_conn(conn: &mut Conn, workload: Workload) -> bool {
        loop {
            match conn.stream.read(&mut conn.buf[conn.filled..]) {
                Ok(0) => return false,
                Ok(n) => {
                    let data_end = conn.filled + n;
                    let used = match workload {
                        Workload::Echo | Workload::EchoSplit => {
                            conn.out.extend_from_slice(&conn.buf[..data_end]);
                            data_end
                        }
                        Workload::Http => answer_requests(&conn.buf[..data_end], &mut conn.out),
                        Workload::Idle | Workload::Udp => data_end,
                    };
                    conn.buf.copy_within(used..data_end, 0);
                    conn.filled = data_end - used;
                    // Loopback with small replies: the send buffer has room; a
                    // partial write would only happen under a stalled client.
                    if !conn.out.is_empty() && std::io::Write::write_all(&mut conn.stream, &conn.out).is_err() {
                        return false;
                    }
                    conn.out.clear();
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                Err(_) => return false,
            }
        }
    }
}
