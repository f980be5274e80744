//! Spawn tasks, join them, and yield: the smallest tour of the executor.
//!
//! Run with `cargo run --example hello`.

#[runtime::main]
async fn main() {
    let handles: Vec<_> = (0..4)
        .map(|i| {
            runtime::spawn(async move {
                for _ in 0..i {
                    // Let the other tasks run before continuing.
                    runtime::task::yield_now().await;
                }
                i * 10
            })
        })
        .collect();
    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await.expect("the task neither panicked nor was cancelled"));
    }
    println!("joined tasks: {results:?}");

    let answer = runtime::spawn_blocking(|| 6 * 7).await.expect("the blocking job finished");
    println!("blocking pool says {answer}");
}
