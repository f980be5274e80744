//! A worker's local run queue: a fixed ring with one producer (its worker) and
//! many stealers, plus the LIFO slot.
//!
//! # Protocol
//! `tail` is written only by the owner. `head` packs two positions: `real`, the
//! next slot to pop, and `steal`, the first slot a stealer is still copying out.
//! ```text
//!   steal      real                 tail
//!     │ being   │  queued tasks       │ free slots
//!     ▼ copied  ▼                     ▼
//! ────[s s s s][t t t t t t t t t t t][. . . . . . . .]────  (ring of CAPACITY)
//! ```
//! - The owner pushes at `tail` while `tail - steal < CAPACITY` (stolen slots are
//!   not reused until the stealer finished copying them).
//! - Pops (owner) and steals both advance `real` with a CAS; a stealer claims
//!   half the queued tasks by moving `real` forward while leaving `steal` behind,
//!   copies them, then moves `steal` up to `real`. Only one steal runs at a time
//!   (a stealer backs off while `steal != real`).
//! - When the ring is full the owner moves half of it to the injector in one batch.
//!
//! The LIFO slot holds the task most recently woken by the running task. The
//! owner swaps tasks in and out; a stealer may swap it out too, so a task there
//! is never stuck behind a worker caught in a long poll.
//!
//! # Invariants
//! 1. Slots in `[real, tail)` hold initialised tasks owned by the queue; slots in
//!    `[steal, real)` are being read by the one active stealer; others are free.
//! 2. Only the owner writes `tail` and writes into free slots.
//! 3. A non-null LIFO pointer is a task given up by `IntoRaw::into_raw`, owned by the slot.

use std::cell::Cell;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

use super::IntoRaw;
use crate::sync::{Arc, AtomicPtr, AtomicU32, AtomicU64, UnsafeCell};

/// Slots in the ring; a power of two.
pub(crate) const CAPACITY: usize = if cfg!(loom) { 4 } else { 1024 };
const MASK: u32 = CAPACITY as u32 - 1;

/// The owner's end of the queue: push, pop, LIFO slot. Not `Sync`.
pub(crate) struct Local<T: IntoRaw> {
    inner: Arc<Inner<T>>,
    _not_sync: PhantomData<Cell<()>>,
}

/// A stealer's end; cheap to clone and share.
pub(crate) struct Steal<T: IntoRaw>(Arc<Inner<T>>);

struct Inner<T: IntoRaw> {
    head: AtomicU64,
    tail: AtomicU32,
    lifo: AtomicPtr<()>,
    buffer: Box<[UnsafeCell<MaybeUninit<T>>]>,
}

// SAFETY: tasks move between threads through the queue; T: Send makes that sound,
// and every slot access follows the protocol above.
unsafe impl<T: IntoRaw + Send> Send for Inner<T> {}
// SAFETY: as for Send: shared access is the stealers', confined by the protocol.
unsafe impl<T: IntoRaw + Send> Sync for Inner<T> {}

fn pack(steal: u32, real: u32) -> u64 {
    (u64::from(steal) << 32) | u64::from(real)
}

fn unpack(head: u64) -> (u32, u32) {
    ((head >> 32) as u32, head as u32)
}

/// Creates a queue: the owner's end and a stealer's end.
pub(crate) fn new<T: IntoRaw>() -> (Local<T>, Steal<T>) {
    let buffer = (0..CAPACITY).map(|_| UnsafeCell::new(MaybeUninit::uninit())).collect();
    let inner = Arc::new(Inner {
        head: AtomicU64::new(0),
        tail: AtomicU32::new(0),
        lifo: AtomicPtr::new(ptr::null_mut()),
        buffer,
    });
    (Local { inner: inner.clone(), _not_sync: PhantomData }, Steal(inner))
}

impl<T: IntoRaw> Inner<T> {
    /// # Safety
    /// The slot is free and only the caller may write it (invariants 1 and 2).
    unsafe fn write(&self, position: u32, task: T) {
        // SAFETY: per the caller's contract, no one else touches the slot.
        self.buffer[(position & MASK) as usize].with_mut(|slot| unsafe { (*slot).write(task) });
    }

