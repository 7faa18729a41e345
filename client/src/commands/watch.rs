//! `vigil watch`: a live view of the chain. Three sources are followed in one loop: the
//! settlement layer's event log (long-polled, which also paces the loop: deposits, forced
//! actions, posted/finalized/reverted batches, upheld challenges, slashes, claims), the
//! sequencer's transactions in execution order (with each receipt's fills), and the
//! sequencer's batches (printed when their status changes). One line per thing; with
//! `--json` one JSON object per line. Bounded by `--for-secs` / `--count`; Ctrl-C exits 0.

use super::Output;
use super::market::{find, markets, size_decimals, symbol};
use super::network::Endpoints;
use crate::cli::{Cli, WatchArgs};
use crate::sequencer::SequencerClient;
use crate::units::{format_price, format_size, format_usdc};
use protocol::api::sequencer::{BatchStatus, MarketInfo};
use protocol::api::settlement::{Event, EventKind};
use serde_json::{Value, json};
use service_client::settlement::SettlementClient;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::time::{Duration, Instant};

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
    for entry in seq.txs(cursor.after_seq, PAGE).await?.txs {
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
}
