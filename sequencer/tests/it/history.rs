//! The history endpoints: an account's fills, orders with their final status, funding
//! payments and transfers, a market's trades (paged newest first, whole transactions per
//! page), candles and funding accruals, served from the journal's history tables. They equal
//! what a fresh replay of the chain gives, after a restart (here), after a fraud revert
//! (`revert.rs` calls [`assert_history_is_the_replay`]) and after kill -9 (`crash.rs` calls
//! [`assert_ledger_is_the_replay`]).

use crate::orders::at_percent;
use crate::support::seq::Seq;
use crate::support::*;
use protocol::action::{Action, Cancel, L1Message, TimeInForce, Tx};
use protocol::api::history::{
    AccountFill, CandlesResponse, FillsResponse, Role, Side, Trade, TradesResponse,
};
use protocol::batch::{Batch, domain_separator, execute_tx, genesis_tree};
use protocol::engine::{BlockContext, Fill, Receipt};
use protocol::primitives::Address;
use protocol::tree::Tree;
use sequencer::journal::ledger::{
    FundingAccrual, FundingEffects, FundingPayment, OrderEntry, OrderStatus, Transfer,
    TransferKind, funding_effects,
};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Every trade of `market`, oldest first, walking the pages of `limit`.
async fn all_trades(seq: &Seq, market: u32, limit: u64) -> Vec<Trade> {
    trades_at(&seq.http, &seq.url, market, limit).await
}

/// The same from any sequencer at `url` (a child process in `crash.rs`).
pub async fn trades_at(http: &reqwest::Client, url: &str, market: u32, limit: u64) -> Vec<Trade> {
    let mut out = Vec::new();
    let mut cursor: Option<u64> = None;
    for _ in 0..10_000 {
        let before = cursor.map_or(String::new(), |c| format!("&before_seq={c}"));
        let path = format!("{url}/v1/markets/{market}/trades?limit={limit}{before}");
        let answer = http.get(path).send().await.expect("GET trades");
        let page: TradesResponse = answer.json().await.expect("a trades page");
        out.extend(page.trades);
        cursor = page.next_before_seq;
        if cursor.is_none() {
            out.reverse();
            return out;
        }
    }
    panic!("the trade pages never ended");
}

async fn all_fills(seq: &Seq, account: &Address) -> Vec<AccountFill> {
    let mut out = Vec::new();
    let mut cursor: Option<u64> = None;
    for _ in 0..10_000 {
        let before = cursor.map_or(String::new(), |c| format!("&before_seq={c}"));
        let page: FillsResponse = seq
            .get(&format!("/v1/accounts/{account}/fills?limit=1{before}"))
            .await;
        out.extend(page.fills);
        cursor = page.next_before_seq;
        if cursor.is_none() {
            out.reverse();
            return out;
        }
    }
    panic!("the fill pages never ended");
}

/// A market's tape as (price, size, taker buys), from served trades.
pub fn tape(trades: &[Trade]) -> Vec<(u64, u64, bool)> {
    trades
        .iter()
        .map(|t| (t.price, t.size, t.taker_side == Side::Buy))
        .collect()
}

/// The same from a replay's fills.
pub fn tape_of(fills: &[Fill], market: u32) -> Vec<(u64, u64, bool)> {
    fills
        .iter()
        .filter(|f| f.market == market)
        .map(|f| (f.price, f.size, f.taker_is_buy))
        .collect()
}

/// One transaction of a fresh replay, with the funding the ledger derives from it.
pub struct Replayed {
    pub tx: Tx,
    pub receipt: Receipt,
    pub funding: FundingEffects,
}

/// Replays `batches` on `tree` one transaction at a time, as the sequencer's executor
/// applies them.
pub fn replay(tree: &mut Tree, batches: &[Batch]) -> Vec<Replayed> {
    let genesis = genesis();
    let domain = domain_separator(&genesis);
    let mut out = Vec::new();
    for batch in batches {
        let ctx = BlockContext {
            timestamp_ms: batch.header.timestamp_ms,
        };
        for tx in &batch.txs {
            let before = tree.clone();
            let receipt = execute_tx(tree, &genesis, &domain, &ctx, tx).expect("a full tree");
            let funding =
                funding_effects(&before, tree, &genesis, tx, &receipt).expect("a full tree");
            out.push(Replayed {
                tx: tx.clone(),
                receipt,
                funding,
            });
        }
    }
    out
}

