//! oneshot, broadcast and watch: delivery, lag, coalescing, closing orders.

mod support;

use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use runtime::sync::{broadcast, oneshot, watch};
use support::{both_flavors, poll_once, watchdog, DropCounter};

const LIMIT: Duration = Duration::from_secs(if cfg!(miri) { 600 } else { 60 });
const MANY: usize = if cfg!(miri) { 20 } else { 10_000 };

#[test]
fn oneshot_delivers_across_workers_many_times() {
    watchdog(LIMIT, || {
        for rt in both_flavors() {
            rt.block_on(async {
                let mut receivers = Vec::new();
                for i in 0..MANY {
                    let (tx, rx) = oneshot::channel();
                    runtime::spawn(async move { tx.send(i).unwrap() });
                    receivers.push(rx);
                }
                for (i, rx) in receivers.into_iter().enumerate() {
                    assert_eq!(rx.await, Ok(i));
                }
            });
        }
    });
}

#[test]
fn oneshot_closing_orders() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            // Sender dropped: the receiver learns no value will come.
            let (tx, rx) = oneshot::channel::<u8>();
            drop(tx);
            assert!(rx.await.is_err());

            // Receiver dropped: send returns the value.
            let (tx, rx) = oneshot::channel();
            drop(rx);
            assert_eq!(tx.send(5), Err(5));

            // try_recv: empty, then the value, then closed.
            let (tx, mut rx) = oneshot::channel();
            assert_eq!(rx.try_recv(), Err(oneshot::TryRecvError::Empty));
            tx.send(1).unwrap();
            assert_eq!(rx.try_recv(), Ok(1));
            assert_eq!(rx.try_recv(), Err(oneshot::TryRecvError::Closed));

            // close(): later sends fail, an earlier value is still there.
            let (tx, mut rx) = oneshot::channel();
            rx.close();
            assert_eq!(tx.send(2), Err(2));
            let (tx, mut rx) = oneshot::channel();
            tx.send(3).unwrap();
            rx.close();
            assert_eq!(rx.try_recv(), Ok(3));

            // Sender::closed wakes when the receiver goes.
            let (mut tx, rx) = oneshot::channel::<u8>();
            let waiter = runtime::spawn(async move {
                tx.closed().await;
                tx.is_closed()
            });
            runtime::task::yield_now().await;
            drop(rx);
            assert!(waiter.await.unwrap());
        });
    });
}

#[test]
fn oneshot_a_dropped_await_leaves_the_value_and_values_are_dropped_once() {
    let counter = DropCounter::default();
    let (tx, mut rx) = oneshot::channel();
    assert!(poll_once(pin!(&mut rx)).is_pending());
    tx.send(counter.guard()).unwrap_or_else(|_| panic!("the receiver lives"));
    assert!(rx.try_recv().is_ok());
    assert_eq!(counter.count(), 1);

    let (tx, rx) = oneshot::channel();
    tx.send(counter.guard()).unwrap_or_else(|_| panic!("the receiver lives"));
    drop(rx);
    assert_eq!(counter.count(), 2, "an unreceived value is dropped with the channel");
}

#[test]
fn broadcast_every_receiver_sees_every_value_in_order() {
    watchdog(LIMIT, || {
        for rt in both_flavors() {
            rt.block_on(async {
                // Room for every value: this test is about delivery, not lag.
                let (tx, rx) = broadcast::channel(256);
                let receivers: Vec<_> = (0..4)
                    .map(|_| {
                        let mut rx = rx.resubscribe();
                        runtime::spawn(async move {
                            let mut seen = Vec::new();
                            loop {
                                match rx.recv().await {
                                    Ok(v) => seen.push(v),
                                    Err(broadcast::RecvError::Closed) => return seen,
                                    Err(broadcast::RecvError::Lagged(n)) => panic!("lagged by {n} with room"),
                                }
                            }
                        })
                    })
                    .collect();
                drop(rx);
                for i in 0..200 {
                    assert_eq!(tx.send(i).unwrap(), 4);
                    if i % 10 == 0 {
                        runtime::task::yield_now().await;
                    }
                }
                drop(tx);
                for receiver in receivers {
                    assert_eq!(receiver.await.unwrap(), (0..200).collect::<Vec<_>>());
                }
            });
        }
    });
}

#[test]
fn broadcast_a_slow_receiver_learns_how_many_it_missed() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (tx, mut rx) = broadcast::channel(2);
            for i in 0..5 {
                assert_eq!(tx.send(i).unwrap(), 1);
            }
            // tokio's count: everything sent that it has not seen, above the
            // capacity when it lagged.
            assert_eq!(rx.len(), 5);
            assert_eq!(rx.recv().await, Err(broadcast::RecvError::Lagged(3)));
            assert_eq!(rx.len(), 2);
            assert_eq!(rx.recv().await, Ok(3));
            assert_eq!(rx.try_recv(), Ok(4));
            assert_eq!(rx.try_recv(), Err(broadcast::TryRecvError::Empty));
            drop(tx);
            assert_eq!(rx.recv().await, Err(broadcast::RecvError::Closed));
        });
    });
}

