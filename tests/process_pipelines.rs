//! Children piped into each other, and the std `CommandExt` options at
//! tokio's names: uid, gid, process_group, arg0, pre_exec.

mod support;

use std::io::Read;
use std::os::fd::AsRawFd;
use std::process::Stdio;
use std::time::Duration;

use runtime::process::Command;
use support::watchdog;

const LIMIT: Duration = Duration::from_secs(60);

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    runtime::Builder::new_current_thread().build().unwrap().block_on(future)
}

#[test]
fn one_childs_stdout_is_the_next_ones_stdin() {
    watchdog(LIMIT, || {
        block_on(async {
            let mut first = Command::new("echo").arg("hello pipeline").stdout(Stdio::piped()).spawn().unwrap();
            let piped: Stdio = first.stdout.take().unwrap().try_into().unwrap();
            let second = Command::new("tr").args(["a-z", "A-Z"]).stdin(piped).output().await.unwrap();
            assert_eq!(second.stdout, b"HELLO PIPELINE\n");
            assert!(first.wait().await.unwrap().success());
        });
    });
}

/// `yes | sleep | cat`, and the middle one is killed: the first dies of
/// the broken pipe, the last reads end of file, and all three are reaped.
#[test]
fn a_pipeline_whose_middle_process_dies_leaves_no_process_behind() {
    watchdog(LIMIT, || {
        block_on(async {
            let mut first = Command::new("yes").stdout(Stdio::piped()).spawn().unwrap();
            let mut middle = {
                let mut command = Command::new("sleep");
                command.arg("60").stdin(Stdio::try_from(first.stdout.take().unwrap()).unwrap()).stdout(Stdio::piped());
                command.spawn().unwrap()
                // The command, and with it the parent's copy of yes's pipe, goes here.
            };
            let mut last = {
                let mut command = Command::new("cat");
                command.stdin(Stdio::try_from(middle.stdout.take().unwrap()).unwrap()).stdout(Stdio::null());
                command.spawn().unwrap()
            };
            middle.kill().await.unwrap();
            assert!(!middle.wait().await.unwrap().success());
            assert!(last.wait().await.unwrap().success(), "cat reads end of file and exits 0");
            let status = first.wait().await.unwrap();
            assert!(!status.success(), "yes dies of the broken pipe: {status:?}");
            for child in [&mut first, &mut middle, &mut last] {
                assert!(child.id().is_none(), "reaped");
            }
        });
    });
}

#[test]
fn into_owned_fd_is_off_the_reactor_and_blocking() {
    watchdog(LIMIT, || {
        block_on(async {
            let mut child = Command::new("echo").arg("sync").stdout(Stdio::piped()).spawn().unwrap();
            let fd = child.stdout.take().unwrap().into_owned_fd().unwrap();
            // SAFETY: F_GETFL on a descriptor we own.
            let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
            assert_eq!(flags & libc::O_NONBLOCK, 0, "blocking again");
            let mut text = String::new();
            std::fs::File::from(fd).read_to_string(&mut text).unwrap();
            assert_eq!(text, "sync\n");
            child.wait().await.unwrap();
            let mut stdin_child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
            let stdin = stdin_child.stdin.take().unwrap();
            drop(stdin.into_owned_fd().unwrap()); // closed: cat sees end of file
            assert!(stdin_child.wait().await.unwrap().success());
        });
    });
}