/// Every entry of the newest-first list `list` at `path`, in pages of `limit`, oldest first.
async fn all_entries<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
    path: &str,
    list: &str,
    limit: u64,
) -> Vec<T> {
    let mut out = Vec::new();
    let mut cursor: Option<u64> = None;
    for _ in 0..10_000 {
        let before = cursor.map_or(String::new(), |c| format!("&before_seq={c}"));
        let answer = http
            .get(format!("{url}{path}?limit={limit}{before}"))
            .send()
            .await
            .expect("GET a history page");
        let mut page: serde_json::Value = answer.json().await.expect("a history page");
        let entries: Vec<T> = serde_json::from_value(page[list].take()).expect(list);
        out.extend(entries);
        cursor = page["next_before_seq"].as_u64();
        if cursor.is_none() {
            out.reverse();
            return out;
        }
    }
    panic!("the pages of {path} never ended");
}

/// The order a transaction places, if any.
fn placed_order(tx: &Tx) -> Option<protocol::action::Order> {
    let action = match tx {
        Tx::User { action }
        | Tx::L1 {
            message: L1Message::Forced { action },
            ..
        } => &action.action,
        Tx::L1 { .. } => return None,
    };
    match action {
        Action::Order(o) => Some(o.clone()),
        Action::AgentOrder(o) => Some(o.order()),
        _ => None,
    }
}

/// A replay's transfers of `account`: (kind, amount), oldest first.
fn replayed_transfers(replayed: &[Replayed], account: &Address) -> Vec<(TransferKind, u64)> {
    let mut out = Vec::new();
    for r in replayed {
        match &r.tx {
            Tx::L1 {
                message: L1Message::Deposit { account: a, amount },
                ..
            } if a == account && r.receipt.status.is_ok() => {
                out.push((TransferKind::Deposit, *amount))
            }
            Tx::User { action }
            | Tx::L1 {
                message: L1Message::Forced { action },
                ..
            } => {
                if let (Action::Withdraw(w), Some(_)) = (&action.action, r.receipt.withdrawal_id)
                    && w.account == *account
                {
                    out.push((TransferKind::Withdrawal, w.amount));
                }
            }
            Tx::L1 { .. } => {}
        }
    }
    out
}

/// The sequencer at `url` serves the ledger a replay gives: each of `accounts`' orders
/// (nonce and filled size), funding payments and transfers, and `BTC`'s funding accruals.
pub async fn assert_ledger_is_the_replay(
    http: &reqwest::Client,
    url: &str,
    replayed: &[Replayed],
    accounts: &[Address],
) {
    let fills: Vec<&Fill> = replayed.iter().flat_map(|r| &r.receipt.fills).collect();
    for account in accounts {
        let path = format!("/v1/accounts/{account}/orders/history");
        let served: Vec<OrderEntry> = all_entries(http, url, &path, "orders", 500).await;
        let served: Vec<(u64, u64)> = served.iter().map(|o| (o.nonce, o.filled)).collect();
        let expected: Vec<(u64, u64)> = replayed
            .iter()
            .filter_map(|r| placed_order(&r.tx))
            .filter(|o| o.account == *account)
            .map(|o| {
                let filled = fills
                    .iter()
                    .filter(|f| f.market == o.market)
                    .filter(|f| {
                        (f.taker == o.account && f.taker_nonce == o.nonce)
                            || (f.maker == o.account && f.maker_nonce == o.nonce)
                    })
                    .map(|f| f.size)
                    .sum();
                (o.nonce, filled)
            })
            .collect();
        assert_eq!(served, expected, "{account}'s orders are the replay's");

        let path = format!("/v1/accounts/{account}/funding");
        let served: Vec<FundingPayment> = all_entries(http, url, &path, "payments", 500).await;
        let served: Vec<(u32, i128, i128)> = served
            .iter()
            .map(|p| (p.market, p.position_size, p.amount))
            .collect();
        let expected: Vec<(u32, i128, i128)> = replayed
            .iter()
            .flat_map(|r| &r.funding.payments)
            .filter(|p| p.account == *account)
            .map(|p| (p.market, p.position_size, p.amount))
            .collect();
        assert_eq!(served, expected, "{account}'s funding is the replay's");

        let path = format!("/v1/accounts/{account}/transfers");
        let served: Vec<Transfer> = all_entries(http, url, &path, "transfers", 500).await;
        let served: Vec<(TransferKind, u64)> = served.iter().map(|t| (t.kind, t.amount)).collect();
        assert_eq!(
            served,
            replayed_transfers(replayed, account),
            "{account}'s transfers are the replay's"
        );
    }
    let path = format!("/v1/markets/{BTC}/funding");
    let served: Vec<FundingAccrual> = all_entries(http, url, &path, "accruals", 500).await;
    let served: Vec<(u64, i128, i128, u64)> = served
        .iter()
        .map(|a| (a.price, a.funding_index, a.index_change, a.accrued_ms))
        .collect();
    let expected: Vec<(u64, i128, i128, u64)> = replayed
        .iter()
        .filter_map(|r| r.funding.accrual.as_ref())
        .filter(|a| a.market == BTC)
        .map(|a| (a.price, a.funding_index, a.index_change, a.accrued_ms))
        .collect();
    assert_eq!(served, expected, "BTC's funding accruals are the replay's");
}

