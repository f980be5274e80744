//! `task::LocalSet`: tasks that are not `Send`, run by whoever drives the set.

mod support;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use runtime::task::{spawn_local, yield_now, LocalSet};
use runtime::Builder;
use support::{watchdog, DropCounter};

const LIMIT: Duration = Duration::from_secs(30);

fn runtimes() -> Vec<runtime::Runtime> {
    vec![Builder::new_current_thread().build().unwrap(), Builder::new_multi_thread().worker_threads(2).build().unwrap()]
}

#[test]
fn block_on_runs_local_tasks_on_either_flavor() {
    watchdog(LIMIT, || {
        for rt in runtimes() {
            let local = LocalSet::new();
            let shared = Rc::new(Cell::new(0));
            let total = local.block_on(&rt, {
                let shared = shared.clone();
                async move {
                    let tasks: Vec<_> = (1..=10)
                        .map(|i| {
                            let shared = shared.clone();
                            spawn_local(async move {
                                yield_now().await;
                                shared.set(shared.get() + i);
                            })
                        })
                        .collect();
                    for task in tasks {
                        task.await.unwrap();
                    }
                    shared.get()
                }
            });
            assert_eq!(total, 55);
            assert_eq!(shared.get(), 55);
        }
    });
}

#[test]
fn awaiting_the_set_runs_every_task_to_the_end() {
    watchdog(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let local = LocalSet::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        {
            let log = log.clone();
            local.spawn_local(async move {
                // A task that spawns another, into the same set.
                let inner = log.clone();
                spawn_local(async move { inner.borrow_mut().push("inner") });
                runtime::time::sleep(Duration::from_millis(2)).await;
                log.borrow_mut().push("outer");
            });
        }
        rt.block_on(local);
        assert_eq!(*log.borrow(), ["inner", "outer"]);
    });
}

#[test]
fn run_until_inside_a_runtime_and_tasks_left_over_run_next_time() {
    watchdog(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let local = LocalSet::new();
            let (tx, rx) = runtime::sync::oneshot::channel::<u8>();
            let waiting = local.spawn_local(async move { rx.await.unwrap() + 1 });
            // The first run ends with the task still waiting.
            local.run_until(yield_now()).await;
            tx.send(41).unwrap();
            let answer = local.run_until(waiting).await.unwrap();
            assert_eq!(answer, 42);
        });
    });
}

#[test]
fn a_wake_from_another_thread_wakes_the_set() {
    watchdog(LIMIT, || {
        for rt in runtimes() {
            let local = LocalSet::new();
            let answer = local.block_on(&rt, async {
                let (tx, rx) = runtime::sync::oneshot::channel::<u8>();
                let task = spawn_local(async move { rx.await.unwrap() });
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(5));
                    tx.send(9).unwrap();
                });
                task.await.unwrap()
            });
            assert_eq!(answer, 9);
        }
    });
}

#[test]
fn dropping_the_set_cancels_its_tasks_on_its_thread() {
    let drops = DropCounter::default();
    let local = LocalSet::new();
    let guard = drops.guard();
    let not_send = Rc::new(());
    let handle = local.spawn_local(async move {
        let _guard = guard;
        let _not_send = not_send;
        std::future::pending::<()>().await
    });
    drop(local);
    assert_eq!(drops.count(), 1);
    let rt = Builder::new_current_thread().build().unwrap();
    assert!(rt.block_on(handle).unwrap_err().is_cancelled());
}

#[test]
fn enter_makes_spawn_local_reach_the_set() {
    let rt = Builder::new_current_thread().build().unwrap();
    let local = LocalSet::new();
    let handle = {
        let _entered = local.enter();
        spawn_local(async { 5 })
    };
    assert_eq!(local.block_on(&rt, handle).unwrap(), 5);
}

/// A set whose task never stops yielding still lets the runtime's other
/// tasks run: the set yields after a bounded number of local polls.
#[test]
fn a_busy_set_does_not_starve_the_runtime() {
    watchdog(LIMIT, || {
        for rt in runtimes() {
            let local = LocalSet::new();
            local.block_on(&rt, async {
                spawn_local(async {
                    loop {
                        yield_now().await;
                    }
                });
                runtime::spawn(async { runtime::time::sleep(Duration::from_millis(1)).await }).await.unwrap();
            });
        }
    });
}
