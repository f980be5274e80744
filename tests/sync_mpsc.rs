//! mpsc channels: every message exactly once and in order per sender,
//! back-pressure, cancel safety, and every closing order.

mod support;

use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use futures_util::StreamExt;
use runtime::sync::mpsc::{self, error::TryRecvError, TrySendError};
use support::{both_flavors, poll_once, watchdog, DropCounter};

const LIMIT: Duration = Duration::from_secs(if cfg!(miri) { 600 } else { 60 });
const PRODUCERS: usize = if cfg!(miri) { 3 } else { 8 };
const PER_PRODUCER: usize = if cfg!(miri) { 50 } else { 20_000 };

#[test]
fn many_producers_deliver_every_message_once_in_order() {
    watchdog(LIMIT, || {
        for rt in both_flavors() {
            rt.block_on(async {
                let (tx, mut rx) = mpsc::channel(16);
                for producer in 0..PRODUCERS {
                    let tx = tx.clone();
                    runtime::spawn(async move {
                        for seq in 0..PER_PRODUCER {
                            tx.send((producer, seq)).await.unwrap();
                        }
                    });
                }
                drop(tx);
                let mut next = vec![0; PRODUCERS];
                while let Some((producer, seq)) = rx.recv().await {
                    assert_eq!(seq, next[producer], "producer {producer}'s messages in order, none lost");
                    next[producer] += 1;
                }
                assert!(next.iter().all(|&n| n == PER_PRODUCER), "every message arrived: {next:?}");
            });
        }
    });
}

#[test]
fn unbounded_many_producers_many_consumer_tasks_count_each_message_once() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(async {
            // Many consumers: the receiver is shared through an async mutex.
            let (tx, rx) = mpsc::unbounded_channel::<usize>();
            let rx = std::sync::Arc::new(runtime::sync::Mutex::new(rx));
            let producers: Vec<_> = (0..PRODUCERS)
                .map(|p| {
                    let tx = tx.clone();
                    runtime::spawn(async move {
                        for seq in 0..PER_PRODUCER {
                            tx.send(p * PER_PRODUCER + seq).unwrap();
                            if seq % 64 == 0 {
                                runtime::task::yield_now().await;
                            }
                        }
                    })
                })
                .collect();
            drop(tx);
            let consumers: Vec<_> = (0..4)
                .map(|_| {
                    let rx = rx.clone();
                    runtime::spawn(async move {
                        let mut seen = Vec::new();
                        while let Some(value) = rx.lock().await.recv().await {
                            seen.push(value);
                        }
                        seen
                    })
                })
                .collect();
            for producer in producers {
                producer.await.unwrap();
            }
            let mut all = Vec::new();
            for consumer in consumers {
                all.extend(consumer.await.unwrap());
            }
            all.sort_unstable();
            assert_eq!(all, (0..PRODUCERS * PER_PRODUCER).collect::<Vec<_>>());
        });
    });
}

#[test]
fn a_full_channel_makes_send_wait_until_a_message_is_received() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (tx, mut rx) = mpsc::channel(2);
            tx.send(1).await.unwrap();
            tx.send(2).await.unwrap();
            assert!(matches!(tx.try_send(3), Err(TrySendError::Full(3))));
            assert_eq!(tx.capacity(), 0);
            {
                let mut send = pin!(tx.send(3));
                assert!(poll_once(send.as_mut()).is_pending(), "no room: the send waits");
                assert_eq!(rx.recv().await, Some(1));
                assert!(poll_once(send.as_mut()).is_ready(), "a slot came free for it");
            }
            assert_eq!(rx.recv().await, Some(2));
            assert_eq!(rx.recv().await, Some(3));
            assert_eq!(tx.capacity(), 2);
            assert_eq!(tx.max_capacity(), 2);
        });
    });
}

#[test]
fn waiting_senders_are_served_in_arrival_order_and_a_cancelled_one_hands_its_turn_on() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (tx, mut rx) = mpsc::channel(1);
            tx.send(0).await.unwrap();
            let mut first = pin!(tx.send(1));
            let mut cancelled = Box::pin(tx.send(99));
            let mut third = pin!(tx.send(2));
            assert!(poll_once(first.as_mut()).is_pending());
            assert!(poll_once(cancelled.as_mut()).is_pending());
            assert!(poll_once(third.as_mut()).is_pending());
            drop(cancelled);
            assert!(matches!(tx.try_send(100), Err(TrySendError::Full(_))), "no barging past waiters");
            assert_eq!(rx.recv().await, Some(0));
            assert!(poll_once(third.as_mut()).is_pending(), "the first waiter is served first");
            assert!(poll_once(first.as_mut()).is_ready());
            assert_eq!(rx.recv().await, Some(1));
            assert!(poll_once(third.as_mut()).is_ready(), "the cancelled waiter's turn went on");
            assert_eq!(rx.recv().await, Some(2));
        });
    });
}

