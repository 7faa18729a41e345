//! The one server loop (`service_shell::http::serve`) against hostile connections, with
//! small limits so every bound is observable quickly: a slowloris client is cut after the
//! header timeout; clients that pipeline large responses and never read them are cut after
//! the stall timeout, so a new client gets in again within that bound; one address cannot
//! hold more than its per-peer share of connections; a malformed head pipelined after good
//! requests (one with a body of control bytes and blank lines) is answered in JSON in its
//! turn. Clients are plain blocking sockets on threads, each read bounded by a timeout.

use axum::Router;
use axum::routing::{get, post};
use service_shell::http::{ConnectionLimits, spawn_server};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use tokio::sync::watch;

const HEADER_TIMEOUT: Duration = Duration::from_millis(300);
const STALL_TIMEOUT: Duration = Duration::from_millis(500);
/// How long any bounded wait in these tests may take.
const PATIENCE: Duration = Duration::from_secs(20);

fn limits(max_connections: usize, per_peer: usize) -> ConnectionLimits {
    ConnectionLimits {
        header_timeout: HEADER_TIMEOUT,
        stall_timeout: STALL_TIMEOUT,
        max_connections,
        max_connections_per_peer: per_peer,
        shutdown_grace: Duration::from_secs(1),
    }
}

/// A server with `/small` and `/large` (1 MiB) on 127.0.0.1:0; stop it with the sender.
async fn server(limits: ConnectionLimits) -> (SocketAddr, watch::Sender<bool>) {
    let large = vec![b'x'; 1 << 20];
    let router = Router::new()
        .route("/small", get(|| async { "ok" }))
        .route("/large", get(move || async move { large.clone() }))
        .route("/echo", post(|body: String| async move { body }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopping) = watch::channel(false);
    drop(spawn_server(listener, router, limits, stopping));
    (addr, stop)
}

/// One `GET /small` on a fresh connection: whether it was answered 200.
fn honest_get(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /small HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    answer.starts_with(b"HTTP/1.1 200")
}

/// Whether the server closed `s` (EOF or reset) within `PATIENCE`; drains what it sent.
fn closed_by_server(mut s: TcpStream) -> Duration {
    let started = Instant::now();
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let mut buf = vec![0u8; 1 << 16];
    while started.elapsed() < PATIENCE {
        match s.read(&mut buf) {
            Ok(0) => return started.elapsed(),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return started.elapsed(),
        }
    }
    panic!("the server kept the connection open for {PATIENCE:?}");
}

/// Runs `f` on a blocking thread (the clients use std sockets).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("client thread")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_client_is_cut_after_the_header_timeout() {
    let (addr, _stop) = server(limits(64, 64)).await;
    let took = blocking(move || {
        let mut s = TcpStream::connect(addr).expect("connect");
        s.write_all(b"GET /small HTTP/1.1\r\nHost: t\r\n")
            .expect("partial headers");
        closed_by_server(s)
    })
    .await;
    assert!(took >= HEADER_TIMEOUT / 2, "cut early: {took:?}");
    assert!(took < HEADER_TIMEOUT * 10, "cut late: {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_never_read_cannot_keep_a_new_client_out() {
    // Two slots in all; two hostile clients take both and pipeline large responses.
    let (addr, _stop) = server(limits(2, 8)).await;
    let hostile: Vec<TcpStream> = blocking(move || {
        (0..2)
            .map(|_| {
                let mut s = TcpStream::connect(addr).expect("connect");
                let request = b"GET /large HTTP/1.1\r\nHost: t\r\n\r\n".repeat(64);
                s.write_all(&request).expect("pipelined requests");
                s
            })
            .collect()
    })
    .await;
    // While they hold the slots, a newcomer is refused; within the stall timeout (plus
    // slack for scheduling) the slots are freed and it is served.
    let started = Instant::now();
    let served = blocking(move || {
        while started.elapsed() < PATIENCE {
            if honest_get(addr) {
                return Some(started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    })
    .await;
    let took = served.expect("a new client got in");
    assert!(took < STALL_TIMEOUT * 10, "kept out for {took:?}");
    for s in hostile {
        blocking(move || closed_by_server(s)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_gets_at_most_its_share_of_connections() {
    let (addr, _stop) = server(limits(64, 3)).await;
    let (held, extra) = blocking(move || {
        let held: Vec<TcpStream> = (0..3)
            .map(|_| TcpStream::connect(addr).expect("connect"))
            .collect();
        // Let the server accept the three before the fourth arrives.
        let mut extra = TcpStream::connect(addr).expect("the kernel accepts");
        let _ = extra.write_all(b"GET /small HTTP/1.1\r\nHost: t\r\n\r\n");
        (held, extra)
    })
    .await;
    let took = blocking(move || closed_by_server(extra)).await;
    assert!(
        took < HEADER_TIMEOUT,
        "the fourth is closed at once: {took:?}"
    );
    drop(held);
    let served = blocking(move || {
        let started = Instant::now();
        while started.elapsed() < PATIENCE {
            if honest_get(addr) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    })
    .await;
    assert!(served, "once they close, the address is served again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_head_after_good_requests_is_answered_in_its_turn() {
    let (addr, _stop) = server(limits(64, 64)).await;
    // A body of control bytes and blank lines is a body, not a head (Content-Length frames
    // it); what follows the bad head is never served.
    let body = b"a\x01\r\n\r\nb";
    let request = [
        &b"GET /small HTTP/1.1\r\nHost: t\r\n\r\n"[..],
        format!(
            "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
        body,
        b"GET /small HTTP/1.1\r\nHost: t\r\nX-Bad: \x00\r\n\r\n",
        b"GET /small HTTP/1.1\r\nHost: t\r\n\r\n",
    ]
    .concat();
    let answer = blocking(move || test_support::exchange(addr, &request)).await;
    let responses = test_support::responses(&answer);
    let statuses: Vec<u16> = responses.iter().map(|(status, _)| *status).collect();
    assert_eq!(statuses, [200, 200, 400], "{answer:?}");
    assert_eq!(responses[1].1, "a\x01\r\n\r\nb", "the body echoed whole");
    assert!(
        responses[2]
            .1
            .starts_with("{\"code\":\"malformed_request\",\"message\":"),
        "{answer:?}"
    );
}
