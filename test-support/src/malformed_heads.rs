//! Malformed request heads, one table for every service that runs the shared server
//! (`service_shell::http::serve`): each case is sent on a fresh connection and must be
//! answered with the JSON error body (`{"code", "message"}`, the message saying what to do
//! next), never hyper's own bare 400 or 431; and a bad head pipelined after good requests
//! must be answered in its turn, after theirs, before the connection closes.
//!
//! The clients are blocking sockets whose reads are bounded by a timeout; call [`exchange`]
//! from `tokio::task::spawn_blocking` in an async test ([`check_malformed_heads`] does).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long a case may take to be answered and closed.
const PATIENCE: Duration = Duration::from_secs(20);

/// One malformed head: what is wrong, the bytes (`{path}` is replaced by a good GET path of
/// the service), and the status and code it must be answered with.
#[derive(Debug)]
pub struct MalformedHead {
    pub name: &'static str,
    pub head: String,
    pub status: u16,
    pub code: &'static str,
}

/// Every case, for a service whose `path` answers a plain GET with 200.
pub fn malformed_heads(path: &str) -> Vec<MalformedHead> {
    let case = |name, head: String, status, code| MalformedHead {
        name,
        head,
        status,
        code,
    };
    let bad = |name, head: String| case(name, head, 400, "malformed_request");
    let large = |name, head: String| case(name, head, 431, "headers_too_large");
    vec![
        bad(
            "control byte in a header value",
            format!("GET {path} HTTP/1.1\r\nHost: t\r\nX-Bad: a\x01b\r\n\r\n"),
        ),
        bad(
            "DEL in a header value",
            format!("GET {path} HTTP/1.1\r\nHost: t\r\nX-Bad: \x7f\r\n\r\n"),
        ),
        bad(
            "space in a header name",
            format!("GET {path} HTTP/1.1\r\nHost: t\r\nBad Name: 1\r\n\r\n"),
        ),
        bad(
            "control byte in the method",
            format!("G\x01T {path} HTTP/1.1\r\nHost: t\r\n\r\n"),
        ),
        bad(
            "unknown HTTP version",
            format!("GET {path} HTTP/7.0\r\nHost: t\r\n\r\n"),
        ),
        bad(
            "conflicting Content-Length",
            format!("GET {path} HTTP/1.1\r\nHost: t\r\nContent-Length: 2, 3\r\n\r\nab"),
        ),
        bad(
            "negative Content-Length",
            format!("GET {path} HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n"),
        ),
        bad(
            "Transfer-Encoding not ending in chunked",
            format!("GET {path} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n"),
        ),
        large(
            "more than 100 headers",
            format!(
                "GET {path} HTTP/1.1\r\nHost: t\r\n{}\r\n",
                "X-Filler: 1\r\n".repeat(101)
            ),
        ),
        large(
            "a head over 64 KiB",
            format!(
                "GET {path} HTTP/1.1\r\nHost: t\r\nX-Long: {}\r\n\r\n",
                "a".repeat(70 * 1024)
            ),
        ),
    ]
}

/// Everything the server sends on a fresh connection for `request`, until it closes.
pub fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(PATIENCE)).expect("read timeout");
    s.write_all(request).expect("send the request");
    let mut answer = Vec::new();
    // A reset after the answer (the server closed with bytes of ours unread) is a close.
    let _ = s.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// The responses in `answer` (what a server sent on one connection), each as its status
/// and body, framed by their `Content-Length` (a status-like text inside a body is body).
pub fn responses(answer: &str) -> Vec<(u16, String)> {
    let mut found = Vec::new();
    let mut rest = answer;
    while let Some(head_end) = rest.find("\r\n\r\n") {
        let head = &rest[..head_end];
        let Some(status) = head
            .strip_prefix("HTTP/1.1 ")
            .and_then(|s| s.get(..3)?.parse().ok())
        else {
            break;
        };
        let length = head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse::<usize>().ok())
            .unwrap_or(0);
        let body_start = head_end + 4;
        let body_end = (body_start + length).min(rest.len());
        found.push((status, rest[body_start..body_end].to_string()));
        rest = &rest[body_end..];
    }
    found
}

/// The statuses of [`responses`], in order.
pub fn statuses(answer: &str) -> Vec<u16> {
    responses(answer)
        .into_iter()
        .map(|(status, _)| status)
        .collect()
}

/// Sends every case of [`malformed_heads`] to the service at `service_url`
/// (`http://127.0.0.1:PORT`), then the pipelined case, and checks each answer (panicking
/// with the case's name and the answer otherwise). The blocking clients run on a
/// `spawn_blocking` thread, so call it from a multi-threaded tokio test.
pub async fn check_malformed_heads(service_url: &str, path: &str) {
    let addr: SocketAddr = service_url
        .trim_start_matches("http://")
        .parse()
        .expect("a service URL is http://IP:PORT");
    let path = path.to_string();
    tokio::task::spawn_blocking(move || check_each_head(addr, &path))
        .await
        .expect("client thread");
}

/// [`check_malformed_heads`] on a blocking thread.
fn check_each_head(addr: SocketAddr, path: &str) {
    for case in malformed_heads(path) {
        let answer = exchange(addr, case.head.as_bytes());
        let shown: String = answer.chars().take(600).collect();
        assert_eq!(statuses(&answer), [case.status], "{}: {shown}", case.name);
        assert!(
            answer
                .to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{}: {shown}",
            case.name
        );
        let code = format!("{{\"code\":\"{}\",\"message\":\"", case.code);
        assert!(answer.contains(&code), "{}: {shown}", case.name);
        assert!(
            answer.contains("send"),
            "{}: no next step: {shown}",
            case.name
        );
    }
    check_pipelined(addr, path);
}

/// Two good GETs, a bad head, and a good GET after it, in one write: the two are answered
/// 200, then the bad head 400 in JSON, and the connection closes (the last is never served).
fn check_pipelined(addr: SocketAddr, path: &str) {
    let good = format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n");
    let bad = format!("GET {path} HTTP/1.1\r\nHost: t\r\nX-Bad: \x00\r\n\r\n");
    let request = [good.as_str(), &good, &bad, &good].concat();
    let answer = exchange(addr, request.as_bytes());
    let shown: String = answer.chars().take(2_000).collect();
    assert_eq!(statuses(&answer), [200, 200, 400], "{shown}");
    let (_, refusal) = responses(&answer).pop().expect("the 400");
    assert!(
        refusal.starts_with("{\"code\":\"malformed_request\""),
        "{shown}"
    );
}
