//! A waker whose code panics when the runtime wakes it (an outside executor's
//! bug): the runtime reports the panic once (the panic hook) and keeps
//! serving sockets and timers, whichever thread woke it (the reactor thread,
//! a worker waiting in epoll, the timer path).
//!
//! One test in its own binary: it installs a process-wide panic hook.

mod support;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use runtime::io::{AsyncReadExt, AsyncWriteExt};
use runtime::net::UnixStream;
use support::watchdog;

const MESSAGE: &str = "this waker panics on purpose";

/// Panics every time it is woken, after counting the wake.
struct PanickingWaker(AtomicUsize);

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
        panic!("{MESSAGE}");
    }
}

/// Polls `future` once with `waker`; it must be pending (it registers the waker).
fn register<F: Future>(future: F, waker: &Waker) -> std::pin::Pin<Box<F>> {
    let mut future = Box::pin(future);
    assert!(future.as_mut().poll(&mut Context::from_waker(waker)).is_pending());
    future
}

/// The runtime serves a fresh socket pair and a timer.
fn still_serves(rt: &runtime::Runtime) {
    rt.block_on(async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let echo = runtime::spawn(async move {
            let mut buf = [0; 5];
            b.read_exact(&mut buf).await.unwrap();
            b.write_all(&buf).await.unwrap();
        });
        a.write_all(b"hello").await.unwrap();
        let mut buf = [0; 5];
        a.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello");
        echo.await.unwrap();
        runtime::time::sleep(Duration::from_millis(5)).await;
    });
}

#[test]
fn a_panicking_waker_is_reported_once_and_the_runtime_keeps_serving() {
    let reported = Arc::new(Mutex::new(0usize));
    let default_hook = std::panic::take_hook();
    {
        let reported = reported.clone();
        std::panic::set_hook(Box::new(move |info| {
            if info.to_string().contains(MESSAGE) {
                *reported.lock().unwrap() += 1;
            } else {
                default_hook(info);
            }
        }));
    }
    const ROUNDS: usize = 10;
    let woken = watchdog(Duration::from_secs(30), || {
        let rt = runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let waker = Arc::new(PanickingWaker(AtomicUsize::new(0)));
        let as_waker = Waker::from(waker.clone());
        for round in 0..ROUNDS {
            let _entered = rt.handle().enter();
            // A socket read and a timer, each left to the runtime with the waker.
            let (mut a, mut b) = UnixStream::pair().unwrap();
            let mut buf = [0; 1];
            let read = register(b.read(&mut buf), &as_waker);
            let sleep = register(runtime::time::sleep(Duration::from_millis(1)), &as_waker);
            rt.block_on(a.write_all(b"x")).unwrap();
            support::wait_until(Duration::from_secs(10), || waker.0.load(SeqCst) == 2 * (round + 1));
            drop((read, sleep));
            still_serves(&rt);
        }
        waker.0.load(SeqCst)
    });
    let _ = std::panic::take_hook();
    assert_eq!(woken, 2 * ROUNDS, "each registration woken once");
    assert_eq!(*reported.lock().unwrap(), 2 * ROUNDS, "each panic reported once");
}
