//! tokio's task-level macros: [`select!`](crate::select), [`join!`](crate::join)
//! and [`try_join!`](crate::try_join), written as `macro_rules!` (with one
//! token-level helper from `runtime-macros`), so no parser crate is built
//! for them; and what their expansions name (`__private`).

mod join;
mod select;

/// Calls `$crate::$callback!(@{ state []; [tags] } input)`: the 64 tags
/// that `select!` and `join!` hand out, one per branch or future, each a
/// name (a variant, a variable) and its index.
#[doc(hidden)]
#[macro_export]
macro_rules! __tagged {
    ($callback:ident, { $($state:tt)* }, $($input:tt)*) => {
        $crate::$callback!(@{ $($state)* []; [
            _0 0 _1 1 _2 2 _3 3 _4 4 _5 5 _6 6 _7 7 _8 8 _9 9 _10 10 _11 11 _12 12 _13 13 _14 14 _15 15
            _16 16 _17 17 _18 18 _19 19 _20 20 _21 21 _22 22 _23 23 _24 24 _25 25 _26 26 _27 27 _28 28 _29 29 _30 30 _31 31
            _32 32 _33 33 _34 34 _35 35 _36 36 _37 37 _38 38 _39 39 _40 40 _41 41 _42 42 _43 43 _44 44 _45 45 _46 46 _47 47
            _48 48 _49 49 _50 50 _51 51 _52 52 _53 53 _54 54 _55 55 _56 56 _57 57 _58 58 _59 59 _60 60 _61 61 _62 62 _63 63
        ] } $($input)*)
    };
}

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
