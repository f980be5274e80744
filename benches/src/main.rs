//! The comparison harness: each workload on runtime, tokio (multi-thread, 2
//! workers) and smol (async-executor on 2 threads), interleaved over rounds,
//! reporting medians and the ratios runtime/tokio and runtime/smol.
//!
//! `cargo run --release -p runtime-benches -- [--rounds N] [--only RUNTIME[,RUNTIME]] [WORKLOAD ...]`
//!
//! `--only runtime,tokio` runs only the runtimes named (comma-separated), for
//! profiling one or comparing two (the file workloads also know `std`).
//! `BENCH_WORKERS=N` gives every runtime, and the network benchmarks' servers,
//! N worker threads instead of 2 (to see how they scale on a machine with
//! more cores).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_channel::{mpsc, oneshot};

mod fairness;
mod files;
mod macros;
mod net;
mod process;
mod sync;
mod table;
mod timers;

use futures_util::{SinkExt, StreamExt};
use table::{median, Table};

/// Worker threads per runtime: `BENCH_WORKERS`, else 2.
fn workers() -> usize {
    static WORKERS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *WORKERS.get_or_init(|| std::env::var("BENCH_WORKERS").map_or(2, |n| n.parse().expect("BENCH_WORKERS=N")))
}

/// What a workload needs from a runtime.
trait Rt: Sync + 'static {
    type Join<T: Send + 'static>: Future<Output = T> + Send + 'static;
    fn new() -> Self;
    fn block_on<F: Future + Send + 'static>(&'static self, future: F) -> F::Output
    where
        F::Output: Send;
    fn spawn<F>(&'static self, future: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
    fn yield_now() -> impl Future<Output = ()> + Send;
    fn sleep_until(deadline: Instant) -> impl Future<Output = ()> + Send;
    /// `future`'s output, or `None` once `duration` passed first.
    fn timeout<F: Future + Send>(duration: Duration, future: F) -> impl Future<Output = Option<F::Output>> + Send;
    fn abort<T: Send + 'static>(join: Self::Join<T>);
    /// Lets the task run on without its handle.
    fn detach<T: Send + 'static>(join: Self::Join<T>) {
        drop(join);
    }
}

/// A join future that unwraps the runtime's Result.
struct Unwrap<H>(H);

impl<H: Future<Output = Result<T, E>> + Unpin, T, E: std::fmt::Debug> Future for Unwrap<H> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0).poll(cx).map(|r| r.expect("benchmark task failed"))
    }
}

struct Ours(runtime::Runtime);
impl Rt for Ours {
    type Join<T: Send + 'static> = Unwrap<runtime::JoinHandle<T>>;
    fn new() -> Self {
        Ours(runtime::Builder::new_multi_thread().worker_threads(workers()).build().unwrap())
    }
    fn block_on<F: Future + Send + 'static>(&'static self, future: F) -> F::Output
    where
        F::Output: Send,
    {
        self.0.block_on(self.0.spawn(future)).unwrap()
    }
    fn spawn<F: Future + Send + 'static>(&'static self, future: F) -> Self::Join<F::Output>
    where
        F::Output: Send + 'static,
    {
        Unwrap(self.0.spawn(future))
    }
    fn yield_now() -> impl Future<Output = ()> + Send {
        runtime::task::yield_now()
    }
    fn sleep_until(deadline: Instant) -> impl Future<Output = ()> + Send {
        runtime::time::sleep_until(deadline)
    }
    async fn timeout<F: Future + Send>(duration: Duration, future: F) -> Option<F::Output> {
        runtime::time::timeout(duration, future).await.ok()
    }
    fn abort<T: Send + 'static>(join: Self::Join<T>) {
        join.0.abort();
    }
}

