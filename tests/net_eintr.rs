//! Signals that interrupt system calls (EINTR): the reactor, the workers and
//! every socket operation carry on, and no byte is lost. Its own test binary,
//! because it installs a signal handler for the whole process.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use runtime::io::{AsyncReadExt, AsyncWriteExt};
use runtime::net::{TcpListener, TcpStream};
use support::{os, watchdog};

#[test]
fn transfers_survive_a_storm_of_interrupting_signals() {
    os::interrupting_sigusr1();
    let done = Arc::new(AtomicBool::new(false));
    // Signals every thread (reactor, workers, blocking pool) while the transfer runs.
    let storm = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut sent = 0u64;
            while !done.load(Ordering::Relaxed) {
                os::signal_every_thread();
                sent += 1;
                std::thread::sleep(Duration::from_micros(200));
            }
            sent
        })
    };
    let rt = runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    watchdog(Duration::from_secs(60), move || {
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let data: Vec<u8> = (0..16 << 20).map(|i| (i % 241) as u8).collect();
            let expected = data.clone();
            let sender = runtime::spawn(async move {
                let (mut stream, _) = listener.accept().await.unwrap();
                for chunk in data.chunks(100_000) {
                    stream.write_all(chunk).await.unwrap();
                    // Idle moments too, so workers park (and wait in epoll) under the storm.
                    runtime::task::yield_now().await;
                }
            });
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let mut received = Vec::with_capacity(expected.len());
            stream.read_to_end(&mut received).await.unwrap();
            sender.await.unwrap();
            assert!(received == expected, "bytes lost or reordered under EINTR");
        })
    });
    done.store(true, Ordering::Relaxed);
    assert!(storm.join().unwrap() > 0);
}