#[test]
fn command_ext_options_reach_the_child() {
    watchdog(LIMIT, || {
        block_on(async {
            // arg0: the child's argv[0].
            let out = Command::new("cat").arg0("renamed").arg("/proc/self/cmdline").output().await.unwrap();
            assert!(out.stdout.starts_with(b"renamed\0"), "{:?}", String::from_utf8_lossy(&out.stdout));

            // process_group(0): the child leads a group of its own.
            let out = Command::new("sh")
                .args(["-c", "echo $$; cut -d' ' -f5 /proc/$$/stat"])
                .process_group(0)
                .output()
                .await
                .unwrap();
            let text = String::from_utf8(out.stdout).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines[0], lines[1], "pid equals pgid: {text}");

            // uid and gid: applied as root; refused with the OS's error otherwise.
            let mut id = Command::new("id");
            id.arg("-u").uid(65534).gid(65534);
            // SAFETY: geteuid has no preconditions.
            if unsafe { libc::geteuid() } == 0 {
                assert_eq!(id.output().await.unwrap().stdout, b"65534\n");
            } else {
                assert_eq!(id.output().await.unwrap_err().kind(), std::io::ErrorKind::PermissionDenied);
            }

            // pre_exec: its error is the spawn's.
            let mut failing = Command::new("true");
            // SAFETY: the closure only builds an error from a number.
            unsafe { failing.pre_exec(|| Err(std::io::Error::from_raw_os_error(libc::EDOM))) };
            assert_eq!(failing.spawn().unwrap_err().raw_os_error(), Some(libc::EDOM));

            let mut command = Command::new("true");
            command.kill_on_drop(true);
            assert!(command.get_kill_on_drop());
            assert_eq!(command.as_std().get_program(), "true");
        });
    });
}

/// The same pipeline with every `Child` dropped instead of awaited, the
/// middle one killed first: the runtime reaps all three (a zombie keeps its
/// /proc entry until reaped).
#[test]
fn a_dropped_pipeline_is_reaped_too() {
    watchdog(LIMIT, || {
        let rt = runtime::Builder::new_current_thread().build().unwrap();
        let pids = rt.block_on(async {
            let mut first = Command::new("yes").stdout(Stdio::piped()).spawn().unwrap();
            let mut middle = Command::new("sleep")
                .arg("60")
                .stdin(Stdio::try_from(first.stdout.take().unwrap()).unwrap())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let last = Command::new("cat")
                .stdin(Stdio::try_from(middle.stdout.take().unwrap()).unwrap())
                .stdout(Stdio::null())
                .spawn()
                .unwrap();
            let pids: Vec<u32> = [&first, &middle, &last].iter().map(|child| child.id().unwrap()).collect();
            middle.start_kill().unwrap();
            drop((first, middle, last));
            pids
        });
        support::wait_until(LIMIT, || pids.iter().all(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists()));
    });
}

/// `cat` into `sort` into our reader: 4 MiB of lines in, every line out in
/// order, both children reaped.
#[test]
fn four_mebibytes_through_cat_and_sort() {
    use runtime::io::{AsyncReadExt, AsyncWriteExt};
    watchdog(LIMIT, || {
        block_on(async {
            // 4 MiB of 16-byte lines, in a scrambled order.
            let lines: Vec<String> =
                (0..262_144u32).map(|i| format!("{:015}\n", i.wrapping_mul(2_654_435_761))).collect();
            let input: Vec<u8> = lines.concat().into_bytes();
            assert_eq!(input.len(), 4 * 1024 * 1024);
            let mut cat = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
            let mut sort = Command::new("sort")
                .env("LC_ALL", "C")
                .stdin(Stdio::try_from(cat.stdout.take().unwrap()).unwrap())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = cat.stdin.take().unwrap();
            let writer = runtime::spawn(async move {
                stdin.write_all(&input).await.unwrap();
                stdin.close().await.unwrap();
            });
            let mut output = Vec::new();
            sort.stdout.take().unwrap().read_to_end(&mut output).await.unwrap();
            writer.await.unwrap();
            let mut expected = lines;
            expected.sort();
            assert_eq!(output.len(), 4 * 1024 * 1024, "no byte lost");
            assert!(output == expected.concat().into_bytes(), "every line, sorted");
            assert!(cat.wait().await.unwrap().success());
            assert!(sort.wait().await.unwrap().success());
            assert!(cat.id().is_none() && sort.id().is_none(), "both reaped");
        });
    });
}
