//! The work-stealing scheduler: its workers and what they share (`worker`,
//! one file because each side calls the other: a wake queues on the current
//! worker, a worker reads the shared queues), and which of them sleep
//! (`idle`). The protocol is in `worker`'s module docs.

pub(crate) mod idle;
pub(crate) mod worker;

#[cfg(not(loom))]
pub(crate) use worker::block_in_place;
pub(crate) use worker::{current_index, new, run, Shared};
