//! A write to a child's stdin after the child exited is an error, never a
//! SIGPIPE, even with SIGPIPE's default action restored (for this whole
//! test binary).

use std::process::Stdio;

use runtime::io::AsyncWriteExt;
use runtime::process::Command;

#[test]
fn a_closed_stdin_is_broken_pipe_even_with_sigpipe_restored() {
    // SAFETY: signal(2) with SIG_DFL changes no memory; this binary has one test.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    runtime::block_on(async {
        let mut child = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        child.wait().await.unwrap();
        let error = stdin.write_all(&vec![0u8; 1024 * 1024]).await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe);
    });
    // Still alive, and SIGPIPE still at its default for everything else.
    // SAFETY: as above: reads the current action only.
    let ignored = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) } == libc::SIG_IGN;
    assert!(!ignored);
}
