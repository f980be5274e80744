//! One level of the wheel: 64 slots, each a list of entry indices, and a bit
//! per slot that is not empty.

/// log2 of the slots per level.
pub(super) const SLOT_BITS: u32 = 6;
/// Slots per level.
pub(super) const SLOTS: usize = 1 << SLOT_BITS;

/// A slot's entries, unordered. An array rather than a linked list: walking
/// it loads entries that do not depend on each other, so their cache misses
/// overlap instead of queueing one behind the other.
pub(super) type Slot = Vec<u32>;

pub(super) struct Level {
    slots: [Slot; SLOTS],
    /// Bit `s` is set exactly when `slots[s]` is not empty.
    occupied: u64,
}

impl Level {
    pub(super) const fn new() -> Level {
        Level { slots: [const { Vec::new() }; SLOTS], occupied: 0 }
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

    /// Adds `index` to `slot`; returns its position there.
    pub(super) fn push(&mut self, slot: usize, index: u32) -> u32 {
        self.occupied |= 1 << slot;
        let list = &mut self.slots[slot];
        list.push(index);
        (list.len() - 1) as u32
    }

    /// Removes the index at `position` of `slot`; returns the index that
    /// moved into that position, if any.
    pub(super) fn swap_remove(&mut self, slot: usize, position: u32) -> Option<u32> {
        let list = &mut self.slots[slot];
        list.swap_remove(position as usize);
        if list.is_empty() {
            self.occupied &= !(1 << slot);
        }
        list.get(position as usize).copied()
    }

    /// Empties `slot`, handing over its entries (and the list's allocation:
    /// give it back with [`Level::restore`]).
    pub(super) fn take(&mut self, slot: usize) -> Slot {
        self.occupied &= !(1 << slot);
        std::mem::take(&mut self.slots[slot])
    }

    /// Returns a list taken from `slot`, emptied, so its capacity is reused.
    pub(super) fn restore(&mut self, slot: usize, mut list: Slot) {
        list.clear();
        if self.slots[slot].is_empty() {
            self.slots[slot] = list;
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.occupied == 0
    }
}