#[test]
fn broadcast_without_receivers_returns_the_value_and_a_dropped_recv_loses_nothing() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (tx, rx) = broadcast::channel(4);
            drop(rx);
            assert_eq!(tx.send(1).unwrap_err().0, 1);
            let mut rx = tx.subscribe();
            {
                let mut recv = pin!(rx.recv());
                assert!(poll_once(recv.as_mut()).is_pending());
                tx.send(2).unwrap();
            }
            assert_eq!(rx.recv().await, Ok(2));
            let mut late = tx.subscribe();
            assert!(late.is_empty(), "a new subscriber sees only later values");
            tx.clone().send(3).unwrap();
            assert_eq!(late.recv().await, Ok(3));
        });
    });
}

#[test]
fn watch_changed_sees_the_latest_value_and_coalesces() {
    watchdog(LIMIT, || {
        for rt in both_flavors() {
            rt.block_on(async {
                let (tx, mut rx) = watch::channel(0);
                let watcher = runtime::spawn(async move {
                    let mut last = 0;
                    while rx.changed().await.is_ok() {
                        let now = *rx.borrow_and_update();
                        assert!(now > last, "values only move forward");
                        last = now;
                    }
                    last
                });
                for i in 1..=1000 {
                    tx.send(i).unwrap();
                    if i % 100 == 0 {
                        runtime::task::yield_now().await;
                    }
                }
                drop(tx);
                assert_eq!(watcher.await.unwrap(), 1000, "the last value is always seen");
            });
        }
    });
}

#[test]
fn watch_borrow_marks_and_closing_orders() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (tx, mut rx) = watch::channel(String::from("a"));
            assert!(!rx.has_changed().unwrap());
            tx.send_modify(|s| s.push('b'));
            assert!(rx.borrow().has_changed());
            assert_eq!(*rx.borrow_and_update(), "ab");
            assert!(!rx.has_changed().unwrap());
            assert!(poll_once(pin!(rx.changed())).is_pending());
            assert_eq!(tx.send_replace(String::from("c")), "ab");
            let rx2 = tx.subscribe();
            assert!(!rx2.has_changed().unwrap());
            assert_eq!(tx.receiver_count(), 2);
            drop(rx2);
            tx.send(String::from("d")).unwrap();
            drop(tx);
            assert!(rx.changed().await.is_ok(), "a value sent before the drop is still seen");
            assert!(rx.changed().await.is_err());
            assert!(rx.has_changed().is_err());

            let (tx, rx) = watch::channel(1);
            let closed = runtime::spawn({
                let tx = Arc::new(tx);
                async move {
                    tx.closed().await;
                    tx.send(2).unwrap_err().0
                }
            });
            runtime::task::yield_now().await;
            drop(rx);
            assert_eq!(closed.await.unwrap(), 2);
        });
    });
}

/// Runs `looping` (at most `ROUNDS` always-ready waits) beside a task that
/// sets a flag, on one thread; returns whether the loop saw the flag, which
/// it can only if one of its waits yielded to the cooperative budget.
fn yields_to_the_budget<F: std::future::Future<Output = ()> + Send + 'static>(
    looping: impl FnOnce(Arc<std::sync::atomic::AtomicBool>) -> F,
) -> bool {
    let rt = runtime::Builder::new_current_thread().build().unwrap();
    let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = Arc::new(std::sync::atomic::AtomicBool::new(false));
    rt.block_on(async {
        let (flag2, seen2) = (flag.clone(), seen.clone());
        let looping = looping(flag2.clone());
        let looper = runtime::spawn(async move {
            looping.await;
            seen2.store(flag2.load(std::sync::atomic::Ordering::SeqCst), std::sync::atomic::Ordering::SeqCst);
        });
        let setter = runtime::spawn(async move { flag.store(true, std::sync::atomic::Ordering::SeqCst) });
        looper.await.unwrap();
        setter.await.unwrap();
    });
    seen.load(std::sync::atomic::Ordering::SeqCst)
}

const ROUNDS: usize = 10_000;

/// Issue 33, item 4: `watch::Receiver::changed` spends the budget like every
/// other wait, so a loop on an always-changed value lets other tasks run.
#[test]
fn watch_changed_in_a_loop_yields_to_the_budget() {
    let seen = yields_to_the_budget(|flag| async move {
        let (tx, mut rx) = watch::channel(0);
        for i in 0..ROUNDS {
            tx.send(i).unwrap();
            rx.changed().await.unwrap();
            if flag.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
        }
    });
    assert!(seen, "the loop never yielded");
}

/// The same for `watch::Sender::closed` with no receiver left.
#[test]
fn watch_closed_in_a_loop_yields_to_the_budget() {
    let seen = yields_to_the_budget(|flag| async move {
        let (tx, rx) = watch::channel(0);
        drop(rx);
        for _ in 0..ROUNDS {
            tx.closed().await;
            if flag.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
        }
    });
    assert!(seen, "the loop never yielded");
}

