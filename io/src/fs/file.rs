//! `File`: an open file whose reads and writes run on the blocking pool,
//! batched so that small sequential ones rarely cost a job; and
//! [`OpenOptions`], how one is opened (one file: each names the other, as
//! `File::options` and `OpenOptions::open`).
//!
//! # How a `File` works
//! The file's position is kept here, not in the kernel: every job reads with
//! `pread` and writes with `pwrite` at an explicit offset (append mode, where
//! the kernel picks the offset, excepted). So a seek is exact and immediate,
//! and a job dropped halfway cannot leave a cursor somewhere unexpected.
//!
//! At most one job is in flight. Around it the `File` keeps two buffers:
//! - **read-ahead**: a read job fetches a chunk (64 KiB, doubling up to
//!   2 MiB while reads stay sequential) and small reads are served from it;
//! - **pending writes** (a [`Feed`]): `poll_write` copies the bytes in and
//!   reports them written at once; contiguous writes coalesce. A write job
//!   takes the bytes written while it runs and goes on, so a long run of
//!   writes is one job; a write while no write job runs waits for the job in
//!   flight, if any, and starts one, so written bytes never wait for a later
//!   operation. A read, seek to the end, `flush`, `set_len`, `sync_*` or
//!   `metadata` waits for the pending writes first, and dropping the `File`
//!   still performs them.
//!
//! The error of a write job that completed in the background is returned by
//! the next operation.

use std::fmt;
use std::fs::Metadata;
use std::future::{poll_fn, Future};
use std::io::{self, IoSlice, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use futures_util::io::{AsyncRead, AsyncSeek, AsyncWrite};
use runtime_executor::{coop, JoinHandle};
use runtime_sync::Mutex;

use super::asyncify;
use super::feed::{Feed, Push};
use super::job_failed;
use super::jobs::{read_job, wait, write_at, write_job, Done, Outcome};
use runtime_executor::{Resource, WaitingOn};

/// What a task waiting for a file operation waits on, in a task dump.
static FILE_JOB: Resource = Resource::new("a file operation on the blocking pool");

/// The first read-ahead chunk, and the one after a seek.
const MIN_CHUNK: usize = 64 * 1024;
/// The default `max_buf_size`: the largest read-ahead chunk, and the most
/// written bytes that wait for a job (tokio's default too).
const DEFAULT_MAX_BUF: usize = 2 * 1024 * 1024;

/// A `File` written with more bytes than this is closed on the blocking pool.
/// Closing writes back what is not yet allocated on disk (ext4 does for a
/// file truncated and rewritten): 28 ms for 256 MiB here, about 0.1 ms per
/// MiB, against some 10 µs for a job; closing 2,000 files of 16 KiB each on
/// the pool instead of at once made writing them 1.4× as slow.
const CLOSE_ON_POOL: u64 = 1024 * 1024;

/// An open file; the async counterpart of `std::fs::File`.
///
/// It implements `AsyncRead`, `AsyncWrite` and `AsyncSeek`. Writes are
/// reported once their bytes are in the `File`'s buffer; `flush().await`
/// returns once every earlier write has reached the kernel (and reports its
/// error), and dropping the `File` with writes pending still performs them.
///
/// # Examples
/// ```
/// use runtime::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
///
/// #[runtime::main(flavor = "current_thread")]
/// async fn main() -> std::io::Result<()> {
///     let path = std::env::temp_dir().join("runtime-file-doc.txt");
///     let options = runtime::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).clone();
///     let mut file = options.open(&path).await?;
///     file.write_all(b"hello, file").await?;
///     file.seek(std::io::SeekFrom::Start(7)).await?;
///     let mut word = String::new();
///     file.read_to_string(&mut word).await?;
///     assert_eq!(word, "file");
///     runtime::fs::remove_file(&path).await
/// }
/// ```
pub struct File {
    /// For `as_fd` and the conversions; `inner` holds a clone for its jobs.
    std: Arc<std::fs::File>,
    /// The state. `&mut self` operations (reads, writes, seeks) reach it
    /// with `get_mut`, free; `&self` ones (`sync_all`, `set_len`,
    /// `metadata`, ...) lock it, so they wait for each other, as tokio's.
    inner: Mutex<Inner>,
    /// `inner.max_buf`, readable without the lock.
    max_buf: usize,
}

/// A `File`'s state: its position, the job in flight and the buffers.
struct Inner {
    std: Arc<std::fs::File>,
    /// The position the next read or write starts at.
    pos: u64,
    append: bool,
    job: Option<JoinHandle<Done>>,
    /// Read-ahead: the bytes of the file from `ahead_at` on.
    ahead: Vec<u8>,
    ahead_at: u64,
    /// Pending writes, shared with the write job in flight.
    feed: Arc<Feed>,
    /// A buffer given back by the last job, for the next one (its contents
    /// are stale: cleared before use for writes, overwritten by reads).
    spare: Vec<u8>,
    chunk: usize,
    /// The most one read job fetches and one write job is fed
    /// (`max_buf_size`).
    max_buf: usize,
    /// The last read job found the end of the file at the end of `ahead`; cleared
    /// once a read reports it, and by anything that may grow the file.
    found_end: bool,
    /// Bumped by anything that changes the file's bytes (a write, `set_len`):
    /// a read job started before brings stale bytes, and they are dropped.
    generation: u64,
    /// The error of a write that completed in the background.
    error: Option<io::Error>,
    /// Bytes written through this `File`: past `CLOSE_ON_POOL`, closing it
    /// may take long enough to belong on the pool.
    written: u64,
    /// The result of the last job that was not a read or a write, for the
    /// operation waiting on it.
    result: Option<io::Result<Outcome>>,
    /// The job in flight (or whose result waits in `result`) is the length
    /// query `poll_len` started: any other job clears it, so `poll_len` never
    /// takes the result a dropped operation left behind.
    len_asked: bool,
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner.try_lock() {
            Ok(inner) => fmt::Debug::fmt(&*inner, f),
            Err(_) => f.debug_struct("File").field("std", &self.std).finish_non_exhaustive(),
        }
    }
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("std", &self.std)
            .field("pos", &self.pos)
            .field("busy", &self.job.is_some())
            .field("pending", &self.feed.len())
            .finish_non_exhaustive()
    }
}

