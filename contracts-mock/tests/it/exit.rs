//! Exit mode: a queue message overdue for the freeze delay with no batch posted freezes
//! the rollup (boundaries at d − 1, d, d + 1); claims then open at the last finalized
//! root, unconsumed deposits are refunded, and each account is paid exactly the equity the
//! engine computes for it, once, with the supply conserved.

use crate::support::{
    Node, Rollup, addr, alice, assert_conserved, bob, carol, deposit_tx, expect_error, expect_ok,
    sequencer,
};
use contracts_mock::Config;
use contracts_mock::config::short_exit::FREEZE_DELAY_BLOCKS;
use k256::ecdsa::SigningKey;
use protocol::action::{Action, Order, PriceUpdate, TimeInForce, Tx};
use protocol::api::settlement::{
    ExitClaimCall, ExitClaimView, ExitPhase, ExitStatus, PostBatchResponse,
};
use protocol::batch::domain_separator;
use protocol::engine::INSURANCE_FUND;
use protocol::engine::exit::{exit_valuation, prove_exit};
use protocol::engine::view::account_risk_view;
use protocol::genesis::{Genesis, devnet_oracle_key};
use protocol::signing::sign_action;

const BTC: u32 = 1;
const BTC_PRICE: u64 = 50_000_000_000;

/// A node on the short exit clock: D = 4, F = 3, P = 2.
async fn exit_node() -> Node {
    Node::start_with(Config::set_short_exit_clock).await
}

fn user(genesis: &Genesis, key: &SigningKey, action: Action) -> Tx {
    Tx::User {
        action: sign_action(key, action, &domain_separator(genesis)),
    }
}

fn price(genesis: &Genesis, price: u64, timestamp_ms: u64) -> Tx {
    let update = Action::PriceUpdate(PriceUpdate {
        market: BTC,
        price,
        timestamp_ms,
    });
    user(genesis, &devnet_oracle_key(), update)
}

fn order(genesis: &Genesis, key: &SigningKey, is_buy: bool, tif: TimeInForce) -> Tx {
    let order = Action::Order(Order {
        account: addr(key),
        market: BTC,
        is_buy,
        price: BTC_PRICE,
        size: 100, // 0.01 BTC
        tif,
        reduce_only: false,
        nonce: 1,
        expires_at: u64::MAX / 2,
    });
    user(genesis, key, order)
}

#[tokio::test]
async fn the_rollup_freezes_exactly_when_the_delay_after_the_deadline_has_passed() {
    // offset from d = e + D + F, the last block a batch can still cure the overdue message.
    for (offset, frozen) in [(-1i64, false), (0, false), (1, true)] {
        let node = exit_node().await;
        node.fund_and_bond(&sequencer(), 1_000).await;
        let queued = node.deposit(&alice(), 500).await;
        let d = queued.deadline_block + FREEZE_DELAY_BLOCKS;
        let target = d.checked_add_signed(offset).expect("a block");
        node.mine_to(target).await;
        let exit: ExitStatus = node.get("/v1/exit").await;
        let t = node.status().await.block.timestamp_ms;
        let rollup = Rollup::new(node.genesis());
        let (batch, _) = rollup.build(t, vec![deposit_tx(0, addr(&alice()), 500)]);
        let answer = node.post_batch(&sequencer(), &batch).await;
        if frozen {
            assert_eq!(exit.frozen_block, Some(d + 1), "offset {offset}: {exit:?}");
            expect_error(
                &answer,
                409,
                "rollup_frozen",
                &format!("froze at block {}", d + 1),
            );
            let deposit = node.deposit_call(&alice(), 1).await;
            expect_error(
                &deposit,
                409,
                "rollup_frozen",
                "a deposit is no longer accepted",
            );
        } else {
            assert_eq!(
                (exit.phase, exit.freezes_at_block),
                (ExitPhase::Live, Some(d + 1)),
                "offset {offset}"
            );
            let _: PostBatchResponse = expect_ok(answer);
            let after: ExitStatus = node.get("/v1/exit").await;
            assert_eq!(
                (after.phase, after.freezes_at_block),
                (ExitPhase::Live, None)
            );
        }
        let claim = node
            .call(
                "/v1/exit/claim",
                &alice(),
                ExitClaimCall {
                    account: addr(&alice()),
                    witness: vec![],
                },
            )
            .await;
        if frozen {
            // Nothing was pending, so claims opened with the freeze (at the genesis root).
            let exit: ExitStatus = node.get("/v1/exit").await;
            assert_eq!(
                (exit.phase, exit.exit_batch_index),
                (ExitPhase::Claiming, None)
            );
            expect_error(&claim, 400, "malformed_witness", "does not decode");
        } else {
            expect_error(&claim, 409, "exit_not_open", "the rollup is live");
        }
    }
}

/// Claims `account` with the witness `prove_exit` makes from `tree`, signed by `from`.
async fn claim(
    node: &Node,
    from: &SigningKey,
    tree: &protocol::tree::Tree,
    account: protocol::primitives::Address,
) -> (u16, serde_json::Value) {
    let (_, witness) = prove_exit(tree, node.genesis(), &account).expect("valued");
    node.call("/v1/exit/claim", from, ExitClaimCall { account, witness })
        .await
}

