//! Fairness workloads (FAIRNESS.md): the scenarios of tests/fairness.rs under
//! hostile load on every worker (one hog per worker), measured in time on
//! each runtime: the latency its well-behaved tasks see, p99 and max.

use std::future::Future;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use crate::{workers, Ours, Rt, Smol, Tokio};

pub const WORKLOADS: [&str; 5] = ["fair_timers", "fair_flood", "fair_spawner", "fair_yield", "fair_stuck"];

/// Caps on how long a hog runs when the runtime starves its neighbours.
const HOG_CAP: Duration = Duration::from_secs(2);

/// Microseconds since `start`.
fn micros(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1e6
}

/// [p99, max] of `samples`.
fn tail(mut samples: Vec<f64>) -> Vec<f64> {
    samples.sort_by(f64::total_cmp);
    vec![samples[(samples.len() - 1) * 99 / 100], samples[samples.len() - 1]]
}

/// One sample of a fairness workload: the numbers of its table rows.
pub fn sample<R: Sockets>(rt: &'static R, name: &str) -> Vec<f64> {
    match name {
        "fair_timers" => tail(rt.block_on(timers_beside_yield_loops(rt))),
        "fair_flood" => tail(requests_beside_floods(rt)),
        "fair_spawner" => tail(outside_spawns_beside_spawners(rt)),
        "fair_yield" => {
            let start = Instant::now();
            let index = rt.block_on(yielders_mid_run_index(rt));
            vec![index, start.elapsed().as_secs_f64() * 1e3]
        }
        _ => vec![stuck_worker(rt)],
    }
}

/// The labels of each workload's numbers.
pub fn labels(name: &str) -> &'static [&'static str] {
    match name {
        "fair_yield" => &["Jain mid-run", "total ms"],
        "fair_stuck" => &["queued done ms"],
        _ => &["p99 us", "max us"],
    }
}

/// One `yield_now` hog per worker beside 100 tasks that each sleep 1 ms, 20
/// times: every wake-up's lateness (µs).
async fn timers_beside_yield_loops<R: Rt>(rt: &'static R) -> Vec<f64> {
    const SLEEPERS: usize = 100;
    let done = Arc::new(AtomicUsize::new(0));
    let hogs: Vec<_> = (0..workers())
        .map(|_| {
            let done = done.clone();
            rt.spawn(async move {
                let start = Instant::now();
                while done.load(SeqCst) < SLEEPERS && start.elapsed() < HOG_CAP {
                    R::yield_now().await;
                }
            })
        })
        .collect();
    let sleepers: Vec<_> = (0..SLEEPERS)
        .map(|_| {
            let done = done.clone();
            rt.spawn(async move {
                let mut late = Vec::with_capacity(20);
                for _ in 0..20 {
                    let deadline = Instant::now() + Duration::from_millis(1);
                    R::sleep_until(deadline).await;
                    late.push(Instant::now().saturating_duration_since(deadline).as_secs_f64() * 1e6);
                }
                done.fetch_add(1, SeqCst);
                late
            })
        })
        .collect();
    let mut late = Vec::new();
    for sleeper in sleepers {
        late.extend(sleeper.await);
    }
    for hog in hogs {
        hog.await;
    }
    late
}

/// The sockets the flood workload needs, from each runtime's own types.
pub trait Sockets: Rt {
    /// Accepts one connection and reads it 64 bytes at a time until `stop`
    /// (or [`HOG_CAP`], should the runtime never let the others set it).
    fn flood_reader(listener: TcpListener, stop: Arc<AtomicBool>) -> impl Future<Output = ()> + Send;
    /// Accepts `count` connections, each echoing 8-byte requests in a task of its own.
    fn echo_server(rt: &'static Self, listener: TcpListener, count: usize) -> impl Future<Output = ()> + Send;
}

/// `Sockets` for a runtime whose TCP types have the usual shape:
/// `impl_sockets!(Runtime, listener-from-std function, io traits path)`.
macro_rules! impl_sockets {
    ($rt:ty, $from_std:path, $($io:ident)::+) => {
        impl Sockets for $rt {
            async fn flood_reader(listener: TcpListener, stop: Arc<AtomicBool>) {
                use $($io)::+::AsyncReadExt;
                let listener = $from_std(listener).unwrap();
                let (mut stream, _) = listener.accept().await.unwrap();
                let (mut buf, start) = ([0u8; 64], Instant::now());
                while !stop.load(SeqCst) && start.elapsed() < HOG_CAP {
                    if stream.read(&mut buf).await.unwrap_or(0) == 0 {
                        return;
                    }
                }
            }
            async fn echo_server(rt: &'static Self, listener: TcpListener, count: usize) {
                use $($io)::+::{AsyncReadExt, AsyncWriteExt};
                let listener = $from_std(listener).unwrap();
                for _ in 0..count {
                    let (mut stream, _) = listener.accept().await.unwrap();
                    Self::detach(rt.spawn(async move {
                        let mut request = [0u8; 8];
                        while stream.read_exact(&mut request).await.is_ok() {
                            if stream.write_all(&request).await.is_err() {
                                return;
                            }
                        }
                    }));
                }
            }
        }
    };
}

fn tokio_listener(listener: TcpListener) -> std::io::Result<tokio::net::TcpListener> {
    listener.set_nonblocking(true)?;
    tokio::net::TcpListener::from_std(listener)
}

impl_sockets!(Ours, runtime::net::TcpListener::from_std, runtime::io);
impl_sockets!(Tokio, tokio_listener, tokio::io);
impl_sockets!(Smol, smol::net::TcpListener::try_from, smol::io);

/// A peer that keeps `addr`'s receive buffer full until the reader hangs up.
fn flooder(addr: SocketAddr) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        let chunk = [7u8; 64 * 1024];
        while stream.write(&chunk).is_ok() {}
    })
}

