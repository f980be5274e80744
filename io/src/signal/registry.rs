//! The process-wide signal state: the self-pipe's read end on the global
//! reactor, and per signal number whether its handler is installed, how many
//! deliveries were read off the pipe, and the wakers of its [`Signal`]s.
//!
//! # Protocol
//! A waiting `Signal` stores its waker in its slot, then compares the slot's
//! count with the count it last saw, then drains the pipe (after each batch,
//! every signal whose handler ran since bumps its count once and wakes that
//! slot's wakers) and compares again. The
//! drainer bumps after its read, and wakes after bumping; the waiter stored
//! its waker before its last look: so either the waiter sees the new count,
//! or the drainer sees its waker. Every waiter on the pipe is woken by its
//! readiness, so the bytes are read by whoever polls first.
//!
//! [`Signal`]: super::unix::Signal

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{
    AtomicU64,
    Ordering::{AcqRel, Acquire},
};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};

use runtime_reactor::{signal, Direction, Handle};

use crate::evented::Evented;

pub(super) struct Registry {
    pipe: Evented<OwnedFd>,
    slots: Box<[Slot]>,
}

/// One signal number's state.
#[derive(Default)]
pub(super) struct Slot {
    installed: Mutex<bool>,
    delivered: AtomicU64,
    waiters: Mutex<Waiters>,
}

/// The wakers of one signal's `Signal`s, by key.
#[derive(Default)]
struct Waiters {
    wakers: Vec<Option<Waker>>,
    free: Vec<usize>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The registry, made on first use; a failure (no descriptors left) is
/// returned, and the next call tries again.
pub(super) fn registry() -> io::Result<&'static Registry> {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    static MAKING: Mutex<()> = Mutex::new(());
    if let Some(registry) = REGISTRY.get() {
        return Ok(registry);
    }
    let _making = lock(&MAKING);
    if let Some(registry) = REGISTRY.get() {
        return Ok(registry);
    }
    let pipe = Evented::with_reactor(signal::open_pipe()?, Handle::global()?)?;
    let slots = (0..=signal::max_signal()).map(|_| Slot::default()).collect();
    Ok(REGISTRY.get_or_init(|| Registry { pipe, slots }))
}

impl Registry {
    pub(super) fn slot(&self, signum: i32) -> &Slot {
        &self.slots[signum as usize]
    }

    /// Reads what the pipe holds and hands each delivery to its slot;
    /// `Pending` (registered for the pipe's readiness) once it is empty.
    pub(super) fn poll_drain(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut buf = [0u8; 128];
        let read = self
            .pipe
            .registration()
            .poll_io(Direction::Read, cx, || signal::read(self.pipe.get_ref().as_fd(), &mut buf));
        std::task::ready!(read)?;
        // The bytes only woke us: every flag is taken (signal.rs), so raises
        // before this look count once, and a byte a full pipe dropped is not missed.
        for (signum, slot) in self.slots.iter().enumerate().skip(1) {
            if signal::take_pending(signum as i32) {
                // AcqRel: the waiters that see the count see it after our read.
                slot.delivered.fetch_add(1, AcqRel);
                slot.wake_all();
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl Slot {
    /// Installs the handler once; later calls return at once.
    pub(super) fn install(&self, signum: i32) -> io::Result<()> {
        let mut installed = lock(&self.installed);
        if !*installed {
            signal::install(signum)?;
            *installed = true;
        }
        Ok(())
    }

    pub(super) fn delivered(&self) -> u64 {
        // Acquire: pairs with the drainer's AcqRel increment.
        self.delivered.load(Acquire)
    }

    /// A key for a new `Signal`'s waker.
    pub(super) fn add_waiter(&self) -> usize {
        let mut waiters = lock(&self.waiters);
        match waiters.free.pop() {
            Some(key) => key,
            None => {
                waiters.wakers.push(None);
                waiters.wakers.len() - 1
            }
        }
    }

    pub(super) fn set_waker(&self, key: usize, waker: &Waker) {
        let mut waiters = lock(&self.waiters);
        let displaced = match &waiters.wakers[key] {
            Some(stored) if stored.will_wake(waker) => None,
            _ => waiters.wakers[key].replace(waker.clone()),
        };
        drop(waiters);
        // A waker's drop may run a destructor that drops a `Signal` of this
        // kind, which takes the same lock: never under it.
        drop(displaced);
    }

    pub(super) fn remove_waiter(&self, key: usize) {
        let mut waiters = lock(&self.waiters);
        let waker = waiters.wakers[key].take();
        waiters.free.push(key);
        drop(waiters);
        drop(waker);
    }

    fn wake_all(&self) {
        let mut wakers: Vec<Waker> = lock(&self.waiters).wakers.iter_mut().filter_map(Option::take).collect();
        runtime_reactor::wake_all_caught(&mut wakers);
    }
}
