//! The fairness suite (FAIRNESS.md): each scenario runs twice, once with the
//! scheduler's guards on, where its bound must hold, and once with the guard it
//! relies on switched off, where the bound must break. So every bound is shown
//! to be one the runtime earns, not one any scheduler would pass.
//!
//! Bounds are counted in the hostile task's own progress (polls, reads) where
//! the scenario allows it, so a slow or loaded machine cannot move them; F1 is
//! about timer lateness, so its bound is a time, loose by a factor of hundreds.
//! Without its guard, each scenario starves deterministically until its hog
//! gives up at a fixed cap.

mod support;

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use runtime::io::{AsyncReadExt, AsyncWriteExt};
use runtime::net::TcpListener;
use runtime::task::{consume_budget, spawn, unconstrained, yield_now};
use runtime::time::sleep_until;
use runtime::{Builder, Runtime};
use runtime_executor::Guard;
use support::watchdog;

fn runtime(workers: usize, off: &[Guard]) -> Runtime {
    let mut builder = Builder::new_multi_thread();
    builder.worker_threads(workers);
    for &guard in off {
        builder.disable_fairness_guard(guard);
    }
    builder.build().expect("runtime starts")
}

// ---------------------------------------------------------------------------
// F1: timers are served while no worker is ever idle.

/// The bound on F1's timer lateness: hundreds of times what the runtime needs.
const F1_LATENESS_BOUND: Duration = Duration::from_millis(500);
/// How long F1's hog yields when the sleepers cannot finish.
const F1_HOG_CAP: Duration = Duration::from_millis(1_500);

/// One worker; one task in a tight `yield_now` loop beside 100 tasks that each
/// sleep 1 ms, 20 times. Returns the largest lateness of any wake-up.
fn f1_max_timer_lateness(off: &[Guard]) -> Duration {
    const SLEEPERS: usize = 100;
    let rt = runtime(1, off);
    let late = rt.block_on(rt.spawn(async {
        let done = Arc::new(AtomicUsize::new(0));
        let sleepers: Vec<_> = (0..SLEEPERS)
            .map(|_| {
                let done = done.clone();
                spawn(async move {
                    let mut late = Duration::ZERO;
                    for _ in 0..20 {
                        let deadline = Instant::now() + Duration::from_millis(1);
                        sleep_until(deadline).await;
                        late = late.max(deadline.elapsed());
                    }
                    done.fetch_add(1, SeqCst);
                    late
                })
            })
            .collect();
        let hog = spawn(async move {
            let started = Instant::now();
            while done.load(SeqCst) < SLEEPERS && started.elapsed() < F1_HOG_CAP {
                yield_now().await;
            }
        });
        hog.await.unwrap();
        let mut late = Duration::ZERO;
        for sleeper in sleepers {
            late = late.max(sleeper.await.unwrap());
        }
        late
    }));
    late.unwrap()
}

#[test]
fn f1_timers_fire_beside_a_yield_loop() {
    let late = watchdog(Duration::from_secs(30), || f1_max_timer_lateness(&[]));
    eprintln!("measured: {late:?}");
    assert!(late < F1_LATENESS_BOUND, "a 1 ms sleep woke {late:?} late");
}

#[test]
fn f1_without_the_event_and_injector_intervals_timers_starve() {
    let off = [Guard::EventInterval, Guard::InjectorInterval];
    let late = watchdog(Duration::from_secs(30), move || f1_max_timer_lateness(&off));
    eprintln!("measured: {late:?}");
    assert!(late >= F1_LATENESS_BOUND, "the sleepers ran beside the hog anyway ({late:?} late)");
}

// ---------------------------------------------------------------------------
// F2: the cooperative budget.

/// The bound on F2's latency, in the flood's reads (the budget allows ~8,000).
const F2_LATENCY_BOUND: u64 = 100_000;
/// How many reads F2's flood makes at most.
const F2_FLOOD_CAP: u64 = 500_000;

