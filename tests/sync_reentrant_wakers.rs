//! A waker whose drop re-enters the primitive that held it (issue 33, item 3).
//!
//! Each test polls a waiting future with a waker whose last drop uses the same
//! primitive, then polls it again with another waker, so that the primitive
//! replaces (or, on cancel, drops) the first one. A primitive that dropped it
//! under its own lock would deadlock there; the watchdog turns that into a
//! failure.

mod support;

use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use runtime::sync::{broadcast, mpsc, Barrier, Notify, Semaphore};
use support::{poll_once, watchdog};

const LIMIT: Duration = Duration::from_secs(20);

/// A waker that runs `on_drop` when its last clone goes.
fn reentrant_waker(on_drop: impl FnOnce() + Send + 'static) -> Waker {
    struct OnDrop(Mutex<Option<Box<dyn FnOnce() + Send>>>);
    impl Wake for OnDrop {
        fn wake(self: Arc<Self>) {}
    }
    impl Drop for OnDrop {
        fn drop(&mut self) {
            if let Some(on_drop) = self.0.lock().unwrap().take() {
                on_drop();
            }
        }
    }
    Waker::from(Arc::new(OnDrop(Mutex::new(Some(Box::new(on_drop))))))
}

/// Polls `future` with `waker` (which the future stores), gives up this
/// thread's clone, then polls with a no-op waker, which displaces it.
fn poll_then_displace<F: Future>(mut future: std::pin::Pin<&mut F>, waker: Waker) -> std::pin::Pin<&mut F> {
    assert!(future.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
    drop(waker);
    assert!(poll_once(future.as_mut()).is_pending());
    future
}

/// Polls `future` with `waker` (which the future stores), gives up this
/// thread's clone, then drops the future, which leaves the waiters with it.
fn poll_then_cancel<F: Future>(future: F, waker: Waker) {
    let mut future = pin!(future);
    assert!(future.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
    drop(waker);
}

#[test]
fn broadcast_recv_survives_a_displaced_waker_that_sends() {
    watchdog(LIMIT, || {
        let (tx, mut rx) = broadcast::channel::<u32>(4);
        let sender = tx.clone();
        let waker = reentrant_waker(move || sender.send(1).map(drop).unwrap());
        let mut recv = pin!(rx.recv());
        let mut recv = poll_then_displace(recv.as_mut(), waker);
        assert_eq!(poll_once(recv.as_mut()), Poll::Ready(Ok(1)), "the drop's send arrived");
    });
}

#[test]
fn broadcast_recv_cancelled_with_a_waker_that_sends() {
    watchdog(LIMIT, || {
        let (tx, mut rx) = broadcast::channel::<u32>(4);
        let sender = tx.clone();
        let waker = reentrant_waker(move || sender.send(1).map(drop).unwrap());
        poll_then_cancel(rx.recv(), waker);
        assert_eq!(rx.try_recv(), Ok(1));
    });
}

#[test]
fn semaphore_acquire_survives_a_displaced_waker_that_releases() {
    watchdog(LIMIT, || {
        let semaphore = Arc::new(Semaphore::new(0));
        let releaser = semaphore.clone();
        let waker = reentrant_waker(move || releaser.add_permits(1));
        let mut acquire = pin!(semaphore.acquire());
        let mut acquire = poll_then_displace(acquire.as_mut(), waker);
        // The drop's permit went to this queued acquire.
        assert!(matches!(poll_once(acquire.as_mut()), Poll::Ready(Ok(_))));
    });
}

#[test]
fn semaphore_acquire_cancelled_with_a_waker_that_releases() {
    watchdog(LIMIT, || {
        let semaphore = Arc::new(Semaphore::new(0));
        let releaser = semaphore.clone();
        let waker = reentrant_waker(move || releaser.add_permits(1));
        poll_then_cancel(semaphore.acquire(), waker);
        assert_eq!(semaphore.available_permits(), 1);
    });
}

#[test]
fn mutex_lock_survives_a_displaced_waker_that_unlocks() {
    watchdog(LIMIT, || {
        let mutex = Arc::new(runtime::sync::Mutex::new(0));
        let guard = Arc::new(Mutex::new(Some(mutex.clone().try_lock_owned().unwrap())));
        let held = guard.clone();
        let waker = reentrant_waker(move || drop(held.lock().unwrap().take()));
        let mut lock = pin!(mutex.lock());
        let mut lock = poll_then_displace(lock.as_mut(), waker);
        assert!(poll_once(lock.as_mut()).is_ready(), "the drop unlocked it for this waiter");
    });
}

#[test]
fn notify_survives_a_displaced_waker_that_notifies() {
    watchdog(LIMIT, || {
        let notify = Arc::new(Notify::new());
        let notifier = notify.clone();
        let waker = reentrant_waker(move || notifier.notify_one());
        let mut notified = pin!(notify.notified());
        let mut notified = poll_then_displace(notified.as_mut(), waker);
        assert!(poll_once(notified.as_mut()).is_ready());
    });
}

#[test]
fn notified_cancelled_with_a_waker_that_notifies() {
    watchdog(LIMIT, || {
        let notify = Arc::new(Notify::new());
        let notifier = notify.clone();
        let waker = reentrant_waker(move || notifier.notify_one());
        poll_then_cancel(notify.notified(), waker);
        assert!(poll_once(pin!(notify.notified())).is_ready(), "the drop's permit was stored");
    });
}

#[test]
fn barrier_survives_a_displaced_waker_that_looks_at_it() {
    watchdog(LIMIT, || {
        let barrier = Arc::new(Barrier::new(2));
        let looker = barrier.clone();
        // Debug takes the barrier's lock.
        let waker = reentrant_waker(move || drop(format!("{looker:?}")));
        let mut wait = pin!(barrier.wait());
        let mut wait = poll_then_displace(wait.as_mut(), waker);
        let other_side = barrier.clone();
        let other = std::thread::spawn(move || support::park_on(other_side.wait()).is_leader());
        let leader = loop {
            if let Poll::Ready(result) = poll_once(wait.as_mut()) {
                break result.is_leader();
            }
            std::thread::yield_now();
        };
        assert!(leader ^ other.join().unwrap(), "one leader");
    });
}

#[test]
fn mpsc_recv_survives_a_displaced_waker_that_sends() {
    watchdog(LIMIT, || {
        let (tx, mut rx) = mpsc::channel::<u32>(4);
        let sender = tx.clone();
        let waker = reentrant_waker(move || sender.try_send(1).unwrap());
        let mut recv = pin!(rx.recv());
        assert!(recv.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
        drop(waker);
        // The registration drops the displaced waker, whose send it then finds.
        assert_eq!(poll_once(recv.as_mut()), Poll::Ready(Some(1)));
    });
}

/// Issue 33, item 7: the receiver's stored waker (and what it keeps alive)
/// goes with the receiver, not with the last sender.
#[test]
fn dropping_an_mpsc_receiver_drops_its_waker() {
    for bounded in [true, false] {
        let dropped = Arc::new(Mutex::new(false));
        let flag = dropped.clone();
        let waker = reentrant_waker(move || *flag.lock().unwrap() = true);
        let (bounded_tx, mut bounded_rx) = mpsc::channel::<u32>(4);
        let (unbounded_tx, mut unbounded_rx) = mpsc::unbounded_channel::<u32>();
        let mut cx = Context::from_waker(&waker);
        if bounded {
            assert!(bounded_rx.poll_recv(&mut cx).is_pending());
        } else {
            assert!(unbounded_rx.poll_recv(&mut cx).is_pending());
        }
        drop(waker);
        drop((bounded_rx, unbounded_rx));
        assert!(*dropped.lock().unwrap(), "bounded: {bounded}: the waker went with the receiver");
        drop((bounded_tx, unbounded_tx));
    }
}

/// A `JoinSet` replaces its waker under the lock that its members' wakers
/// take when they finish. The displaced waker's drop here lets a member
/// finish on the one worker and waits for a task queued behind it: the
/// worker only gets there if the member's wake was not stuck on that lock.
#[test]
fn join_set_survives_a_displaced_waker_whose_drop_waits_for_a_member() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap();
        let handle = rt.handle().clone();
        let (release, released) = runtime::sync::oneshot::channel::<()>();
        let mut set = runtime::task::JoinSet::new();
        let _guard = rt.handle().enter();
        set.spawn(async move {
            released.await.unwrap();
            7
        });
        let release = Mutex::new(Some(release));
        let waker = reentrant_waker(move || {
            release.lock().unwrap().take().unwrap().send(()).unwrap();
            let (probe_tx, probe_rx) = std::sync::mpsc::channel();
            handle.spawn(async move { probe_tx.send(()).unwrap() });
            probe_rx.recv_timeout(Duration::from_secs(10)).expect("the worker stalled on the set's lock");
        });
        let mut next = pin!(set.join_next());
        assert!(next.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
        drop(waker);
        let output = loop {
            if let Poll::Ready(output) = poll_once(next.as_mut()) {
                break output;
            }
            std::thread::yield_now();
        };
        assert_eq!(output.unwrap().unwrap(), 7);
    });
}
