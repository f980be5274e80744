//! The console server over real sockets: each endpoint while tasks run, and
//! bad requests answered and closed while the server keeps serving.

use std::sync::Arc;
use std::time::Duration;

use runtime::io::{AsyncReadExt, AsyncWriteExt};
use runtime::net::{TcpListener, TcpStream};

/// Starts the console on a loopback port of the current runtime.
async fn start() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    runtime::spawn(runtime_console::serve(listener, runtime::Handle::current()));
    addr
}

/// Sends `request` raw and returns the whole response.
async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    String::from_utf8(response).unwrap()
}

async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    exchange(addr, format!("GET {path} HTTP/1.1\r\nHost: console\r\n\r\n").as_bytes()).await
}

#[test]
fn every_endpoint_answers_while_tasks_run() {
    let rt = runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    rt.block_on(async {
        let addr = start().await;
        let mutex = Arc::new(runtime::sync::Mutex::new(()));
        let held = mutex.clone().lock_owned().await;
        let line = line!() + 1;
        let blocked = runtime::spawn(async move { drop(mutex.lock().await) });
        let ticking = runtime::spawn(async {
            loop {
                runtime::time::sleep(Duration::from_millis(1)).await;
            }
        });

        let metrics = get(addr, "/metrics").await;
        assert!(metrics.starts_with("HTTP/1.1 200 OK\r\n"), "{metrics}");
        assert!(metrics.contains("text/plain; version=0.0.4") && metrics.contains("\nruntime_workers 2\n"));

        let wanted = format!("server.rs:{line}:");
        let json = loop {
            let json = get(addr, "/tasks.json").await;
            if json.contains("Mutex::lock") {
                break json;
            }
            runtime::task::yield_now().await; // the task has not polled yet
        };
        assert!(json.contains("application/json") && json.contains(&wanted), "{json}");

        let dump = get(addr, "/dump").await;
        assert!(
            dump.starts_with("HTTP/1.1 200 OK\r\n") && dump.contains(&wanted) && dump.contains("Mutex::lock"),
            "{dump}"
        );

        let head = exchange(addr, b"HEAD /metrics HTTP/1.1\r\n\r\n").await;
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.ends_with("\r\n\r\n"), "no body: {head}");
        assert!(get(addr, "/nowhere").await.starts_with("HTTP/1.1 404 "));
        assert!(exchange(addr, b"POST /metrics HTTP/1.1\r\n\r\n").await.starts_with("HTTP/1.1 405 "));

        drop(held);
        blocked.await.unwrap();
        ticking.abort();
    });
}

/// A bad request gets a 400 and a closed connection (the read ends), an
/// oversized one a 431; the server keeps answering the next client.
#[test]
fn bad_requests_get_an_error_and_a_close_and_the_server_goes_on() {
    let rt = runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let addr = start().await;
        let bad = exchange(addr, b"BREW /pot HTCPCP/1.0\r\n\r\n").await;
        assert!(bad.starts_with("HTTP/1.1 400 Bad Request\r\n") && bad.contains("Connection: close"), "{bad}");
        let garbage = exchange(addr, b"\x00\x01\x02\r\n\r\n").await;
        assert!(garbage.starts_with("HTTP/1.1 400 "), "{garbage}");
        let mut huge = b"GET / HTTP/1.1\r\nX: ".to_vec();
        huge.resize(64 << 10, b'x');
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let _ = stream.write_all(&huge).await; // the server may close before it all goes
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response).await;
        assert!(String::from_utf8_lossy(&response).starts_with("HTTP/1.1 431 "));
        assert!(get(addr, "/metrics").await.starts_with("HTTP/1.1 200 OK"), "still serving");
    });
}

/// The page: self-contained (no external script, style or font), with the
/// panels the JSON feeds; and the JSON it polls.
#[test]
fn the_page_is_self_contained_and_its_json_is_served() {
    let rt = runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let addr = start().await;
        let page = get(addr, "/").await;
        assert!(page.starts_with("HTTP/1.1 200 OK\r\n") && page.contains("text/html"), "{page}");
        for id in ["worker-bars", "task-table", "site-table", "histogram", "service-stats", "filter"] {
            assert!(page.contains(&format!("id=\"{id}\"")), "no #{id}");
        }
        for external in ["src=\"http", "href=\"http", "@import", "<script src", "<link"] {
            assert!(!page.contains(external), "the page loads {external}");
        }
        let stats = get(addr, "/stats.json").await;
        assert!(stats.contains("application/json") && stats.contains("\"workers\":["), "{stats}");
    });
}