impl File {
    /// Opens a file for reading.
    ///
    /// # Errors
    /// The OS's error, as `std::fs::File::open` reports it.
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Creates a file for writing, truncating it if it exists.
    ///
    /// # Errors
    /// The OS's error, as `std::fs::File::create` reports it.
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().write(true).create(true).truncate(true).open(path).await
    }

    /// Options for opening a file; see [`OpenOptions`].
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps an open `std::fs::File`, starting at its current position (0
    /// where it has none: a descriptor that cannot seek then fails its
    /// first read or write with the OS's error).
    pub fn from_std(std: std::fs::File) -> File {
        let mut std = std;
        let pos = io::Seek::stream_position(&mut std).unwrap_or(0);
        File::new(std, pos, false)
    }

    /// Creates a new file for reading and writing, failing if one exists.
    ///
    /// # Errors
    /// The OS's error ([`io::ErrorKind::AlreadyExists`] when it exists).
    pub async fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).write(true).create_new(true).open(path).await
    }

    /// Another `File` for the same open file (a `dup`), made after every
    /// earlier write. It starts at this file's position, and the two
    /// positions then move independently: each `File` names the offset of
    /// every read and write it makes (std's clones share one cursor).
    ///
    /// # Errors
    /// An earlier write's error, or the OS's.
    pub async fn try_clone(&self) -> io::Result<File> {
        let mut inner = self.inner.lock().await;
        match inner.run(|file| file.try_clone().map(Outcome::Cloned)).await? {
            Outcome::Cloned(std) => Ok(File::new(std, inner.pos, inner.append)),
            _ => unreachable!("a clone job returns a file"),
        }
    }

    /// The `std::fs::File`, after every earlier write and the job in flight
    /// (an error of those writes is lost: `flush` first to see it), with
    /// the OS's position set to this file's.
    pub async fn into_std(mut self) -> std::fs::File {
        let inner = self.inner.get_mut();
        let _ = poll_fn(|cx| inner.poll_flush_writes(cx)).await;
        self.into_settled_std()
    }

    /// The `std::fs::File` at once, when no operation is in flight and no
    /// write or its error is pending; else the `File` back.
    ///
    /// # Errors
    /// The `File` itself, while it is busy.
    #[allow(clippy::result_large_err)] // tokio's signature: the File comes back whole
    pub fn try_into_std(mut self) -> Result<std::fs::File, File> {
        let inner = self.inner.get_mut();
        if inner.job.is_some() || inner.feed.len() > 0 || inner.error.is_some() {
            return Err(self);
        }
        Ok(self.into_settled_std())
    }

    /// The std file of a `File` with no job in flight and nothing pending.
    fn into_settled_std(self) -> std::fs::File {
        let File { std, inner, .. } = self;
        let mut inner = inner.into_inner();
        let pos = inner.pos;
        // Nothing to write and no close to hand to the pool: the drop keeps no clone.
        inner.written = 0;
        drop(inner);
        // Every job's clone went when the job returned, and none is in flight.
        let mut std = Arc::try_unwrap(std).unwrap_or_else(|_| unreachable!("no job holds a settled file"));
        // A descriptor that cannot seek keeps its own position.
        let _ = io::Seek::seek(&mut std, SeekFrom::Start(pos));
        std
    }

    /// The most bytes one read job fetches ahead, and the most writes wait
    /// in this `File`'s buffer for a job (2 MiB by default, as tokio's).
    pub fn max_buf_size(&self) -> usize {
        self.max_buf
    }

    /// Sets [`max_buf_size`](File::max_buf_size) (at least 1 byte): a
    /// smaller one bounds the memory a `File` holds, a larger one lets big
    /// sequential reads and writes take fewer jobs.
    pub fn set_max_buf_size(&mut self, max_buf_size: usize) {
        let max = max_buf_size.max(1);
        self.max_buf = max;
        let inner = self.inner.get_mut();
        inner.max_buf = max;
        inner.chunk = inner.chunk.min(max);
    }

    /// Sets the file's permissions, after every earlier write.
    ///
    /// # Errors
    /// An earlier write's error, or the OS's.
    pub async fn set_permissions(&self, permissions: std::fs::Permissions) -> io::Result<()> {
        self.unit(move |file| file.set_permissions(permissions)).await
    }

    /// Sets the file's access and modification times, after every earlier write.
    ///
    /// # Errors
    /// An earlier write's error, or the OS's.
    pub async fn set_times(&self, times: std::fs::FileTimes) -> io::Result<()> {
        self.unit(move |file| file.set_times(times)).await
    }

    /// Sets the file's modification time, after every earlier write.
    ///
    /// # Errors
    /// An earlier write's error, or the OS's.
    pub async fn set_modified(&self, time: std::time::SystemTime) -> io::Result<()> {
        self.unit(move |file| file.set_modified(time)).await
    }

    /// Takes an exclusive advisory lock on the file (`flock`), waiting on
    /// the blocking pool while another holds a lock, after every earlier write.
    ///
    /// # Errors
    /// An earlier write's error, or the OS's.
    pub async fn lock(&self) -> io::Result<()> {
        self.unit(std::fs::File::lock).await
    }

    /// Takes a shared advisory lock on the file, as [`lock`](File::lock) does.
    ///
    /// # Errors
    /// An earlier write's error, or the OS's.
    pub async fn lock_shared(&self) -> io::Result<()> {
        self.unit(std::fs::File::lock_shared).await
    }

    /// Takes an exclusive advisory lock if no other holds one, without waiting.
    ///
    /// # Errors
    /// [`std::fs::TryLockError::WouldBlock`] while another holds a lock, or the OS's error.
    pub fn try_lock(&self) -> Result<(), std::fs::TryLockError> {
        self.std.try_lock()
    }

    /// Takes a shared advisory lock if no other holds an exclusive one, without waiting.
    ///
    /// # Errors
    /// As [`try_lock`](File::try_lock).
    pub fn try_lock_shared(&self) -> Result<(), std::fs::TryLockError> {
        self.std.try_lock_shared()
    }

    /// Releases this file's lock, after every earlier write (so they land
    /// while it is held).
    ///
    /// # Errors
    /// An earlier write's error, or the OS's.
    pub async fn unlock(&self) -> io::Result<()> {
        self.unit(std::fs::File::unlock).await
    }

    /// Reads at `offset` (`pread`), after every earlier write, in one job;
    /// the position does not move. Reads on one shared `File` run side by
    /// side. The bytes cross from the pool thread in a buffer of their own
    /// (one copy: a borrowed `buf` cannot go to another thread). Returns the
    /// bytes read, fewer than `buf.len()` at the end of the file (or on a
    /// short read, as std's `read_at`).
    ///
    /// # Errors
    /// An earlier write's error, or the OS's.
    pub async fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.read_into(buf, offset, false).await
    }

    /// Reads exactly `buf.len()` bytes at `offset`, as [`read_at`](File::read_at).
    ///
    /// # Errors
    /// [`io::ErrorKind::UnexpectedEof`] when the file ends first, an earlier
    /// write's error, or the OS's.
    pub async fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.read_into(buf, offset, true).await.map(drop)
    }

    /// Writes at `offset` (`pwrite`), after every earlier write; the
    /// position does not move. Returns the bytes written, possibly fewer
    /// than `buf.len()` (as std's `write_at`).
    ///
    /// # Errors
    /// An earlier write's error, or the OS's.
    pub async fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<usize> {
        let bytes = buf.to_vec();
        self.positional(true, move |file| FileExt::write_at(file, &bytes, offset)).await
    }

    /// Writes all of `buf` at `offset`, as [`write_at`](File::write_at).
    ///
    /// # Errors
    /// An earlier write's error, or the OS's.
    pub async fn write_all_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        let bytes = buf.to_vec();
        self.positional(true, move |file| FileExt::write_all_at(file, &bytes, offset)).await
    }

    /// `read_at`, or with `exact` `read_exact_at`: the bytes read.
    async fn read_into(&self, buf: &mut [u8], offset: u64, exact: bool) -> io::Result<usize> {
        let len = buf.len();
        let bytes = self
            .positional(false, move |file| {
                let mut bytes = vec![0; len];
                let n = if exact {
                    FileExt::read_exact_at(file, &mut bytes, offset).map(|()| len)?
                } else {
                    FileExt::read_at(file, &mut bytes, offset)?
                };
                bytes.truncate(n);
                Ok(bytes)
            })
            .await?;
        buf[..bytes.len()].copy_from_slice(&bytes);
        Ok(bytes.len())
    }

    /// Runs `f` as a job after every earlier write, for its success alone.
    async fn unit(&self, f: impl FnOnce(&std::fs::File) -> io::Result<()> + Send + 'static) -> io::Result<()> {
        self.inner.lock().await.run(move |file| f(file).map(|()| Outcome::Unit)).await.map(drop)
    }

    /// Runs a positional read or write as one job, after every earlier
    /// write. The lock is held only to settle those: positional reads and
    /// writes on one shared `File` then run side by side on the pool, as
    /// std's `read_at` on threads do (no new write can be buffered meanwhile:
    /// that takes `&mut self`). A write drops the read-ahead, whose bytes
    /// it may change.
    async fn positional<R: Send + 'static>(
        &self,
        changes: bool,
        f: impl FnOnce(&std::fs::File) -> io::Result<R> + Send + 'static,
    ) -> io::Result<R> {
        {
            let mut inner = self.inner.lock().await;
            if changes {
                inner.forget_ahead();
            }
            poll_fn(|cx| inner.poll_flush_writes(cx)).await?;
        }
        let file = self.std.clone();
        asyncify(move || f(&file)).await
    }

    /// Waits for every earlier write, then flushes the file's data and
    /// metadata to the device (`fsync`).
    ///
    /// # Errors
    /// An earlier write's error, or the OS's.
    pub async fn sync_all(&self) -> io::Result<()> {
        self.unit(std::fs::File::sync_all).await
    }

    /// Waits for every earlier write, then flushes the file's data to the
    /// device (`fdatasync`).
    ///
    /// # Errors
    /// An earlier write's error, or the OS's.
    pub async fn sync_data(&self) -> io::Result<()> {
        self.unit(std::fs::File::sync_data).await
    }

    /// Truncates or extends the file to `size` bytes, after every earlier
    /// write. The position does not move.
    ///
    /// # Errors
    /// An earlier write's error, or the OS's.
    pub async fn set_len(&self, size: u64) -> io::Result<()> {
        let mut inner = self.inner.lock().await;
        inner.forget_ahead();
        inner.run(move |file| file.set_len(size).map(|()| Outcome::Unit)).await.map(drop)
    }

    /// The file's metadata, after every earlier write.
    ///
    /// # Errors
    /// An earlier write's error, or the OS's.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        match self.inner.lock().await.run(|file| file.metadata().map(Outcome::Metadata)).await? {
            Outcome::Metadata(metadata) => Ok(metadata),
            _ => unreachable!("a metadata job returns metadata"),
        }
    }

    /// Opens `path` with `options` in one job; a file opened for reading
    /// gets its first read-ahead chunk in the same job, so reading a small
    /// file whole costs one job in all ([`OpenOptions::open`]).
    pub(super) async fn open_with(
        options: std::fs::OpenOptions,
        path: std::path::PathBuf,
        append: bool,
        read: bool,
    ) -> io::Result<File> {
        let (std, first) = asyncify(move || {
            let std = options.open(path)?;
            let first = read.then(|| read_job(&std, vec![0; MIN_CHUNK], 0, 0));
            Ok((std, first))
        })
        .await?;
        // A new file's position is 0; in append mode it is the end, known after the first write.
        let mut file = File::new(std, 0, append);
        // A failed first read is dropped: the caller's own read meets it again
        // (or never: a write-only use of a file that cannot be read ahead).
        if let Some(first @ Done::Read { result: Ok(_), .. }) = first {
            file.inner.get_mut().take_in(Ok(first));
        }
        Ok(file)
    }

    fn new(std: std::fs::File, pos: u64, append: bool) -> File {
        let std = Arc::new(std);
        File { std: std.clone(), inner: Mutex::new(Inner::new(std, pos, append)), max_buf: DEFAULT_MAX_BUF }
    }
}