/// One worker; one connection whose peer floods it, read a byte at a time
/// (always ready: the peer refills the buffer far faster than it drains),
/// beside 50 request/response connections served by their own tasks. Returns
/// the largest number of flood reads any request waited for its response.
fn f2_max_latency_in_flood_reads(off: &[Guard]) -> u64 {
    const CONNECTIONS: usize = 50;
    const ROUNDS: usize = 20;
    let rt = runtime(1, off);
    let flood_reads = Arc::new(AtomicU64::new(0));
    let clients_done = Arc::new(AtomicBool::new(false));
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();

    // The flooding peer: fills the socket buffers before the reader starts,
    // then keeps them full until the reader hangs up.
    let (full_tx, full_rx) = std::sync::mpsc::channel();
    let flooder = std::thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let chunk = [7u8; 64 * 1024];
        stream.set_nonblocking(true).unwrap();
        while stream.write(&chunk).is_ok() {}
        stream.set_nonblocking(false).unwrap();
        full_tx.send(()).unwrap();
        while stream.write(&chunk).is_ok() {}
    });
    let (mut flood, _) = rt.block_on(listener.accept()).unwrap();
    full_rx.recv().unwrap();

    // The request/response connections, each served by its own task.
    let clients: Vec<_> = (0..CONNECTIONS).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
    for _ in 0..CONNECTIONS {
        let (mut stream, _) = rt.block_on(listener.accept()).unwrap();
        rt.spawn(async move {
            let mut request = [0u8; 8];
            while stream.read_exact(&mut request).await.is_ok() {
                if stream.write_all(&request).await.is_err() {
                    break;
                }
            }
        });
    }

    let reader = {
        let (flood_reads, clients_done) = (flood_reads.clone(), clients_done.clone());
        rt.spawn(async move {
            let mut byte = [0u8; 1];
            while !clients_done.load(SeqCst) && flood_reads.load(SeqCst) < F2_FLOOD_CAP {
                flood.read_exact(&mut byte).await.unwrap();
                flood_reads.fetch_add(1, SeqCst);
            }
        })
    };

    // Each client stamps its request with the flood's count; the reply comes
    // back with it, and the count then gives the wait in flood reads.
    let threads: Vec<_> = clients
        .into_iter()
        .map(|mut stream| {
            let flood_reads = flood_reads.clone();
            std::thread::spawn(move || {
                let mut worst = 0;
                for _ in 0..ROUNDS {
                    let sent = flood_reads.load(SeqCst);
                    stream.write_all(&sent.to_le_bytes()).unwrap();
                    let mut reply = [0u8; 8];
                    stream.read_exact(&mut reply).unwrap();
                    worst = worst.max(flood_reads.load(SeqCst) - u64::from_le_bytes(reply));
                }
                worst
            })
        })
        .collect();
    let worst = threads.into_iter().map(|thread| thread.join().unwrap()).max().unwrap();
    clients_done.store(true, SeqCst);
    rt.block_on(reader).unwrap();
    drop(rt);
    flooder.join().unwrap();
    worst
}

#[test]
fn f2_request_latency_stays_bounded_beside_a_flooded_connection() {
    let worst = watchdog(Duration::from_secs(60), || f2_max_latency_in_flood_reads(&[]));
    eprintln!("measured: {worst:?}");
    assert!(worst < F2_LATENCY_BOUND, "a request waited {worst} flood reads");
}

#[test]
fn f2_without_the_budget_the_flood_starves_requests() {
    let worst = watchdog(Duration::from_secs(60), || f2_max_latency_in_flood_reads(&[Guard::Budget]));
    eprintln!("measured: {worst:?}");
    assert!(worst >= F2_LATENCY_BOUND, "requests were served beside the flood anyway (worst {worst} reads)");
}

// ---------------------------------------------------------------------------
// F3: tasks from outside start while a task spawns without end.

/// The bound on F3's start delay, in the spawning chain's polls: the
/// injector interval allows 61 polls, and then at most 3 more LIFO polls.
/// (Counted in ticks of up to 4 polls each, as before, the wait reached 240.)
const F3_START_BOUND: u64 = 100;
/// How long F3's chain runs when the outside tasks cannot start.
const F3_CHAIN_CAP: u64 = 200_000;

/// One worker; a chain of tasks, each spawning the next (the worker's queue is
/// never empty), beside 100 tasks spawned one at a time from another thread.
/// Returns the most chain polls between an outside spawn and its first poll
/// (counted from when the spawn returned: a spawner the OS descheduled
/// meanwhile can only shorten the count).
fn f3_max_start_delay_in_polls(off: &[Guard]) -> u64 {
    const OUTSIDE: usize = 100;
    let rt = runtime(1, off);
    let chain_polls = Arc::new(AtomicU64::new(0));
    let outside_started = Arc::new(AtomicUsize::new(0));

    fn link(polls: Arc<AtomicU64>, started: Arc<AtomicUsize>) {
        if polls.fetch_add(1, SeqCst) < F3_CHAIN_CAP && started.load(SeqCst) < OUTSIDE {
            spawn(async move { link(polls, started) });
        }
    }
    let (polls, started) = (chain_polls.clone(), outside_started.clone());
    rt.spawn(async move { link(polls, started) });

    let mut worst = 0;
    for _ in 0..OUTSIDE {
        let (polls, started) = (chain_polls.clone(), outside_started.clone());
        let outside = rt.spawn(async move {
            started.fetch_add(1, SeqCst);
            polls.load(SeqCst)
        });
        let spawned_at = chain_polls.load(SeqCst);
        let first_poll = rt.block_on(outside).unwrap();
        worst = worst.max(first_poll.saturating_sub(spawned_at));
    }
    worst
}

