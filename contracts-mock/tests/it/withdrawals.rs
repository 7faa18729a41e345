//! Withdrawal claims: a proof of the withdrawal leaf against a finalized batch's post root
//! pays the leaf's account from escrow, once; anything else is refused and changes nothing.

use crate::support::{
    Node, Rollup, addr, alice, assert_conserved, bob, deposit_tx, expect_error, expect_ok,
    sequencer, withdraw_tx,
};
use protocol::api::settlement::{
    ClaimResponse, ClaimWithdrawalCall, PostBatchResponse, WithdrawalResponse,
};
use protocol::codec::{Decode, Encode};
use protocol::engine::keys::withdrawal_key;
use protocol::engine::records::Withdrawal;
use protocol::tree::Proof;

pub struct Withdrawn {
    pub node: Node,
    /// Claim of withdrawal 0 (alice, 400) against batch 0, with a valid proof.
    pub claim: ClaimWithdrawalCall,
    pub deadline: u64,
}

/// `alice_withdraws`, then blocks mined until batch 0 is final (claims may start).
pub async fn alice_withdraws_finally(node: Node) -> Withdrawn {
    let withdrawn = alice_withdraws(node).await;
    withdrawn.node.mine_to(withdrawn.deadline + 1).await;
    withdrawn
}

/// Alice deposits 1000 and withdraws 400 in batch 0 (posted, not yet final).
pub async fn alice_withdraws(node: Node) -> Withdrawn {
    node.fund_and_bond(&sequencer(), 1_000).await;
    node.deposit(&alice(), 1_000).await;
    let t = node.status().await.block.timestamp_ms;
    let mut rollup = Rollup::new(node.genesis());
    let batch = rollup.next(
        t,
        vec![
            deposit_tx(0, addr(&alice()), 1_000),
            withdraw_tx(node.genesis(), &alice(), 400, 1),
        ],
    );
    let posted: PostBatchResponse = expect_ok(node.post_batch(&sequencer(), &batch).await);
    let leaf = rollup
        .tree
        .lookup(&withdrawal_key(0))
        .expect("full tree")
        .expect("withdrawal 0 exists");
    assert_eq!(
        Withdrawal::decode(leaf).expect("leaf"),
        Withdrawal {
            account: addr(&alice()),
            amount: 400
        }
    );
    let proof = rollup
        .tree
        .prove(&withdrawal_key(0))
        .expect("full tree")
        .encode();
    let claim = ClaimWithdrawalCall {
        batch_index: 0,
        withdrawal_id: 0,
        account: addr(&alice()),
        amount: 400,
        proof,
    };
    Withdrawn {
        node,
        claim,
        deadline: posted.deadline_block,
    }
}

#[tokio::test]
async fn a_claim_against_a_final_root_pays_the_leaf_account_once() {
    let Withdrawn {
        node,
        claim,
        deadline,
    } = alice_withdraws_finally(Node::start().await).await;
    let alice_before = node.account(&addr(&alice())).await.balance;
    let escrow_before = node.status().await.supply.escrow;

    // Bob relays the claim; the money goes to alice, the leaf's account.
    let paid: ClaimResponse = expect_ok(
        node.call("/v1/withdrawals/claim", &bob(), claim.clone())
            .await,
    );
    assert_eq!(
        (paid.withdrawal_id, paid.account, paid.amount),
        (0, addr(&alice()), 400)
    );
    assert_eq!(
        node.account(&addr(&alice())).await.balance,
        alice_before + 400
    );
    let status = node.status().await;
    assert_eq!(status.supply.escrow, escrow_before - 400);
    assert_conserved(&status);
    let view: WithdrawalResponse = node.get("/v1/withdrawals/0").await;
    assert_eq!(
        (view.claimed, view.account, view.amount, view.batch_index),
        (true, Some(addr(&alice())), Some(400), Some(0))
    );

    let before = node.snapshot().await;
    let again = node.call("/v1/withdrawals/claim", &alice(), claim).await;
    node.expect_refused(
        &before,
        &again,
        409,
        "already_claimed",
        &format!("withdrawal 0 was already claimed at block {}", deadline + 1),
    )
    .await;
}