#[test]
fn reserve_holds_a_slot_and_a_dropped_permit_gives_it_back() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (tx, mut rx) = mpsc::channel(1);
            let permit = tx.reserve().await.unwrap();
            assert!(matches!(tx.try_send(1), Err(TrySendError::Full(1))));
            drop(permit);
            let permit = tx.try_reserve().unwrap();
            permit.send(2);
            assert_eq!(rx.recv().await, Some(2));
        });
    });
}

#[test]
fn a_dropped_recv_loses_no_message() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (tx, mut rx) = mpsc::channel(4);
            {
                let mut recv = pin!(rx.recv());
                assert!(poll_once(recv.as_mut()).is_pending());
                tx.send(7).await.unwrap();
                // Dropped while woken with a message queued.
            }
            assert_eq!(rx.try_recv(), Ok(7));
        });
    });
}

#[test]
fn recv_with_timeouts_cancelled_at_every_point_misses_nothing() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let total = if cfg!(miri) { 100 } else { 20_000 };
            let (tx, mut rx) = mpsc::channel(8);
            let producer = runtime::spawn(async move {
                for i in 0..total {
                    tx.send(i).await.unwrap();
                    if i % 7 == 0 {
                        runtime::time::sleep(Duration::from_micros(20)).await;
                    }
                }
            });
            let mut expected = 0;
            let mut cancelled = 0;
            loop {
                match runtime::time::timeout(Duration::from_micros(10), rx.recv()).await {
                    Ok(Some(i)) => {
                        assert_eq!(i, expected);
                        expected += 1;
                    }
                    Ok(None) => break,
                    Err(_) => cancelled += 1,
                }
            }
            producer.await.unwrap();
            assert_eq!(expected, total);
            assert!(cancelled > 0, "some receives were cancelled while waiting");
        });
    });
}

#[test]
fn dropping_every_sender_drains_then_ends() {
    watchdog(LIMIT, || {
        for rt in both_flavors() {
            rt.block_on(async {
                let (tx, mut rx) = mpsc::channel(4);
                let tx2 = tx.clone();
                tx.send(1).await.unwrap();
                tx2.send(2).await.unwrap();
                drop(tx);
                assert_eq!(rx.try_recv(), Ok(1));
                drop(tx2);
                assert_eq!(rx.recv().await, Some(2));
                assert_eq!(rx.recv().await, None);
                assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
                assert_eq!(rx.recv().await, None, "stays ended");
            });
        }
    });
}

#[test]
fn a_dropped_receiver_fails_sends_with_their_value_and_wakes_waiting_senders() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (tx, rx) = mpsc::channel(1);
            tx.send(1).await.unwrap();
            let waiting = runtime::spawn({
                let tx = tx.clone();
                async move { tx.send(2).await }
            });
            runtime::task::yield_now().await;
            let closed = runtime::spawn({
                let tx = tx.clone();
                async move { tx.closed().await }
            });
            drop(rx);
            assert_eq!(waiting.await.unwrap().unwrap_err().0, 2);
            closed.await.unwrap();
            assert!(tx.is_closed());
            assert_eq!(tx.send(3).await.unwrap_err().0, 3);
            assert!(matches!(tx.try_send(4), Err(TrySendError::Closed(4))));
            assert!(tx.reserve().await.is_err());
        });
    });
}

#[test]
fn queued_messages_are_dropped_with_the_receiver() {
    let counter = DropCounter::default();
    let (tx, rx) = mpsc::unbounded_channel();
    for _ in 0..3 {
        tx.send(counter.guard()).unwrap();
    }
    drop(rx);
    assert_eq!(counter.count(), 3);
    assert!(tx.send(counter.guard()).is_err());
    assert_eq!(counter.count(), 4, "the refused value is returned and dropped");
}

#[test]
fn close_keeps_what_was_sent_and_refuses_the_rest() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (tx, mut rx) = mpsc::channel(4);
            tx.send(1).await.unwrap();
            rx.close();
            assert!(tx.send(2).await.is_err());
            assert_eq!(rx.recv().await, Some(1));
            assert_eq!(rx.recv().await, None, "closed and drained, though a sender lives");
        });
    });
}

#[test]
fn recv_many_and_the_stream_take_what_is_queued() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (tx, mut rx) = mpsc::channel(16);
            for i in 0..10 {
                tx.send(i).await.unwrap();
            }
            let mut out = Vec::new();
            assert_eq!(rx.recv_many(&mut out, 4).await, 4);
            assert_eq!(rx.recv_many(&mut out, 0).await, 0);
            assert_eq!(rx.len(), 6);
            assert_eq!(rx.recv_many(&mut out, 100).await, 6);
            assert_eq!(out, (0..10).collect::<Vec<_>>());
            tx.send(10).await.unwrap();
            drop(tx);
            assert_eq!(rx.collect::<Vec<_>>().await, [10]);

            let (tx, rx) = mpsc::unbounded_channel();
            tx.send("a").unwrap();
            drop(tx);
            assert_eq!(rx.collect::<Vec<_>>().await, ["a"]);
        });
    });
}

