//! Readiness: what epoll reported for a source, packed with a tick so that an
//! operation clears only the readiness it observed.
//!
//! # Readiness word
//! | tick (bits 16..32) | PRIORITY | SHUTDOWN | ERROR | WRITE_CLOSED | READ_CLOSED | WRITABLE | READABLE |
//!
//! Every event the reactor stores bumps the tick. An operation that saw
//! readiness, tried the syscall and got EAGAIN clears the bit it saw only if
//! the tick is still the one it saw: an event that arrived in between (a new
//! edge, which epoll never repeats) keeps its bit, so no edge is lost.
//! READ_CLOSED, WRITE_CLOSED and SHUTDOWN are sticky: a closed half stays
//! closed (it reads 0 or fails, never EAGAIN), and the edge that reported it
//! never comes again, so clearing it after a short read would strand the end
//! of stream. ERROR is cleared like READABLE: the syscall consumes the error,
//! and a sticky ERROR would spin a UDP socket forever after one ICMP error.

use std::ops::{BitAnd, BitOr, BitOrAssign, Sub};

/// A set of readiness bits.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Ready(usize);

impl Ready {
    /// Nothing is ready.
    pub const EMPTY: Ready = Ready(0);
    /// Data (or a connection, or end of stream) can be read.
    pub const READABLE: Ready = Ready(1 << 0);
    /// There is room to write.
    pub const WRITABLE: Ready = Ready(1 << 1);
    /// The peer shut down its write half (EPOLLRDHUP), or both (EPOLLHUP).
    pub const READ_CLOSED: Ready = Ready(1 << 2);
    /// Writing can no longer succeed (EPOLLHUP).
    pub const WRITE_CLOSED: Ready = Ready(1 << 3);
    /// The socket has a pending error (EPOLLERR): the next syscall reports it.
    pub const ERROR: Ready = Ready(1 << 4);
    /// The reactor has stopped: no more events will come.
    pub const SHUTDOWN: Ready = Ready(1 << 5);
    /// Priority data can be read (EPOLLPRI: out-of-band data, a changed
    /// `/proc` file).
    pub const PRIORITY: Ready = Ready(1 << 6);
    /// Every readiness tokio names (not [`Ready::SHUTDOWN`]).
    pub const ALL: Ready = Ready(
        Self::READABLE.0
            | Self::WRITABLE.0
            | Self::READ_CLOSED.0
            | Self::WRITE_CLOSED.0
            | Self::ERROR.0
            | Self::PRIORITY.0,
    );

    const MASK: usize = (1 << 7) - 1;
    const STICKY: Ready = Ready(Self::READ_CLOSED.0 | Self::WRITE_CLOSED.0 | Self::SHUTDOWN.0);

    /// Translates epoll's event bits.
    pub(crate) fn from_epoll(events: u32) -> Ready {
        let mut ready = Ready::EMPTY;
        if events & libc::EPOLLIN as u32 != 0 {
            ready |= Ready::READABLE;
        }
        if events & libc::EPOLLPRI as u32 != 0 {
            ready |= Ready::PRIORITY;
        }
        if events & libc::EPOLLOUT as u32 != 0 {
            ready |= Ready::WRITABLE;
        }
        if events & libc::EPOLLRDHUP as u32 != 0 {
            ready |= Ready::READ_CLOSED;
        }
        if events & libc::EPOLLHUP as u32 != 0 {
            ready |= Ready::READ_CLOSED | Ready::WRITE_CLOSED;
        }
        if events & libc::EPOLLERR as u32 != 0 {
            ready |= Ready::ERROR;
        }
        ready
    }

    /// True when no bit is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether it says readable (data, or the read half closed).
    pub fn is_readable(self) -> bool {
        self.intersects(Ready::READABLE | Ready::READ_CLOSED)
    }

    /// Whether it says writable (room, or the write half closed).
    pub fn is_writable(self) -> bool {
        self.intersects(Ready::WRITABLE | Ready::WRITE_CLOSED)
    }

    /// Whether the peer shut down its write half (reads return 0).
    pub fn is_read_closed(self) -> bool {
        self.contains(Ready::READ_CLOSED)
    }