#[tokio::test]
async fn a_claim_against_a_root_that_is_not_final_is_refused() {
    let Withdrawn {
        node,
        claim,
        deadline,
    } = alice_withdraws(Node::start().await).await;
    node.mine_to(deadline).await;
    let before = node.snapshot().await;
    let early = node.call("/v1/withdrawals/claim", &alice(), claim).await;
    node.expect_refused(
        &before,
        &early,
        409,
        "batch_not_final",
        &format!(
            "can be challenged until block {deadline}, so claims against its root open at block {}",
            deadline + 1
        ),
    )
    .await;
    let unknown: WithdrawalResponse = node.get("/v1/withdrawals/0").await;
    assert!(!unknown.claimed);
}

/// Alice's `claim`, which must be refused with `status`, `code` and a message saying `says`.
async fn refused_claim(
    node: &Node,
    claim: ClaimWithdrawalCall,
    status: u16,
    code: &str,
    says: &str,
) {
    let answer = node.call("/v1/withdrawals/claim", &alice(), claim).await;
    expect_error(&answer, status, code, says);
}

#[tokio::test]
async fn a_claim_with_a_mutated_proof_or_leaf_is_refused() {
    let Withdrawn { node, claim, .. } = alice_withdraws_finally(Node::start().await).await;
    let before = node.snapshot().await;

    let more = ClaimWithdrawalCall {
        amount: 401,
        ..claim.clone()
    };
    let answer = node.call("/v1/withdrawals/claim", &alice(), more).await;
    expect_error(
        &answer,
        422,
        "invalid_withdrawal_proof",
        "the proof does not show withdrawal 0 = {account",
    );
    expect_error(&answer, 422, "invalid_withdrawal_proof", "value mismatch");

    let to_bob = ClaimWithdrawalCall {
        account: addr(&bob()),
        ..claim.clone()
    };
    refused_claim(
        &node,
        to_bob,
        422,
        "invalid_withdrawal_proof",
        "value mismatch",
    )
    .await;

    let other_id = ClaimWithdrawalCall {
        withdrawal_id: 1,
        ..claim.clone()
    };
    refused_claim(
        &node,
        other_id,
        422,
        "invalid_withdrawal_proof",
        "withdrawal 1",
    )
    .await;

    // Flip one byte of every sibling hash in turn: each mutation is refused.
    let decoded = Proof::decode(&claim.proof).expect("proof");
    assert!(!decoded.steps.is_empty(), "the proof has a path");
    for step in 0..decoded.steps.len() {
        let mut mutated = decoded.clone();
        mutated.steps[step].sibling.0[0] ^= 1;
        let bad = ClaimWithdrawalCall {
            proof: mutated.encode(),
            ..claim.clone()
        };
        refused_claim(&node, bad, 422, "invalid_withdrawal_proof", "root mismatch").await;
    }
    let truncated = ClaimWithdrawalCall {
        proof: claim.proof[..claim.proof.len() - 1].to_vec(),
        ..claim.clone()
    };
    refused_claim(
        &node,
        truncated,
        400,
        "malformed_proof",
        "withdrawal proof does not decode",
    )
    .await;
    assert_eq!(node.snapshot().await, before);
}

#[tokio::test]
async fn a_claim_against_a_batch_never_posted_is_refused() {
    let node = Node::start().await;
    let claim = ClaimWithdrawalCall {
        batch_index: 3,
        withdrawal_id: 0,
        account: addr(&alice()),
        amount: 1,
        proof: vec![],
    };
    let before = node.snapshot().await;
    refused_claim(
        &node,
        claim,
        404,
        "no_such_batch",
        "no batch 3 has been posted",
    )
    .await;
    assert_eq!(node.snapshot().await, before);
}