impl Inner {
    fn new(std: Arc<std::fs::File>, pos: u64, append: bool) -> Inner {
        Inner {
            std,
            pos,
            append,
            job: None,
            ahead: Vec::new(),
            ahead_at: 0,
            feed: Arc::default(),
            spare: Vec::new(),
            chunk: MIN_CHUNK,
            max_buf: DEFAULT_MAX_BUF,
            found_end: false,
            generation: 0,
            error: None,
            written: 0,
            result: None,
            len_asked: false,
        }
    }

    /// Runs `f` on the file as a job, after every earlier write.
    async fn run(
        &mut self,
        f: impl FnOnce(&std::fs::File) -> io::Result<Outcome> + Send + 'static,
    ) -> io::Result<Outcome> {
        poll_fn(|cx| self.poll_flush_writes(cx)).await?;
        self.start_other(f);
        poll_fn(|cx| self.poll_idle(cx)).await;
        self.result.take().expect("the job's result is stored when it completes")
    }

    /// Starts a job running `f` on the file; only when no job is in flight.
    fn start_other(&mut self, f: impl FnOnce(&std::fs::File) -> io::Result<Outcome> + Send + 'static) {
        let file = self.std.clone();
        self.start(runtime_executor::spawn_blocking(move || Done::Other(f(&file))));
    }