#[tokio::test]
async fn every_account_is_paid_its_equity_once_and_the_supply_is_conserved() {
    let node = exit_node().await;
    let g = node.genesis().clone();
    node.fund_and_bond(&sequencer(), 1_000).await;
    node.deposit(&alice(), 1_000_000_000).await;
    node.deposit(&bob(), 1_000_000_000).await;
    let t = node.status().await.block.timestamp_ms;
    let mut rollup = Rollup::new(&g);
    // Alice buys 0.01 BTC from bob at 50,000; the price then rises to 51,000.
    let batch = rollup.next(
        t,
        vec![
            deposit_tx(0, addr(&alice()), 1_000_000_000),
            deposit_tx(1, addr(&bob()), 1_000_000_000),
            price(&g, BTC_PRICE, t - 1),
            order(&g, &alice(), true, TimeInForce::Gtc),
            order(&g, &bob(), false, TimeInForce::Ioc),
            price(&g, 51_000_000_000, t),
        ],
    );
    let _: PostBatchResponse = expect_ok(node.post_batch(&sequencer(), &batch).await);
    // Carol's deposit is never consumed: the sequencer goes silent.
    let carol_deposit = node.deposit(&carol(), 70_000_000).await;
    let carol_balance = node.account(&addr(&carol())).await.balance;
    node.mine_to(carol_deposit.deadline_block + FREEZE_DELAY_BLOCKS + 1)
        .await;

    let exit: ExitStatus = node.get("/v1/exit").await;
    assert_eq!(exit.phase, ExitPhase::Claiming, "{exit:?}");
    assert_eq!(exit.exit_batch_index, Some(0));
    assert_eq!(exit.exit_root, Some(rollup.tree.root()));
    assert_eq!(
        (exit.refunded_deposits, exit.refunded_amount),
        (1, 70_000_000)
    );
    assert_eq!(
        node.account(&addr(&carol())).await.balance,
        carol_balance + 70_000_000
    );

    // Refusals: the insurance fund, a witness of another root, one that misses leaves.
    expect_error(
        &claim(&node, &carol(), &rollup.tree, INSURANCE_FUND).await,
        422,
        "reserved_account",
        "",
    );
    let genesis_tree = protocol::batch::genesis_tree(&g);
    expect_error(
        &claim(&node, &carol(), &genesis_tree, addr(&alice())).await,
        422,
        "witness_root_mismatch",
        "",
    );
    let (_, bobs) = prove_exit(&rollup.tree, &g, &addr(&bob())).expect("valued");
    let wrong = node
        .call(
            "/v1/exit/claim",
            &carol(),
            ExitClaimCall {
                account: addr(&alice()),
                witness: bobs,
            },
        )
        .await;
    expect_error(&wrong, 422, "witness_incomplete", "");

    // Each claim records exactly the engine's equity over the full state.
    let mut expected = Vec::new();
    for key in [alice(), bob()] {
        let account = addr(&key);
        let mut full = rollup.tree.clone();
        let risk = account_risk_view(&mut full, &g, &account).expect("risk");
        let valuation = exit_valuation(&mut full, &g, &account).expect("valued");
        assert_eq!(valuation.equity, risk.equity);
        let claimed: ExitClaimView = expect_ok(claim(&node, &carol(), &rollup.tree, account).await);
        assert_eq!(i128::from(claimed.equity), risk.equity);
        assert_eq!((claimed.paid, claimed.claimed_by), (None, addr(&carol())));
        expected.push((account, u64::try_from(risk.equity).expect("positive")));
        let again = claim(&node, &key, &rollup.tree, account).await;
        expect_error(&again, 409, "already_claimed", "already claimed its exit");
    }
    // Alice gained 10 USDC on 0.01 BTC, less her fee; bob lost it.
    assert!(expected[0].1 > expected[1].1, "{expected:?}");

    let balances_before = (
        node.account(&addr(&alice())).await.balance,
        node.account(&addr(&bob())).await.balance,
    );
    let escrow_before = node.status().await.supply.escrow;
    assert_eq!(
        escrow_before, 2_000_000_000,
        "alice's and bob's deposits; carol's refunded"
    );
    node.mine_to(exit.claim_deadline_block.expect("deadline") + 1)
        .await;
    let paid: ExitStatus = node.get("/v1/exit").await;
    assert_eq!(paid.phase, ExitPhase::Paid, "{paid:?}");
    assert_eq!(
        (paid.payout_numerator, paid.payout_denominator),
        (Some(1), Some(1))
    );
    let total: u64 = expected.iter().map(|(_, e)| e).sum();
    assert_eq!(paid.paid_total, total);
    assert_eq!(
        (
            node.account(&addr(&alice())).await.balance,
            node.account(&addr(&bob())).await.balance
        ),
        (
            balances_before.0 + expected[0].1,
            balances_before.1 + expected[1].1
        )
    );
    let status = node.status().await;
    assert_eq!(status.supply.escrow, escrow_before - total);
    assert_conserved(&status);
    // What stays in escrow is the trading fees, which are nobody's equity.
    assert!(status.supply.escrow > 0, "{:?}", status.supply);
    for (account, equity) in expected {
        let view: ExitClaimView = node.get(&format!("/v1/exit/claims/{account}")).await;
        assert_eq!(view.paid, Some(equity));
    }
}
