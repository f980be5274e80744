//! Builder options a tokio program sets: `enable_*`, `thread_keep_alive`,
//! `thread_stack_size`, the thread and park hooks, the two intervals.

mod support;

use std::time::Duration;

use runtime::Builder;
use support::{wait_until, watchdog};

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn enable_all_io_and_time_build_a_runtime_whose_sockets_and_timers_work() {
    watchdog(LIMIT, || {
        for mut builder in [Builder::new_multi_thread(), Builder::new_current_thread()] {
            let rt = builder.enable_all().enable_io().enable_time().build().unwrap();
            rt.block_on(async {
                let listener = runtime::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let (accepted, connected) =
                    futures_util::future::join(listener.accept(), runtime::net::TcpStream::connect(addr)).await;
                accepted.unwrap();
                connected.unwrap();
                runtime::time::sleep(Duration::from_millis(1)).await;
            });
        }
    });
}

#[test]
fn thread_keep_alive_lets_idle_blocking_threads_exit() {
    watchdog(LIMIT, || {
        let rt =
            Builder::new_multi_thread().worker_threads(1).thread_keep_alive(Duration::from_millis(10)).build().unwrap();
        rt.block_on(rt.spawn_blocking(|| 1)).unwrap();
        // The thread waits 10 ms for another job, then exits.
        wait_until(LIMIT, || rt.handle().metrics().num_blocking_threads() == 0);
    });
}

/// Uses `bytes` of this thread's stack.
#[inline(never)]
fn use_stack(bytes: usize) -> u8 {
    let mut frame = [0u8; 6 << 20];
    let frame = std::hint::black_box(&mut frame[..bytes]);
    frame[bytes - 1] = 1;
    std::hint::black_box(frame)[bytes - 1]
}

/// A task and a blocking job that use 6 MiB of stack run on threads given
/// 16 MiB; with std's default of 2 MiB this test would crash.
#[test]
fn thread_stack_size_sizes_worker_and_blocking_threads() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(1).thread_stack_size(16 << 20).build().unwrap();
        assert_eq!(rt.block_on(rt.spawn(async { use_stack(6 << 20) })).unwrap(), 1);
        assert_eq!(rt.block_on(rt.spawn_blocking(|| use_stack(6 << 20))).unwrap(), 1);
    });
}

#[test]
fn thread_hooks_run_on_every_worker_and_blocking_thread_inside_the_runtime() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    watchdog(LIMIT, || {
        let (started, stopped, in_runtime) =
            (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let rt = {
            let (started, stopped, in_runtime) = (started.clone(), stopped.clone(), in_runtime.clone());
            Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name_fn(|| "hooked".to_string())
                .on_thread_start(move || {
                    started.fetch_add(1, SeqCst);
                    if runtime::Handle::try_current().is_ok() {
                        in_runtime.fetch_add(1, SeqCst);
                    }
                })
                .on_thread_stop(move || {
                    stopped.fetch_add(1, SeqCst);
                })
                .build()
                .unwrap()
        };
        let name = rt.block_on(rt.spawn_blocking(|| std::thread::current().name().map(str::to_string))).unwrap();
        assert_eq!(name.as_deref(), Some("hooked"), "thread_name_fn names blocking threads too");
        // The workers run their hooks as they start, maybe after this point:
        // wait for two workers and the blocking thread, each inside the runtime.
        wait_until(LIMIT, || started.load(SeqCst) >= 3 && in_runtime.load(SeqCst) == started.load(SeqCst));
        // The blocking thread may outlive the timeout's wait: wait for its hook.
        rt.shutdown_timeout(Duration::from_secs(10));
        wait_until(LIMIT, || stopped.load(SeqCst) == started.load(SeqCst));
    });
}

#[test]
fn park_hooks_run_as_a_worker_sleeps_and_wakes_inside_the_runtime() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    watchdog(LIMIT, || {
        for mut builder in [Builder::new_multi_thread(), Builder::new_current_thread()] {
            let (parks, unparks, outside) =
                (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
            let rt = {
                let (parks, unparks, outside_park, outside_unpark) =
                    (parks.clone(), unparks.clone(), outside.clone(), outside.clone());
                builder
                    .worker_threads(1)
                    .on_thread_park(move || {
                        parks.fetch_add(1, SeqCst);
                        if runtime::Handle::try_current().is_err() {
                            outside_park.fetch_add(1, SeqCst);
                        }
                    })
                    .on_thread_unpark(move || {
                        unparks.fetch_add(1, SeqCst);
                        if runtime::Handle::try_current().is_err() {
                            outside_unpark.fetch_add(1, SeqCst);
                        }
                    })
                    .build()
                    .unwrap()
            };
            // A timer makes the worker sleep and wake.
            rt.block_on(rt.spawn(runtime::time::sleep(Duration::from_millis(5)))).unwrap();
            wait_until(LIMIT, || parks.load(SeqCst) >= 1 && unparks.load(SeqCst) >= 1);
            let metrics = rt.metrics();
            wait_until(LIMIT, || parks.load(SeqCst) as u64 == metrics.worker_park_count(0));
            assert_eq!(outside.load(SeqCst), 0, "the hooks run inside the runtime's context");
        }
    });
}

/// A task that yields without end keeps its worker's local queue full;
/// `global_queue_interval` bounds how many of its polls a task spawned from
/// outside waits behind (with the default, 61, five waits all under 10
/// happen about once in 10,000 runs). The spinner counts its polls from when
/// it sees the spawn done, so a slow main thread only shortens the count.
#[test]
fn global_queue_interval_sets_how_often_the_injector_is_served() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
    use std::sync::Arc;
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(1).global_queue_interval(3).build().unwrap();
        let (injected, since, running, stop) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        );
        let spinner = {
            let (injected, since, running, stop) = (injected.clone(), since.clone(), running.clone(), stop.clone());
            rt.spawn(async move {
                running.store(true, SeqCst);
                while !stop.load(SeqCst) {
                    if injected.load(SeqCst) {
                        since.fetch_add(1, SeqCst);
                    }
                    runtime::task::yield_now().await;
                }
            })
        };
        wait_until(LIMIT, || running.load(SeqCst));
        for _ in 0..5 {
            injected.store(false, SeqCst);
            since.store(0, SeqCst);
            let outside = {
                let since = since.clone();
                rt.spawn(async move { since.load(SeqCst) })
            };
            injected.store(true, SeqCst);
            let waited = rt.block_on(outside).unwrap();
            assert!(waited < 10, "the outside task waited {waited} of the spinner's polls");
        }
        stop.store(true, SeqCst);
        rt.block_on(spinner).unwrap();
    });
}

#[test]
fn event_interval_builds_a_runtime_whose_io_works_and_zero_is_refused() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(1).event_interval(1).build().unwrap();
        rt.block_on(async {
            let listener = runtime::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let client = runtime::spawn(runtime::net::TcpStream::connect(addr));
            listener.accept().await.unwrap();
            client.await.unwrap().unwrap();
        });
    });
    let zero =
        std::panic::catch_unwind(|| Builder::new_multi_thread().event_interval(0).global_queue_interval(1).build());
    assert!(zero.is_err());
    let zero = std::panic::catch_unwind(|| Builder::new_multi_thread().global_queue_interval(0).build());
    assert!(zero.is_err());
}
