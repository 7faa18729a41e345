//! Forced inclusion: a user puts a signed L2 action into the L1 queue; the sequencer must
//! include it by its deadline or its batches are refused.

use crate::support::{
    Node, Rollup, addr, alice, bob, carol, expect_error, expect_ok, sequencer, withdraw_tx,
};
use protocol::action::{Action, CancelAll, L1Message, Liquidate, PriceUpdate, SignedAction, Tx};
use protocol::api::settlement::{
    EventKind, ForceCall, ForceResponse, PostBatchResponse, QueueResponse,
};
use protocol::batch::domain_separator;
use protocol::signing::sign_action;

fn forced_withdraw(node: &Node) -> SignedAction {
    match withdraw_tx(node.genesis(), &alice(), 5, 7) {
        Tx::User { action } => action,
        other => panic!("withdraw_tx gave {other:?}"),
    }
}

#[tokio::test]
async fn a_forced_action_is_queued_with_its_deadline_and_announced() {
    let node = Node::start().await;
    let action = forced_withdraw(&node);
    // Anyone may relay it: here bob pays nothing but signs the L1 call.
    let queued: ForceResponse = expect_ok(
        node.call(
            "/v1/force",
            &bob(),
            ForceCall {
                action: action.clone(),
            },
        )
        .await,
    );
    assert_eq!(
        (queued.queue_index, queued.deadline_block),
        (0, queued.block + 4)
    );
    let queue: QueueResponse = node.get("/v1/queue").await;
    assert_eq!(
        queue.messages[0].message,
        L1Message::Forced {
            action: action.clone()
        }
    );
    let last = node.events(0).await.events.pop().expect("event");
    assert_eq!(
        last.event,
        EventKind::ForcedQueued {
            queue_index: 0,
            from: addr(&bob()),
            action
        }
    );
}

#[tokio::test]
async fn only_exit_actions_and_oracle_prices_with_valid_signatures_can_be_forced() {
    let node = Node::start().await;
    let before = node.snapshot().await;
    let domain = domain_separator(node.genesis());
    let liquidation = sign_action(
        &carol(),
        Action::Liquidate(Liquidate {
            liquidator: addr(&carol()),
            account: addr(&alice()),
            market: 1,
            nonce: 1,
            expires_at: u64::MAX,
        }),
        &domain,
    );
    let answer = node
        .call(
            "/v1/force",
            &carol(),
            ForceCall {
                action: liquidation,
            },
        )
        .await;
    expect_error(
        &answer,
        422,
        "forced_action_not_allowed",
        "Liquidate cannot be forced",
    );

    // A price update may be forced, but only with the oracle's signature.
    let update = Action::PriceUpdate(PriceUpdate {
        market: 1,
        price: 5,
        timestamp_ms: 1,
    });
    let oracle_like = sign_action(&carol(), update.clone(), &domain);
    // Nor may an exit action be forced under someone else's signature.
    let mut forged = sign_action(
        &carol(),
        Action::CancelAll(CancelAll {
            account: addr(&carol()),
            nonce: 1,
            expires_at: u64::MAX,
        }),
        &domain_separator(node.genesis()),
    );
    if let Action::CancelAll(c) = &mut forged.action {
        c.account = addr(&alice()); // carol's signature on alice's cancel-all
    }
    for action in [oracle_like, forged] {
        let answer = node.call("/v1/force", &carol(), ForceCall { action }).await;
        node.expect_refused(
            &before,
            &answer,
            422,
            "invalid_forced_action",
            "signer mismatch",
        )
        .await;
    }

    // The oracle's own update, relayed by carol, is queued.
    let signed = sign_action(&protocol::genesis::devnet_oracle_key(), update, &domain);
    let queued: ForceResponse = expect_ok(
        node.call("/v1/force", &carol(), ForceCall { action: signed })
            .await,
    );
    assert_eq!(queued.queue_index, 0);
}

#[tokio::test]
async fn a_batch_skipping_an_overdue_forced_message_is_refused_and_one_including_it_is_accepted() {
    let node = Node::start().await;
    node.fund_and_bond(&sequencer(), 1_000).await;
    let action = forced_withdraw(&node);
    let queued: ForceResponse = expect_ok(
        node.call(
            "/v1/force",
            &alice(),
            ForceCall {
                action: action.clone(),
            },
        )
        .await,
    );
    node.mine_to(queued.deadline_block + 1).await;
    let t = node.status().await.block.timestamp_ms;
    let mut rollup = Rollup::new(node.genesis());
    let (skipping, _) = rollup.build(t, vec![withdraw_tx(node.genesis(), &carol(), 1, 1)]);
    let before = node.snapshot().await;
    let refused = node.post_batch(&sequencer(), &skipping).await;
    node.expect_refused(
        &before,
        &refused,
        422,
        "overdue_message_skipped",
        &format!("had to be consumed by block {}", queued.deadline_block),
    )
    .await;

    let including = rollup.next(
        t,
        vec![Tx::L1 {
            queue_index: 0,
            message: L1Message::Forced { action },
        }],
    );
    let _: PostBatchResponse = expect_ok(node.post_batch(&sequencer(), &including).await);
}

/// The deadline's boundary, at d − 1, d and d + 1 for d = e + D: a batch that leaves the
/// message unconsumed is accepted at head ≤ d and refused at d + 1.
#[tokio::test]
async fn a_batch_may_skip_a_queued_message_exactly_until_its_deadline_block() {
    for (offset, accepted) in [(-1i64, true), (0, true), (1, false)] {
        let node = Node::start().await;
        node.fund_and_bond(&sequencer(), 1_000).await;
        let action = forced_withdraw(&node);
        let queued: ForceResponse =
            expect_ok(node.call("/v1/force", &alice(), ForceCall { action }).await);
        let head = queued
            .deadline_block
            .checked_add_signed(offset)
            .expect("a block");
        if head > queued.block {
            node.mine_to(head).await;
        }
        let t = node.status().await.block.timestamp_ms;
        let rollup = Rollup::new(node.genesis());
        let (skipping, _) = rollup.build(t, vec![withdraw_tx(node.genesis(), &carol(), 1, 1)]);
        let answer = node.post_batch(&sequencer(), &skipping).await;
        if accepted {
            let _: PostBatchResponse = expect_ok(answer);
        } else {
            expect_error(
                &answer,
                422,
                "overdue_message_skipped",
                "had to be consumed",
            );
        }
    }
}
