//! Mutex, RwLock, Semaphore, Notify and Barrier: exclusion, arrival order,
//! cancelled waiters handing their turn on, closing.

mod support;

use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use runtime::sync::{Barrier, Mutex, Notify, RwLock, Semaphore, TryAcquireError};
use support::{both_flavors, poll_once, watchdog};

const LIMIT: Duration = Duration::from_secs(if cfg!(miri) { 600 } else { 60 });
const TASKS: usize = if cfg!(miri) { 4 } else { 64 };
const ROUNDS: usize = if cfg!(miri) { 10 } else { 1_000 };

#[test]
fn mutex_excludes_across_workers_and_loses_no_increment() {
    watchdog(LIMIT, || {
        for rt in both_flavors() {
            rt.block_on(async {
                let counter = Arc::new(Mutex::new(0usize));
                let inside = Arc::new(AtomicUsize::new(0));
                let tasks: Vec<_> = (0..TASKS)
                    .map(|_| {
                        let (counter, inside) = (counter.clone(), inside.clone());
                        runtime::spawn(async move {
                            for i in 0..ROUNDS {
                                let mut guard = counter.lock().await;
                                assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0, "one holder at a time");
                                let seen = *guard;
                                if i % 16 == 0 {
                                    runtime::task::yield_now().await; // held across an await
                                }
                                *guard = seen + 1;
                                inside.fetch_sub(1, Ordering::SeqCst);
                            }
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await.unwrap();
                }
                assert_eq!(*counter.lock().await, TASKS * ROUNDS);
            });
        }
    });
}

#[test]
fn mutex_waiters_get_the_lock_in_arrival_order() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let mutex = Arc::new(Mutex::new(Vec::new()));
            let guard = mutex.lock().await;
            let tasks: Vec<_> = (0..10)
                .map(|i| {
                    let mutex = mutex.clone();
                    runtime::spawn(async move { mutex.lock().await.push(i) })
                })
                .collect();
            for _ in 0..3 {
                runtime::task::yield_now().await; // every task queues on the lock
            }
            assert!(mutex.try_lock().is_err(), "held");
            drop(guard);
            for task in tasks {
                task.await.unwrap();
            }
            assert_eq!(*mutex.lock().await, (0..10).collect::<Vec<_>>());
        });
    });
}

#[test]
fn a_cancelled_lock_hands_its_turn_on() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let mutex = Mutex::new(1);
            let guard = mutex.lock().await;
            let mut cancelled = Box::pin(mutex.lock());
            let mut next = pin!(mutex.lock());
            assert!(poll_once(cancelled.as_mut()).is_pending());
            assert!(poll_once(next.as_mut()).is_pending());
            drop(guard);
            // The lock went to `cancelled`, which is dropped without looking.
            drop(cancelled);
            assert!(poll_once(next.as_mut()).is_ready(), "the next waiter got it");
        });
    });
}

#[test]
fn owned_guards_cross_a_spawn_and_try_lock_sees_the_holder() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let mutex = Arc::new(Mutex::new(String::from("a")));
            let mut guard = mutex.clone().lock_owned().await;
            assert!(mutex.clone().try_lock_owned().is_err());
            runtime::spawn(async move { guard.push('b') }).await.unwrap();
            assert_eq!(*mutex.try_lock().unwrap(), "ab");
            let mut mutex = Arc::into_inner(mutex).unwrap();
            mutex.get_mut().push('c');
            assert_eq!(mutex.into_inner(), "abc");
        });
    });
}

#[test]
fn rwlock_admits_many_readers_and_a_queued_writer_is_not_starved() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let lock = RwLock::new(0);
            let r1 = lock.read().await;
            let r2 = lock.try_read().unwrap();
            assert!(lock.try_write().is_err());
            let mut write = pin!(lock.write());
            assert!(poll_once(write.as_mut()).is_pending());
            // A reader after the writer queues behind it.
            assert!(lock.try_read().is_err(), "no reader barges past a queued writer");
            let mut late_read = pin!(lock.read());
            assert!(poll_once(late_read.as_mut()).is_pending());
            drop((r1, r2));
            let std::task::Poll::Ready(mut guard) = poll_once(write.as_mut()) else { panic!("the writer is next") };
            *guard = 5;
            assert!(poll_once(late_read.as_mut()).is_pending(), "the writer holds it");
            drop(guard);
            let std::task::Poll::Ready(read) = poll_once(late_read.as_mut()) else { panic!("then the reader") };
            assert_eq!(*read, 5);
        });
    });
}

