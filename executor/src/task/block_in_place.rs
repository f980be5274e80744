//! [`block_in_place`]: blocking code run on a worker thread without
//! stalling the tasks queued on it.

use crate::runtime::context;
use crate::scheduler::multi_thread;
use crate::RuntimeFlavor;

/// Runs `f`, which may block, on this thread, and moves this worker's queued
/// tasks to a new worker thread first so they keep running meanwhile
/// (tokio's `block_in_place`). Cheaper than `spawn_blocking` when the
/// blocking code needs what the task borrows: nothing moves to another
/// thread but the queue.
///
/// When `f` returns, this thread takes its queue back if the new thread has
/// not started yet; otherwise it leaves the worker role to the new thread
/// once the calling task's poll returns. The other futures of the calling
/// task (in a `join!` or `select!` with this one) do not run while `f` does.
///
/// A task that `spawn_local`s once its thread has left the worker role
/// pins that task to a thread about to stop: it is cancelled (its
/// `JoinHandle` says so) when the thread leaves. Spawn local tasks before
/// the section, or from another task.
///
/// Outside a runtime, on a blocking-pool thread, and inside a multi-thread
/// runtime's `block_on`, `f` just runs. A worker that runs `spawn_local`
/// tasks keeps its queue (those tasks cannot leave the thread): `f` runs in
/// place, and idle workers steal the queued tasks.
///
/// # Panics
/// Inside a current-thread runtime's `block_on` (its tasks would all stop),
/// with tokio's message: "can call blocking only when running on the
/// multi-threaded runtime".
///
/// # Examples
/// ```
/// #[runtime::main(worker_threads = 2)]
/// async fn main() {
///     let path = std::env::temp_dir().join("runtime-block-in-place-doc");
///     let size = runtime::task::block_in_place(|| {
///         std::fs::write(&path, b"sync code").unwrap();
///         std::fs::metadata(&path).unwrap().len()
///     });
///     assert_eq!(size, 9);
///     std::fs::remove_file(path).unwrap();
/// }
/// ```
#[track_caller]
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    let Ok(handle) = context::try_current() else { return f() };
    if handle.runtime_flavor() == RuntimeFlavor::CurrentThread && !context::may_block() {
        panic!("can call blocking only when running on the multi-threaded runtime");
    }
    match multi_thread::block_in_place(f, &handle) {
        Ok(output) => output,
        Err(f) => {
            let _blocking = context::blocking_section();
            f()
        }
    }
}
