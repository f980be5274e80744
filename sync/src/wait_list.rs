//! The queue of waiting futures behind every primitive that can make a task
//! wait: a slab of entries threaded into a FIFO list by index.
//!
//! A waiting future owns its entry's key from the moment it is queued until
//! it removes the entry itself (when it completes, or in its `Drop`). The
//! side that serves waiters (a permit released, a notification) only unlinks
//! an entry and records the outcome in it; it never frees it, so a key never
//! dangles and never names another waiter. Indices, not intrusive pointers:
//! no unsafe code, and a loom model needs no more than the lock around it.
//!
//! ```text
//! push_back ─▶ linked (waiting) ─unlink/pop_front─▶ unlinked (served) ─remove─▶ free
//!                  └──────────────────remove (cancelled)──────────────────────┘
//! ```
//!
//! Every method runs under the owning primitive's lock; the wakers taken out
//! are woken after it is released ([`WakeList`]). No waker is ever dropped
//! here either: a waker's drop may run a task's destructor, which may touch
//! the same primitive and take the same lock. Every waker that leaves the
//! list (served, displaced by a newer one, or with a cancelled waiter) is
//! handed to the caller, who drops or wakes it after unlocking.

use std::task::Waker;

/// A FIFO of waiters, each with a payload `W` that its primitive defines.
#[derive(Debug)]
pub(crate) struct WaitList<W> {
    slots: Vec<Slot<W>>,
    /// Free slot indices, reused before the slab grows.
    free: Vec<usize>,
    head: usize,
    tail: usize,
    linked: usize,
}

/// The end of a list, or no neighbour.
const NONE: usize = usize::MAX;

#[derive(Debug)]
struct Slot<W> {
    waker: Option<Waker>,
    payload: Option<W>,
    prev: usize,
    next: usize,
    linked: bool,
}

impl<W> WaitList<W> {
    pub(crate) const fn new() -> Self {
        WaitList { slots: Vec::new(), free: Vec::new(), head: NONE, tail: NONE, linked: 0 }
    }

    /// Waiters still queued (linked).
    pub(crate) fn len(&self) -> usize {
        self.linked
    }

    /// Queues a waiter at the back; returns its key.
    pub(crate) fn push_back(&mut self, payload: W, waker: Waker) -> usize {
        let slot = Slot { waker: Some(waker), payload: Some(payload), prev: self.tail, next: NONE, linked: true };
        let key = match self.free.pop() {
            Some(key) => {
                self.slots[key] = slot;
                key
            }
            None => {
                self.slots.push(slot);
                self.slots.len() - 1
            }
        };
        match self.tail {
            NONE => self.head = key,
            tail => self.slots[tail].next = key,
        }
        self.tail = key;
        self.linked += 1;
        key
    }

    /// The key of the waiter at the front.
    pub(crate) fn front(&self) -> Option<usize> {
        (self.head != NONE).then_some(self.head)
    }

    /// The key of the waiter at the back (the latest to queue).
    pub(crate) fn back(&self) -> Option<usize> {
        (self.tail != NONE).then_some(self.tail)
    }

    /// Whether `key`'s waiter is still queued.
    pub(crate) fn is_linked(&self, key: usize) -> bool {
        self.slots[key].linked
    }

    /// The payload of `key`'s waiter, queued or served.
    pub(crate) fn payload_mut(&mut self, key: usize) -> &mut W {
        self.slots[key].payload.as_mut().unwrap_or_else(|| unreachable!("a live key has a payload"))
    }

    /// Stores the waker `key`'s waiter was last polled with (no clone when it
    /// would wake the same task); returns the waker it displaced.
    #[must_use = "drop the displaced waker after the lock is released"]
    pub(crate) fn set_waker(&mut self, key: usize, waker: &Waker) -> Option<Waker> {
        let slot = &mut self.slots[key].waker;
        match slot {
            Some(stored) if stored.will_wake(waker) => None,
            _ => slot.replace(waker.clone()),
        }
    }

    /// Takes `key`'s waiter out of the queue (it was served); returns its waker.
    pub(crate) fn unlink(&mut self, key: usize) -> Option<Waker> {
        let slot = &mut self.slots[key];
        debug_assert!(slot.linked, "unlink of a waiter that is not queued");
        slot.linked = false;
        let (prev, next) = (slot.prev, slot.next);
        let waker = slot.waker.take();
        match prev {
            NONE => self.head = next,
            prev => self.slots[prev].next = next,
        }
        match next {
            NONE => self.tail = prev,
            next => self.slots[next].prev = prev,
        }
        self.linked -= 1;
        waker
    }

    /// Frees `key`'s slot (unlinking it if still queued). The key must not be
    /// used again.
    pub(crate) fn remove(&mut self, key: usize) -> Removed<W> {
        let was_linked = self.slots[key].linked;
        let waker = if was_linked { self.unlink(key) } else { self.slots[key].waker.take() };
        let payload = self.slots[key].payload.take().unwrap_or_else(|| unreachable!("a key is removed once"));
        self.free.push(key);
        Removed { payload, was_linked, waker }
    }
}

/// A waiter taken out of a [`WaitList`].
#[must_use = "drop the waker after the lock is released"]
#[derive(Debug)]
pub(crate) struct Removed<W> {
    /// What its primitive recorded for it.
    pub(crate) payload: W,
    /// Whether it was still queued (not served).
    pub(crate) was_linked: bool,
    /// The waker it still held (a cancelled waiter's).
    pub(crate) waker: Option<Waker>,
}

/// Wakers collected under a lock, woken after it is released.
#[derive(Debug, Default)]
pub(crate) struct WakeList {
    wakers: Vec<Waker>,
}

impl WakeList {
    pub(crate) const fn new() -> Self {
        WakeList { wakers: Vec::new() }
    }

    pub(crate) fn push(&mut self, waker: Option<Waker>) {
        if let Some(waker) = waker {
            self.wakers.push(waker);
        }
    }

    /// Wakes every waker; call with no lock held.
    pub(crate) fn wake_all(self) {
        for waker in self.wakers {
            waker.wake();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn keys(list: &WaitList<u32>) -> Vec<usize> {
        let mut keys = Vec::new();
        let mut at = list.head;
        while at != NONE {
            keys.push(at);
            at = list.slots[at].next;
        }
        keys
    }

    #[test]
    fn waiters_leave_in_arrival_order_and_slots_are_reused() {
        let mut list = WaitList::new();
        let a = list.push_back(1, Waker::noop().clone());
        let b = list.push_back(2, Waker::noop().clone());
        let c = list.push_back(3, Waker::noop().clone());
        assert_eq!(keys(&list), [a, b, c]);
        let _ = list.remove(b);
        assert_eq!(keys(&list), [a, c]);
        assert_eq!(list.front(), Some(a));
        list.unlink(a);
        assert!(!list.is_linked(a));
        assert_eq!(*list.payload_mut(a), 1);
        let removed = list.remove(a);
        assert_eq!((removed.payload, removed.was_linked), (1, false));
        let d = list.push_back(4, Waker::noop().clone());
        assert!(d == a || d == b, "a freed slot is reused");
        assert_eq!(keys(&list), [c, d]);
        assert_eq!(list.back(), Some(d));
        assert_eq!(list.len(), 2);
        let (c, d) = (list.remove(c), list.remove(d));
        assert_eq!((c.payload, c.was_linked, d.payload, d.was_linked), (3, true, 4, true));
        assert!(c.waker.is_some(), "a cancelled waiter's waker goes to the caller");
        assert_eq!(list.len(), 0);
        assert_eq!(list.front(), None);
    }
}
