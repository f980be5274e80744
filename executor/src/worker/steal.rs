//! How a worker finds work beyond its own queue: the rounds it counts and
//! the lagging worker it takes half a queue from at a round's end, and the
//! steal-half of an idle worker (module docs of `worker`).

use std::sync::atomic::Ordering;

use super::{Core, Remote, Worker, GLOBAL_POLL_INTERVAL, LAGGING_ROUNDS};
use crate::guards::Guard;
use crate::task::Notified;

impl Worker {
    /// Pops the local queue, ending the round first when it is over.
    pub(super) fn pop_local(&self, core: &mut Core) -> Option<Notified> {
        if core.local.is_past(core.round_end) {
            if core.local.len() == 0 {
                return None;
            }
            core.round_end = core.local.back();
            if let Some(task) = self.end_round(core) {
                return Some(task);
            }
            if core.local.len() > 1 {
                // Tasks that yielded this round: an idle worker may take some.
                self.shared.notify_parked();
            }
        }
        core.local.pop()
    }

    /// Counts a round and takes half the queue of a worker that lags.
    pub(super) fn end_round(&self, core: &mut Core) -> Option<Notified> {
        // Relaxed: the counts only steer; a stale one costs a steal or defers one.
        let rounds = self.remote().rounds.load(Ordering::Relaxed).wrapping_add(1);
        self.remote().rounds.store(rounds, Ordering::Relaxed);
        // At most once per injector interval: a worker whose round is one
        // yielding task would otherwise read every other's count each poll.
        let since = core.tick.wrapping_sub(core.laggards_looked_at);
        if since < GLOBAL_POLL_INTERVAL || !self.shared.guards.on(Guard::LaggingSteal) {
            return None;
        }
        core.laggards_looked_at = core.tick;
        self.steal_from_others(core, |remote| {
            let behind = rounds.wrapping_sub(remote.rounds.load(Ordering::Relaxed)) as i32;
            behind >= LAGGING_ROUNDS && remote.steal.is_stealable()
        })
    }

    /// Half the queue of the first other worker, from a random one on, that
    /// `victim` accepts.
    fn steal_from_others(&self, core: &mut Core, victim: impl Fn(&Remote) -> bool) -> Option<Notified> {
        let workers = self.shared.remotes.len();
        let start = core.next_rand() as usize % workers;
        let others = (0..workers).map(|i| (start + i) % workers).filter(|&other| other != self.index);
        others.map(|other| &self.shared.remotes[other]).filter(|remote| victim(remote)).find_map(|remote| {
            let task = remote.steal.steal_into(&mut core.local)?;
            self.remote().metrics.steals.incr();
            Some(task)
        })
    }

    /// After parking: this worker joins the round the busiest one is in, so
    /// that the others do not take its new tasks for a lagging worker's.
    pub(super) fn catch_up_rounds(&self) {
        let rounds = self.shared.remotes.iter().map(|remote| remote.rounds.load(Ordering::Relaxed));
        let ahead = rounds.max_by_key(|&r| r.wrapping_sub(self.remote().rounds.load(Ordering::Relaxed)) as i32);
        if let Some(ahead) = ahead {
            self.remote().rounds.store(ahead, Ordering::Relaxed);
        }
    }

    pub(super) fn steal_work(&self) -> Option<Notified> {
        let mut core = self.core.borrow_mut();
        if !core.searching {
            if !self.shared.idle.transition_worker_to_searching() {
                return None;
            }
            core.searching = true;
        }
        let stolen =
            if self.shared.guards.on(Guard::Stealing) { self.steal_from_others(&mut core, |_| true) } else { None };
        stolen.or_else(|| self.pop_inject_batch(&mut core))
    }
}
