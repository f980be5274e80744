//! Runtime metrics: per-worker counters written only by their worker, summed
//! when read, so keeping them on costs a plain load and store per event.

use std::ops::Range;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use crate::sync::AtomicU64;

/// Buckets of the poll-time histogram: under 1 µs, then one per power of two
/// of microseconds, the last open-ended (≥ 262 ms).
pub const POLL_TIME_BUCKETS: usize = 20;

/// One worker's counters. Each is written by its worker only (for the
/// current-thread flavor: by the thread driving it, one at a time).
#[derive(Debug, Default)]
pub(crate) struct WorkerMetrics {
    pub(crate) polls: Counter,
    pub(crate) steals: Counter,
    pub(crate) parks: Counter,
    pub(crate) unparks: Counter,
    /// Nanoseconds between waking (or starting) and parking, summed at each park.
    pub(crate) busy_nanos: Counter,
    /// Poll times, when the runtime keeps them (this file; `monitor.rs` records them).
    pub(crate) poll_times: std::sync::Arc<PollTimes>,
}

impl WorkerMetrics {
    /// Adds the time from `since` to now to the busy time.
    pub(crate) fn add_busy_since(&self, since: std::time::Instant) {
        let busy = since.elapsed();
        self.busy_nanos.add(u64::try_from(busy.as_nanos()).unwrap_or(u64::MAX));
    }
}

/// A counter with a single writer: increments need no atomic read-modify-write.
#[derive(Debug)]
pub(crate) struct Counter(AtomicU64);

impl Default for Counter {
    fn default() -> Counter {
        Counter(AtomicU64::new(0))
    }
}

impl Counter {
    /// Adds one. Only the owning thread calls this.
    pub(crate) fn incr(&self) {
        self.add(1);
    }

    /// Adds `n`. Only the owning thread calls this.
    pub(crate) fn add(&self, n: u64) {
        // Relaxed: a statistic; the single writer makes load+store exact.
        self.0.store(self.0.load(Relaxed) + n, Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

/// What a [`Service`](crate::Service) adds to a runtime's metrics
/// ([`RuntimeMetrics`](crate::RuntimeMetrics) reads it through the service).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServiceMetrics {
    /// I/O events the reactor has handled.
    pub reactor_events: u64,
    /// I/O sources registered with the reactor now.
    pub io_registrations: usize,
    /// Timers registered and not yet fired or cancelled.
    pub timers_pending: usize,
}

/// One thread's poll-time histogram; written by that thread only.
#[derive(Debug, Default)]
pub(crate) struct PollTimes([Counter; POLL_TIME_BUCKETS]);

impl PollTimes {
    pub(crate) fn record(&self, duration: Duration) {
        let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        let bucket = (u64::BITS - micros.leading_zeros()) as usize;
        self.0[bucket.min(POLL_TIME_BUCKETS - 1)].incr();
    }

    /// Adds these counts to `sums` (resized to the bucket count).
    pub(crate) fn add_to(&self, sums: &mut Vec<u64>) {
        sums.resize(POLL_TIME_BUCKETS, 0);
        for (sum, counter) in sums.iter_mut().zip(&self.0) {
            *sum += counter.get();
        }
    }
}

/// The range of poll times bucket `index` counts.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn bucket_range(index: usize) -> Range<Duration> {
    let micros = |power: usize| Duration::from_micros(1 << power);
    match index {
        0 => Duration::ZERO..micros(0),
        i if i + 1 < POLL_TIME_BUCKETS => micros(i - 1)..micros(i),
        i => micros(i - 1)..Duration::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_powers_of_two_of_microseconds() {
        let times = PollTimes::default();
        for micros in [0, 1, 3, 4, 1_000, 1 << 17, 1 << 18, u64::MAX / 2_000_000] {
            times.record(Duration::from_micros(micros));
        }
        let mut sums = Vec::new();
        times.add_to(&mut sums);
        assert_eq!(sums[0], 1); // 0 µs
        assert_eq!(sums[1], 1); // 1 µs
        assert_eq!(sums[2], 1); // 3 µs
        assert_eq!(sums[3], 1); // 4 µs
        assert_eq!(sums[10], 1); // 1 ms in [512, 1024) µs
        assert_eq!(sums[18], 1); // 2^17 µs
        assert_eq!(sums[19], 2); // 2^18 µs and beyond
        for index in 0..POLL_TIME_BUCKETS {
            let range = bucket_range(index);
            assert!(range.start < range.end);
            if index > 0 {
                assert_eq!(range.start, bucket_range(index - 1).end, "bucket {index} starts where the last ended");
            }
        }
    }
}
