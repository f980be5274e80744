//! Child processes through the reactor: [`Command`] builds and spawns one,
//! [`Child`] waits for it and holds its pipes.
//!
//! Spawning (fork and exec, inside `std`) runs on the caller's thread, as in
//! tokio: it is quick, and the blocking pool's hop would cost more than it
//! saves. The parent's ends of the pipes are non-blocking and registered
//! with the reactor. Exits are learned from a pidfd on the reactor (Linux
//! 5.3+), else from SIGCHLD through [`runtime::signal`](crate::signal) with
//! `waitpid(pid, WNOHANG)` for our own children only; no thread waits per
//! child. A dropped [`Child`] is reaped all the same (orphans.rs).

mod child;
mod exit;
mod orphans;
mod pipes;

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};

pub use child::Child;
#[doc(hidden)]
pub use exit::force_sigchld_fallback;
#[doc(hidden)]
pub use orphans::orphans_alive;
pub use pipes::{ChildStderr, ChildStdin, ChildStdout};

/// Builds a child process, as [`std::process::Command`] does, plus
/// [`kill_on_drop`](Command::kill_on_drop); spawns it as a [`Child`].
///
/// # Examples
/// ```
/// use runtime::process::Command;
///
/// # runtime::block_on(async {
/// let output = Command::new("echo").arg("hello").output().await?;
/// assert!(output.status.success());
/// assert_eq!(output.stdout, b"hello\n");
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
    /// Which of stdin, stdout, stderr the caller set (`output` keeps those).
    stdio_set: [bool; 3],
}

impl Command {
    /// A command that runs `program` (found on `PATH` unless it is a path).
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command { std: std::process::Command::new(program), kill_on_drop: false, stdio_set: [false; 3] }
    }

    /// Adds an argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, value);
        self
    }

    /// Sets environment variables for the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable for the child.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts the child with an empty environment.
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// The child's working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// The child's standard input (inherited by default for `spawn` and
    /// `status`, null for `output`).
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self.stdio_set[0] = true;
        self
    }

    /// The child's standard output (inherited by default for `spawn` and
    /// `status`, piped for `output`).
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self.stdio_set[1] = true;
        self
    }

    /// The child's standard error (as for [`stdout`](Command::stdout)).
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self.stdio_set[2] = true;
        self
    }

    /// Whether dropping the [`Child`] before it exits kills it (SIGKILL)
    /// first; off by default. Either way it is reaped.
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// The program this command runs.
    pub fn get_program(&self) -> &OsStr {
        self.std.get_program()
    }

    /// Whether dropping the [`Child`] kills it; see [`kill_on_drop`](Command::kill_on_drop).
    pub fn get_kill_on_drop(&self) -> bool {
        self.kill_on_drop
    }

    /// The `std` command underneath.
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// The `std` command underneath, for what `std` offers beyond this type.
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// The child runs as this user id (`setuid` before `exec`).
    pub fn uid(&mut self, id: u32) -> &mut Command {
        std::os::unix::process::CommandExt::uid(&mut self.std, id);
        self
    }

    /// The child runs with this group id (`setgid` before `exec`).
    pub fn gid(&mut self, id: u32) -> &mut Command {
        std::os::unix::process::CommandExt::gid(&mut self.std, id);
        self
    }

    /// Puts the child in process group `pgroup` (0: a new group led by the
    /// child), so that signals to the caller's group do not reach it.
    pub fn process_group(&mut self, pgroup: i32) -> &mut Command {
        std::os::unix::process::CommandExt::process_group(&mut self.std, pgroup);
        self
    }

    /// The child's `argv[0]`, in place of the program's name.
    pub fn arg0(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        std::os::unix::process::CommandExt::arg0(&mut self.std, arg);
        self
    }

    /// Runs `f` in the child after `fork` and before `exec`.
    ///
    /// # Safety
    /// As `std::os::unix::process::CommandExt::pre_exec`: `f` runs in a
    /// forked copy of this process where only async-signal-safe calls are
    /// sound (no allocation, no locks another thread may have held).
    #[allow(unsafe_code)] // the crate's one: std's contract, passed on unchanged
    pub unsafe fn pre_exec<F>(&mut self, f: F) -> &mut Command
    where
        F: FnMut() -> io::Result<()> + Send + Sync + 'static,
    {
        // SAFETY: the caller upholds pre_exec's contract (above).
        unsafe { std::os::unix::process::CommandExt::pre_exec(&mut self.std, f) };
        self
    }

    /// Starts the child.
    ///
    /// # Errors
    /// What `std` reports: [`io::ErrorKind::NotFound`] for a missing
    /// program, the OS's error when it cannot fork or make the pipes.
    pub fn spawn(&mut self) -> io::Result<Child> {
        Child::new(self.std.spawn()?, self.kill_on_drop)
    }

    /// Runs the child to its end (stdio inherited unless set) and returns
    /// its exit status.
    ///
    /// # Errors
    /// As [`spawn`](Command::spawn), and what waiting reports.
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        self.spawn()?.wait().await
    }

    /// Runs the child to its end with stdout and stderr captured (stdin null
    /// unless set) and returns them with its status.
    ///
    /// # Errors
    /// As [`spawn`](Command::spawn), and what reading or waiting reports.
    pub async fn output(&mut self) -> io::Result<Output> {
        // std's defaults for `output`, where the caller set nothing (they stay
        // set on this command afterwards).
        if !self.stdio_set[0] {
            self.std.stdin(Stdio::null());
        }
        if !self.stdio_set[1] {
            self.std.stdout(Stdio::piped());
        }
        if !self.stdio_set[2] {
            self.std.stderr(Stdio::piped());
        }
        self.spawn()?.wait_with_output().await
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command").field("std", &self.std).field("kill_on_drop", &self.kill_on_drop).finish()
    }
}

impl From<std::process::Command> for Command {
    fn from(std: std::process::Command) -> Command {
        Command { std, kill_on_drop: false, stdio_set: [false; 3] }
    }
}
