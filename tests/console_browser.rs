//! The console's page in a real browser: headless Chromium loads it from
//! the `console` example (a small mixed workload), runs its script, and the
//! DOM it leaves shows the task table and the worker bars. A screenshot
//! goes to `target/tmp/console.png`. CI installs Chromium (`.ci/run`);
//! where none can be found the test says loudly that it skipped.
#![cfg(feature = "console")]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::watchdog;

/// The Chromium binary, if installed.
fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| Command::new(name).arg("--version").output().is_ok_and(|out| out.status.success()))
}

/// Chromium, headless, on `url` with `args`; its stdout.
fn browse(chromium: &str, url: &str, args: &[&str]) -> String {
    let out = Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"])
        .arg("--virtual-time-budget=5000")
        .args(args)
        .arg(url)
        .output()
        .expect("run chromium");
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_page_shows_the_task_table_and_the_worker_bars_in_a_browser() {
    let Some(chromium) = chromium() else {
        eprintln!("SKIPPED: no Chromium here (apt-get install chromium); the page was not checked in a browser");
        return;
    };
    watchdog(Duration::from_secs(120), move || {
        let mut example = Command::new(support::example("console"))
            .env("CONSOLE_ADDR", "127.0.0.1:0")
            .env("EXAMPLE_SECONDS", "90")
            .stdout(Stdio::piped())
            .spawn()
            .expect("the console example is built by `cargo test`");
        let mut line = String::new();
        BufReader::new(example.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.trim().strip_prefix("console at ").expect("the example prints its console").to_string();

        let dom = browse(chromium, &url, &["--dump-dom"]);
        let tasks = dom.split("id=\"task-table\"").nth(1).expect("the task table");
        assert!(tasks.contains("<td>examples/console.rs:"), "no task rows: {dom}");
        assert!(tasks.contains("Mutex::lock"), "the contended mutex's waiters: {dom}");
        let workers = dom.split("id=\"worker-bars\"").nth(1).expect("the worker bars");
        assert!(workers.contains("data-worker=\"1\"") && workers.contains("<svg"), "{dom}");
        assert!(dom.contains("· live"), "the script ran and reached the server: {dom}");

        let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("console.png");
        browse(chromium, &url, &["--window-size=1200,1500", &format!("--screenshot={}", shot.display())]);
        assert!(std::fs::metadata(&shot).is_ok_and(|m| m.len() > 10_000), "a screenshot at {}", shot.display());
        let _ = example.kill();
        let _ = example.wait();
    });
}
