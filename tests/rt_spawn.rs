//! Spawning and joining tasks: results, aborts, panics, detaching.

mod support;

use std::future::{pending, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use runtime::{Builder, Runtime};
use support::{watchdog, DropCounter};

// Generous: a watchdog, not a speed check (Miri runs these 100x slower).
const LIMIT: Duration = Duration::from_secs(if cfg!(miri) { 600 } else { 60 });

fn flavors() -> Vec<Runtime> {
    vec![Builder::new_multi_thread().worker_threads(2).build().unwrap(), Builder::new_current_thread().build().unwrap()]
}

#[test]
fn spawn_from_outside_and_inside_a_runtime_joins_results() {
    watchdog(LIMIT, || {
        for rt in flavors() {
            let outside = rt.spawn(async { 1 });
            let total = rt.block_on(async {
                let inside = runtime::spawn(async { 2 });
                let nested = runtime::spawn(async { runtime::spawn(async { 3 }).await.unwrap() });
                outside.await.unwrap() + inside.await.unwrap() + nested.await.unwrap()
            });
            assert_eq!(total, 6);
        }
    });
}

#[test]
fn free_spawn_outside_any_runtime_uses_the_default_runtime() {
    watchdog(LIMIT, || {
        let handle = runtime::spawn(async { runtime::Handle::current().num_workers() });
        assert!(runtime::block_on(handle).unwrap() >= 1);
    });
}

#[test]
fn abort_before_start_cancels_and_drops_the_future() {
    watchdog(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let drops = DropCounter::default();
        let guard = drops.guard();
        // The current-thread runtime runs nothing until block_on: the task has not started.
        let handle = rt.spawn(async move {
            let _guard = guard;
            unreachable!("an aborted task never runs");
        });
        handle.abort();
        let error = rt.block_on(handle).unwrap_err();
        assert!(error.is_cancelled() && !error.is_panic());
        assert_eq!(drops.count(), 1);
    });
}

#[test]
fn abort_while_pending_cancels_and_drops_the_future() {
    watchdog(LIMIT, || {
        for rt in flavors() {
            let drops = DropCounter::default();
            let guard = drops.guard();
            let started = Arc::new(AtomicUsize::new(0));
            let started2 = started.clone();
            rt.block_on(async move {
                let handle = runtime::spawn(async move {
                    let _guard = guard;
                    started2.store(1, Ordering::SeqCst);
                    pending::<()>().await
                });
                while started.load(Ordering::SeqCst) == 0 {
                    runtime::task::yield_now().await;
                }
                handle.abort();
                assert!(handle.await.unwrap_err().is_cancelled());
            });
            assert_eq!(drops.count(), 1);
        }
    });
}

#[test]
fn abort_after_completion_keeps_the_output() {
    watchdog(LIMIT, || {
        let rt = Runtime::new().unwrap();
        rt.block_on(async {
            let handle = runtime::spawn(async { 7 });
            while !handle.is_finished() {
                runtime::task::yield_now().await;
            }
            handle.abort();
            assert_eq!(handle.await.unwrap(), 7);
        });
    });
}

#[test]
fn a_panicking_task_is_reported_and_the_worker_survives() {
    watchdog(LIMIT, || {
        for rt in flavors() {
            rt.block_on(async {
                for _ in 0..10 {
                    let error = runtime::spawn(async { panic!("boom") }).await.unwrap_err();
                    assert!(error.is_panic());
                    // As tokio's: the message names the task.
                    assert_eq!(error.to_string(), format!("task {} panicked with message \"boom\"", error.id()));
                    assert_eq!(*error.into_panic().downcast::<&str>().unwrap(), "boom");
                }
                assert_eq!(runtime::spawn(async { 1 }).await.unwrap(), 1);
            });
        }
    });
}

#[test]
fn dropping_the_join_handle_detaches_the_task() {
    watchdog(LIMIT, || {
        let rt = Runtime::new().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        drop(rt.spawn(async move {
            runtime::task::yield_now().await;
            tx.send(5).unwrap();
        }));
        assert_eq!(rx.recv_timeout(LIMIT).unwrap(), 5);
    });
}

#[test]
fn a_million_tasks_are_joined_and_each_future_dropped_once() {
    const TASKS: usize = if cfg!(miri) { 1_000 } else { 1_000_000 };
    watchdog(Duration::from_secs(120), || {
        let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let drops = DropCounter::default();
        let polled = Arc::new(AtomicUsize::new(0));
        let sum = rt.block_on({
            let (drops, polled) = (drops.clone(), polled.clone());
            async move {
                let mut handles = Vec::with_capacity(TASKS);
                for i in 0..TASKS {
                    let guard = drops.guard();
                    let polled = polled.clone();
                    handles.push(runtime::spawn(async move {
                        let _guard = guard;
                        polled.fetch_add(1, Ordering::Relaxed);
                        i as u64
                    }));
                }
                let mut sum = 0;
                for handle in handles {
                    sum += handle.await.unwrap();
                }
                sum
            }
        });
        assert_eq!(sum, (TASKS as u64 - 1) * TASKS as u64 / 2);
        assert_eq!(polled.load(Ordering::Relaxed), TASKS);
        assert_eq!(drops.count(), TASKS);
        assert_eq!(rt.handle().metrics().num_alive_tasks(), 0);
    });
}

/// A future that hands its waker to other threads, which clone, wake and drop it.
struct ShareWaker {
    rounds: usize,
    woken: Arc<AtomicUsize>,
}

