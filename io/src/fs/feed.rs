//! `Feed`: a `File`'s pending writes, shared with its write job.
//!
//! A write job does not stop at the end of its buffer: it takes the bytes
//! written to the `File` meanwhile and goes on. So a long run of writes keeps
//! one pool thread writing, with no job boundary between buffers. A boundary
//! costs two wake-ups, the completion waking the writer and the next job
//! waking a pool thread: writing 256 MiB took 98–101 ms with a job per 2 MiB
//! and 70–87 ms with the hand-over (benches/LOG.md).
//!
//! # States
//! `taker` says whether a running job will take the bytes here:
//!
//! ```text
//!   false --File starts a write job (start)--> true
//!   true --the job finds no bytes (next), or ends otherwise (stop)--> false
//! ```
//!
//! Every transition and every look happens under the lock, so a writer that
//! sees `taker` knows its bytes are written before the job completes, and a
//! writer that sees no taker starts a job itself (after the one in flight).
//!
//! # Invariants
//! - The bytes go to the file from `at` on, contiguous (append mode: at the
//!   end, in order); a write that is not contiguous waits until they are taken.
//! - At most `limit` bytes wait here (the `File`'s `max_buf_size`, 2 MiB
//!   by default); a writer past it waits for the
//!   job to take them (woken by `next`), or starts a job when there is no taker.
//! - Bytes are taken in the order they came, by one job at a time (the `File`
//!   has at most one in flight), so later writes land after earlier ones.
//! - Bytes come in only when a job will write them with no further operation
//!   on the `File`: the taker, or the job the writer starts at once.

use std::io::IoSlice;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::Waker;

/// The unit tests' limit of pending bytes.
#[cfg(test)]
const MAX_PENDING: usize = 2 * 1024 * 1024;

/// The pending writes of a `File`; see the module docs.
#[derive(Debug, Default)]
pub(super) struct Feed {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    bytes: Vec<u8>,
    /// Where `bytes` go (unused in append mode).
    at: u64,
    /// A running job will take `bytes` before it completes.
    taker: bool,
    /// The writer waiting for room, woken when the job takes the bytes.
    waker: Option<Waker>,
}

/// What `Feed::push` did with a write.
pub(super) enum Push {
    /// Took this many bytes.
    Took(usize),
    /// No room (or not contiguous): the running job takes the bytes and wakes the writer.
    Wait,
    /// No running job takes bytes: the writer waits for the job in flight,
    /// if any, starts one for the bytes here, if any, and pushes again.
    Stalled,
}

impl Feed {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One buffer's [`push_vectored`](Feed::push_vectored), for the unit tests.
    #[cfg(test)]
    pub(super) fn push(&self, buf: &[u8], pos: u64, append: bool, in_flight: bool, waker: &Waker) -> Push {
        self.push_vectored(&[IoSlice::new(buf)], pos, append, in_flight, waker, MAX_PENDING)
    }

