//! The blocking bridges: synchronous threads talk to tasks through the same
//! channels and locks, and calling one on a thread that runs tasks panics
//! with tokio's message instead of stalling them.

mod support;

use std::sync::Arc;
use std::time::Duration;

use runtime::sync::{broadcast, mpsc, oneshot, Mutex, RwLock};
use support::watchdog;

const LIMIT: Duration = Duration::from_secs(30);
const CANNOT_BLOCK: &str = "Cannot block the current thread from within a runtime";

#[test]
fn a_plain_thread_and_tasks_exchange_messages_and_share_locks() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let (to_task, mut task_rx) = mpsc::channel::<u32>(1);
        let (to_thread, mut thread_rx) = mpsc::unbounded_channel::<u32>();
        let echo = rt.spawn(async move {
            while let Some(n) = task_rx.recv().await {
                to_thread.send(n * 2).unwrap();
            }
        });
        // A channel of capacity 1: blocking_send waits for room.
        for n in 0..100 {
            to_task.blocking_send(n).unwrap();
        }
        drop(to_task);
        let mut doubled = Vec::new();
        while let Some(n) = thread_rx.blocking_recv() {
            doubled.push(n);
        }
        assert_eq!(doubled, (0..100).map(|n| n * 2).collect::<Vec<_>>());
        rt.block_on(echo).unwrap();

        let (tx, mut rx) = mpsc::channel::<u8>(8);
        rt.spawn(async move {
            for n in 0..5 {
                tx.send(n).await.unwrap();
            }
        });
        let mut batch = Vec::new();
        let mut got = 0;
        while got < 5 {
            got += rx.blocking_recv_many(&mut batch, 8);
        }
        assert_eq!(batch, [0, 1, 2, 3, 4]);

        let (tx, rx) = oneshot::channel();
        rt.spawn(async move { tx.send("done").unwrap() });
        assert_eq!(rx.blocking_recv().unwrap(), "done");
        let (tx, rx) = oneshot::channel::<()>();
        drop(tx);
        assert!(rx.blocking_recv().is_err());

        let (tx, mut rx) = broadcast::channel(4);
        rt.spawn(async move { tx.send(5u8).unwrap() });
        assert_eq!(rx.blocking_recv().unwrap(), 5);

        let mutex = Arc::new(Mutex::new(0u32));
        let lock = Arc::new(RwLock::new(Vec::new()));
        let tasks: Vec<_> = (0..4)
            .map(|i| {
                let (mutex, lock) = (mutex.clone(), lock.clone());
                rt.spawn(async move {
                    *mutex.lock().await += 1;
                    lock.write().await.push(i);
                })
            })
            .collect();
        for _ in 0..4 {
            *mutex.blocking_lock() += 1;
            lock.blocking_write().push(9);
        }
        for task in tasks {
            rt.block_on(task).unwrap();
        }
        assert_eq!(*mutex.blocking_lock(), 8);
        assert_eq!(lock.blocking_read().len(), 8);
    });
}

/// Runs `f` inside a current-thread runtime's `block_on`; returns its panic message.
fn panic_inside_a_runtime(f: impl FnOnce()) -> String {
    let rt = runtime::Builder::new_current_thread().build().unwrap();
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.block_on(async { f() })));
    let payload = panic.expect_err("the blocking call panics");
    payload.downcast::<String>().map(|m| *m).unwrap_or_default()
}

#[test]
fn a_blocking_call_on_a_thread_that_runs_tasks_panics_with_tokios_message() {
    let mutex = Mutex::new(());
    let lock = RwLock::new(());
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    let (_unbounded_tx, mut unbounded_rx) = mpsc::unbounded_channel::<u8>();
    let (_once_tx, once_rx) = oneshot::channel::<u8>();
    let shared = Arc::new(Mutex::new(()));
    let (broadcast_tx, mut broadcast_rx) = runtime::sync::broadcast::channel::<u8>(1);
    let messages = [
        panic_inside_a_runtime(|| drop(mutex.blocking_lock())),
        panic_inside_a_runtime(|| drop(shared.blocking_lock_owned())),
        panic_inside_a_runtime(|| {
            let _ = broadcast_rx.blocking_recv();
        }),
        panic_inside_a_runtime(|| drop(lock.blocking_read())),
        panic_inside_a_runtime(|| drop(lock.blocking_write())),
        panic_inside_a_runtime(|| {
            let _ = tx.blocking_send(1);
        }),
        panic_inside_a_runtime(|| {
            let _ = rx.blocking_recv();
        }),
        panic_inside_a_runtime(|| {
            let _ = unbounded_rx.blocking_recv();
        }),
        panic_inside_a_runtime(|| {
            let _ = once_rx.blocking_recv();
        }),
    ];
    for message in messages {
        assert!(message.starts_with(CANNOT_BLOCK), "{message}");
    }
    drop(broadcast_tx);
    // On the blocking pool, blocking is what it is for.
    let rt = runtime::Builder::new_current_thread().build().unwrap();
    let on_pool = rt.block_on(runtime::spawn_blocking(move || {
        drop(mutex.blocking_lock());
        true
    }));
    assert!(on_pool.unwrap());
}

/// Bad input is a clear panic with tokio's words, never a hang.
#[test]
fn a_semaphore_above_max_permits_panics_with_tokios_message() {
    let panic = std::panic::catch_unwind(|| runtime::sync::Semaphore::new(runtime::sync::Semaphore::MAX_PERMITS + 1));
    let message = panic.expect_err("too many permits").downcast::<String>().map(|m| *m).unwrap_or_default();
    assert!(message.starts_with("a semaphore may not have more than MAX_PERMITS permits"), "{message}");
}

/// `blocking_lock_owned` from a plain thread.
#[test]
fn blocking_lock_owned_waits_for_the_lock_outside_a_runtime() {
    let mutex = Arc::new(Mutex::new(1));
    let guard = mutex.clone().blocking_lock_owned();
    let other = std::thread::spawn({
        let mutex = mutex.clone();
        move || *mutex.blocking_lock_owned() += 1
    });
    drop(guard);
    other.join().unwrap();
    assert_eq!(*mutex.blocking_lock(), 2);
}
