//! The work-stealing scheduler: its workers (`worker`, with how they find
//! work beyond their own queue), what they share (`shared`), and which of
//! them sleep (`idle`). The protocol is in `worker`'s module docs.

pub(crate) mod idle;
#[cfg(not(loom))]
pub(crate) mod shared;
#[cfg(not(loom))]
pub(crate) mod worker;

#[cfg(not(loom))]
pub(crate) use shared::{new, Shared};
#[cfg(not(loom))]
pub(crate) use worker::{current_index, run, EVENT_INTERVAL};
