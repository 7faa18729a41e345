//! `vigil history orders|funding|transfers` and `vigil funding MARKET`: the sequencer's
//! ledger history (`GET /v1/accounts/{a}/orders/history|funding|transfers`,
//! `GET /v1/markets/{id}/funding`) in human units and aligned columns, newest first, times
//! in UTC, walked page by page as `vigil fills` does (`history::newest`). `--json` keeps the
//! sequencer's entries whole, with `next_before_seq`, the cursor of what was left out.

use super::history::{more_hint, newest, side_word};
use super::market::{find, market_price, market_size, markets, size_decimals, symbol};
use super::network::Endpoints;
use super::views::address_of_arg;
use super::{Output, table};
use crate::cli::{Cli, FundingArgs, HistoryCommand, LedgerArgs};
use crate::sequencer::SequencerClient;
use crate::units::{format_price, format_size_fixed, format_usdc_fixed, format_utc};
use protocol::api::sequencer::MarketInfo;
use protocol::primitives::Address;
use sequencer::journal::ledger::{
    FundingPayment, OrderEntry, Transfer, TransferKind, TransferStatus,
};
use serde_json::json;

pub async fn history(cli: &Cli, command: &HistoryCommand) -> anyhow::Result<Output> {
    match command {
        HistoryCommand::Orders(args) => orders(cli, args).await,
        HistoryCommand::Funding(args) => funding_payments(cli, args).await,
        HistoryCommand::Transfers(args) => transfers(cli, args).await,
    }
}

/// The account, the sequencer, its markets and the `--market` filter's id.
struct Scope {
    address: Address,
    seq: SequencerClient,
    markets: Vec<MarketInfo>,
    only: Option<u32>,
}

async fn scope(cli: &Cli, args: &LedgerArgs) -> anyhow::Result<Scope> {
    let address = address_of_arg(cli, &args.account)?;
    let seq = Endpoints::resolve(cli)?.sequencer();
    let markets = markets(&seq).await?;
    let only = args
        .market
        .as_deref()
        .map(|m| find(&markets, m).map(|m| m.params.id))
        .transpose()?;
    Ok(Scope {
        address,
        seq,
        markets,
        only,
    })
}

/// The text: a title and the table, the hint when cut, or `empty` when there is nothing.
/// The first `left` columns are words (left-aligned), the rest numbers.
fn listing(
    title: String,
    (header, left): (&[&str], usize),
    rows: Vec<Vec<String>>,
    cut: (bool, u64),
    empty: String,
) -> String {
    if rows.is_empty() {
        return empty;
    }
    let shown = rows.len();
    let mut text = format!("{title}\n{}", table::render(header, &rows, left));
    if cut.0 {
        text.push_str(&more_hint(shown, cut.1));
    }
    text
}

fn name_flag(args: &LedgerArgs) -> String {
    args.account
        .name
        .as_deref()
        .map_or(String::new(), |n| format!(" --name {n}"))
}

async fn orders(cli: &Cli, args: &LedgerArgs) -> anyhow::Result<Output> {
    let s = scope(cli, args).await?;
    let (only, seq, address) = (s.only, &s.seq, s.address);
    let (orders, cursor) = newest(
        args.limit,
        only.is_some(),
        |before, limit| async move {
            let page = seq.order_history(&address, before, limit).await?;
            Ok((page.orders, page.next_before_seq))
        },
        |o: &OrderEntry| only.is_none_or(|m| o.market == m),
        |o| o.seq,
    )
    .await?;
    let json = json!({"address": address, "orders": orders, "next_before_seq": cursor});
    let rows = orders.iter().map(|o| order_row(o, &s.markets)).collect();
    let header = [
        "time (UTC)",
        "market",
        "side",
        "tif",
        "status",
        "size",
        "price",
        "filled",
        "order id",
    ];
    let empty = format!(
        "no orders yet for {address}; place one with `vigil order buy MARKET SIZE @ PRICE{}`",
        name_flag(args)
    );
    let title = format!("orders of {address}, newest first");
    let text = listing(
        title,
        (&header, 5),
        rows,
        (cursor.is_some(), args.limit),
        empty,
    );
    Ok(Output { text, json })
}

fn status_words(o: &OrderEntry) -> String {
    let word = super::orders::status_word(o.status);
    match &o.reason {
        Some(reason) => format!("{word} ({})", reason.replace('_', " ")),
        None => word.to_string(),
    }
}

fn order_row(o: &OrderEntry, markets: &[MarketInfo]) -> Vec<String> {
    let d = size_decimals(markets, o.market);
    vec![
        format_utc(o.timestamp_ms),
        symbol(markets, o.market),
        side_word(o.side).to_string(),
        o.tif.to_uppercase(),
        status_words(o),
        format_size_fixed(i128::from(o.size), d),
        market_price(markets, o.market, u128::from(o.price)),
        format_size_fixed(i128::from(o.filled), d),
        table::order_id(o.nonce),
    ]
}

