//! `task::coop`: `cooperative` spends the budget like the runtime's own
//! resources, and `has_budget_remaining` reports it.

mod support;

use std::time::Duration;

use runtime::task::coop::{cooperative, has_budget_remaining, unconstrained};
use support::watchdog;

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn cooperative_futures_spend_the_budget_until_none_remains() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_current_thread().build().unwrap();
        let spent = rt.block_on(runtime::spawn(async {
            let mut spent = 0;
            // Ends only because each completed poll spends a unit.
            while has_budget_remaining() {
                cooperative(async {}).await;
                spent += 1;
            }
            // The next one yields first, then completes on a fresh budget.
            cooperative(async {}).await;
            assert!(has_budget_remaining());
            spent
        }));
        assert_eq!(spent.unwrap(), 128);
    });
}

#[test]
fn outside_a_task_and_unconstrained_the_budget_never_runs_out() {
    assert!(has_budget_remaining());
    let rt = runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(runtime::spawn(unconstrained(async {
        for _ in 0..1_000 {
            cooperative(async {}).await;
        }
        assert!(has_budget_remaining());
    })))
    .unwrap();
}