    /// The file's length after every earlier write (a job: even `fstat`
    /// stays off the worker threads).
    fn poll_len(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<u64>> {
        loop {
            ready!(self.poll_flush_writes(cx))?;
            match (std::mem::take(&mut self.len_asked), self.result.take()) {
                (true, Some(Ok(Outcome::Len(len)))) => return Poll::Ready(Ok(len)),
                (true, Some(Err(error))) => return Poll::Ready(Err(error)),
                // Nothing, or what a dropped operation left: ask.
                _ => {
                    self.start_other(|file| file.metadata().map(|m| Outcome::Len(m.len())));
                    self.len_asked = true;
                }
            }
        }
    }

    /// Waits for the job in flight, if any, and takes in what it did.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(job) = &mut self.job else { return Poll::Ready(()) };
        let done = ready!(Pin::new(job).poll(cx));
        self.job = None;
        self.take_in(done);
        Poll::Ready(())
    }

    /// Takes in what a completed job did.
    fn take_in(&mut self, done: Result<Done, runtime_executor::JoinError>) {
        match done {
            Ok(Done::Read { buf, generation, .. }) if generation != self.generation => self.spare = buf,
            Ok(Done::Read { at, buf, result, .. }) => {
                // The old chunk's allocation serves the next read job.
                let requested = buf.len();
                self.spare = std::mem::replace(&mut self.ahead, buf);
                self.ahead_at = at;
                match result {
                    Ok(n) => {
                        self.ahead.truncate(n);
                        // A short read of a regular file stopped at its end:
                        // the read after this chunk reports it without a job.
                        self.found_end = n < requested;
                    }
                    Err(error) => {
                        self.ahead.clear();
                        self.error = Some(error);
                    }
                }
            }
            Ok(Done::Write { mut buf, result }) => {
                buf.clear();
                self.spare = buf;
                match result {
                    Ok(end) if self.append => self.pos = end + self.feed.len() as u64,
                    Ok(_) => {}
                    Err(error) => self.error = Some(error),
                }
            }
            Ok(Done::Other(result)) => self.result = Some(result),
            Err(error) => self.error = Some(job_failed(error)),
        }
    }