/// The sequencer's history equals a replay of `batches` from genesis: the tape of `BTC`
/// (price, size, aggressor), each of `accounts`' fill count, and the ledger.
pub async fn assert_history_is_the_replay(seq: &Seq, batches: &[Batch], accounts: &[Address]) {
    let replayed = replay(&mut genesis_tree(&genesis()), batches);
    let fills: Vec<Fill> = replayed
        .iter()
        .flat_map(|r| r.receipt.fills.iter().cloned())
        .collect();
    let served = tape(&all_trades(seq, BTC, 1).await);
    assert_eq!(
        served,
        tape_of(&fills, BTC),
        "the trade tape is the replay's"
    );
    for account in accounts {
        let expected = fills
            .iter()
            .filter(|f| f.maker == *account || f.taker == *account)
            .count();
        assert_eq!(
            all_fills(seq, account).await.len(),
            expected,
            "{account}'s fills"
        );
    }
    assert_ledger_is_the_replay(&seq.http, &seq.url, &replayed, accounts).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fills_trades_and_candles_are_served_and_survive_a_restart() {
    let (l1, seq) = funded_pair(|_| {}).await;
    let (alice, bob) = (alice(), bob());
    // Bob sweeps two of Alice's asks in one order: one transaction, two fills.
    seq.submit(&maker_ask(&alice, ONE_BTC / 4, 1)).await;
    seq.submit(&maker_ask(&alice, ONE_BTC / 4, 2)).await;
    let sweep = seq.submit(&taker_bid(&bob, ONE_BTC / 2, 1)).await;
    assert_eq!(sweep.receipt.fills.len(), 2, "{sweep:?}");
    seq.submit(&maker_ask(&bob, ONE_BTC / 8, 2)).await;
    seq.submit(&taker_bid(&alice, ONE_BTC / 8, 3)).await;

    let alice_fills = all_fills(&seq, &addr(&alice)).await;
    let roles: Vec<(Role, Side, u64)> = alice_fills
        .iter()
        .map(|f| (f.role, f.side, f.size))
        .collect();
    assert_eq!(
        roles,
        vec![
            (Role::Maker, Side::Sell, ONE_BTC / 4),
            (Role::Maker, Side::Sell, ONE_BTC / 4),
            (Role::Taker, Side::Buy, ONE_BTC / 8),
        ]
    );
    assert!(
        alice_fills
            .iter()
            .all(|f| f.price == BTC_PRICE && f.market == BTC)
    );
    assert_eq!(alice_fills[0].counterparty, addr(&bob));
    assert_eq!(alice_fills[0].tx_hash, sweep.hash);
    // A page of one ends on a whole transaction: the sweep's two fills come together.
    let first: FillsResponse = seq
        .get(&format!("/v1/accounts/{}/fills?limit=1", addr(&bob)))
        .await;
    assert_eq!(first.fills.len(), 1, "bob's newest is the maker fill");
    let rest: FillsResponse = seq
        .get(&format!(
            "/v1/accounts/{}/fills?limit=1&before_seq={}",
            addr(&bob),
            first.next_before_seq.expect("more")
        ))
        .await;
    assert_eq!(rest.fills.len(), 2, "the sweep's two fills on one page");

    let candles: CandlesResponse = seq
        .get(&format!("/v1/markets/{BTC}/candles?interval=1m"))
        .await;
    let volume: u64 = candles.candles.iter().map(|c| c.volume).sum();
    assert_eq!(volume, ONE_BTC / 2 + ONE_BTC / 8);
    assert!(
        candles
            .candles
            .iter()
            .all(|c| (c.open, c.high, c.low, c.close)
                == (BTC_PRICE, BTC_PRICE, BTC_PRICE, BTC_PRICE))
    );
    assert_eq!(candles.candles.iter().map(|c| c.trades).sum::<u64>(), 3);

    // Bad queries are 4xx with the reason.
    let (status, body) = seq
        .get_raw(&format!("/v1/markets/{BTC}/candles?interval=2m"))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = seq.get_raw("/v1/markets/99/trades").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("unknown_market")),
        "{body}"
    );
    let (status, body) = seq
        .get_raw(&format!(
            "/v1/markets/{BTC}/candles?interval=1m&from_ms=5&to_ms=5"
        ))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_query")),
        "{body}"
    );

    // A restart serves the same history.
    let tape = all_trades(&seq, BTC, 2).await;
    let dir = seq.stop().await;
    let seq = Seq::launch(crate::support::seq::test_config(&l1, dir.path()), dir).await;
    assert_eq!(all_trades(&seq, BTC, 2).await, tape);
    assert_eq!(all_fills(&seq, &addr(&alice)).await, alice_fills);
    let settled = wait_for("every batch posted", Duration::from_secs(10), || async {
        let s = seq.status().await;
        (s.open_batch.is_none() && s.last_posted == s.last_sealed).then_some(())
    });
    settled.await;
    let (batches, _) = l1.replay_chain().await.expect("an honest chain");
    assert_history_is_the_replay(&seq, &batches, &[addr(&alice), addr(&bob)]).await;
}