#[test]
fn rwlock_stays_consistent_under_readers_and_writers_on_two_workers() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let lock = Arc::new(RwLock::new((0usize, 0usize)));
            let tasks: Vec<_> = (0..TASKS)
                .map(|t| {
                    let lock = lock.clone();
                    runtime::spawn(async move {
                        for _ in 0..ROUNDS / 4 {
                            if t % 4 == 0 {
                                let mut pair = lock.write().await;
                                pair.0 += 1;
                                runtime::task::yield_now().await;
                                pair.1 += 1;
                            } else {
                                let pair = lock.read().await;
                                assert_eq!(pair.0, pair.1, "no reader sees half a write");
                            }
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            let writers = TASKS.div_ceil(4);
            assert_eq!(*lock.read().await, (writers * (ROUNDS / 4), writers * (ROUNDS / 4)));
        });
    });
}

#[test]
fn semaphore_bounds_concurrency_and_gives_every_permit_back() {
    watchdog(LIMIT, || {
        for rt in both_flavors() {
            rt.block_on(async {
                let semaphore = Arc::new(Semaphore::new(3));
                let inside = Arc::new(AtomicUsize::new(0));
                let tasks: Vec<_> = (0..TASKS)
                    .map(|_| {
                        let (semaphore, inside) = (semaphore.clone(), inside.clone());
                        runtime::spawn(async move {
                            for _ in 0..ROUNDS / 10 {
                                let _permit = semaphore.clone().acquire_owned().await.unwrap();
                                assert!(inside.fetch_add(1, Ordering::SeqCst) < 3);
                                runtime::task::yield_now().await;
                                inside.fetch_sub(1, Ordering::SeqCst);
                            }
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await.unwrap();
                }
                assert_eq!(semaphore.available_permits(), 3);
            });
        }
    });
}

#[test]
fn a_cancelled_partial_acquire_returns_what_it_was_given() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let semaphore = Semaphore::new(2);
            let mut many = Box::pin(semaphore.acquire_many(5));
            assert!(poll_once(many.as_mut()).is_pending(), "takes 2, waits for 3 more");
            assert_eq!(semaphore.available_permits(), 0);
            semaphore.add_permits(2); // handed to the waiter, which still lacks one
            assert_eq!(semaphore.available_permits(), 0);
            let mut one = pin!(semaphore.acquire());
            assert!(poll_once(one.as_mut()).is_pending(), "behind the big waiter");
            drop(many);
            let std::task::Poll::Ready(Ok(permit)) = poll_once(one.as_mut()) else { panic!("its 4 permits went on") };
            assert_eq!(semaphore.available_permits(), 3);
            drop(permit);
            assert_eq!(semaphore.available_permits(), 4);
        });
    });
}

#[test]
fn a_closed_semaphore_fails_waiters_and_later_acquires() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let semaphore = Arc::new(Semaphore::new(1));
            let held = semaphore.try_acquire().unwrap();
            let waiter = runtime::spawn({
                let semaphore = semaphore.clone();
                async move { semaphore.acquire().await.map(drop) }
            });
            runtime::task::yield_now().await;
            semaphore.close();
            assert!(waiter.await.unwrap().is_err());
            assert!(semaphore.acquire().await.is_err());
            assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::Closed);
            drop(held);
            assert!(semaphore.is_closed());
        });
    });
}

