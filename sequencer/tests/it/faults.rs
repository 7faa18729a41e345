//! Fault injection, every kind: the fault is applied once, to the first batch at or after
//! the configured one that offers something to corrupt; a verifier re-executing the chain
//! on L1 finds exactly that batch bad; and a restart replays the corrupted state exactly
//! (the log records where the fault went), without injecting it again. Also: a restart
//! after finalization starts from a snapshot and reaches the same root.

use crate::support::l1::{L1, WINDOW};
use crate::support::seq::{Seq, test_config};
use crate::support::*;
use protocol::action::{
    Action, ApproveAgent, BulkModify, ClientOrder, Liquidate, ModifyItem, ModifyItems, NO_EXPIRY,
    Order, ScheduleCancel, SetLeverage, SetMarginMode, SignedAction, TimeInForce, TriggerKind,
    TriggerOrder,
};
use protocol::api::sequencer::{AuditStatus, StatusResponse};
use protocol::batch::{Batch, genesis_tree};
use protocol::codec::Decode;
use protocol::fault::Fault;
use protocol::fraud;
use protocol::options::schedule::SERIES_ID_BASE;
use sequencer::FaultPlan;
use std::time::Duration;

/// Deposits, a price, two trades, alice approving bob as her agent (what `agent-withdraw`
/// needs), bob's dead-man's switch far ahead (what `dead-man-early` needs), a
/// good-till-time bid of alice's resting below the market (what `expire-early` needs) and
/// a buy stop of bob's at twice the price (what `stop-early` needs) and bob's 9x leverage
/// in BTC (what `leverage-dropped` needs), a 60 % implied vol for BTC's options (what
/// `option-mark` needs; the price before it lists the series `option-settlement-price`
/// needs); alice holds BTC in isolated margin (set while she is flat, the first time; what
/// `isolated-spill` needs); alice's bulk modify moves her good-till-time bid (what
/// `bulk-priority` needs); the first time, bob also buys 5 ETH from alice at 10x in
/// isolated margin, ETH falls 15 % (its breaker trips: what `circuit-breaker-ignored`
/// needs) and alice liquidates bob's ETH position, now below maintenance (what
/// `liquidation-skipped` needs), and bob bids for 100 BTC of the at-the-money call, one
/// lot of which carol sells him (what `option-short-unmargined` needs: it sells the rest
/// for carol, who trades nothing else); waits until all of it is sealed and posted.
async fn trade(l1: &L1, seq: &Seq, nonce: u64) -> StatusResponse {
    let (alice, bob) = (alice(), bob());
    if nonce == 1 {
        let isolated = Action::SetMarginMode(SetMarginMode {
            signer: addr(&alice),
            account: addr(&alice),
            market: BTC,
            isolated: true,
            nonce: nonce + 5,
            expires_at: FAR,
        });
        // One request with her first ask and bob's fill of it, so all three land in one
        // chunk: `isolated-spill` acts after a chunk, and a chunk ending before the fill
        // would leave her isolated leaf without size (a resting order draws no margin),
        // which the fault's margin turns into an `isolated-margins` violation instead of a
        // balanced (but wrong) state. (Usually: a batch sealed between them still splits
        // them, which the audit check below allows.)
        let opening = [
            sign(&alice, isolated),
            maker_ask(&alice, ONE_BTC, nonce),
            taker_bid(&bob, ONE_BTC, nonce),
        ];
        let (status, body) = seq.post("/v1/txs", &opening).await;
        assert_eq!((status, &body["rejected"]), (200, &0.into()), "{body}");
    } else {
        seq.submit(&maker_ask(&alice, ONE_BTC, nonce)).await;
        seq.submit(&taker_bid(&bob, ONE_BTC, nonce)).await;
    }
    seq.submit(&maker_ask(&bob, ONE_BTC / 2, nonce + 1)).await;
    seq.submit(&taker_bid(&alice, ONE_BTC / 2, nonce + 1)).await;
    if nonce == 1 {
        crash_eth(seq, nonce + 6).await;
    }
    let approve = Action::ApproveAgent(ApproveAgent {
        account: addr(&alice),
        agent: addr(&bob),
        name: "bob".into(),
        valid_until: 0,
        nonce: nonce + 2,
        expires_at: FAR,
    });
    seq.submit(&sign(&alice, approve)).await;
    let switch = Action::ScheduleCancel(ScheduleCancel {
        account: addr(&bob),
        time: FAR,
        nonce: nonce + 2,
        expires_at: FAR,
    });
    seq.submit(&sign(&bob, switch)).await;
    let gtt = ClientOrder {
        signer: addr(&alice),
        account: addr(&alice),
        market: BTC,
        is_buy: true,
        price: BTC_PRICE - BTC_PRICE / 100,
        size: ONE_BTC / 10,
        tif: TimeInForce::Gtc,
        reduce_only: false,
        client_id: u128::from(nonce),
        nonce: nonce + 3,
        expires_at: FAR,
    };
    seq.submit(&sign(&alice, Action::ClientOrder(gtt.clone())))
        .await;
    // A bid of hers that never expires (`expire-early` removes the first order to expire,
    // the one above), which her bulk modify moves 1 % lower, to the back of its new level
    // (what `bulk-priority` needs).
    let resting = ClientOrder {
        price: BTC_PRICE - BTC_PRICE * 15 / 1_000,
        client_id: u128::from(nonce) + 1_000,
        nonce: nonce + 101,
        expires_at: NO_EXPIRY,
        ..gtt
    };
    seq.submit(&sign(&alice, Action::ClientOrder(resting)))
        .await;
    let moved = Action::BulkModify(BulkModify {
        signer: addr(&alice),
        account: addr(&alice),
        items: ModifyItems(vec![ModifyItem::by_client_id(
            u128::from(nonce) + 1_000,
            BTC_PRICE - BTC_PRICE / 50,
            0,
        )]),
        // Clear of the ETH crash's nonces (nonce + 6 and + 7) and of the next round's.
        nonce: nonce + 100,
        expires_at: FAR,
    });
    seq.submit(&sign(&alice, moved)).await;
    let stop = Action::TriggerOrder(TriggerOrder {
        signer: addr(&bob),
        account: addr(&bob),
        market: BTC,
        is_buy: true,
        kind: TriggerKind::StopMarket,
        trigger_price: 2 * BTC_PRICE,
        price: 0,
        size: ONE_BTC / 4,
        reduce_only: false,
        nonce: nonce + 3,
        expires_at: FAR,
    });
    seq.submit(&sign(&bob, stop)).await;
    let leverage = Action::SetLeverage(SetLeverage {
        signer: addr(&bob),
        account: addr(&bob),
        market: BTC,
        leverage: 9,
        nonce: nonce + 4,
        expires_at: FAR,
    });
    seq.submit(&sign(&bob, leverage)).await;
    seq.submit(&implied_vol(BTC, 600_000)).await;
    if nonce == 1 {
        // Clear of every other nonce of bob's (1 to 8, then 10 to 14 in the next round).
        sell_option_into_a_large_bid(l1, seq, nonce + 200).await;
    }
    wait_for(
        "everything to be posted",
        Duration::from_secs(10),
        || async {
            let s = seq.status().await;
            let done =
                s.open_batch.is_none() && s.last_posted.is_some() && s.last_posted == s.last_sealed;
            let posted = l1.live_batches().await.len() as u64;
            (done && Some(posted) == s.last_sealed.map(|i| i + 1)).then_some(s)
        },
    )
    .await
}

