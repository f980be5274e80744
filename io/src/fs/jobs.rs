//! The blocking-pool side of a [`File`](super::File): the jobs that read and
//! write at an explicit offset, what they report back, and the wait a pool
//! thread does for the job in flight before a dropped `File`'s last writes.

use std::fs::Metadata;
use std::future::Future;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use super::feed::Feed;

/// What a job did.
pub(super) enum Done {
    /// Read `Ok(n)` bytes into the buffer, from offset `at`, as of `generation`.
    Read {
        at: u64,
        buf: Vec<u8>,
        result: io::Result<usize>,
        generation: u64,
    },
    /// Wrote the buffer; in append mode, the file's length after.
    Write {
        buf: Vec<u8>,
        result: io::Result<u64>,
    },
    Other(io::Result<Outcome>),
}

pub(super) enum Outcome {
    Len(u64),
    Metadata(Metadata),
    Unit,
    /// A duplicate of the file (`try_clone`).
    Cloned(std::fs::File),
}

/// A read job: fills `chunk` from offset `at`.
pub(super) fn read_job(file: &std::fs::File, mut chunk: Vec<u8>, at: u64, generation: u64) -> Done {
    let result = read_at(file, &mut chunk, at);
    Done::Read { at, buf: chunk, result, generation }
}

/// A write job: writes `buf` at `at`, then whatever the `File` fed in
/// meanwhile, until the feed is empty or a write fails.
pub(super) fn write_job(file: &std::fs::File, feed: &Feed, mut buf: Vec<u8>, mut at: u64, append: bool) -> Done {
    /// However the job ends (a panic too), it stops taking: no writer waits
    /// for a taker that is gone.
    struct Stop<'a>(&'a Feed);
    impl Drop for Stop<'_> {
        fn drop(&mut self) {
            self.0.stop();
        }
    }
    let _stop = Stop(feed);
    loop {
        match write_at(file, &buf, (!append).then_some(at)) {
            Ok(end) => match feed.next(&mut buf) {
                Some(next) => at = next,
                None => return Done::Write { buf, result: Ok(end) },
            },
            Err(error) => return Done::Write { buf, result: Err(error) },
        }
    }
}

/// Writes all of `buf` at offset `at`, or at the end in append mode (`None`:
/// the kernel picks the offset, whatever we think it is); returns the offset
/// just past the bytes written.
pub(super) fn write_at(file: &std::fs::File, buf: &[u8], at: Option<u64>) -> io::Result<u64> {
    match at {
        Some(at) => file.write_all_at(buf, at).map(|()| at + buf.len() as u64),
        None => io::Write::write_all(&mut &*file, buf).and_then(|()| io::Seek::stream_position(&mut &*file)),
    }
}

/// Reads at `at` until `buf` is full or the end of the file, retrying
/// interrupted reads; `Ok(n)` with `n < buf.len()` means the end.
pub(super) fn read_at(file: &std::fs::File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], at + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            // The bytes read so far are good; the next read meets the error again.
            Err(_) if filled > 0 => break,
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// Blocks this (pool) thread until `future` completes.
pub(super) fn wait<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}