    /// Starts a job writing the pending bytes; only when no job is in flight.
    fn start_write(&mut self) {
        let Some(at) = self.feed.start(&mut self.spare) else { return };
        let (file, feed, buf, append) =
            (self.std.clone(), self.feed.clone(), std::mem::take(&mut self.spare), self.append);
        // Mandatory: the caller was told these bytes are written.
        self.start(runtime_executor::spawn_blocking_mandatory(move || write_job(&file, &feed, buf, at, append)));
    }

    /// Puts `job` in flight: a job a length query did not start.
    fn start(&mut self, job: JoinHandle<Done>) {
        debug_assert!(self.job.is_none());
        self.len_asked = false;
        self.job = Some(job);
    }

    /// Waits until every pending write has reached the kernel; returns the
    /// error of any that failed.
    fn poll_flush_writes(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            ready!(self.poll_idle(cx));
            if let Some(error) = self.error.take() {
                return Poll::Ready(Err(error));
            }
            if self.feed.len() == 0 {
                return Poll::Ready(Ok(()));
            }
            self.start_write();
        }
    }

    /// Copies read-ahead bytes at the position into `buf`, if there are any.
    fn read_ahead(&mut self, buf: &mut [u8]) -> Option<usize> {
        let offset = usize::try_from(self.pos.checked_sub(self.ahead_at)?).ok()?;
        let available = self.ahead.get(offset..).filter(|rest| !rest.is_empty())?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.pos += n as u64;
        if offset + n == self.ahead.len() {
            // Read to the end of the chunk: the reader is sequential, fetch more next time.
            self.chunk = (self.chunk * 2).min(self.max_buf);
        }
        Some(n)
    }

    /// Starts a job reading `len` bytes at `at`; only when no job is in flight.
    fn start_read(&mut self, at: u64, len: usize) {
        let mut chunk = std::mem::take(&mut self.spare);
        // Zero-filled only where it grows: the read overwrites what it returns.
        if chunk.len() < len {
            chunk.resize(len, 0);
        } else {
            chunk.truncate(len);
        }
        let (file, generation) = (self.std.clone(), self.generation);
        self.start(runtime_executor::spawn_blocking(move || read_job(&file, chunk, at, generation)));
    }

    /// Drops the read-ahead: the file's bytes change (a read job in flight is stale too).
    fn forget_ahead(&mut self) {
        self.ahead.clear();
        self.found_end = false;
        self.generation += 1;
    }
}

