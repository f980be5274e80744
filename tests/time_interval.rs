//! Interval: ticks on schedule, as a Stream, and each missed-tick behavior.
//! A "busy" task is simulated by blocking its worker for a fixed time; the
//! assertions are about the scheduled instants, which do not depend on how
//! long the machine took.

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use runtime::time::{interval, interval_at, Instant, MissedTickBehavior};
use runtime::Builder;
use support::watchdog;

const LIMIT: Duration = Duration::from_secs(60);
const PERIOD: Duration = Duration::from_millis(10);

fn on_current_thread<T>(future: impl std::future::Future<Output = T>) -> T {
    Builder::new_current_thread().build().unwrap().block_on(future)
}

#[test]
fn ticks_keep_their_schedule_and_never_come_early() {
    watchdog(LIMIT, || {
        for rt in [
            Builder::new_multi_thread().worker_threads(2).build().unwrap(),
            Builder::new_current_thread().build().unwrap(),
        ] {
            rt.block_on(async {
                let start = Instant::now();
                let mut interval = interval(PERIOD);
                assert_eq!(interval.period(), PERIOD);
                assert_eq!(interval.missed_tick_behavior(), MissedTickBehavior::Burst);
                let first = interval.tick().await;
                assert!(first >= start && first <= Instant::now(), "the first tick is immediate");
                for n in 1..=5u32 {
                    let scheduled = interval.tick().await;
                    assert_eq!(scheduled, first + PERIOD * n);
                    assert!(Instant::now() >= scheduled);
                }
            });
        }
    });
}

#[test]
fn an_interval_is_a_stream_of_scheduled_instants() {
    watchdog(LIMIT, || {
        on_current_thread(async {
            let start = Instant::now() + PERIOD;
            let ticks: Vec<Instant> = interval_at(start, PERIOD).take(3).collect().await;
            assert_eq!(ticks, [start, start + PERIOD, start + PERIOD * 2]);
            assert!(Instant::now() >= start + PERIOD * 2);
        });
    });
}

#[test]
fn reset_restarts_the_schedule_from_now() {
    watchdog(LIMIT, || {
        on_current_thread(async {
            let mut interval = interval(Duration::from_secs(3_600));
            interval.tick().await;
            let before = Instant::now();
            interval.reset();
            // The next tick is now an hour away, not at once.
            let next = runtime::time::timeout(Duration::from_millis(20), interval.tick()).await;
            assert!(next.is_err());
            assert!(before.elapsed() >= Duration::from_millis(20));
        });
    });
}

/// On a paused clock: each `reset_*` moves the next tick, and the ticks
/// after it follow a period apart.
#[test]
fn reset_immediately_after_and_at_move_the_next_tick() {
    let rt = runtime::Builder::new_current_thread().start_paused(true).build().unwrap();
    rt.block_on(async {
        let period = Duration::from_secs(10);
        let mut interval = interval(period);
        let start = interval.tick().await;
        interval.reset_immediately();
        let now = Instant::now();
        assert_eq!(interval.tick().await, now, "at once");
        interval.reset_after(Duration::from_secs(3));
        let third = interval.tick().await;
        assert_eq!(third, now + Duration::from_secs(3));
        assert_eq!(interval.tick().await, third + period);
        let at = Instant::now() + Duration::from_secs(1);
        interval.reset_at(at);
        assert_eq!(interval.tick().await, at);
        assert_eq!(interval.tick().await, at + period);
        assert!(at > start);
    });
}

#[test]
fn the_error_types_are_at_tokios_paths() {
    let elapsed: runtime::time::error::Elapsed = on_current_thread(async {
        runtime::time::timeout(Duration::ZERO, std::future::pending::<()>()).await.unwrap_err()
    });
    assert_eq!(elapsed.to_string(), "deadline has elapsed");
    assert!(runtime::time::error::Error::shutdown().is_shutdown());
}

#[test]
#[should_panic(expected = "period must be more than zero")]
fn a_zero_period_is_refused() {
    let _ = interval(Duration::ZERO);
}

/// Issue 33, item 5: a period of `Duration::MAX` saturates ("never again"),
/// as `sleep(Duration::MAX)` does, when polled and when reset.
#[test]
fn an_interval_of_duration_max_never_ticks_again_and_never_panics() {
    watchdog(LIMIT, || {
        on_current_thread(async {
            let mut interval = interval(Duration::MAX);
            interval.tick().await;
            assert!(support::poll_once(std::pin::pin!(interval.tick())).is_pending());
            interval.reset();
            for behavior in [MissedTickBehavior::Burst, MissedTickBehavior::Delay, MissedTickBehavior::Skip] {
                interval.set_missed_tick_behavior(behavior);
                assert!(support::poll_once(std::pin::pin!(interval.tick())).is_pending());
            }
        });
    });
}

/// Ticks at 0 and 10 ms, then a stall until 35 ms (3.5 periods) on a
/// paused clock: the offsets of the next three ticks, exactly.
fn paused_ticks_after_a_stall(behavior: MissedTickBehavior) -> Vec<Duration> {
    let rt = Builder::new_current_thread().start_paused(true).build().unwrap();
    rt.block_on(async {
        let start = Instant::now();
        let mut interval = interval_at(start, PERIOD);
        interval.set_missed_tick_behavior(behavior);
        assert_eq!(interval.tick().await, start);
        assert_eq!(interval.tick().await, start + PERIOD);
        runtime::time::advance(PERIOD * 5 / 2).await;
        assert_eq!(Instant::now() - start, PERIOD * 7 / 2);
        let mut offsets = Vec::new();
        for _ in 0..3 {
            offsets.push(interval.tick().await - start);
        }
        offsets
    })
}

/// tokio's arithmetic, pinned: a stall of 3.5 periods. On paused time, so
/// a slow machine cannot make a tick late by itself (the real-clock versions
/// of these tests failed when a tick was polled more than 5 ms late).
#[test]
fn each_behavior_after_a_stall_of_three_and_a_half_periods_on_paused_time() {
    let ms = Duration::from_millis;
    assert_eq!(paused_ticks_after_a_stall(MissedTickBehavior::Burst), [ms(20), ms(30), ms(40)]);
    assert_eq!(paused_ticks_after_a_stall(MissedTickBehavior::Delay), [ms(20), ms(45), ms(55)]);
    assert_eq!(paused_ticks_after_a_stall(MissedTickBehavior::Skip), [ms(20), ms(40), ms(50)]);
}

#[test]
fn timeouts_take_anything_into_future() {
    struct Later(u8);
    impl std::future::IntoFuture for Later {
        type Output = u8;
        type IntoFuture = std::future::Ready<u8>;
        fn into_future(self) -> Self::IntoFuture {
            std::future::ready(self.0)
        }
    }
    let rt = Builder::new_current_thread().start_paused(true).build().unwrap();
    rt.block_on(async {
        assert_eq!(runtime::time::timeout(Duration::from_secs(1), Later(3)).await, Ok(3));
        assert_eq!(runtime::time::timeout_at(Instant::now(), Later(4)).await, Ok(4));
    });
}
