//! The bounded channel's queue: a ring of `capacity` slots that producers
//! fill without a lock and the one receiver drains.
//!
//! A producer never finds its slot taken, because it holds one of the
//! channel's `capacity` permits (`Semaphore`) while it pushes: with at most
//! `capacity` messages claimed and not yet received, index `i` can only be
//! claimed once index `i - capacity` in the same slot was received, and the
//! receiver gives its permit back only after it has read that slot. So a
//! push is one `fetch_add` on the tail, a write and a stamp; no CAS loop.
//!
//! # Slot stamps
//! ```text
//! index i lives in slot i % capacity
//! stamp == i + 1  ⇔  slot holds the message of index i (written, not read)
//! ```
//! A stamp is only ever raised by the producer that claimed index `i`, after
//! writing; the receiver at index `h` reads the slot only when its stamp is
//! `h + 1`, so it never sees a slot of an older or newer lap as full.
//!
//! # Invariants
//! 1. The value cell of index `i` is written only by the producer that
//!    claimed `i` (the tail's `fetch_add` gives each index to one producer),
//!    before it stores stamp `i + 1`, and while that producer holds a permit,
//!    which implies index `i - capacity` was read and its permit released.
//! 2. The value cell of index `h` is read (moved out) only by the receiver,
//!    once, after it saw stamp `h + 1` (Acquire, pairing with the producer's
//!    Release); then `head` moves past `h`.
//! 3. Every index below `tail` is written by its producer before that
//!    producer drops its reference to the channel, so when the ring is
//!    dropped the indices from `head` to `tail` all hold a message.

use std::mem::MaybeUninit;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use crate::sync::{AtomicUsize, UnsafeCell};

pub(super) struct Ring<T> {
    slots: Box<[Slot<T>]>,
    /// The next index a producer claims.
    tail: AtomicUsize,
    /// The next index the receiver reads; written only by the receiver.
    head: AtomicUsize,
}

struct Slot<T> {
    stamp: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: messages move from producers to the receiver (T: Send); each value
// cell has one writer, then one reader (invariants 1 and 2).
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as for Send.
unsafe impl<T: Send> Sync for Ring<T> {}

impl<T> Ring<T> {
    pub(super) fn new(capacity: usize) -> Ring<T> {
        let slots = (0..capacity)
            .map(|_| Slot { stamp: AtomicUsize::new(0), value: UnsafeCell::new(MaybeUninit::uninit()) })
            .collect();
        Ring { slots, tail: AtomicUsize::new(0), head: AtomicUsize::new(0) }
    }

    fn slot(&self, index: usize) -> &Slot<T> {
        &self.slots[index % self.slots.len()]
    }

    /// Queues `value`. The caller holds one of the channel's permits, which
    /// it gives to the message (the receiver releases it).
    pub(super) fn push(&self, value: T) {
        // Relaxed: the index only has to be unique; the permit orders the slot.
        let index = self.tail.fetch_add(1, Relaxed);
        let slot = self.slot(index);
        // SAFETY: index `index` is ours alone and its slot was read (invariant 1).
        slot.value.with_mut(|cell| unsafe { (*cell).write(value) });
        // Release: publishes the value to the receiver (pairs with the Acquire in pop).
        slot.stamp.store(index.wrapping_add(1), Release);
    }

    /// Takes the next message, if its producer has finished writing it.
    /// Only the receiver calls this.
    pub(super) fn pop(&self) -> Option<T> {
        // Relaxed: only the receiver writes `head`.
        let head = self.head.load(Relaxed);
        let slot = self.slot(head);
        // Acquire: pairs with the producer's Release of the stamp.
        if slot.stamp.load(Acquire) != head.wrapping_add(1) {
            return None;
        }
        // SAFETY: stamp `head + 1` says the producer wrote it; we read it once (invariant 2).
        let value = slot.value.with(|cell| unsafe { (*cell).assume_init_read() });
        self.head.store(head.wrapping_add(1), Relaxed);
        Some(value)
    }

    /// Messages claimed and not yet received.
    pub(super) fn len(&self) -> usize {
        self.tail.load(Relaxed).wrapping_sub(self.head.load(Relaxed))
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        // Every producer is gone (we are dropped with the last reference), so
        // every claimed index holds its message (invariant 3).
        while self.pop().is_some() {}
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn messages_come_out_in_order_across_laps_and_the_rest_drop_with_the_ring() {
        let ring = Ring::new(3);
        for lap in 0..4 {
            for i in 0..3 {
                ring.push(vec![lap * 3 + i]);
            }
            assert_eq!(ring.len(), 3);
            for i in 0..3 {
                assert_eq!(ring.pop(), Some(vec![lap * 3 + i]));
            }
            assert_eq!(ring.pop(), None);
        }
        ring.push(vec![99]);
        ring.push(vec![100]);
        drop(ring); // Miri: the two left are dropped, not leaked.
    }
}
