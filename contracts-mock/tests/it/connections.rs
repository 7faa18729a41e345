//! The settlement layer runs the shared server with its configured connection limits: a
//! client that trickles its headers (slowloris) is cut after the header timeout, and the
//! service keeps answering others meanwhile.

use crate::support::Node;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_connection_is_cut_and_others_are_served() {
    let header_timeout = Duration::from_millis(300);
    let node = Node::start_with(|c| c.connections.header_timeout = header_timeout).await;
    let addr = node.url.trim_start_matches("http://").to_string();
    let took = tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(&addr).expect("connect");
        s.write_all(b"GET /v1/status HTTP/1.1\r\nHost: t\r\n")
            .expect("partial headers");
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .expect("timeout");
        let started = Instant::now();
        let mut buf = [0u8; 512];
        while started.elapsed() < Duration::from_secs(20) {
            match s.read(&mut buf) {
                Ok(0) => return started.elapsed(),
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => return started.elapsed(),
            }
        }
        panic!("the slowloris connection stayed open for 20 s");
    })
    .await
    .expect("client thread");
    assert!(took < header_timeout * 10, "cut after {took:?}");
    node.status().await; // everyone else is still served
}
