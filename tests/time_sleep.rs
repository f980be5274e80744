//! Sleep, timeout and cancellation, end to end on both flavors. Every check
//! is "not before the deadline" plus an event; upper bounds are watchdogs.

mod support;

use std::future::{pending, poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use runtime::time::{sleep, sleep_until, timeout};
use runtime::{Builder, Runtime};
use support::{wait_until, watchdog};

const LIMIT: Duration = Duration::from_secs(60);

fn flavors() -> Vec<Runtime> {
    vec![Builder::new_multi_thread().worker_threads(2).build().unwrap(), Builder::new_current_thread().build().unwrap()]
}

/// A waker that counts its wakes and passes them on.
struct CountingWaker {
    wakes: AtomicUsize,
    inner: Waker,
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, SeqCst);
        self.inner.wake_by_ref();
    }
}

fn counting(inner: &Waker) -> Arc<CountingWaker> {
    Arc::new(CountingWaker { wakes: AtomicUsize::new(0), inner: inner.clone() })
}

/// Deterministic spread of deadlines (xorshift).
fn spread(seed: u64, count: usize, max: Duration) -> Vec<Duration> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            Duration::from_nanos(state % max.as_nanos() as u64)
        })
        .collect()
}

#[test]
fn sleeps_never_complete_before_their_deadline_on_either_flavor() {
    watchdog(LIMIT, || {
        for rt in flavors() {
            rt.block_on(async {
                for micros in [0, 1, 50, 300, 2_000, 20_000] {
                    let start = Instant::now();
                    sleep(Duration::from_micros(micros)).await;
                    assert!(start.elapsed() >= Duration::from_micros(micros));
                }
                let deadline = Instant::now() + Duration::from_millis(3);
                sleep_until(deadline).await;
                assert!(Instant::now() >= deadline);
                // A deadline in the past completes at once.
                sleep_until(Instant::now() - Duration::from_secs(1)).await;
            });
        }
    });
}

/// 100,000 sleeps spread over 0–50 ms, each in its own task: every one
/// completes, none before its deadline, and the wheel is empty after.
#[test]
fn a_hundred_thousand_concurrent_sleeps_all_fire_and_none_early() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let early = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let handles: Vec<_> = spread(7, 100_000, Duration::from_millis(50))
            .into_iter()
            .map(|after| {
                let early = early.clone();
                rt.spawn(async move {
                    let deadline = start + after;
                    sleep_until(deadline).await;
                    if Instant::now() < deadline {
                        early.fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        rt.block_on(async {
            for handle in handles {
                handle.await.unwrap();
            }
        });
        assert_eq!(early.load(SeqCst), 0);
        assert_eq!(rt.handle().metrics().timers_pending(), 0);
    });
}

/// Timers fire in deadline order: a timer is never woken in a later batch
/// than one with a later deadline. Each sleep is polled through a waker that
/// flags its wake before passing it on, and a batch's tasks run only after
/// the whole batch was woken; so when a task woken by its timer runs, every
/// timer registered with a deadline no later than its own has been woken
/// already. No timing is involved. (A sleep whose deadline had passed when it
/// was polled completes without the wheel and is not checked.)
#[test]
fn many_timers_fire_in_deadline_order() {
    watchdog(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let start = Instant::now() + Duration::from_millis(5);
        let deadlines: Arc<Vec<Instant>> =
            Arc::new(spread(11, 2_000, Duration::from_millis(40)).into_iter().map(|after| start + after).collect());
        let flags = |_| Arc::new(deadlines.iter().map(|_| AtomicBool::new(false)).collect::<Vec<_>>());
        let (registered, woken) = (flags(0), flags(1));
        let handles: Vec<_> = (0..deadlines.len())
            .map(|me| {
                let (deadlines, registered, woken) = (deadlines.clone(), registered.clone(), woken.clone());
                rt.spawn(async move {
                    sleep_flagged(deadlines[me], &registered[me], woken.clone(), me).await;
                    if !woken[me].load(SeqCst) {
                        return 0;
                    }
                    for (other, deadline) in deadlines.iter().enumerate() {
                        if *deadline <= deadlines[me] && registered[other].load(SeqCst) {
                            assert!(woken[other].load(SeqCst), "timer {other} is due before {me} but fired after it");
                        }
                    }
                    1
                })
            })
            .collect();
        let checked: usize = rt.block_on(async {
            let mut checked = 0;
            for handle in handles {
                checked += handle.await.unwrap();
            }
            checked
        });
        assert!(checked > 0, "no sleep was woken by its timer");
    });
}

/// Sleeps until `deadline`, polling through a waker that sets `woken[index]`
/// before it wakes the task; sets `registered` once a poll returned pending.
async fn sleep_flagged(deadline: Instant, registered: &AtomicBool, woken: Arc<Vec<AtomicBool>>, index: usize) {
    let mut sleep = pin!(sleep_until(deadline));
    poll_fn(|cx| {
        let flagging = Arc::new(Flag { flags: woken.clone(), index, task: cx.waker().clone() });
        let poll = sleep.as_mut().poll(&mut Context::from_waker(&Waker::from(flagging)));
        if poll.is_pending() {
            registered.store(true, SeqCst);
        }
        poll
    })
    .await;
}

struct Flag {
    flags: Arc<Vec<AtomicBool>>,
    index: usize,
    task: Waker,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.flags[self.index].store(true, SeqCst);
        self.task.wake_by_ref();
    }
}

