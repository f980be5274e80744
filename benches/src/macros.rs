//! The task-level macros and `LocalSet`, beside their peers.
//!
//! - `select2`, `select8`: a million `select!`s over one ready future and
//!   1 or 7 that never complete, each macro on a plain current-thread
//!   `block_on` of its own runtime (futures' on ours: it needs no runtime);
//!   this times the macro, its branch order and its polls, not a scheduler.
//! - `local_set`: 1,000 `spawn_local` tasks yielding 100 times each in a
//!   `LocalSet` on a current-thread runtime (smol: a `LocalExecutor`).

use std::future::{pending, ready};
use std::time::Instant;

pub const WORKLOADS: [&str; 3] = ["select2", "select8", "local_set"];

const SELECTS: u64 = 1_000_000;
const LOCAL_TASKS: usize = 1_000;
const LOCAL_YIELDS: usize = 100;

/// The `select!` loop on one crate's macro and current-thread runtime:
/// one ready future and 1 or 7 `pending` ones that never complete.
macro_rules! select_loop {
    ($name:ident, $($select:ident)::+, $rt:expr) => {
        fn $name(eight: bool) -> u64 {
            let rt = $rt;
            rt.block_on(async {
                let mut sum = 0;
                for i in 0..SELECTS {
                    sum += if eight {
                        $($select)::+! {
                            v = ready(i) => v,
                            v = pending::<u64>() => v,
                            v = pending::<u64>() => v,
                            v = pending::<u64>() => v,
                            v = pending::<u64>() => v,
                            v = pending::<u64>() => v,
                            v = pending::<u64>() => v,
                            v = pending::<u64>() => v,
                        }
                    } else {
                        $($select)::+! {
                            v = ready(i) => v,
                            v = pending::<u64>() => v,
                        }
                    };
                }
                sum
            })
        }
    };
}

select_loop!(ours, runtime::select, runtime::Builder::new_current_thread().build().unwrap());
select_loop!(tokio, tokio::select, tokio::runtime::Builder::new_current_thread().build().unwrap());

/// futures' `select!` wants fused, `Unpin` futures: its own `ready` and `pending` are.
fn futures(eight: bool) -> u64 {
    use futures_util::future::{pending, ready};
    let rt = runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let mut sum = 0;
        for i in 0..SELECTS {
            let mut a = ready(i);
            let (mut b, mut c, mut d, mut e, mut f, mut g, mut h) =
                (pending(), pending(), pending(), pending(), pending(), pending(), pending());
            sum += if eight {
                futures_util::select! {
                    v = a => v,
                    v = b => v,
                    v = c => v,
                    v = d => v,
                    v = e => v,
                    v = f => v,
                    v = g => v,
                    v = h => v,
                }
            } else {
                futures_util::select! {
                    v = a => v,
                    v = b => v,
                }
            };
        }
        sum
    })
}

async fn yielder_ours() {
    for _ in 0..LOCAL_YIELDS {
        runtime::task::yield_now().await;
    }
}

fn local_set_ours() {
    let rt = runtime::Builder::new_current_thread().build().unwrap();
    let local = runtime::task::LocalSet::new();
    local.block_on(&rt, async {
        let tasks: Vec<_> = (0..LOCAL_TASKS).map(|_| runtime::task::spawn_local(yielder_ours())).collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
}

fn local_set_tokio() {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        let tasks: Vec<_> = (0..LOCAL_TASKS)
            .map(|_| {
                tokio::task::spawn_local(async {
                    for _ in 0..LOCAL_YIELDS {
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
}

fn local_set_smol() {
    let local = smol::LocalExecutor::new();
    smol::block_on(local.run(async {
        let tasks: Vec<_> = (0..LOCAL_TASKS)
            .map(|_| {
                local.spawn(async {
                    for _ in 0..LOCAL_YIELDS {
                        smol::future::yield_now().await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await;
        }
    }));
}

/// One sample, in ms: column 0 is ours, 1 tokio's, 2 futures' `select!` (local_set: smol's executor).
pub fn sample(which: usize, name: &str) -> Vec<f64> {
    let start = Instant::now();
    match (name, which) {
        ("local_set", 0) => local_set_ours(),
        ("local_set", 1) => local_set_tokio(),
        ("local_set", _) => local_set_smol(),
        (name, which) => {
            let eight = name == "select8";
            let sum = [ours, tokio, futures][which.min(2)](eight);
            assert_eq!(sum, SELECTS * (SELECTS - 1) / 2);
        }
    }
    vec![start.elapsed().as_secs_f64() * 1e3]
}
