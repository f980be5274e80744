//! Builder options a tokio program sets: `enable_*`, `thread_keep_alive`,
//! `thread_stack_size`.

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
        wait_until(LIMIT, || rt.handle().metrics().blocking_threads == 0);
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
