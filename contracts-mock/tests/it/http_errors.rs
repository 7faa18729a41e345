//! Bad input at the HTTP layer: every refusal is a JSON `{code, message}` with a 4xx, never
//! a panic or a 500, and leaves nothing behind.

use crate::support::{Node, addr, alice, expect_error};
use protocol::api::settlement::MineRequest;
use serde_json::{Value, json};

async fn raw(node: &Node, path: &str, content_type: Option<&str>, body: String) -> (u16, Value) {
    let mut request = node.http.post(format!("{}{path}", node.url)).body(body);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    let response = request.send().await.expect("POST");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON error body"))
}

#[tokio::test]
async fn malformed_bodies_are_refused_with_json_errors() {
    let node = Node::start().await;
    let before = node.snapshot().await;
    let json = Some("application/json");
    expect_error(
        &raw(&node, "/v1/faucet", json, "{".into()).await,
        400,
        "invalid_json",
        "",
    );
    expect_error(
        &raw(&node, "/v1/faucet", json, "{}".into()).await,
        400,
        "invalid_body",
        "missing field `address`",
    );
    let extra = json!({"address": addr(&alice()), "amount": 1, "bonus": 2}).to_string();
    expect_error(
        &raw(&node, "/v1/faucet", json, extra).await,
        400,
        "invalid_body",
        "unknown field `bonus`",
    );
    let negative = json!({"address": addr(&alice()), "amount": "-5"}).to_string();
    expect_error(
        &raw(&node, "/v1/faucet", json, negative).await,
        400,
        "invalid_body",
        "not a decimal integer",
    );
    let short = json!({"address": "0x12", "amount": 1}).to_string();
    expect_error(
        &raw(&node, "/v1/faucet", json, short).await,
        400,
        "invalid_body",
        "expected 20 bytes, got 1",
    );
    expect_error(
        &raw(&node, "/v1/faucet", None, "{}".into()).await,
        415,
        "unsupported_media_type",
        "Content-Type",
    );
    let unsigned = json!({"from": addr(&alice()), "nonce": 0, "call": {"amount": 1}}).to_string();
    node.expect_refused(
        &before,
        &raw(&node, "/v1/bond", json, unsigned).await,
        400,
        "invalid_body",
        "missing field `signature`",
    )
    .await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused() {
    let node = Node::start_with(|c| c.max_body_bytes = 64 * 1024).await;
    let big = format!("{{\"blocks\": 1, \"pad\": \"{}\"}}", "x".repeat(100 * 1024));
    let answer = raw(&node, "/v1/admin/mine", Some("application/json"), big).await;
    expect_error(&answer, 413, "payload_too_large", "");
    assert_eq!(node.status().await.block.number, 0);
}

#[tokio::test]
async fn unknown_routes_methods_and_parameters_are_refused() {
    let node = Node::start().await;
    expect_error(
        &node.get_raw("/v1/nothing").await,
        404,
        "no_such_route",
        "no such endpoint",
    );
    expect_error(
        &node.get_raw("/v1/faucet").await,
        405,
        "method_not_allowed",
        "method",
    );
    expect_error(
        &node.get_raw("/v1/accounts/0x12").await,
        400,
        "invalid_path",
        "expected 20 bytes",
    );
    expect_error(
        &node.get_raw("/v1/batches/minus-one").await,
        400,
        "invalid_path",
        "",
    );
    expect_error(
        &node.get_raw("/v1/batches/0").await,
        404,
        "no_such_batch",
        "no batch 0 has been posted",
    );
    // No row is keyed above SQLite's largest integer: such an id is refused where it is
    // parsed, with the bound (it used to reach the database).
    expect_error(
        &node.get_raw("/v1/submissions/18446744073709551615").await,
        400,
        "invalid_path",
        "18446744073709551615 is above 9223372036854775807",
    );
    expect_error(
        &node.get_raw("/v1/submissions/9223372036854775807").await,
        404,
        "no_such_submission",
        "",
    );
    expect_error(
        &node.get_raw("/v1/events?after=x").await,
        400,
        "invalid_query",
        "",
    );
    expect_error(
        &node.get_raw("/v1/events?colour=red").await,
        400,
        "invalid_query",
        "unknown field",
    );
    expect_error(
        &node.get_raw("/v1/events?after=18446744073709551615").await,
        400,
        "invalid_query",
        "after: 18446744073709551615 is above 9223372036854775807",
    );
    let far = node.get_raw("/v1/events?after=9223372036854775807").await;
    assert_eq!(far.0, 200, "{far:?}");
}

#[tokio::test]
async fn bad_mining_requests_are_refused() {
    let node = Node::start().await;
    let head = node.status().await.block;
    let zero = node
        .post_raw(
            "/v1/admin/mine",
            &MineRequest {
                blocks: 0,
                timestamp_ms: None,
            },
        )
        .await;
    expect_error(
        &zero,
        400,
        "invalid_block_count",
        "blocks must be 1..=1000000, got 0",
    );
    let past = node
        .post_raw(
            "/v1/admin/mine",
            &MineRequest {
                blocks: 1,
                timestamp_ms: Some(head.timestamp_ms - 1),
            },
        )
        .await;
    expect_error(
        &past,
        422,
        "timestamp_before_head",
        "is before the head block's timestamp",
    );
    assert_eq!(node.status().await.block, head);
}
