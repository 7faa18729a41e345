//! L1 accounts and call authentication: the faucet, bonds, deposits, the supply
//! accounting, and every way a call's signature or nonce can be wrong.

use crate::support::{Node, addr, alice, assert_conserved, bob, expect_error, expect_ok};
use protocol::action::L1Message;
use protocol::api::settlement::{
    BondCall, BondResponse, DepositCall, DepositResponse, EventKind, FaucetRequest, L1CallData,
    QueueResponse, SignedCall, UnbondCall, l1_call_digest,
};
use protocol::signing::sign_digest;

#[tokio::test]
async fn faucet_bond_unbond_and_deposit_move_tokens_and_conserve_supply() {
    let node = Node::start().await;
    let (a, b) = (addr(&alice()), addr(&bob()));
    node.faucet(&a, 1_000).await;
    assert_conserved(&node.status().await);

    let bonded: BondResponse = expect_ok(
        node.call("/v1/bond", &alice(), BondCall { amount: 300 })
            .await,
    );
    assert_eq!((bonded.balance, bonded.bond), (700, 300));
    let unbonded: BondResponse = expect_ok(
        node.call("/v1/unbond", &alice(), UnbondCall { amount: 100 })
            .await,
    );
    assert_eq!((unbonded.balance, unbonded.bond), (800, 200));
    assert_conserved(&node.status().await);

    let deposit: DepositResponse = expect_ok(
        node.call(
            "/v1/deposit",
            &alice(),
            DepositCall {
                account: b,
                amount: 500,
            },
        )
        .await,
    );
    assert_eq!(deposit.queue_index, 0);
    assert_eq!(
        deposit.deadline_block,
        deposit.block + 4,
        "D = 4 in the test config"
    );
    let account = node.account(&a).await;
    assert_eq!(
        (account.balance, account.bond, account.nonce),
        (300, 200, 3)
    );
    let status = node.status().await;
    assert_eq!(
        (
            status.supply.minted,
            status.supply.escrow,
            status.queue_length
        ),
        (1_000, 500, 1)
    );
    assert_conserved(&status);

    let queue: QueueResponse = node.get("/v1/queue").await;
    assert_eq!(
        queue.messages[0].message,
        L1Message::Deposit {
            account: b,
            amount: 500
        }
    );
    assert_eq!(
        (
            queue.messages[0].sender,
            queue.messages[0].consumed_by,
            queue.next_unconsumed
        ),
        (a, None, 0)
    );

    let kinds = node.event_kinds().await;
    assert_eq!(
        kinds,
        vec![
            EventKind::Minted {
                account: a,
                amount: 1_000
            },
            EventKind::Bonded {
                account: a,
                amount: 300,
                bond: 300
            },
            EventKind::Unbonded {
                account: a,
                amount: 100,
                bond: 200
            },
            EventKind::Deposited {
                queue_index: 0,
                from: a,
                account: b,
                amount: 500
            },
        ]
    );
}

#[tokio::test]
async fn a_replayed_nonce_is_refused_and_changes_nothing() {
    let node = Node::start().await;
    node.faucet(&addr(&alice()), 1_000).await;
    let signed = SignedCall::sign(&alice(), 0, BondCall { amount: 10 }, &node.domain());
    let _: BondResponse = expect_ok(node.post_raw("/v1/bond", &signed).await);
    let before = node.snapshot().await;
    let replay = node.post_raw("/v1/bond", &signed).await;
    expect_error(&replay, 409, "bad_nonce", "nonce 0 is not");
    node.expect_refused(&before, &replay, 409, "bad_nonce", "already used")
        .await;
}

#[tokio::test]
async fn a_skipped_nonce_is_refused_and_changes_nothing() {
    let node = Node::start().await;
    node.faucet(&addr(&alice()), 1_000).await;
    let before = node.snapshot().await;
    let skipped = node
        .call_at("/v1/bond", &alice(), 1, BondCall { amount: 10 })
        .await;
    node.expect_refused(
        &before,
        &skipped,
        409,
        "bad_nonce",
        "next L1 nonce 0: ahead of it (nonces cannot skip)",
    )
    .await;
}

