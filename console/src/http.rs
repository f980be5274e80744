//! HTTP/1.1, as much as a console needs: read one request head (no body),
//! write one response, close.
//!
//! A request head is bounded in size ([`MAX_HEAD`]) and in time (the
//! caller's deadline), so a client that sends too much, or too slowly, is
//! answered with an error and dropped instead of holding a task and a
//! buffer. Anything malformed is [`Error::Malformed`], never a panic: the
//! server answers 400 and closes.

use std::fmt;
use std::io;

use futures_util::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The most bytes a request head may take, request line and headers.
pub const MAX_HEAD: usize = 8 << 10;
/// The most header lines a request may have.
pub const MAX_HEADERS: usize = 64;

/// A request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `HEAD` …, as sent.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// What follows `?`, if anything.
    pub query: Option<String>,
    /// The header lines, names as sent, values trimmed.
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Why no request could be read.
#[derive(Debug)]
pub enum Error {
    /// Not an HTTP/1.x request head; the reason, for the 400's body.
    Malformed(&'static str),
    /// The head is longer than [`MAX_HEAD`], or has more than [`MAX_HEADERS`] lines.
    TooLarge,
    /// The deadline passed before the head was complete.
    TimedOut,
    /// The client closed the connection before a complete head.
    Closed,
    /// The connection failed.
    Io(io::Error),
}

impl Error {
    /// The status to answer with, if the connection can still take one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Malformed(_) => Some(400),
            Error::TooLarge => Some(431),
            Error::TimedOut => Some(408),
            Error::Closed | Error::Io(_) => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Malformed(why) => write!(f, "malformed request: {why}"),
            Error::TooLarge => write!(f, "request head larger than {MAX_HEAD} bytes or {MAX_HEADERS} lines"),
            Error::TimedOut => f.write_str("request head not complete in time"),
            Error::Closed => f.write_str("connection closed before a complete request"),
            Error::Io(error) => write!(f, "connection failed: {error}"),
        }
    }
}

impl std::error::Error for Error {}

/// Parses a complete request head (everything before the blank line; a
/// trailing line break is allowed).
///
/// # Errors
/// [`Error::Malformed`] or [`Error::TooLarge`].
pub fn parse(head: &[u8]) -> Result<Request, Error> {
    let head = std::str::from_utf8(head).map_err(|_| Error::Malformed("not UTF-8"))?;
    let mut lines = head.strip_suffix("\r\n").unwrap_or(head).split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::Malformed("the request line is not METHOD TARGET VERSION"));
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Error::Malformed("bad method"));
    }
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(Error::Malformed("not HTTP/1.0 or HTTP/1.1"));
    }
    if !target.starts_with('/') || target.bytes().any(|b| b.is_ascii_control()) {
        return Err(Error::Malformed("the target is not an absolute path"));
    }
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query.to_string())),
        None => (target, None),
    };
    let mut headers = Vec::new();
    for line in lines {
        if headers.len() == MAX_HEADERS {
            return Err(Error::TooLarge);
        }
        let (name, value) = line.split_once(':').ok_or(Error::Malformed("a header line without ':'"))?;
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)) {
            return Err(Error::Malformed("bad header name"));
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
    Ok(Request { method: method.to_string(), path: path.to_string(), query, headers })
}

/// Reads one request head from `stream`, giving up at `deadline` (the
/// runtime's clock, paused time included): at most [`MAX_HEAD`] bytes.
/// Bytes after the blank line in the last read (a body; a console's
/// requests have none) are ignored.
///
/// # Errors
/// Every way a client can fail: [`Error::Malformed`], [`Error::TooLarge`],
/// [`Error::TimedOut`], [`Error::Closed`], [`Error::Io`].
pub async fn read_request(
    stream: &mut (impl AsyncRead + Unpin),
    deadline: runtime_timer::Instant,
) -> Result<Request, Error> {
    let mut head = Vec::with_capacity(512);
    let read = async {
        let mut byte = [0; 256];
        loop {
            let n = stream.read(&mut byte).await.map_err(Error::Io)?;
            if n == 0 {
                return Err(Error::Closed);
            }
            head.extend_from_slice(&byte[..n]);
            if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                head.truncate(end);
                return parse(&head);
            }
            if head.len() > MAX_HEAD {
                return Err(Error::TooLarge);
            }
        }
    };
    runtime_timer::timeout_at(deadline, read).await.unwrap_or(Err(Error::TimedOut))
}

/// Writes a complete response with `body` (only its length, for a HEAD
/// request: `head_only`) and closes the write side: `Connection: close`,
/// so the client reads to the end.
///
/// # Errors
/// What the connection reports.
pub async fn write_response(
    stream: &mut (impl AsyncWrite + Unpin),
    status: u16,
    content_type: &str,
    body: &[u8],
    head_only: bool,
) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        reason(status),
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    if !head_only {
        stream.write_all(body).await?;
    }
    stream.close().await
}

/// The reason phrase of the statuses a console answers with.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        431 => "Request Header Fields Too Large",
        _ => "Error",
    }
}
