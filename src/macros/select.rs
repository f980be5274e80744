//! `select!`: waits on several futures in the current task and runs the
//! handler of the first whose output matches its pattern.
//!
//! The expansion, for branches `p_i = f_i, if c_i => h_i`:
//! 1. each `c_i` is evaluated in order; a false one disables branch `i`;
//! 2. each `f_i` is evaluated in order (disabled ones too, as tokio does)
//!    and pinned on the stack;
//! 3. one `poll_fn` polls the enabled futures, from a random branch on
//!    (the first with `biased;`): up to 4 branches in a loop over a jump
//!    table, more unrolled in two runs (start to last, first to start), the
//!    faster form for each in `benches/` (BENCHMARKS.md, "Macros"). A
//!    future that completes is disabled; if its
//!    output matches `p_i` (checked through a reference, with `ref`/`mut`
//!    taken out of the pattern) the poll returns it, tagged with its branch,
//!    else the next branch is polled. With every branch disabled the poll
//!    returns `Disabled`;
//! 4. the futures are dropped, then the tagged output is matched against
//!    `p_i` by value and `h_i` runs, in the caller's own code: `break`,
//!    `continue`, `return` and `?` in a handler are the caller's. `Disabled`
//!    runs the `else` handler, or panics with tokio's message.

use std::cell::Cell;

/// The branch a `select!` polls first: uniformly random over `branches`,
/// from a per-thread xorshift generator (seeded from std's per-process
/// random keys), so no branch is favoured by its place in the source.
#[doc(hidden)]
#[inline]
pub fn start(branches: u32) -> u32 {
    thread_local! {
        static STATE: Cell<u32> = const { Cell::new(0) };
    }
    STATE.with(|state| {
        let mut x = state.get();
        if x == 0 {
            x = seed();
        }
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        state.set(x);
        // Lemire's multiply-shift: no division, no modulo bias worth the name.
        ((u64::from(x) * u64::from(branches)) >> 32) as u32
    })
}

#[cold]
fn seed() -> u32 {
    use std::hash::{BuildHasher, RandomState};
    (RandomState::new().hash_one(std::thread::current().id()) as u32) | 1
}

/// Waits on several futures at once, in the current task, and runs the
/// handler of the first to complete with a value that matches its pattern;
/// the other futures are dropped (cancelled). tokio's `select!`, with its
/// grammar and semantics:
///
/// ```text
/// select! {
///     biased;                                   // optional: poll in order
///     <pattern> = <future>, if <condition> => <handler>,
///     <pattern> = <future> => <handler>,
///     else => <handler>                         // optional, last
/// }
/// ```
///
/// - Each branch's `if` condition is evaluated first; a false one disables
///   the branch. Then every future expression is evaluated, in order, the
///   disabled branches' too (they are never polled).
/// - The enabled futures are polled in one task, starting from a randomly
///   chosen branch, or in source order after `biased;`.
/// - A future that completes with a value that does not match its pattern
///   disables its branch, and `select!` goes on waiting on the others.
/// - When every branch is disabled the `else` handler runs; without an
///   `else`, `select!` panics with "all branches are disabled and there is
///   no else branch".
/// - Futures are taken by value or by `&mut` (anything `IntoFuture`); none
///   needs to be `Unpin` or fused. The futures are dropped before the
///   handler runs, so a handler may use what a branch borrowed.
/// - Handlers run in the enclosing function: `break`, `continue`, `return`
///   and `?` in them act there. At most 64 branches.
///
/// # Panics
/// When every branch is disabled and there is no `else` branch.
///
/// # Examples
/// ```
/// use runtime::sync::mpsc;
/// use runtime::time::{sleep, Duration};
///
/// #[runtime::main(flavor = "current_thread")]
/// async fn main() {
///     let (number_tx, mut numbers) = mpsc::channel::<u32>(4);
///     let (word_tx, mut words) = mpsc::channel::<&str>(4);
///     runtime::spawn(async move {
///         number_tx.send(1).await.unwrap();
///         word_tx.send("one").await.unwrap();
///         number_tx.send(2).await.unwrap();
///     });
///     let deadline = sleep(Duration::from_secs(10));
///     runtime::pin!(deadline); // polled by `&mut` across the loop
///     let (mut total, mut text) = (0, String::new());
///     loop {
///         runtime::select! {
///             Some(n) = numbers.recv() => total += n,
///             Some(word) = words.recv() => text.push_str(word),
///             () = &mut deadline, if total < 3 => panic!("no messages in time"),
///             else => break, // both channels closed, and the deadline not needed
///         }
///     }
///     assert_eq!((total, text.as_str()), (3, "one"));
/// }
/// ```
#[macro_export]
macro_rules! select {
    (biased; $($branches:tt)*) => {
        $crate::__tagged!(__select, { true; }, $($branches)*)
    };
    ($($branches:tt)*) => {
        $crate::__tagged!(__select, { false; }, $($branches)*)
    };
}

