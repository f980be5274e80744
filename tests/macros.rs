//! `#[runtime::test]` and `#[runtime::main]` as an application uses them.

#[runtime::test]
async fn test_defaults_to_the_current_thread_flavor() {
    assert_eq!(runtime::Handle::current().num_workers(), 1);
    let me = std::thread::current().id();
    assert_eq!(runtime::spawn(async { std::thread::current().id() }).await.unwrap(), me);
}

#[runtime::test(flavor = "multi_thread", worker_threads = 3)]
async fn test_takes_the_flavor_and_worker_threads() {
    assert_eq!(runtime::Handle::current().num_workers(), 3);
}

#[runtime::test]
async fn test_may_return_a_result() -> Result<(), Box<dyn std::error::Error>> {
    let n: u32 = "42".parse()?;
    assert_eq!(runtime::spawn(async move { n }).await?, 42);
    Ok(())
}

#[runtime::test]
#[should_panic(expected = "inside the test")]
async fn test_keeps_other_attributes() {
    panic!("inside the test");
}

/// `crate = "..."`: the expansion names the runtime through this path.
mod renamed {
    use runtime as my_runtime;

    #[my_runtime::test(crate = "my_runtime")]
    async fn test_names_the_runtime_by_the_given_path() {
        assert_eq!(my_runtime::spawn(async { 2 }).await.unwrap(), 2);
    }
}

#[runtime::test(flavor = "local")]
async fn the_local_flavor_runs_the_body_in_a_local_set() {
    let shared = std::rc::Rc::new(std::cell::Cell::new(1));
    let task = runtime::task::spawn_local({
        let shared = shared.clone();
        async move { shared.set(shared.get() + 1) }
    });
    task.await.unwrap();
    assert_eq!(shared.get(), 2);
    assert_eq!(runtime::Handle::current().runtime_flavor(), runtime::RuntimeFlavor::CurrentThread);
}

#[test]
fn macro_errors_point_at_the_offending_tokens() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/main_returns_result.rs");
    cases.compile_fail("tests/ui/main_not_async.rs");
    cases.compile_fail("tests/ui/unknown_option.rs");
    cases.compile_fail("tests/ui/bad_worker_threads.rs");
    cases.compile_fail("tests/ui/bad_flavor.rs");
    cases.compile_fail("tests/ui/start_paused_multi_thread.rs");
    cases.compile_fail("tests/ui/worker_threads_on_current_thread.rs");
    cases.compile_fail("tests/ui/main_with_arguments.rs");
    cases.compile_fail("tests/ui/test_with_test_attribute.rs");
    cases.compile_fail("tests/ui/bad_crate_path.rs");
    cases.compile_fail("tests/ui/local_with_worker_threads.rs");
}
