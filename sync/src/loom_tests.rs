//! Loom models of the lock-free parts: the semaphore's state word against
//! its wait list, the oneshot state word, Notify's permit, and a bounded
//! channel's slots.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use loom::future::block_on;
use loom::thread;

use crate::sync::Arc;
use crate::{mpsc, oneshot, Notify, Semaphore};

#[test]
fn loom_semaphore_hands_its_permit_to_every_waiter() {
    loom::model(|| {
        let semaphore = std::sync::Arc::new(Semaphore::new(1));
        let others: Vec<_> = (0..2)
            .map(|_| {
                let semaphore = semaphore.clone();
                thread::spawn(move || block_on(async { drop(semaphore.acquire().await.unwrap()) }))
            })
            .collect();
        block_on(async { drop(semaphore.acquire().await.unwrap()) });
        for other in others {
            other.join().unwrap();
        }
        assert_eq!(semaphore.available_permits(), 1);
    });
}

#[test]
fn loom_cancelled_acquire_loses_no_permit() {
    loom::model(|| {
        let semaphore = std::sync::Arc::new(Semaphore::new(1));
        let held = semaphore.clone().try_acquire_owned().unwrap();
        let releaser = thread::spawn(move || drop(held));
        {
            let mut acquire = pin!(semaphore.acquire());
            let mut cx = Context::from_waker(Waker::noop());
            if let Poll::Ready(permit) = acquire.as_mut().poll(&mut cx) {
                drop(permit.unwrap());
            }
            // Dropped here, queued or not, granted or not.
        }
        releaser.join().unwrap();
        assert_eq!(semaphore.available_permits(), 1);
        assert!(semaphore.try_acquire().is_ok(), "nobody waits: the permit is free");
    });
}

/// `forget_permits` racing a release and a queued waiter: it takes only
/// free permits (never one handed to the waiter), and every permit is
/// accounted for: forgotten, held, or free.
#[test]
fn loom_forget_permits_racing_a_release_and_a_waiter() {
    loom::model(|| {
        let semaphore = std::sync::Arc::new(Semaphore::new(2));
        let held = semaphore.clone().try_acquire_many_owned(2).unwrap();
        let waiter = {
            let semaphore = semaphore.clone();
            thread::spawn(move || block_on(async { semaphore.acquire().await.unwrap().forget() }))
        };
        let releaser = thread::spawn(move || drop(held));
        let forgotten = semaphore.forget_permits(2);
        releaser.join().unwrap();
        if forgotten == 2 {
            // Both freed permits were forgotten before the waiter got one:
            // it waits for ever; give it one to end the model.
            semaphore.add_permits(1);
            waiter.join().unwrap();
            assert_eq!(semaphore.available_permits(), 0);
        } else {
            waiter.join().unwrap();
            // 2 permits: `forgotten`, one forgotten by the waiter, the rest free.
            assert_eq!(forgotten + 1 + semaphore.available_permits(), 2);
        }
    });
}

#[test]
fn loom_semaphore_close_wakes_a_waiter() {
    loom::model(|| {
        let semaphore = std::sync::Arc::new(Semaphore::new(0));
        let closer = {
            let semaphore = semaphore.clone();
            thread::spawn(move || semaphore.close())
        };
        assert!(block_on(semaphore.acquire()).is_err());
        closer.join().unwrap();
    });
}

#[test]
fn loom_oneshot_value_reaches_the_receiver() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel();
        let sender = thread::spawn(move || tx.send(7).unwrap());
        assert_eq!(block_on(rx), Ok(7));
        sender.join().unwrap();
    });
}

#[test]
fn loom_oneshot_dropped_sender_wakes_the_receiver() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel::<u8>();
        let sender = thread::spawn(move || drop(tx));
        assert!(block_on(rx).is_err());
        sender.join().unwrap();
    });
}

#[test]
fn loom_oneshot_send_races_the_receiver_drop() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel::<Arc<u8>>();
        let value = Arc::new(1);
        let sender = {
            let value = value.clone();
            thread::spawn(move || tx.send(value).is_ok())
        };
        drop(rx);
        let _ = sender.join().unwrap();
        // Loom's Arc reports a leak if the value was neither returned nor dropped.
        drop(value);
    });
}

#[test]
fn loom_oneshot_closed_wakes_the_sender() {
    loom::model(|| {
        let (mut tx, rx) = oneshot::channel::<u8>();
        let receiver = thread::spawn(move || drop(rx));
        block_on(tx.closed());
        assert!(tx.is_closed());
        receiver.join().unwrap();
    });
}

#[test]
fn loom_notify_one_is_never_lost() {
    loom::model(|| {
        let notify = Arc::new(Notify::new());
        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || notify.notify_one())
        };
        block_on(notify.notified());
        notifier.join().unwrap();
    });
}

#[test]
fn loom_notify_waiters_reaches_a_future_created_before() {
    loom::model(|| {
        let notify = Arc::new(Notify::new());
        let (ready_tx, ready_rx) = oneshot::channel();
        let notifier = {
            let notify = notify.clone();
            thread::spawn(move || {
                block_on(ready_rx).unwrap();
                notify.notify_waiters();
            })
        };
        let notified = notify.notified();
        ready_tx.send(()).unwrap();
        block_on(notified);
        notifier.join().unwrap();
    });
}

#[test]
fn loom_bounded_channel_delivers_past_a_full_queue() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel(1);
        let senders: Vec<_> = (0..2)
            .map(|i| {
                let tx = tx.clone();
                thread::spawn(move || block_on(tx.send(i)).unwrap())
            })
            .collect();
        drop(tx);
        let mut sum = 0;
        while let Some(i) = block_on(rx.recv()) {
            sum += i;
        }
        assert_eq!(sum, 1);
        for sender in senders {
            sender.join().unwrap();
        }
    });
}

