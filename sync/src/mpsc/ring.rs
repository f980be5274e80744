//! The bounded channel's queue: a ring of `capacity` slots that producers
//! fill without a lock and the one receiver drains.
//!
//! The receiver keeps its position (`head`) itself, in its own struct, so
//! that its write per message shares no cache line with the producers'
//! `tail` (a shared `head` beside `tail` cost a contended channel a quarter
//! of its time); it hands the position back to the ring when it goes, for
//! the ring's drop.
//!
//! A producer never finds its slot taken, because it holds one of the
//! channel's `capacity` permits (`Semaphore`) while it pushes: with at most
//! `capacity` messages claimed and not yet received, index `i` can only be
//! claimed once index `i - capacity` in the same slot was received, and the
//! receiver gives its permit back only after it has read that slot. So a
//! push is one `fetch_add` on the tail, a write and a stamp; no CAS loop.
//!
//! # Why the claim is AcqRel
//! The count argument above says the slot is free; it does not say the
//! receiver's read of it *happens before* the new write. Permits are
//! fungible: with capacity 2, producer X takes a permit, the receiver reads
//! index 0 and releases its permit, producer Y takes that permit and claims
//! index 1, and only then X claims index 2, slot 0. X's permit was taken
//! before the receiver's release, so it orders nothing. Y's was taken after
//! it (the semaphore word is a chain of read-modify-writes, so Y's Acquire
//! synchronises with the release). In general, of the `capacity` claims of
//! indices `i + 1 ..= i + capacity`, at least one took its permit after the
//! release of index `i` (else `capacity + 1` permits were held at once), and
//! that claim comes before the claim of `i + capacity` on the tail. With
//! AcqRel claims the tail's chain of read-modify-writes carries that
//! ordering on: receiver's read → release → Y's permit → Y's claim →
//! X's claim → X's write. With Relaxed claims nothing carries it, and
//! ThreadSanitizer and the loom model
//! (`loom_bounded_channel_reuses_a_slot_through_a_fungible_permit`) both
//! report the race.
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
//!    which implies index `i - capacity` was read and its permit released,
//!    and that read happens before the write (the AcqRel claim, above).
//! 2. The value cell of index `h` is read (moved out) only by the receiver,
//!    once, after it saw stamp `h + 1` (Acquire, pairing with the producer's
//!    Release); then its position moves past `h`.
//! 3. Every index below `tail` is written by its producer before that
//!    producer drops its reference to the channel, so when the ring is
//!    dropped the indices from the receiver's last position (`left_at`) to
//!    `tail` all hold a message.

use std::mem::MaybeUninit;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

use crate::sync::{AtomicUsize, UnsafeCell};

pub(super) struct Ring<T> {
    /// `capacity + 1` cells: the first one's stamp is `tail`, the next index
    /// a producer claims (its value cell is never used); the others are the
    /// slots. So the one write all producers share lands in the buffer they
    /// write anyway, and not in the channel's lines, which the receiver
    /// writes (its permits, its waker).
    cells: Box<[Slot<T>]>,
    /// The receiver's position when it went (`leave`), for the drop.
    left_at: AtomicUsize,
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
        let cells = (0..=capacity)
            .map(|_| Slot { stamp: AtomicUsize::new(0), value: UnsafeCell::new(MaybeUninit::uninit()) })
            .collect();
        Ring { cells, left_at: AtomicUsize::new(0) }
    }

    fn tail(&self) -> &AtomicUsize {
        &self.cells[0].stamp
    }

    fn slot(&self, index: usize) -> &Slot<T> {
        let slots = &self.cells[1..];
        &slots[index % slots.len()]
    }

    /// Queues `value`. The caller holds one of the channel's permits, which
    /// it gives to the message (the receiver releases it).
    pub(super) fn push(&self, value: T) {
        // AcqRel: the claims form one chain that carries the receiver's read
        // of this slot's last lap (ordered before some earlier claim by that
        // claim's permit) on to this write; see "Why the claim is AcqRel".
        let index = self.tail().fetch_add(1, AcqRel);
        let slot = self.slot(index);
        // SAFETY: index `index` is ours alone and its slot was read (invariant 1).
        slot.value.with_mut(|cell| unsafe { (*cell).write(value) });
        // Release: publishes the value to the receiver (pairs with the Acquire in pop).
        slot.stamp.store(index.wrapping_add(1), Release);
    }

    /// Takes the message at the receiver's position `head`, if its producer
    /// has finished writing it, and moves the position on. Only the receiver
    /// calls this, with the one position it keeps.
    pub(super) fn pop(&self, head: &mut usize) -> Option<T> {
        let slot = self.slot(*head);
        // Acquire: pairs with the producer's Release of the stamp.
        if slot.stamp.load(Acquire) != head.wrapping_add(1) {
            return None;
        }
        // SAFETY: stamp `head + 1` says the producer wrote it; we read it once (invariant 2).
        let value = slot.value.with(|cell| unsafe { (*cell).assume_init_read() });
        *head = head.wrapping_add(1);
        Some(value)
    }

    /// Messages claimed and not received by a receiver at `head`.
    pub(super) fn len(&self, head: usize) -> usize {
        self.tail().load(Relaxed).wrapping_sub(head)
    }

    /// The receiver goes, at `head`: what producers still push from there
    /// on is dropped with the ring.
    pub(super) fn leave(&self, head: usize) {
        // Relaxed: the drop comes after the last reference to the channel
        // went, whose release and acquire order this store before it.
        self.left_at.store(head, Relaxed);
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        // Every producer is gone (we are dropped with the last reference), so
        // every claimed index holds its message (invariant 3).
        let mut head = self.left_at.load(Relaxed);
        while self.pop(&mut head).is_some() {}
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn messages_come_out_in_order_across_laps_and_the_rest_drop_with_the_ring() {
        let (ring, mut head) = (Ring::new(3), 0);
        for lap in 0..4 {
            for i in 0..3 {
                ring.push(vec![lap * 3 + i]);
            }
            assert_eq!(ring.len(head), 3);
            for i in 0..3 {
                assert_eq!(ring.pop(&mut head), Some(vec![lap * 3 + i]));
            }
            assert_eq!(ring.pop(&mut head), None);
        }
        ring.push(vec![99]);
        ring.push(vec![100]);
        ring.leave(head);
        drop(ring); // Miri: the two left are dropped, not leaked.
    }
}
