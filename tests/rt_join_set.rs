//! JoinSet, AbortHandle and task ids; the join/try_join/select re-exports.

mod support;

use std::collections::HashSet;
use std::future::pending;
use std::time::Duration;

use runtime::task::{self, JoinSet};
use support::{both_flavors, watchdog, DropCounter};

const LIMIT: Duration = Duration::from_secs(if cfg!(miri) { 600 } else { 60 });
const MANY: u64 = if cfg!(miri) { 20 } else { 2_000 };

#[test]
fn join_next_returns_every_output_once_in_finishing_order() {
    watchdog(LIMIT, || {
        for rt in both_flavors() {
            rt.block_on(async {
                let mut set = JoinSet::new();
                for i in 0..MANY {
                    set.spawn(async move {
                        if i % 3 == 0 {
                            runtime::task::yield_now().await;
                        }
                        i
                    });
                }
                assert_eq!(set.len(), MANY as usize);
                let mut seen = HashSet::new();
                while let Some(result) = set.join_next().await {
                    assert!(seen.insert(result.unwrap()), "each output once");
                }
                assert_eq!(seen.len(), MANY as usize);
                assert!(set.is_empty());
                assert!(set.join_next().await.is_none());
            });
        }
    });
}

#[test]
fn the_first_to_finish_is_joined_first() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let mut set = JoinSet::new();
            let (tx, rx) = runtime::sync::oneshot::channel::<()>();
            set.spawn(async move {
                rx.await.unwrap();
                "slow"
            });
            set.spawn(async { "fast" });
            assert_eq!(set.join_next().await.unwrap().unwrap(), "fast");
            tx.send(()).unwrap();
            assert_eq!(set.join_next().await.unwrap().unwrap(), "slow");
        });
    });
}

#[test]
fn abort_all_and_drop_cancel_every_task() {
    watchdog(LIMIT, || {
        for rt in both_flavors() {
            rt.block_on(async {
                let dropped = DropCounter::default();
                let mut set = JoinSet::new();
                for _ in 0..10 {
                    let guard = dropped.guard();
                    set.spawn(async move {
                        let _guard = guard;
                        pending::<()>().await
                    });
                }
                set.abort_all();
                let mut cancelled = 0;
                while let Some(result) = set.join_next().await {
                    assert!(result.unwrap_err().is_cancelled());
                    cancelled += 1;
                }
                assert_eq!((cancelled, dropped.count()), (10, 10));

                let mut set = JoinSet::new();
                let (tx, rx) = runtime::sync::oneshot::channel::<()>();
                let guard = dropped.guard();
                let abort = set.spawn(async move {
                    let _guard = guard;
                    let _tx = tx;
                    pending::<()>().await
                });
                drop(set);
                assert!(rx.await.is_err(), "the task was dropped with the set");
                // Its future is dropped before it is marked complete: wait for the mark.
                support::wait_until(LIMIT, || abort.is_finished());
                assert_eq!(dropped.count(), 11);
            });
        }
    });
}

#[test]
fn an_abort_handle_cancels_one_task_and_panics_are_reported() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let mut set = JoinSet::new();
            let abort = set.spawn(pending::<u8>());
            set.spawn(async { panic!("boom") });
            abort.abort();
            let mut errors = Vec::new();
            while let Some(result) = set.join_next().await {
                let error = result.unwrap_err();
                errors.push((error.is_cancelled(), error.is_panic()));
            }
            errors.sort();
            assert_eq!(errors, [(false, true), (true, false)]);
            set.spawn(async { 1 });
            set.shutdown().await;
            assert!(set.is_empty());
            assert!(set.try_join_next().is_none());
        });
    });
}

#[test]
fn join_all_and_try_join_next() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let mut set = JoinSet::new();
            for i in 0..5 {
                set.spawn(async move { i });
            }
            let mut all = set.join_all().await;
            all.sort();
            assert_eq!(all, [0, 1, 2, 3, 4]);

            let mut set = JoinSet::new();
            set.spawn_blocking(|| 7);
            let mut got = None;
            while got.is_none() {
                got = set.try_join_next();
                runtime::task::yield_now().await;
            }
            assert_eq!(got.unwrap().unwrap(), 7);
        });
    });
}