/// One flooded connection per worker (its peer keeps it always readable)
/// beside 50 request/response connections: every round trip's latency (µs).
fn requests_beside_floods<R: Sockets>(rt: &'static R) -> Vec<f64> {
    const CONNECTIONS: usize = 50;
    const ROUNDS: usize = 20;
    let stop = Arc::new(AtomicBool::new(false));
    let mut flooders = Vec::new();
    for _ in 0..workers() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        flooders.push(flooder(listener.local_addr().unwrap()));
        R::detach(rt.spawn(R::flood_reader(listener, stop.clone())));
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    R::detach(rt.spawn(R::echo_server(rt, listener, CONNECTIONS)));
    // One client thread walks the connections, a round trip on each in turn:
    // the latencies are the server's, not those of 50 client threads
    // queueing for 2 cores.
    let mut clients: Vec<_> = (0..CONNECTIONS).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let mut latencies = Vec::with_capacity(CONNECTIONS * ROUNDS);
    let mut reply = [0u8; 8];
    for round in 0..ROUNDS as u64 {
        for stream in &mut clients {
            let start = Instant::now();
            stream.write_all(&round.to_le_bytes()).unwrap();
            stream.read_exact(&mut reply).unwrap();
            latencies.push(micros(start));
        }
    }
    stop.store(true, SeqCst);
    for flooder in flooders {
        flooder.join().unwrap();
    }
    latencies
}

/// One endless spawning chain per worker (each task spawns the next) beside
/// 200 tasks spawned one at a time from outside: each one's wait for its first
/// poll (µs).
fn outside_spawns_beside_spawners<R: Rt>(rt: &'static R) -> Vec<f64> {
    const OUTSIDE: usize = 200;
    fn link<R: Rt>(rt: &'static R, stop: Arc<AtomicBool>, start: Instant) {
        if !stop.load(SeqCst) && start.elapsed() < HOG_CAP {
            R::detach(rt.spawn(async move { link(rt, stop, start) }));
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    for _ in 0..workers() {
        let stop = stop.clone();
        R::detach(rt.spawn(async move { link(rt, stop, Instant::now()) }));
    }
    let (first_polls, waits) = mpsc::channel();
    let mut samples = Vec::with_capacity(OUTSIDE);
    for _ in 0..OUTSIDE {
        let (first_polls, spawned) = (first_polls.clone(), Instant::now());
        R::detach(rt.spawn(async move { first_polls.send(micros(spawned)).unwrap() }));
        samples.push(waits.recv().unwrap());
    }
    stop.store(true, SeqCst);
    samples
}

/// Jain's fairness index of `xs`: 1 when all are equal, 1/n when one has all.
fn jain(xs: &[u64]) -> f64 {
    let sum: f64 = xs.iter().map(|&x| x as f64).sum();
    let squares: f64 = xs.iter().map(|&x| (x as f64) * (x as f64)).sum();
    sum * sum / (xs.len() as f64 * squares)
}

/// 1,000 tasks each yielding 1,000 times: Jain's index of their progress when
/// half of all the yields are done.
async fn yielders_mid_run_index<R: Rt>(rt: &'static R) -> f64 {
    const TASKS: usize = 1_000;
    const YIELDS: u64 = 1_000;
    let progress: Arc<Vec<AtomicU64>> = Arc::new((0..TASKS).map(|_| AtomicU64::new(0)).collect());
    let total = Arc::new(AtomicU64::new(0));
    let sample = Arc::new(Mutex::new(f64::NAN));
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let (progress, total, sample) = (progress.clone(), total.clone(), sample.clone());
            rt.spawn(async move {
                for _ in 0..YIELDS {
                    progress[i].fetch_add(1, SeqCst);
                    if total.fetch_add(1, SeqCst) + 1 == TASKS as u64 * YIELDS / 2 {
                        let now: Vec<u64> = progress.iter().map(|p| p.load(SeqCst)).collect();
                        *sample.lock().unwrap() = jain(&now);
                    }
                    R::yield_now().await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await;
    }
    let index = *sample.lock().unwrap();
    index
}

/// A task queues 10 small tasks behind itself, then spins 200 ms in a CPU
/// loop: milliseconds from the spin's start until the last of them is done
/// (about 200 when they wait for the spinning worker).
fn stuck_worker<R: Rt>(rt: &'static R) -> f64 {
    const QUEUED: usize = 10;
    const SPIN: Duration = Duration::from_millis(200);
    // `block_on` runs its future as a task: this one is the stuck task.
    let (start, finished) = rt.block_on(async move {
        let (done, finished) = mpsc::channel();
        for _ in 0..QUEUED {
            let done = done.clone();
            R::detach(rt.spawn(async move { done.send(Instant::now()).unwrap() }));
        }
        let start = Instant::now();
        while start.elapsed() < SPIN {
            std::hint::spin_loop();
        }
        (start, finished)
    });
    let last = finished.iter().take(QUEUED).max().unwrap();
    last.saturating_duration_since(start).as_secs_f64() * 1e3
}