    /// Whether writing can no longer succeed.
    pub fn is_write_closed(self) -> bool {
        self.contains(Ready::WRITE_CLOSED)
    }

    /// Whether an error is pending.
    pub fn is_error(self) -> bool {
        self.contains(Ready::ERROR)
    }

    /// Whether priority data can be read.
    pub fn is_priority(self) -> bool {
        self.contains(Ready::PRIORITY)
    }

    /// True when every bit of `other` is set in `self`.
    pub fn contains(self, other: Ready) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when any bit of `other` is set in `self`.
    pub fn intersects(self, other: Ready) -> bool {
        self.0 & other.0 != 0
    }

    /// True for hang-ups and errors, which wake both directions.
    pub(crate) fn is_hangup(self) -> bool {
        self.intersects(Ready(Self::READ_CLOSED.0 | Self::WRITE_CLOSED.0 | Self::ERROR.0 | Self::SHUTDOWN.0))
    }

    fn without(self, other: Ready) -> Ready {
        Ready(self.0 & !other.0)
    }
}

impl BitOr for Ready {
    type Output = Ready;
    fn bitor(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }
}

impl BitOrAssign for Ready {
    fn bitor_assign(&mut self, other: Ready) {
        self.0 |= other.0;
    }
}

impl Sub for Ready {
    type Output = Ready;
    fn sub(self, other: Ready) -> Ready {
        self.without(other)
    }
}

impl BitAnd for Ready {
    type Output = Ready;
    fn bitand(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }
}

impl std::fmt::Debug for Ready {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = ["READABLE", "WRITABLE", "READ_CLOSED", "WRITE_CLOSED", "ERROR", "SHUTDOWN", "PRIORITY"];
        let set: Vec<_> = names.iter().enumerate().filter(|(i, _)| self.0 & (1 << i) != 0).map(|(_, n)| *n).collect();
        write!(f, "Ready({})", if set.is_empty() { "EMPTY".to_string() } else { set.join(" | ") })
    }
}

/// One direction of a source: operations wait on one or the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Reading (and accepting, receiving).
    Read,
    /// Writing (and connecting, sending).
    Write,
}

impl Direction {
    /// The readiness bits that end a wait in this direction.
    pub fn mask(self) -> Ready {
        match self {
            Direction::Read => Ready::READABLE | Ready::READ_CLOSED | Ready::PRIORITY | Ready::ERROR | Ready::SHUTDOWN,
            Direction::Write => Ready::WRITABLE | Ready::WRITE_CLOSED | Ready::ERROR | Ready::SHUTDOWN,
        }
    }
}

/// What a task waits for on a source, as tokio's `Interest`: any
/// combination of readable, writable, priority and error.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Interest(u8);

impl Interest {
    /// Data to read, or the read half closed.
    pub const READABLE: Interest = Interest(1);
    /// Room to write, or the write half closed.
    pub const WRITABLE: Interest = Interest(1 << 1);
    /// Priority data to read (EPOLLPRI).
    pub const PRIORITY: Interest = Interest(1 << 2);
    /// A pending error.
    pub const ERROR: Interest = Interest(1 << 3);

    /// Both interests.
    #[must_use]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// This interest without `other`; `None` when nothing is left.
    #[must_use]
    pub fn remove(self, other: Interest) -> Option<Interest> {
        let left = self.0 & !other.0;
        (left != 0).then_some(Interest(left))
    }

    /// Whether it includes [`Interest::READABLE`].
    pub const fn is_readable(self) -> bool {
        self.0 & Self::READABLE.0 != 0
    }

    /// Whether it includes [`Interest::WRITABLE`].
    pub const fn is_writable(self) -> bool {
        self.0 & Self::WRITABLE.0 != 0
    }

    /// Whether it includes [`Interest::PRIORITY`].
    pub const fn is_priority(self) -> bool {
        self.0 & Self::PRIORITY.0 != 0
    }

    /// Whether it includes [`Interest::ERROR`].
    pub const fn is_error(self) -> bool {
        self.0 & Self::ERROR.0 != 0
    }