/// ETH-PERP in the devnet genesis, its price, the crash price (15 % lower: past the 10 %
/// breaker bound and past the 10 % initial margin an isolated position at 10x holds) and
/// 5 ETH in size units.
const ETH: u32 = 2;
const ETH_PRICE: u64 = 3_000_000_000;
const ETH_CRASH_PRICE: u64 = ETH_PRICE - ETH_PRICE * 15 / 100;
const FIVE_ETH: u64 = 5_000;

fn eth_order(
    key: &k256::ecdsa::SigningKey,
    is_buy: bool,
    tif: TimeInForce,
    nonce: u64,
) -> SignedAction {
    let order = Order {
        account: addr(key),
        market: ETH,
        is_buy,
        price: ETH_PRICE,
        size: FIVE_ETH,
        tif,
        reduce_only: false,
        nonce,
        expires_at: FAR,
    };
    sign(key, Action::Order(order))
}

/// ETH priced; bob in isolated margin there buys 5 ETH from alice (his ETH margin is then
/// its 10 % initial margin); ETH 15 % lower trips its breaker and leaves that position
/// below maintenance, and alice liquidates it (against her own short, by ADL).
async fn crash_eth(seq: &Seq, nonce: u64) {
    let (alice, bob) = (alice(), bob());
    let isolated = Action::SetMarginMode(SetMarginMode {
        signer: addr(&bob),
        account: addr(&bob),
        market: ETH,
        isolated: true,
        nonce,
        expires_at: FAR,
    });
    let liquidate = Action::Liquidate(Liquidate {
        liquidator: addr(&alice),
        account: addr(&bob),
        market: ETH,
        nonce,
        expires_at: FAR,
    });
    seq.submit(&price(ETH, ETH_PRICE)).await;
    seq.submit(&sign(&bob, isolated)).await;
    seq.submit(&eth_order(&alice, false, TimeInForce::Gtc, nonce + 1))
        .await;
    seq.submit(&eth_order(&bob, true, TimeInForce::Ioc, nonce + 1))
        .await;
    seq.submit(&price(ETH, ETH_CRASH_PRICE)).await;
    let liquidated = seq.submit(&sign(&alice, liquidate)).await;
    let l = liquidated
        .receipt
        .liquidation
        .expect("bob's ETH is liquidated");
    assert_eq!(l.remaining, 0, "{l:?}");
}

