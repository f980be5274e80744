//! Seeded scheduling: one seed replays one interleaving, other seeds find
//! others, and a failing `#[runtime::test]` says which seed to replay.

mod support;

use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use runtime::{Builder, Handle};
use support::watchdog;

const LIMIT: Duration = Duration::from_secs(if cfg!(miri) { 600 } else { 60 });

/// Whether `RUNTIME_SEED` is set for this process: it overrides every seed
/// (and FIFO), so the tests that compare orders have nothing to compare.
fn seed_overridden() -> bool {
    std::env::var_os(runtime::SEED_ENV).is_some()
}

/// The order in which 6 tasks × 4 steps ran (each step ends in a yield).
fn interleaving(seed: Option<u64>) -> Vec<(u8, u8)> {
    let mut builder = Builder::new_current_thread();
    if let Some(seed) = seed {
        builder.schedule_seed(seed);
    }
    let rt = builder.build().unwrap();
    rt.block_on(async {
        let log = Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..6u8)
            .map(|task| {
                let log = log.clone();
                runtime::spawn(async move {
                    for step in 0..4u8 {
                        log.lock().unwrap().push((task, step));
                        runtime::task::yield_now().await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let order = log.lock().unwrap().clone();
        order
    })
}

#[test]
fn one_seed_replays_one_interleaving_and_other_seeds_find_others() {
    if seed_overridden() {
        return;
    }
    watchdog(LIMIT, || {
        let first = interleaving(Some(42));
        for _ in 0..20 {
            assert_eq!(interleaving(Some(42)), first, "seed 42 gives the same order every time");
        }
        let fifo = interleaving(None);
        let expected_fifo: Vec<(u8, u8)> = (0..4).flat_map(|step| (0..6).map(move |task| (task, step))).collect();
        assert_eq!(fifo, expected_fifo, "without a seed: first come, first served");
        let distinct: std::collections::HashSet<_> = (0..10).map(|seed| interleaving(Some(seed))).collect();
        assert!(distinct.len() >= 8, "ten seeds gave only {} orders", distinct.len());
    });
}

/// Two tasks increment a counter; `a` reads, yields, then writes (a bug:
/// its read is stale once anyone writes in between); `b` yields twice, then
/// reads and writes at once. First come, first served, `a` always writes
/// before `b` reads; some other order loses `a`'s update.
fn loses_an_update(seed: Option<u64>) -> bool {
    let mut builder = Builder::new_current_thread();
    if let Some(seed) = seed {
        builder.schedule_seed(seed);
    }
    builder.build().unwrap().block_on(async {
        let counter = Arc::new(AtomicU32::new(0));
        let a = runtime::spawn({
            let counter = counter.clone();
            async move {
                let seen = counter.load(SeqCst);
                runtime::task::yield_now().await;
                counter.store(seen + 1, SeqCst);
            }
        });
        let b = runtime::spawn({
            let counter = counter.clone();
            async move {
                runtime::task::yield_now().await;
                runtime::task::yield_now().await;
                counter.store(counter.load(SeqCst) + 1, SeqCst);
            }
        });
        a.await.unwrap();
        b.await.unwrap();
        counter.load(SeqCst) != 2
    })
}

#[test]
fn a_lost_update_that_fifo_never_shows_is_found_by_a_seed_and_replayed() {
    if seed_overridden() {
        return;
    }
    watchdog(LIMIT, || {
        assert!((0..100).all(|_| !loses_an_update(None)), "first come, first served never loses it");
        let found = (0..100).find(|&seed| loses_an_update(Some(seed)));
        let Some(seed) = found else { panic!("no seed below 100 found the lost update") };
        for _ in 0..5 {
            assert!(loses_an_update(Some(seed)), "seed {seed} replays the lost update");
        }
    });
}

#[runtime::test(seed = 7)]
async fn a_test_can_name_its_seed() {
    let expected = if seed_overridden() { Handle::current().schedule_seed() } else { Some(7) };
    assert_eq!(Handle::current().schedule_seed(), expected);
    assert!(Handle::current().schedule_seed().is_some());
}

/// Run by the test below, in a child process, to see what a failure prints.
#[runtime::test(seed = 5)]
#[ignore = "fails on purpose; run by a_failing_seeded_test_prints_the_seed_that_replays_it"]
async fn fails_on_purpose_under_seed_five() {
    panic!("on purpose");
}

/// Run by the test below, in a child process with `RUNTIME_SEED` set.
#[runtime::test]
#[ignore = "reports the seed in effect; run by runtime_seed_overrides_every_runtime"]
async fn reports_the_seed_in_effect() {
    println!("seed in effect: {:?}", Handle::current().schedule_seed());
}

/// Runs one ignored test of this binary in a child process; its output.
fn run_ignored(name: &str, seed_env: Option<&str>) -> String {
    let mut command = std::process::Command::new(std::env::current_exe().unwrap());
    command.args(["--ignored", "--exact", name, "--nocapture", "--test-threads=1"]);
    command.env_remove(runtime::SEED_ENV);
    if let Some(value) = seed_env {
        command.env(runtime::SEED_ENV, value);
    }
    let output = command.output().unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

#[test]
fn a_failing_seeded_test_prints_the_seed_that_replays_it() {
    watchdog(LIMIT, || {
        let output = run_ignored("fails_on_purpose_under_seed_five", None);
        assert!(output.contains("RUNTIME_SEED=5"), "{output}");
        assert!(output.contains("on purpose"), "{output}");
    });
}

#[test]
fn runtime_seed_overrides_every_runtime() {
    watchdog(LIMIT, || {
        assert!(run_ignored("reports_the_seed_in_effect", Some("9")).contains("seed in effect: Some(9)"));
        assert!(run_ignored("reports_the_seed_in_effect", None).contains("seed in effect: None"));
        let random = run_ignored("reports_the_seed_in_effect", Some("random"));
        assert!(random.contains("seed in effect: Some("), "{random}");
    });
}

#[test]
fn the_multi_thread_flavor_takes_a_seed_too() {
    watchdog(LIMIT, || {
        let rt = Builder::new_multi_thread().worker_threads(2).schedule_seed(3).build().unwrap();
        let expected = if seed_overridden() { rt.handle().schedule_seed() } else { Some(3) };
        assert_eq!(rt.handle().schedule_seed(), expected);
        let total: u64 = rt.block_on(async {
            let tasks: Vec<_> = (0..100u64).map(|i| runtime::spawn(async move { i })).collect();
            let mut total = 0;
            for task in tasks {
                total += task.await.unwrap();
            }
            total
        });
        assert_eq!(total, 4950);
    });
}
