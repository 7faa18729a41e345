//! The verifier's own API and startup checks: status (plain and long-polled), Prometheus
//! metrics, clear errors for bad requests (malformed request heads too), a settlement layer on another genesis refused,
//! an invalid configuration refused, and the binary's exit code for bad configuration.

use crate::support::node::Node;
use crate::support::service::Verifier;
use protocol::api::verifier::Mode;
use protocol::workload::Workload;
use std::process::Command;
use std::time::{Duration, Instant};
use verifier::{ConfigError, RunError};

#[tokio::test]
async fn status_long_polls_metrics_render_and_bad_requests_get_clear_errors() {
    let genesis = Workload::new(31, 2).genesis;
    let mut node = Node::start(&genesis).await;
    let dir = tempfile::tempdir().expect("dir");
    let v = Verifier::start(Verifier::config(&node, dir.path(), None)).await;
    let s = v.client.wait_caught_up(&node).await;
    assert_eq!(
        (s.mode, s.challenger, s.genesis_hash),
        (Mode::Watch, None, genesis.hash())
    );
    assert_eq!(
        (s.synced_batch, s.finalized_batch, s.halted),
        (None, None, None)
    );
    assert_eq!(
        s.verified_root,
        protocol::batch::genesis_tree(&genesis).root()
    );

    // A cursor not reached yet: the long poll answers after its wait, with the status.
    let started = Instant::now();
    let (code, body) = v
        .client
        .get_raw(&format!(
            "/v1/status?min_cursor={}&wait_ms=100",
            s.cursor + 1_000
        ))
        .await;
    assert_eq!(code, 200, "{body}");
    assert!(started.elapsed() >= Duration::from_millis(100));

    let metrics = v.client.metrics().await;
    for name in [
        "vigil_verifier_batches_verified_total 0",
        "vigil_verifier_actions_reexecuted_total 0",
        "vigil_verifier_reexecution_actions_per_second 0.0",
        "vigil_verifier_lag_blocks 0",
        "vigil_verifier_halted 0",
        "vigil_verifier_challenges{outcome=\"upheld\"} 0",
        "vigil_verifier_detection_latency_blocks_count 0",
    ] {
        assert!(metrics.contains(name), "{name} in {metrics}");
    }

    let check = |(code, body): (u16, String), expect_code: u16, error: &str| {
        assert_eq!(code, expect_code, "{body}");
        let body: serde_json::Value = serde_json::from_str(&body).expect("JSON error body");
        assert_eq!(body["code"], error, "{body}");
    };
    check(
        v.client.get_raw("/v1/status?min_cursor=x").await,
        400,
        "invalid_query",
    );
    check(
        v.client.get_raw("/v1/status?bogus=1").await,
        400,
        "invalid_query",
    );
    check(v.client.get_raw("/v1/nothing").await, 404, "no_such_route");
    let post = reqwest::Client::new()
        .post(format!("{}/v1/status", v.client.url))
        .send()
        .await
        .expect("POST");
    assert_eq!(post.status().as_u16(), 405);
    v.shutdown().await;
    node.shutdown().await;
}

#[tokio::test]
async fn a_settlement_layer_on_another_genesis_is_refused() {
    let mut node = Node::start(&Workload::new(32, 2).genesis).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut config = Verifier::config(&node, dir.path(), None);
    config.genesis = Workload::new(33, 2).genesis;
    let err = Verifier::start(config)
        .await
        .finished()
        .await
        .expect_err("refused");
    assert!(matches!(err, RunError::GenesisMismatch { .. }), "{err}");
    node.shutdown().await;
}

#[tokio::test]
async fn an_invalid_configuration_is_refused_before_anything_starts() {
    let dir = tempfile::tempdir().expect("dir");
    let mut node = Node::start(&Workload::new(34, 2).genesis).await;
    let mut config = Verifier::config(&node, dir.path(), None);
    config.mode = Mode::Challenge;
    let err = Verifier::start(config)
        .await
        .finished()
        .await
        .expect_err("refused");
    assert!(
        matches!(err, RunError::Config(ConfigError::MissingKey)),
        "{err}"
    );
    assert!(
        !dir.path().join(verifier::store::DB_FILE).exists(),
        "nothing was created"
    );
    node.shutdown().await;
}

#[test]
fn the_binary_exits_2_on_a_bad_configuration() {
    let dir = tempfile::tempdir().expect("dir");
    let output = Command::new(env!("CARGO_BIN_EXE_vigil-verifier"))
        .args(["--mode", "challenge", "--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(dir.path())
        .env_remove("VIGIL_VERIFIER_CHALLENGER_KEY")
        .output()
        .expect("run the binary");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("challenger key"), "{stderr}");
}

#[tokio::test]
async fn a_verifier_waiting_for_an_unreachable_settlement_layer_serves_status_and_stops_promptly() {
    // A port nobody listens on.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let dir = tempfile::tempdir().expect("dir");
    let genesis = Workload::new(35, 2).genesis;
    let mut config = verifier::Config::new(dir.path().to_path_buf(), url, genesis.clone());
    config.poll_interval = Duration::from_millis(50);
    let v = Verifier::start(config).await;
    let s = v.client.status().await;
    assert_eq!(
        (s.cursor, s.l1),
        (0, None),
        "not connected yet, but answering"
    );
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), v.shutdown())
        .await
        .expect("stops within 10 s");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// Every malformed request head of the shared table gets the JSON error body, and one
/// pipelined after good requests is answered in its turn (test-support's malformed_heads).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_request_heads_are_answered_with_the_json_error_body() {
    let genesis = Workload::new(31, 2).genesis;
    let node = Node::start(&genesis).await;
    let dir = tempfile::tempdir().expect("dir");
    let v = Verifier::start(Verifier::config(&node, dir.path(), None)).await;
    test_support::check_malformed_heads(&v.client.url, "/v1/status").await;
}
