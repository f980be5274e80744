//! A panic in a task is reported with the task's id and spawn site, before
//! std's report, through the panic hook chain.

mod support;

use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use runtime::Builder;
use support::watchdog;

/// Runs only as the child of the test below: a user hook set before the
/// runtime, a panicking task awaited, and a detached one.
#[test]
fn child_panics_in_tasks() {
    if std::env::var_os("PANIC_REPORT_CHILD").is_none() {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        eprintln!("user hook saw: {}", info.payload().downcast_ref::<&str>().unwrap_or(&"?"));
        previous(info);
    }));
    let rt = Builder::new_multi_thread().worker_threads(1).build().unwrap();
    let awaited = rt.spawn(async { panic!("awaited boom") }); // AWAITED
    let id = awaited.id();
    assert!(rt.block_on(awaited).unwrap_err().is_panic());
    eprintln!("awaited id {id}");
    let (tx, rx) = mpsc::channel::<()>();
    let detached = rt.spawn(panic_dropping(tx)); // DETACHED
    eprintln!("detached id {}", detached.id());
    drop(detached);
    assert!(rx.recv_timeout(Duration::from_secs(10)).is_err(), "the sender went with the task");
    // A panic outside any task gets no task line.
    let _ = std::panic::catch_unwind(|| panic!("outside boom"));
}

async fn panic_dropping(done: mpsc::Sender<()>) {
    let _done = done; // dropped as the panic unwinds
    panic!("detached boom")
}

/// The line of `marker` in this file.
fn line_of(marker: &str) -> usize {
    let source = include_str!("rt_panic_report.rs");
    let index = source.lines().position(|line| line.ends_with(marker)).unwrap();
    index + 1
}

#[test]
fn a_task_panic_names_the_task_and_keeps_the_users_hook() {
    let stderr = watchdog(Duration::from_secs(60), || {
        let output = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_panics_in_tasks", "--nocapture", "--test-threads=1"])
            .env("PANIC_REPORT_CHILD", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "the child failed: {stderr}");
        stderr
    });
    let id_of = |what: &str| {
        let prefix = format!("{what} id ");
        stderr.lines().find_map(|line| line.strip_prefix(&prefix)).unwrap_or_else(|| panic!("{stderr}")).to_owned()
    };
    for (what, marker, message) in
        [("awaited", "// AWAITED", "awaited boom"), ("detached", "// DETACHED", "detached boom")]
    {
        let line = line_of(marker);
        let expected = format!("task {} spawned at {}:{line}:", id_of(what), file!());
        let report =
            stderr.lines().find(|l| l.starts_with(&expected)).unwrap_or_else(|| panic!("{expected}\n{stderr}"));
        assert!(report.contains(&format!("panicked at {}:", file!())), "{report}");
        assert!(stderr.contains(&format!("user hook saw: {message}")), "the user's hook still runs:\n{stderr}");
        assert!(stderr.contains(message), "std's report follows:\n{stderr}");
    }
    assert!(stderr.contains("user hook saw: outside boom"));
    assert_eq!(stderr.matches("spawned at").count(), 2, "a panic outside tasks names none:\n{stderr}");
}
