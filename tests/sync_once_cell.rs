//! `OnceCell` and `SetOnce`: one initialiser at a time, the rest wait; a
//! cancelled or failed initialiser lets the next try.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

use runtime::sync::{OnceCell, SetError, SetOnce};
use support::watchdog;

const LIMIT: Duration = Duration::from_secs(30);

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap().block_on(future)
}

static GLOBAL: OnceCell<u32> = OnceCell::const_new();

#[test]
fn concurrent_initialisers_run_one_and_all_see_its_value() {
    watchdog(LIMIT, || {
        block_on(async {
            let cell = Arc::new(OnceCell::new());
            let runs = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..16)
                .map(|i| {
                    let (cell, runs) = (cell.clone(), runs.clone());
                    runtime::spawn(async move {
                        *cell
                            .get_or_init(|| async move {
                                runs.fetch_add(1, SeqCst);
                                runtime::time::sleep(Duration::from_millis(2)).await;
                                i
                            })
                            .await
                    })
                })
                .collect();
            let mut values = Vec::new();
            for task in tasks {
                values.push(task.await.unwrap());
            }
            assert_eq!(runs.load(SeqCst), 1);
            assert!(values.iter().all(|&v| v == values[0]));
            assert_eq!(*GLOBAL.get_or_init(|| async { 7 }).await, 7);
            assert_eq!(*GLOBAL.get_or_init(|| async { 8 }).await, 7);
        });
    });
}

/// The first initialiser is cancelled while it runs (its task aborted): the
/// waiting one runs its own. Were the right to initialise not given back,
/// the second would wait for ever and the watchdog would fail the test.
#[test]
fn a_cancelled_initialiser_lets_the_next_one_run() {
    watchdog(LIMIT, || {
        block_on(async {
            let cell = Arc::new(OnceCell::<u32>::new());
            let (started_tx, started) = runtime::sync::oneshot::channel();
            let first = {
                let cell = cell.clone();
                runtime::spawn(async move {
                    cell.get_or_init(|| async move {
                        started_tx.send(()).unwrap();
                        std::future::pending::<u32>().await
                    })
                    .await;
                })
            };
            started.await.unwrap();
            let second = {
                let cell = cell.clone();
                runtime::spawn(async move { *cell.get_or_init(|| async { 2 }).await })
            };
            runtime::task::yield_now().await;
            assert!(!cell.initialized());
            first.abort();
            assert!(first.await.unwrap_err().is_cancelled());
            assert_eq!(second.await.unwrap(), 2);
        });
    });
}

#[test]
fn a_failed_initialiser_leaves_the_cell_empty_for_the_next() {
    block_on(async {
        let cell = OnceCell::<u32>::new();
        let failed: Result<&u32, &str> = cell.get_or_try_init(|| async { Err("not yet") }).await;
        assert_eq!(failed, Err("not yet"));
        assert!(!cell.initialized());
        assert_eq!(cell.get_or_try_init(|| async { Ok::<u32, &str>(3) }).await, Ok(&3));
        assert_eq!(cell.get_or_try_init(|| async { Err("unused") }).await, Ok(&3));
    });
}

#[test]
fn set_get_take_and_the_traits() {
    block_on(async {
        let cell = Arc::new(OnceCell::new());
        // While an initialiser runs, set says so.
        let (release_tx, release) = runtime::sync::oneshot::channel::<()>();
        let (started_tx, started) = runtime::sync::oneshot::channel();
        let init = {
            let cell = cell.clone();
            runtime::spawn(async move {
                *cell
                    .get_or_init(|| async move {
                        started_tx.send(()).unwrap();
                        release.await.unwrap();
                        1
                    })
                    .await
            })
        };
        started.await.unwrap();
        let busy = cell.set(5).unwrap_err();
        assert!(busy.is_initializing_err());
        assert_eq!(busy, SetError::InitializingError(5));
        release_tx.send(()).unwrap();
        assert_eq!(init.await.unwrap(), 1);
        assert!(cell.set(5).unwrap_err().is_already_init_err());

        let mut cell = OnceCell::new();
        cell.set(10).unwrap();
        *cell.get_mut().unwrap() += 1;
        assert_eq!(cell.get(), Some(&11));
        assert_eq!(cell.clone(), OnceCell::from(11));
        assert_eq!(cell.take(), Some(11));
        assert!(!cell.initialized());
        assert_eq!(*cell.get_or_init(|| async { 12 }).await, 12, "a taken cell initialises again");
        assert_eq!(cell.into_inner(), Some(12));
        assert_eq!(OnceCell::new_with(Some(4)).get(), Some(&4));
        assert_eq!(OnceCell::<u8>::default().get(), None);
        assert!(format!("{:?}", OnceCell::new_with(Some(4))).contains('4'));
    });
}

#[test]
fn set_once_wakes_every_waiter_once_set() {
    watchdog(LIMIT, || {
        block_on(async {
            let cell = Arc::new(SetOnce::new());
            let waiters: Vec<_> = (0..4)
                .map(|_| {
                    let cell = cell.clone();
                    runtime::spawn(async move { *cell.wait().await })
                })
                .collect();
            runtime::task::yield_now().await;
            cell.set(9u8).unwrap();
            for waiter in waiters {
                assert_eq!(waiter.await.unwrap(), 9);
            }
            assert_eq!(*cell.wait().await, 9, "already set: at once");
            assert_eq!(cell.set(1).unwrap_err().0, 1);
            assert!(cell.initialized());
            assert_eq!(SetOnce::new_with(Some(2)).into_inner(), Some(2));
        });
    });
}
