//! watch at tokio's shape: cloneable senders (the channel closes with the
//! last), `Sender::new`, `send_if_modified`, `wait_for`, `mark_changed`.

mod support;

use std::task::Poll;
use std::time::Duration;

use runtime::sync::watch;
use support::{poll_once, watchdog};

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    runtime::Builder::new_current_thread().build().unwrap().block_on(future)
}

#[test]
fn the_channel_closes_with_the_last_sender() {
    block_on(async {
        let (tx, mut rx) = watch::channel(0u8);
        let tx2 = tx.clone();
        assert_eq!(tx.sender_count(), 2);
        drop(tx);
        tx2.send(1).unwrap();
        assert!(rx.changed().await.is_ok(), "one sender left: open");
        drop(tx2);
        assert!(rx.changed().await.is_err(), "the last sender gone: closed");

        let tx = watch::Sender::new(5u8);
        assert_eq!(tx.receiver_count(), 0);
        let rx = tx.subscribe();
        assert_eq!(*rx.borrow(), 5);
        assert_eq!(*watch::Sender::<u8>::default().borrow(), 0);
    });
}

/// `send_if_modified` returning false changes no version and wakes nobody.
#[test]
fn an_unmodified_send_wakes_nobody() {
    let (tx, mut rx) = watch::channel(0u8);
    let changed = rx.changed();
    let mut changed = std::pin::pin!(changed);
    assert!(poll_once(changed.as_mut()).is_pending());
    assert!(!tx.send_if_modified(|value| {
        *value = 0;
        false
    }));
    assert!(poll_once(changed.as_mut()).is_pending(), "no new version");
    assert!(tx.send_if_modified(|value| {
        *value = 1;
        true
    }));
    assert!(matches!(poll_once(changed.as_mut()), Poll::Ready(Ok(()))));
}

#[test]
fn wait_for_returns_at_once_when_the_value_already_fits() {
    watchdog(Duration::from_secs(30), || {
        block_on(async {
            let (tx, mut rx) = watch::channel(7u8);
            rx.mark_unchanged();
            // Already true: no send needed (it would wait for ever otherwise).
            let value = rx.wait_for(|&v| v == 7).await.unwrap();
            assert_eq!(*value, 7);
            drop(value);
            let waiter = runtime::spawn(async move {
                let value = *rx.wait_for(|&v| v >= 10).await.unwrap();
                (value, rx)
            });
            for v in 8..=12 {
                tx.send(v).unwrap();
                runtime::task::yield_now().await;
            }
            let (value, mut rx) = waiter.await.unwrap();
            assert!(value >= 10);
            drop(tx);
            assert!(rx.wait_for(|&v| v == 99).await.is_err(), "closed and not satisfied");
            assert_eq!(*rx.wait_for(|&v| v == 12).await.unwrap(), 12, "closed but satisfied");
        });
    });
}

#[test]
fn mark_changed_makes_the_next_changed_return_at_once() {
    block_on(async {
        let (_tx, mut rx) = watch::channel(0u8);
        assert!(!rx.has_changed().unwrap());
        rx.mark_changed();
        assert!(rx.has_changed().unwrap());
        rx.changed().await.unwrap();
        assert!(!rx.has_changed().unwrap());
    });
}
