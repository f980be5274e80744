//! Seeded scheduling: the schedule seed a runtime runs with, and the small
//! generator that turns it into choices.
//!
//! With a seed, the current-thread scheduler takes the next task from its
//! run queue at a position the generator picks instead of the front, so one
//! seed replays one interleaving of the tasks and other seeds explore others.
//! On the multi-thread flavor the seed fixes every random choice the runtime
//! makes (each worker's steal-victim sequence); the OS still decides when
//! each thread runs, so interleavings there are not reproducible.
//!
//! `RUNTIME_SEED=N` overrides the builder's seed; `RUNTIME_SEED=random`
//! draws one (and the runtime reports which through
//! [`Handle::schedule_seed`](crate::Handle::schedule_seed)). The variable
//! is read once per process.

use std::sync::OnceLock;

/// The environment variable that overrides every runtime's schedule seed:
/// a number, or `random`.
pub const SEED_ENV: &str = "RUNTIME_SEED";

/// SplitMix64 (Steele, Lea and Flood): one add and three mixes per number,
/// and every seed gives a full-period sequence.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub(crate) fn new(seed: u64) -> SplitMix {
        SplitMix(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A position below `len` (which is above zero).
    pub(crate) fn below(&mut self, len: usize) -> usize {
        (self.next_u64() % len as u64) as usize
    }
}

/// The seed a runtime built with `builder_seed` runs with: `RUNTIME_SEED`
/// when it is set, else the builder's.
///
/// # Panics
/// When `RUNTIME_SEED` is neither a number nor `random`: a typo there would
/// silently test another schedule than the one asked for.
pub(crate) fn effective(builder_seed: Option<u64>) -> Option<u64> {
    from_env().or(builder_seed)
}

fn from_env() -> Option<u64> {
    static ENV: OnceLock<Option<u64>> = OnceLock::new();
    *ENV.get_or_init(|| {
        let value = std::env::var(SEED_ENV).ok()?;
        match value.trim() {
            "random" => Some(random_seed()),
            number => {
                Some(number.parse().unwrap_or_else(|_| panic!("{SEED_ENV}={value:?} is neither a number nor `random`")))
            }
        }
    })
}

/// A seed from std's per-process hash keys and the clock.
fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    hasher.finish()
}

/// Worker `index`'s xorshift32 state (never zero): from the seed when there is
/// one, else fixed per index as before.
pub(crate) fn worker_rand(seed: Option<u64>, index: usize) -> u32 {
    match seed {
        Some(seed) => (SplitMix::new(seed ^ index as u64).next_u64() as u32) | 1,
        None => 0x9E37_79B9u32.wrapping_mul(index as u32 + 1) | 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_seed_gives_one_sequence_and_positions_stay_in_range() {
        let positions = |seed| {
            let mut picker = SplitMix::new(seed);
            (0..16).map(|_| picker.below(10)).collect::<Vec<_>>()
        };
        assert_eq!(positions(42), positions(42));
        assert_ne!(positions(42), positions(43));
        assert!(positions(42).iter().all(|&at| at < 10));
        assert_eq!(worker_rand(Some(7), 1), worker_rand(Some(7), 1));
        assert_ne!(worker_rand(Some(7), 1), worker_rand(Some(7), 2));
        assert_ne!(worker_rand(None, 0), 0);
    }
}