/// Each order's (nonce, status, reason, filled, resting), oldest first.
type OrderRow = (u64, OrderStatus, Option<String>, u64, u64);

async fn order_rows(seq: &Seq, account: &Address) -> Vec<OrderRow> {
    let path = format!("/v1/accounts/{account}/orders/history");
    let orders: Vec<OrderEntry> = all_entries(&seq.http, &seq.url, &path, "orders", 1).await;
    orders
        .into_iter()
        .map(|o| (o.nonce, o.status, o.reason, o.filled, o.resting))
        .collect()
}

async fn funding_of(seq: &Seq, account: Address) -> Vec<FundingPayment> {
    let path = format!("/v1/accounts/{account}/funding");
    all_entries(&seq.http, &seq.url, &path, "payments", 1).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_funding_and_transfers_are_served_paged_and_survive_a_restart() {
    let (l1, seq) = funded_pair(|_| {}).await;
    let (alice, bob) = (alice(), bob());
    let (a, b) = (addr(&alice), addr(&bob));
    // Bob goes long one BTC from Alice.
    seq.submit(&maker_ask(&alice, ONE_BTC, 1)).await;
    seq.submit(&taker_bid(&bob, ONE_BTC, 1)).await;
    // Resting bid at 99 % and ask at 105 %: the mid is 2 % over the oracle, so the next
    // price accrues funding at the capped premium, paid by the long.
    seq.submit(&order(
        &alice,
        true,
        at_percent(99),
        ONE_BTC / 2,
        TimeInForce::Gtc,
        2,
    ))
    .await;
    seq.submit(&order(
        &bob,
        false,
        at_percent(105),
        ONE_BTC / 4,
        TimeInForce::Gtc,
        2,
    ))
    .await;
    seq.submit(&price(BTC, BTC_PRICE)).await;
    // Bob sells a quarter into Alice's bid: both positions change, so both settle funding.
    seq.submit(&order(
        &bob,
        false,
        at_percent(99),
        ONE_BTC / 4,
        TimeInForce::Ioc,
        3,
    ))
    .await;
    let cancel = Cancel {
        account: a,
        market: BTC,
        order_nonce: 2,
        nonce: 4,
        expires_at: FAR,
    };
    seq.submit(&sign(&alice, Action::Cancel(cancel))).await;
    // An IOC bid with nothing to take at its price.
    seq.submit(&order(
        &bob,
        true,
        at_percent(100),
        ONE_BTC,
        TimeInForce::Ioc,
        4,
    ))
    .await;
    seq.submit(&withdraw(&alice, 1_000_000, 5)).await;

    let cancelled = |why: &str| (OrderStatus::Cancelled, Some(why.to_string()));
    let alice_orders = order_rows(&seq, &a).await;
    let (user, not_rested) = (cancelled("user"), cancelled("not_rested"));
    assert_eq!(
        alice_orders,
        vec![
            (1, OrderStatus::Filled, None, ONE_BTC, 0),
            (2, user.0, user.1, ONE_BTC / 4, 0),
        ]
    );
    let bob_orders = order_rows(&seq, &b).await;
    assert_eq!(
        bob_orders,
        vec![
            (1, OrderStatus::Filled, None, ONE_BTC, 0),
            (2, OrderStatus::Resting, None, 0, ONE_BTC / 4),
            (3, OrderStatus::Filled, None, ONE_BTC / 4, 0),
            (4, not_rested.0, not_rested.1, 0, 0),
        ]
    );

    let (alice_paid, bob_paid) = (funding_of(&seq, a).await, funding_of(&seq, b).await);
    assert_eq!(alice_paid.len(), 1, "{alice_paid:?}");
    assert_eq!(bob_paid.len(), 1, "{bob_paid:?}");
    assert_eq!(
        (alice_paid[0].position_size, bob_paid[0].position_size),
        (-i128::from(ONE_BTC), i128::from(ONE_BTC))
    );
    assert!(
        bob_paid[0].amount < 0 && alice_paid[0].amount > 0,
        "the long pays, the short receives: {bob_paid:?} {alice_paid:?}"
    );
    let path = format!("/v1/markets/{BTC}/funding");
    let accruals: Vec<FundingAccrual> =
        all_entries(&seq.http, &seq.url, &path, "accruals", 1).await;
    let rates: Vec<i64> = accruals.iter().map(|r| r.rate_bps).collect();
    // The first price starts the clock. Every later order or price on the market accrues
    // by the time since the previous one, so how many rows there are depends on how the
    // actions fell into batches (actions of one batch share its timestamp and accrue
    // nothing between them); each rate is 0 (no premium yet) or the capped 50 bps, and the
    // premium the resting orders set is reached.
    assert_eq!(rates.first(), Some(&0), "{rates:?}");
    assert!(rates.iter().all(|r| [0, 50].contains(r)), "{rates:?}");
    assert!(rates.contains(&50), "{rates:?}");

    let path = format!("/v1/accounts/{a}/transfers");
    let transfers: Vec<Transfer> = all_entries(&seq.http, &seq.url, &path, "transfers", 1).await;
    let kinds: Vec<(TransferKind, u64, bool)> = transfers
        .iter()
        .map(|t| (t.kind, t.amount, t.withdrawal_id.is_some()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (TransferKind::Deposit, DEPOSIT, false),
            (TransferKind::Withdrawal, 1_000_000, true),
        ]
    );
    let (status, body) = seq.get_raw("/v1/markets/99/funding").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("unknown_market")),
        "{body}"
    );

    // A restart serves the same, and it is what a replay of the posted chain gives.
    let dir = seq.stop().await;
    let seq = Seq::launch(crate::support::seq::test_config(&l1, dir.path()), dir).await;
    assert_eq!(order_rows(&seq, &a).await, alice_orders);
    assert_eq!(order_rows(&seq, &b).await, bob_orders);
    assert_eq!(funding_of(&seq, b).await, bob_paid);
    let settled = wait_for("every batch posted", Duration::from_secs(10), || async {
        let s = seq.status().await;
        (s.open_batch.is_none() && s.last_posted == s.last_sealed).then_some(())
    });
    settled.await;
    let (batches, _) = l1.replay_chain().await.expect("an honest chain");
    assert_history_is_the_replay(&seq, &batches, &[a, b]).await;
}
