//! runtime::io's helpers: in-memory pipes, bidirectional copy, BufStream,
//! split, and the standard streams on the blocking pool.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use runtime::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use support::watchdog;

const LIMIT: Duration = Duration::from_secs(60);

/// A full duplex buffer makes the writer wait until the reader drains it;
/// every byte arrives in order.
#[test]
fn duplex_applies_back_pressure_and_loses_nothing() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let (mut a, mut b) = runtime::io::duplex(16);
            let data: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
            let expected = data.clone();
            let writer = runtime::spawn(async move {
                a.write_all(&data).await.unwrap();
                a.shutdown().await.unwrap();
                a
            });
            let mut got = Vec::new();
            b.read_to_end(&mut got).await.unwrap();
            assert!(got == expected);
            let a = writer.await.unwrap();
            drop(b);
            let mut a = a;
            assert_eq!(a.write(b"x").await.unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
        });
    });
}

/// A full pipe's writer is pending; dropping the other end ends reads
/// (after the buffer) and fails writes.
#[test]
fn duplex_and_simplex_closing_orders() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (mut a, b) = runtime::io::duplex(4);
            a.write_all(b"full").await.unwrap();
            let write = std::pin::pin!(a.write(b"more"));
            assert!(support::poll_once(write).is_pending(), "the buffer is full");
            drop(b);
            assert_eq!(a.write(b"more").await.unwrap_err().kind(), std::io::ErrorKind::BrokenPipe);
            let mut rest = Vec::new();
            a.read_to_end(&mut rest).await.unwrap();
            assert!(rest.is_empty(), "b wrote nothing; its drop ends a's reads");

            let (mut rx, mut tx) = runtime::io::simplex(8);
            tx.write_all(b"abc").await.unwrap();
            tx.shutdown().await.unwrap(); // dropping a split half does not close the pipe
            let mut got = String::new();
            rx.read_to_string(&mut got).await.unwrap();
            assert_eq!(got, "abc");

            let mut looped = runtime::io::SimplexStream::new_unsplit(8);
            looped.write_all(b"hi").await.unwrap();
            let mut two = [0; 2];
            looped.read_exact(&mut two).await.unwrap();
            assert_eq!(&two, b"hi");
        });
    });
}

/// A proxy over real sockets: both directions, the half-closes passed on,
/// the counts returned.
#[test]
fn copy_bidirectional_proxies_and_passes_half_closes_on() {
    use runtime::net::{TcpListener, TcpStream};
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let upstream = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let upstream_addr = upstream.local_addr().unwrap();
            let front = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let front_addr = front.local_addr().unwrap();
            let server = runtime::spawn(async move {
                let (mut conn, _) = upstream.accept().await.unwrap();
                let mut request = Vec::new();
                conn.read_to_end(&mut request).await.unwrap();
                conn.write_all(&request.repeat(2)).await.unwrap();
            });
            let proxy = runtime::spawn(async move {
                let (mut client_side, _) = front.accept().await.unwrap();
                let mut server_side = TcpStream::connect(upstream_addr).await.unwrap();
                runtime::io::copy_bidirectional_with_sizes(&mut client_side, &mut server_side, 1024, 4096).await
            });
            let mut client = TcpStream::connect(front_addr).await.unwrap();
            let request = vec![9u8; 300_000];
            client.write_all(&request).await.unwrap();
            client.shutdown().await.unwrap();
            let mut reply = Vec::new();
            client.read_to_end(&mut reply).await.unwrap();
            assert_eq!(reply.len(), 600_000);
            assert_eq!(proxy.await.unwrap().unwrap(), (300_000, 600_000));
            server.await.unwrap();
        });
    });
}

/// BufStream buffers writes until a flush and reads through a buffer.
#[test]
fn buf_stream_buffers_both_ways() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (a, mut b) = runtime::io::duplex(1024);
            let mut a = runtime::io::BufStream::with_capacity(64, 64, a);
            a.write_all(b"hello\n").await.unwrap();
            let mut probe = [0; 1];
            let read = std::pin::pin!(b.read(&mut probe));
            assert!(support::poll_once(read).is_pending(), "still in the write buffer");
            a.flush().await.unwrap();
            let mut line = [0; 6];
            b.read_exact(&mut line).await.unwrap();
            b.write_all(b"one\ntwo\n").await.unwrap();
            let mut first = String::new();
            a.read_line(&mut first).await.unwrap();
            assert_eq!(first, "one\n");
            assert_eq!(a.fill_buf().await.unwrap(), b"two\n", "the rest came in the same read");
            let _inner: &runtime::io::DuplexStream = a.get_ref();
        });
    });
}

