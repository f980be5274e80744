//! Timer workloads: precision under light load (timers_light), many timers
//! at once (timers), and creating and dropping timeouts (churn).

use std::hint::black_box;
use std::time::{Duration, Instant};

use crate::Rt;

/// Sleeps of timers_light and timers, spread over `SPREAD`.
const LIGHT: usize = 10_000;
const HEAVY: usize = 100_000;
const SPREAD: Duration = Duration::from_millis(50);
/// Timeouts created and dropped by churn.
const CHURN: usize = 1_000_000;

/// Deadlines after `start`, spread evenly at random over `SPREAD`
/// (xorshift: the same for every runtime).
fn offsets(count: usize) -> impl Iterator<Item = Duration> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    (0..count).map(move |_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        Duration::from_nanos(state % SPREAD.as_nanos() as u64)
    })
}

/// One task per sleep, each sleeping its offset from when it first runs;
/// returns each sleep's lateness in microseconds (how long the spawned tasks
/// waited for their first poll is not the timers' doing).
async fn spread_sleeps<R: Rt>(rt: &'static R, count: usize) -> Vec<f64> {
    let handles: Vec<_> = offsets(count)
        .map(|offset| {
            rt.spawn(async move {
                let deadline = Instant::now() + offset;
                R::sleep_until(deadline).await;
                Instant::now().saturating_duration_since(deadline).as_secs_f64() * 1e6
            })
        })
        .collect();
    let mut lateness = Vec::with_capacity(count);
    for handle in handles {
        lateness.push(handle.await);
    }
    lateness
}

/// 10,000 sleeps over 0–50 ms: (p50, p99) lateness in µs.
pub async fn timers_light<R: Rt>(rt: &'static R) -> (f64, f64) {
    let mut lateness = spread_sleeps(rt, LIGHT).await;
    lateness.sort_by(f64::total_cmp);
    (lateness[LIGHT / 2], lateness[LIGHT * 99 / 100])
}

/// timers_light's limit: one plain thread sleeping (`thread::sleep`, its
/// default timer slack) until each deadline in turn, as a perfect timer
/// thread would; (p50, p99) lateness in µs. On a shared machine its p99 is
/// the scheduler's: one late wake-up makes every deadline it overslept late.
pub fn timers_light_thread() -> (f64, f64) {
    let start = Instant::now();
    let mut deadlines: Vec<Instant> = offsets(LIGHT).map(|offset| start + offset).collect();
    deadlines.sort();
    let mut lateness: Vec<f64> = deadlines
        .into_iter()
        .map(|deadline| {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            Instant::now().saturating_duration_since(deadline).as_secs_f64() * 1e6
        })
        .collect();
    lateness.sort_by(f64::total_cmp);
    (lateness[LIGHT / 2], lateness[LIGHT * 99 / 100])
}

/// 100,000 sleeps over 0–50 ms, all waited for (the total time is the measure).
pub async fn timers<R: Rt>(rt: &'static R) {
    black_box(spread_sleeps(rt, HEAVY).await);
}

/// 1,000,000 timeouts around futures that are ready at once, created and dropped.
pub async fn churn<R: Rt>(_: &'static R) {
    for i in 0..CHURN {
        black_box(R::timeout(Duration::from_secs(1), std::future::ready(i)).await);
    }
}
