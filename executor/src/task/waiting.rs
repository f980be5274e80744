//! What the task being polled waits on, as the resource it waits on tells
//! it, for task dumps: written into the task's header before the resource
//! returns `Pending`, turned into words only when a dump reads it.
//!
//! The executor names no resource of another crate. Timers, sockets and
//! join handles have kinds of their own (with a number: a deadline, a file
//! descriptor, a task id); any other resource is a [`Resource`], a label
//! its owner declares as a `static` where the resource lives (sync's
//! `Mutex::lock`, io's signals and child processes…).

use std::fmt;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::{set_waiting, Id};

/// What a task may wait on, as runtime resources report it with
/// [`waiting_on`] before they return `Pending`.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum WaitingOn {
    /// A timer due this long after the poll.
    Timer(Duration),
    /// A socket or pipe becoming readable.
    Readable(RawFd),
    /// A socket or pipe becoming writable.
    Writable(RawFd),
    /// Another task's `JoinHandle`.
    Join(Id),
    /// A named resource: a synchronisation primitive, a signal, a file…
    Resource(&'static Resource),
}

/// A named resource a task can wait on, as a dump says it ("Mutex::lock").
/// The crate that owns the resource declares it once, as a `static`.
///
/// # Examples
/// ```
/// use runtime_executor::{waiting_on, Resource, WaitingOn};
///
/// static DOORBELL: Resource = Resource::new("Doorbell::rung");
/// // In a future's poll, before it returns `Pending`:
/// waiting_on(WaitingOn::Resource(&DOORBELL));
/// assert_eq!(DOORBELL.name(), "Doorbell::rung");
/// ```
pub struct Resource {
    name: &'static str,
    /// Its place in [`NAMES`] plus one; 0 until first used.
    code: AtomicU32,
}

/// The names of the resources used so far, by code minus one.
static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

impl Resource {
    /// A resource named `name` in dumps.
    pub const fn new(name: &'static str) -> Resource {
        Resource { name, code: AtomicU32::new(0) }
    }

    /// Its name in dumps.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its code in the header word: one relaxed load once it has one.
    fn code(&'static self) -> u32 {
        // Acquire: pairs with the Release in `register`, so its name is listed.
        match self.code.load(Ordering::Acquire) {
            0 => self.register(),
            code => code,
        }
    }

    #[cold]
    fn register(&'static self) -> u32 {
        let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
        match self.code.load(Ordering::Acquire) {
            0 => {
                names.push(self.name);
                let code = u32::try_from(names.len()).unwrap_or(u32::MAX);
                // Release: a thread that sees the code finds the name listed.
                self.code.store(code, Ordering::Release);
                code
            }
            code => code,
        }
    }
}

impl fmt::Debug for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Resource").field(&self.name).finish()
    }
}

const TIMER: u8 = 1;
const READABLE: u8 = 2;
const WRITABLE: u8 = 3;
const JOIN: u8 = 4;
const RESOURCE: u8 = 5;

/// Records what the task being polled on this thread waits on, for dumps;
/// does nothing outside a task. The runtime's timers, sockets, join handles
/// and `sync` primitives call it before they return `Pending`.
pub fn waiting_on(what: WaitingOn) {
    let (kind, payload) = match what {
        WaitingOn::Timer(due_in) => (TIMER, u32::try_from(due_in.as_millis()).unwrap_or(u32::MAX)),
        WaitingOn::Readable(fd) => (READABLE, fd as u32),
        WaitingOn::Writable(fd) => (WRITABLE, fd as u32),
        // The low half: a dump matches it against the live tasks' ids.
        WaitingOn::Join(id) => (JOIN, id.as_u64() as u32),
        WaitingOn::Resource(resource) => (RESOURCE, resource.code()),
    };
    set_waiting(kind, payload);
}

/// Words for a recorded `(kind, payload)`: `idle_for` is how long ago the
/// task was polled (a timer's delay counts from then), `ids` the live tasks'.
pub(crate) fn describe((kind, payload): (u8, u32), idle_for: Duration, ids: &[Id]) -> Option<String> {
    match kind {
        TIMER => {
            let due_in = Duration::from_millis(payload.into()).saturating_sub(idle_for);
            Some(format!("timer due in {due_in:.1?}"))
        }
        READABLE => Some(format!("fd {} readable", payload as RawFd)),
        WRITABLE => Some(format!("fd {} writable", payload as RawFd)),
        JOIN => Some(match ids.iter().find(|id| id.as_u64() as u32 == payload) {
            Some(id) => format!("JoinHandle of task {id}"),
            None => "JoinHandle of a task that is gone".to_string(),
        }),
        RESOURCE => {
            let names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
            let name = (payload as usize).checked_sub(1).and_then(|at| names.get(at));
            Some(name.copied().unwrap_or("a resource").to_string())
        }
        _ => None,
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn resources_get_one_code_each_and_keep_their_names() {
        static A: Resource = Resource::new("A::wait");
        static B: Resource = Resource::new("B::wait");
        let (a, b) = (A.code(), B.code());
        assert_ne!(a, b);
        assert_eq!(A.code(), a, "a code is assigned once");
        assert_eq!(describe((RESOURCE, a), Duration::ZERO, &[]).as_deref(), Some("A::wait"));
        assert_eq!(describe((RESOURCE, b), Duration::ZERO, &[]).as_deref(), Some("B::wait"));
        assert_eq!(describe((RESOURCE, 0), Duration::ZERO, &[]).as_deref(), Some("a resource"));
    }
}