/// Carol: the third trader, funded in the first round; she only sells one option lot.
fn carol() -> k256::ecdsa::SigningKey {
    key(4)
}

/// The first listing's at-the-money BTC call (strikes ascending, a call then a put each),
/// listed by the test's first BTC price.
fn atm_call() -> u32 {
    let schedule = &genesis().options[0];
    SERIES_ID_BASE + 2 * schedule.strikes_each_side
}

/// Carol deposits (here, not with alice and bob before the start: a third deposit may
/// split the setup over batches 0 and 1 and shift the chunks of batch 1, where the fault
/// plan begins); bob bids for 100 BTC of the at-the-money call at one premium tick (0.1
/// USDC: a long holds no margin beyond its premium), never expiring; carol sells him one
/// lot (within her margin). The rest of the bid is far beyond her 100,000 USDC of margin.
async fn sell_option_into_a_large_bid(l1: &L1, seq: &Seq, nonce: u64) {
    l1.deposit(&carol(), DEPOSIT).await;
    seq.wait_collateral(&addr(&carol()), DEPOSIT.into()).await;
    let schedule = &genesis().options[0];
    let leg = |key: &k256::ecdsa::SigningKey, is_buy: bool, size: u64, tif: TimeInForce| {
        let order = Order {
            account: addr(key),
            market: atm_call(),
            is_buy,
            price: schedule.premium_tick,
            size,
            tif,
            reduce_only: false,
            nonce,
            expires_at: FAR,
        };
        sign(key, Action::Order(order))
    };
    seq.submit(&leg(&bob(), true, 100 * ONE_BTC, TimeInForce::Gtc))
        .await;
    let sold = seq.submit(&leg(&carol(), false, 1, TimeInForce::Ioc)).await;
    assert_eq!(sold.receipt.fills.len(), 1, "carol sells bob one lot");
}

/// The auditor's status once it has checked the state after the last sealed batch.
async fn audited(seq: &Seq) -> AuditStatus {
    wait_for(
        "the audit of every sealed batch",
        Duration::from_secs(10),
        || async {
            let s = seq.status().await;
            (s.audit.passed_batch >= s.last_sealed).then_some(s.audit)
        },
    )
    .await
}

