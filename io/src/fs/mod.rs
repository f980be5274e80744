//! Async files and file-system functions, drop-in async versions of
//! `std::fs`, run on the blocking pool the way libeio does it.
//!
//! epoll cannot make a regular file non-blocking, so every operation is a job
//! for the runtime's blocking pool: the future hands the job (with its
//! buffer) to the pool, a pool thread makes the blocking system call, and the
//! job's completion wakes the future. Each path function is one job; a
//! [`File`] batches small reads and writes so that most of them cost no job
//! at all (see its docs); [`read_dir`] fetches entries in batches.
//!
//! Errors are the OS's, unchanged, as `std::fs` reports them.

mod feed;
mod file;
mod jobs;
mod ops;
mod read_dir;

pub use file::{File, OpenOptions};
pub use ops::{
    canonicalize, copy, create_dir, create_dir_all, exists, hard_link, metadata, read, read_link, read_to_string,
    remove_dir, remove_dir_all, remove_file, rename, set_permissions, symlink, symlink_metadata, try_exists, write,
    DirBuilder,
};
pub use read_dir::{read_dir, DirEntry, ReadDir};

use std::io;

/// Runs `f` on the blocking pool and waits for it.
pub(crate) async fn asyncify<F, T>(f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    runtime_executor::spawn_blocking(f).await.unwrap_or_else(|error| Err(job_failed(error)))
}

/// A job that did not complete: cancelled because the runtime shut down, or
/// a panic in the pool thread (which std's calls do not raise).
pub(crate) fn job_failed(error: runtime_executor::JoinError) -> io::Error {
    io::Error::other(format!("the file operation did not complete: {error}"))
}
