//! Child processes waited for through SIGCHLD, as on a kernel without
//! pidfd_open: forced for this whole test binary.

mod support;

use std::time::Duration;

use runtime::process::Command;
use support::{both_flavors, wait_until, watchdog};

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn children_are_waited_for_and_reaped_through_sigchld() {
    runtime::process::force_sigchld_fallback();
    watchdog(LIMIT, || {
        for rt in both_flavors() {
            rt.block_on(async {
                assert_eq!(Command::new("sh").args(["-c", "exit 4"]).status().await.unwrap().code(), Some(4));
                let output = Command::new("echo").arg("hi").output().await.unwrap();
                assert_eq!(output.stdout, b"hi\n");
                // Many at once: one SIGCHLD may stand for several exits.
                let children: Vec<_> = (0..64).map(|_| Command::new("true").spawn().unwrap()).collect();
                let mut children = children;
                let dropped = children.split_off(32);
                drop(dropped);
                for mut child in children {
                    assert!(child.wait().await.unwrap().success());
                }
                let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
                sleeper.kill().await.unwrap();
            });
        }
        wait_until(Duration::from_secs(20), || runtime::process::orphans_alive() == 0);
    });
}