/// The index of the first batch on L1 whose checkpoints re-execution does not give.
async fn first_bad_batch(l1: &L1) -> Option<u64> {
    let genesis = genesis();
    let mut tree = genesis_tree(&genesis);
    for view in l1.live_batches().await {
        let batch = Batch::decode(&l1.batch(view.index).await.data.unwrap()).unwrap();
        let (post, bad) = fraud::find_first_bad_chunk(&tree, &genesis, &batch).unwrap();
        if bad.is_some() {
            return Some(view.index);
        }
        tree = post;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_kind_applies_once_is_provable_and_replays_exactly() {
    for fault in Fault::ALL {
        let mut l1 = L1::start().await;
        l1.deposit(&alice(), DEPOSIT).await;
        l1.deposit(&bob(), DEPOSIT).await;
        let plan = FaultPlan {
            fault,
            from_batch: 1,
        };
        let seq = Seq::start_with(&l1, |c| {
            c.keeper_interval = None;
            c.inject_fault = Some(plan);
        })
        .await;
        seq.wait_collateral(&addr(&bob()), DEPOSIT.into()).await;
        seq.submit(&price(BTC, BTC_PRICE)).await;
        let status = trade(&l1, &seq, 1).await;
        assert_eq!(
            status.fault,
            Some(format!("{plan} (spent)")),
            "{fault} was applied"
        );
        let bad = first_bad_batch(&l1).await;
        assert!(
            bad.is_some_and(|b| b >= 1),
            "{fault}: a verifier finds batch {bad:?} bad"
        );
        // The auditor checks the corrupted state too: a mint breaks conservation, and a
        // misreported root or receipt leaves the state itself sound. (A configured fault
        // is a demonstration, so the violation does not stop posting.)
        let audit = audited(&seq).await;
        let broken = audit.violation.as_ref().map(|v| v.invariant.as_str());
        match fault {
            Fault::Mint => assert_eq!(broken, Some("money-conserved"), "{audit:?}"),
            // A misfiled ADL entry is exactly what invariant 6 looks for.
            Fault::AdlMisranked => {
                assert_eq!(broken, Some("adl-index-matches-positions"), "{audit:?}")
            }
            // A withdrawal paid on an agent's signature, orders cancelled early, or a stop
            // fired early, are wrong, yet balanced.
            Fault::WrongRoot
            | Fault::WrongReceipt
            | Fault::AgentWithdraw
            | Fault::DeadManEarly
            | Fault::ExpireEarly
            | Fault::StopEarly
            | Fault::LeverageDropped
            // A wrong settlement price or a low implied vol gives wrong amounts, yet every
            // invariant holds (the series is still settling, its books still balance).
            | Fault::OptionSettlementPrice
            | Fault::OptionMark
            // An order filed ahead of its level keeps book, index and sequence consistent;
            // an order accepted in a reduce-only market is wrong, yet balanced.
            | Fault::BulkPriority
            | Fault::CircuitBreakerIgnored
            // A short left below its initial margin is a margin rule broken, not a
            // ledger: the books, positions and money still balance.
            | Fault::OptionShortUnmargined => assert_eq!(broken, None, "{fault}: {audit:?}"),
            // Margin spilled into an isolated position that still has size is wrong, yet
            // balanced; spilled into a flat isolated leaf (when the chunk the fault meets
            // comes before the trade that opens the position, which batch timing decides)
            // it is exactly what invariant 13 looks for.
            Fault::IsolatedSpill => assert!(
                matches!(broken, None | Some("isolated-margins")),
                "{fault}: {audit:?}"
            ),
            Fault::BadFill | Fault::SkipLiquidationCheck | Fault::LiquidationSkipped => {}
        }

        // Restart: the log replays the corruption exactly, and it is never applied again.
        let dir = seq.stop().await;
        let mut config = test_config(&l1, dir.path());
        config.keeper_interval = None;
        config.inject_fault = Some(plan);
        let seq = Seq::launch(config, dir).await;
        let again = seq.status().await;
        assert_eq!(
            (again.state_root, again.next_seq),
            (status.state_root, status.next_seq),
            "{fault}"
        );
        trade(&l1, &seq, 10).await;
        assert_eq!(first_bad_batch(&l1).await, bad, "{fault}: no second fault");
        seq.stop().await;
        l1.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_after_finalization_starts_from_a_snapshot() {
    let mut l1 = L1::start().await;
    l1.deposit(&alice(), DEPOSIT).await;
    l1.deposit(&bob(), DEPOSIT).await;
    // The keeper off, as in the other tests that trade: `crash_eth` leaves bob's ETH
    // position liquidatable for alice's own `Liquidate`, which the keeper (every 50 ms
    // here) could take first (seen once under CI load: alice's answer `no_position`).
    let seq = Seq::start_with(&l1, |c| {
        c.snapshot_every_batches = 1;
        c.keeper_interval = None;
    })
    .await;
    seq.wait_collateral(&addr(&bob()), DEPOSIT.into()).await;
    seq.submit(&price(BTC, BTC_PRICE)).await;
    trade(&l1, &seq, 1).await;
    // An honest sequencer's every batch passes the audit (posting waited for it).
    let audit = audited(&seq).await;
    assert_eq!(audit.violation, None);
    l1.mine_stamped_now(WINDOW + 1).await;
    let finalized = wait_for(
        "the batches to finalize",
        Duration::from_secs(10),
        || async {
            let s = seq.status().await;
            (s.last_finalized.is_some() && s.last_finalized == s.last_sealed).then_some(s)
        },
    )
    .await;
    // The finalization wrote a snapshot. Recovery needs no log record it covers: delete
    // them, so that only a recovery that starts from the snapshot can succeed.
    let dir = seq.stop().await;
    let db = rusqlite::Connection::open(dir.path().join(sequencer::journal::DB_FILE)).unwrap();
    let (snapshot_batch, seal_pos): (u64, i64) = db
        .query_row(
            "SELECT batch_index, seal_pos FROM snapshots ORDER BY batch_index DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("a snapshot was written");
    assert!(
        finalized
            .last_finalized
            .is_some_and(|f| snapshot_batch <= f && snapshot_batch > 0)
    );
    let logged = db
        .execute("DELETE FROM log WHERE pos <= ?1", [seal_pos])
        .unwrap();
    drop(db);

    let mut config = test_config(&l1, dir.path());
    config.snapshot_every_batches = 1;
    config.keeper_interval = None;
    let seq = Seq::launch(config, dir).await;
    let recovered = seq.status().await;
    assert_eq!(recovered.state_root, finalized.state_root);
    assert_eq!(recovered.next_seq, finalized.next_seq);
    assert!(logged > 0);
    let more = trade(&l1, &seq, 10).await;
    assert!(more.last_sealed > finalized.last_sealed);
    assert!(
        l1.replay_chain().await.is_ok(),
        "the chain stays honest across the restart"
    );
    seq.stop().await;
    l1.shutdown().await;
}
