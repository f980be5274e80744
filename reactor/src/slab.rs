//! The reactor's registrations, in a slab addressed by index and
//! generation. Both go into the epoll token, so an event for a slot that was
//! freed (and maybe reused) since is recognised and ignored.

use crate::scheduled_io::ScheduledIo;
use crate::sync::Arc;

/// Registrations by slab index, with a generation per slot.
#[derive(Debug, Default)]
pub(crate) struct Slab {
    entries: Vec<Entry>,
    free: Vec<u32>,
    len: usize,
}

#[derive(Debug)]
struct Entry {
    generation: u32,
    io: Option<Arc<ScheduledIo>>,
}

fn token(index: u32, generation: u32) -> u64 {
    (u64::from(generation) << 32) | u64::from(index)
}

impl Slab {
    /// Stores `io`; returns its token.
    pub(crate) fn insert(&mut self, io: Arc<ScheduledIo>) -> u64 {
        self.len += 1;
        if let Some(index) = self.free.pop() {
            let entry = &mut self.entries[index as usize];
            entry.io = Some(io);
            return token(index, entry.generation);
        }
        let index = u32::try_from(self.entries.len()).expect("fewer than 2^32 registrations");
        self.entries.push(Entry { generation: 0, io: Some(io) });
        token(index, 0)
    }

    /// The live registration `token` names, if it still exists.
    pub(crate) fn get(&self, token: u64) -> Option<&Arc<ScheduledIo>> {
        let entry = self.entries.get(token as u32 as usize)?;
        (u64::from(entry.generation) == token >> 32).then_some(entry.io.as_ref()).flatten()
    }

    /// Frees the slot `token` names; later events for it are ignored.
    pub(crate) fn remove(&mut self, token: u64) -> Option<Arc<ScheduledIo>> {
        let index = token as u32;
        let entry = self.entries.get_mut(index as usize)?;
        if u64::from(entry.generation) != token >> 32 {
            return None;
        }
        let io = entry.io.take()?;
        entry.generation = entry.generation.wrapping_add(1);
        self.free.push(index);
        self.len -= 1;
        Some(io)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Arc<ScheduledIo>> {
        self.entries.iter().filter_map(|entry| entry.io.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reused_slot_ignores_the_old_token() {
        let mut slab = Slab::default();
        let old = slab.insert(Arc::new(ScheduledIo::new()));
        assert!(slab.get(old).is_some());
        assert!(slab.remove(old).is_some());
        let new = slab.insert(Arc::new(ScheduledIo::new()));
        assert_eq!(new as u32, old as u32, "the slot is reused");
        assert!(slab.get(old).is_none(), "an event for the freed registration is ignored");
        assert!(slab.remove(old).is_none());
        assert!(slab.get(new).is_some());
        assert_eq!(slab.len(), 1);
    }
}
