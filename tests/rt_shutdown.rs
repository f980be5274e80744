//! Dropping a runtime: workers stop, every held task is dropped, nothing leaks.

mod support;

use std::future::pending;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use runtime::Builder;
use support::{watchdog, DropCounter};

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn dropping_the_runtime_drops_every_pending_task() {
    watchdog(LIMIT, || {
        for multi in [true, false] {
            let rt = if multi {
                Builder::new_multi_thread().worker_threads(2).build().unwrap()
            } else {
                Builder::new_current_thread().build().unwrap()
            };
            let drops = DropCounter::default();
            let mut handles = Vec::new();
            for _ in 0..1_000 {
                let guard = drops.guard();
                // Idle tasks, waiting on wakers nobody holds, and never-started ones.
                handles.push(rt.spawn(async move {
                    let _guard = guard;
                    pending::<()>().await
                }));
            }
            rt.block_on(runtime::task::yield_now());
            drop(rt);
            assert_eq!(drops.count(), 1_000, "multi_thread: {multi}");
            for handle in handles {
                assert!(handle.is_finished());
                let error = futures_util::FutureExt::now_or_never(handle).unwrap().unwrap_err();
                assert!(error.is_cancelled());
            }
        }
    });
}

#[test]
fn spawn_after_shutdown_is_cancelled() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
        let handle = rt.handle().clone();
        drop(rt);
        let task = handle.spawn(async { 1 });
        assert!(futures_util::FutureExt::now_or_never(task).unwrap().unwrap_err().is_cancelled());
    });
}

#[test]
fn shutdown_timeout_does_not_wait_for_a_stuck_blocking_job() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
        let release = Arc::new(Barrier::new(2));
        let started = Arc::new(Barrier::new(2));
        let (release2, started2) = (release.clone(), started.clone());
        let _job = rt.spawn_blocking(move || {
            started2.wait();
            release2.wait();
        });
        started.wait();
        let begin = Instant::now();
        rt.shutdown_timeout(Duration::from_millis(50));
        assert!(begin.elapsed() >= Duration::from_millis(50));
        release.wait();
    });
}

#[test]
fn queued_blocking_jobs_are_cancelled_at_shutdown() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(1).max_blocking_threads(1).build().unwrap();
        let release = Arc::new(Barrier::new(2));
        let started = Arc::new(Barrier::new(2));
        let (release2, started2) = (release.clone(), started.clone());
        let running = rt.spawn_blocking(move || {
            started2.wait();
            release2.wait();
            1
        });
        started.wait();
        // The only thread is busy: this job waits in the queue.
        let queued = rt.spawn_blocking(|| 2);
        std::thread::scope(|scope| {
            // Free the busy thread only once shutdown has cancelled the queue,
            // so the queued job can never run first.
            scope.spawn(|| {
                support::wait_until(LIMIT, || queued.is_finished());
                release.wait();
            });
            drop(rt);
        });
        assert!(futures_util::FutureExt::now_or_never(queued).unwrap().unwrap_err().is_cancelled());
        assert_eq!(futures_util::FutureExt::now_or_never(running).unwrap().unwrap(), 1);
    });
}

#[cfg(target_os = "linux")]
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[cfg(target_os = "linux")]
#[test]
fn dropping_runtimes_leaves_no_threads_behind() {
    watchdog(LIMIT, || {
        let before = thread_count();
        for _ in 0..20 {
            let rt = Builder::new_multi_thread()
                .worker_threads(3)
                .blocking_keep_alive(Duration::from_secs(60))
                .build()
                .unwrap();
            rt.block_on(rt.spawn_blocking(|| ())).unwrap();
            drop(rt);
        }
        support::wait_until(Duration::from_secs(10), || thread_count() <= before);
    });
}

/// Issue 33, item 10: a runtime dropped inside another runtime's task does
/// not wait for its blocking jobs (that would stall the outer worker): the
/// drop returns while the job still runs, and the job finishes on its own.
#[test]
fn a_runtime_dropped_inside_a_task_does_not_wait_for_its_blocking_jobs() {
    watchdog(LIMIT, || {
        let outer = Builder::new_multi_thread().worker_threads(1).build().unwrap();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (finished_tx, finished) = std::sync::mpsc::channel::<()>();
        let job_running = outer.block_on(async move {
            runtime::spawn(async move {
                let inner = Builder::new_multi_thread().worker_threads(1).build().unwrap();
                let (started_tx, started) = std::sync::mpsc::channel();
                drop(inner.spawn_blocking(move || {
                    started_tx.send(()).unwrap();
                    // Bounded: the test fails rather than hangs if nobody releases it.
                    let _ = released.recv_timeout(Duration::from_secs(20));
                    finished_tx.send(()).unwrap();
                }));
                started.recv().unwrap();
                drop(inner);
                // Without the fix the drop returned only once the job ended.
                finished.try_recv().is_err()
            })
            .await
            .unwrap()
        });
        assert!(job_running, "the drop waited for the blocking job");
        release.send(()).unwrap();
    });
}