impl AsyncRead for File {
    /// A read served from the read-ahead buffer is always ready: it spends a
    /// unit of the task's cooperative budget, as every read does.
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let inner = self.inner.get_mut();
        tell_dump(coop::poll_budgeted(cx, |cx| inner.poll_read_some(cx, buf)))
    }
}

impl Inner {
    fn poll_read_some(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let this = self;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            if let Some(n) = this.read_ahead(buf) {
                return Poll::Ready(Ok(n));
            }
            // Earlier writes land first: a read sees them. This also takes in
            // a read job started by an earlier poll.
            ready!(this.poll_flush_writes(cx))?;
            if let Some(n) = this.read_ahead(buf) {
                return Poll::Ready(Ok(n));
            }
            if std::mem::take(&mut this.found_end) && this.ahead_at + this.ahead.len() as u64 == this.pos {
                return Poll::Ready(Ok(0));
            }
            this.start_read(this.pos, buf.len().max(this.chunk).min(this.max_buf));
            ready!(this.poll_idle(cx));
            if let Some(error) = this.error.take() {
                return Poll::Ready(Err(error));
            }
        }
    }
}

impl AsyncWrite for File {
    /// A write that only buffers is always ready: it spends a unit of the
    /// task's cooperative budget, as every write does.
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let inner = self.inner.get_mut();
        tell_dump(coop::poll_budgeted(cx, |cx| inner.poll_write_some(cx, &[IoSlice::new(buf)])))
    }

    /// Takes every buffer, in order, as far as the pending buffer has room
    /// (`max_buf_size`, 2 MiB by default): one hand-over for all of them, as tokio's `File` and our
    /// sockets take them all.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let inner = self.inner.get_mut();
        tell_dump(coop::poll_budgeted(cx, |cx| inner.poll_write_some(cx, bufs)))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        tell_dump(self.inner.get_mut().poll_flush_writes(cx))
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        tell_dump(self.inner.get_mut().poll_flush_writes(cx))
    }
}

