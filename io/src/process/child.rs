//! [`Child`]: a spawned process, its pipes, and waiting for it.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::process::ExitStatus;
use std::task::{Context, Poll};

use super::exit::Exit;
use super::orphans;
use super::pipes::{ChildStderr, ChildStdin, ChildStdout};
use runtime_executor::{Resource, WaitingOn};

/// What a task waiting for a child waits on, in a task dump.
static EXIT: Resource = Resource::new("a child process to exit");

/// A child process made by [`Command::spawn`](super::Command::spawn).
///
/// Dropping a `Child` does not wait for the process, but it is still reaped
/// when it exits (no zombie stays), and with
/// [`kill_on_drop`](super::Command::kill_on_drop) it is killed first.
pub struct Child {
    /// `None` once reaped or handed to the orphans.
    child: Option<std::process::Child>,
    exit: Option<Exit>,
    status: Option<ExitStatus>,
    kill_on_drop: bool,
    /// The child's standard input, when it was piped.
    pub stdin: Option<ChildStdin>,
    /// The child's standard output, when it was piped.
    pub stdout: Option<ChildStdout>,
    /// The child's standard error, when it was piped.
    pub stderr: Option<ChildStderr>,
}

impl Child {
    pub(super) fn new(mut child: std::process::Child, kill_on_drop: bool) -> io::Result<Child> {
        // The pipes are taken and registered first: if one fails, `child`
        // is still whole and its drop below (through `Child`) reaps it.
        let pid = child.id();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let mut this = Child {
            exit: None,
            status: None,
            kill_on_drop,
            stdin: None,
            stdout: None,
            stderr: None,
            child: Some(child),
        };
        this.exit = Some(Exit::watch(pid, None)?);
        this.stdin = stdin.map(ChildStdin::from_std).transpose()?;
        this.stdout = stdout.map(ChildStdout::from_std).transpose()?;
        this.stderr = stderr.map(ChildStderr::from_std).transpose()?;
        Ok(this)
    }

    /// The process id, until the process is reaped.
    pub fn id(&self) -> Option<u32> {
        match self.status {
            Some(_) => None,
            None => self.child.as_ref().map(std::process::Child::id),
        }
    }

    /// Waits for the process to exit and reaps it. Closes the child's stdin
    /// first (as tokio does), so a child that reads to its end can finish.
    /// Cancel-safe; once reaped, returns the same status again.
    ///
    /// # Errors
    /// What `waitpid` reports.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        poll_fn(|cx| self.poll_wait(cx)).await
    }

    fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        if let Some(status) = self.status {
            return Poll::Ready(Ok(status));
        }
        let (Some(child), Some(exit)) = (&mut self.child, &mut self.exit) else {
            unreachable!("a child not yet reaped has its process and exit source")
        };
        let polled = runtime_executor::coop::poll_budgeted(cx, |cx| exit.poll_exited(child, cx));
        if polled.is_pending() {
            runtime_executor::waiting_on(WaitingOn::Resource(&EXIT));
        }
        let status = std::task::ready!(polled)?;
        self.status = Some(status);
        self.exit = None;
        Poll::Ready(Ok(status))
    }

    /// The exit status if the process has exited (and reaps it), without waiting.
    ///
    /// # Errors
    /// What `waitpid` reports.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        let Some(child) = &mut self.child else { return Ok(None) };
        let status = child.try_wait()?;
        if status.is_some() {
            self.status = status;
            self.exit = None;
        }
        Ok(status)
    }

    /// Sends SIGKILL without waiting. Killing a process that already exited
    /// is not an error.
    ///
    /// # Errors
    /// What `kill(2)` reports.
    pub fn start_kill(&mut self) -> io::Result<()> {
        if self.try_wait()?.is_some() {
            return Ok(());
        }
        match &mut self.child {
            Some(child) => child.kill(),
            None => Ok(()),
        }
    }

    /// Kills the process (SIGKILL) and waits for it to exit.
    ///
    /// # Errors
    /// What `kill(2)` or `waitpid` report.
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await.map(drop)
    }

    /// Waits for the process and collects what it writes to its piped stdout
    /// and stderr, reading both at once (a child that fills one pipe while
    /// we read the other would otherwise deadlock).
    ///
    /// # Errors
    /// What the reads or `waitpid` report.
    pub async fn wait_with_output(mut self) -> io::Result<std::process::Output> {
        use futures_util::io::AsyncReadExt;
        drop(self.stdin.take());
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let (stdout, stderr) = (self.stdout.take(), self.stderr.take());
        let read_out = async {
            if let Some(mut stdout) = stdout {
                stdout.read_to_end(&mut out).await?;
            }
            Ok::<(), io::Error>(())
        };
        let read_err = async {
            if let Some(mut stderr) = stderr {
                stderr.read_to_end(&mut err).await?;
            }
            Ok::<(), io::Error>(())
        };
        let (read_out, read_err) = futures_util::future::join(read_out, read_err).await;
        read_out?;
        read_err?;
        let status = self.wait().await?;
        Ok(std::process::Output { status, stdout: out, stderr: err })
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.status.is_some() {
            return;
        }
        if self.kill_on_drop {
            let _ = self.start_kill();
        }
        if let Some(mut child) = self.child.take() {
            // Close our exit source before the orphans open theirs.
            self.exit = None;
            if !matches!(child.try_wait(), Ok(Some(_))) {
                orphans::adopt(child);
            }
        }
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("id", &self.id())
            .field("status", &self.status)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish_non_exhaustive()
    }
}
