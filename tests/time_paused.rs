//! Paused (virtual) time: auto-advance through sleeps, timeouts and
//! intervals, `advance`, `resume`, and that a jump never skips a socket
//! event or a blocking job that is already under way.

mod support;

use std::io::Write;
use std::time::Duration;

use futures_util::io::AsyncReadExt;
use futures_util::StreamExt;
use runtime::time::{self, interval, sleep, timeout, Instant};
use support::watchdog;

/// Every test here runs hours of virtual time; in real time each takes
/// milliseconds, and this only bounds a hang.
const LIMIT: Duration = Duration::from_secs(30);

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn an_hour_of_sleeps_passes_without_waiting_for_it() {
    watchdog(LIMIT, || {
        runtime::Builder::new_current_thread().start_paused(true).build().unwrap().block_on(async {
            let (start, real_start) = (Instant::now(), std::time::Instant::now());
            for _ in 0..60 {
                sleep(Duration::from_secs(60)).await;
            }
            assert_eq!(start.elapsed(), HOUR, "virtual time moved exactly by the sleeps");
            assert!(real_start.elapsed() < HOUR, "std's clock keeps real time");
        });
    });
}

#[runtime::test(start_paused = true)]
async fn timers_fire_in_deadline_order_at_their_deadlines() {
    let start = Instant::now();
    let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let tasks: Vec<_> = [30u64, 10, 20, 10, 50]
        .into_iter()
        .enumerate()
        .map(|(index, minutes)| {
            let order = order.clone();
            runtime::spawn(async move {
                sleep(Duration::from_secs(minutes * 60)).await;
                order.lock().unwrap().push((index, start.elapsed()));
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let minutes = |m: u64| Duration::from_secs(m * 60);
    let order = order.lock().unwrap().clone();
    assert_eq!(order, [(1, minutes(10)), (3, minutes(10)), (2, minutes(20)), (0, minutes(30)), (4, minutes(50))]);
}

#[runtime::test(start_paused = true)]
async fn a_timeout_elapses_at_its_deadline_and_a_faster_future_wins() {
    let start = Instant::now();
    assert!(timeout(HOUR, std::future::pending::<()>()).await.is_err());
    assert_eq!(start.elapsed(), HOUR);
    let won = timeout(HOUR, async {
        sleep(Duration::from_secs(59 * 60)).await;
        7
    })
    .await;
    assert_eq!(won, Ok(7));
    assert_eq!(start.elapsed(), HOUR + Duration::from_secs(59 * 60));
}

#[runtime::test(start_paused = true)]
async fn an_interval_ticks_on_the_virtual_schedule() {
    let start = Instant::now();
    let ticks: Vec<Instant> = interval(Duration::from_secs(60)).take(61).collect().await;
    for (n, tick) in ticks.iter().enumerate() {
        assert_eq!(*tick - start, Duration::from_secs(60 * n as u64));
    }
    assert_eq!(start.elapsed(), HOUR);
}

#[runtime::test(start_paused = true)]
async fn advance_moves_the_clock_and_fires_what_became_due() {
    let start = Instant::now();
    let sleeper = runtime::spawn(sleep(Duration::from_secs(10)));
    time::advance(Duration::from_secs(9)).await;
    assert_eq!(start.elapsed(), Duration::from_secs(9));
    assert!(!sleeper.is_finished());
    time::advance(Duration::from_secs(1)).await;
    // Woken by the advance: the yield in `advance` let it run.
    assert!(sleeper.is_finished());
    sleeper.await.unwrap();
}

#[runtime::test]
async fn resume_lets_time_run_again_from_the_virtual_instant() {
    let start = Instant::now();
    time::pause();
    time::advance(HOUR).await;
    time::resume();
    let resumed = Instant::now();
    assert!(resumed >= start + HOUR);
    // Real time moves the clock again, and timers follow it.
    sleep(Duration::from_millis(2)).await;
    assert!(resumed.elapsed() >= Duration::from_millis(2));
    time::pause();
    let frozen = Instant::now();
    sleep(HOUR).await;
    assert_eq!(frozen.elapsed(), HOUR);
}

/// The reader waits on a socket with an hour's timeout; the peer then
/// writes. When every task waits, the clock must not jump the hour before
/// the reactor has delivered the readiness that is already there.
#[test]
fn a_ready_socket_wakes_its_task_before_time_jumps() {
    watchdog(LIMIT, || {
        runtime::Builder::new_current_thread().start_paused(true).build().unwrap().block_on(async {
            for round in 0..200 {
                let (ours, mut theirs) = std::os::unix::net::UnixStream::pair().unwrap();
                let mut ours = runtime::net::UnixStream::from_std(ours).unwrap();
                let reader = runtime::spawn(async move {
                    let mut buf = [0; 4];
                    timeout(HOUR, ours.read_exact(&mut buf)).await.map(|read| read.map(|()| buf))
                });
                runtime::task::yield_now().await;
                theirs.write_all(b"ping").unwrap();
                let read = reader.await.unwrap();
                assert!(matches!(read, Ok(Ok(ref buf)) if buf == b"ping"), "round {round}: {read:?}");
            }
        });
    });
}

#[runtime::test(start_paused = true)]
async fn time_stands_still_while_a_blocking_job_runs() {
    let start = Instant::now();
    let job = runtime::spawn_blocking(|| std::thread::sleep(Duration::from_millis(20)));
    assert!(timeout(Duration::from_secs(1), job).await.is_ok(), "the clock jumped past a running job");
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[runtime::test(start_paused = true)]
async fn a_detached_blocking_job_does_not_hold_the_clock_forever() {
    drop(runtime::spawn_blocking(|| std::thread::sleep(Duration::from_millis(5))));
    let start = Instant::now();
    sleep(HOUR).await;
    assert_eq!(start.elapsed(), HOUR);
}

#[test]
#[should_panic(expected = "needs a current_thread runtime")]
fn pausing_a_multi_thread_runtime_panics() {
    let rt = runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap();
    rt.block_on(async { time::pause() });
}

#[test]
#[should_panic(expected = "outside a runtime")]
fn pausing_outside_a_runtime_panics() {
    time::pause();
}

#[test]
fn instants_convert_to_and_from_std_and_compare_with_them() {
    let std_now = std::time::Instant::now();
    let ours = Instant::from(std_now);
    assert_eq!(ours, std_now);
    assert_eq!(std::time::Instant::from(ours + HOUR), std_now + HOUR);
    assert!(ours < std_now + HOUR);
    assert_eq!((ours + HOUR) - ours, HOUR);
    assert_eq!(ours - (ours + HOUR), Duration::ZERO, "saturates, as std's does");
    // Outside a paused runtime it is real time.
    assert!(Instant::now() >= ours);
}
