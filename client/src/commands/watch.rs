//! `vigil watch`: a live view of the chain. Three sources are followed in one loop: the
//! settlement layer's event log (long-polled, which also paces the loop: deposits, forced
//! actions, posted/finalized/reverted batches, upheld challenges, slashes, claims), the
//! sequencer's transactions in execution order (with each receipt's fills), and the
//! sequencer's batches (printed when their status changes). With `--account`, that
//! account's orders (placed, filled, cancelled with the reason) and its withdrawals' status
//! changes (requested, in batch, challenge window, finalized, reverted) come from the
//! sequencer's feed (`/v1/stream`, the `orders` and `withdrawals` channels) instead of
//! polling every transaction: pushed as they become durable, and resumed from the last
//! `seq` (orders) or `event` (withdrawals) seen when the connection drops, so none is
//! missed or repeated. One line per thing;
//! with `--json` one JSON object per line. Bounded by `--for-secs` / `--count`; Ctrl-C
//! exits 0.

use super::Output;
use super::market::{find, markets, size_decimals, symbol};
use super::network::Endpoints;
use crate::cli::{Cli, WatchArgs};
use crate::sequencer::SequencerClient;
use crate::units::{format_price, format_size, format_usdc, format_usdc_signed};
use futures_util::{SinkExt, StreamExt};
use protocol::api::sequencer::{BatchStatus, MarketInfo};
use protocol::api::settlement::{Event, EventKind};
use protocol::api::stream::{
    OrderEvent, OrderUpdate, StreamMessage, Subscribe, WithdrawalStatus, WithdrawalUpdate,
};
use protocol::primitives::Address;
use serde_json::{Value, json};
use service_client::settlement::SettlementClient;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// How long one settlement-layer long poll may wait for a new event.
const LONG_POLL: Duration = Duration::from_millis(500);
/// Items read per source per round.
const PAGE: u64 = 100;

/// Where the watch is in each source, and what it has printed.
struct Cursor {
    after_seq: Option<u64>,
    after_event: u64,
    batch_from: u64,
    batch_status: BTreeMap<u64, String>,
    printed: u64,
    limit: Option<u64>,
    json: bool,
    filter: Filter,
    /// With `--account`: its orders and withdrawals, from the feed (`None`: every
    /// transaction is polled instead).
    feed: Option<mpsc::Receiver<StreamMessage>>,
}

/// `--account`, `--market` and `--kind`: which lines to print, judged on each line's JSON.
#[derive(Debug, Default)]
struct Filter {
    account: Option<String>,
    market: Option<u32>,
    kind: Option<String>,
}

impl Filter {
    fn passes(&self, value: &Value) -> bool {
        let kind = self
            .kind
            .as_ref()
            .is_none_or(|k| value["kind"] == k.as_str());
        let account = self.account.as_ref().is_none_or(|a| names(value, a));
        let market = self.market.is_none_or(|m| in_market(value, m));
        kind && account && market
    }
}

/// Whether any string in `value` is `address` (any letter case).
fn names(value: &Value, address: &str) -> bool {
    match value {
        Value::String(s) => s.eq_ignore_ascii_case(address),
        Value::Array(items) => items.iter().any(|v| names(v, address)),
        Value::Object(fields) => fields.values().any(|v| names(v, address)),
        _ => false,
    }
}

/// Whether any `market` field in `value` is `market`.
fn in_market(value: &Value, market: u32) -> bool {
    match value {
        Value::Array(items) => items.iter().any(|v| in_market(v, market)),
        Value::Object(fields) => fields.iter().any(|(k, v)| {
            (k == "market" && v.as_u64() == Some(u64::from(market))) || in_market(v, market)
        }),
        _ => false,
    }
}

impl Cursor {
    /// Prints one line; `false` once `--count` lines have been printed or standard output
    /// is closed.
    fn emit(&mut self, text: String, value: Value) -> bool {
        if self.limit.is_some_and(|l| self.printed >= l) {
            return false;
        }
        if !self.filter.passes(&value) {
            return true;
        }
        let line = if self.json { value.to_string() } else { text };
        // A closed reader (`vigil watch | head -3`) ends the watch quietly.
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            return false;
        }
        self.printed += 1;
        self.limit.is_none_or(|l| self.printed < l)
    }
}

