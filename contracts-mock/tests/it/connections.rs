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

/// The binary: logs to a file are plain text (no ANSI colour codes off a terminal), and a
/// second one on the same data dir exits 1 with one line naming the dir.
#[test]
fn the_binary_logs_plain_text_and_refuses_a_taken_data_dir() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("stderr.log");
    let data = dir.path().join("data");
    let run = |stderr: Stdio| {
        Command::new(env!("CARGO_BIN_EXE_vigil-contracts-mock"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--manual-blocks",
                "--log",
                "info",
            ])
            .arg("--data-dir")
            .arg(&data)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn the settlement layer")
    };
    let mut first = run(Stdio::from(std::fs::File::create(&log).expect("log file")));
    let mut line = String::new();
    std::io::BufReader::new(first.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listen line");
    assert!(line.starts_with("listening "), "{line:?}");

    let second = run(Stdio::piped()).wait_with_output().expect("second run");
    let refusal = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{refusal}");
    assert!(
        refusal.contains("in use by another settlement layer"),
        "{refusal}"
    );
    assert_eq!(refusal.trim().lines().count(), 1, "one line: {refusal}");

    // The serving line may land just after the listen line: read until it is there
    // (bounded), then stop the process.
    let started = std::time::Instant::now();
    let mut logged = String::new();
    while started.elapsed() < Duration::from_secs(20)
        && !logged.contains("settlement layer serving")
    {
        std::thread::sleep(Duration::from_millis(20));
        logged = std::fs::read_to_string(&log).expect("the log");
    }
    first.kill().expect("SIGKILL");
    first.wait().expect("reap");
    assert!(logged.contains("settlement layer serving"), "{logged}");
    assert!(!logged.contains('\u{1b}'), "no ANSI codes: {logged:?}");
}

/// Every malformed request head of the shared table gets the JSON error body, and one
/// pipelined after good requests is answered in its turn (test-support's malformed_heads).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_request_heads_are_answered_with_the_json_error_body() {
    let node = Node::start().await;
    test_support::check_malformed_heads(&node.url, "/v1/status").await;
}
