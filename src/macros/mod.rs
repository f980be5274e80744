//! tokio's task-level macros: [`select!`](crate::select), [`join!`](crate::join)
//! and [`try_join!`](crate::try_join), written as `macro_rules!` (with one
//! token-level helper from `runtime-macros`), so no parser crate is built
//! for them; and what their expansions name (`__private`).

mod join;
mod select;

/// What the macros' expansions name, by `$crate::__private::…` paths.
/// Not for use outside them.
#[doc(hidden)]
pub mod __private {
    pub use core::future::{poll_fn, Future, IntoFuture};
    pub use core::pin::{pin, Pin};
    pub use core::task::Poll;
    pub use futures_util::future::{maybe_done, MaybeDone};
    pub use runtime_macros::__select_clean_pattern as clean_pattern;

    pub use super::select::start;
}
