//! Misuse panics name the caller's line, not a line inside `runtime`
//! (issue 33, item 9). One test: the panic hook is process-wide.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Runs `f`, which must panic, and returns the file its panic names.
fn panic_file(f: impl FnOnce()) -> String {
    let file = Arc::new(Mutex::new(String::new()));
    let seen = file.clone();
    std::panic::set_hook(Box::new(move |info| {
        *seen.lock().unwrap() = info.location().map(|l| l.file().to_string()).unwrap_or_default();
    }));
    let result = catch_unwind(AssertUnwindSafe(f));
    let _ = std::panic::take_hook();
    assert!(result.is_err(), "it did not panic");
    let file = file.lock().unwrap().clone();
    file
}

/// A misuse, named.
type Case = (&'static str, Box<dyn FnOnce()>);

#[test]
fn misuse_panics_name_the_callers_line() {
    let here = file!();
    let current_thread = || runtime::Builder::new_current_thread().build().unwrap();
    let cases: Vec<Case> = vec![
        (
            "task::id outside a task",
            Box::new(|| {
                let _ = runtime::task::id();
            }),
        ),
        ("Handle::current outside a runtime", Box::new(|| drop(runtime::Handle::current()))),
        ("interval of zero", Box::new(|| drop(runtime::time::interval(Duration::ZERO)))),
        ("mpsc::channel(0)", Box::new(|| drop(runtime::sync::mpsc::channel::<u8>(0)))),
        ("broadcast::channel(0)", Box::new(|| drop(runtime::sync::broadcast::channel::<u8>(0)))),
        (
            "Builder::worker_threads(0)",
            Box::new(|| {
                runtime::Builder::new_multi_thread().worker_threads(0);
            }),
        ),
        ("time::pause outside a runtime", Box::new(|| runtime::time::pause())),
        (
            "time::resume when not paused",
            Box::new(move || current_thread().block_on(async { runtime::time::resume() })),
        ),
        (
            "block_on inside block_on",
            Box::new(move || current_thread().block_on(async { runtime::block_on(async {}) })),
        ),
    ];
    for (case, f) in cases {
        assert_eq!(panic_file(f), here, "{case}");
    }
}
