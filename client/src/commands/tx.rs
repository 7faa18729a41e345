//! `vigil tx HASH`: one transaction as the sequencer executed it (its batch, its status
//! and its effects, as a receipt); and the bounded wait of `vigil force … --wait`, which
//! polls the same lookup until the forced action has been executed.

use super::market::markets;
use super::network::Endpoints;
use super::{Output, receipt};
use crate::cli::{Cli, TxArgs};
use crate::sequencer::SequencerClient;
use protocol::action::{Action, L1Message, Order, Tx};
use protocol::api::sequencer::{BatchStatus, MarketInfo, TxLookup, TxState};
use protocol::batch::Batch;
use protocol::codec::Decode as _;
use protocol::primitives::H256;
use std::time::{Duration, Instant};

/// How often a wait re-reads the lookup (as `withdraw --wait` does).
const POLL_INTERVAL: Duration = Duration::from_millis(250);

pub async fn show(cli: &Cli, args: &TxArgs) -> anyhow::Result<Output> {
    let seq = Endpoints::resolve(cli)?.sequencer();
    let markets = markets(&seq).await?;
    let lookup = seq.tx(&args.hash).await?;
    let order = placed_order(&seq, &lookup).await;
    let mut output = render(&lookup, &markets, order.as_ref().map(|o| o.market));
    let why = order
        .and_then(|o| super::trade::why_cancelled(&lookup.receipt, o.tif, o.price, o.reduce_only));
    if let Some(why) = why {
        output.text = insert_after_filled(&output.text, &format!("why       {why}"));
        output.json["cancelled_because"] = why.into();
    }
    Ok(output)
}

/// `line` inserted right under the `filled …` line it explains (at the end without one).
pub fn insert_after_filled(text: &str, line: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("filled"))
        .map_or(lines.len(), |i| i + 1);
    lines.insert(at, line);
    lines.join("\n")
}

/// The order a transaction placed (a user's, an agent's, or one forced through L1), read
/// from its sealed batch: the receipt says how much filled, not in which market or on
/// what terms, which sizes in human units and the reason for a dropped rest need. `None`
/// while the batch is open, or when the transaction placed no order.
async fn placed_order(seq: &SequencerClient, lookup: &TxLookup) -> Option<Order> {
    lookup.receipt.order.as_ref()?;
    let data = seq.batch(lookup.batch_index, true).await.ok()?.data?;
    let batch = Batch::decode(&data).ok()?;
    let signed = match batch.txs.get(usize::try_from(lookup.position).ok()?)? {
        Tx::User { action } => action,
        Tx::L1 {
            message: L1Message::Forced { action },
            ..
        } => action,
        Tx::L1 { .. } => return None,
    };
    match &signed.action {
        Action::Order(order) => Some(order.clone()),
        Action::AgentOrder(agent) => Some(agent.order()),
        _ => None,
    }
}

/// The lookup as a receipt under a headline naming its state; `order_market` is the market
/// of the order the transaction placed, when the caller knows it.
pub fn render(lookup: &TxLookup, markets: &[MarketInfo], order_market: Option<u32>) -> Output {
    let state = match lookup.state {
        TxState::Included => "executed",
        TxState::Dropped => "dropped (its batch was reverted)",
    };
    let headline = format!(
        "transaction {} {state}, batch {} {}",
        lookup.hash,
        lookup.batch_index,
        batch_words(&lookup.batch_status)
    );
    let mut text = format!("{headline}\nstatus    {}", lookup.receipt.status.code());
    if let Some(detail) = &lookup.receipt.detail {
        text.push_str(&format!("\ndetail    {detail}"));
    }
    let order_market = order_market.or_else(|| lookup.receipt.fills.first().map(|f| f.market));
    receipt::describe(&mut text, &lookup.receipt, markets, order_market);
    text.push_str(&format!(
        "\nseq {}  batch {}  index in batch {}",
        lookup.seq, lookup.batch_index, lookup.position
    ));
    Output {
        text,
        json: serde_json::to_value(lookup).unwrap_or_default(),
    }
}

fn batch_words(status: &BatchStatus) -> String {
    match status {
        BatchStatus::Open => "(open)".into(),
        BatchStatus::Sealed => "(sealed, being posted)".into(),
        BatchStatus::Posted { deadline_block, .. } => {
            format!("(posted, challengeable until L1 block {deadline_block})")
        }
        BatchStatus::Finalized { .. } => "(final)".into(),
        BatchStatus::Reverted => "(reverted)".into(),
    }
}

/// Polls the sequencer until it has executed `hash`; an error after `timeout` saying how
/// to look again.
pub async fn wait_executed(
    seq: &SequencerClient,
    hash: &H256,
    timeout: Duration,
    deadline_block: u64,
) -> anyhow::Result<TxLookup> {
    let started = Instant::now();
    loop {
        let last = match seq.tx(hash).await {
            Ok(lookup) => return Ok(lookup),
            Err(e) => e,
        };
        if started.elapsed() >= timeout {
            return Err(anyhow::anyhow!(
                "the forced action was not executed within {} s (the sequencer must include it by L1 block {deadline_block}; last answer: {last}); look again with `vigil tx {hash}`",
                timeout.as_secs()
            ));
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}