    /// # Safety
    /// The slot holds a task that the caller just claimed (invariant 1).
    unsafe fn read(&self, position: u32) -> T {
        // SAFETY: per the caller's contract the slot is initialised and ours.
        self.buffer[(position & MASK) as usize].with(|slot| unsafe { (*slot).assume_init_read() })
    }

    fn len(&self) -> u32 {
        let (_, real) = unpack(self.head.load(Acquire));
        self.tail.load(Acquire).wrapping_sub(real)
    }
}

impl<T: IntoRaw> Local<T> {
    /// Tasks in the ring (not counting the LIFO slot).
    pub(crate) fn len(&self) -> usize {
        self.inner.len() as usize
    }

    /// Pushes at the back. When the ring is full, half of it and `task` go to
    /// `overflow` in one batch.
    pub(crate) fn push_back(&mut self, mut task: T, mut overflow: impl FnMut(&mut dyn Iterator<Item = T>)) {
        let inner = &*self.inner;
        loop {
            let (steal, real) = unpack(inner.head.load(Acquire));
            // Relaxed: only this thread writes tail (invariant 2).
            let tail = inner.tail.load(Relaxed);
            if tail.wrapping_sub(steal) < CAPACITY as u32 {
                // SAFETY: the slot at tail is free and we are the owner (invariant 2).
                unsafe { inner.write(tail, task) };
                // Release: publishes the slot's task to stealers and pops (pairs
                // with the Acquire loads of tail).
                inner.tail.store(tail.wrapping_add(1), Release);
                return;
            }
            if steal != real {
                // A stealer is making room right now; send this one task away.
                overflow(&mut std::iter::once(task));
                return;
            }
            match push_overflow(inner, task, real, tail, &mut overflow) {
                Ok(()) => return,
                Err(back) => task = back,
            }
        }
    }

    /// The position just behind the last task queued now.
    pub(crate) fn back(&self) -> u32 {
        // Relaxed: only this thread writes tail.
        self.inner.tail.load(Relaxed)
    }

    /// True when every task queued before position `back` was popped or stolen.
    pub(crate) fn is_past(&self, back: u32) -> bool {
        let (_, real) = unpack(self.inner.head.load(Acquire));
        // Positions wrap; the queue holds far fewer than 2^31 of them.
        back.wrapping_sub(real) as i32 <= 0
    }

    /// Free slots: how many pushes fit before the ring overflows.
    pub(crate) fn remaining_slots(&self) -> usize {
        let (steal, _) = unpack(self.inner.head.load(Acquire));
        // Relaxed: only this thread writes tail.
        CAPACITY - self.inner.tail.load(Relaxed).wrapping_sub(steal) as usize
    }

    /// Pops from the front.
    pub(crate) fn pop(&mut self) -> Option<T> {
        let inner = &*self.inner;
        let mut head = inner.head.load(Acquire);
        let position = loop {
            let (steal, real) = unpack(head);
            // Relaxed: only this thread writes tail.
            if real == inner.tail.load(Relaxed) {
                return None;
            }
            let next_real = real.wrapping_add(1);
            // While no steal is in progress the two positions move together.
            let next = if steal == real { pack(next_real, next_real) } else { pack(steal, next_real) };
            // AcqRel: Acquire pairs with a stealer's Release so its view of the ring
            // is ours; Release orders our claim before we read the slot.
            match inner.head.compare_exchange_weak(head, next, AcqRel, Acquire) {
                Ok(_) => break real,
                Err(actual) => head = actual,
            }
        };
        // SAFETY: the CAS claimed this slot for us (invariant 1).
        Some(unsafe { inner.read(position) })
    }

    /// Puts `task` in the LIFO slot and returns the task it displaced.
    pub(crate) fn push_lifo(&mut self, task: T) -> Option<T> {
        // AcqRel: Release publishes the task to a stealer's swap; Acquire takes
        // ownership of the displaced one.
        let previous = self.inner.lifo.swap(task.into_raw(), AcqRel);
        // SAFETY: a non-null pointer in the slot is an owned task (invariant 3).
        (!previous.is_null()).then(|| unsafe { T::from_raw(previous) })
    }

