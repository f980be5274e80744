//! tokio's sync items that a port names: `const_new` for statics, and the
//! error types at their `error` paths.

mod support;

use std::time::Duration;

use runtime::sync::{Mutex, Notify, RwLock, Semaphore};
use support::watchdog;

static COUNTER: Mutex<u64> = Mutex::const_new(0);
static TABLE: RwLock<Vec<u32>> = RwLock::const_new(Vec::new());
static SLOTS: Semaphore = Semaphore::const_new(2);
static READY: Notify = Notify::const_new();

#[test]
fn statics_made_with_const_new_work_across_tasks() {
    watchdog(Duration::from_secs(30), || {
        let rt = runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let waiter = runtime::spawn(async { READY.notified().await });
            let tasks: Vec<_> = (0..8u32)
                .map(|i| {
                    runtime::spawn(async move {
                        let _slot = SLOTS.acquire().await.unwrap();
                        assert!(SLOTS.available_permits() <= 1);
                        *COUNTER.lock().await += 1;
                        TABLE.write().await.push(i);
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            assert_eq!(*COUNTER.lock().await, 8);
            assert_eq!(TABLE.read().await.len(), 8);
            assert_eq!(SLOTS.available_permits(), 2);
            READY.notify_one();
            waiter.await.unwrap();
        });
    });
}

#[test]
fn error_types_are_at_tokios_paths() {
    let rt = runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let (tx, rx) = runtime::sync::oneshot::channel::<u8>();
        drop(tx);
        let _: runtime::sync::oneshot::error::RecvError = rx.await.unwrap_err();
        let (_tx, mut rx) = runtime::sync::oneshot::channel::<u8>();
        let _: runtime::sync::oneshot::error::TryRecvError = rx.try_recv().unwrap_err();

        let (tx, mut rx) = runtime::sync::broadcast::channel::<u8>(1);
        let _: Result<usize, runtime::sync::broadcast::error::SendError<u8>> = tx.send(1);
        let _: Result<u8, runtime::sync::broadcast::error::TryRecvError> = rx.try_recv();
        drop(tx);
        let _: Result<u8, runtime::sync::broadcast::error::RecvError> = rx.recv().await;

        let (tx, mut rx) = runtime::sync::watch::channel(0u8);
        drop(tx);
        let _: runtime::sync::watch::error::RecvError = rx.changed().await.unwrap_err();
        let (tx, rx) = runtime::sync::watch::channel(0u8);
        drop(rx);
        let _: runtime::sync::watch::error::SendError<u8> = tx.send(1).unwrap_err();

        let (tx, rx) = runtime::sync::mpsc::channel::<u8>(1);
        drop(rx);
        let _: runtime::sync::mpsc::error::SendError<u8> = tx.send(1).await.unwrap_err();
        let _: runtime::sync::mpsc::error::TrySendError<u8> = tx.try_send(1).unwrap_err();
    });
}
