//! Spawn many small tasks from a task, join them all, and read the metrics.
//!
//! Run with `cargo run --release --example spawn_many [TASKS]`.

use std::time::Instant;

#[runtime::main]
async fn main() {
    let tasks: u64 = std::env::args().nth(1).and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks).map(|i| runtime::spawn(async move { i })).collect();
    let mut sum = 0;
    for handle in handles {
        sum += handle.await.expect("no task panics");
    }
    let elapsed = start.elapsed();
    assert_eq!(sum, tasks * tasks.saturating_sub(1) / 2);
    let metrics = runtime::Handle::current().metrics();
    println!(
        "{tasks} tasks spawned and joined in {elapsed:?} ({:.0} ns each) on {} workers; {} polls, {} steals",
        elapsed.as_nanos() as f64 / tasks as f64,
        metrics.num_workers(),
        metrics.polls(),
        metrics.steals(),
    );
}
