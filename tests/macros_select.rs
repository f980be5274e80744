//! `select!`, `join!` and `try_join!` with tokio's grammar and semantics.

mod support;

use std::cell::{Cell, RefCell};
use std::future::{pending, ready, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use runtime::time::sleep;
use support::DropCounter;

/// A future that fails the test if it is ever polled.
struct MustNotPoll;

impl Future for MustNotPoll {
    type Output = u8;
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u8> {
        panic!("a disabled branch's future was polled");
    }
}

/// Ready after `polls` polls, waking itself in between (not `Unpin`-free:
/// it holds a sleep once, below, where that matters).
fn after_polls(polls: usize, value: u8) -> impl Future<Output = u8> {
    let mut left = polls;
    std::future::poll_fn(move |cx| {
        if left == 0 {
            return Poll::Ready(value);
        }
        left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

#[runtime::test]
async fn the_first_future_to_complete_chooses_the_branch() {
    let picked = runtime::select! {
        value = after_polls(3, 1) => value,
        value = after_polls(1, 2) => value,
        _ = pending::<()>() => 0,
    };
    assert_eq!(picked, 2);
}

#[runtime::test]
async fn biased_polls_in_source_order() {
    // Both are ready at the first poll: biased always takes the first.
    for _ in 0..200 {
        let picked = runtime::select! {
            biased;
            a = ready(1) => a,
            b = ready(2) => b,
        };
        assert_eq!(picked, 1, "biased; must poll the branches in order");
        // Past four branches the polls are unrolled: the order holds there too.
        let picked = runtime::select! {
            biased;
            Some(v) = ready(None::<u8>) => v,
            a = ready(1) => a,
            b = ready(2) => b,
            c = ready(3) => c,
            d = ready(4) => d,
            e = ready(5) => e,
        };
        assert_eq!(picked, 1, "biased; must poll the branches in order");
    }
}

#[runtime::test]
async fn unbiased_starts_at_a_random_branch() {
    // With a random start each of four ready branches is taken; the chance
    // that one is missed in 400 tries is under 4 * (3/4)^400.
    let mut seen = [0u32; 4];
    for _ in 0..400 {
        let picked: usize = runtime::select! {
            a = ready(0) => a,
            b = ready(1) => b,
            c = ready(2) => c,
            d = ready(3) => d,
        };
        seen[picked] += 1;
    }
    assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
    // Unrolled (more than four branches): every start is taken too.
    let mut seen = [0u32; 6];
    for _ in 0..600 {
        let picked: usize = runtime::select! {
            a = ready(0) => a,
            b = ready(1) => b,
            c = ready(2) => c,
            d = ready(3) => d,
            e = ready(4) => e,
            f = ready(5) => f,
        };
        seen[picked] += 1;
    }
    assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
}

#[runtime::test]
async fn a_false_condition_disables_its_branch_but_evaluates_its_future() {
    let evaluated = Cell::new(0);
    let make = || {
        evaluated.set(evaluated.get() + 1);
        MustNotPoll
    };
    let enabled = false;
    let picked = runtime::select! {
        v = make(), if enabled => v,
        v = after_polls(2, 7) => v,
    };
    assert_eq!(picked, 7);
    assert_eq!(evaluated.get(), 1, "a disabled branch's future is still evaluated");
}

#[runtime::test]
async fn conditions_are_evaluated_before_the_futures_in_source_order() {
    let order = RefCell::new(Vec::new());
    let note = |what: &'static str| {
        order.borrow_mut().push(what);
        true
    };
    let future = |what: &'static str| {
        order.borrow_mut().push(what);
        ready(())
    };
    runtime::select! {
        biased;
        () = future("future 1"), if note("condition 1") => {}
        () = future("future 2"), if note("condition 2") => {}
    }
    assert_eq!(*order.borrow(), ["condition 1", "condition 2", "future 1", "future 2"]);
}

#[runtime::test]
async fn a_pattern_that_does_not_match_disables_the_branch_and_goes_on() {
    let picked = runtime::select! {
        biased;
        Some(v) = ready(None::<u8>) => v,
        Ok(v) = ready(Err::<u8, ()>(())) => v,
        v = after_polls(3, 9) => v,
    };
    assert_eq!(picked, 9);
}

#[runtime::test]
async fn else_runs_when_every_branch_is_disabled() {
    let picked = runtime::select! {
        Some(v) = ready(None::<u8>) => v,
        v = MustNotPoll, if false => v,
        else => 42,
    };
    assert_eq!(picked, 42);
}

#[runtime::test]
#[should_panic(expected = "all branches are disabled and there is no else branch")]
async fn every_branch_disabled_without_else_panics_with_tokios_message() {
    let _: u8 = runtime::select! {
        Some(v) = ready(None::<u8>) => v,
        v = MustNotPoll, if false => v,
    };
}

#[runtime::test]
async fn futures_need_no_fuse_and_no_unpin_and_may_be_borrowed() {
    // Not Unpin: an async block holding a sleep. Borrowed: reused across
    // iterations, as tokio programs do with a pinned deadline.
    let deadline = sleep(Duration::from_secs(60));
    runtime::pin!(deadline);
    let (tx, mut rx) = runtime::sync::mpsc::channel::<u8>(4);
    runtime::spawn(async move {
        for n in 1..=3 {
            tx.send(n).await.unwrap();
        }
    });
    let mut total = 0;
    loop {
        runtime::select! {
            message = rx.recv() => match message {
                Some(n) => total += n,
                None => break,
            },
            () = &mut deadline => panic!("the deadline passed"),
            () = async { sleep(Duration::from_secs(60)).await } => unreachable!(),
        }
    }
    assert_eq!(total, 6);
    // The borrow ended with select!: the deadline is usable again.
    deadline.as_mut().reset(runtime::time::Instant::now());
    deadline.await;
}

#[runtime::test]
async fn the_futures_are_dropped_before_the_handler_runs() {
    let drops = DropCounter::default();
    let guard = drops.guard();
    let held = async move {
        let _guard = guard;
        pending::<()>().await
    };
    runtime::select! {
        () = held => unreachable!(),
        () = ready(()) => assert_eq!(drops.count(), 1, "the losing future is dropped first"),
    }
}

async fn handler_control_flow() -> Result<u32, &'static str> {
    let mut laps = 0;
    loop {
        laps += 1;
        runtime::select! {
            biased;
            () = ready(()), if laps < 3 => continue,
            v = ready(laps), if laps == 3 => {
                if v == 3 {
                    break;
                }
            }
        }
    }
    runtime::select! {
        r = ready(Err("failed")) => r?,
    };
    Ok(laps)
}

#[runtime::test]
async fn handlers_break_continue_and_return_in_the_callers_code() {
    assert_eq!(handler_control_flow().await, Err("failed"));
    let early = async {
        runtime::select! {
            v = ready(5) => if v > 0 {
                return v * 2;
            },
        }
        0
    };
    assert_eq!(early.await, 10);
}

#[runtime::test]
async fn patterns_bind_by_value_with_ref_mut_tuples_and_alternatives() {
    let n = runtime::select! {
        mut n = ready(1) => {
            n += 1;
            n
        }
    };
    assert_eq!(n, 2);
    let len = runtime::select! {
        ref s = ready(String::from("abc")) => s.len(),
    };
    assert_eq!(len, 3);
    let owned: String = runtime::select! {
        (_, s) = ready((1, String::from("moved"))) => s,
    };
    assert_eq!(owned, "moved");
    let small = runtime::select! {
        1 | 2 = ready(2) => true,
        else => false,
    };
    assert!(small);
}

#[runtime::test]
async fn branches_have_outputs_of_different_types() {
    let text: String = runtime::select! {
        biased;
        n = after_polls(1, 4) => n.to_string(),
        s = ready("now") => s.to_owned(),
        () = sleep(Duration::from_secs(60)) => String::new(),
    };
    assert_eq!(text, "now");
}

#[runtime::test]
async fn a_branch_woken_from_another_task_is_taken() {
    let (tx, rx) = runtime::sync::oneshot::channel();
    runtime::spawn(async move {
        runtime::task::yield_now().await;
        tx.send(11u8).unwrap();
    });
    let picked = runtime::select! {
        v = rx => v.unwrap(),
        () = sleep(Duration::from_secs(60)) => panic!("the message never came"),
    };
    assert_eq!(picked, 11);
}

#[runtime::test]
async fn eight_branches() {
    let picked = runtime::select! {
        v = after_polls(9, 0) => v,
        v = after_polls(8, 1) => v,
        v = after_polls(7, 2) => v,
        v = after_polls(6, 3) => v,
        v = after_polls(5, 4) => v,
        v = after_polls(2, 5) => v,
        v = after_polls(4, 6) => v,
        v = after_polls(3, 7) => v,
    };
    assert_eq!(picked, 5);
}

#[runtime::test]
async fn join_returns_every_output_in_order() {
    let polled = Rc::new(RefCell::new(Vec::new()));
    let track = |name: u8, polls: usize| {
        let polled = polled.clone();
        async move {
            let value = after_polls(polls, name).await;
            polled.borrow_mut().push(name);
            value
        }
    };
    let (a, b, c) = runtime::join!(track(1, 3), track(2, 1), track(3, 2));
    assert_eq!((a, b, c), (1, 2, 3));
    assert_eq!(*polled.borrow(), [2, 3, 1], "they ran concurrently, in one task");
    assert_eq!(runtime::join!(), ());
    let (only,) = runtime::join!(biased; ready('x'));
    assert_eq!(only, 'x');
}

#[runtime::test]
async fn join_rotates_its_first_future_unless_biased() {
    let order = Rc::new(RefCell::new(Vec::new()));
    // Records its name at each poll; ready at the third.
    let record = |name: u8| {
        let order = order.clone();
        let mut polls = 0;
        std::future::poll_fn(move |cx| {
            order.borrow_mut().push(name);
            polls += 1;
            if polls == 3 {
                return Poll::Ready(name);
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        })
    };
    let firsts = |order: &RefCell<Vec<u8>>| order.borrow().chunks(2).map(|round| round[0]).collect::<Vec<u8>>();
    let _ = runtime::join!(record(1), record(2));
    assert_eq!(firsts(&order), [1, 2, 1], "the first polled future rotates");
    order.borrow_mut().clear();
    let _ = runtime::join!(biased; record(1), record(2));
    assert_eq!(firsts(&order), [1, 1, 1], "biased; polls in order");
}

#[runtime::test]
async fn try_join_returns_the_first_error_and_drops_the_rest() {
    let drops = DropCounter::default();
    let guard = drops.guard();
    let slow = async move {
        let _guard = guard;
        pending::<Result<u8, &str>>().await
    };
    let failed: Result<(u8, u8), &str> = runtime::try_join!(slow, async {
        after_polls(2, 0).await;
        Err("second failed")
    });
    assert_eq!(failed, Err("second failed"));
    assert_eq!(drops.count(), 1);
    let ok: Result<(u8, char, String), ()> =
        runtime::try_join!(async { Ok(1) }, async { Ok('c') }, async { Ok(String::from("s")) });
    assert_eq!(ok, Ok((1, 'c', String::from("s"))));
    assert_eq!(runtime::try_join!(), Ok::<(), ()>(()));
}

#[test]
fn a_bad_branch_is_a_readable_compile_error() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/select_missing_handler.rs");
    cases.compile_fail("tests/ui/select_no_branch.rs");
}
