//! Task dumps: [`Handle::dump`](crate::Handle::dump) snapshots every live
//! task of a runtime — id, spawn location, state, polls, time since its last
//! poll, and what it waits on when a runtime resource said so.
//!
//! What a dump reads lives in each task's header and costs the hot path one
//! thread-local access per poll (the task harness already makes it for the
//! task id), two stores to the header line the poll touches anyway, and a
//! clock read every [`EVENT_INTERVAL`](crate::scheduler::config::EVENT_INTERVAL) polls
//! (the coarse stamp below). A resource that returns `Pending` records what
//! it waits on with one more store ([`waiting_on`](crate::waiting_on),
//! `task/waiting.rs`, which also turns the record into words).
//!
//! A dump visits the owner list shard by shard, under each shard's lock only
//! while it copies headers' atomics: no user code runs under it, and a task
//! spawned or finished meanwhile is seen whole or not at all.

use std::fmt;
use std::panic::Location;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::task::{describe_wait, set_stamp, Header, Id};

/// The unit of the coarse stamps: 2^24 ns (about 17 ms). Stamps keep 24
/// bits, so an idle time wraps after about 78 hours.
const STAMP_SHIFT: u32 = 24;
const STAMP_MASK: u32 = (1 << 24) - 1;

/// Re-reads the clock for the stamps of this thread's next polls. Schedulers
/// call it after parking and every few dozen polls.
pub(crate) fn refresh_stamp() {
    set_stamp(stamp_now());
}

fn stamp_now() -> u32 {
    static START: OnceLock<Instant> = OnceLock::new();
    let nanos = START.get_or_init(Instant::now).elapsed().as_nanos();
    (nanos >> STAMP_SHIFT) as u32 & STAMP_MASK
}

fn stamp_duration(stamps: u32) -> Duration {
    Duration::from_nanos(u64::from(stamps & STAMP_MASK) << STAMP_SHIFT)
}

/// Where a task is in its life, as a dump saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskState {
    /// Waiting for a wake-up.
    Idle,
    /// Woken, in a run queue.
    Scheduled,
    /// Being polled now.
    Running,
    /// Finished, caught in the moment before it leaves the runtime's task
    /// list (a finished task is not in later dumps; its output waits in its
    /// `JoinHandle`).
    Complete,
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            TaskState::Idle => "idle",
            TaskState::Scheduled => "scheduled",
            TaskState::Running => "running",
            TaskState::Complete => "complete",
        })
    }
}

/// One task in a [`Dump`].
#[derive(Debug, Clone)]
pub struct TaskInfo {
    id: Id,
    spawned_at: &'static Location<'static>,
    state: TaskState,
    polls: u64,
    idle_for: Duration,
    waiting: (u8, u32),
    waiting_on: Option<String>,
}

impl TaskInfo {
    /// The task's id.
    pub fn id(&self) -> Id {
        self.id
    }

    /// Where it was spawned.
    pub fn spawned_at(&self) -> &'static Location<'static> {
        self.spawned_at
    }

    /// Its state when the dump read it.
    pub fn state(&self) -> TaskState {
        self.state
    }

    /// How many times it was polled.
    pub fn polls(&self) -> u64 {
        self.polls
    }

    /// About how long ago its last poll began; zero for a task never polled.
    /// Polls are stamped with a clock each scheduler thread reads every few
    /// dozen polls and after it parks, in units of about 17 ms: the time
    /// can come out larger by what the polls just before took, never smaller.
    pub fn idle_for(&self) -> Duration {
        self.idle_for
    }

    /// What it waits on, when it is idle and a runtime resource said: "timer
    /// due in 2.5s", "fd 7 readable", "JoinHandle of task 12",
    /// "Mutex::lock"…
    pub fn waiting_on(&self) -> Option<&str> {
        self.waiting_on.as_deref()
    }
}

/// A snapshot of a runtime's live tasks ([`Handle::dump`](crate::Handle::dump)):
/// those spawned and not yet finished.
///
/// # Examples
/// ```
/// use runtime_executor::{spawn, yield_now, Builder, Engine, Handle};
///
/// let rt = Builder::<Engine>::new_current_thread().build()?;
/// rt.block_on(async {
///     let stuck = spawn(std::future::pending::<()>());
///     let stuck_id = stuck.id();
///     let waiter = spawn(stuck);
///     yield_now().await;
///     let dump = Handle::current().dump();
///     let task = dump.tasks().find(|task| task.id() == waiter.id()).unwrap();
///     assert_eq!(task.polls(), 1);
///     assert_eq!(task.waiting_on(), Some(format!("JoinHandle of task {stuck_id}").as_str()));
///     println!("{dump}");
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Dump {
    tasks: Vec<TaskInfo>,
}

impl Dump {
    /// The tasks, by id.
    pub fn tasks(&self) -> std::slice::Iter<'_, TaskInfo> {
        self.tasks.iter()
    }

    /// Builds a dump from the headers `visit` hands over (under the owner
    /// lists' locks: this only copies atomics).
    pub(crate) fn collect(visit: impl FnOnce(&mut dyn FnMut(&Header))) -> Dump {
        let now = stamp_now();
        let mut tasks = Vec::new();
        visit(&mut |header| tasks.push(TaskInfo::read(header, now)));
        tasks.sort_by_key(|task| task.id);
        let mut dump = Dump { tasks };
        dump.describe_waits();
        dump
    }

    /// Turns the recorded kinds and payloads into words, now that every
    /// task's id is known (a join payload holds the low half of one).
    fn describe_waits(&mut self) {
        let ids: Vec<Id> = self.tasks.iter().map(|task| task.id).collect();
        for task in &mut self.tasks {
            if task.state != TaskState::Idle {
                continue;
            }
            task.waiting_on = describe_wait(task.waiting, task.idle_for, &ids);
        }
    }
}

impl TaskInfo {
    fn read(header: &Header, now: u32) -> TaskInfo {
        let snapshot = header.state.load();
        let state = if snapshot.is_complete() {
            TaskState::Complete
        } else if snapshot.is_running() {
            TaskState::Running
        } else if snapshot.is_scheduled() {
            TaskState::Scheduled
        } else {
            TaskState::Idle
        };
        let polls = header.polls();
        let (stamp, kind, payload) = header.seen();
        TaskInfo {
            id: header.id,
            spawned_at: header.spawned_at,
            state,
            polls: polls.into(),
            idle_for: if polls == 0 { Duration::ZERO } else { stamp_duration(now.wrapping_sub(stamp)) },
            waiting: (kind, payload),
            waiting_on: None,
        }
    }
}

impl fmt::Display for Dump {
    /// One line per task: id, state, polls, idle time, spawn location and
    /// what it waits on.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} tasks", self.tasks.len())?;
        writeln!(f, "{:>8}  {:<9}  {:>8}  {:>9}  {:<40}  waiting on", "id", "state", "polls", "idle", "spawned at")?;
        for task in &self.tasks {
            let idle = format!("{:.1?}", task.idle_for);
            writeln!(
                f,
                "{:>8}  {:<9}  {:>8}  {:>9}  {:<40}  {}",
                task.id,
                task.state,
                task.polls,
                idle,
                task.spawned_at.to_string(),
                task.waiting_on.as_deref().unwrap_or("-")
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_wrap_into_idle_times() {
        assert_eq!(stamp_duration(1), Duration::from_nanos(1 << 24));
        assert_eq!(stamp_duration(3u32.wrapping_sub(STAMP_MASK)), stamp_duration(4), "a wrapped stamp");
    }
}
