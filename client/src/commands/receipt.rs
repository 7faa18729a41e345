//! A soft confirmation (`TxAccepted`) in human terms: status, what became of the order,
//! each fill as `size @ price`, cancelled orders, the withdrawal id, option settlements, and where the action
//! sits in the chain (seq, batch, tx hash). JSON keeps the sequencer's answer whole.

use super::Output;
use super::market::{market_size, symbol};
use crate::units::{format_price, format_usdc_fixed};
use protocol::api::sequencer::{MarketInfo, TxAccepted};
use protocol::engine::{CancelReason, Receipt};
use serde_json::json;
use std::fmt::Write as _;

/// Renders `accepted` under a first line `headline` (e.g. "order 17… placed").
/// `order_market` is the market of the order the action placed, if it placed one.
pub fn render(
    headline: &str,
    accepted: &TxAccepted,
    markets: &[MarketInfo],
    order_market: Option<u32>,
) -> Output {
    let mut text = format!("{headline}\nstatus    {}", accepted.receipt.status.code());
    describe(&mut text, &accepted.receipt, markets, order_market);
    let _ = write!(
        text,
        "\nseq {}  batch {}  index in batch {}\ntx        {}",
        accepted.seq, accepted.batch_index, accepted.position, accepted.hash
    );
    Output {
        text,
        json: json!({
            "hash": accepted.hash,
            "seq": accepted.seq,
            "batch_index": accepted.batch_index,
            "index_in_batch": accepted.position,
            "status": accepted.receipt.status.code(),
            "receipt": accepted.receipt,
        }),
    }
}

/// Appends the receipt's effects (order outcome, fills, cancellations, withdrawal).
pub fn describe(
    text: &mut String,
    receipt: &Receipt,
    markets: &[MarketInfo],
    order_market: Option<u32>,
) {
    if let Some(agent) = &receipt.agent {
        let _ = write!(text, "\nsigned by agent {agent}");
    }
    for account in &receipt.dead_man {
        let _ = write!(text, "\ndead-man's switch of {account} fired first");
    }
    if let Some(order) = &receipt.order {
        // Without the order's market, sizes stay in base lots (and say so).
        let size = |lots: u64| match order_market {
            Some(m) => market_size(markets, m, lots),
            None => format!("{lots} lots"),
        };
        let _ = write!(
            text,
            "\nfilled    {} (resting {}, cancelled {})",
            size(order.filled),
            size(order.resting),
            size(order.cancelled)
        );
    }
    for fill in &receipt.fills {
        let _ = write!(
            text,
            "\nfill      {} {} @ {} with maker {} (taker fee {} USDC)",
            market_size(markets, fill.market, fill.size),
            symbol(markets, fill.market),
            format_price(u128::from(fill.price)),
            fill.maker,
            format_usdc_fixed(fill.taker_fee)
        );
    }
    for cancelled in &receipt.cancelled {
        let _ = write!(
            text,
            "\ncancelled order {} in {} ({} left: {})",
            super::table::order_id(cancelled.nonce),
            symbol(markets, cancelled.market),
            market_size(markets, cancelled.market, cancelled.remaining),
            reason_words(cancelled.reason)
        );
    }
    if let Some(id) = receipt.withdrawal_id {
        let _ = write!(text, "\nwithdrawal id {id}");
    }
    // What this transaction's option settlement sweep settled (PROTOCOL.md Part 8 §16).
    for s in &receipt.settled {
        let _ = write!(
            text,
            "\nsettled   {} of series {} at {} for {}: {} USDC",
            market_size(markets, s.series, s.size),
            s.series,
            format_price(u128::from(s.settlement_price)),
            s.account,
            format_usdc_fixed(s.payout)
        );
    }
}

/// Why a resting order left the book, in words.
fn reason_words(reason: CancelReason) -> &'static str {
    match reason {
        CancelReason::User => "cancelled by its owner",
        CancelReason::SelfTrade => "it would have traded with its owner's own order",
        CancelReason::MakerMargin => "its owner lacked the margin for the fill",
        CancelReason::ReduceOnly => "reduce-only, with no position left to reduce",
        CancelReason::Liquidation => "its owner was liquidated",
        CancelReason::DeadMan => "its owner's dead-man's switch fired",
        CancelReason::Expired => "it was past its good-till-time (expiresAt)",
        CancelReason::OptionExpiry => "its option series expired",
    }
}
