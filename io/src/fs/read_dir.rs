//! `read_dir`: a directory's entries as a stream, fetched in batches.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::{FileType, Metadata};
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::Stream;
use runtime_executor::JoinHandle;

use super::{asyncify, job_failed};

/// Entries fetched per job.
const BATCH: usize = 64;

/// The entries of the directory at `path`, as a [`Stream`] (`.` and `..`
/// are left out). Entries are fetched from the blocking pool `BATCH` (64)
/// at a time, so a large directory costs one job per 64 entries.
///
/// # Errors
/// Opening the directory fails as `std::fs::read_dir` does; each entry can
/// carry the error of reading it.
///
/// # Examples
/// ```
/// use futures_util::StreamExt;
///
/// #[runtime::main(flavor = "current_thread")]
/// async fn main() -> std::io::Result<()> {
///     let mut entries = runtime::fs::read_dir(".").await?;
///     while let Some(entry) = entries.next().await {
///         let entry = entry?;
///         assert!(!entry.file_name().is_empty());
///     }
///     Ok(())
/// }
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let entries = asyncify(move || std::fs::read_dir(path)).await?;
    Ok(ReadDir { state: State::Idle(Some(Batch { entries, ready: VecDeque::with_capacity(BATCH), done: false })) })
}

/// The stream of [`read_dir`].
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct ReadDir {
    state: State,
}

#[derive(Debug)]
enum State {
    Idle(Option<Batch>),
    Busy(JoinHandle<Batch>),
}

#[derive(Debug)]
struct Batch {
    entries: std::fs::ReadDir,
    ready: VecDeque<io::Result<DirEntry>>,
    /// The directory has no more entries.
    done: bool,
}

impl ReadDir {
    /// The next entry, or `None` after the last (tokio's form; the
    /// stream's is `next()`).
    ///
    /// # Errors
    /// The error of reading the entry, as `std::fs::ReadDir` reports it.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        std::future::poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// Polls for the next entry; see [`next_entry`](ReadDir::next_entry).
    ///
    /// # Errors
    /// As [`next_entry`](ReadDir::next_entry).
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        Pin::new(self).poll_next(cx).map(Option::transpose)
    }
}

impl Stream for ReadDir {
    type Item = io::Result<DirEntry>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            match &mut self.state {
                State::Idle(batch) => {
                    let Some(mut current) = batch.take() else { return Poll::Ready(None) };
                    if let Some(entry) = current.ready.pop_front() {
                        *batch = Some(current);
                        return Poll::Ready(Some(entry));
                    }
                    if current.done {
                        return Poll::Ready(None);
                    }
                    self.state = State::Busy(runtime_executor::spawn_blocking(move || {
                        for _ in 0..BATCH {
                            match current.entries.next() {
                                Some(entry) => current.ready.push_back(entry.map(|std| DirEntry { std })),
                                None => {
                                    current.done = true;
                                    break;
                                }
                            }
                        }
                        current
                    }));
                }
                State::Busy(job) => {
                    let batch = ready!(Pin::new(job).poll(cx));
                    match batch {
                        Ok(batch) => self.state = State::Idle(Some(batch)),
                        Err(error) => {
                            self.state = State::Idle(None);
                            return Poll::Ready(Some(Err(job_failed(error))));
                        }
                    }
                }
            }
        }
    }
}

/// One entry of a [`ReadDir`].
#[derive(Debug)]
pub struct DirEntry {
    std: std::fs::DirEntry,
}

impl DirEntry {
    /// The entry's full path (the directory's path joined with its name).
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The entry's name within its directory.
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's inode number, from the directory listing.
    pub fn ino(&self) -> u64 {
        std::os::unix::fs::DirEntryExt::ino(&self.std)
    }

    /// The entry's metadata, not following a symbolic link.
    ///
    /// # Errors
    /// The OS's error, as `std::fs::DirEntry::metadata` reports it.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let path = self.std.path();
        asyncify(move || std::fs::symlink_metadata(path)).await
    }

    /// The entry's type; usually known from the directory listing itself,
    /// without a job.
    ///
    /// # Errors
    /// The OS's error, as `std::fs::DirEntry::file_type` reports it.
    pub async fn file_type(&self) -> io::Result<FileType> {
        // std answers from the listing's d_type where the file system gives it.
        self.std.file_type()
    }
}