pub async fn run(cli: &Cli, args: &WatchArgs) -> anyhow::Result<Output> {
    // Listening for Ctrl-C before the first line is printed: a signal that arrives as soon
    // as a reader sees output must still end the watch cleanly (exit 0).
    let interrupted = service_shell::shutdown_signal();
    let endpoints = Endpoints::resolve(cli)?;
    let (seq, l1) = (endpoints.sequencer(), endpoints.l1());
    let markets = markets(&seq).await?;
    let mut cursor = Cursor {
        after_seq: None,
        after_event: 0,
        batch_from: 0,
        batch_status: BTreeMap::new(),
        printed: 0,
        limit: args.count,
        json: cli.json,
        feed: None,
        filter: Filter {
            account: args.account.map(|a| a.to_string()),
            market: match &args.market {
                Some(text) => Some(find(&markets, text)?.params.id),
                None => None,
            },
            kind: args.kind.clone(),
        },
    };
    if !args.from_start {
        let status = seq.status().await?;
        cursor.after_seq = status.next_seq.checked_sub(1);
        cursor.after_event = l1.status().await?.last_event_seq;
        cursor.batch_from = status.last_finalized.map_or(0, |b| b + 1);
        // Known batches are the baseline: only their later changes are news.
        for batch in seq.batches(cursor.batch_from, PAGE).await?.batches {
            cursor
                .batch_status
                .insert(batch.index, batch_label(&batch.status));
        }
    }
    if cursor.limit == Some(0) {
        return Ok(Output::streamed());
    }
    let _feed_task = args.account.map(|account| {
        let (lines, feed) = mpsc::channel(FEED_BUFFER);
        cursor.feed = Some(feed);
        let since_seq = cursor.after_seq.unwrap_or(0);
        let url = format!(
            "{}/v1/stream",
            endpoints.sequencer_url.replacen("http", "ws", 1)
        );
        AbortOnDrop(tokio::spawn(follow_account(url, account, since_seq, lines)))
    });
    let deadline = args
        .for_secs
        .map(|s| Instant::now() + Duration::from_secs(s));
    let rounds = async {
        loop {
            if !round(&seq, &l1, &markets, &mut cursor).await? {
                return anyhow::Ok(());
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(());
            }
        }
    };
    let until_deadline = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d.into()).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        done = rounds => done?,
        _ = until_deadline => {}
        _ = interrupted => {}
    }
    Ok(Output::streamed())
}

/// One pass over the three sources; `false` once `--count` is reached.
async fn round(
    seq: &SequencerClient,
    l1: &SettlementClient,
    markets: &[MarketInfo],
    cursor: &mut Cursor,
) -> anyhow::Result<bool> {
    let events = l1.events(cursor.after_event, PAGE, LONG_POLL).await?;
    for event in events.events {
        cursor.after_event = event.seq;
        if let Some(text) = describe_event(&event) {
            let value = json!({"kind": "l1_event", "event": event});
            if !cursor.emit(text, value) {
                return Ok(false);
            }
        }
    }
    if !emit_feed(markets, cursor) {
        return Ok(false);
    }
    let polled = if cursor.feed.is_some() {
        Vec::new() // the account's own lines come from the feed
    } else {
        seq.txs(cursor.after_seq, PAGE).await?.txs
    };
    for entry in polled {
        cursor.after_seq = Some(entry.seq);
        let lookup = seq.tx(&entry.hash).await?;
        let mut text = format!(
            "tx {} in batch {}: {} {}",
            entry.seq,
            entry.batch_index,
            lookup.receipt.status.code(),
            entry.hash
        );
        for fill in &lookup.receipt.fills {
            text.push_str(&format!(
                "; fill {} {} @ {} ({} {} → {})",
                format_size(fill.size, size_decimals(markets, fill.market)),
                symbol(markets, fill.market),
                format_price(u128::from(fill.price)),
                if fill.taker_is_buy { "buy" } else { "sell" },
                fill.taker,
                fill.maker
            ));
        }
        if let Some(id) = lookup.receipt.withdrawal_id {
            text.push_str(&format!("; withdrawal {id}"));
        }
        let value = json!({
            "kind": "tx",
            "seq": entry.seq,
            "hash": entry.hash,
            "batch_index": entry.batch_index,
            "state": lookup.state,
            "receipt": lookup.receipt,
        });
        if !cursor.emit(text, value) {
            return Ok(false);
        }
    }
    for batch in seq.batches(cursor.batch_from, PAGE).await?.batches {
        let label = batch_label(&batch.status);
        if cursor.batch_status.get(&batch.index) == Some(&label) {
            continue;
        }
        cursor.batch_status.insert(batch.index, label.clone());
        let text = format!("batch {}: {label} ({} txs)", batch.index, batch.tx_count);
        let value = json!({
            "kind": "batch",
            "index": batch.index,
            "tx_count": batch.tx_count,
            "status": batch.status,
        });
        if !cursor.emit(text, value) {
            return Ok(false);
        }
    }
    // Finalized batches never change again: read from the first one that may.
    while cursor
        .batch_status
        .get(&cursor.batch_from)
        .is_some_and(|label| label == FINALIZED)
    {
        cursor.batch_status.remove(&cursor.batch_from);
        cursor.batch_from += 1;
    }
    Ok(true)
}

