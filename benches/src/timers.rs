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
/// returns each sleep's deadline and when it woke (how long the spawned tasks
/// waited for their first poll is not the timers' doing).
async fn spread_sleeps<R: Rt>(rt: &'static R, count: usize) -> Vec<(Instant, Instant)> {
    let handles: Vec<_> = offsets(count)
        .map(|offset| {
            rt.spawn(async move {
                let deadline = Instant::now() + offset;
                R::sleep_until(deadline).await;
                (deadline, Instant::now())
            })
        })
        .collect();
    let mut sleeps = Vec::with_capacity(count);
    for handle in handles {
        sleeps.push(handle.await);
    }
    sleeps
}

/// 10,000 sleeps over 0–50 ms: (p50, p99) lateness in µs.
pub async fn timers_light<R: Rt>(rt: &'static R) -> (f64, f64) {
    let start = Instant::now();
    // (deadline in ms since the spawning began, lateness in µs)
    let sleeps: Vec<(f64, f64)> = spread_sleeps(rt, LIGHT)
        .await
        .into_iter()
        .map(|(deadline, woke)| {
            let late = woke.saturating_duration_since(deadline).as_secs_f64() * 1e6;
            (deadline.duration_since(start).as_secs_f64() * 1e3, late)
        })
        .collect();
    if std::env::var_os("TIMERS_LIGHT_LATE").is_some() {
        report_late(std::any::type_name::<R>(), &sleeps);
    }
    let mut lateness: Vec<f64> = sleeps.into_iter().map(|(_, late)| late).collect();
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

/// A diagnostic of timers_light's tail (`TIMERS_LIGHT_LATE=1`): one late
/// wake-up makes a run of neighbouring deadlines late, many make them late
/// all over; this prints how many sleeps were late, when their deadlines
/// were (per 5 ms of the run) and the latest one.
fn report_late(runtime: &str, sleeps: &[(f64, f64)]) {
    const LATE_US: f64 = 250.0;
    let mut per_5ms = [0u32; 14];
    for &(at, _) in sleeps.iter().filter(|(_, late)| *late > LATE_US) {
        per_5ms[((at / 5.0) as usize).min(per_5ms.len() - 1)] += 1;
    }
    let over_1ms = sleeps.iter().filter(|(_, late)| *late > 1_000.0).count();
    let (at, max) = sleeps.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or_default();
    eprintln!("timers_light {runtime} late: >1ms {over_1ms}, >{LATE_US}us per 5 ms {per_5ms:?}, latest {max:.0}us at {at:.1}ms");
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