    /// Takes the task in the LIFO slot.
    pub(crate) fn pop_lifo(&mut self) -> Option<T> {
        take_lifo(&self.inner)
    }
}

/// Claims the older half of a full ring and hands it, with `task`, to `overflow`.
fn push_overflow<T: IntoRaw>(
    inner: &Inner<T>,
    task: T,
    head: u32,
    tail: u32,
    overflow: &mut dyn FnMut(&mut dyn Iterator<Item = T>),
) -> Result<(), T> {
    const HALF: u32 = (CAPACITY / 2) as u32;
    debug_assert_eq!(tail.wrapping_sub(head), CAPACITY as u32);
    let claimed = pack(head.wrapping_add(HALF), head.wrapping_add(HALF));
    // Release: keeps our earlier slot writes ordered before the claim;
    // Relaxed on failure: we retry from a fresh load.
    if inner.head.compare_exchange(pack(head, head), claimed, Release, Relaxed).is_err() {
        // A stealer took some tasks first: there is room again.
        return Err(task);
    }
    // SAFETY: we claimed [head, head + HALF) with the CAS (invariant 1).
    let mut batch = (0..HALF).map(|i| unsafe { inner.read(head.wrapping_add(i)) }).chain(std::iter::once(task));
    overflow(&mut batch);
    // Drop whatever the overflow did not take, so no claimed task leaks.
    batch.for_each(drop);
    Ok(())
}
fn take_lifo<T: IntoRaw>(inner: &Inner<T>) -> Option<T> {
    if inner.lifo.load(Relaxed).is_null() {
        return None;
    }
    // Acquire: pairs with the Release of push_lifo, making the task ours.
    let task = inner.lifo.swap(ptr::null_mut(), Acquire);
    // SAFETY: a non-null pointer in the slot is an owned task (invariant 3).
    (!task.is_null()).then(|| unsafe { T::from_raw(task) })
}

impl<T: IntoRaw> Steal<T> {
    /// True when the ring looked non-empty: another worker could take some.
    pub(crate) fn is_stealable(&self) -> bool {
        self.0.len() > 0
    }

    /// Tasks in the ring (not counting the LIFO slot), as last seen.
    pub(crate) fn len(&self) -> usize {
        self.0.len() as usize
    }

    /// True when the ring and the LIFO slot looked empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.len() == 0 && self.0.lifo.load(Relaxed).is_null()
    }

    /// Moves half of this queue's tasks into `dst` and returns one of them to
    /// run; takes the LIFO slot when the ring is empty.
    pub(crate) fn steal_into(&self, dst: &mut Local<T>) -> Option<T> {
        let dst_inner = &*dst.inner;
        // Relaxed: dst is ours, so only we write its tail.
        let dst_tail = dst_inner.tail.load(Relaxed);
        let (dst_steal, _) = unpack(dst_inner.head.load(Acquire));
        if dst_tail.wrapping_sub(dst_steal) > (CAPACITY / 2) as u32 {
            // Our own queue is over half full: we have work; do not steal.
            return None;
        }
        let n = self.steal_half_into(dst_inner, dst_tail);
        if n == 0 {
            return take_lifo(&self.0);
        }
        // Run the last stolen task ourselves and publish the rest.
        let last = dst_tail.wrapping_add(n - 1);
        // SAFETY: we wrote this slot of our own queue just now and it is beyond tail.
        let task = unsafe { dst_inner.read(last) };
        if n > 1 {
            // Release: publishes the copied slots (pairs with the Acquire loads of tail).
            dst_inner.tail.store(last, Release);
        }
        Some(task)
    }

    /// Claims half of this queue, copies it to `dst` from `dst_tail` on, and
    /// returns how many tasks moved (not yet published in `dst`).
    fn steal_half_into(&self, dst: &Inner<T>, dst_tail: u32) -> u32 {
        let src = &*self.0;
        let mut head = src.head.load(Acquire);
        let (first, n) = loop {
            let (steal, real) = unpack(head);
            if steal != real {
                // Another stealer is copying out of this queue.
                return 0;
            }
            // Acquire: pairs with the owner's Release store of tail, making the
            // tasks in the slots visible.
            let tail = src.tail.load(Acquire);
            let queued = tail.wrapping_sub(real);
            let n = queued - queued / 2;
            if n == 0 {
                return 0;
            }
            // Move `real` past the claimed tasks, leave `steal` behind (invariant 1).
            let next = pack(steal, real.wrapping_add(n));
            // AcqRel: Acquire sees the owner's slot writes; Release publishes the claim.
            match src.head.compare_exchange_weak(head, next, AcqRel, Acquire) {
                Ok(_) => break (real, n),
                Err(actual) => head = actual,
            }
        };
        debug_assert!(n as usize <= CAPACITY / 2);
        for i in 0..n {
            // SAFETY: we claimed [first, first + n) in src (invariant 1); the slots
            // of dst beyond its tail are free and dst is our own queue (invariant 2).
            unsafe { dst.write(dst_tail.wrapping_add(i), src.read(first.wrapping_add(i))) };
        }
        // Done copying: let `steal` catch up with `real`, which pops may have moved on.
        let mut head = src.head.load(Acquire);
        loop {
            let (_, real) = unpack(head);
            // AcqRel: Release tells the owner our reads of the slots are finished,
            // so it may reuse them (pairs with its Acquire load of head).
            match src.head.compare_exchange_weak(head, pack(real, real), AcqRel, Acquire) {
                Ok(_) => return n,
                Err(actual) => head = actual,
            }
        }
    }
}

