//! Signals through the reactor: raised by this process to itself, received
//! on both flavors and outside a runtime, by several listeners at once,
//! coalesced while nobody waits, and never lost in a storm.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use runtime::signal::unix::{signal, SignalKind};
use support::{both_flavors, park_on, wait_until, watchdog};

const LIMIT: Duration = Duration::from_secs(60);

fn raise(kind: SignalKind) {
    // SAFETY: raise(3) has no memory-safety preconditions; the handler for
    // `kind` is installed (the caller made a Signal first).
    assert_eq!(unsafe { libc::raise(kind.as_raw_value()) }, 0);
}

#[test]
fn a_raised_signal_is_received_on_both_flavors_and_outside_a_runtime() {
    watchdog(LIMIT, || {
        for rt in both_flavors() {
            rt.block_on(async {
                let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
                raise(SignalKind::user_defined1());
                assert_eq!(usr1.recv().await, Some(()));
                // From another task, raised from another thread.
                let waiter = runtime::spawn(async move { usr1.recv().await });
                std::thread::spawn(|| raise(SignalKind::user_defined1())).join().unwrap();
                assert_eq!(waiter.await.unwrap(), Some(()));
            });
        }
        // No runtime at all: a plain thread polls it, parking between wakes.
        let mut hup = signal(SignalKind::hangup()).unwrap();
        std::thread::spawn(|| raise(SignalKind::hangup()));
        assert_eq!(park_on(hup.recv()), Some(()));
    });
}

#[test]
fn every_listener_of_a_kind_sees_each_delivery() {
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let first = signal(SignalKind::user_defined2()).unwrap();
            let second = signal(SignalKind::user_defined2()).unwrap();
            let tasks: Vec<_> =
                [first, second].into_iter().map(|mut sig| runtime::spawn(async move { sig.recv().await })).collect();
            runtime::task::yield_now().await;
            raise(SignalKind::user_defined2());
            for task in tasks {
                assert_eq!(task.await.unwrap(), Some(()));
            }
        });
    });
}

#[test]
fn a_storm_of_raises_loses_no_wake_up() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let received = Arc::new(AtomicUsize::new(0));
        let mut sig = signal(SignalKind::alarm()).unwrap();
        rt.spawn({
            let received = received.clone();
            async move {
                while sig.recv().await.is_some() {
                    received.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        for i in 0..10_000 {
            raise(SignalKind::alarm());
            if i % 100 == 0 {
                std::thread::yield_now();
            }
        }
        let after_storm = received.load(Ordering::SeqCst);
        assert!(after_storm <= 10_000, "at most one delivery per raise");
        // The last raise is never lost: one more delivery always arrives.
        raise(SignalKind::alarm());
        wait_until(Duration::from_secs(10), || received.load(Ordering::SeqCst) > after_storm);
        assert!(received.load(Ordering::SeqCst) >= 1);
    });
}

#[test]
fn signals_that_cannot_be_caught_are_clear_errors() {
    for signum in [libc::SIGKILL, libc::SIGSTOP, libc::SIGSEGV, libc::SIGILL, libc::SIGFPE, 0, -1, 1000] {
        let error = signal(SignalKind::from_raw(signum)).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput, "signal {signum}: {error}");
    }
}

/// SIGIO, tokio's `SignalKind::io()`, is received like the others; a kind
/// converts into the raw number (`c_int`).
#[test]
fn sigio_is_received_and_a_kind_converts_into_its_number() {
    assert_eq!(std::os::raw::c_int::from(SignalKind::io()), libc::SIGIO);
    assert_eq!(i32::from(SignalKind::terminate()), libc::SIGTERM);
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let mut io = signal(SignalKind::io()).unwrap();
            raise(SignalKind::io());
            assert_eq!(io.recv().await, Some(()));
        });
    });
}