    /// Adds what fits of `bufs` (in order, under one lock, up to `limit`
    /// bytes pending), bytes for the file at `pos`. Bytes are only taken when a job will write them with
    /// no further operation: the running one (the taker), or one the caller
    /// starts at once, which it can only when no job is `in_flight`.
    pub(super) fn push_vectored(
        &self,
        bufs: &[IoSlice<'_>],
        pos: u64,
        append: bool,
        in_flight: bool,
        waker: &Waker,
        limit: usize,
    ) -> Push {
        let mut state = self.lock();
        if in_flight && !state.taker {
            return Push::Stalled;
        }
        let len = state.bytes.len();
        if len == 0 {
            state.at = pos;
        }
        if (append || state.at + len as u64 == pos) && len < limit {
            let mut room = limit - len;
            for buf in bufs {
                let n = buf.len().min(room);
                state.bytes.extend_from_slice(&buf[..n]);
                room -= n;
                if room == 0 {
                    break;
                }
            }
            return Push::Took(limit - len - room);
        }
        if !state.taker {
            return Push::Stalled;
        }
        let displaced = match &mut state.waker {
            Some(old) if old.will_wake(waker) => None,
            slot => slot.replace(waker.clone()),
        };
        drop(state);
        // A waker's drop may run a destructor that writes to this file: never under the lock.
        drop(displaced);
        Push::Wait
    }

    /// For a new write job, which becomes the taker: swaps the bytes here
    /// into `buf` (its old contents, cleared, take their place) and returns
    /// their offset; `None` when there are none.
    pub(super) fn start(&self, buf: &mut Vec<u8>) -> Option<u64> {
        let mut state = self.lock();
        if state.bytes.is_empty() {
            return None;
        }
        debug_assert!(!state.taker, "one write job at a time");
        state.taker = true;
        buf.clear();
        std::mem::swap(buf, &mut state.bytes);
        Some(state.at)
    }

    /// For the running job, done with `buf`: swaps it (cleared) for the bytes
    /// here and returns their offset; `None`, and no longer the taker, when
    /// there are none.
    pub(super) fn next(&self, buf: &mut Vec<u8>) -> Option<u64> {
        let mut state = self.lock();
        if state.bytes.is_empty() {
            state.taker = false;
            return None;
        }
        buf.clear();
        std::mem::swap(buf, &mut state.bytes);
        let (at, waker) = (state.at, state.waker.take());
        drop(state);
        if let Some(waker) = waker {
            runtime_reactor::wake_caught(waker);
        }
        Some(at)
    }

    /// For the running job, which ends (it failed, or found no bytes): the
    /// bytes here wait for the next one, and a waiting writer starts it.
    pub(super) fn stop(&self) {
        let mut state = self.lock();
        state.taker = false;
        let waker = state.waker.take();
        drop(state);
        if let Some(waker) = waker {
            runtime_reactor::wake_caught(waker);
        }
    }

    /// The number of bytes waiting.
    pub(super) fn len(&self) -> usize {
        self.lock().bytes.len()
    }

    /// The bytes, if no running job will take them (for a `File` dropped).
    pub(super) fn take_untaken(&self) -> Option<(Vec<u8>, u64)> {
        let mut state = self.lock();
        if state.taker || state.bytes.is_empty() {
            return None;
        }
        Some((std::mem::take(&mut state.bytes), state.at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    fn took(push: Push) -> usize {
        match push {
            Push::Took(n) => n,
            Push::Wait => panic!("waits"),
            Push::Stalled => panic!("stalled"),
        }
    }

    #[test]
    fn a_full_feed_waits_for_its_taker_and_stalls_without_one() {
        let (feed, count) = (Feed::default(), Arc::new(Count(AtomicUsize::new(0))));
        let waker = Waker::from(count.clone());
        // No job in flight: the caller starts one for the bytes.
        assert_eq!(took(feed.push(&[1; 10], 100, false, false, &waker)), 10);
        let mut buf = vec![9; 3];
        assert_eq!(feed.start(&mut buf), Some(100));
        assert_eq!(buf, [1; 10]);
        // The feed is empty again: a write anywhere goes to the running job.
        assert_eq!(took(feed.push(&[2; 10], 500, false, true, &waker)), 10);
        let big = vec![3; MAX_PENDING];
        assert_eq!(took(feed.push(&big, 510, false, true, &waker)), MAX_PENDING - 10);
        assert!(matches!(feed.push(&big, 510 + MAX_PENDING as u64 - 10, false, true, &waker), Push::Wait));
        assert!(feed.take_untaken().is_none(), "the running job takes them");

        // The job takes the bytes and wakes the writer.
        assert_eq!(feed.next(&mut buf), Some(500));
        assert_eq!((buf.len(), count.0.load(SeqCst)), (MAX_PENDING, 1));
        assert_eq!(feed.next(&mut buf), None);
        // The job is done but not yet taken in: a write waits for it.
        assert!(matches!(feed.push(&[4], 0, false, true, &waker), Push::Stalled));
        assert_eq!(feed.len(), 0);
    }

    #[test]
    fn a_failed_job_wakes_the_writer_and_leaves_the_bytes() {
        let (feed, count) = (Feed::default(), Arc::new(Count(AtomicUsize::new(0))));
        let waker = Waker::from(count.clone());
        let mut buf = Vec::new();
        took(feed.push(&[1; 4], 0, true, false, &waker));
        assert_eq!(feed.start(&mut buf), Some(0));
        // Append mode: every write is contiguous.
        took(feed.push(&vec![2; MAX_PENDING], 77, true, true, &waker));
        assert!(matches!(feed.push(&[3], 5, true, true, &waker), Push::Wait));
        feed.stop();
        assert_eq!(count.0.load(SeqCst), 1);
        // Full and no taker: the writer starts a job once the failed one is in.
        assert!(matches!(feed.push(&[3], 5, true, false, &waker), Push::Stalled));
        assert_eq!(feed.take_untaken().map(|(bytes, _)| bytes.len()), Some(MAX_PENDING));
    }

    /// A writer and write jobs on real threads, as a `File` drives them: the
    /// bytes arrive whole and in order, and no writer waits forever.
    #[test]
    fn every_byte_arrives_in_order_across_threads() {
        struct Unpark(std::thread::Thread);
        impl Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        type Job = std::thread::JoinHandle<Vec<u8>>;
        /// A write job: "writes" into a sink until the feed has nothing more.
        fn start(feed: &Arc<Feed>) -> Option<Job> {
            let mut buf = Vec::new();
            feed.start(&mut buf)?;
            let feed = feed.clone();
            Some(std::thread::spawn(move || {
                let mut sink = buf.clone();
                while feed.next(&mut buf).is_some() {
                    sink.extend_from_slice(&buf);
                }
                sink
            }))
        }

        let feed = Arc::new(Feed::default());
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let expected: Vec<u8> = (0..6 * MAX_PENDING as u32).map(|i| (i % 253) as u8).collect();
        let (mut job, mut written, mut pos) = (None::<Job>, Vec::new(), 0);
        for chunk in expected.chunks(100_000) {
            let mut rest = chunk;
            while !rest.is_empty() {
                match feed.push(rest, pos, false, job.is_some(), &waker) {
                    Push::Took(n) => {
                        (pos, rest) = (pos + n as u64, &rest[n..]);
                        if job.is_none() {
                            job = start(&feed);
                        }
                    }
                    // Woken when the job takes the bytes (or spuriously: push again).
                    Push::Wait => {
                        let parked = std::time::Instant::now();
                        std::thread::park_timeout(std::time::Duration::from_secs(5));
                        assert!(parked.elapsed().as_secs() < 5, "the writer was never woken");
                    }
                    Push::Stalled => {
                        written.extend(job.take().map(|job| job.join().unwrap()).unwrap_or_default());
                        job = start(&feed);
                    }
                }
            }
        }
        // Flush: wait for the job, start one for what is left, until nothing is.
        loop {
            written.extend(job.take().map(|job| job.join().unwrap()).unwrap_or_default());
            job = start(&feed);
            if job.is_none() {
                break;
            }
        }
        assert_eq!(written.len(), expected.len());
        assert!(written == expected, "bytes out of order");
    }
}
