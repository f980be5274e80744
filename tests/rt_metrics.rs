//! `RuntimeMetrics`: tokio's methods, read live, on both flavors.

mod support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use runtime::Builder;
use support::{wait_until, watchdog};

const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn a_metrics_value_reads_the_runtime_live() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let metrics = rt.metrics();
        assert_eq!(metrics.num_workers(), 2);
        assert_eq!(metrics.num_alive_tasks(), 0);
        let (tx, rx) = runtime::sync::oneshot::channel::<()>();
        let task = rt.spawn(async move { rx.await.unwrap() });
        // The same value, read again, sees the new task.
        assert_eq!(metrics.num_alive_tasks(), 1);
        tx.send(()).unwrap();
        rt.block_on(task).unwrap();
        wait_until(LIMIT, || metrics.num_alive_tasks() == 0);
        assert!(metrics.polls() >= 1);
    });
}

#[test]
fn park_counts_are_odd_while_a_worker_sleeps() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
        let metrics = rt.metrics();
        // An idle worker sleeps: it parked once more than it woke.
        wait_until(LIMIT, || metrics.worker_park_unpark_count(0) % 2 == 1);
        let parks = metrics.worker_park_count(0);
        assert!(parks >= 1);
        assert_eq!(metrics.worker_park_unpark_count(0), 2 * parks - 1);
        // Work wakes it; when it sleeps again both counts have grown.
        rt.block_on(rt.spawn(async {})).unwrap();
        wait_until(LIMIT, || metrics.worker_park_count(0) > parks && metrics.worker_park_unpark_count(0) % 2 == 1);
    });
}

#[test]
fn busy_duration_grows_with_the_work_a_worker_does() {
    watchdog(LIMIT, || {
        for mut builder in [Builder::new_multi_thread(), Builder::new_current_thread()] {
            let rt = builder.worker_threads(1).build().unwrap();
            let metrics = rt.metrics();
            let before = metrics.worker_total_busy_duration(0);
            rt.block_on(rt.spawn(async { std::thread::sleep(Duration::from_millis(30)) })).unwrap();
            // Added when the worker next sleeps (or leaves block_on).
            wait_until(LIMIT, || metrics.worker_total_busy_duration(0) - before >= Duration::from_millis(30));
        }
    });
}

#[test]
fn queue_depths_count_the_tasks_waiting() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
        let metrics = rt.metrics();
        let release = Arc::new(AtomicBool::new(false));
        let running = Arc::new(AtomicBool::new(false));
        // Occupy the one worker, then queue from outside: the tasks wait in
        // the global queue.
        let blocker = {
            let (release, running) = (release.clone(), running.clone());
            rt.spawn(async move {
                running.store(true, Ordering::SeqCst);
                while !release.load(Ordering::SeqCst) {
                    std::thread::yield_now();
                }
            })
        };
        wait_until(LIMIT, || running.load(Ordering::SeqCst));
        let queued: Vec<_> = (0..5).map(|_| rt.spawn(async {})).collect();
        assert_eq!(metrics.global_queue_depth(), 5);
        assert_eq!(metrics.worker_local_queue_depth(0), 0);
        release.store(true, Ordering::SeqCst);
        rt.block_on(blocker).unwrap();
        for task in queued {
            rt.block_on(task).unwrap();
        }
        assert_eq!(metrics.global_queue_depth(), 0);
        // Spawned from a worker, tasks queue locally (the first in the LIFO slot).
        rt.block_on(rt.spawn(async {
            let metrics = runtime::Handle::current().metrics();
            let tasks: Vec<_> = (0..4).map(|_| runtime::spawn(async {})).collect();
            assert_eq!(metrics.worker_local_queue_depth(0), 3);
            tasks
        }))
        .unwrap();
    });
}

#[test]
fn the_current_thread_flavor_has_one_worker_and_one_queue() {
    let rt = Builder::new_current_thread().build().unwrap();
    let metrics = rt.metrics();
    assert_eq!(metrics.num_workers(), 1);
    let task = rt.spawn(async {});
    assert_eq!(metrics.global_queue_depth(), 1);
    assert_eq!(metrics.worker_local_queue_depth(0), 0);
    rt.block_on(task).unwrap();
    assert_eq!(metrics.global_queue_depth(), 0);
    assert_eq!(metrics.worker_poll_count(0), 1);
}

#[test]
#[should_panic(expected = "worker index 2 out of range: the runtime has 2 workers")]
fn a_worker_index_out_of_range_panics() {
    let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
    rt.metrics().worker_park_count(2);
}

#[test]
fn the_extra_figures_are_methods_too() {
    let rt = Builder::new_current_thread().build().unwrap();
    let metrics = rt.metrics();
    rt.block_on(async {
        let _listener = runtime::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sleep = runtime::time::sleep(Duration::from_secs(60));
        runtime::pin!(sleep);
        assert!(support::poll_once(sleep.as_mut()).is_pending());
        assert_eq!(metrics.io_registrations(), 1);
        assert_eq!(metrics.timers_pending(), 1);
    });
    assert_eq!(metrics.io_registrations(), 0);
    assert_eq!(metrics.timers_pending(), 0);
    let debug = format!("{metrics:?}");
    assert!(debug.contains("num_workers: 1"), "{debug}");
}
