//! The history endpoints: an account's fills, a market's trades (paged newest first, whole
//! transactions per page) and candles, served from the journal's `fills` table. They equal
//! what a fresh replay of the chain gives, after a restart (here) and after a fraud revert
//! (`revert.rs` calls [`assert_history_is_the_replay`]).

use crate::support::seq::Seq;
use crate::support::*;
use protocol::api::history::{
    AccountFill, CandlesResponse, FillsResponse, Role, Side, Trade, TradesResponse,
};
use protocol::batch::{Batch, execute_batch, genesis_tree};
use protocol::engine::Fill;
use protocol::primitives::Address;
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

/// The sequencer's history equals the fills of `batches` replayed from genesis: the tape
/// of `BTC` (price, size, aggressor) and each of `accounts`' fill count.
pub async fn assert_history_is_the_replay(seq: &Seq, batches: &[Batch], accounts: &[Address]) {
    let genesis = genesis();
    let mut tree = genesis_tree(&genesis);
    let mut fills = Vec::new();
    for batch in batches {
        let execution = execute_batch(&mut tree, &genesis, batch).expect("a full tree");
        fills.extend(execution.receipts.into_iter().flat_map(|r| r.fills));
    }
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