#[test]
fn f3_outside_tasks_start_beside_an_endless_spawner() {
    let worst = watchdog(Duration::from_secs(30), || f3_max_start_delay_in_polls(&[]));
    eprintln!("measured: {worst:?}");
    assert!(worst < F3_START_BOUND, "an outside task waited {worst} polls to start");
}

#[test]
fn f3_without_the_injector_interval_outside_tasks_starve() {
    let worst = watchdog(Duration::from_secs(30), || f3_max_start_delay_in_polls(&[Guard::InjectorInterval]));
    eprintln!("measured: {worst:?}");
    assert!(worst >= F3_START_BOUND, "outside tasks started beside the spawner anyway (worst {worst} polls)");
}

// ---------------------------------------------------------------------------
// F4: yielding tasks progress evenly.

/// Jain's fairness index of `xs`: 1 when all are equal, 1/n when one has all.
fn jain(xs: &[u64]) -> f64 {
    let sum: f64 = xs.iter().map(|&x| x as f64).sum();
    let squares: f64 = xs.iter().map(|&x| (x as f64) * (x as f64)).sum();
    sum * sum / (xs.len() as f64 * squares)
}

/// One worker (so the OS's scheduling of worker threads cannot tilt the
/// result; the benchmark runs it on two); 1,000 tasks each yielding 1,000
/// times. Returns Jain's index of the tasks' progress when half of all the
/// yields are done.
fn f4_fairness_index_mid_run(off: &[Guard]) -> f64 {
    const TASKS: usize = 1_000;
    const YIELDS: u64 = 1_000;
    let rt = runtime(1, off);
    let progress: Arc<Vec<AtomicU64>> = Arc::new((0..TASKS).map(|_| AtomicU64::new(0)).collect());
    let total = Arc::new(AtomicU64::new(0));
    let sample = Arc::new(Mutex::new(None));
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let (progress, total, sample) = (progress.clone(), total.clone(), sample.clone());
            rt.spawn(async move {
                for _ in 0..YIELDS {
                    progress[i].fetch_add(1, SeqCst);
                    if total.fetch_add(1, SeqCst) + 1 == TASKS as u64 * YIELDS / 2 {
                        let now: Vec<u64> = progress.iter().map(|p| p.load(SeqCst)).collect();
                        *sample.lock().unwrap() = Some(jain(&now));
                    }
                    yield_now().await;
                }
            })
        })
        .collect();
    for task in tasks {
        rt.block_on(task).unwrap();
    }
    let index = sample.lock().unwrap().expect("the run passed its middle");
    index
}

#[test]
fn f4_yielding_tasks_progress_evenly() {
    let index = watchdog(Duration::from_secs(60), || f4_fairness_index_mid_run(&[]));
    eprintln!("measured: {index:?}");
    assert!(index >= 0.9, "Jain's index mid-run was {index:.3}");
}

#[test]
fn f4_when_yields_take_the_unbounded_lifo_slot_progress_is_uneven() {
    let off = [Guard::YieldToBack, Guard::LifoBound];
    let index = watchdog(Duration::from_secs(60), move || f4_fairness_index_mid_run(&off));
    eprintln!("measured: {index:?}");
    assert!(index < 0.9, "progress was even anyway (Jain's index {index:.3})");
}

// ---------------------------------------------------------------------------
// F5: the tasks queued behind a stuck worker are stolen.

/// How long F5's stuck task spins at least; it goes on (up to F5_SPIN_CAP)
/// until the queued tasks are done, so the test waits on the event itself.
const F5_SPIN: Duration = Duration::from_millis(200);
const F5_SPIN_CAP: Duration = Duration::from_secs(2);

