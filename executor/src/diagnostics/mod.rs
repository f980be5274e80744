//! What a runtime tells about itself: task dumps (`dump`), metrics with the
//! poll-time histogram (`metrics`), and slow-poll reports (`monitor`).

pub(crate) mod dump;
pub(crate) mod metrics;
pub(crate) mod monitor;
