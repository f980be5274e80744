//! The console's HTTP/1.1 request reader: well-formed requests, and every
//! way a client can get it wrong (malformed, oversized, slow, gone), each a
//! clear error with the status to answer, never a panic.

use std::time::Duration;

use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use runtime::time::Instant;
use runtime_console::http::{self, Error, MAX_HEAD};

#[test]
fn a_request_head_parses_into_method_path_query_and_headers() {
    let request =
        http::parse(b"GET /tasks.json?site=main.rs HTTP/1.1\r\nHost: localhost\r\nX-Thing:  two words \r\n").unwrap();
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/tasks.json");
    assert_eq!(request.query.as_deref(), Some("site=main.rs"));
    assert_eq!(request.header("host"), Some("localhost"));
    assert_eq!(request.header("X-THING"), Some("two words"));
    assert_eq!(request.header("missing"), None);
    assert!(http::parse(b"HEAD / HTTP/1.0").is_ok());
}

#[test]
fn malformed_heads_are_a_400_never_a_panic() {
    let cases: &[&[u8]] = &[
        b"",
        b"GET",
        b"GET /",
        b"GET / HTTP/2.0",
        b"get / HTTP/1.1",
        b"GET relative HTTP/1.1",
        b"GET /a\x01b HTTP/1.1",
        b"GET / HTTP/1.1 extra",
        b"GET / HTTP/1.1\r\nno colon here",
        b"GET / HTTP/1.1\r\n: empty name",
        b"GET / HTTP/1.1\r\nbad name: x",
        b"\xff\xfe / HTTP/1.1",
        b"GET  / HTTP/1.1",
    ];
    for case in cases {
        match http::parse(case) {
            Err(error @ Error::Malformed(_)) => assert_eq!(error.status(), Some(400), "{case:?}"),
            other => panic!("{:?} gave {other:?}", String::from_utf8_lossy(case)),
        }
    }
}

#[test]
fn too_many_header_lines_are_too_large() {
    let mut head = b"GET / HTTP/1.1".to_vec();
    for i in 0..=http::MAX_HEADERS {
        head.extend_from_slice(format!("\r\nh{i}: v").as_bytes());
    }
    let error = http::parse(&head).unwrap_err();
    assert!(matches!(error, Error::TooLarge));
    assert_eq!(error.status(), Some(431));
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

#[runtime::test]
async fn a_request_arriving_in_pieces_is_read_whole() {
    let (mut client, mut server) = runtime::io::duplex(64);
    let reader = runtime::spawn(async move { http::read_request(&mut server, deadline()).await });
    for piece in [&b"GET /me"[..], b"trics HTTP/1.1\r", b"\nAccept: */*\r\n", b"\r\nignored body"] {
        client.write_all(piece).await.unwrap();
        runtime::task::yield_now().await;
    }
    let request = reader.await.unwrap().unwrap();
    assert_eq!((request.path.as_str(), request.header("accept")), ("/metrics", Some("*/*")));
}

#[runtime::test]
async fn an_oversized_head_is_refused_without_reading_on() {
    let (mut client, mut server) = runtime::io::duplex(MAX_HEAD * 4);
    let reader = runtime::spawn(async move { http::read_request(&mut server, deadline()).await });
    let mut flood = b"GET / HTTP/1.1\r\nX: ".to_vec();
    flood.resize(MAX_HEAD * 3, b'a');
    client.write_all(&flood).await.unwrap();
    let error = reader.await.unwrap().unwrap_err();
    assert!(matches!(error, Error::TooLarge), "{error}");
}

/// A client that sends part of a head and then nothing: the deadline ends
/// it (paused time: the clock jumps to the deadline once every task waits).
#[runtime::test(start_paused = true)]
async fn a_slow_request_times_out() {
    let (mut client, mut server) = runtime::io::duplex(64);
    client.write_all(b"GET / HTTP/1.1\r\nHost: x").await.unwrap();
    let started = Instant::now();
    let error = http::read_request(&mut server, deadline()).await.unwrap_err();
    assert!(matches!(error, Error::TimedOut), "{error}");
    assert_eq!(error.status(), Some(408));
    assert_eq!(started.elapsed(), Duration::from_secs(5));
}

#[runtime::test]
async fn a_client_that_leaves_mid_head_is_closed() {
    let (mut client, mut server) = runtime::io::duplex(64);
    client.write_all(b"GET / HT").await.unwrap();
    drop(client);
    let error = http::read_request(&mut server, deadline()).await.unwrap_err();
    assert!(matches!(error, Error::Closed));
    assert_eq!(error.status(), None, "nobody to answer");
}

#[runtime::test]
async fn a_response_is_complete_and_closes() {
    let (mut client, mut server) = runtime::io::duplex(1024);
    http::write_response(&mut server, 404, "text/plain", b"no such page", false).await.unwrap();
    let mut response = String::new();
    client.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 404 Not Found\r\n"), "{response}");
    assert!(response.contains("Content-Length: 12\r\n") && response.contains("Connection: close\r\n"));
    assert!(response.ends_with("\r\n\r\nno such page"));
}

#[runtime::test]
async fn a_head_response_has_the_length_and_no_body() {
    let (mut client, mut server) = runtime::io::duplex(1024);
    http::write_response(&mut server, 200, "text/plain", b"twelve bytes", true).await.unwrap();
    let mut response = String::new();
    client.read_to_string(&mut response).await.unwrap();
    assert!(response.contains("Content-Length: 12\r\n") && response.ends_with("\r\n\r\n"), "{response}");
}
