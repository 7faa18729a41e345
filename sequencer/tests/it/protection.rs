//! Protection: load shedding answers 503 at once instead of queueing, slow clients are cut
//! off (headers and bodies), and every malformed request gets a JSON error, never a 500.

use crate::support::l1::L1;
use crate::support::seq::Seq;
use crate::support::*;
use protocol::action::TimeInForce;
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
    let seq = Seq::start_with(&l1, |c| {
        c.limits.max_inflight_actions = 2;
        c.limits.header_timeout = Duration::from_millis(200);
        c.limits.body_timeout = Duration::from_millis(200);
    })
    .await;
    let alice = alice();
    let before = seq.status().await;

    // Three actions cannot fit a budget of two: 503 at once, nothing queued.
    let three: Vec<_> = (1..=3)
        .map(|n| order(&alice, true, BTC_PRICE, ONE_BTC, TimeInForce::Gtc, n))
        .collect();
    let (status, body) = seq.post("/v1/txs", &three).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("overloaded")),
        "{body}"
    );
    assert_eq!(seq.status().await.next_seq, before.next_seq);
    let metrics = seq
        .http
        .get(format!("{}/metrics", seq.url))
        .send()
        .await
        .unwrap();
    let text = metrics.text().await.unwrap();
    assert!(text.contains("vigil_seq_requests_shed_total 1\n"), "{text}");

    // Headers that never finish: the connection is closed after the header timeout.
    let addr = seq.url.trim_start_matches("http://").to_string();
    let answer = send_and_stall(&addr, b"POST /v1/tx HTTP/1.1\r\nHost: x\r\n").await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer:?}"
    );

    // A body that never finishes: 408 with a JSON error.
    let answer = send_and_stall(
        &addr,
        b"POST /v1/tx HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"type\":",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(
        answer.contains("\"code\":\"request_timeout\""),
        "{answer:?}"
    );

    // Unknown routes, wrong methods and bad path or query parameters: JSON 4xx.
    for (method, path, status, code) in [
        ("GET", "/v1/nothing", 404, "no_such_route"),
        ("DELETE", "/v1/tx", 405, "method_not_allowed"),
        ("GET", "/v1/accounts/0xzz", 400, "invalid_path"),
        ("GET", "/v1/txs/12", 400, "invalid_path"),
        ("GET", "/v1/batches/x", 400, "invalid_path"),
        ("GET", "/v1/batches?from=-1", 400, "invalid_query"),
        (
            "GET",
            "/v1/markets/1/book?levels=2&depth=3",
            400,
            "invalid_query",
        ),
        ("GET", "/v1/markets/99/book", 404, "unknown_market"),
        ("GET", "/v1/batches/999", 404, "unknown_batch"),
        ("GET", "/v1/withdrawals/5", 404, "unknown_withdrawal"),
        (
            "GET",
            "/v1/txs/0x0000000000000000000000000000000000000000000000000000000000000000",
            404,
            "unknown_tx",
        ),
    ] {
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
