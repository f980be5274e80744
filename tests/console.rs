//! The live console switched on through the Builder or `RUNTIME_CONSOLE`:
//! it binds where told (loopback for a bare port), refuses a bad address at
//! build, and answers over a real socket while the runtime works.
#![cfg(feature = "console")]

use std::io::{Read, Write};
use std::time::Duration;

/// A blocking GET from a plain thread; returns the whole response.
fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: console\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn builder_console_serves_while_the_runtime_works() {
    let rt = runtime::Builder::new_multi_thread().worker_threads(2).console("127.0.0.1:0").build().unwrap();
    let addr = rt.console_addr().expect("the console serves");
    let line = line!() + 1;
    let sleeper = rt.spawn(runtime::time::sleep(Duration::from_secs(600)));
    let metrics = get(addr, "/metrics");
    assert!(metrics.starts_with("HTTP/1.1 200 OK") && metrics.contains("\nruntime_workers 2\n"), "{metrics}");
    assert!(metrics.contains("runtime_poll_time_polls_total{le="), "the console turns poll times on: {metrics}");
    let dump = get(addr, "/dump");
    assert!(dump.contains(&format!("console.rs:{line}:")), "{dump}");
    sleeper.abort();
}

#[test]
fn a_bare_port_is_loopback_and_no_console_unless_asked() {
    let rt = runtime::Builder::new_current_thread().console("0").build().unwrap();
    assert!(rt.console_addr().unwrap().ip().is_loopback());
    let plain = runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(plain.console_addr(), None);
}

#[test]
fn a_bad_or_taken_address_fails_the_build() {
    let error = runtime::Builder::new_current_thread().console("not an address").build().unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("HOST:PORT"), "{error}");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let error = runtime::Builder::new_current_thread().console(port).build().unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
}

/// `RUNTIME_CONSOLE` turns it on for the first runtime the process builds
/// (a child process, since the variable is read once per process).
#[test]
fn the_environment_switches_it_on_for_the_first_runtime() {
    if std::env::var_os("RUNTIME_CONSOLE").is_some() {
        let first = runtime::Builder::new_current_thread().build().unwrap();
        let second = runtime::Builder::new_current_thread().build().unwrap();
        let addr = first.console_addr().expect("the first runtime serves");
        assert_eq!(second.console_addr(), None, "read once");
        let _serving = std::thread::spawn(move || first.block_on(std::future::pending::<()>()));
        assert!(get(addr, "/tasks.json").contains("\"tasks\":["));
        println!("\nchild ok");
        std::process::exit(0);
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "the_environment_switches_it_on_for_the_first_runtime", "--nocapture"])
        .env("RUNTIME_CONSOLE", "127.0.0.1:0")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("child ok"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
