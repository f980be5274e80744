//! A hierarchical timing wheel over a slab of entries.
//!
//! Time is counted in ticks of [`TICK_NANOS`] (4.096 µs). Eight levels of 64
//! slots each span 2^48 ticks (about 36 years); a deadline more than
//! [`MAX_AHEAD`] ticks away waits at that distance and is looked at again
//! then (it never fires early). Level 0 holds the entries due
//! in the next 64 ticks (262 µs) one tick per slot, level 1 the next 64 × 64
//! ticks (16.8 ms) 64 ticks per slot, and so on. An entry sits on the level
//! where its tick first differs from the wheel's current tick (`elapsed`), so
//! each level's entries all fall before the end of the level above's current
//! slot. When `elapsed` reaches the start of an occupied slot above level 0,
//! its entries cascade down to finer levels; at level 0 they expire.
//!
//! Entries live in one `Vec` and are recycled through a free list; a slot is
//! an array of entry indices, and each entry knows its position there (no
//! pointers, no unsafe), so insertion and removal (a swap-remove) are O(1),
//! and nothing allocates once the slab and the slots have grown to the peak
//! number of pending timers. A [`Key`] is an index and a generation: a key
//! whose entry expired or was removed never reaches a reused entry.
//!
//! # Invariants
//! 1. A pending entry's tick is greater than `elapsed`.
//! 2. A pending entry is in exactly one slot, at position `position`: the one `link` chose for it
//!    against the `elapsed` of that moment. Every non-empty slot starts after
//!    `elapsed`, and on levels above 0 it lies in the same slot of the level
//!    above as `elapsed` does, so the first non-empty slot of the lowest
//!    non-empty level is the next one to process.
//! 3. `advance(now)` processes every slot that starts at or before `now`
//!    before `elapsed` passes it: no entry is skipped, none expires before its
//!    tick.

mod level;

use level::{Level, SLOTS, SLOT_BITS};

/// Nanoseconds per tick: deadlines are rounded up to a tick, so a timer fires
/// at most this much after its deadline plus the wake-up latency, never before.
pub(crate) const TICK_NANOS: u64 = 1 << 12;
const LEVELS: usize = 8;
/// How far ahead of `elapsed` an entry is placed at most (2^47 ticks, 18
/// years): half the top level's span, so a clamped entry never lands in the
/// slot `elapsed` is in.
const MAX_AHEAD: u64 = 1 << (SLOT_BITS as usize * LEVELS - 1);
/// No entry: the end of the free list.
const NIL: u32 = u32::MAX;
/// `Entry::slot` of an entry on the free list.
const FREE: u16 = u16::MAX;

/// Names one pending entry of a [`Wheel`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    index: u32,
    generation: u32,
}

struct Entry<T> {
    tick: u64,
    /// Bumped each time the entry is freed, so stale keys miss.
    generation: u32,
    /// The position in its slot while pending; the next free entry otherwise.
    position: u32,
    /// `level * SLOTS + slot` while pending, `FREE` otherwise.
    slot: u16,
    value: Option<T>,
}

/// A hierarchical timing wheel holding one `T` per pending timer.
pub(crate) struct Wheel<T> {
    entries: Vec<Entry<T>>,
    free: u32,
    /// On the heap: 8 × 64 slot lists are 12 KiB, too much for a small
    /// thread stack (loom's, for one).
    levels: Box<[Level]>,
    /// The tick the wheel has advanced to.
    elapsed: u64,
    len: usize,
}

impl<T> Wheel<T> {
    pub(crate) fn new() -> Wheel<T> {
        let levels = (0..LEVELS).map(|_| Level::new()).collect();
        Wheel { entries: Vec::new(), free: NIL, levels, elapsed: 0, len: 0 }
    }

    /// Pending entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Adds `value` to expire at `tick`, or hands it back when `tick` is not
    /// after the wheel's time (it is due already).
    pub(crate) fn insert(&mut self, tick: u64, value: T) -> Result<Key, T> {
        if tick <= self.elapsed {
            return Err(value);
        }
        let index = match self.free {
            NIL => {
                let index = u32::try_from(self.entries.len()).expect("more than 2^32 pending timers");
                self.entries.push(Entry { tick, generation: 0, position: NIL, slot: FREE, value: Some(value) });
                index
            }
            index => {
                let entry = &mut self.entries[index as usize];
                self.free = entry.position;
                entry.tick = tick;
                entry.value = Some(value);
                index
            }
        };
        self.len += 1;
        self.link(index);
        Ok(Key { index, generation: self.entries[index as usize].generation })
    }

