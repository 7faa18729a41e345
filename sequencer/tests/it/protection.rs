//! Protection: load shedding answers 503 at once instead of queueing, slow clients are cut
//! off (headers and bodies), and every malformed request gets a JSON error, never a 500.

use crate::support::l1::L1;
use crate::support::seq::Seq;
use crate::support::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Sends `bytes` and never more, then reads whatever the server answers until it closes
/// the connection (a blocking socket with a read timeout, so the wait is bounded).
async fn send_and_stall(addr: &str, bytes: &'static [u8]) -> String {
    let addr = addr.to_string();
    tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.write_all(bytes).expect("write");
        let mut answer = Vec::new();
        stream
            .read_to_end(&mut answer)
            .expect("the server closes the connection in time");
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .expect("socket task")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_slow_clients_and_bad_requests_get_clear_answers() {
    let mut l1 = L1::start().await;
    let mut seq = Seq::start_with(&l1, |c| {
        c.limits.max_concurrent_requests = 1;
        c.limits.header_timeout = Duration::from_millis(200);
        c.limits.body_timeout = Duration::from_millis(500);
    })
    .await;
    // A fresh connection for every request: with a 200 ms header timeout the server closes
    // idle keep-alive connections almost at once.
    seq.http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let before = seq.status().await;
    let addr = seq.url.trim_start_matches("http://").to_string();

    // A body that never finishes holds the only request slot until it times out with 408;
    // meanwhile every other request is shed with 503 at once, not queued.
    let stalled = tokio::spawn({
        let addr = addr.clone();
        async move {
            send_and_stall(
                &addr,
                b"POST /v1/tx HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"type\":",
            )
            .await
        }
    });
    let shed = wait_for("a request to be shed", Duration::from_secs(5), || async {
        let (status, body) = seq.get_raw("/v1/health").await;
        (status == 503).then_some(body)
    })
    .await;
    assert_eq!(shed["code"], "overloaded", "{shed}");
    let answer = stalled.await.expect("stalled client");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(
        answer.contains("\"code\":\"request_timeout\""),
        "{answer:?}"
    );
    let (status, _) = seq.get_raw("/v1/health").await;
    assert_eq!(status, 200, "the slot is free again");
    let metrics = seq
        .http
        .get(format!("{}/metrics", seq.url))
        .send()
        .await
        .unwrap();
    let text = metrics.text().await.unwrap();
    let shed_total = text
        .lines()
        .find_map(|l| l.strip_prefix("vigil_seq_requests_shed_total "))
        .and_then(|v| v.parse::<u64>().ok());
    assert!(shed_total.is_some_and(|n| n >= 1), "{text}");

    // Headers that never finish: the connection is closed after the header timeout.
    let answer = send_and_stall(&addr, b"POST /v1/tx HTTP/1.1\r\nHost: x\r\n").await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer:?}"
    );

    // Unknown routes, wrong methods and bad path or query parameters: JSON 4xx.
    let unknown_tx = format!("GET /v1/txs/0x{}", "0".repeat(64));
    for (request, status, code) in [
        ("GET /v1/nothing", 404, "no_such_route"),
        ("DELETE /v1/tx", 405, "method_not_allowed"),
        ("GET /v1/accounts/0xzz", 400, "invalid_path"),
        ("GET /v1/txs/12", 400, "invalid_path"),
        ("GET /v1/batches/x", 400, "invalid_path"),
        ("GET /v1/batches?from=-1", 400, "invalid_query"),
        (
            "GET /v1/markets/1/book?levels=2&depth=3",
            400,
            "invalid_query",
        ),
        ("GET /v1/markets/99/book", 404, "unknown_market"),
        ("GET /v1/batches/999", 404, "unknown_batch"),
        ("GET /v1/withdrawals/5", 404, "unknown_withdrawal"),
        (unknown_tx.as_str(), 404, "unknown_tx"),
    ] {
        let (method, path) = request.split_once(' ').expect("METHOD path");
        let request = seq
            .http
            .request(method.parse().unwrap(), format!("{}{path}", seq.url));
        let response = request.send().await.unwrap();
        let got = response.status().as_u16();
        let body: serde_json::Value = response.json().await.expect("a JSON error body");
        assert_eq!(
            (got, body["code"].as_str()),
            (status, Some(code)),
            "{method} {path}: {body}"
        );
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(seq.status().await.state_root, before.state_root);

    seq.stop().await;
    l1.shutdown().await;
}

/// Every malformed request head of the shared table gets the JSON error body, and one
/// pipelined after good requests is answered in its turn (test-support's malformed_heads).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_request_heads_are_answered_with_the_json_error_body() {
    let l1 = L1::start().await;
    let seq = Seq::start(&l1).await;
    test_support::check_malformed_heads(&seq.url, "/v1/health").await;
}