impl Future for ShareWaker {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.rounds == 0 {
            return Poll::Ready(());
        }
        self.rounds -= 1;
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let waker = cx.waker().clone();
                let woken = self.woken.clone();
                std::thread::spawn(move || {
                    let extra = waker.clone();
                    match i % 3 {
                        0 => waker.wake(),
                        1 => waker.wake_by_ref(),
                        _ => drop(waker),
                    }
                    extra.wake_by_ref();
                    drop(extra);
                    woken.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        drop(threads);
        Poll::Pending
    }
}

#[test]
fn wakers_cloned_woken_and_dropped_from_many_threads() {
    watchdog(LIMIT, || {
        for rt in flavors() {
            let woken = Arc::new(AtomicUsize::new(0));
            let handles: Vec<_> = (0..50).map(|_| rt.spawn(ShareWaker { rounds: 20, woken: woken.clone() })).collect();
            rt.block_on(async {
                for handle in handles {
                    handle.await.unwrap();
                }
            });
        }
    });
}

#[test]
fn block_on_inside_a_task_panics_with_advice() {
    watchdog(LIMIT, || {
        for rt in flavors() {
            let error = rt.block_on(runtime::spawn(async { runtime::block_on(async {}) })).unwrap_err();
            let message = error.to_string();
            assert!(message.contains("spawn_blocking") && message.contains("spawn"), "{message}");
        }
    });
}

#[test]
fn current_thread_runs_every_task_on_the_calling_thread() {
    watchdog(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let me = std::thread::current().id();
        rt.block_on(async move {
            let ids: Vec<_> = (0..10).map(|_| runtime::spawn(async { std::thread::current().id() })).collect();
            for id in ids {
                assert_eq!(id.await.unwrap(), me);
            }
        });
    });
}

#[test]
fn current_thread_block_on_from_two_threads_makes_progress() {
    watchdog(LIMIT, || {
        let rt = Arc::new(Builder::new_current_thread().build().unwrap());
        let (tx, rx) = futures_channel::oneshot::channel::<u32>();
        let other = {
            let rt = rt.clone();
            // This thread waits for a task that only a driving thread runs.
            std::thread::spawn(move || rt.block_on(rt.spawn(async { rx.await.unwrap() + 1 })).unwrap())
        };
        rt.block_on(async move {
            tx.send(41).unwrap();
        });
        assert_eq!(other.join().unwrap(), 42);
    });
}

/// A burst of spawns from one task, each task then waking itself twice:
/// the tasks the spawner's full queue sends to the injector come back in
/// batches that leave room for the wakes, so each passes through the injector
/// about once. (A batch that filled a local queue sent the oldest half back
/// at the next wake: tasks bounced between queues, and started far out of
/// spawn order.)
#[test]
fn a_spawn_burst_passes_through_the_injector_about_once() {
    const TASKS: u64 = if cfg!(miri) { 2_000 } else { 50_000 };
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(rt.spawn(async {
            let handles: Vec<_> = (0..TASKS)
                .map(|_| {
                    runtime::spawn(async {
                        runtime::task::yield_now().await;
                        runtime::task::yield_now().await;
                    })
                })
                .collect();
            for handle in handles {
                handle.await.unwrap();
            }
        }))
        .unwrap();
        let pushed = rt.handle().metrics().injector_pushes();
        assert!(pushed <= 2 * TASKS, "{pushed} tasks went through the injector for {TASKS} spawned");
    });
}

/// Sends, when dropped, whether the thread was unwinding.
struct ReportsUnwinding(Option<runtime::sync::oneshot::Sender<bool>>);

impl Drop for ReportsUnwinding {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(std::thread::panicking());
        }
    }
}

fn current_and_multi_thread() -> Vec<Runtime> {
    vec![
        Builder::new_current_thread().build().unwrap(),
        Builder::new_multi_thread().worker_threads(1).build().unwrap(),
        Builder::new_multi_thread().worker_threads(4).build().unwrap(),
    ]
}

#[test]
fn a_panicking_task_drops_its_future_while_unwinding() {
    watchdog(LIMIT, || {
        for rt in current_and_multi_thread() {
            // A future whose field outlives the panicking poll (an async block
            // would drop its locals in its own unwind, hiding the difference).
            struct PanicsOnPoll(#[allow(dead_code)] ReportsUnwinding);
            impl Future for PanicsOnPoll {
                type Output = ();
                fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
                    panic!("boom");
                }
            }
            let (tx, rx) = runtime::sync::oneshot::channel();
            let handle = rt.spawn(PanicsOnPoll(ReportsUnwinding(Some(tx))));
            assert!(rt.block_on(handle).unwrap_err().is_panic());
            assert_eq!(rt.block_on(rx), Ok(true), "the future's drop ran inside the unwind");
            assert_eq!(rt.block_on(rt.spawn(async { 7 })).unwrap(), 7, "the runtime keeps serving");
        }
    });
}

#[test]
fn a_panic_in_the_drop_of_a_finished_future_is_reported_through_the_join_handle() {
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("drop boom");
        }
    }
    watchdog(LIMIT, || {
        for rt in current_and_multi_thread() {
            // The guard is a field, dropped with the spent future after Ready.
            struct ReadyThenPanicsOnDrop(#[allow(dead_code)] PanicsOnDrop);
            impl Future for ReadyThenPanicsOnDrop {
                type Output = u8;
                fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<u8> {
                    Poll::Ready(5)
                }
            }
            let handle = rt.spawn(ReadyThenPanicsOnDrop(PanicsOnDrop));
            let error = rt.block_on(handle).unwrap_err();
            assert!(error.is_panic());
            assert!(error.to_string().contains("drop boom"), "{error}");
            let (tx, rx) = runtime::sync::oneshot::channel();
            let guard = ReportsUnwinding(Some(tx));
            rt.block_on(rt.spawn(async move { drop(guard) })).unwrap();
            assert_eq!(rt.block_on(rx), Ok(false), "an ordinary drop is not unwinding");
        }
    });
}
