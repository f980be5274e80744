//! task_local!: a value per task, following it across workers, absent
//! outside its scope.

mod support;

use std::time::Duration;

use support::{both_flavors, watchdog};

const LIMIT: Duration = Duration::from_secs(if cfg!(miri) { 600 } else { 60 });

runtime::task::task_local! {
    static REQUEST: u32;
    /// A second key in the same invocation.
    pub static NAME: String;
}

#[test]
fn each_task_sees_its_own_value_across_yields_and_workers() {
    watchdog(LIMIT, || {
        for rt in both_flavors() {
            rt.block_on(async {
                let tasks: Vec<_> = (0..50)
                    .map(|i| {
                        runtime::spawn(REQUEST.scope(i, async move {
                            for _ in 0..20 {
                                runtime::task::yield_now().await;
                                assert_eq!(REQUEST.get(), i, "never another task's value");
                            }
                            REQUEST.with(|v| *v)
                        }))
                    })
                    .collect();
                for (i, task) in tasks.into_iter().enumerate() {
                    assert_eq!(task.await.unwrap(), i as u32);
                }
                assert!(REQUEST.try_with(|_| ()).is_err(), "unset outside every scope");
            });
        }
    });
}

#[test]
fn scopes_nest_and_restore_and_sync_scope_works() {
    watchdog(LIMIT, || {
        runtime::block_on(NAME.scope(String::from("outer"), async {
            NAME.scope(String::from("inner"), async { assert_eq!(NAME.get(), "inner") }).await;
            assert_eq!(NAME.get(), "outer");
            let len = NAME.sync_scope(String::from("sync"), || NAME.with(|n| n.len()));
            assert_eq!(len, 4);
            assert_eq!(NAME.get(), "outer");
        }));
        assert!(NAME.try_with(|_| ()).is_err());
    });
}

#[test]
fn the_inner_future_is_dropped_inside_its_scope() {
    struct Reads;
    impl Drop for Reads {
        fn drop(&mut self) {
            assert_eq!(REQUEST.try_with(|v| *v), Ok(9), "dropped inside the scope");
        }
    }
    let guard = Reads;
    let future = REQUEST.scope(9, async move {
        let _guard = guard;
        std::future::pending::<()>().await
    });
    drop(future);
}

#[test]
#[should_panic(expected = "outside its `scope`")]
fn with_outside_a_scope_panics_with_a_clear_message() {
    REQUEST.with(|_| ());
}