impl<T: IntoRaw> Clone for Steal<T> {
    fn clone(&self) -> Self {
        Steal(self.0.clone())
    }
}

impl<T: IntoRaw> Drop for Inner<T> {
    fn drop(&mut self) {
        let (_, real) = unpack(self.head.load(Acquire));
        let tail = self.tail.load(Acquire);
        let mut position = real;
        while position != tail {
            // SAFETY: the last reference is gone, so [real, tail) is ours (invariant 1).
            drop(unsafe { self.read(position) });
            position = position.wrapping_add(1);
        }
        drop(take_lifo(self));
    }
}

impl<T: IntoRaw> std::fmt::Debug for Local<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Local").field("len", &self.len()).finish()
    }
}

impl<T: IntoRaw> std::fmt::Debug for Steal<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Steal").field("len", &self.0.len()).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn drain(local: &mut Local<Box<usize>>) -> Vec<usize> {
        std::iter::from_fn(|| local.pop()).map(|b| *b).collect()
    }

    #[test]
    fn pops_in_fifo_order() {
        let (mut local, _steal) = new();
        for i in 0..10 {
            local.push_back(Box::new(i), |_| unreachable!("not full"));
        }
        assert_eq!(drain(&mut local), (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn full_queue_moves_half_and_the_new_task_to_overflow() {
        let (mut local, _steal) = new();
        let mut spilled = Vec::new();
        for i in 0..=CAPACITY {
            local.push_back(Box::new(i), |batch| spilled.extend(batch.map(|b| *b)));
        }
        assert_eq!(spilled, (0..CAPACITY / 2).chain([CAPACITY]).collect::<Vec<_>>());
        assert_eq!(drain(&mut local), (CAPACITY / 2..CAPACITY).collect::<Vec<_>>());
    }

    #[test]
    fn steal_takes_half_and_returns_one() {
        let (mut victim, steal) = new();
        let (mut thief, _) = new::<Box<usize>>();
        for i in 0..10 {
            victim.push_back(Box::new(i), |_| unreachable!());
        }
        let first = steal.steal_into(&mut thief).map(|b| *b);
        assert_eq!(first, Some(4));
        assert_eq!(drain(&mut thief), [0, 1, 2, 3]);
        assert_eq!(drain(&mut victim), [5, 6, 7, 8, 9]);
    }

    #[test]
    fn a_position_is_passed_once_its_tasks_are_popped_or_stolen() {
        let (mut local, steal) = new();
        let (mut thief, _) = new::<Box<usize>>();
        let start = local.back();
        assert!(local.is_past(start), "an empty queue is past its back");
        for i in 0..6 {
            local.push_back(Box::new(i), |_| unreachable!());
        }
        let round_end = local.back();
        local.push_back(Box::new(6), |_| unreachable!());
        assert!(!local.is_past(round_end));
        assert_eq!(steal.steal_into(&mut thief).map(|b| *b), Some(3), "0 to 3 stolen");
        assert_eq!(local.pop().map(|b| *b), Some(4));
        assert!(!local.is_past(round_end));
        assert_eq!(local.pop().map(|b| *b), Some(5));
        assert!(local.is_past(round_end), "the tasks before it are gone, 6 is after it");
        assert_eq!(drain(&mut local), [6]);
    }

    #[test]
    fn stealer_takes_the_lifo_slot_of_an_empty_ring() {
        let (mut victim, steal) = new();
        let (mut thief, _) = new::<Box<usize>>();
        assert!(victim.push_lifo(Box::new(1)).is_none());
        assert_eq!(*victim.push_lifo(Box::new(2)).unwrap(), 1);
        assert_eq!(steal.steal_into(&mut thief).map(|b| *b), Some(2));
        assert!(victim.pop_lifo().is_none());
    }

    /// Under Miri this fails with a leak if the queue forgot its tasks.
    #[test]
    fn dropping_the_queue_frees_its_tasks() {
        let (mut local, steal) = new::<Box<usize>>();
        local.push_back(Box::new(1), |_| unreachable!("not full"));
        assert!(local.push_lifo(Box::new(2)).is_none());
        drop(local);
        drop(steal);
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::sync::thread;

    fn drain(local: &mut Local<Box<usize>>, into: &mut Vec<usize>) {
        into.extend(std::iter::from_fn(|| local.pop()).map(|b| *b));
        into.extend(local.pop_lifo().map(|b| *b));
    }

    /// Owner pushes past capacity (overflow) and pops while a thief steals:
    /// every task is seen exactly once.
    #[test]
    fn loom_local_push_pop_steal_overflow() {
        loom::model(|| {
            let (mut local, steal) = new::<Box<usize>>();
            let thief = thread::spawn(move || {
                let (mut mine, _) = new::<Box<usize>>();
                let mut seen = Vec::new();
                if let Some(task) = steal.steal_into(&mut mine) {
                    seen.push(*task);
                }
                drain(&mut mine, &mut seen);
                seen
            });
            let mut seen = Vec::new();
            let total = CAPACITY + 2;
            for i in 0..total {
                local.push_back(Box::new(i), |batch| seen.extend(batch.map(|b| *b)));
            }
            seen.extend(local.pop().map(|b| *b));
            seen.extend(local.push_lifo(Box::new(total)).map(|b| *b));
            seen.extend(thief.join().unwrap());
            drain(&mut local, &mut seen);
            seen.sort();
            assert_eq!(seen, (0..=total).collect::<Vec<_>>());
        });
    }

    /// Two thieves race for one queue and its LIFO slot.
    #[test]
    fn loom_local_two_stealers() {
        loom::model(|| {
            let (mut local, steal) = new::<Box<usize>>();
            for i in 0..3 {
                local.push_back(Box::new(i), |_| unreachable!("not full"));
            }
            assert!(local.push_lifo(Box::new(3)).is_none());
            let thieves: Vec<_> = (0..2)
                .map(|_| {
                    let steal = steal.clone();
                    thread::spawn(move || {
                        let (mut mine, _) = new::<Box<usize>>();
                        let mut seen = Vec::new();
                        seen.extend(steal.steal_into(&mut mine).map(|b| *b));
                        drain(&mut mine, &mut seen);
                        seen
                    })
                })
                .collect();
            let mut seen = Vec::new();
            drain(&mut local, &mut seen);
            for thief in thieves {
                seen.extend(thief.join().unwrap());
            }
            seen.sort();
            assert_eq!(seen, [0, 1, 2, 3]);
        });
    }
}