/// A `Pending` file operation tells a task dump the task waits on the file.
fn tell_dump<T>(polled: Poll<T>) -> Poll<T> {
    if polled.is_pending() {
        runtime_executor::waiting_on(WaitingOn::Resource(&FILE_JOB));
    }
    polled
}

impl Inner {
    fn poll_write_some(&mut self, cx: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
        let this = self;
        if let Some(error) = this.error.take() {
            return Poll::Ready(Err(error));
        }
        this.forget_ahead();
        loop {
            match this.feed.push_vectored(bufs, this.pos, this.append, this.job.is_some(), cx.waker(), this.max_buf) {
                Push::Took(n) => {
                    this.pos += n as u64;
                    this.written += n as u64;
                    // The running write job takes the bytes, or the one started here.
                    if this.job.is_none() {
                        this.start_write();
                    }
                    return Poll::Ready(Ok(n));
                }
                Push::Wait => return Poll::Pending,
                // No running write job takes the bytes: wait for the job in
                // flight (a write's error is this write's; a read fetched
                // ahead is stale now), then start one.
                Push::Stalled => {
                    ready!(this.poll_idle(cx));
                    if let Some(error) = this.error.take() {
                        return Poll::Ready(Err(error));
                    }
                    this.start_write();
                }
            }
        }
    }
}