struct Tokio(tokio::runtime::Runtime);
impl Rt for Tokio {
    type Join<T: Send + 'static> = Unwrap<tokio::task::JoinHandle<T>>;
    fn new() -> Self {
        // With its I/O and time drivers, as applications run it (and as ours always runs).
        Tokio(tokio::runtime::Builder::new_multi_thread().worker_threads(workers()).enable_all().build().unwrap())
    }
    fn block_on<F: Future + Send + 'static>(&'static self, future: F) -> F::Output
    where
        F::Output: Send,
    {
        self.0.block_on(self.0.spawn(future)).unwrap()
    }
    fn spawn<F: Future + Send + 'static>(&'static self, future: F) -> Self::Join<F::Output>
    where
        F::Output: Send + 'static,
    {
        Unwrap(self.0.spawn(future))
    }
    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }
    fn sleep_until(deadline: Instant) -> impl Future<Output = ()> + Send {
        tokio::time::sleep_until(deadline.into())
    }
    async fn timeout<F: Future + Send>(duration: Duration, future: F) -> Option<F::Output> {
        tokio::time::timeout(duration, future).await.ok()
    }
    fn abort<T: Send + 'static>(join: Self::Join<T>) {
        join.0.abort();
    }
}

struct Smol(Arc<smol::Executor<'static>>);
impl Rt for Smol {
    type Join<T: Send + 'static> = smol::Task<T>;
    fn new() -> Self {
        let executor = Arc::new(smol::Executor::new());
        for _ in 0..workers() {
            let executor = executor.clone();
            std::thread::spawn(move || smol::block_on(executor.run(std::future::pending::<()>())));
        }
        Smol(executor)
    }
    fn block_on<F: Future + Send + 'static>(&'static self, future: F) -> F::Output
    where
        F::Output: Send,
    {
        smol::block_on(self.0.spawn(future))
    }
    fn spawn<F: Future + Send + 'static>(&'static self, future: F) -> Self::Join<F::Output>
    where
        F::Output: Send + 'static,
    {
        self.0.spawn(future)
    }
    fn yield_now() -> impl Future<Output = ()> + Send {
        smol::future::yield_now()
    }
    async fn sleep_until(deadline: Instant) {
        smol::Timer::at(deadline).await;
    }
    async fn timeout<F: Future + Send>(duration: Duration, future: F) -> Option<F::Output> {
        // The timer is made up front, as the other runtimes' timeouts do.
        let timer = smol::Timer::after(duration);
        smol::future::or(async { Some(future.await) }, async {
            timer.await;
            None
        })
        .await
    }
    fn abort<T: Send + 'static>(join: Self::Join<T>) {
        drop(join);
    }
    fn detach<T: Send + 'static>(join: Self::Join<T>) {
        join.detach();
    }
}

async fn spawn_many<R: Rt>(rt: &'static R) {
    let handles: Vec<_> = (0..100_000).map(|_| rt.spawn(async {})).collect();
    for handle in handles {
        handle.await;
    }
}