#[test]
fn loom_oneshot_polled_receiver_dropped_while_the_sender_wakes_it() {
    loom::model(|| {
        let (tx, mut rx) = oneshot::channel::<Arc<u8>>();
        let value = Arc::new(1);
        let sender = {
            let value = value.clone();
            thread::spawn(move || drop(tx.send(value)))
        };
        let mut cx = Context::from_waker(Waker::noop());
        let _ = std::pin::Pin::new(&mut rx).poll(&mut cx);
        drop(rx);
        sender.join().unwrap();
        drop(value);
    });
}

#[test]
fn loom_unbounded_channel_delivers_the_last_message_before_the_senders_go() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let sender = {
            let tx = tx.clone();
            thread::spawn(move || tx.send(1).unwrap())
        };
        drop(tx);
        let mut sum = 0;
        while let Some(i) = block_on(rx.recv()) {
            sum += i;
        }
        assert_eq!(sum, 1);
        sender.join().unwrap();
    });
}

#[test]
fn loom_a_message_racing_the_receivers_drop_is_dropped_once() {
    loom::model(|| {
        let (tx, rx) = mpsc::channel(1);
        let value = Arc::new(1);
        let sender = {
            let value = value.clone();
            thread::spawn(move || {
                let _ = block_on(tx.send(value));
            })
        };
        drop(rx);
        sender.join().unwrap();
        // Loom's Arc reports a leak if the message was lost in the ring.
        drop(value);
    });
}

/// Item 1 of issue 33: a producer whose permit was taken before the receiver
/// freed a slot must still see that read before it writes the slot's next
/// lap. Capacity 2 and three messages are the fewest that reach it: the late
/// producer's permit orders nothing, only the claim chain through the other
/// producer's later permit does (ring.rs, "Why the claim is AcqRel"). The
/// model above (capacity 1, one message per producer) cannot reach it: with a
/// single permit, every permit is taken after the release that freed it.
#[test]
fn loom_bounded_channel_reuses_a_slot_through_a_fungible_permit() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel(2);
        let late = {
            let tx = tx.clone();
            thread::spawn(move || block_on(tx.send(Arc::new(2))).unwrap())
        };
        let early = thread::spawn(move || {
            block_on(tx.send(Arc::new(0))).unwrap();
            block_on(tx.send(Arc::new(1))).unwrap();
        });
        let mut sum = 0;
        while let Some(value) = block_on(rx.recv()) {
            sum += *value;
        }
        assert_eq!(sum, 3);
        late.join().unwrap();
        early.join().unwrap();
    });
}

/// watch's version word: a receiver waiting in `changed()` while the
/// sender sends and goes sees the new value (`Ok`), never a lost send.
#[test]
fn loom_watch_changed_sees_a_send_racing_it() {
    loom::model(|| {
        let (tx, mut rx) = crate::watch::channel(0);
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
        });
        assert_eq!(block_on(rx.changed()), Ok(()), "the send was seen");
        assert_eq!(*rx.borrow_and_update(), 1, "the version published the value");
        sender.join().unwrap();
    });
}

/// A sender dropped without sending ends a `changed()` with an error, and
/// a receiver that saw every send is told the channel closed.
#[test]
fn loom_watch_close_wakes_a_waiting_receiver() {
    loom::model(|| {
        let (tx, mut rx) = crate::watch::channel(0);
        let sender = thread::spawn(move || drop(tx));
        assert!(block_on(rx.changed()).is_err());
        sender.join().unwrap();
    });
}

/// An upgrade of a weak sender racing the last strong sender's drop: either
/// the upgrade fails and the receiver sees the end, or it succeeds and the
/// receiver gets its message before the end; never a message after `None`.
#[test]
fn loom_mpsc_weak_upgrade_races_the_last_sender() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
        let weak = tx.downgrade();
        let upgrader = thread::spawn(move || match weak.upgrade() {
            Some(tx) => tx.send(1).is_ok(),
            None => false,
        });
        drop(tx);
        let received = block_on(async {
            let mut received = 0;
            while rx.recv().await.is_some() {
                received += 1;
            }
            received
        });
        let sent = upgrader.join().unwrap();
        assert_eq!(received, usize::from(sent));
    });
}

/// A receiver that closed while a permit is out waits for it; a permit
/// dropped unused on another thread wakes it, and it ends.
#[test]
fn loom_mpsc_closed_receiver_is_woken_by_the_last_permit() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel::<u8>(1);
        let permit = tx.clone().try_reserve_owned().unwrap();
        rx.close();
        let holder = thread::spawn(move || drop(permit));
        assert_eq!(block_on(rx.recv()), None);
        holder.join().unwrap();
        drop(tx);
    });
}

/// A permit split in two, the halves released on two threads while a
/// waiter needs all of them, and a merge on the way: every permit comes back
/// once, and the waiter gets them.
#[test]
fn loom_split_and_merged_permits_release_every_permit_once() {
    loom::model(|| {
        let semaphore = std::sync::Arc::new(Semaphore::new(3));
        let mut held = semaphore.clone().try_acquire_many_owned(3).unwrap();
        let mut half = held.split(2).unwrap();
        let one = half.split(1).unwrap();
        half.merge(one);
        let releaser = thread::spawn(move || drop(half));
        let waiter = {
            let semaphore = semaphore.clone();
            thread::spawn(move || block_on(async { semaphore.acquire_many(3).await.unwrap().num_permits() }))
        };
        drop(held);
        releaser.join().unwrap();
        assert_eq!(waiter.join().unwrap(), 3);
        assert_eq!(semaphore.available_permits(), 3);
    });
}