/// `select!`'s parser (a muncher normalising each branch to
/// `(tag bit (pattern) (future) (condition) (handler))`) and its expansion.
#[doc(hidden)]
#[macro_export]
macro_rules! __select {
    // `else` first: `pat` would take the keyword as a (failed) pattern.
    (@{ $biased:tt; $done:tt; $ids:tt } else => $else:expr $(,)?) => {
        $crate::__select!(@expand $biased; $done; $else)
    };
    (@{ $biased:tt; [$($done:tt)*]; [$id:ident $bit:tt $($ids:tt)*] }
        $p:pat = $f:expr, if $c:expr => $h:block $(,)? $($rest:tt)*) => {
        $crate::__select!(@{ $biased; [$($done)* ($id $bit ($p) ($f) ($c) ($h))]; [$($ids)*] } $($rest)*)
    };
    (@{ $biased:tt; [$($done:tt)*]; [$id:ident $bit:tt $($ids:tt)*] }
        $p:pat = $f:expr => $h:block $(,)? $($rest:tt)*) => {
        $crate::__select!(@{ $biased; [$($done)* ($id $bit ($p) ($f) (true) ($h))]; [$($ids)*] } $($rest)*)
    };
    (@{ $biased:tt; [$($done:tt)*]; [$id:ident $bit:tt $($ids:tt)*] }
        $p:pat = $f:expr, if $c:expr => $h:expr $(, $($rest:tt)*)?) => {
        $crate::__select!(@{ $biased; [$($done)* ($id $bit ($p) ($f) ($c) ($h))]; [$($ids)*] } $($($rest)*)?)
    };
    (@{ $biased:tt; [$($done:tt)*]; [$id:ident $bit:tt $($ids:tt)*] }
        $p:pat = $f:expr => $h:expr $(, $($rest:tt)*)?) => {
        $crate::__select!(@{ $biased; [$($done)* ($id $bit ($p) ($f) (true) ($h))]; [$($ids)*] } $($($rest)*)?)
    };
    (@{ $biased:tt; $done:tt; [] } $($rest:tt)+) => {
        ::core::compile_error!("select! takes at most 64 branches")
    };
    (@{ $biased:tt; []; $ids:tt }) => {
        ::core::compile_error!("select! needs at least one branch: `pattern = future => handler`")
    };
    (@{ $biased:tt; $done:tt; $ids:tt }) => {
        $crate::__select!(@expand $biased; $done;
            ::core::panic!("all branches are disabled and there is no else branch"))
    };
    (@{ $biased:tt; $done:tt; $ids:tt } $($rest:tt)+) => {
        ::core::compile_error!(::core::concat!(
            "a select! branch is `pattern = future => handler` or ",
            "`pattern = future, if condition => handler`, and the last may be `else => handler`; found: `",
            ::core::stringify!($($rest)+), "`"
        ))
    };
    // One branch's poll: a completed future is disabled (never polled again),
    // and ends the wait if its output matches the pattern.
    (@poll $id:ident $bit:tt ($p:pat) $cx:ident $disabled:ident $any_enabled:ident $out:ident) => {
        match $crate::__private::Future::poll($id.as_mut(), $cx) {
            $crate::__private::Poll::Ready(__value) => {
                $disabled |= 1 << $bit;
                #[allow(unused_variables, unreachable_patterns, clippy::redundant_pattern_matching)]
                match &__value {
                    $crate::__private::clean_pattern!($p) => {
                        return $crate::__private::Poll::Ready($out::$id(__value));
                    }
                    _ => {}
                }
            }
            $crate::__private::Poll::Pending => $any_enabled = true,
        }
    };
    (@expand $biased:tt; [$(($id:ident $bit:tt ($p:pat) ($f:expr) ($c:expr) ($h:tt)))+]; $else:expr) => {{
        #[allow(non_camel_case_types)]
        enum __Out<$($id,)+> { $($id($id),)+ Disabled }
        const BRANCHES: u32 = [$($bit),+].len() as u32;
        let mut __disabled: u64 = 0;
        $( if !$c { __disabled |= 1 << $bit; } )+
        let __output = {
            $( let mut $id = $crate::__private::pin!($crate::__private::IntoFuture::into_future($f)); )+
            let __start: u32 = if $biased { 0 } else { $crate::__private::start(BRANCHES) };
            $crate::__private::poll_fn(|__cx| {
                let mut __any_enabled = false;
                if BRANCHES <= 4 {
                    // Few branches: a loop over a jump table, which the
                    // compiler keeps branch-light.
                    for __i in 0..BRANCHES {
                        #[allow(clippy::modulo_one)]
                        let __branch = (__start + __i) % BRANCHES;
                        match __branch {
                            $(
                                $bit => if __disabled & (1 << $bit) == 0 {
                                    $crate::__select!(@poll $id $bit ($p) __cx __disabled __any_enabled __Out);
                                },
                            )+
                            _ => ::core::unreachable!("select!: a branch past the last"),
                        }
                    }
                } else {
                    // Many: unrolled from the start branch to the last, then
                    // from the first to the start, with no jump table to mispredict.
                    $(
                        if $bit >= __start && __disabled & (1 << $bit) == 0 {
                            $crate::__select!(@poll $id $bit ($p) __cx __disabled __any_enabled __Out);
                        }
                    )+
                    $(
                        if $bit < __start && __disabled & (1 << $bit) == 0 {
                            $crate::__select!(@poll $id $bit ($p) __cx __disabled __any_enabled __Out);
                        }
                    )+
                }
                if __any_enabled {
                    $crate::__private::Poll::Pending
                } else {
                    $crate::__private::Poll::Ready(__Out::Disabled)
                }
            })
            .await
        };
        match __output {
            $( __Out::$id($p) => $h, )+
            __Out::Disabled => $else,
            #[allow(unreachable_patterns)]
            _ => ::core::unreachable!("select!: an output that matched its pattern no longer does"),
        }
    }};
}
