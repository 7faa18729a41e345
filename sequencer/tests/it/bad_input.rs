//! Every kind of bad input gets its 4xx with a stable code and a readable message naming
//! the problem, and changes nothing: not the state root, not the sequence, not the log.

use crate::support::l1::L1;
use crate::support::seq::Seq;
use crate::support::*;
use protocol::action::{Action, Order, PriceUpdate, SignedAction, TimeInForce};
use protocol::api::sequencer::{BulkItem, BulkResponse, TxListResponse};
use serde_json::{Value, json};

fn order_json(action: &SignedAction) -> Value {
    serde_json::to_value(action).expect("JSON")
}

fn btc_order(key: &k256::ecdsa::SigningKey, edit: impl FnOnce(&mut Order)) -> Order {
    let mut o = Order {
        account: addr(key),
        market: BTC,
        is_buy: true,
        price: BTC_PRICE - 5_000_000_000,
        size: ONE_BTC / 10,
        tif: TimeInForce::Gtc,
        reduce_only: false,
        nonce: 100,
        expires_at: FAR,
    };
    edit(&mut o);
    o
}

/// (what, path, body, expected HTTP status, expected code, a phrase the message contains)
type Case = (
    &'static str,
    &'static str,
    Vec<u8>,
    u16,
    &'static str,
    String,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bad_input_gets_its_4xx_and_changes_nothing() {
    let mut l1 = L1::start().await;
    let seq = Seq::start_with(&l1, |c| {
        c.limits.max_body_bytes = 16 * 1024;
        c.limits.max_bulk_actions = 4;
    })
    .await;
    let (alice, bob) = (alice(), bob());
    l1.deposit(&alice, DEPOSIT).await;
    l1.deposit(&bob, 10 * DEPOSIT).await;
    seq.wait_collateral(&addr(&alice), DEPOSIT.into()).await;
    seq.wait_collateral(&addr(&bob), (10 * DEPOSIT).into())
        .await;
    seq.submit(&price(BTC, BTC_PRICE)).await;
    let resting = sign(&alice, Action::Order(btc_order(&alice, |o| o.nonce = 7)));
    seq.submit(&resting).await;
    // A large ask from bob that alice's too-big buy (30 BTC: 153,000 USDC of initial margin
    // against her 100,000) would cross.
    let ask = BTC_PRICE + 1_000_000_000;
    seq.submit(&order(&bob, false, ask, 30 * ONE_BTC, TimeInForce::Gtc, 1))
        .await;

    let good = order_json(&sign(&alice, Action::Order(btc_order(&alice, |_| {}))));
    let mut missing_nonce = good.clone();
    missing_nonce["message"]
        .as_object_mut()
        .unwrap()
        .remove("nonce");
    let mut negative_price = good.clone();
    negative_price["message"]["price"] = json!("-5");
    let mut unknown_type = good.clone();
    unknown_type["type"] = json!("Transfer");
    let mut short_signature = good.clone();
    short_signature["signature"] = json!("0x1234");
    let mut extra_field = good.clone();
    extra_field["extra"] = json!(1);
    let bytes = |v: &Value| serde_json::to_vec(v).unwrap();
    let signed =
        |key: &k256::ecdsa::SigningKey, o: Order| bytes(&order_json(&sign(key, Action::Order(o))));
    let by_bob = signed(&bob, btc_order(&alice, |_| {}));
    let not_oracle = bytes(&order_json(&sign(
        &alice,
        Action::PriceUpdate(PriceUpdate {
            market: BTC,
            price: BTC_PRICE,
            timestamp_ms: now_ms(),
        }),
    )));
    let cases: Vec<Case> = vec![
        (
            "not JSON",
            "/v1/tx",
            b"{\"type\":".to_vec(),
            400,
            "invalid_json",
            "not JSON".into(),
        ),
        (
            "missing field",
            "/v1/tx",
            bytes(&missing_nonce),
            400,
            "malformed_action",
            "missing field `nonce`".into(),
        ),
        (
            "negative integer",
            "/v1/tx",
            bytes(&negative_price),
            400,
            "malformed_action",
            "\"-5\" is not a decimal integer".into(),
        ),
        (
            "unknown type",
            "/v1/tx",
            bytes(&unknown_type),
            400,
            "malformed_action",
            "unknown action type \"Transfer\"".into(),
        ),
        (
            "short signature",
            "/v1/tx",
            bytes(&short_signature),
            400,
            "malformed_action",
            "signature: expected 65 bytes".into(),
        ),
        (
            "unknown field",
            "/v1/tx",
            bytes(&extra_field),
            400,
            "malformed_action",
            "unknown field `extra`".into(),
        ),
        (
            "signed by another key",
            "/v1/tx",
            by_bob,
            422,
            "signer_mismatch",
            format!(
                "signer mismatch: recovered {}, message says {}",
                addr(&bob),
                addr(&alice)
            ),
        ),
        (
            "nonce reused",
            "/v1/tx",
            signed(
                &alice,
                btc_order(&alice, |o| {
                    o.nonce = 7;
                    o.price -= 1_000_000
                }),
            ),
            422,
            "nonce_already_used",
            "already used".into(),
        ),
        (
            "expired",
            "/v1/tx",
            signed(&alice, btc_order(&alice, |o| o.expires_at = 1)),
            422,
            "expired",
            "expiresAt".into(),
        ),
        (
            "insufficient margin",
            "/v1/tx",
            signed(
                &alice,
                btc_order(&alice, |o| {
                    o.size = 30 * ONE_BTC;
                    o.price = ask;
                    o.tif = TimeInForce::Ioc
                }),
            ),
            422,
            "insufficient_margin",
            "initial margin".into(),
        ),
        (
            "unknown market",
            "/v1/tx",
            signed(&alice, btc_order(&alice, |o| o.market = 99)),
            422,
            "unknown_market",
            "no such market".into(),
        ),
        (
            "price outside band",
            "/v1/tx",
            signed(&alice, btc_order(&alice, |o| o.price = 2 * BTC_PRICE)),
            422,
            "price_outside_band",
            "too far".into(),
        ),
        (
            "price update not from the oracle",
            "/v1/tx",
            not_oracle,
            422,
            "not_oracle",
            format!("signed by {}, which is not one of the", addr(&alice)),
        ),
        (
            "body too large",
            "/v1/tx",
            vec![b' '; 20 * 1024],
            413,
            "payload_too_large",
            "larger than 16384 bytes".into(),
        ),
        (
            "bulk not an array",
            "/v1/txs",
            bytes(&good),
            400,
            "malformed_body",
            "JSON array".into(),
        ),
        (
            "bulk empty",
            "/v1/txs",
            b"[]".to_vec(),
            400,
            "empty_batch",
            "no actions".into(),
        ),
        (
            "bulk too many",
            "/v1/txs",
            bytes(&json!([good, good, good, good, good])),
            413,
            "payload_too_large",
            "at most 4".into(),
        ),
        (
            "bulk with one malformed",
            "/v1/txs",
            bytes(&json!([good, missing_nonce])),
            400,
            "malformed_action",
            "action 1: ".into(),
        ),
    ];

    let before = seq.status().await;
    let txs_before: TxListResponse = seq.get("/v1/txs?limit=1000").await;
    for (what, path, body, status, code, phrase) in cases {
        let (got, answer) = seq.post_raw(path, body).await;
        assert_eq!(got, status, "{what}: {answer}");
        assert_eq!(answer["code"], code, "{what}: {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(&phrase),
            "{what}: {message:?} lacks {phrase:?}"
        );
        let now = seq.status().await;
        assert_eq!(
            (now.state_root, now.next_seq),
            (before.state_root, before.next_seq),
            "{what} changed the state"
        );
    }
    let txs_after: TxListResponse = seq.get("/v1/txs?limit=1000").await;
    assert_eq!(txs_after, txs_before, "no rejected action was logged");

    // In a bulk request each action is judged alone: the good one is accepted, the bad
    // one rejected with its code, and only the good one changes the state.
    let bulk = json!([
        good,
        order_json(&sign(
            &alice,
            Action::Order(btc_order(&alice, |o| o.expires_at = 1))
        ))
    ]);
    let (got, answer) = seq.post("/v1/txs", &bulk).await;
    assert_eq!(got, 200, "{answer}");
    let answer: BulkResponse = serde_json::from_value(answer).unwrap();
    assert_eq!((answer.accepted, answer.rejected), (1, 1));
    assert!(matches!(&answer.results[0], BulkItem::Accepted(a) if a.seq == before.next_seq));
    assert!(matches!(&answer.results[1], BulkItem::Rejected { code, .. } if code == "expired"));
    assert_eq!(seq.status().await.next_seq, before.next_seq + 1);

    seq.stop().await;
    l1.shutdown().await;
}