const FINALIZED: &str = "finalized";

/// Feed messages held for the printing loop; the feed task waits when it is full.
const FEED_BUFFER: usize = 1_024;
/// Reconnections of the feed before the watch gives up on it.
const FEED_RECONNECTS: u32 = 1_000;
/// The wait before reconnecting (doubling up to `FEED_BACKOFF_MAX`).
const FEED_BACKOFF: Duration = Duration::from_millis(250);
const FEED_BACKOFF_MAX: Duration = Duration::from_secs(5);

/// The feed task, stopped with the watch.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Follows `account`'s `orders` and `withdrawals` channels from `since_seq` on, passing
/// each message to `lines`; after a dropped connection it subscribes again from the last
/// `seq` each channel delivered (the feed replays what was missed from durable history).
async fn follow_account(
    url: String,
    account: Address,
    since_seq: u64,
    lines: mpsc::Sender<StreamMessage>,
) {
    let mut orders_after = since_seq;
    // Withdrawals resume by `event` once one came (a status change has no `seq` of its
    // own); until then from `since_seq`, the legacy start.
    let mut withdrawals_after: Option<u64> = None;
    let mut backoff = FEED_BACKOFF;
    for _ in 0..FEED_RECONNECTS {
        if let Ok((mut socket, _)) = tokio_tungstenite::connect_async(url.as_str()).await {
            let subscriptions = [
                Subscribe::Orders {
                    account,
                    since_seq: Some(orders_after),
                },
                Subscribe::Withdrawals {
                    account,
                    since_seq: Some(since_seq),
                    since_event: withdrawals_after,
                },
            ];
            for request in &subscriptions {
                let text = serde_json::to_string(request).unwrap_or_default();
                let _ = socket.send(Message::Text(text.into())).await;
            }
            while let Some(Ok(frame)) = socket.next().await {
                let Message::Text(text) = frame else { continue };
                let Ok(message) = serde_json::from_str::<StreamMessage>(&text) else {
                    continue;
                };
                match &message {
                    StreamMessage::Order { order, .. } => orders_after = order.seq,
                    StreamMessage::Withdrawal { withdrawal, .. } => {
                        withdrawals_after = withdrawal.event.or(withdrawals_after);
                    }
                    _ => {}
                }
                backoff = FEED_BACKOFF;
                if lines.send(message).await.is_err() {
                    return; // the watch ended
                }
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(FEED_BACKOFF_MAX);
    }
}

/// Prints what the feed delivered since the last round; `false` once `--count` is reached.
fn emit_feed(markets: &[MarketInfo], cursor: &mut Cursor) -> bool {
    let mut delivered = Vec::new();
    if let Some(feed) = cursor.feed.as_mut() {
        while let Ok(message) = feed.try_recv() {
            delivered.push(message);
        }
    }
    for message in delivered {
        let (text, value) = match message {
            StreamMessage::Order { account, order } => (
                describe_order(markets, &order),
                json!({"kind": "order", "account": account, "order": order}),
            ),
            StreamMessage::Withdrawal {
                account,
                withdrawal,
            } => (
                describe_withdrawal(&withdrawal),
                json!({"kind": "withdrawal", "account": account, "withdrawal": withdrawal}),
            ),
            StreamMessage::Error { code, message } => (
                format!("feed refused a subscription: {code}: {message}"),
                json!({"kind": "feed_error", "code": code, "message": message}),
            ),
            _ => continue,
        };
        if !cursor.emit(text, value) {
            return false;
        }
    }
    true
}

/// One order event as a line, in the market's units.
fn describe_order(markets: &[MarketInfo], order: &OrderUpdate) -> String {
    let size = format_size(order.size, size_decimals(markets, order.market));
    let price = format_price(u128::from(order.price));
    let side = match order.side {
        Some(protocol::api::history::Side::Buy) => "buy",
        Some(protocol::api::history::Side::Sell) => "sell",
        None => "order",
    };
    let reason = order.reason.as_deref().unwrap_or("unknown");
    let what = match order.event {
        OrderEvent::Placed => format!("placed {side} {size} @ {price}"),
        OrderEvent::Rejected => format!("rejected {side} {size} @ {price} ({reason})"),
        OrderEvent::Filled => {
            let fee = format_usdc_signed(order.fee.unwrap_or(0));
            let role = match order.role {
                Some(protocol::api::history::Role::Maker) => "maker",
                _ => "taker",
            };
            format!("filled {side} {size} @ {price} as {role}, fee {fee} USDC")
        }
        OrderEvent::Cancelled => format!("cancelled {size} left ({reason})"),
    };
    format!(
        "order {} {} [seq {}, batch {}]: {what}",
        order.nonce,
        symbol(markets, order.market),
        order.seq,
        order.batch_index
    )
}

/// One withdrawal status change as a line.
fn describe_withdrawal(withdrawal: &WithdrawalUpdate) -> String {
    let what = match withdrawal.status {
        WithdrawalStatus::Requested => "requested: debited on L2",
        WithdrawalStatus::InBatch => "in batch: sealed",
        WithdrawalStatus::ChallengeWindow => "challenge window: posted to L1, challengeable",
        WithdrawalStatus::Finalized => "finalized: claimable on L1",
        WithdrawalStatus::Reverted => "reverted: its batch was undone",
        WithdrawalStatus::Claimed => "claimed: paid on L1",
    };
    format!(
        "withdrawal {} of {} USDC [batch {}, seq {}]: {what}",
        withdrawal.withdrawal_id,
        format_usdc(withdrawal.amount),
        withdrawal.batch_index,
        withdrawal.seq,
    )
}

fn batch_label(status: &BatchStatus) -> String {
    match status {
        BatchStatus::Open => "open".into(),
        BatchStatus::Sealed => "sealed".into(),
        BatchStatus::Posted { deadline_block, .. } => {
            format!("posted, in its challenge window until block {deadline_block}")
        }
        BatchStatus::Finalized { .. } => FINALIZED.into(),
        BatchStatus::Reverted => "REVERTED".into(),
    }
}

/// A settlement-layer event as one line (`None` for the ones not worth a line: mints and
/// bonds).
fn describe_event(event: &Event) -> Option<String> {
    let text = match &event.event {
        EventKind::Deposited {
            queue_index,
            account,
            amount,
            ..
        } => format!(
            "L1 deposit of {} USDC to {account} (queue {queue_index})",
            format_usdc(*amount)
        ),
        EventKind::ForcedQueued {
            queue_index,
            from,
            action,
        } => format!(
            "L1 forced {} from {from} (queue {queue_index})",
            action.action.type_name()
        ),
        EventKind::BatchPosted {
            index,
            deadline_block,
            ..
        } => format!("L1 batch {index} posted, challengeable until block {deadline_block}"),
        EventKind::BatchFinalized { index, .. } => format!("L1 batch {index} finalized"),
        EventKind::ChallengeUpheld {
            batch_index,
            chunk,
            challenger,
            ..
        } => format!(
            "L1 CHALLENGE UPHELD against batch {batch_index} (chunk {chunk}) by {challenger}"
        ),
        EventKind::BatchReverted { index, .. } => format!("L1 batch {index} REVERTED"),
        EventKind::Slashed {
            sequencer,
            amount,
            challenger_reward,
            ..
        } => format!(
            "L1 sequencer {sequencer} slashed {} USDC ({} to the challenger)",
            format_usdc(*amount),
            format_usdc(*challenger_reward)
        ),
        EventKind::WithdrawalClaimed {
            withdrawal_id,
            account,
            amount,
            ..
        } => format!(
            "L1 withdrawal {withdrawal_id} claimed: {} USDC to {account}",
            format_usdc(*amount)
        ),
        EventKind::RollupFrozen { queue_index } => format!(
            "L1 ROLLUP FROZEN: queue message {queue_index} stayed overdue with no batch; exit mode"
        ),
        EventKind::ExitOpened {
            exit_batch_index,
            claim_deadline_block,
            ..
        } => format!(
            "L1 exit claims open at {} (registered until block {claim_deadline_block})",
            exit_batch_index.map_or("genesis".to_string(), |i| format!("batch {i}"))
        ),
        EventKind::DepositRefunded {
            queue_index,
            sender,
            amount,
        } => format!(
            "L1 deposit {queue_index} refunded: {} USDC to {sender}",
            format_usdc(*amount)
        ),
        EventKind::ExitClaimed { account, owed, .. } => format!(
            "L1 exit claim of {account}: owed {} USDC",
            format_usdc(*owed)
        ),
        EventKind::ExitPaid {
            claims, paid_total, ..
        } => format!(
            "L1 exit claims paid: {claims} claims, {} USDC",
            format_usdc(*paid_total)
        ),
        EventKind::Minted { .. } | EventKind::Bonded { .. } | EventKind::Unbonded { .. } => {
            return None;
        }
    };
    Some(format!("[block {}] {text}", event.block))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_judge_each_line_by_its_json() {
        let alice = "0xAbCd000000000000000000000000000000000001";
        let tx = json!({"kind": "tx", "receipt": {"fills": [{"market": 1, "taker": alice.to_lowercase()}]}});
        let batch = json!({"kind": "batch", "index": 3});
        let deposit = json!({"kind": "l1_event", "event": {"event": {"account": alice}}});
        let filter = |account: Option<&str>, market: Option<u32>, kind: Option<&str>| Filter {
            account: account.map(str::to_string),
            market,
            kind: kind.map(str::to_string),
        };
        // (filter, passes for [tx, batch, deposit])
        let table = [
            (filter(None, None, None), [true, true, true]),
            (filter(Some(alice), None, None), [true, false, true]),
            (filter(None, Some(1), None), [true, false, false]),
            (filter(None, Some(2), None), [false, false, false]),
            (filter(None, None, Some("batch")), [false, true, false]),
            (
                filter(Some(alice), None, Some("l1_event")),
                [false, false, true],
            ),
        ];
        for (f, want) in table {
            let got = [&tx, &batch, &deposit].map(|v| f.passes(v));
            assert_eq!(got, want, "{f:?}");
        }
    }

    #[test]
    fn a_withdrawal_line_names_its_status_id_amount_and_batch() {
        let update = |status| WithdrawalUpdate {
            seq: 41,
            tx_hash: protocol::primitives::H256([0; 32]),
            batch_index: 7,
            timestamp_ms: 0,
            withdrawal_id: 3,
            amount: 1_500_000,
            status,
            event: Some(9),
        };
        let table = [
            (WithdrawalStatus::Requested, "requested: debited on L2"),
            (WithdrawalStatus::InBatch, "in batch: sealed"),
            (
                WithdrawalStatus::ChallengeWindow,
                "challenge window: posted to L1, challengeable",
            ),
            (WithdrawalStatus::Finalized, "finalized: claimable on L1"),
            (WithdrawalStatus::Reverted, "reverted: its batch was undone"),
            (WithdrawalStatus::Claimed, "claimed: paid on L1"),
        ];
        for (status, what) in table {
            assert_eq!(
                describe_withdrawal(&update(status)),
                format!("withdrawal 3 of 1.500000 USDC [batch 7, seq 41]: {what}")
            );
        }
    }
}
