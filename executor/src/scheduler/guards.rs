//! The scheduler's fairness guards, each of which a test may switch off to show
//! that its fairness test fails without it (FAIRNESS.md lists what each one
//! guarantees).
//!
//! The switches exist only with the `guard-switches` feature (the facade's
//! tests turn it on): without it [`Guards::on`] is the constant `true`, so the
//! worker's hot path carries no check at all.

/// One fairness guard. Switching one off is for tests only: it exists so a
/// fairness test can show that it fails without the guard it relies on.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Guard {
    /// The cooperative budget ([`crate::coop`]): off, task polls are unconstrained.
    Budget,
    /// The injector checked every 61 polls and after a task spent its budget:
    /// off, only when the local queue is empty.
    InjectorInterval,
    /// A busy worker looks at I/O and timers every 61 ticks and after a task
    /// spent its budget: off, only when idle.
    EventInterval,
    /// At most 3 LIFO-slot polls in a row: off, the LIFO slot may run forever.
    LifoBound,
    /// A yielding task goes to the back of the queue: off, into the LIFO slot.
    YieldToBack,
    /// Idle workers steal from busy ones: off, they only take from the injector.
    Stealing,
    /// At a round's end a worker takes half the queue of one that lags
    /// rounds behind: off, tasks stay on a slow worker while others keep busy.
    LaggingSteal,
}

/// Which guards are on: a bit per [`Guard`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Guards(u8);

impl Guards {
    pub(crate) const ALL: Guards = Guards(u8::MAX);

    fn bit(guard: Guard) -> u8 {
        1 << guard as u8
    }

    /// # Panics
    /// Without the `guard-switches` feature: a guard that cannot be switched
    /// off must not look switched off to the test that asked.
    pub(crate) fn disable(&mut self, guard: Guard) {
        if !cfg!(feature = "guard-switches") {
            panic!("switching a fairness guard off needs runtime-executor's `guard-switches` feature");
        }
        self.0 &= !Guards::bit(guard);
    }

    #[inline(always)]
    pub(crate) fn on(self, guard: Guard) -> bool {
        !cfg!(feature = "guard-switches") || self.0 & Guards::bit(guard) != 0
    }
}
