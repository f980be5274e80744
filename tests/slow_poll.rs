//! Slow-poll detection and the poll-time histogram.

mod support;

use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use runtime::task::yield_now;
use runtime::{Builder, Runtime, RuntimeMetrics, SlowPoll};
use support::watchdog;

const BLOCK: Duration = Duration::from_millis(60);
const THRESHOLD: Duration = Duration::from_millis(20);

/// Two workers, reporting polls over [`THRESHOLD`] on the returned channel.
fn reporting_runtime() -> (Runtime, mpsc::Receiver<SlowPoll>) {
    let (sink, reports) = mpsc::channel::<SlowPoll>();
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .slow_poll_threshold(THRESHOLD)
        .on_slow_poll(move |report| sink.send(report.clone()).unwrap())
        .build()
        .unwrap();
    (rt, reports)
}

#[test]
fn a_blocking_task_is_reported_once_with_its_spawn_location() {
    let reports = watchdog(Duration::from_secs(30), || {
        let (rt, reports) = reporting_runtime();
        let fast: Vec<_> = (0..100).map(|_| rt.spawn(async { yield_now().await })).collect();
        let spawned_on = line!() + 1;
        let blocker = rt.spawn(async {
            // Two slow polls: one report.
            std::thread::sleep(BLOCK);
            yield_now().await;
            std::thread::sleep(BLOCK);
        });
        rt.block_on(blocker).unwrap();
        for task in fast {
            rt.block_on(task).unwrap();
        }
        drop(rt);
        (reports.into_iter().collect::<Vec<_>>(), spawned_on)
    });
    let (reports, spawned_on) = reports;
    assert_eq!(reports.len(), 1, "{reports:?}");
    let report = &reports[0];
    assert_eq!(report.spawned_at().file(), file!());
    assert_eq!(report.spawned_at().line(), spawned_on);
    assert!(report.duration() >= BLOCK, "{report:?}");
    assert_eq!(report.threshold(), THRESHOLD);
    let text = report.to_string();
    assert!(text.contains(&format!("{}:{spawned_on}", file!())), "{text}");
    assert!(text.contains("spawn_blocking"), "the report says what to do: {text}");
}

/// The free functions `spawn` and `spawn_local` report their own caller too
/// (they reach the runtime through a closure, which `#[track_caller]` does not cross).
#[test]
fn tasks_spawned_by_the_free_functions_report_their_callers() {
    let lines = watchdog(Duration::from_secs(30), || {
        let (rt, reports) = reporting_runtime();
        // In a task, so that the local task runs on a (monitored) worker.
        let expected = rt.block_on(rt.spawn(async {
            let spawned_on = line!() + 1;
            let sent = runtime::spawn(async { std::thread::sleep(BLOCK) });
            let local_on = line!() + 1;
            let local = runtime::task::spawn_local(async { std::thread::sleep(BLOCK) });
            sent.await.unwrap();
            local.await.unwrap();
            [spawned_on, local_on]
        }));
        drop(rt);
        let mut seen: Vec<_> =
            reports.into_iter().map(|report| (report.spawned_at().file(), report.spawned_at().line())).collect();
        seen.sort();
        (seen, expected)
    });
    let (seen, expected) = lines;
    assert_eq!(seen, expected.unwrap().map(|line| (file!(), line)).to_vec());
}

/// Sums the histogram's counts of polls at least `at_least` long.
fn polls_at_least(metrics: &RuntimeMetrics, at_least: Duration) -> u64 {
    let histogram = metrics.poll_time_histogram();
    let buckets = histogram.iter().enumerate();
    buckets.filter(|&(i, _)| RuntimeMetrics::poll_time_bucket_range(i).start >= at_least).map(|(_, &n)| n).sum()
}

#[test]
fn the_poll_time_histogram_counts_every_poll_by_duration() {
    for mut builder in [Builder::new_multi_thread(), Builder::new_current_thread()] {
        let rt = builder.worker_threads(2).enable_poll_time_histogram().build().unwrap();
        assert_eq!(rt.handle().metrics().poll_time_histogram().len(), runtime::POLL_TIME_BUCKETS);
        let fast: Vec<_> = (0..100).map(|_| rt.spawn(async { yield_now().await })).collect();
        rt.block_on(rt.spawn(async { std::thread::sleep(Duration::from_millis(10)) })).unwrap();
        for task in fast {
            rt.block_on(task).unwrap();
        }
        let metrics = rt.handle().metrics();
        let counted: u64 = metrics.poll_time_histogram().iter().sum();
        // 100 tasks polled twice, the sleeper once; nothing else ran.
        assert_eq!(counted, 201, "{:?}", metrics.poll_time_histogram());
        // The 10 ms poll lands in the buckets from 8,192 µs up.
        assert!(polls_at_least(&metrics, Duration::from_micros(8_192)) >= 1, "{:?}", metrics.poll_time_histogram());
    }
}

#[test]
fn without_monitoring_the_histogram_is_empty() {
    let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
    rt.block_on(rt.spawn(async {})).unwrap();
    assert!(rt.handle().metrics().poll_time_histogram().is_empty());
}

/// Runs only as the child of the tests below, which set its environment.
#[test]
fn child_blocks_a_worker() {
    if std::env::var_os("SLOW_POLL_CHILD").is_none() {
        return;
    }
    let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
    rt.block_on(rt.spawn(async { std::thread::sleep(BLOCK) })).unwrap();
}

/// Runs [`child_blocks_a_worker`] in a child process with `RUNTIME_SLOW_POLL_MS`
/// set to `value`; returns what it printed on stderr.
fn child_stderr(value: &str) -> String {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_blocks_a_worker", "--nocapture", "--test-threads=1"])
        .env("SLOW_POLL_CHILD", "1")
        .env(runtime::SLOW_POLL_ENV, value)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "the child failed: {stderr}");
    stderr
}

#[test]
fn the_environment_variable_turns_reports_on_stderr() {
    let stderr = watchdog(Duration::from_secs(60), || child_stderr("20"));
    assert!(stderr.contains(&format!("task spawned at {}:", file!())), "{stderr}");
    assert!(stderr.contains("slow-poll threshold 20ms"), "{stderr}");
    assert_eq!(stderr.matches("runtime: a poll").count(), 1, "{stderr}");
}

#[test]
fn a_malformed_environment_variable_is_reported_and_ignored() {
    let stderr = watchdog(Duration::from_secs(60), || child_stderr("twenty"));
    assert!(stderr.contains("ignoring RUNTIME_SLOW_POLL_MS=\"twenty\""), "{stderr}");
    assert!(!stderr.contains("runtime: a poll"), "{stderr}");
}
