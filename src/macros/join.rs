//! `join!` and `try_join!`: several futures polled in the current task
//! until all complete (or, for `try_join!`, one fails).
//!
//! Each future is evaluated in order, wrapped in a `MaybeDone` (which keeps
//! its output once it completes) and pinned on the stack; one `poll_fn`
//! polls those not done yet, starting one further along each time (unless
//! `biased;`), so a future that is always ready cannot keep the later ones
//! from their turn within a poll's budget.

/// Waits on several futures at once, in the current task, and returns all
/// their outputs as a tuple, in the order given (tokio's `join!`). The
/// futures run concurrently, not in parallel: for parallelism, `spawn` them.
/// Each poll starts with the future after the one it started with last
/// time; after `biased;`, always with the first.
///
/// # Examples
/// ```
/// # runtime::block_on(async {
/// let (a, b) = runtime::join!(async { 1 }, async { "two" });
/// assert_eq!((a, b), (1, "two"));
/// # });
/// ```
#[macro_export]
macro_rules! join {
    (biased; $($f:expr),* $(,)?) => {
        $crate::__tagged!(__join, { join true; }, $($f,)*)
    };
    ($($f:expr),* $(,)?) => {
        $crate::__tagged!(__join, { join false; }, $($f,)*)
    };
}

/// Waits on several futures that return `Result`, in the current task,
/// until all succeed, returning `Ok` with their values as a tuple, or until
/// one fails, returning its `Err` at once and dropping the others
/// (tokio's `try_join!`). `biased;` as for [`join!`](crate::join).
///
/// # Examples
/// ```
/// # runtime::block_on(async {
/// let ok: Result<(u8, char), &str> = runtime::try_join!(async { Ok(1) }, async { Ok('b') });
/// assert_eq!(ok, Ok((1, 'b')));
/// let failed: Result<(u8, char), &str> =
///     runtime::try_join!(std::future::pending::<Result<u8, &str>>(), async { Err("no") });
/// assert_eq!(failed, Err("no"));
/// # });
/// ```
#[macro_export]
macro_rules! try_join {
    (biased; $($f:expr),* $(,)?) => {
        $crate::__tagged!(__join, { try_join true; }, $($f,)*)
    };
    ($($f:expr),* $(,)?) => {
        $crate::__tagged!(__join, { try_join false; }, $($f,)*)
    };
}

/// `join!`'s and `try_join!`'s muncher (one name and index per future) and
/// expansion.
#[doc(hidden)]
#[macro_export]
macro_rules! __join {
    (@{ $kind:ident $biased:tt; [$($done:tt)*]; [$id:ident $index:tt $($ids:tt)*] } $f:expr, $($rest:tt)*) => {
        $crate::__join!(@{ $kind $biased; [$($done)* ($id $index $f)]; [$($ids)*] } $($rest)*)
    };
    (@{ $kind:ident $biased:tt; $done:tt; [] } $($rest:tt)+) => {
        ::core::compile_error!("join! and try_join! take at most 64 futures")
    };
    (@{ join $biased:tt; []; $ids:tt }) => {
        async {}.await
    };
    (@{ try_join $biased:tt; []; $ids:tt }) => {
        async { ::core::result::Result::<(), _>::Ok(()) }.await
    };
    (@{ $kind:ident $biased:tt; [$(($id:ident $index:tt $f:expr))+]; $ids:tt }) => {{
        const COUNT: u32 = [$($index),+].len() as u32;
        $( let mut $id = $crate::__private::pin!(
            $crate::__private::maybe_done($crate::__private::IntoFuture::into_future($f))
        ); )+
        let mut __first: u32 = 0;
        $crate::__private::poll_fn(|__cx| {
            let mut __all_done = true;
            for __i in 0..COUNT {
                #[allow(clippy::modulo_one)]
                let __index = (__first + __i) % COUNT;
                $(
                    if __index == $index {
                        if $crate::__private::Future::poll($id.as_mut(), __cx).is_pending() {
                            __all_done = false;
                        } else {
                            $crate::__join!(@failed $kind $id);
                        }
                    }
                )+
            }
            if !$biased {
                #[allow(clippy::modulo_one)]
                {
                    __first = (__first + 1) % COUNT;
                }
            }
            if !__all_done {
                return $crate::__private::Poll::Pending;
            }
            $crate::__join!(@ready $kind $(
                $id.as_mut().take_output().unwrap_or_else(|| ::core::unreachable!("a joined future's output is taken once"))
            ),+)
        })
        .await
    }};
    // try_join!: a failed future ends the wait with its error.
    (@failed join $id:ident) => {};
    (@failed try_join $id:ident) => {
        if let ::core::option::Option::Some(::core::result::Result::Err(_)) = $id.as_mut().output_mut() {
            if let ::core::option::Option::Some(::core::result::Result::Err(error)) = $id.as_mut().take_output() {
                return $crate::__private::Poll::Ready(::core::result::Result::Err(error));
            }
        }
    };
    (@ready join $($output:expr),+) => {
        $crate::__private::Poll::Ready(($($output,)+))
    };
    (@ready try_join $($output:expr),+) => {
        $crate::__private::Poll::Ready(::core::result::Result::Ok(($(
            match $output {
                ::core::result::Result::Ok(value) => value,
                ::core::result::Result::Err(_) => ::core::unreachable!("a failed future ends the join"),
            },
        )+)))
    };
}