async fn funding_payments(cli: &Cli, args: &LedgerArgs) -> anyhow::Result<Output> {
    let s = scope(cli, args).await?;
    let (only, seq, address) = (s.only, &s.seq, s.address);
    let (payments, cursor) = newest(
        args.limit,
        only.is_some(),
        |before, limit| async move {
            let page = seq.funding_payments(&address, before, limit).await?;
            Ok((page.payments, page.next_before_seq))
        },
        |p: &FundingPayment| only.is_none_or(|m| p.market == m),
        |p| p.seq,
    )
    .await?;
    let json = json!({"address": address, "payments": payments, "next_before_seq": cursor});
    let rows = payments
        .iter()
        .map(|p| {
            vec![
                format_utc(p.timestamp_ms),
                symbol(&s.markets, p.market),
                market_size(&s.markets, p.market, p.position_size),
                format_usdc_fixed(p.amount),
            ]
        })
        .collect();
    let header = ["time (UTC)", "market", "position", "funding (USDC)"];
    let empty = format!(
        "no funding settled yet for {address}: funding accrues on open positions with each \
         oracle price and is settled when a position's size changes; see the rates with \
         `vigil funding MARKET`"
    );
    let title = format!("funding of {address}, newest first (received +, paid −)");
    let text = listing(
        title,
        (&header, 2),
        rows,
        (cursor.is_some(), args.limit),
        empty,
    );
    Ok(Output { text, json })
}

fn transfer_status_words(t: &Transfer) -> String {
    match (t.status, t.kind) {
        (TransferStatus::Pending, _) => "pending (open batch)".into(),
        (TransferStatus::InBatch, _) => "in batch (not yet on L1)".into(),
        (TransferStatus::ChallengeWindow, _) => match t.deadline_block {
            Some(block) => format!("challenge window (to L1 block {block})"),
            None => "challenge window".into(),
        },
        (TransferStatus::Final, TransferKind::Deposit) => "final".into(),
        (TransferStatus::Final, TransferKind::Withdrawal) => "final (claimable on L1)".into(),
    }
}

async fn transfers(cli: &Cli, args: &LedgerArgs) -> anyhow::Result<Output> {
    let s = scope(cli, args).await?;
    let (seq, address) = (&s.seq, s.address);
    let (transfers, cursor) = newest(
        args.limit,
        false,
        |before, limit| async move {
            let page = seq.transfers(&address, before, limit).await?;
            Ok((page.transfers, page.next_before_seq))
        },
        |_| true,
        |t| t.seq,
    )
    .await?;
    let json = json!({"address": address, "transfers": transfers, "next_before_seq": cursor});
    let rows = transfers
        .iter()
        .map(|t| {
            let (kind, reference) = match t.kind {
                TransferKind::Deposit => {
                    ("deposit", t.queue_index.map(|q| format!("L1 queue {q}")))
                }
                TransferKind::Withdrawal => (
                    "withdrawal",
                    t.withdrawal_id.map(|id| format!("`vigil withdrawal {id}`")),
                ),
            };
            vec![
                format_utc(t.timestamp_ms),
                kind.to_string(),
                transfer_status_words(t),
                reference.unwrap_or_default(),
                format_usdc_fixed(i128::from(t.amount)),
            ]
        })
        .collect();
    let header = ["time (UTC)", "kind", "status", "see", "USDC"];
    let empty = format!(
        "no deposits or withdrawals yet for {address}; deposit with `vigil l1 deposit --amount USDC{}`",
        name_flag(args)
    );
    let title = format!("deposits and withdrawals of {address}, newest first");
    let text = listing(
        title,
        (&header, 4),
        rows,
        (cursor.is_some(), args.limit),
        empty,
    );
    Ok(Output { text, json })
}

pub async fn funding(cli: &Cli, args: &FundingArgs) -> anyhow::Result<Output> {
    let seq = Endpoints::resolve(cli)?.sequencer();
    let markets = markets(&seq).await?;
    let market = find(&markets, &args.market)?;
    let (id, symbol) = (market.params.id, &market.params.symbol);
    let seq = &seq;
    let mut period_ms = 0;
    let (accruals, cursor) = newest(
        args.limit,
        false,
        |before, limit| async move {
            let page = seq.funding_accruals(id, before, limit).await?;
            Ok((page.accruals, page.next_before_seq))
        },
        |_| true,
        |a| a.seq,
    )
    .await?;
    if !accruals.is_empty() {
        period_ms = seq.genesis().await?.genesis.funding_period_ms;
    }
    let json = json!({
        "market": symbol,
        "market_id": id,
        "funding_period_ms": period_ms,
        "accruals": accruals,
        "next_before_seq": cursor,
    });
    let rows = accruals
        .iter()
        .map(|a| {
            vec![
                format_utc(a.price_timestamp_ms),
                format_price(u128::from(a.price)),
                format!("{:+} bps", a.rate_bps),
                format!("{:.1} s", a.accrued_ms as f64 / 1_000.0),
                a.funding_index.to_string(),
            ]
        })
        .collect();
    let header = [
        "price time (UTC)",
        "oracle price",
        "rate",
        "accrued over",
        "index",
    ];
    let empty = format!(
        "no oracle prices on {symbol} yet, so no funding; the oracle feed posts them (`vigil oracle`)"
    );
    let title = format!(
        "{symbol} funding, newest first (rate per {} h period, longs pay when positive)",
        period_ms as f64 / 3_600_000.0
    );
    let text = listing(
        title,
        (&header, 1),
        rows,
        (cursor.is_some(), args.limit),
        empty,
    );
    Ok(Output { text, json })
}
