//! A mixed workload with the live console on: timers, a TCP echo server and
//! its clients, a contended mutex, and one task whose polls are slow.
//!
//! ```text
//! cargo run --example console          # then open http://127.0.0.1:6669/
//! CONSOLE_ADDR=0.0.0.0:8080 cargo run --example console
//! ```
//!
//! `EXAMPLE_SECONDS=N` stops it after N seconds (the tests use it).

use std::sync::Arc;
use std::time::Duration;

use runtime::io::{AsyncReadExt, AsyncWriteExt};
use runtime::net::{TcpListener, TcpStream};
use runtime::sync::Mutex;

fn main() -> std::io::Result<()> {
    let addr = std::env::var("CONSOLE_ADDR").unwrap_or_else(|_| "6669".to_string());
    let rt =
        runtime::Builder::new_multi_thread().worker_threads(2).enable_poll_time_histogram().console(addr).build()?;
    let console = rt.console_addr().expect("the console serves");
    println!("console at http://{console}/");
    let seconds = std::env::var("EXAMPLE_SECONDS").ok().and_then(|s| s.parse().ok());
    rt.block_on(async move {
        runtime::spawn(timers());
        runtime::spawn(echo()?);
        runtime::spawn(contended());
        runtime::spawn(slow());
        match seconds {
            Some(seconds) => runtime::time::sleep(Duration::from_secs(seconds)).await,
            None => std::future::pending().await,
        }
        Ok(())
    })
}

/// Tasks that wake on timers of different periods.
async fn timers() {
    for period in [10, 100, 1000] {
        runtime::spawn(async move {
            let mut interval = runtime::time::interval(Duration::from_millis(period));
            loop {
                interval.tick().await;
            }
        });
    }
}

/// An echo server on loopback and ten clients that talk to it.
fn echo() -> std::io::Result<impl std::future::Future<Output = ()>> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let listener = TcpListener::from_std(listener)?;
    Ok(async move {
        for _ in 0..10 {
            runtime::spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                let mut buf = [0; 64];
                loop {
                    stream.write_all(&[7; 64]).await.unwrap();
                    stream.read_exact(&mut buf).await.unwrap();
                    runtime::time::sleep(Duration::from_millis(5)).await;
                }
            });
        }
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            runtime::spawn(async move {
                let (mut read, mut write) = stream.into_split();
                let mut buf = [0; 4096];
                while let Ok(n @ 1..) = read.read(&mut buf).await {
                    if write.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    })
}

/// Eight tasks taking turns on one mutex, each holding it a while.
async fn contended() {
    let shared = Arc::new(Mutex::new(0u64));
    for _ in 0..8 {
        let shared = shared.clone();
        runtime::spawn(async move {
            loop {
                let mut count = shared.lock().await;
                *count += 1;
                runtime::time::sleep(Duration::from_millis(20)).await;
                drop(count);
            }
        });
    }
}

/// A task whose every poll computes for 30 ms: the console's slow one.
async fn slow() {
    loop {
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_millis(30) {
            std::hint::spin_loop();
        }
        runtime::time::sleep(Duration::from_millis(200)).await;
    }
}
