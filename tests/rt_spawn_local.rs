//! `spawn_local`: futures that are not `Send` run on the thread that spawned
//! them, on both flavors, are woken from any thread, and are dropped there.

mod support;

use std::cell::{Cell, RefCell};
use std::future::pending;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread::{self, ThreadId};
use std::time::Duration;

use futures_util::future::poll_fn;
use runtime::task::{spawn_local, yield_now};
use runtime::{Builder, Runtime};
use support::{wait_until, watchdog};

const LIMIT: Duration = Duration::from_secs(60);

fn flavors() -> Vec<Runtime> {
    vec![Builder::new_multi_thread().worker_threads(2).build().unwrap(), Builder::new_current_thread().build().unwrap()]
}

/// Records the thread it is dropped on.
struct DropsOn(Arc<Mutex<Option<ThreadId>>>);

impl Drop for DropsOn {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(thread::current().id());
    }
}

/// Where the future from `never_ready` is dropped, once it is.
type DroppedOn = Arc<Mutex<Option<ThreadId>>>;

/// A future that is not `Send` and never completes, and where it was dropped.
fn never_ready() -> (DroppedOn, impl std::future::Future<Output = ()>) {
    let dropped_on = DroppedOn::default();
    let guard = DropsOn(dropped_on.clone());
    let future = async move {
        let _guard = guard;
        let _not_send = Rc::new(());
        pending::<()>().await;
    };
    (dropped_on, future)
}

#[test]
fn block_on_runs_local_tasks_with_rc_state_on_both_flavors() {
    watchdog(LIMIT, || {
        for rt in flavors() {
            let total = rt.block_on(async {
                let counter = Rc::new(Cell::new(0));
                let handles: Vec<_> = (0..100)
                    .map(|i| {
                        let counter = counter.clone();
                        spawn_local(async move {
                            yield_now().await;
                            counter.set(counter.get() + i);
                            Rc::new(i) // an output that is not Send either
                        })
                    })
                    .collect();
                let mut outputs = 0;
                for handle in handles {
                    outputs += *handle.await.unwrap();
                }
                assert_eq!(outputs, counter.get());
                counter.get()
            });
            assert_eq!(total, 4950);
        }
    });
}

#[test]
fn a_local_task_is_woken_by_timers_and_by_other_threads() {
    watchdog(LIMIT, || {
        for rt in flavors() {
            rt.block_on(async {
                let here = thread::current().id();
                let slept = spawn_local(async move {
                    let marker = Rc::new(());
                    runtime::time::sleep(Duration::from_millis(5)).await;
                    drop(marker);
                    thread::current().id()
                });
                assert_eq!(slept.await.unwrap(), here);

                // A waker sent to a plain thread, which wakes it from there.
                let waker: Arc<Mutex<Option<Waker>>> = Arc::default();
                let fired = Arc::new(AtomicBool::new(false));
                let task = spawn_local({
                    let (waker, fired) = (waker.clone(), fired.clone());
                    let marker = Rc::new(());
                    poll_fn(move |cx| {
                        let _ = &marker;
                        if fired.load(Ordering::SeqCst) {
                            return Poll::Ready(thread::current().id());
                        }
                        *waker.lock().unwrap() = Some(cx.waker().clone());
                        Poll::Pending
                    })
                });
                let waker_thread = thread::spawn(move || {
                    wait_until(LIMIT, || waker.lock().unwrap().is_some());
                    fired.store(true, Ordering::SeqCst);
                    waker.lock().unwrap().take().unwrap().wake();
                });
                assert_eq!(task.await.unwrap(), here);
                waker_thread.join().unwrap();
            });
        }
    });
}

#[test]
fn local_tasks_stay_on_the_worker_that_spawned_them() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let (spawner, threads) = rt
            .block_on(rt.spawn(async {
                let spawner = thread::current().id();
                // The Rc lives in a local task: this task itself must stay Send.
                let threads = spawn_local(async {
                    let seen = Rc::new(RefCell::new(Vec::new()));
                    let handles: Vec<_> = (0..50)
                        .map(|_| {
                            let seen = seen.clone();
                            spawn_local(async move {
                                // Yields leave runnable tasks behind for the idle
                                // worker to steal, if it could.
                                for _ in 0..100 {
                                    seen.borrow_mut().push(thread::current().id());
                                    yield_now().await;
                                }
                            })
                        })
                        .collect();
                    for handle in handles {
                        handle.await.unwrap();
                    }
                    let threads = seen.borrow().clone();
                    threads
                });
                (spawner, threads.await.unwrap())
            }))
            .unwrap();
        assert_eq!(threads.len(), 5000);
        assert!(threads.iter().all(|&thread| thread == spawner));
    });
}

