//! What a runtime tells about itself: task dumps (`dump`), the counters and
//! the poll-time histogram (`metrics`), their live view for users
//! (`runtime_metrics`), slow-poll reports (`monitor`), and the task named
//! in a panic's report (`panic_report`).

pub(crate) mod dump;
pub(crate) mod metrics;
pub(crate) mod monitor;
#[cfg(not(loom))]
pub(crate) mod panic_report;
#[cfg(not(loom))]
pub(crate) mod runtime_metrics;