    /// The value of a pending entry; `None` once it expired or was removed.
    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        let index = self.pending_index(key)?;
        self.entries[index as usize].value.as_mut()
    }

    /// Removes a pending entry; `None` once it expired or was removed.
    pub(crate) fn remove(&mut self, key: Key) -> Option<T> {
        let index = self.pending_index(key)?;
        self.unlink(index);
        Some(self.free_entry(index))
    }

    /// Moves a pending entry to `tick`, keeping its key and value. When
    /// `tick` is due already the entry is removed and its value handed back.
    /// False when the key no longer names a pending entry.
    pub(crate) fn reset(&mut self, key: Key, tick: u64) -> Result<bool, T> {
        let Some(index) = self.pending_index(key) else { return Ok(false) };
        self.unlink(index);
        if tick <= self.elapsed {
            return Err(self.free_entry(index));
        }
        self.entries[index as usize].tick = tick;
        self.link(index);
        Ok(true)
    }

    /// The earliest tick at which [`Wheel::advance`] has work: an entry's
    /// tick, or the start of a slot whose entries cascade (never later than
    /// any pending tick).
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        self.next_slot().map(|(_, _, start)| start)
    }

    /// Moves the wheel's time to `now`, handing every entry whose tick is at
    /// or before `now` to `expire`.
    pub(crate) fn advance(&mut self, now: u64, mut expire: impl FnMut(T)) {
        while let Some((level, slot, start)) = self.next_slot() {
            if start > now {
                break;
            }
            // Invariant 3: the slot is taken whole before time moves past it.
            self.elapsed = start;
            let list = self.levels[level].take(slot);
            for &index in &list {
                if self.entries[index as usize].tick <= now {
                    expire(self.free_entry(index));
                } else {
                    // Cascades to a finer level (invariant 1 holds: tick > now >= elapsed).
                    self.link(index);
                }
            }
            self.levels[level].restore(slot, list);
        }
        self.elapsed = self.elapsed.max(now);
    }

    /// Removes every entry, handing each value to `f`.
    pub(crate) fn drain(&mut self, mut f: impl FnMut(T)) {
        for level in 0..LEVELS {
            for slot in 0..SLOTS {
                let list = self.levels[level].take(slot);
                list.iter().for_each(|&index| f(self.free_entry(index)));
                self.levels[level].restore(slot, list);
            }
        }
    }

    fn pending_index(&self, key: Key) -> Option<u32> {
        let entry = self.entries.get(key.index as usize)?;
        (entry.generation == key.generation && entry.slot != FREE).then_some(key.index)
    }

    /// The first slot to process: (level, slot, tick at which it starts).
    fn next_slot(&self) -> Option<(usize, usize, u64)> {
        // Invariant 2: a lower level's entries all come before a higher level's.
        let level = self.levels.iter().position(|level| !level.is_empty())?;
        let current = Level::slot_of(level, self.elapsed);
        let slot = self.levels[level].next_occupied(current)?;
        let slot_span = 1u64 << (level as u32 * SLOT_BITS);
        let level_span = slot_span << SLOT_BITS;
        let mut start = (self.elapsed & !(level_span - 1)) + slot as u64 * slot_span;
        if slot < current {
            // Only on the top level: an entry clamped to MAX_AHEAD in the next turn of the wheel.
            start = start.saturating_add(level_span);
        }
        Some((level, slot, start))
    }

    fn link(&mut self, index: u32) {
        let tick = self.entries[index as usize].tick.min(self.elapsed.saturating_add(MAX_AHEAD));
        // The level where `tick` first differs from `elapsed` (at least level 0).
        let differing = (self.elapsed ^ tick) | (SLOTS as u64 - 1);
        let level = ((63 - differing.leading_zeros()) / SLOT_BITS) as usize;
        let level = level.min(LEVELS - 1);
        let slot = Level::slot_of(level, tick);
        let entry = &mut self.entries[index as usize];
        entry.slot = (level * SLOTS + slot) as u16;
        entry.position = self.levels[level].push(slot, index);
    }

    fn unlink(&mut self, index: u32) {
        let Entry { slot, position, .. } = self.entries[index as usize];
        let (level, slot) = (slot as usize / SLOTS, slot as usize % SLOTS);
        if let Some(moved) = self.levels[level].swap_remove(slot, position) {
            self.entries[moved as usize].position = position;
        }
    }

    /// Puts an unlinked entry on the free list and returns its value.
    fn free_entry(&mut self, index: u32) -> T {
        let entry = &mut self.entries[index as usize];
        entry.generation = entry.generation.wrapping_add(1);
        entry.slot = FREE;
        entry.position = self.free;
        self.free = index;
        self.len -= 1;
        entry.value.take().expect("a pending entry holds its value")
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A small deterministic generator (xorshift), so failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    fn expired(wheel: &mut Wheel<u32>, now: u64) -> Vec<u32> {
        let mut out = Vec::new();
        wheel.advance(now, |value| out.push(value));
        out.sort_unstable();
        out
    }

    #[test]
    fn entries_expire_at_their_tick_and_not_before() {
        let mut wheel = Wheel::new();
        for tick in [1, 63, 64, 65, 4095, 4096, 262_144, 1 << 30] {
            wheel.insert(tick, tick as u32).unwrap();
        }
        assert_eq!(wheel.next_expiration(), Some(1));
        assert!(expired(&mut wheel, 0).is_empty());
        assert_eq!(expired(&mut wheel, 1), [1]);
        assert_eq!(expired(&mut wheel, 64), [63, 64]);
        assert_eq!(expired(&mut wheel, 4095), [65, 4095]);
        assert_eq!(expired(&mut wheel, 262_143), [4096]);
        assert_eq!(expired(&mut wheel, 1 << 29), [262_144]);
        assert_eq!(expired(&mut wheel, u64::MAX >> 1), [1 << 30]);
        assert_eq!(wheel.len(), 0);
        assert_eq!(wheel.next_expiration(), None);
    }

    #[test]
    fn a_due_tick_is_handed_back() {
        let mut wheel = Wheel::new();
        wheel.advance(100, |_: u32| unreachable!("empty wheel"));
        assert_eq!(wheel.insert(100, 7), Err(7));
        assert_eq!(wheel.insert(99, 8), Err(8));
        assert!(wheel.insert(101, 9).is_ok());
    }

    #[test]
    fn removed_and_expired_keys_go_stale_even_when_the_entry_is_reused() {
        let mut wheel = Wheel::new();
        let a = wheel.insert(10, 1).unwrap();
        assert_eq!(wheel.remove(a), Some(1));
        assert_eq!(wheel.remove(a), None);
        let b = wheel.insert(10, 2).unwrap();
        assert_eq!(b.index, a.index, "the free entry is reused");
        assert_eq!(wheel.get_mut(a), None);
        assert_eq!(expired(&mut wheel, 10), [2]);
        assert_eq!(wheel.get_mut(b), None);
        assert_eq!(wheel.reset(b, 20), Ok(false));
    }

    #[test]
    fn reset_moves_an_entry_both_ways() {
        let mut wheel = Wheel::new();
        let key = wheel.insert(5_000, 1).unwrap();
        assert_eq!(wheel.reset(key, 10), Ok(true));
        assert_eq!(wheel.next_expiration(), Some(10));
        assert_eq!(wheel.reset(key, 1_000_000), Ok(true));
        assert!(expired(&mut wheel, 999_999).is_empty());
        assert_eq!(expired(&mut wheel, 1_000_000), [1]);
        let key = wheel.insert(1_000_010, 2).unwrap();
        assert_eq!(wheel.reset(key, 3), Err(2), "a past tick is due now");
        assert_eq!(wheel.len(), 0);
    }

    #[test]
    fn deadlines_past_the_horizon_wait_and_never_fire_early() {
        let mut wheel = Wheel::new();
        wheel.insert(u64::MAX, 1).unwrap();
        wheel.insert(MAX_AHEAD * 3 + 5, 2).unwrap();
        assert!(expired(&mut wheel, MAX_AHEAD * 3 + 4).is_empty());
        assert_eq!(expired(&mut wheel, MAX_AHEAD * 3 + 5), [2]);
        assert!(expired(&mut wheel, u64::MAX - 1).is_empty());
        assert_eq!(expired(&mut wheel, u64::MAX), [1]);
    }

    /// Random inserts, removes, resets and advances against a `BTreeMap`
    /// model: the same entries expire at the same times.
    #[test]
    fn behaves_like_an_ordered_map() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut wheel = Wheel::new();
        let mut model: BTreeMap<u32, u64> = BTreeMap::new();
        let mut keys: Vec<(u32, Key)> = Vec::new();
        let mut now = 0u64;
        for id in 0..if cfg!(miri) { 300 } else { 20_000 } {
            match rng.next() % 8 {
                0..=3 => {
                    // Spans every level: up to 2^(6k) ticks ahead for random k.
                    let span = 1u64 << (rng.next() % 40);
                    let tick = now + 1 + rng.next() % span;
                    keys.push((id, wheel.insert(tick, id).unwrap()));
                    model.insert(id, tick);
                }
                4 if !keys.is_empty() => {
                    let (id, key) = keys.swap_remove(rng.next() as usize % keys.len());
                    assert_eq!(wheel.remove(key), model.remove(&id).map(|_| id));
                }
                5 if !keys.is_empty() => {
                    let (id, key) = keys[rng.next() as usize % keys.len()];
                    let tick = now + 1 + rng.next() % (1 << (rng.next() % 30));
                    let pending = model.contains_key(&id);
                    assert_eq!(wheel.reset(key, tick), Ok(pending));
                    if pending {
                        model.insert(id, tick);
                    }
                }
                _ => {
                    now += rng.next() % (1 << (rng.next() % 24));
                    let mut due: Vec<u32> = model.iter().filter(|(_, &tick)| tick <= now).map(|(&id, _)| id).collect();
                    due.sort_unstable();
                    model.retain(|_, tick| *tick > now);
                    assert_eq!(expired(&mut wheel, now), due, "at tick {now}");
                    if let Some(&earliest) = model.values().min() {
                        let next = wheel.next_expiration().unwrap();
                        assert!(next > now && next <= earliest, "next {next}, earliest {earliest}");
                    }
                }
            }
            assert_eq!(wheel.len(), model.len());
        }
    }
}
