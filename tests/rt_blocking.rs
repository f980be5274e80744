//! The blocking pool: results, growth on demand, the cap, keep-alive.

mod support;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use runtime::Builder;
use support::{wait_until, watchdog};

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn spawn_blocking_returns_the_result_and_reports_panics() {
    watchdog(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            assert_eq!(runtime::spawn_blocking(|| 6 * 7).await.unwrap(), 42);
            let error = runtime::spawn_blocking(|| panic!("blocking boom")).await.unwrap_err();
            assert!(error.is_panic());
            // The pool still works after a job panicked.
            assert_eq!(runtime::spawn_blocking(|| 1).await.unwrap(), 1);
        });
    });
}

#[test]
fn the_pool_grows_on_demand_up_to_its_cap_and_queues_the_rest() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(1).max_blocking_threads(4).build().unwrap();
        let gate = Arc::new(Barrier::new(5));
        let jobs: Vec<_> = (0..8)
            .map(|i| {
                let gate = gate.clone();
                rt.spawn_blocking(move || {
                    // The first four hold their threads until all four run at once.
                    if i < 4 {
                        gate.wait();
                    }
                    i
                })
            })
            .collect();
        wait_until(LIMIT, || rt.handle().metrics().num_blocking_threads() == 4);
        gate.wait();
        let results: Vec<_> = rt.block_on(async {
            let mut results = Vec::new();
            for job in jobs {
                results.push(job.await.unwrap());
            }
            results
        });
        assert_eq!(results, (0..8).collect::<Vec<_>>());
        assert_eq!(rt.handle().metrics().num_blocking_threads(), 4, "the pool never passes its cap");
    });
}

#[test]
fn idle_threads_exit_after_keep_alive() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread()
            .worker_threads(1)
            .blocking_keep_alive(Duration::from_millis(50))
            .build()
            .unwrap();
        rt.block_on(rt.spawn_blocking(|| ())).unwrap();
        assert_eq!(rt.handle().metrics().num_blocking_threads(), 1);
        wait_until(LIMIT, || rt.handle().metrics().num_blocking_threads() == 0);
        // A new job starts a new thread.
        assert_eq!(rt.block_on(rt.spawn_blocking(|| 3)).unwrap(), 3);
    });
}

#[test]
fn an_idle_thread_is_reused_instead_of_starting_another() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
        for i in 0..50 {
            assert_eq!(rt.block_on(rt.spawn_blocking(move || i)).unwrap(), i);
            // The result can arrive before the thread counts itself idle; a job
            // submitted in that instant rightly starts a thread rather than wait.
            wait_until(LIMIT, || rt.handle().metrics().num_idle_blocking_threads() == 1);
        }
        assert_eq!(rt.handle().metrics().num_blocking_threads(), 1);
    });
}

#[test]
fn blocking_threads_run_inside_the_runtime_context() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let value = rt.block_on(rt.spawn_blocking(|| {
            // From a blocking thread: spawn onto the same runtime and wait for it.
            runtime::block_on(runtime::spawn(async { 9 })).unwrap()
        }));
        assert_eq!(value.unwrap(), 9);
    });
}

#[test]
fn metrics_count_polls_and_pushes() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let metrics = rt.handle().metrics();
        let polls_before = metrics.polls();
        rt.block_on(async {
            for _ in 0..100 {
                runtime::spawn(async {}).await.unwrap();
            }
        });
        assert_eq!(metrics.num_workers(), 2);
        assert!(metrics.polls() >= polls_before + 100);
        assert!(metrics.injector_pushes() >= 100, "spawns from block_on go through the injector");
    });
}
