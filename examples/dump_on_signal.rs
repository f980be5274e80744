//! Prints a dump of every live task each time the process gets SIGUSR1; exits
//! on Ctrl-C or SIGTERM.
//!
//! ```text
//! cargo run --example dump_on_signal &
//! kill -USR1 %1     # prints the task table
//! kill %1
//! ```
//!
//! A few tasks wait on a timer, a channel, a lock and each other, so the
//! table has something to show.

use std::sync::Arc;
use std::time::Duration;

use runtime::signal::unix::{signal, SignalKind};
use runtime::sync::{mpsc, Mutex};

#[runtime::main(worker_threads = 2)]
async fn main() -> std::io::Result<()> {
    let mut dump_requests = signal(SignalKind::user_defined1())?;
    let mut terminate = signal(SignalKind::terminate())?;

    let ticker = runtime::spawn(async {
        let mut interval = runtime::time::interval(Duration::from_secs(5));
        loop {
            interval.tick().await;
        }
    });
    let (tx, mut rx) = mpsc::channel::<u64>(8);
    let consumer = runtime::spawn(async move { while rx.recv().await.is_some() {} });
    let lock = Arc::new(Mutex::new(0));
    let guard = lock.clone().lock_owned().await;
    let contender = runtime::spawn(async move { *lock.lock().await += 1 });
    let watcher = runtime::spawn(contender);

    println!("pid {}: send SIGUSR1 for a task dump, SIGTERM or Ctrl-C to stop", std::process::id());
    loop {
        runtime::select! {
            _ = dump_requests.recv() => print!("{}", runtime::Handle::current().dump()),
            _ = terminate.recv() => break,
            _ = runtime::signal::ctrl_c() => break,
        }
    }
    drop((guard, tx));
    ticker.abort();
    consumer.await?;
    watcher.await??;
    Ok(())
}