/// A value whose `Clone` panics once.
#[derive(Debug, PartialEq)]
struct PanicsOnClone(u32);

impl Clone for PanicsOnClone {
    fn clone(&self) -> Self {
        assert!(self.0 != 1, "this value cannot be cloned");
        PanicsOnClone(self.0)
    }
}

/// Issue 33, item 6: a `Clone` that panics costs the receiver that one
/// value; the next `recv` moves on to the next value.
#[test]
fn broadcast_receiver_moves_past_a_value_whose_clone_panicked() {
    let (tx, mut rx) = broadcast::channel(4);
    let mut other = tx.subscribe();
    tx.send(PanicsOnClone(1)).unwrap();
    tx.send(PanicsOnClone(2)).unwrap();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        support::park_on(rx.recv()).unwrap();
    }));
    assert!(panicked.is_err());
    assert_eq!(support::park_on(rx.recv()), Ok(PanicsOnClone(2)));
    // The last receiver of a value takes it without a clone.
    assert_eq!(other.try_recv(), Ok(PanicsOnClone(1)));
    assert_eq!(other.try_recv(), Ok(PanicsOnClone(2)));
}

/// Issue 31: the capacity rounds up to a power of two, as tokio's.
#[test]
fn broadcast_capacity_rounds_up_to_a_power_of_two() {
    let (tx, mut rx) = broadcast::channel(3);
    for i in 0..4 {
        tx.send(i).unwrap();
    }
    for i in 0..4 {
        assert_eq!(rx.try_recv(), Ok(i), "four slots hold four values");
    }
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.len(), 5);
    assert_eq!(rx.try_recv(), Err(broadcast::TryRecvError::Lagged(1)));
    assert_eq!(rx.try_recv(), Ok(1));
}

/// Issue 31: a value is dropped once every receiver that could see it has
/// read it, and the last receiver's drop empties the channel.
#[test]
fn broadcast_values_are_dropped_when_read_by_all_or_when_the_last_receiver_drops() {
    let drops = DropCounter::default();
    let (tx, mut rx1) = broadcast::channel(8);
    let mut rx2 = tx.subscribe();
    tx.send(Arc::new(drops.guard())).unwrap();
    tx.send(Arc::new(drops.guard())).unwrap();
    assert_eq!(tx.len(), 2);
    drop(rx1.try_recv().unwrap());
    drop(rx2.try_recv().unwrap());
    assert_eq!(drops.count(), 1, "the first value was read by both");
    assert_eq!(tx.len(), 1);
    drop(rx1);
    assert_eq!(drops.count(), 1, "rx2 has not read the second one");
    drop(rx2);
    assert_eq!(drops.count(), 2, "no receiver left: nothing is held");
    assert!(tx.is_empty());
}

/// Issue 31: tokio's Sender and Receiver extras.
#[test]
fn broadcast_sender_and_receiver_extras() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let tx = broadcast::Sender::<u32>::new(2);
            assert_eq!(tx.receiver_count(), 0);
            assert!(tx.send(1).is_err(), "no receiver yet");
            let mut rx = tx.subscribe();
            let weak = tx.downgrade();
            assert_eq!((tx.strong_count(), tx.weak_count()), (1, 1));
            let tx2 = weak.upgrade().unwrap();
            assert!(tx.same_channel(&tx2));
            assert!(rx.same_channel(&rx.resubscribe()));
            assert_eq!(rx.sender_strong_count(), 2);
            drop(tx2);
            tx.send(1).unwrap();
            let closed = runtime::spawn({
                let tx = tx.clone();
                async move { tx.closed().await }
            });
            assert_eq!(rx.recv().await, Ok(1));
            assert!(!rx.is_closed());
            drop(rx);
            closed.await.unwrap(); // the last receiver went
            let rx = tx.subscribe();
            drop(tx);
            assert!(rx.is_closed());
            assert!(weak.upgrade().is_none());
        });
    });
}

/// Issue 31: `is_terminated` and `is_empty`.
#[test]
fn oneshot_receiver_says_whether_it_finished_and_whether_a_value_waits() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (tx, mut rx) = oneshot::channel();
            assert!(rx.is_empty() && !rx.is_terminated());
            tx.send(5).unwrap();
            assert!(!rx.is_empty());
            assert_eq!((&mut rx).await, Ok(5));
            assert!(rx.is_empty() && rx.is_terminated());
            assert_eq!(rx.try_recv(), Err(oneshot::error::TryRecvError::Closed));

            let (tx, mut rx) = oneshot::channel::<u8>();
            drop(tx);
            assert!(rx.is_empty() && !rx.is_terminated());
            assert_eq!(rx.try_recv(), Err(oneshot::error::TryRecvError::Closed));
            assert!(rx.is_terminated());
        });
    });
}