#[test]
fn semaphore_permits_can_be_forgotten() {
    let semaphore = Semaphore::new(2);
    semaphore.try_acquire().unwrap().forget();
    assert_eq!(semaphore.available_permits(), 1);
    let permit = semaphore.try_acquire_many(1).unwrap();
    assert_eq!(permit.num_permits(), 1);
    assert_eq!(semaphore.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
}

#[test]
fn notify_one_before_notified_is_kept_as_one_permit() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let notify = Notify::new();
            notify.notify_one();
            notify.notify_one();
            notify.notified().await;
            assert!(poll_once(pin!(notify.notified())).is_pending(), "two notify_one store one permit");
        });
    });
}

#[test]
fn notify_waiters_wakes_everyone_waiting_and_stores_nothing() {
    watchdog(LIMIT, || {
        for rt in both_flavors() {
            rt.block_on(async {
                let notify = Arc::new(Notify::new());
                let woken = Arc::new(AtomicUsize::new(0));
                let (ready_tx, mut ready_rx) = runtime::sync::mpsc::channel(8);
                let tasks: Vec<_> = (0..8)
                    .map(|_| {
                        let (notify, woken, ready_tx) = (notify.clone(), woken.clone(), ready_tx.clone());
                        runtime::spawn(async move {
                            let notified = notify.notified();
                            ready_tx.send(()).await.unwrap();
                            notified.await;
                            woken.fetch_add(1, Ordering::SeqCst);
                        })
                    })
                    .collect();
                for _ in 0..8 {
                    ready_rx.recv().await.unwrap();
                }
                // Some futures may not be polled yet: created before the call, they count.
                notify.notify_waiters();
                for task in tasks {
                    task.await.unwrap();
                }
                assert_eq!(woken.load(Ordering::SeqCst), 8);
                assert!(poll_once(pin!(notify.notified())).is_pending(), "no permit stored");
            });
        }
    });
}

#[test]
fn a_dropped_notified_passes_its_notify_one_on() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let notify = Notify::new();
            let mut first = Box::pin(notify.notified());
            let mut second = pin!(notify.notified());
            assert!(poll_once(first.as_mut()).is_pending());
            assert!(poll_once(second.as_mut()).is_pending());
            notify.notify_one(); // to `first`, the longest waiting
            assert!(poll_once(second.as_mut()).is_pending());
            drop(first);
            assert!(poll_once(second.as_mut()).is_ready(), "first's notification went on");
        });
    });
}

#[test]
fn barrier_releases_each_generation_with_one_leader() {
    watchdog(LIMIT, || {
        for rt in both_flavors() {
            rt.block_on(async {
                let barrier = Arc::new(Barrier::new(4));
                let tasks: Vec<_> = (0..4)
                    .map(|_| {
                        let barrier = barrier.clone();
                        runtime::spawn(async move {
                            let mut leader = 0;
                            for _ in 0..10 {
                                leader += barrier.wait().await.is_leader() as usize;
                            }
                            leader
                        })
                    })
                    .collect();
                let mut leaders = 0;
                for task in tasks {
                    leaders += task.await.unwrap();
                }
                assert_eq!(leaders, 10, "one leader per generation");
            });
        }
    });
}

#[test]
fn lock_and_acquire_cancelled_by_timeouts_on_two_workers_never_wedge() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let mutex = Arc::new(Mutex::new(0usize));
            let semaphore = Arc::new(Semaphore::new(2));
            let done = Arc::new(AtomicUsize::new(0));
            let tasks: Vec<_> = (0..TASKS)
                .map(|t| {
                    let (mutex, semaphore, done) = (mutex.clone(), semaphore.clone(), done.clone());
                    runtime::spawn(async move {
                        for i in 0..ROUNDS / 10 {
                            let wait = Duration::from_micros(((t * 7 + i) % 13) as u64);
                            if let Ok(mut guard) = runtime::time::timeout(wait, mutex.lock()).await {
                                *guard += 1;
                                done.fetch_add(1, Ordering::SeqCst);
                            }
                            if let Ok(permit) = runtime::time::timeout(wait, semaphore.acquire_many(2)).await {
                                runtime::task::yield_now().await;
                                drop(permit);
                            }
                        }
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            assert_eq!(*mutex.lock().await, done.load(Ordering::SeqCst));
            assert_eq!(semaphore.available_permits(), 2, "no permit lost to a cancelled waiter");
            assert!(mutex.try_lock().is_ok());
        });
    });
}