#[test]
fn dropping_sleeps_cancels_their_timers() {
    watchdog(LIMIT, || {
        for rt in flavors() {
            let metrics = rt.handle().clone();
            rt.block_on(async move {
                let handles: Vec<_> = (0..1_000).map(|_| runtime::spawn(sleep(Duration::from_secs(3_600)))).collect();
                while metrics.metrics().timers_pending() < 1_000 {
                    runtime::task::yield_now().await;
                }
                handles.iter().for_each(|handle| handle.abort());
                for handle in handles {
                    assert!(handle.await.unwrap_err().is_cancelled());
                }
                assert_eq!(metrics.metrics().timers_pending(), 0);
            });
            // A timeout around a ready future never registers a timer.
            rt.block_on(async {
                for _ in 0..1_000 {
                    assert_eq!(timeout(Duration::from_secs(1), async { 1 }).await, Ok(1));
                }
            });
            assert_eq!(rt.handle().metrics().timers_pending(), 0);
        }
    });
}

#[test]
fn reset_moves_a_registered_sleep_both_ways_and_rearms_a_fired_one() {
    watchdog(LIMIT, || {
        for rt in flavors() {
            rt.block_on(async {
                let mut sleep = pin!(sleep(Duration::from_secs(3_600)));
                assert!(poll_fn(|cx| Poll::Ready(sleep.as_mut().poll(cx))).await.is_pending());
                let earlier = Instant::now() + Duration::from_millis(5);
                sleep.as_mut().reset(earlier);
                (&mut sleep).await;
                assert!(Instant::now() >= earlier);
                assert!(sleep.is_elapsed());
                let later = Instant::now() + Duration::from_millis(5);
                sleep.as_mut().reset(later);
                assert!(!sleep.is_elapsed());
                (&mut sleep).await;
                assert!(Instant::now() >= later);
                sleep.as_mut().reset(Instant::now() - Duration::from_millis(1));
                (&mut sleep).await;
            });
            assert_eq!(rt.handle().metrics().timers_pending(), 0);
        }
    });
}

#[test]
fn timeout_returns_the_output_or_elapsed_never_early() {
    watchdog(LIMIT, || {
        for rt in flavors() {
            rt.block_on(async {
                let start = Instant::now();
                let result = timeout(Duration::from_millis(10), pending::<()>()).await;
                assert!(result.is_err());
                assert!(start.elapsed() >= Duration::from_millis(10));
                let error = std::io::Error::from(result.unwrap_err());
                assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
                assert_eq!(error.to_string(), "deadline has elapsed");

                // Ready before the deadline: the output, and the timer is gone.
                let quick = async {
                    sleep(Duration::from_millis(2)).await;
                    "done"
                };
                assert_eq!(timeout(Duration::from_secs(10), quick).await, Ok("done"));
                // Ready at once wins even against a zero duration.
                assert_eq!(timeout(Duration::ZERO, async { 5 }).await, Ok(5));
            });
            assert_eq!(rt.handle().metrics().timers_pending(), 0);
        }
    });
}

/// A Sleep polled from different threads over its life: only the last waker
/// is woken, once.
#[test]
fn a_sleep_polled_from_several_threads_fires_once_for_the_last_waker() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let _guard = rt.handle().enter();
        let deadline = Instant::now() + Duration::from_millis(20);
        let mut sleep = Box::pin(sleep_until(deadline));
        let first = counting(Waker::noop());
        assert!(sleep.as_mut().poll(&mut Context::from_waker(&Waker::from(first.clone()))).is_pending());
        let second = std::thread::spawn(move || {
            let thread = std::thread::current();
            let unpark = Waker::from(Arc::new(Unpark(thread)));
            let last = counting(&unpark);
            let waker = Waker::from(last.clone());
            while sleep.as_mut().poll(&mut Context::from_waker(&waker)).is_pending() {
                std::thread::park();
            }
            last.wakes.load(SeqCst)
        })
        .join()
        .unwrap();
        assert!(Instant::now() >= deadline);
        assert_eq!(first.wakes.load(SeqCst), 0);
        assert!(second >= 1);
    });
}