/// Two workers; a task queues 10 tasks on its worker, then spins in a CPU
/// loop. Returns how many of them finished while it was still spinning.
fn f5_finished_during_the_spin(off: &[Guard]) -> usize {
    const QUEUED: usize = 10;
    let rt = runtime(2, off);
    let finished = Arc::new(AtomicUsize::new(0));
    let during = {
        let finished = finished.clone();
        rt.spawn(async move {
            for _ in 0..QUEUED {
                let finished = finished.clone();
                spawn(async move {
                    finished.fetch_add(1, SeqCst);
                });
            }
            let started = Instant::now();
            while started.elapsed() < F5_SPIN || (finished.load(SeqCst) < QUEUED && started.elapsed() < F5_SPIN_CAP) {
                std::hint::spin_loop();
            }
            finished.load(SeqCst)
        })
    };
    rt.block_on(during).unwrap()
}

#[test]
fn f5_tasks_behind_a_stuck_worker_are_stolen() {
    let during = watchdog(Duration::from_secs(30), || f5_finished_during_the_spin(&[]));
    eprintln!("measured: {during:?}");
    assert_eq!(during, 10, "tasks waited for the stuck worker");
}

#[test]
fn f5_without_stealing_tasks_wait_for_the_stuck_worker() {
    let during = watchdog(Duration::from_secs(30), || f5_finished_during_the_spin(&[Guard::Stealing]));
    eprintln!("measured: {during:?}");
    assert_eq!(during, 0, "queued tasks ran elsewhere anyway");
}

// ---------------------------------------------------------------------------
// F6 (beyond the five): the LIFO slot's bound.

/// The bound on F6's wait, in ping-pong exchanges (the LIFO bound allows a
/// handful per tick).
const F6_WAIT_BOUND: u64 = 1_000;
/// How many exchanges F6's pair makes at most.
const F6_EXCHANGE_CAP: u64 = 100_000;

/// A flag one task raises to wake another: the smallest channel.
#[derive(Default)]
struct Signal(Mutex<(bool, Option<Waker>)>);

impl Signal {
    fn raise(&self) {
        let mut state = self.0.lock().unwrap();
        state.0 = true;
        if let Some(waker) = state.1.take() {
            waker.wake();
        }
    }

    async fn wait(&self) {
        std::future::poll_fn(|cx| {
            let mut state = self.0.lock().unwrap();
            if std::mem::take(&mut state.0) {
                return Poll::Ready(());
            }
            state.1 = Some(cx.waker().clone());
            Poll::Pending
        })
        .await;
    }
}

/// One worker; two tasks wake each other back and forth (each wake fills the
/// LIFO slot) beside a task that yields in a loop. Returns the most exchanges
/// between two polls of the yielding task.
fn f6_max_wait_in_exchanges(off: &[Guard]) -> u64 {
    let rt = runtime(1, off);
    let worst = rt.block_on(rt.spawn(async {
        let exchanges = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (ping, pong) = (Arc::new(Signal::default()), Arc::new(Signal::default()));
        let player = |me: Arc<Signal>, other: Arc<Signal>| {
            let (exchanges, stop) = (exchanges.clone(), stop.clone());
            spawn(async move {
                while !stop.load(SeqCst) && exchanges.fetch_add(1, SeqCst) < F6_EXCHANGE_CAP {
                    other.raise();
                    me.wait().await;
                }
                stop.store(true, SeqCst);
                other.raise();
            })
        };
        let yielder = {
            let (exchanges, stop) = (exchanges.clone(), stop.clone());
            spawn(async move {
                let mut worst = 0;
                let mut last = exchanges.load(SeqCst);
                for _ in 0..200 {
                    yield_now().await;
                    let now = exchanges.load(SeqCst);
                    worst = worst.max(now - last);
                    last = now;
                }
                stop.store(true, SeqCst);
                worst
            })
        };
        let (a, b) = (player(ping.clone(), pong.clone()), player(pong, ping));
        let worst = yielder.await.unwrap();
        a.await.unwrap();
        b.await.unwrap();
        worst
    }));
    worst.unwrap()
}

#[test]
fn f6_a_ping_pong_pair_cannot_keep_the_lifo_slot() {
    let worst = watchdog(Duration::from_secs(30), || f6_max_wait_in_exchanges(&[]));
    eprintln!("measured: {worst:?}");
    assert!(worst < F6_WAIT_BOUND, "the yielding task waited {worst} exchanges");
}

#[test]
fn f6_without_the_lifo_bound_the_pair_starves_the_queue() {
    let worst = watchdog(Duration::from_secs(30), || f6_max_wait_in_exchanges(&[Guard::LifoBound]));
    eprintln!("measured: {worst:?}");
    assert!(worst >= F6_WAIT_BOUND, "the yielding task ran beside the pair anyway (worst {worst})");
}