#[test]
fn waiting_futures_are_send_so_spawned_tasks_can_await_them() {
    fn assert_send<T: Send>(_: &T) {}
    let mutex = Arc::new(Mutex::new(0));
    let lock = RwLock::new(0);
    let semaphore = Arc::new(Semaphore::new(1));
    let notify = Notify::new();
    let barrier = Barrier::new(1);
    let (_btx, mut brx) = runtime::sync::broadcast::channel::<u8>(1);
    let (_wtx, mut wrx) = runtime::sync::watch::channel(0u8);
    let mut set = runtime::task::JoinSet::<u8>::new();
    assert_send(&mutex.lock());
    assert_send(&mutex.clone().lock_owned());
    assert_send(&lock.read());
    assert_send(&lock.write());
    assert_send(&semaphore.acquire());
    assert_send(&semaphore.clone().acquire_owned());
    assert_send(&notify.notified());
    assert_send(&barrier.wait());
    assert_send(&brx.recv());
    assert_send(&wrx.changed());
    assert_send(&set.join_next());
}

#[test]
fn a_loop_over_an_always_ready_channel_still_lets_other_tasks_run() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let (tx, mut rx) = runtime::sync::mpsc::unbounded_channel();
            for i in 0..10_000 {
                tx.send(i).unwrap();
            }
            let neighbour_ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let consumer = runtime::spawn({
                let neighbour_ran = neighbour_ran.clone();
                async move {
                    let mut seen_at = None;
                    for i in 0..10_000 {
                        rx.recv().await.unwrap();
                        if seen_at.is_none() && neighbour_ran.load(Ordering::SeqCst) {
                            seen_at = Some(i);
                        }
                    }
                    seen_at
                }
            });
            runtime::spawn(async move { neighbour_ran.store(true, Ordering::SeqCst) });
            let seen_at = consumer.await.unwrap();
            assert!(seen_at.is_some_and(|i| i <= 256), "the budget made the consumer yield: {seen_at:?}");
        });
    });
}

/// Issue 31: `notify_last` serves the latest waiter; `enable` queues a
/// future before its first poll, so a `notify_one` reaches it and is not
/// stored as a permit for someone else.
#[test]
fn notify_last_and_enable() {
    let notify = Arc::new(Notify::new());
    let mut first = pin!(notify.notified());
    let mut last = pin!(notify.notified());
    assert!(!first.as_mut().enable());
    assert!(!last.as_mut().enable());
    notify.notify_last();
    assert!(poll_once(last.as_mut()).is_ready());
    assert!(poll_once(first.as_mut()).is_pending());
    notify.notify_one();
    assert!(first.as_mut().enable(), "the enabled future got it");
    let mut later = pin!(notify.notified());
    assert!(poll_once(later.as_mut()).is_pending(), "no permit was stored");

    let owned = notify.clone().notified_owned();
    let mut owned = pin!(owned);
    assert!(!owned.as_mut().enable());
    notify.notify_waiters();
    assert!(poll_once(owned.as_mut()).is_ready());
}

/// Issue 31: mapped mutex guards hold the lock and reach the part.
#[test]
fn mutex_guards_map_to_a_part_and_keep_the_lock() {
    use runtime::sync::{MappedMutexGuard, MutexGuard, OwnedMutexGuard};
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let pair = Mutex::new((1, vec![2]));
            let mut list = MutexGuard::map(pair.lock().await, |pair| &mut pair.1);
            list.push(3);
            assert!(pair.try_lock().is_err());
            let mut first = MappedMutexGuard::map(list, |list| &mut list[0]);
            *first = 20;
            drop(first);
            let guard = pair.lock().await;
            let guard = MutexGuard::try_map(guard, |pair| pair.1.get_mut(9)).unwrap_err();
            assert_eq!(guard.1, [20, 3]);
            assert!(std::ptr::eq(MutexGuard::mutex(&guard), &pair));
            drop(guard);

            let shared = Arc::new(Mutex::new((0, String::new())));
            let guard = shared.clone().try_lock_owned().unwrap();
            let mut text = OwnedMutexGuard::map(guard, |pair| &mut pair.1);
            text.push_str("owned");
            let moved = runtime::spawn(async move {
                text.push('!');
                drop(text);
            });
            moved.await.unwrap();
            assert_eq!(shared.lock().await.1, "owned!");
        });
    });
}