#[test]
fn the_futures_are_send_and_the_types_debug() {
    fn assert_send<T: Send + 'static>(_: T) {}
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    let (utx, _urx) = mpsc::unbounded_channel::<u32>();
    assert_send(async move {
        tx.send(1).await.unwrap();
        let _ = tx.reserve().await;
        rx.recv().await;
        utx.closed().await;
    });
    let (tx, rx) = mpsc::channel::<u32>(1);
    assert!(format!("{tx:?} {rx:?}").contains("capacity"));
    let mut rx = rx;
    assert!(matches!(poll_once(pin!(rx.recv())), Poll::Pending));
}

#[test]
fn the_last_messages_before_every_sender_drops_are_received() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(async {
            for round in 0..if cfg!(miri) { 5 } else { 2_000 } {
                let (tx, mut rx) = if round % 2 == 0 { mpsc::channel(1) } else { mpsc::channel(8) };
                for i in 0..2 {
                    let tx = tx.clone();
                    runtime::spawn(async move { tx.send(i + 1).await.unwrap() });
                }
                drop(tx);
                let mut sum = 0;
                while let Some(i) = rx.recv().await {
                    sum += i;
                }
                assert_eq!(sum, 3, "round {round}: recv ended before the last message");
            }
        });
    });
}

/// Issue 31: a weak sender does not keep the channel open; an upgrade
/// while a strong sender lives does, and counts follow.
#[test]
fn weak_senders_do_not_keep_the_channel_open() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (tx, mut rx) = mpsc::channel::<u32>(4);
            let weak = tx.downgrade();
            assert_eq!((tx.strong_count(), tx.weak_count()), (1, 1));
            let upgraded = weak.upgrade().expect("a strong sender lives");
            assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (2, 1));
            drop(tx);
            upgraded.send(1).await.unwrap();
            drop(upgraded);
            assert_eq!(rx.recv().await, Some(1));
            assert_eq!(rx.recv().await, None, "only a weak sender is left");
            assert!(weak.upgrade().is_none());
            assert!(rx.is_closed());

            let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
            let weak = tx.downgrade();
            let weak2 = weak.clone();
            assert_eq!(weak.weak_count(), 2);
            drop(tx);
            assert_eq!(rx.recv().await, None);
            assert!(weak2.upgrade().is_none());
            assert_eq!(weak.strong_count(), 0);
        });
    });
}

/// Issue 31: after `Receiver::close`, a slot reserved before still sends,
/// and `recv` returns that value before `None`.
#[test]
fn permits_reserved_before_close_still_send() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (tx, mut rx) = mpsc::channel(4);
            let permit = tx.reserve().await.unwrap();
            let owned = tx.clone().reserve_owned().await.unwrap();
            tx.send(1).await.unwrap();
            rx.close();
            assert!(tx.send(2).await.is_err());
            assert!(matches!(tx.try_send(3), Err(TrySendError::Closed(3))));
            assert!(tx.reserve().await.is_err());
            permit.send(4);
            let _sender = owned.send(5);
            assert_eq!(rx.recv().await, Some(1));
            assert_eq!(rx.recv().await, Some(4));
            assert_eq!(rx.try_recv(), Ok(5));
            assert_eq!(rx.recv().await, None);
        });
    });
}

/// Issue 31: a receiver waiting on a closed channel while a permit is out
/// waits for it, and is woken when the permit is used or dropped.
#[test]
fn a_closed_receiver_waits_for_the_last_permit_and_is_woken_by_it() {
    let (waker, wakes) = support::counting_waker();
    let mut cx = std::task::Context::from_waker(&waker);
    for use_it in [true, false] {
        let (tx, mut rx) = mpsc::channel::<u32>(2);
        let permit = tx.try_reserve().unwrap();
        rx.close();
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty), "a permit is out");
        let before = wakes.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!(rx.poll_recv(&mut cx), Poll::Pending);
        if use_it {
            permit.send(7);
        } else {
            drop(permit);
        }
        assert!(wakes.load(std::sync::atomic::Ordering::SeqCst) > before, "the receiver was not woken");
        let expected = if use_it { Some(7) } else { None };
        assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(expected));
        assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(None));
    }
}