// ---------------------------------------------------------------------------
// F7 (issue 19): a worker that gets less CPU does not hold its tasks back.

/// How often F7's slow task takes its worker's CPU away, for 10 ms each time.
const F7_SLOW_POLLS: u64 = 10;
/// F7's bound: the slowest yielder made at least this share of the fastest's progress.
const F7_SHARE_BOUND: f64 = 0.05;

/// Two workers; a task whose every poll blocks its worker's thread for 10 ms
/// (as another process taking the core would) beside 20 tasks that yield in
/// a loop, none of which ever runs dry. Returns the slowest yielder's
/// progress over the fastest's after the slow task's 10th poll.
fn f7_slowest_share(off: &[Guard]) -> f64 {
    const YIELDERS: usize = 20;
    let rt = runtime(2, off);
    let share = rt.block_on(rt.spawn(async {
        let progress: Arc<Vec<AtomicU64>> = Arc::new((0..YIELDERS).map(|_| AtomicU64::new(0)).collect());
        let stop = Arc::new(AtomicBool::new(false));
        let yielders: Vec<_> = (0..YIELDERS)
            .map(|i| {
                let (progress, stop) = (progress.clone(), stop.clone());
                spawn(async move {
                    while !stop.load(SeqCst) {
                        progress[i].fetch_add(1, SeqCst);
                        yield_now().await;
                    }
                })
            })
            .collect();
        let slow = spawn(async move {
            for _ in 0..F7_SLOW_POLLS {
                std::thread::sleep(Duration::from_millis(10));
                yield_now().await;
            }
            let now: Vec<u64> = progress.iter().map(|p| p.load(SeqCst)).collect();
            stop.store(true, SeqCst);
            *now.iter().min().unwrap() as f64 / *now.iter().max().unwrap() as f64
        });
        let share = slow.await.unwrap();
        for yielder in yielders {
            yielder.await.unwrap();
        }
        share
    }));
    share.unwrap()
}

#[test]
fn f7_tasks_leave_a_worker_that_lags() {
    let share = watchdog(Duration::from_secs(30), || f7_slowest_share(&[]));
    eprintln!("measured: {share:?}");
    assert!(share >= F7_SHARE_BOUND, "the slowest yielder made {share:.4} of the fastest's progress");
}

#[test]
fn f7_without_the_lagging_steal_tasks_stay_behind_the_slow_worker() {
    let share = watchdog(Duration::from_secs(30), || f7_slowest_share(&[Guard::LaggingSteal]));
    eprintln!("measured: {share:?}");
    assert!(share < F7_SHARE_BOUND, "the yielders kept pace anyway ({share:.4})");
}

// ---------------------------------------------------------------------------
// The budget's public tools.

/// One worker; a task looping on `consume_budget` (inside `unconstrained` if
/// asked) beside a task that yields 100 times. Returns the most loop
/// iterations between two polls of the yielding task.
fn longest_run_of_a_budget_loop(unconstrained_loop: bool) -> u64 {
    let rt = runtime(1, &[]);
    let worst = rt.block_on(rt.spawn(async move {
        let iterations = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let looping = {
            let (iterations, stop) = (iterations.clone(), stop.clone());
            async move {
                while !stop.load(SeqCst) && iterations.fetch_add(1, SeqCst) < 1_000_000 {
                    consume_budget().await;
                }
            }
        };
        let looper = if unconstrained_loop { spawn(unconstrained(looping)) } else { spawn(looping) };
        let mut worst = 0;
        let mut last = iterations.load(SeqCst);
        for _ in 0..100 {
            yield_now().await;
            let now = iterations.load(SeqCst);
            worst = worst.max(now - last);
            last = now;
        }
        stop.store(true, SeqCst);
        looper.await.unwrap();
        worst
    }));
    worst.unwrap()
}

#[test]
fn consume_budget_yields_once_the_budget_is_spent() {
    let worst = watchdog(Duration::from_secs(30), || longest_run_of_a_budget_loop(false));
    eprintln!("measured: {worst:?}");
    // One poll spends 128 units; the yielding task waits at most for the looper's poll.
    assert!(worst <= 2 * 128 + 2, "the loop ran {worst} iterations between two polls of its neighbour");
}

#[test]
fn unconstrained_lifts_the_budget() {
    let worst = watchdog(Duration::from_secs(30), || longest_run_of_a_budget_loop(true));
    eprintln!("measured: {worst:?}");
    assert!(worst >= 1_000_000, "the unconstrained loop yielded after {worst} iterations");
}