struct Unpark(std::thread::Thread);
impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Both workers stuck in long polls: the reactor thread still fires the
/// timer (its waker runs while they spin), and the task completes as soon as
/// a worker frees.
#[test]
fn timers_fire_while_every_worker_is_busy() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
        let woken = Arc::new(vec![AtomicBool::new(false)]);
        let registered = Arc::new(AtomicBool::new(false));
        let sleeper = {
            let (woken, registered) = (woken.clone(), registered.clone());
            rt.spawn(async move {
                let deadline = Instant::now() + Duration::from_millis(20);
                sleep_flagged(deadline, &registered, woken, 0).await;
                assert!(Instant::now() >= deadline);
            })
        };
        wait_until(LIMIT, || registered.load(SeqCst));
        let running = Arc::new(AtomicUsize::new(0));
        let spinners: Vec<_> = (0..2)
            .map(|_| {
                let (woken, running) = (woken.clone(), running.clone());
                rt.spawn(async move {
                    running.fetch_add(1, SeqCst);
                    // Spin (a long poll) until the timer's waker ran, or give up.
                    let give_up = Instant::now() + Duration::from_secs(20);
                    while !woken[0].load(SeqCst) && Instant::now() < give_up {
                        std::hint::spin_loop();
                    }
                    woken[0].load(SeqCst)
                })
            })
            .collect();
        rt.block_on(async {
            for spinner in spinners {
                assert!(spinner.await.unwrap(), "the timer did not fire while the workers were busy");
            }
            sleeper.await.unwrap();
        });
        assert_eq!(running.load(SeqCst), 2);
    });
}

/// Records when it was first woken.
struct WokenAt(Mutex<Option<Instant>>);

impl Wake for WokenAt {
    fn wake(self: Arc<Self>) {
        self.0.lock().unwrap().get_or_insert_with(Instant::now);
    }
}

/// A deadline registered while a worker waits in epoll, after which every
/// worker leaves for a long poll: the reactor thread, whose stand-by nap was
/// measured before the deadline existed (after an idle spell, its longest:
/// 100 ms), must learn of it and fire it near its time, not when the nap ends.
#[test]
fn a_deadline_registered_while_a_worker_waits_in_epoll_is_kept_after_it_leaves() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(2).build().unwrap();
        // Sets the scene (no synchronisation rests on it): an idle worker
        // takes the epoll wait and the reactor thread's naps double from 1 ms
        // to 100 ms (127 ms in all), so 235 ms in, a nap has about 90 ms left.
        std::thread::sleep(Duration::from_millis(235));
        let _context = rt.handle().enter();
        let woken = Arc::new(WokenAt(Mutex::new(None)));
        let deadline = Instant::now() + Duration::from_millis(5);
        let mut timer = pin!(sleep_until(deadline));
        let waker = Waker::from(woken.clone());
        assert!(timer.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
        let blockers: Vec<_> = (0..2)
            .map(|_| {
                let woken = woken.clone();
                rt.spawn(async move {
                    let give_up = Instant::now() + Duration::from_secs(5);
                    while woken.0.lock().unwrap().is_none() && Instant::now() < give_up {
                        std::thread::yield_now();
                    }
                })
            })
            .collect();
        for blocker in blockers {
            rt.block_on(blocker).unwrap();
        }
        let late = woken.0.lock().unwrap().expect("the timer fired").duration_since(deadline);
        assert!(late < Duration::from_millis(50), "fired {late:?} after its deadline");
    });
}

/// A sleep registered with a runtime that is then dropped moves to the
/// process-wide timer thread and still completes, not early.
#[test]
fn a_sleep_outliving_its_runtime_still_completes() {
    watchdog(LIMIT, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let deadline = Instant::now() + Duration::from_millis(30);
        let mut sleep = Box::pin(sleep_until(deadline));
        rt.block_on(async {
            assert!(poll_fn(|cx| Poll::Ready(sleep.as_mut().poll(cx))).await.is_pending());
        });
        assert_eq!(rt.handle().metrics().timers_pending(), 1);
        drop(rt);
        futures_executor_block_on(sleep);
        assert!(Instant::now() >= deadline);
        // And one created and polled outside any runtime.
        let start = Instant::now();
        futures_executor_block_on(runtime::time::sleep(Duration::from_millis(5)));
        assert!(start.elapsed() >= Duration::from_millis(5));
    });
}

fn futures_executor_block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
            return output;
        }
        std::thread::park();
    }
}