#[test]
fn pending_local_tasks_are_dropped_on_their_thread_when_block_on_returns() {
    watchdog(LIMIT, || {
        for rt in flavors() {
            let (dropped_on, future) = never_ready();
            rt.block_on(async move {
                let handle = spawn_local(future);
                yield_now().await;
                assert!(!handle.is_finished());
            });
            assert_eq!(*dropped_on.lock().unwrap(), Some(thread::current().id()));
        }
    });
}

#[test]
fn pinned_tasks_are_dropped_on_their_worker_at_shutdown() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let (worker, dropped_on) = rt
            .block_on(rt.spawn(async {
                let (dropped_on, future) = never_ready();
                spawn_local(future);
                (thread::current().id(), dropped_on)
            }))
            .unwrap();
        drop(rt);
        assert_eq!(*dropped_on.lock().unwrap(), Some(worker));
    });
}

#[test]
fn abort_from_another_thread_cancels_on_the_owning_thread() {
    watchdog(LIMIT, || {
        for rt in flavors() {
            let (dropped_on, future) = never_ready();
            let error = rt.block_on(async move {
                let handle = spawn_local(future);
                // The output is Send, so the handle may travel.
                let handle = thread::spawn(move || {
                    handle.abort();
                    handle
                })
                .join()
                .unwrap();
                handle.await.unwrap_err()
            });
            assert!(error.is_cancelled());
            assert_eq!(*dropped_on.lock().unwrap(), Some(thread::current().id()));
        }
    });
}

#[test]
fn a_yielding_local_task_does_not_starve_ordinary_tasks() {
    watchdog(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let hog_turns = rt.block_on(async {
            let done = Rc::new(Cell::new(false));
            let turns = Rc::new(Cell::new(0usize));
            let hog = spawn_local({
                let (done, turns) = (done.clone(), turns.clone());
                async move {
                    // Bounded, so a starving scheduler fails the test instead of hanging it.
                    while !done.get() && turns.get() < 1_000_000 {
                        turns.set(turns.get() + 1);
                        yield_now().await;
                    }
                }
            });
            let progress = Arc::new(AtomicUsize::new(0));
            let ordinary = runtime::spawn({
                let progress = progress.clone();
                async move {
                    for _ in 0..100 {
                        progress.fetch_add(1, Ordering::SeqCst);
                        yield_now().await;
                    }
                }
            });
            ordinary.await.unwrap();
            done.set(true);
            hog.await.unwrap();
            turns.get()
        });
        // Each of the 100 ordinary turns costs the hog at most a few turns.
        assert!(hog_turns < 1_000, "the local hog took {hog_turns} turns");
    });
}

#[test]
fn a_thread_waiting_to_drive_a_current_thread_runtime_runs_its_own_local_tasks() {
    watchdog(LIMIT, || {
        let rt = Arc::new(Builder::new_current_thread().build().unwrap());
        let (driving, release) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
        let driver = thread::spawn({
            let (rt, driving, release) = (rt.clone(), driving.clone(), release.clone());
            move || {
                rt.block_on(async move {
                    driving.store(true, Ordering::SeqCst);
                    while !release.load(Ordering::SeqCst) {
                        runtime::time::sleep(Duration::from_millis(1)).await;
                    }
                })
            }
        });
        wait_until(LIMIT, || driving.load(Ordering::SeqCst));
        let here = thread::current().id();
        let ran_on = rt.block_on(async {
            let not_send = Rc::new(());
            spawn_local(async move {
                let _ = not_send;
                yield_now().await;
                thread::current().id()
            })
            .await
            .unwrap()
        });
        release.store(true, Ordering::SeqCst);
        driver.join().unwrap();
        assert_eq!(ran_on, here);
    });
}

#[test]
fn spawn_local_outside_a_runtime_panics_with_advice() {
    let panic = std::panic::catch_unwind(|| spawn_local(async {})).unwrap_err();
    let message =
        panic.downcast_ref::<&str>().copied().map(str::to_string).or_else(|| panic.downcast_ref::<String>().cloned());
    assert!(message.unwrap().contains("spawn_local"));
}