/// Issue 31: under concurrent sends and a close, every send that returned
/// `Ok` is received, bounded and unbounded.
#[test]
fn every_send_that_succeeded_is_received_across_a_close() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(async {
            for round in 0..if cfg!(miri) { 2 } else { 50 } {
                let (tx, mut rx) = mpsc::channel::<usize>(8);
                let (utx, mut urx) = mpsc::unbounded_channel::<usize>();
                let senders: Vec<_> = (0..4)
                    .map(|_| {
                        let (tx, utx) = (tx.clone(), utx.clone());
                        runtime::spawn(async move {
                            let mut sent = 0;
                            for i in 0.. {
                                let bounded = tx.send(i).await.is_ok();
                                let unbounded = utx.send(i).is_ok();
                                if !bounded && !unbounded {
                                    break;
                                }
                                sent += usize::from(bounded) + usize::from(unbounded);
                                if i % 8 == 0 {
                                    runtime::task::yield_now().await;
                                }
                            }
                            sent
                        })
                    })
                    .collect();
                drop((tx, utx));
                let mut received = 0;
                for _ in 0..round % 16 {
                    received += usize::from(rx.recv().await.is_some()) + usize::from(urx.recv().await.is_some());
                }
                rx.close();
                urx.close();
                while rx.recv().await.is_some() {
                    received += 1;
                }
                while urx.recv().await.is_some() {
                    received += 1;
                }
                let mut sent = 0;
                for sender in senders {
                    sent += sender.await.unwrap();
                }
                assert_eq!(received, sent, "round {round}");
            }
        });
    });
}

/// Issue 31: owned permits and batches of permits.
#[test]
fn owned_permits_and_reserve_many() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let (tx, mut rx) = mpsc::channel(4);
            let owned = tx.clone().reserve_owned().await.unwrap();
            assert!(owned.same_channel_as_sender(&tx));
            assert_eq!(tx.capacity(), 3);
            let sender = owned.release();
            assert_eq!(tx.capacity(), 4);
            let sender = sender.reserve_owned().await.unwrap().send("a");
            assert_eq!(rx.recv().await, Some("a"));

            let mut permits = tx.reserve_many(3).await.unwrap();
            assert_eq!(permits.len(), 3);
            assert_eq!(tx.capacity(), 1);
            permits.next().unwrap().send("b");
            drop(permits); // two unused go back
            assert_eq!(tx.capacity(), 3);
            assert_eq!(rx.recv().await, Some("b"));
            assert!(tx.reserve_many(5).await.is_err(), "more than the capacity can never be met");
            assert!(matches!(tx.try_reserve_many(5), Err(TrySendError::Full(()))));
            let held = tx.try_reserve_many(4).unwrap();
            assert!(matches!(tx.try_reserve_many(1), Err(TrySendError::Full(()))));
            assert!(matches!(sender.try_reserve_owned(), Err(TrySendError::Full(_))));
            drop(held);
            assert_eq!((rx.capacity(), rx.max_capacity()), (4, 4));
        });
    });
}

/// Issue 31: `send_timeout` sends once a slot frees in time, else returns
/// the value; a closed channel returns it at once.
#[runtime::test(start_paused = true)]
async fn send_timeout_gives_up_after_the_timeout() {
    use runtime::sync::mpsc::error::SendTimeoutError;
    let (tx, mut rx) = mpsc::channel(1);
    tx.send(0).await.unwrap();
    let started = runtime::time::Instant::now();
    assert_eq!(tx.send_timeout(1, Duration::from_secs(5)).await, Err(SendTimeoutError::Timeout(1)));
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    let drain = runtime::spawn(async move {
        runtime::time::sleep(Duration::from_secs(1)).await;
        let first = rx.recv().await;
        (first, rx.recv().await, rx)
    });
    tx.send_timeout(2, Duration::from_secs(5)).await.unwrap();
    let (first, second, rx) = drain.await.unwrap();
    assert_eq!((first, second), (Some(0), Some(2)));
    drop(rx);
    assert_eq!(tx.send_timeout(3, Duration::from_secs(5)).await, Err(SendTimeoutError::Closed(3)));
}

/// Issue 31: the receiver's views of the channel, and `poll_recv_many`.
#[test]
fn receiver_reports_length_capacity_and_closing() {
    let (waker, _) = support::counting_waker();
    let mut cx = std::task::Context::from_waker(&waker);
    let (tx, mut rx) = mpsc::channel(4);
    assert!(rx.is_empty() && !rx.is_closed());
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!((rx.len(), rx.capacity(), rx.max_capacity()), (2, 2, 4));
    let mut out = Vec::new();
    assert_eq!(rx.poll_recv_many(&mut cx, &mut out, 8), Poll::Ready(2));
    assert_eq!(out, [1, 2]);
    assert_eq!(rx.poll_recv_many(&mut cx, &mut out, 8), Poll::Pending);
    rx.close();
    assert!(rx.is_closed() && tx.is_closed());
    let (tx, rx) = mpsc::unbounded_channel::<u8>();
    drop(tx);
    assert!(rx.is_closed(), "every sender gone closes it too");
}
