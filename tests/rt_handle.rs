//! `Handle::try_current`: tokio's `Result` with its two error kinds.

use runtime::{Handle, Runtime};

#[test]
fn try_current_finds_the_runtime_wherever_its_code_runs_and_says_why_not_elsewhere() {
    let error = Handle::try_current().unwrap_err();
    assert!(error.is_missing_context() && !error.is_thread_local_destroyed());
    assert!(
        error.to_string().starts_with("there is no reactor running, must be called from the context of a"),
        "{error}"
    );
    let rt = Runtime::new().unwrap();
    rt.block_on(async {
        assert!(Handle::try_current().is_ok(), "in block_on");
        assert!(runtime::spawn(async { Handle::try_current().is_ok() }).await.unwrap(), "in a task");
        assert!(runtime::spawn_blocking(|| Handle::try_current().is_ok()).await.unwrap(), "on the blocking pool");
    });
    let _entered = rt.handle().enter();
    assert!(Handle::try_current().is_ok(), "inside Handle::enter");
}

#[test]
#[should_panic(expected = "there is no reactor running, must be called from the context of a")]
fn current_outside_a_runtime_panics_with_tokios_words() {
    let _ = Handle::current();
}

#[test]
fn try_current_in_a_thread_local_destructor_is_an_error_not_a_panic() {
    struct AtExit;
    impl Drop for AtExit {
        fn drop(&mut self) {
            // Either kind, depending on which thread-local goes first; never a panic.
            let error = Handle::try_current().unwrap_err();
            assert!(error.is_missing_context() ^ error.is_thread_local_destroyed());
        }
    }
    thread_local!(static AT_EXIT: AtExit = const { AtExit });
    std::thread::spawn(|| AT_EXIT.with(|_| ())).join().unwrap();
}

#[test]
fn runtime_enter_makes_spawn_reach_it() {
    let rt = Runtime::new().unwrap();
    let guard = rt.enter();
    let task = runtime::spawn(async { Handle::current().metrics().num_workers() });
    assert_eq!(rt.block_on(task).unwrap(), rt.metrics().num_workers());
    drop(guard);
    assert!(Handle::try_current().is_err(), "the guard left the context");
}

#[test]
fn shutdown_background_does_not_wait_for_a_blocking_job() {
    let rt = Runtime::new().unwrap();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (started_tx, started) = std::sync::mpsc::channel();
    drop(rt.spawn_blocking(move || {
        started_tx.send(()).unwrap();
        // Bounded: the test fails rather than hangs if nobody releases it.
        released.recv_timeout(std::time::Duration::from_secs(20)).is_ok()
    }));
    started.recv().unwrap();
    let begun = std::time::Instant::now();
    rt.shutdown_background();
    // Without the zero timeout this returned only after the 20 s job.
    assert!(begun.elapsed() < std::time::Duration::from_secs(10));
    release.send(()).unwrap();
}

/// tokio's paths: `tokio::runtime::Builder` ports to `runtime::runtime::Builder`,
/// the same types as the crate root's.
#[test]
fn the_runtime_module_has_tokios_names() {
    use runtime::runtime::{Builder, EnterGuard, Handle, Runtime, RuntimeFlavor, RuntimeMetrics, TryCurrentError};
    let rt: Runtime = Builder::new_current_thread().enable_all().build().unwrap();
    let same: &runtime::Runtime = &rt;
    let guard: EnterGuard<'_> = same.enter();
    let handle: Handle = Handle::current();
    assert_eq!(handle.runtime_flavor(), RuntimeFlavor::CurrentThread);
    let metrics: RuntimeMetrics = handle.metrics();
    assert_eq!(metrics.num_workers(), 1);
    drop(guard);
    let error: TryCurrentError = Handle::try_current().unwrap_err();
    assert!(error.is_missing_context());
}