#[test]
fn every_task_has_an_id_and_sees_it_while_running_and_dropping() {
    watchdog(LIMIT, || {
        for rt in both_flavors() {
            assert_eq!(rt.block_on(async { task::try_id() }), None, "block_on's future is not a task");
            rt.block_on(async {
                let handles: Vec<_> = (0..100).map(|_| runtime::spawn(async { task::id() })).collect();
                let mut ids = HashSet::new();
                for handle in handles {
                    let id = handle.id();
                    assert_eq!(handle.abort_handle().id(), id);
                    assert_eq!(handle.await.unwrap(), id, "try_id inside the task is its id");
                    assert!(ids.insert(id), "ids are unique");
                }
                assert!(ids.iter().all(|id| id.to_string().parse::<u64>().unwrap() == id.as_u64()));

                struct SeesId(std::sync::mpsc::Sender<Option<task::Id>>);
                impl Drop for SeesId {
                    fn drop(&mut self) {
                        let _ = self.0.send(task::try_id());
                    }
                }
                let (tx, rx) = std::sync::mpsc::channel();
                let guard = SeesId(tx);
                let handle = runtime::spawn(async move {
                    let _guard = guard;
                    pending::<()>().await
                });
                let id = handle.id();
                handle.abort();
                let _ = handle.await;
                assert_eq!(rx.recv().unwrap(), Some(id), "the future's drop runs as its task");
            });
        }
        assert_eq!(task::try_id(), None, "outside any task");
    });
}

/// `try_join_next` never waits, so the cooperative budget (for waits) must
/// not limit it: it returns every finished task, however many (issue 33,
/// item 8; it returned 127 of 1,000).
#[test]
fn try_join_next_returns_every_finished_task_whatever_the_budget() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_current_thread().build().unwrap();
        let joined = rt.block_on(async {
            let finished = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let mut set = JoinSet::new();
            for _ in 0..1_000 {
                let finished = finished.clone();
                set.spawn(async move {
                    finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                });
            }
            // One thread: once a task counted, its poll has returned and it completed.
            while finished.load(std::sync::atomic::Ordering::SeqCst) < 1_000 {
                task::yield_now().await;
            }
            let mut joined = 0;
            while let Some(result) = set.try_join_next() {
                result.unwrap();
                joined += 1;
            }
            joined
        });
        assert_eq!(joined, 1_000);
    });
}

#[test]
fn join_next_with_id_names_the_task_and_a_join_error_names_the_failed_one() {
    watchdog(LIMIT, || {
        for rt in both_flavors() {
            rt.block_on(async {
                let mut set = JoinSet::new();
                let ok = set.spawn(async { 1 }).id();
                let failed = set.spawn(async { panic!("boom") }).id();
                let aborted = set.spawn(pending::<i32>());
                let aborted_id = aborted.id();
                aborted.abort();
                let mut seen = Vec::new();
                while let Some(result) = set.join_next_with_id().await {
                    match result {
                        Ok((id, output)) => {
                            assert_eq!((id, output), (ok, 1));
                            seen.push(id);
                        }
                        Err(error) => {
                            assert_eq!(error.is_panic(), error.id() == failed);
                            assert!(error.id() == failed || (error.id() == aborted_id && error.is_cancelled()));
                            assert!(error.to_string().contains(&error.id().to_string()), "{error}");
                            seen.push(error.id());
                        }
                    }
                }
                seen.sort();
                let mut expected = vec![ok, failed, aborted_id];
                expected.sort();
                assert_eq!(seen, expected);
            });
        }
    });
}

#[test]
fn try_join_next_with_id_and_spawn_blocking_on() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap();
        let mut set = JoinSet::new();
        let id = set.spawn_blocking_on(|| 5, rt.handle()).id();
        let finished = rt.block_on(async {
            loop {
                if let Some(result) = set.try_join_next_with_id() {
                    break result.unwrap();
                }
                task::yield_now().await;
            }
        });
        assert_eq!(finished, (id, 5), "the blocking job's id and output");
    });
}

#[test]
fn a_join_set_collects_and_extends_from_futures() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let mut set: JoinSet<u32> = (0..4).map(|i| async move { i }).collect();
            set.extend((4..6).map(|i| async move { i }));
            assert_eq!(set.len(), 6);
            let mut outputs = set.join_all().await;
            outputs.sort();
            assert_eq!(outputs, [0, 1, 2, 3, 4, 5]);
        });
    });
}

#[test]
fn an_abort_handle_clones_and_each_clone_aborts_and_sees_the_end() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let handle = runtime::spawn(pending::<()>());
            let first = handle.abort_handle();
            let second = first.clone();
            assert_eq!(first.id(), second.id());
            drop(first);
            second.abort();
            assert!(handle.await.unwrap_err().is_cancelled());
            assert!(second.is_finished());
        });
    });
}