async fn yield_many<R: Rt>(rt: &'static R) {
    let handles: Vec<_> = (0..1_000)
        .map(|_| {
            rt.spawn(async {
                for _ in 0..100 {
                    R::yield_now().await;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await;
    }
}

async fn ping_pong<R: Rt>(rt: &'static R) {
    let handles: Vec<_> = (0..1_000)
        .map(|_| {
            let (mut ping_tx, mut ping_rx) = mpsc::channel::<u32>(1);
            let (mut pong_tx, mut pong_rx) = mpsc::channel::<u32>(1);
            let ponger = rt.spawn(async move {
                while let Some(n) = ping_rx.next().await {
                    pong_tx.send(n).await.unwrap();
                }
            });
            let pinger = rt.spawn(async move {
                for i in 0..100 {
                    ping_tx.send(i).await.unwrap();
                    assert_eq!(pong_rx.next().await, Some(i));
                }
            });
            (pinger, ponger)
        })
        .collect();
    for (pinger, ponger) in handles {
        pinger.await;
        ponger.await;
    }
}

fn chain<R: Rt>(rt: &'static R, left: usize, done: oneshot::Sender<()>) {
    if left == 0 {
        let _ = done.send(());
        return;
    }
    R::detach(rt.spawn(async move { chain(rt, left - 1, done) }));
}

async fn chained_spawn<R: Rt>(rt: &'static R) {
    let (tx, rx) = oneshot::channel();
    chain(rt, 100_000, tx);
    rx.await.unwrap();
}

type Workload<R> = fn(&'static R) -> Pin<Box<dyn Future<Output = ()> + Send>>;

fn workloads<R: Rt>() -> Vec<(&'static str, Workload<R>)> {
    vec![
        ("spawn_many", |rt| Box::pin(spawn_many(rt))),
        ("yield_many", |rt| Box::pin(yield_many(rt))),
        ("ping_pong", |rt| Box::pin(ping_pong(rt))),
        ("chained_spawn", |rt| Box::pin(chained_spawn(rt))),
    ]
}

fn time<R: Rt>(rt: &'static R, workload: Workload<R>) -> Duration {
    let start = Instant::now();
    rt.block_on(workload(rt));
    start.elapsed()
}

/// Resident memory in bytes, from /proc/self/statm.
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

const MEM_TASKS: usize = 100_000;

/// A small future that parks forever after its first poll.
struct Parked(Arc<AtomicUsize>, bool);
impl Future for Parked {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if !self.1 {
            self.1 = true;
            self.0.fetch_add(1, Ordering::Release);
        }
        Poll::Pending
    }
}

/// Bytes of resident memory per parked task (run in a fresh process).
fn mem_tasks<R: Rt>() -> f64 {
    let rt: &'static R = Box::leak(Box::new(R::new()));
    let polled = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::with_capacity(MEM_TASKS);
    // Warm the runtime (threads, queues) before the baseline.
    rt.block_on(async {});
    let before = rss();
    for _ in 0..MEM_TASKS {
        handles.push(rt.spawn(Parked(polled.clone(), false)));
    }
    while polled.load(Ordering::Acquire) < MEM_TASKS {
        std::thread::sleep(Duration::from_millis(1));
    }
    let per_task = (rss() - before) as f64 / MEM_TASKS as f64;
    handles.into_iter().for_each(R::abort);
    per_task
}

fn run_mem_child(name: &str) -> f64 {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--mem-child", name])
        .output()
        .expect("start the mem_tasks child");
    String::from_utf8_lossy(&out.stdout).trim().parse().expect("the child prints bytes per task")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--udp-echo-client") {
        net::udp_echo_client(&args[1]);
        return;
    }
    if args.first().map(String::as_str) == Some("--echo-client") {
        net::echo_client(&args[1]);
        return;
    }
    if args.first().map(String::as_str) == Some("--mem-child") {
        let bytes = match args[1].as_str() {
            "runtime" => mem_tasks::<Ours>(),
            "tokio" => mem_tasks::<Tokio>(),
            _ => mem_tasks::<Smol>(),
        };
        println!("{bytes}");
        std::process::exit(0);
    }
    let mut rounds = 5;
    let mut selected = Vec::new();
    let mut only: Option<Vec<String>> = None;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--rounds" => rounds = iter.next().and_then(|n| n.parse().ok()).expect("--rounds N"),
            "--only" => only = Some(iter.next().expect("--only RUNTIME,...").split(',').map(String::from).collect()),
            name => selected.push(name.to_string()),
        }
    }
    let wanted = |name: &str| selected.is_empty() || selected.iter().any(|s| s == name);

    let ours: &'static Ours = Box::leak(Box::new(Ours::new()));
    let tokio: &'static Tokio = Box::leak(Box::new(Tokio::new()));
    let smol: &'static Smol = Box::leak(Box::new(Smol::new()));
    let names: Vec<&str> = workloads::<Ours>().iter().map(|(n, _)| *n).filter(|n| wanted(n)).collect();
    let net_names: Vec<&str> = ["tcp_echo", "tcp_echo_split", "udp_echo", "http_hello", "mem_conns"]
        .into_iter()
        .filter(|n| wanted(n))
        .collect();
    let timer_names: Vec<&str> = TIMER_WORKLOADS.into_iter().filter(|n| wanted(n)).collect();
    let file_names: Vec<&str> = files::WORKLOADS.into_iter().filter(|n| wanted(n)).collect();
    let fair_names: Vec<&str> = fairness::WORKLOADS.into_iter().filter(|n| wanted(n)).collect();
    let sync_names: Vec<&str> = sync::WORKLOADS.into_iter().filter(|n| wanted(n)).collect();
    let process_names: Vec<&str> = process::WORKLOADS.into_iter().filter(|n| wanted(n)).collect();
    let macro_names: Vec<&str> = macros::WORKLOADS.into_iter().filter(|n| wanted(n)).collect();
    let in_process = !names.is_empty() || wanted("mem_tasks");
    // samples[workload][runtime] in milliseconds (or bytes per task for mem_tasks)
    let mut samples = vec![vec![Vec::new(); 3]; names.len() + 1];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    for round in 0..rounds {
        for (w, name) in names.iter().enumerate() {
            // Rotate the order each round so no runtime always runs first.
            for k in 0..3 {
                let which = (k + round) % 3;
                if only.as_ref().is_some_and(|o| !o.iter().any(|o| o == ["runtime", "tokio", "smol"][which])) {
                    continue;
                }
                let elapsed = match which {
                    0 => time(ours, workloads::<Ours>().into_iter().find(|(n, _)| n == name).unwrap().1),
                    1 => time(tokio, workloads::<Tokio>().into_iter().find(|(n, _)| n == name).unwrap().1),
                    _ => time(smol, workloads::<Smol>().into_iter().find(|(n, _)| n == name).unwrap().1),
                };
                samples[w][which].push(ms(elapsed));
            }
        }
        if wanted("mem_tasks") {
            for k in 0..3 {
                let which = (k + round) % 3;
                let name = ["runtime", "tokio", "smol"][which];
                if only.as_ref().is_some_and(|o| !o.iter().any(|o| o == name)) {
                    continue;
                }
                samples[names.len()][which].push(run_mem_child(name));
            }
        }
        eprintln!("round {}/{rounds} done", round + 1);
    }
    if in_process {
        print_executor_table(rounds, &names, &mut samples);
    }
    if !timer_names.is_empty() {
        run_timers(rounds, &timer_names, only.as_deref(), (ours, tokio, smol));
    }
    if !file_names.is_empty() {
        files::run(rounds, &file_names, only.as_deref(), (ours, tokio, smol));
    }
    if !fair_names.is_empty() {
        run_fairness(rounds, &fair_names, only.as_deref(), (ours, tokio, smol));
    }
    if !sync_names.is_empty() {
        run_sync(rounds, &sync_names, only.as_deref(), (ours, tokio, smol));
    }
    if !process_names.is_empty() {
        let sample = |which: usize, _: &str| match which {
            0 => process::sample(ours),
            1 => process::sample(tokio),
            _ => process::sample(smol),
        };
        Table {
            kind: "process",
            columns: &RUNTIMES,
            heading: "each on its own process API (smol: async-process); medians (ms)",
            labels: |_| &["ms"],
            sample: &sample,
        }
        .run(rounds, &process_names, only.as_deref());
    }
    // Each sample runs once untimed first: every runtime's thread-locals and
    // allocations warm.
    let warm = |which: usize, name: &str| {
        macros::sample(which, name);
        macros::sample(which, name)
    };
    let (selects, local_sets): (Vec<&str>, Vec<&str>) = macro_names.iter().partition(|name| name.starts_with("select"));
    if !selects.is_empty() {
        Table {
            kind: "select",
            columns: &["runtime", "tokio", "futures"],
            heading: "select! (each crate's macro), on a current-thread block_on; medians (ms)",
            labels: |_| &["ms"],
            sample: &warm,
        }
        .run(rounds, &selects, only.as_deref());
    }
    if !local_sets.is_empty() {
        Table {
            kind: "local_set",
            columns: &RUNTIMES,
            heading: "spawn_local tasks yielding in a LocalSet (smol: a LocalExecutor); medians (ms)",
            labels: |_| &["ms"],
            sample: &warm,
        }
        .run(rounds, &local_sets, only.as_deref());
    }
    if !net_names.is_empty() {
        net::run(rounds, &net_names, only.as_deref());
    }
}

fn print_executor_table(rounds: usize, names: &[&str], samples: &mut [Vec<Vec<f64>>]) {
    println!("{rounds} rounds, {} workers each; medians (ms; mem_tasks: bytes per parked task)", workers());
    println!(
        "{:<14} {:>10} {:>10} {:>10} {:>13} {:>12}",
        "workload", "runtime", "tokio", "smol", "runtime/tokio", "runtime/smol"
    );
    let mut rows: Vec<(&str, &mut Vec<Vec<f64>>)> = Vec::new();
    for (name, s) in names.iter().copied().chain(["mem_tasks"]).zip(samples.iter_mut()) {
        rows.push((name, s));
    }
    for (name, s) in rows {
        if s.iter().all(Vec::is_empty) {
            continue;
        }
        let [r, t, m] = [0, 1, 2].map(|i| if s[i].is_empty() { f64::NAN } else { median(&mut s[i]) });
        println!("{name:<14} {r:>10.2} {t:>10.2} {m:>10.2} {:>13.2} {:>12.2}", r / t, r / m);
    }
}

const TIMER_WORKLOADS: [&str; 3] = ["timers_light", "timers", "churn"];
const RUNTIMES: [&str; 3] = ["runtime", "tokio", "smol"];

/// One timer workload on one runtime: the numbers of its table row
/// (timers_light: p50 and p99 lateness in µs; the others: ms).
fn timer_sample<R: Rt>(rt: &'static R, name: &str) -> Vec<f64> {
    let ms = |start: Instant| start.elapsed().as_secs_f64() * 1e3;
    let start = Instant::now();
    match name {
        "timers_light" => {
            let (p50, p99) = rt.block_on(timers::timers_light(rt));
            vec![p50, p99]
        }
        "timers" => {
            rt.block_on(timers::timers(rt));
            vec![ms(start)]
        }
        _ => {
            rt.block_on(timers::churn(rt));
            vec![ms(start)]
        }
    }
}

/// The timer workloads' table.
fn run_timers(
    rounds: usize,
    names: &[&str],
    only: Option<&[String]>,
    rts: (&'static Ours, &'static Tokio, &'static Smol),
) {
    let sample = |which: usize, name: &str| match which {
        0 => timer_sample(rts.0, name),
        1 => timer_sample(rts.1, name),
        2 => timer_sample(rts.2, name),
        _ if name == "timers_light" => {
            let (p50, p99) = timers::timers_light_thread();
            vec![p50, p99]
        }
        _ => vec![f64::NAN],
    };
    Table {
        kind: "timer",
        columns: &["runtime", "tokio", "smol", "thread"],
        heading:
            "medians (timers_light: lateness in µs; others: ms; thread: one plain thread sleeping to each deadline)",
        labels: |name| if name == "timers_light" { &["p50 late", "p99 late"] } else { &["total"] },
        sample: &sample,
    }
    .run(rounds, names, only);
}

/// The fairness workloads' table: medians over rounds of each round's p99
/// and max latency (or the workload's own numbers).
fn run_fairness(
    rounds: usize,
    names: &[&str],
    only: Option<&[String]>,
    rts: (&'static Ours, &'static Tokio, &'static Smol),
) {
    let sample = |which: usize, name: &str| match which {
        0 => fairness::sample(rts.0, name),
        1 => fairness::sample(rts.1, name),
        _ => fairness::sample(rts.2, name),
    };
    Table {
        kind: "fairness",
        columns: &RUNTIMES,
        heading: "one hog per worker; medians over rounds",
        labels: fairness::labels,
        sample: &sample,
    }
    .run(rounds, names, only);
}

/// The sync workloads' table: each runtime on its own ecosystem's
/// primitives, and plain threads as the limit.
fn run_sync(
    rounds: usize,
    names: &[&str],
    only: Option<&[String]>,
    rts: (&'static Ours, &'static Tokio, &'static Smol),
) {
    let sample = |which: usize, name: &str| {
        vec![match which {
            0 => sync::sample(rts.0, name),
            1 => sync::sample(rts.1, name),
            2 => sync::sample(rts.2, name),
            _ => sync::sample_threads(name),
        }]
    };
    Table {
        kind: "sync",
        columns: &["runtime", "tokio", "smol", "threads"],
        heading: "each on its own primitives (smol: async-channel, async-lock; threads: crossbeam-channel, std); medians (ms)",
        labels: |_| &["ms"],
        sample: &sample,
    }
    .run(rounds, names, only);
}
