//! The dump-on-signal example: SIGUSR1 prints a table of the live tasks and
//! what they wait on; SIGTERM stops it with status 0.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::watchdog;

const LIMIT: Duration = Duration::from_secs(60);

fn send(child: &std::process::Child, signal: libc::c_int) {
    // SAFETY: kill(2) on our own child's pid; no memory is involved.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
}

/// Kills the example if the test fails, so no process outlives it.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn sigusr1_prints_the_task_table_and_sigterm_stops_it() {
    watchdog(LIMIT, || {
        let mut child = KillOnDrop(
            Command::new(support::example("dump_on_signal"))
                .stdout(Stdio::piped())
                .spawn()
                .expect("the dump_on_signal example is built by `cargo test`"),
        );
        let child = &mut child.0;
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert!(line.contains("send SIGUSR1"), "{line:?}");

        // The example's tasks start on its workers meanwhile: ask again
        // until each has been polled into its wait (bounded in time: on a
        // loaded machine the workers may start late).
        let waits = ["timer due in", "mpsc::Receiver::recv", "Mutex::lock", "JoinHandle of task"];
        let mut table = String::new();
        let deadline = std::time::Instant::now() + LIMIT / 2;
        while std::time::Instant::now() < deadline {
            send(child, libc::SIGUSR1);
            line.clear();
            stdout.read_line(&mut line).unwrap();
            let count: usize = line.split(' ').next().unwrap().parse().unwrap_or_else(|_| panic!("{line:?}"));
            table.clear();
            for _ in 0..=count {
                stdout.read_line(&mut table).unwrap();
            }
            if waits.iter().all(|waits| table.contains(waits)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        for waits in waits {
            assert!(table.contains(waits), "no {waits:?} in\n{table}");
        }
        assert!(table.contains("examples/dump_on_signal.rs"), "{table}");

        send(child, libc::SIGTERM);
        assert!(child.wait().unwrap().success());
    });
}
