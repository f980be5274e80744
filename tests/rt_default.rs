//! Outside any runtime, `spawn`, `spawn_blocking` and `block_on` share one
//! default runtime, and it is a whole one: its tasks' sockets and timers are
//! served by its own reactor and timer wheels (they show in its metrics), not
//! by the process-wide fallbacks that foreign executors use. Its own test
//! binary, because the default runtime is started once per process.

mod support;

use std::time::Duration;

use runtime::net::TcpListener;
use runtime::time::timeout;
use runtime::Handle;
use support::watchdog;

/// The default runtime's I/O registrations and pending timers once a task
/// of it waits on a socket and a timer, or the last seen if that never shows
/// (bounded by yields).
async fn registrations_while_a_task_waits() -> (usize, usize) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let waiting = runtime::spawn(async move { timeout(Duration::from_secs(3600), listener.accept()).await });
    let metrics = Handle::current().metrics();
    let mut seen = (0, 0);
    for _ in 0..100_000 {
        seen = (metrics.io_registrations(), metrics.timers_pending());
        if seen.0 >= 1 && seen.1 >= 1 {
            break;
        }
        runtime::task::yield_now().await;
    }
    let dump = Handle::current().dump().to_string();
    assert!(dump.contains(file!()), "the waiting task is listed where it was spawned:\n{dump}");
    waiting.abort();
    seen
}

#[test]
fn the_default_runtime_has_its_own_reactor_and_timers() {
    watchdog(Duration::from_secs(30), || {
        let task = runtime::spawn(async {
            let registrations = registrations_while_a_task_waits().await;
            (std::thread::current().name().map(str::to_owned), registrations, Handle::current().metrics())
        });
        let (thread, (io, timers), metrics) = runtime::block_on(task).unwrap();
        assert_eq!(thread.as_deref(), Some("runtime-default"));
        assert!(io >= 1, "the listener is on the default runtime's reactor");
        assert!(timers >= 1, "the timeout is on the default runtime's timers");

        // block_on and spawn_blocking reach the same runtime.
        let workers = runtime::block_on(async { Handle::current().num_workers() });
        assert_eq!(workers, metrics.num_workers());
        let blocking =
            runtime::block_on(runtime::spawn_blocking(|| Handle::current().metrics().num_workers())).unwrap();
        assert_eq!(blocking, metrics.num_workers());
    });
}
