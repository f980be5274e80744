//! The echo server example's graceful shutdown: on SIGTERM it stops
//! accepting, lets the open connection finish, and exits with status 0.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use support::watchdog;

const LIMIT: Duration = Duration::from_secs(60);

fn echo_once(stream: &mut TcpStream, message: &[u8]) {
    stream.write_all(message).unwrap();
    let mut back = vec![0; message.len()];
    stream.read_exact(&mut back).unwrap();
    assert_eq!(back, message);
}

#[test]
fn sigterm_stops_accepting_lets_open_connections_finish_and_exits_zero() {
    watchdog(LIMIT, || {
        let mut child = Command::new(support::example("echo_server"))
            .arg("127.0.0.1:0")
            .stdout(Stdio::piped())
            .spawn()
            .expect("the echo_server example is built by `cargo test`");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr: std::net::SocketAddr = line.trim().rsplit(' ').next().unwrap().parse().unwrap();

        let mut open = TcpStream::connect(addr).unwrap();
        open.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        echo_once(&mut open, b"before");

        // SAFETY: kill(2) on our own child's pid; no memory is involved.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) }, 0);
        line.clear();
        stdout.read_line(&mut line).unwrap();
        assert!(line.starts_with("shutting down"), "{line:?}");

        // The listener is closed; the open connection still echoes.
        assert!(TcpStream::connect(addr).is_err(), "no new connections after the signal");
        echo_once(&mut open, b"after the signal");
        assert!(child.try_wait().unwrap().is_none(), "it waits for the open connection");
        drop(open);
        let status = child.wait().unwrap(); // the watchdog bounds it
        assert!(status.success(), "exit status {status:?}");
    });
}
