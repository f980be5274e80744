//! Children whose `Child` was dropped before they exited: still reaped, so
//! none stays a zombie.
//!
//! Each orphan keeps an exit source on the process-wide reactor (so it
//! outlives any runtime), polled with a waker of its own: when the reactor
//! wakes it (on the reactor's thread), the waker reaps the orphan with
//! `waitpid(pid, WNOHANG)`, or registers again if it is still running. No
//! task and no thread per orphan.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Wake, Waker};

use runtime_executor::coop;
use runtime_reactor::Handle;

use super::exit::Exit;

struct Orphan {
    child: std::process::Child,
    exit: Exit,
}

/// One slot of the orphan slab.
enum Slot {
    Free,
    Waiting(Orphan),
    /// Taken out and being polled; `woken` when a wake came meanwhile (it
    /// may come from inside that very poll: draining the signal pipe wakes
    /// every SIGCHLD waiter).
    Polling {
        woken: bool,
    },
}

/// The orphans, by key. Never locked while an orphan is polled.
static ORPHANS: Mutex<Vec<Slot>> = Mutex::new(Vec::new());

fn lock() -> std::sync::MutexGuard<'static, Vec<Slot>> {
    ORPHANS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Wakes (reaps, or re-registers) the orphan in slot `key`.
struct OrphanWaker(usize);

impl Wake for OrphanWaker {
    fn wake(self: Arc<Self>) {
        poll(self.0);
    }
}

/// Takes over `child`, still running, and reaps it once it exits.
pub(super) fn adopt(mut child: std::process::Child) {
    let exit = match Handle::global().and_then(|reactor| Exit::watch(child.id(), Some(reactor))) {
        Ok(exit) => exit,
        Err(_) => {
            // No descriptor left to watch it with: wait for it on a thread of its
            // own rather than leave a zombie.
            let _ = std::thread::Builder::new().name("runtime-reaper".into()).spawn(move || child.wait());
            return;
        }
    };
    let key = {
        let mut orphans = lock();
        let key = orphans.iter().position(|slot| matches!(slot, Slot::Free)).unwrap_or(orphans.len());
        let slot = Slot::Waiting(Orphan { child, exit });
        if key == orphans.len() {
            orphans.push(slot);
        } else {
            orphans[key] = slot;
        }
        key
    };
    poll(key);
}

/// Reaps the orphan in `key` if it exited; else leaves its waker registered.
fn poll(key: usize) {
    let waker = Waker::from(Arc::new(OrphanWaker(key)));
    loop {
        let mut orphan = {
            let mut orphans = lock();
            match orphans.get_mut(key) {
                Some(slot @ Slot::Waiting(_)) => match std::mem::replace(slot, Slot::Polling { woken: false }) {
                    Slot::Waiting(orphan) => orphan,
                    _ => unreachable!("matched as waiting"),
                },
                // Its poller will look again.
                Some(Slot::Polling { woken }) => {
                    *woken = true;
                    return;
                }
                _ => return,
            }
        };
        // Unconstrained: a spent budget would wake us at once, inside our own poll.
        let exited = coop::unconstrained(poll_fn(|cx| orphan.exit.poll_exited(&mut orphan.child, cx)));
        let done = pin!(exited).poll(&mut Context::from_waker(&waker)).is_ready();
        let mut orphans = lock();
        let woken = matches!(orphans[key], Slot::Polling { woken: true });
        if done {
            // Reaped (or waitpid failed: nothing more can be done for it).
            orphans[key] = Slot::Free;
            drop(orphans);
            drop(orphan);
            return;
        }
        orphans[key] = Slot::Waiting(orphan);
        if !woken {
            return;
        }
    }
}

/// Orphans not reaped yet (for tests).
#[doc(hidden)]
pub fn orphans_alive() -> usize {
    lock().iter().filter(|slot| !matches!(slot, Slot::Free)).count()
}
