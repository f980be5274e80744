//! One workload on a current-thread runtime (or, with a third argument, a
//! multi-thread one with that many workers: the work-stealing worker's path),
//! for instruction counts that do not depend on the machine's noise:
//!
//! `valgrind --tool=callgrind target/release/instructions runtime|tokio oneshot|mpsc|mutex|spawn|chained|pingpong|yield [WORKERS]`
//!
//! oneshot: 1M channels made, sent on and awaited; mpsc: 8 producers, one
//! consumer, 1M messages through a bounded(1024) channel; mutex: 64 tasks ×
//! 10,000 lock/unlock; spawn: 100,000 tasks spawned, then awaited; chained:
//! 100,000 tasks, each spawned by the one before; pingpong: 1,000 pairs of
//! tasks, 100 round trips each over two bounded(1) channels; yield:
//! 1,000 tasks yielding 1,000 times each.

const MESSAGES: usize = 1_000_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(runtime), Some(workload)) = (args.first(), args.get(1)) else {
        eprintln!("usage: instructions runtime|tokio oneshot|mpsc|mutex|spawn|chained|pingpong|yield [WORKERS]");
        std::process::exit(2);
    };
    let workers: Option<usize> = args.get(2).map(|n| n.parse().expect("WORKERS is a number"));
    match runtime.as_str() {
        "runtime" => {
            let rt = match workers {
                Some(n) => runtime::Builder::new_multi_thread().worker_threads(n).build(),
                None => runtime::Builder::new_current_thread().build(),
            };
            let rt = rt.unwrap();
            rt.block_on(rt.spawn(ours(workload.clone()))).unwrap();
        }
        _ => {
            let mut builder = match workers {
                Some(n) => {
                    let mut builder = tokio::runtime::Builder::new_multi_thread();
                    builder.worker_threads(n);
                    builder
                }
                None => tokio::runtime::Builder::new_current_thread(),
            };
            let rt = builder.enable_all().build().unwrap();
            rt.block_on(rt.spawn(tokio(workload.clone()))).unwrap();
        }
    }
}

/// The workloads, written once for both runtimes (`$krate` is the
/// runtime crate, `$spawn` its spawn function).
macro_rules! workloads {
    ($name:ident, $krate:ident, $spawn:path) => {
        async fn $name(workload: String) {
            use $krate::sync::{mpsc, oneshot, Mutex};
            match workload.as_str() {
                "oneshot" => {
                    let mut sum = 0;
                    for i in 0..MESSAGES {
                        let (tx, rx) = oneshot::channel();
                        tx.send(i).unwrap();
                        sum += rx.await.unwrap();
                    }
                    std::hint::black_box(sum);
                }
                "mpsc" => {
                    let (tx, mut rx) = mpsc::channel(1024);
                    for _ in 0..8 {
                        let tx = tx.clone();
                        $spawn(async move {
                            for i in 0..MESSAGES / 8 {
                                tx.send(i).await.unwrap();
                            }
                        });
                    }
                    drop(tx);
                    let mut received = 0;
                    while rx.recv().await.is_some() {
                        received += 1;
                    }
                    assert_eq!(received, MESSAGES);
                }
                "spawn" => {
                    let tasks: Vec<_> = (0..100_000).map(|i| $spawn(async move { i })).collect();
                    let mut sum = 0;
                    for task in tasks {
                        sum += task.await.unwrap();
                    }
                    std::hint::black_box(sum);
                }
                "chained" => {
                    fn chain(left: usize, done: oneshot::Sender<()>) {
                        if left == 0 {
                            done.send(()).unwrap();
                        } else {
                            $spawn(async move { chain(left - 1, done) });
                        }
                    }
                    let (done, finished) = oneshot::channel();
                    chain(100_000, done);
                    finished.await.unwrap();
                }
                "pingpong" => {
                    let pairs: Vec<_> = (0..1_000)
                        .map(|_| {
                            let (ping_tx, mut ping_rx) = mpsc::channel::<usize>(1);
                            let (pong_tx, mut pong_rx) = mpsc::channel::<usize>(1);
                            let ponger = $spawn(async move {
                                while let Some(n) = ping_rx.recv().await {
                                    pong_tx.send(n).await.unwrap();
                                }
                            });
                            let pinger = $spawn(async move {
                                for i in 0..100 {
                                    ping_tx.send(i).await.unwrap();
                                    assert_eq!(pong_rx.recv().await, Some(i));
                                }
                            });
                            (pinger, ponger)
                        })
                        .collect();
                    for (pinger, ponger) in pairs {
                        pinger.await.unwrap();
                        ponger.await.unwrap();
                    }
                }
                "yield" => {
                    let tasks: Vec<_> = (0..1_000)
                        .map(|_| {
                            $spawn(async {
                                for _ in 0..1_000 {
                                    $krate::task::yield_now().await;
                                }
                            })
                        })
                        .collect();
                    for task in tasks {
                        task.await.unwrap();
                    }
                }
                _ => {
                    let mutex = std::sync::Arc::new(Mutex::new(0u64));
                    let tasks: Vec<_> = (0..64)
                        .map(|_| {
                            let mutex = mutex.clone();
                            $spawn(async move {
                                for _ in 0..10_000 {
                                    *mutex.lock().await += 1;
                                }
                            })
                        })
                        .collect();
                    for task in tasks {
                        task.await.unwrap();
                    }
                }
            }
        }
    };
}

workloads!(ours, runtime, runtime::spawn);
workloads!(tokio, tokio, tokio::spawn);
