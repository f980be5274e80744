//! `task::block_in_place`: a worker blocks, its queued tasks move on.

mod support;

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use runtime::Builder;
use support::watchdog;

const LIMIT: Duration = Duration::from_secs(30);

/// One worker: while its only thread blocks, a task queued on it (here
/// spawned by the blocking task, so into this worker's own queue) still
/// runs, on the thread that took over the queue. Without the hand-off
/// nothing could run it until the section ended, and the section waits
/// for it: the test would time out.
#[test]
fn the_workers_queue_keeps_running_while_it_blocks() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
        let blocker = rt.spawn(async {
            let (tx, rx) = mpsc::channel();
            let ran = runtime::spawn(async move { tx.send(std::thread::current().id()).unwrap() });
            let me = std::thread::current().id();
            let other = runtime::task::block_in_place(|| rx.recv_timeout(LIMIT).expect("the queued task ran"));
            assert_ne!(other, me, "it ran on the thread that took the queue over");
            ran.await.unwrap();
        });
        rt.block_on(blocker).unwrap();
        // The runtime keeps serving afterwards, from whichever thread is its worker.
        for _ in 0..100 {
            rt.block_on(rt.spawn(async { runtime::task::yield_now().await })).unwrap();
        }
    });
}

/// Several sections in a row and at once, on two workers, with timers and
/// spawns around them: every task completes and the runtime shuts down.
#[test]
fn many_sections_leave_a_runtime_that_serves_and_shuts_down() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let tasks: Vec<_> = (0..20u64)
                .map(|i| {
                    runtime::spawn(async move {
                        for _ in 0..3 {
                            runtime::task::block_in_place(|| std::thread::sleep(Duration::from_millis(1)));
                            runtime::time::sleep(Duration::from_millis(1)).await;
                            runtime::spawn(async move { i }).await.unwrap();
                        }
                        i
                    })
                })
                .collect();
            let mut total = 0;
            for task in tasks {
                total += task.await.unwrap();
            }
            assert_eq!(total, 190);
        });
        assert_eq!(rt.metrics().num_workers(), 2);
        drop(rt);
    });
}

#[test]
fn a_panic_in_the_section_is_the_tasks_panic_and_the_worker_goes_on() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
        let failed = rt.block_on(rt.spawn(async { runtime::task::block_in_place(|| panic!("in the section")) }));
        assert!(failed.unwrap_err().is_panic());
        assert_eq!(rt.block_on(rt.spawn(async { 7 })).unwrap(), 7);
    });
}

#[test]
fn outside_a_runtime_on_blocking_threads_and_in_block_on_it_just_runs() {
    assert_eq!(runtime::task::block_in_place(|| 1), 1);
    let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
    assert_eq!(rt.block_on(async { runtime::task::block_in_place(|| 2) }), 2);
    let current = Builder::new_current_thread().build().unwrap();
    let on_pool = current.block_on(runtime::spawn_blocking(|| runtime::task::block_in_place(|| 3)));
    assert_eq!(on_pool.unwrap(), 3);
}

#[test]
#[should_panic(expected = "can call blocking only when running on the multi-threaded runtime")]
fn on_a_current_thread_runtime_it_panics_with_tokios_message() {
    let rt = Builder::new_current_thread().build().unwrap();
    rt.block_on(async { runtime::task::block_in_place(|| ()) });
}

/// A worker with `spawn_local` tasks keeps them (they cannot move): the
/// section runs in place and the local task is still there after it.
#[test]
fn a_worker_with_local_tasks_runs_the_section_in_place() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let finished = done.clone();
        rt.block_on(rt.spawn(async move {
            let local = runtime::task::spawn_local(async move {
                runtime::task::yield_now().await;
                finished.store(true, SeqCst);
            });
            runtime::task::block_in_place(|| std::thread::sleep(Duration::from_millis(5)));
            local.await.unwrap();
        }))
        .unwrap();
        assert!(done.load(SeqCst));
    });
}