    /// The readiness that satisfies this interest. An error satisfies any
    /// interest (the next operation reports it; waiting on would spin), and
    /// the reactor's shutdown ends every wait.
    pub fn mask(self) -> Ready {
        let mut ready = Ready::ERROR | Ready::SHUTDOWN;
        if self.is_readable() {
            ready |= Ready::READABLE | Ready::READ_CLOSED;
        }
        if self.is_writable() {
            ready |= Ready::WRITABLE | Ready::WRITE_CLOSED;
        }
        if self.is_priority() {
            ready |= Ready::PRIORITY | Ready::READ_CLOSED;
        }
        ready
    }

    /// The directions whose waiters an event for this interest wakes.
    pub fn directions(self) -> impl Iterator<Item = Direction> {
        let read = self.is_readable() || self.is_priority() || self.is_error();
        [(read, Direction::Read), (self.is_writable(), Direction::Write)]
            .into_iter()
            .filter_map(|(on, d)| on.then_some(d))
    }
}

impl BitOr for Interest {
    type Output = Interest;
    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl BitOrAssign for Interest {
    fn bitor_assign(&mut self, other: Interest) {
        *self = self.add(other);
    }
}

impl From<Direction> for Interest {
    fn from(direction: Direction) -> Interest {
        match direction {
            Direction::Read => Interest::READABLE,
            Direction::Write => Interest::WRITABLE,
        }
    }
}

impl std::fmt::Debug for Interest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = ["READABLE", "WRITABLE", "PRIORITY", "ERROR"];
        let set: Vec<_> = names.iter().enumerate().filter(|(i, _)| self.0 & (1 << i) != 0).map(|(_, n)| *n).collect();
        write!(f, "Interest({})", set.join(" | "))
    }
}

/// Readiness an operation observed, with the tick it was observed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadyEvent {
    pub(crate) ready: Ready,
    pub(crate) tick: u16,
}

impl ReadyEvent {
    /// The readiness observed.
    pub fn ready(&self) -> Ready {
        self.ready
    }

    /// The same observation narrowed to `ready`'s bits: clearing it clears
    /// only those.
    #[must_use]
    pub fn only(self, ready: Ready) -> ReadyEvent {
        ReadyEvent { ready: self.ready & ready, tick: self.tick }
    }
}

const TICK_SHIFT: u32 = 16;

/// Packs readiness and tick into one word.
pub(crate) fn pack(ready: Ready, tick: u16) -> usize {
    (ready.0 & Ready::MASK) | (usize::from(tick) << TICK_SHIFT)
}

/// Splits a readiness word.
pub(crate) fn unpack(word: usize) -> ReadyEvent {
    ReadyEvent { ready: Ready(word & Ready::MASK), tick: (word >> TICK_SHIFT) as u16 }
}

/// The word after the reactor stores `ready`: bits added, tick bumped.
pub(crate) fn with_event(word: usize, ready: Ready) -> usize {
    let current = unpack(word);
    pack(current.ready | ready, current.tick.wrapping_add(1))
}

/// The word after an operation clears what it observed in `event`, or `None`
/// when an event arrived since (the tick moved) and nothing may be cleared.
pub(crate) fn cleared(word: usize, event: ReadyEvent) -> Option<usize> {
    let current = unpack(word);
    (current.tick == event.tick).then(|| pack(current.ready.without(event.ready.without(Ready::STICKY)), current.tick))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clearing_keeps_closed_halves_and_respects_the_tick() {
        let word = with_event(0, Ready::READABLE | Ready::ERROR | Ready::READ_CLOSED);
        let seen = unpack(word);
        let after = cleared(word, seen).unwrap();
        assert_eq!(unpack(after).ready, Ready::READ_CLOSED);
        // A new event between observation and clearing: nothing is cleared.
        let raced = with_event(word, Ready::READABLE);
        assert_eq!(cleared(raced, seen), None);
    }

    #[test]
    fn epoll_bits_translate() {
        let ready = Ready::from_epoll((libc::EPOLLIN | libc::EPOLLHUP) as u32);
        assert!(ready.contains(Ready::READABLE | Ready::READ_CLOSED | Ready::WRITE_CLOSED));
        assert!(ready.is_hangup());
        assert!(!Ready::from_epoll(libc::EPOLLOUT as u32).is_hangup());
    }
}