/// `runtime::io::split` halves in two tasks.
#[test]
fn split_halves_work_from_two_tasks() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (a, mut b) = runtime::io::duplex(64);
            let (mut read, mut write) = runtime::io::split(a);
            let writer = runtime::spawn(async move { write.write_all(b"to b").await });
            let mut buf = [0; 4];
            b.read_exact(&mut buf).await.unwrap();
            b.write_all(b"to a").await.unwrap();
            read.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"to a");
            writer.await.unwrap().unwrap();
        });
    });
}

const CHILD: &str = "RUNTIME_IO_UTIL_CHILD";
const LINES: usize = 20_000;

/// Runs this test binary's test `name` as a child with `CHILD` set, feeding
/// it `input`; returns its standard output.
fn run_child(name: &str, input: &[u8]) -> String {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the child failed");
    String::from_utf8(output.stdout).unwrap()
}

/// Everything written before a `flush` that returned is out of the
/// process, even when it exits at once after (fails if the flush did not
/// wait for the write in flight).
#[test]
fn stdout_loses_nothing_that_flush_reported_written() {
    if std::env::var_os(CHILD).is_some() {
        runtime::block_on(async {
            let mut out = runtime::io::stdout();
            out.write_all(b"\n").await.unwrap(); // past the harness's "test ... " prefix
            for i in 0..LINES {
                out.write_all(format!("line {i}\n").as_bytes()).await.unwrap();
            }
            out.flush().await.unwrap();
        });
        std::process::exit(0);
    }
    watchdog(LIMIT, || {
        let text = run_child("stdout_loses_nothing_that_flush_reported_written", b"");
        let lines: Vec<&str> = text.lines().filter(|line| line.starts_with("line ")).collect();
        assert_eq!(lines.len(), LINES);
        assert!(lines.iter().enumerate().all(|(i, line)| *line == format!("line {i}")), "out of order");
    });
}

/// Standard input read through the pool, line by line.
#[test]
fn stdin_reads_every_line() {
    if std::env::var_os(CHILD).is_some() {
        runtime::block_on(async {
            let mut lines = runtime::io::BufReader::new(runtime::io::stdin()).lines();
            let mut count = 0;
            let mut sum = 0u64;
            while let Some(line) = lines.next_line().await.unwrap() {
                count += 1;
                sum += line.parse::<u64>().unwrap();
            }
            let mut err = runtime::io::stderr();
            err.flush().await.unwrap();
            let mut out = runtime::io::stdout();
            out.write_all(format!("\nread {count} {sum}\n").as_bytes()).await.unwrap();
            out.flush().await.unwrap();
        });
        std::process::exit(0);
    }
    watchdog(LIMIT, || {
        let input: String = (1..=5000u64).map(|i| format!("{i}\n")).collect();
        let text = run_child("stdin_reads_every_line", input.as_bytes());
        assert!(text.contains("read 5000 12502500"), "{text}");
    });
}

/// `empty`, `sink` and `repeat` spend the task's budget: a loop over them
/// inside `select!` lets the other branch run (it would spin forever
/// otherwise), and each does what tokio's does.
#[test]
fn empty_sink_and_repeat_are_cooperative() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            runtime::select! {
                biased;
                _ = async {
                    loop {
                        let mut buf = [0; 16];
                        let _ = runtime::io::empty().read(&mut buf).await;
                        let _ = runtime::io::sink().write(&buf).await;
                        let _ = runtime::io::repeat(1).read(&mut buf).await;
                    }
                } => unreachable!(),
                _ = runtime::task::yield_now() => {}
            }
            use runtime::io::AsyncSeekExt;
            let mut empty = runtime::io::empty();
            assert_eq!(empty.seek(std::io::SeekFrom::End(-5)).await.unwrap(), 0);
            assert_eq!(empty.write(b"abc").await.unwrap(), 3);
            let mut line = String::new();
            assert_eq!(runtime::io::BufReader::new(runtime::io::empty()).read_line(&mut line).await.unwrap(), 0);
        });
    });
}
