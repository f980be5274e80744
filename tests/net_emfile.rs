//! Out of descriptors (EMFILE): the listener waits instead of spinning, and
//! serves every pending connection once descriptors are free again. Its own
//! test binary, because it lowers the process's descriptor limit.

mod support;

use std::io::Read;
use std::time::Duration;

use futures_util::StreamExt;
use runtime::io::AsyncWriteExt;
use runtime::net::TcpListener;
use support::{os, watchdog};

const CLIENTS: usize = 8;

#[test]
fn accept_loop_survives_emfile_without_spinning() {
    let rt = runtime::Builder::new_multi_thread().worker_threads(1).build().unwrap();
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    // Connections wait in the listener's backlog until they are accepted.
    let mut clients: Vec<_> = (0..CLIENTS).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
    let (accepted_tx, accepted_rx) = std::sync::mpsc::channel();

    // No descriptor left: every accept fails with EMFILE.
    os::exhaust_fds();
    let server = rt.spawn(async move {
        let mut incoming = listener.incoming();
        for _ in 0..CLIENTS {
            let mut stream = incoming.next().await.unwrap().unwrap();
            stream.write_all(b"!").await.unwrap();
            accepted_tx.send(stream).unwrap();
        }
    });
    let polls = |rt: &runtime::Runtime| rt.handle().metrics().polls();
    let start = polls(&rt);
    // An observation window, not synchronisation: a spinning accept loop would
    // poll hundreds of thousands of times in it; backing off, it polls ~30.
    std::thread::sleep(Duration::from_millis(300));
    let during = polls(&rt) - start;
    assert!(during < 1_000, "the accept loop spun: {during} polls in 300 ms");
    assert!(accepted_rx.try_recv().is_err(), "nothing can be accepted without descriptors");

    // Descriptors are free again: every waiting connection is served.
    os::raise_fd_limit();
    watchdog(Duration::from_secs(30), move || {
        for _ in 0..CLIENTS {
            accepted_rx.recv().unwrap();
        }
        for client in &mut clients {
            let mut byte = [0; 1];
            client.read_exact(&mut byte).unwrap();
            assert_eq!(&byte, b"!");
        }
    });
    rt.block_on(server).unwrap();
}