/// Issue 31: owned RwLock guards, the reader limit, mapping.
#[test]
fn rwlock_owned_guards_reader_limit_and_maps() {
    use runtime::sync::{OwnedRwLockWriteGuard, RwLockReadGuard, RwLockWriteGuard};
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let lock = Arc::new(RwLock::with_max_readers((1, 2), 2));
            let a = lock.clone().read_owned().await;
            let b = lock.clone().try_read_owned().unwrap();
            assert!(lock.try_read().is_err(), "two readers at most");
            assert!(lock.clone().try_write_owned().is_err());
            drop((a, b));
            let mut write = lock.clone().write_owned().await;
            write.0 = 10;
            let mut second = OwnedRwLockWriteGuard::map(write, |pair| &mut pair.1);
            *second = 20;
            drop(second);
            let read = RwLockReadGuard::map(lock.read().await, |pair| &pair.0);
            assert_eq!(*read, 10);
            drop(read);
            let write = lock.write().await;
            let read = RwLockWriteGuard::downgrade_map(write, |pair| &pair.1);
            assert_eq!(*read, 20);
            assert!(lock.try_read().is_ok(), "a downgraded lock admits readers");
            drop(read);
            let mapped = RwLockWriteGuard::into_mapped(lock.write().await);
            assert_eq!(*mapped, (10, 20));
        });
    });
}

/// Issue 31: `downgrade` lets the readers queued before the next writer in
/// at once, and that writer still waits for them all.
#[test]
fn rwlock_downgrade_admits_queued_readers_before_the_next_writer() {
    use runtime::sync::RwLockWriteGuard;
    let lock = RwLock::new(0);
    let mut write = support::park_on(lock.write());
    let mut reader = pin!(lock.read());
    let mut writer = pin!(lock.write());
    let mut late_reader = pin!(lock.read());
    assert!(poll_once(reader.as_mut()).is_pending());
    assert!(poll_once(writer.as_mut()).is_pending());
    assert!(poll_once(late_reader.as_mut()).is_pending());
    *write = 7;
    let downgraded = RwLockWriteGuard::downgrade(write);
    let std::task::Poll::Ready(read) = poll_once(reader.as_mut()) else { panic!("the queued reader did not get in") };
    assert_eq!((*read, *downgraded), (7, 7));
    assert!(poll_once(writer.as_mut()).is_pending(), "the writer waits for both readers");
    assert!(poll_once(late_reader.as_mut()).is_pending(), "a reader behind the writer waits for it");
    drop((read, downgraded));
    assert!(poll_once(writer.as_mut()).is_ready());
}

/// Issue 31: a `lock()` first polled when the task's budget is spent takes
/// its place in the queue before it yields; a task that asks later does not
/// get ahead of it.
#[test]
fn a_lock_polled_without_budget_keeps_its_place_in_line() {
    use runtime::task::coop::{consume_budget, has_budget_remaining};
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let mutex = Arc::new(Mutex::new(Vec::new()));
            let guard = mutex.lock().await;
            let spent = runtime::spawn({
                let mutex = mutex.clone();
                async move {
                    std::future::poll_fn(|cx| {
                        while has_budget_remaining() {
                            let _ = std::future::Future::poll(pin!(consume_budget()), cx);
                        }
                        std::task::Poll::Ready(())
                    })
                    .await;
                    mutex.lock().await.push("spent budget, asked first");
                }
            });
            let later = runtime::spawn({
                let mutex = mutex.clone();
                async move { mutex.lock().await.push("asked later") }
            });
            for _ in 0..4 {
                runtime::task::yield_now().await; // both are queued now
            }
            drop(guard);
            spent.await.unwrap();
            later.await.unwrap();
            assert_eq!(*mutex.lock().await, ["spent budget, asked first", "asked later"]);
        });
    });
}