impl AsyncSeek for File {
    fn poll_seek(mut self: Pin<&mut Self>, cx: &mut Context<'_>, pos: SeekFrom) -> Poll<io::Result<u64>> {
        let this = self.inner.get_mut();
        let target = match pos {
            SeekFrom::Start(offset) => Some(offset),
            SeekFrom::Current(delta) => {
                if this.append {
                    // The position after an append is known once it completed.
                    ready!(this.poll_flush_writes(cx))?;
                }
                this.pos.checked_add_signed(delta)
            }
            SeekFrom::End(delta) => ready!(this.poll_len(cx))?.checked_add_signed(delta),
        };
        let Some(target) = target else {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "invalid seek to a negative or overflowing position",
            )));
        };
        if target != this.pos {
            this.chunk = MIN_CHUNK.min(this.max_buf);
        }
        this.pos = target;
        Poll::Ready(Ok(target))
    }
}

impl Drop for Inner {
    /// Performs the pending writes on the blocking pool, after the job in
    /// flight (their errors are lost: `flush` first to see them).
    ///
    /// A file written with more than `CLOSE_ON_POOL` bytes is closed on the
    /// pool too; any other closes at once.
    fn drop(&mut self) {
        // Bytes a running write job will take need nothing more.
        let Some((buf, at)) = self.feed.take_untaken() else {
            if self.written > CLOSE_ON_POOL {
                // The last of this and the job in flight closes it, on the pool.
                let file = self.std.clone();
                runtime_executor::spawn_blocking(move || drop(file));
            }
            return;
        };
        let (file, at, in_flight) = (self.std.clone(), (!self.append).then_some(at), self.job.take());
        runtime_executor::spawn_blocking_mandatory(move || {
            if let Some(job) = in_flight {
                let _ = wait(job);
            }
            let _ = write_at(&file, &buf, at);
        });
    }
}

/// Options for opening a file; the async counterpart of
/// `std::fs::OpenOptions`.
///
/// # Examples
/// ```
/// #[runtime::main(flavor = "current_thread")]
/// async fn main() -> std::io::Result<()> {
///     let path = std::env::temp_dir().join("runtime-open-options-doc.log");
///     let _file = runtime::fs::OpenOptions::new().append(true).create(true).open(&path).await?;
///     runtime::fs::remove_file(&path).await
/// }
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions {
    std: std::fs::OpenOptions,
    append: bool,
    read: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions::new()
    }
}

impl OpenOptions {
    /// Options with every flag off.
    pub fn new() -> OpenOptions {
        OpenOptions { std: std::fs::OpenOptions::new(), append: false, read: false }
    }

    /// Open for reading.
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.std.read(read);
        self.read = read;
        self
    }

    /// Open for writing.
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.std.write(write);
        self
    }

    /// Every write goes to the end of the file.
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.std.append(append);
        self.append = append;
        self
    }

    /// Truncate the file to zero length when it opens.
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.std.truncate(truncate);
        self
    }

    /// Create the file if it does not exist.
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.std.create(create);
        self
    }

    /// The mode a new file gets (less the umask); 0o666 by default.
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::mode(&mut self.std, mode);
        self
    }

    /// Flags passed to `open(2)` beside the ones these options set
    /// (`libc::O_NOFOLLOW`, `O_DIRECT`, ...).
    pub fn custom_flags(&mut self, flags: i32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut self.std, flags);
        self
    }

    /// Create the file, failing if it exists.
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.std.create_new(create_new);
        self
    }

    /// Opens `path` with these options, in one job.
    ///
    /// # Errors
    /// The OS's error, as `std::fs::OpenOptions::open` reports it.
    ///
    /// A file opened for reading gets its first read-ahead chunk in the same
    /// job, so reading a small file whole costs one job in all.
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        File::open_with(self.std.clone(), path.as_ref().to_owned(), self.append, self.read).await
    }
}

impl From<std::fs::File> for File {
    /// As [`File::from_std`].
    fn from(std: std::fs::File) -> File {
        File::from_std(std)
    }
}

impl std::os::fd::AsFd for File {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.std.as_fd()
    }
}

impl std::os::fd::AsRawFd for File {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.std.as_raw_fd()
    }
}
