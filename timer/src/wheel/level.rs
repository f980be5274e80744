//! One level of the wheel: 64 slots, each the head of a list of entries, and
//! a bit per slot that is not empty.

use super::NIL;

/// log2 of the slots per level.
pub(super) const SLOT_BITS: u32 = 6;
/// Slots per level.
pub(super) const SLOTS: usize = 1 << SLOT_BITS;

pub(super) struct Level {
    /// The first entry of each slot's list, or `NIL`.
    pub(super) heads: [u32; SLOTS],
    /// Bit `s` is set exactly when `heads[s] != NIL`.
    occupied: u64,
}

impl Level {
    pub(super) const fn new() -> Level {
        Level { heads: [NIL; SLOTS], occupied: 0 }
    }

    /// The slot that holds `tick` on level `level`.
    pub(super) fn slot_of(level: usize, tick: u64) -> usize {
        (tick >> (level as u32 * SLOT_BITS)) as usize & (SLOTS - 1)
    }

    /// The first non-empty slot at or after `from`, wrapping around.
    pub(super) fn next_occupied(&self, from: usize) -> Option<usize> {
        if self.occupied == 0 {
            return None;
        }
        let rotated = self.occupied.rotate_right(from as u32);
        Some((rotated.trailing_zeros() as usize + from) % SLOTS)
    }

    pub(super) fn set_head(&mut self, slot: usize, head: u32) {
        self.heads[slot] = head;
        if head == NIL {
            self.occupied &= !(1 << slot);
        } else {
            self.occupied |= 1 << slot;
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.occupied == 0
    }
}
