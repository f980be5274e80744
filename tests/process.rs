//! Child processes: exit codes, pipes both ways at once, stderr apart,
//! kills, no zombies, no leaked descriptors, and errors instead of panics.

mod support;

use std::process::Stdio;
use std::time::Duration;

use runtime::io::{AsyncReadExt, AsyncWriteExt};
use runtime::process::Command;
use support::{both_flavors, wait_until, watchdog};

const LIMIT: Duration = Duration::from_secs(60);

/// The tests here count this process's zombies and descriptors: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Zombie children of this process, from /proc.
fn zombies() -> usize {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path().join("stat")).ok())
        .filter(|stat| {
            // pid (comm) state ppid ...: the comm may hold spaces, so split after ')'.
            let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
            let fields: Vec<&str> = rest.split_whitespace().collect();
            fields.first() == Some(&"Z") && fields.get(1) == Some(&me.as_str())
        })
        .count()
}

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn exit_codes_and_statuses_come_back() {
    let _serial = serial();
    watchdog(LIMIT, || {
        for rt in both_flavors() {
            rt.block_on(async {
                assert!(Command::new("true").status().await.unwrap().success());
                let status = Command::new("sh").args(["-c", "exit 7"]).status().await.unwrap();
                assert_eq!(status.code(), Some(7));
                let mut child = Command::new("sh").args(["-c", "exit 3"]).spawn().unwrap();
                let id = child.id();
                assert!(id.is_some());
                assert_eq!(child.wait().await.unwrap().code(), Some(3));
                assert_eq!(child.wait().await.unwrap().code(), Some(3), "waiting again gives the same");
                assert_eq!(child.try_wait().unwrap().and_then(|s| s.code()), Some(3));
                assert_eq!(child.id(), None, "reaped");
            });
        }
    });
}

#[test]
fn four_mebibytes_through_cat_in_both_directions_at_once() {
    let _serial = serial();
    watchdog(LIMIT, || {
        for rt in both_flavors() {
            rt.block_on(async {
                let data: Vec<u8> = (0..4 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
                let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
                let mut stdin = child.stdin.take().unwrap();
                let mut stdout = child.stdout.take().unwrap();
                let writer = {
                    let data = data.clone();
                    runtime::spawn(async move {
                        stdin.write_all(&data).await.unwrap();
                        stdin.close().await.unwrap();
                    })
                };
                let mut back = Vec::new();
                stdout.read_to_end(&mut back).await.unwrap();
                writer.await.unwrap();
                assert!(back == data, "4 MiB came back whole and in order ({} bytes)", back.len());
                assert!(child.wait().await.unwrap().success());
            });
        }
    });
}

#[test]
fn output_keeps_stdout_and_stderr_apart() {
    let _serial = serial();
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let output = Command::new("sh").args(["-c", "echo out; echo err >&2; exit 2"]).output().await.unwrap();
            assert_eq!(output.stdout, b"out\n");
            assert_eq!(output.stderr, b"err\n");
            assert_eq!(output.status.code(), Some(2));
        });
    });
}

#[test]
fn kill_and_kill_on_drop_end_the_child() {
    let _serial = serial();
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let mut child = Command::new("sleep").arg("30").spawn().unwrap();
            child.kill().await.unwrap();
            assert_eq!(std::os::unix::process::ExitStatusExt::signal(&child.wait().await.unwrap()), Some(9));
            child.start_kill().unwrap(); // already gone: not an error

            let before = zombies();
            let child = Command::new("sleep").arg("30").kill_on_drop(true).spawn().unwrap();
            let pid = child.id().unwrap() as libc::pid_t;
            drop(child);
            // Killed and reaped: the pid is gone (not even a zombie).
            wait_until(Duration::from_secs(10), || {
                // SAFETY: kill with signal 0 only checks that the pid exists.
                let alive = unsafe { libc::kill(pid, 0) } == 0;
                !alive
            });
            assert_eq!(zombies(), before);
        });
    });
}

#[test]
fn many_children_at_once_are_all_reaped_even_when_dropped() {
    let _serial = serial();
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let before = zombies();
            let mut children: Vec<_> = (0..256).map(|_| Command::new("true").spawn().unwrap()).collect();
            // Half are waited for, half dropped while they may still run.
            let dropped = children.split_off(128);
            drop(dropped);
            for mut child in children {
                assert!(child.wait().await.unwrap().success());
            }
            wait_until(Duration::from_secs(20), || runtime::process::orphans_alive() == 0 && zombies() == before);
        });
    });
}

#[test]
fn a_child_that_exits_before_its_stdin_is_written_gives_broken_pipe() {
    let _serial = serial();
    watchdog(LIMIT, || {
        runtime::block_on(async {
            let mut child = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
            let mut stdin = child.stdin.take().unwrap();
            child.wait().await.unwrap();
            let big = vec![0u8; 1024 * 1024];
            let error = stdin.write_all(&big).await.unwrap_err();
            assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
        });
    });
}

#[test]
fn a_missing_program_is_not_found() {
    let _serial = serial();
    let error = Command::new("/no/such/program").spawn().unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn no_descriptor_is_leaked() {
    let _serial = serial();
    watchdog(LIMIT, || {
        runtime::block_on(async {
            // Warm up: the signal pipe, the reactors (an orphan is watched by
            // the process-wide one, made on the first).
            Command::new("true").output().await.unwrap();
            drop(Command::new("true").spawn().unwrap());
            wait_until(Duration::from_secs(10), || runtime::process::orphans_alive() == 0);
            let before = open_descriptors();
            for _ in 0..50 {
                let output = Command::new("echo").arg("x").output().await.unwrap();
                assert_eq!(output.stdout, b"x\n");
                let child = Command::new("true").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
                drop(child);
            }
            wait_until(Duration::from_secs(10), || runtime::process::orphans_alive() == 0);
            assert_eq!(open_descriptors(), before);
        });
    });
}

#[test]
fn the_process_and_signal_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let _serial = serial();
    let mut command = Command::new("true");
    assert_send(&command.status());
    assert_send(&command.output());
    let mut child = command.spawn().unwrap();
    assert_send(&child.wait());
    assert_send(&child.kill());
    assert_send(&runtime::signal::ctrl_c());
    let mut sig = runtime::signal::unix::signal(runtime::signal::unix::SignalKind::user_defined1()).unwrap();
    assert_send(&sig.recv());
    assert!(runtime::block_on(child.wait()).unwrap().success());
}