#[tokio::test]
async fn bad_signatures_are_refused_and_change_nothing() {
    let node = Node::start().await;
    node.faucet(&addr(&alice()), 1_000).await;
    let before = node.snapshot().await;

    // A v byte no wallet produces.
    let mut bad_v = SignedCall::sign(&alice(), 0, BondCall { amount: 10 }, &node.domain());
    bad_v.signature.0[64] = 5;
    expect_error(
        &node.post_raw("/v1/bond", &bad_v).await,
        401,
        "bad_signature",
        "invalid signature v = 5",
    );

    // Bob signs the digest of a call from alice.
    let call = BondCall { amount: 10 };
    let digest = l1_call_digest(&node.domain(), &addr(&alice()), 0, &call.call_hash());
    let impostor = SignedCall {
        from: addr(&alice()),
        nonce: 0,
        call,
        signature: sign_digest(&bob(), &digest),
    };
    let answer = node.post_raw("/v1/bond", &impostor).await;
    expect_error(
        &answer,
        401,
        "signer_mismatch",
        &format!(
            "recovers {}, but the call is from {}",
            addr(&bob()),
            addr(&alice())
        ),
    );

    // The payload changed after signing.
    let mut altered = SignedCall::sign(&alice(), 0, BondCall { amount: 10 }, &node.domain());
    altered.call.amount = 900;
    expect_error(
        &node.post_raw("/v1/bond", &altered).await,
        401,
        "signer_mismatch",
        "signer mismatch",
    );

    // Signed for another deployment (another chain id).
    let other =
        protocol::api::settlement::l1_domain_separator(1, &node.genesis().verifying_contract);
    let wrong_domain = SignedCall::sign(&alice(), 0, BondCall { amount: 10 }, &other);
    node.expect_refused(
        &before,
        &node.post_raw("/v1/bond", &wrong_domain).await,
        401,
        "signer_mismatch",
        "signer mismatch",
    )
    .await;
}

#[tokio::test]
async fn refused_amounts_change_nothing() {
    let node = Node::start().await;
    node.faucet(&addr(&alice()), 100).await;
    let before = node.snapshot().await;
    let deposit = node.deposit_call(&alice(), 101).await;
    expect_error(
        &deposit,
        409,
        "insufficient_balance",
        "holds 0.000100 USDC (100 base units) on L1 and the deposit needs 0.000101 USDC (101 base units)",
    );
    let bond = node
        .call("/v1/bond", &alice(), BondCall { amount: 101 })
        .await;
    expect_error(
        &bond,
        409,
        "insufficient_balance",
        "the bond needs 0.000101 USDC (101 base units)",
    );
    let unbond = node
        .call("/v1/unbond", &alice(), UnbondCall { amount: 1 })
        .await;
    expect_error(
        &unbond,
        409,
        "insufficient_bond",
        "has a bond of 0.000000 USDC (0 base units), cannot unbond 0.000001 USDC (1 base units)",
    );
    let zero = node.deposit_call(&alice(), 0).await;
    expect_error(&zero, 422, "zero_amount", "greater than zero");
    let too_much = node
        .post_raw(
            "/v1/faucet",
            &FaucetRequest {
                address: addr(&alice()),
                amount: 1_000_000_001,
            },
        )
        .await;
    node.expect_refused(
        &before,
        &too_much,
        422,
        "faucet_limit",
        "at most 1000000000 per call",
    )
    .await;
}

#[tokio::test]
async fn a_disabled_faucet_mints_nothing() {
    let node = Node::start_with(|c| c.faucet_max_amount = 0).await;
    let before = node.snapshot().await;
    let answer = node
        .post_raw(
            "/v1/faucet",
            &FaucetRequest {
                address: addr(&alice()),
                amount: 1,
            },
        )
        .await;
    node.expect_refused(&before, &answer, 403, "faucet_disabled", "disabled")
        .await;
}
