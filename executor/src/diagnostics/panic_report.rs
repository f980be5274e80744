//! Panics name their task: a panic hook, chained in front of whatever hook
//! the process had, adds the id and spawn site of the task that panicked,
//! so a line such as "task 17 spawned at src/main.rs:40:5 panicked at
//! src/handler.rs:12:9" precedes std's own report (or the user's hook).
//!
//! Installed once per process, when the first runtime starts. A hook set
//! later replaces the chain as std's `set_hook` always does; one set
//! earlier runs after ours, so no hook is lost.

use std::panic::{self, PanicHookInfo};
use std::sync::Once;

/// Puts the task-naming hook in front of the current one, once.
pub(crate) fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if let Some(line) = report(info) {
                eprintln!("{line}");
            }
            previous(info);
        }));
    });
}

/// The line naming the task that panics here, if the panic is in a task.
fn report(info: &PanicHookInfo<'_>) -> Option<String> {
    let (id, spawned_at) = crate::task::current_origin()?;
    let mut line = format!("task {id} spawned at {spawned_at} panicked");
    if let Some(location) = info.location() {
        line.push_str(&format!(" at {location}"));
    }
    Some(line)
}
