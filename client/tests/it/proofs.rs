//! `GET /v1/proofs/…` against the whole system over HTTP (`network`): the sequencer and a
//! verifier serve account, position, order and withdrawal proofs against the post-state of
//! any batch they hold (`?batch=N`, default the newest), every one of them checks against
//! the root the settlement layer holds for that batch, both nodes give the same bytes for
//! the same batch, finalized states stay provable after newer ones finalize (the bounded
//! history), and a batch a node does not hold is a 404 that says what it holds.

use crate::network::trading::trade;
use crate::network::{Network, VERIFIER_FUNDS, Verifier, WINDOW, fund, verifier_key, wait_for};
use protocol::action::{Action, Order, TimeInForce};
use protocol::api::proofs::StateProof;
use protocol::codec::Decode;
use protocol::engine::keys::{account_key, position_key, withdrawal_key};
use protocol::signing::address_of;
use protocol::tree::Proof;
use protocol::workload::Workload;
use service_client::http::ServiceHttp;

/// Every leaf of `proof` verifies against `root`: present leaves by their value's hash,
/// absent ones as exclusions.
fn check_against(proof: &StateProof, root: &protocol::primitives::H256) {
    assert_eq!(&proof.state_root, root, "the state root L1 holds");
    for leaf in &proof.leaves {
        let decoded = Proof::decode(&leaf.proof).expect("a proof encoding");
        let proven = decoded.verify(root, &leaf.key).expect("the proof verifies");
        let expected = leaf.value.as_deref().map(protocol::keccak256);
        assert_eq!(proven, expected, "{}: value hash", leaf.what);
    }
}

/// The nonce of trader 0's resting ask (above any nonce the trading story uses).
const RESTING_NONCE: u64 = 90;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proofs_of_any_held_state_check_against_the_settlement_roots() {
    let net = Network::start(Workload::new(9, 4), None).await;
    let key = verifier_key(1);
    fund(&net.l1, &address_of(&key), VERIFIER_FUNDS).await;
    let dir = tempfile::tempdir().expect("dir");
    let verifier = Verifier::start(Verifier::config(&net, &dir, &key)).await;
    trade(&net).await;
    // An ask above the book rests: its order proof has the index leaf and the book leaf.
    let resting = net.workload.traders[0].clone();
    let ask = Action::Order(Order {
        account: resting.address,
        market: 1,
        is_buy: false,
        price: 51_000_000_000,
        size: 100,
        tif: TimeInForce::Gtc,
        reduce_only: false,
        nonce: RESTING_NONCE,
        expires_at: u64::MAX / 2,
    });
    let placed = net
        .seq
        .submit(&net.sign(&resting.key, ask))
        .await
        .expect("an ask");
    assert_eq!(placed.receipt.order.expect("an order outcome").resting, 100);
    let settled = wait_for("everything to be posted", || net.settled()).await;
    verifier.wait_on_tip(&net).await;

    let trader = net.workload.traders[0].address;
    let seq = ServiceHttp::new("sequencer", net.seq.base_url());
    let ver = ServiceHttp::new("verifier", verifier.client.base_url());
    let tip = settled.tip.index.expect("a tip");
    // Both nodes hold the newest finalized batch's state and every later one.
    let first_held = settled.finalized_index.unwrap_or(0);
    assert!(
        tip > first_held,
        "several batches are still in their window"
    );
    for batch in first_held..=tip {
        let root = net
            .l1
            .batch(batch, false)
            .await
            .expect("batch")
            .post_state_root;
        for path in [
            format!("/v1/proofs/accounts/{trader}?batch={batch}"),
            format!("/v1/proofs/positions/{trader}/1?batch={batch}"),
            format!("/v1/proofs/orders/{trader}/1/1?batch={batch}"),
            format!("/v1/proofs/withdrawals/0?batch={batch}"),
        ] {
            let from_seq: StateProof = seq.get(&path).await.expect("the sequencer proves");
            check_against(&from_seq, &root);
            let from_verifier: StateProof = ver.get(&path).await.expect("the verifier proves");
            assert_eq!(
                from_seq, from_verifier,
                "{path}: the same bytes from both nodes"
            );
        }
    }
    // The newest by default; the keys are the documented ones.
    let newest: StateProof = seq
        .get(&format!("/v1/proofs/accounts/{trader}"))
        .await
        .expect("proof");
    assert_eq!(newest.batch_index, Some(tip));
    assert_eq!(newest.leaves[0].key, account_key(&trader));
    assert!(
        newest.leaves[0].value.is_some(),
        "the trader's account exists"
    );
    let position: StateProof = seq
        .get(&format!("/v1/proofs/positions/{trader}/1"))
        .await
        .expect("proof");
    assert_eq!(position.leaves[0].key, position_key(&trader, 1));
    let order: StateProof = seq
        .get(&format!("/v1/proofs/orders/{trader}/1/{RESTING_NONCE}"))
        .await
        .expect("proof");
    let whats: Vec<&str> = order.leaves.iter().map(|l| l.what.as_str()).collect();
    assert_eq!(whats, ["order_index", "book_order"], "{order:?}");
    assert!(order.leaves.iter().all(|l| l.value.is_some()), "{order:?}");
    let at = order.batch_index.expect("a posted batch");
    let root = net
        .l1
        .batch(at, false)
        .await
        .expect("batch")
        .post_state_root;
    check_against(&order, &root);
    let withdrawal: StateProof = seq.get("/v1/proofs/withdrawals/0").await.expect("proof");
    assert_eq!(withdrawal.leaves[0].key, withdrawal_key(0));
    assert!(withdrawal.leaves[0].value.is_some(), "trader 0 withdrew");

    // Once later batches finalize, older finalized states stay provable from the history.
    net.mine(WINDOW + 1).await;
    wait_for("every batch to finalize", || async {
        let s = net.l1_status().await;
        (s.finalized_index == Some(tip)).then_some(())
    })
    .await;
    verifier.wait_on_tip(&net).await;
    let path = format!("/v1/proofs/accounts/{trader}?batch={first_held}");
    let root = net
        .l1
        .batch(first_held, false)
        .await
        .expect("batch")
        .post_state_root;
    wait_for("the sequencer to follow the finalization", || async {
        let s = net.seq.status().await.ok()?;
        (s.last_finalized == Some(tip)).then_some(())
    })
    .await;
    for node in [&seq, &ver] {
        let proof: StateProof = node.get(&path).await.expect("a finalized state in history");
        check_against(&proof, &root);
    }

    // A batch not held: 404 naming what is held.
    for node in [&seq, &ver] {
        let err = node
            .get::<StateProof>(&format!("/v1/proofs/accounts/{trader}?batch={}", tip + 10))
            .await
            .expect_err("not held");
        assert_eq!(err.code(), Some("state_not_held"), "{err}");
        assert!(err.to_string().contains("holds"), "{err}");
    }
    verifier.shutdown().await;
    net.shutdown().await;
}
