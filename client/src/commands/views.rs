//! `vigil account|positions|book`: the sequencer's read views (the durable soft state) in
//! human units; `--json` gives the engine's views unchanged (integers in protocol units).

use super::Output;
use super::market::{find, markets, size_decimals, symbol};
use super::network::{Endpoints, signer};
use crate::cli::{AccountArg, BookArgs, Cli};
use crate::keystore::DEFAULT_KEY_NAME;
use crate::units::{format_price, format_size, format_size_signed, format_usdc_signed};
use protocol::api::sequencer::MarketInfo;
use protocol::engine::view::{AccountView, BookLevel};
use protocol::primitives::Address;
use std::fmt::Write as _;

/// The address an account argument names: `--address`, else the resolved key's.
pub fn address_of_arg(cli: &Cli, account: &AccountArg) -> anyhow::Result<Address> {
    match (&account.address, &account.name) {
        (Some(address), _) => Ok(*address),
        (None, name) => Ok(signer(cli, name.as_deref().unwrap_or(DEFAULT_KEY_NAME))?.address),
    }
}

pub async fn account(cli: &Cli, arg: &AccountArg) -> anyhow::Result<Output> {
    let address = address_of_arg(cli, arg)?;
    let seq = Endpoints::resolve(cli)?.sequencer();
    let markets = markets(&seq).await?;
    let view = seq.account(&address).await?;
    let funding: i128 = view.positions.iter().map(|p| p.funding).sum();
    let mut text = format!(
        "account             {}\ncollateral          {} USDC\nequity              {} USDC\ninitial margin      {} USDC\nwith open orders    {} USDC (initial margin plus what resting orders reserve)\nmaintenance margin  {} USDC\nunsettled funding   {} USDC",
        view.address,
        format_usdc_signed(view.collateral),
        format_usdc_signed(view.equity),
        format_usdc_signed(view.initial_margin),
        format_usdc_signed(view.order_margin),
        format_usdc_signed(view.maintenance_margin),
        format_usdc_signed(funding),
    );
    if !view.liquidatable_markets.is_empty() {
        let names: Vec<String> = view
            .liquidatable_markets
            .iter()
            .map(|m| symbol(&markets, *m))
            .collect();
        let _ = write!(text, "\nLIQUIDATABLE in      {}", names.join(", "));
    }
    text.push_str("\n\n");
    text.push_str(&positions_table(&view, &markets));
    text.push_str("\n\n");
    text.push_str(&orders_table(&view, &markets));
    Ok(Output {
        text,
        json: serde_json::to_value(&view)?,
    })
}

pub async fn positions(cli: &Cli, arg: &AccountArg) -> anyhow::Result<Output> {
    let address = address_of_arg(cli, arg)?;
    let seq = Endpoints::resolve(cli)?.sequencer();
    let markets = markets(&seq).await?;
    let view = seq.account(&address).await?;
    Ok(Output {
        text: positions_table(&view, &markets),
        json: serde_json::json!({"address": view.address, "positions": view.positions}),
    })
}

fn positions_table(view: &AccountView, markets: &[MarketInfo]) -> String {
    if view.positions.is_empty() {
        return "no positions".to_string();
    }
    let mut text =
        "market     size          entry         mark          unrealized PnL  funding".to_string();
    for p in &view.positions {
        let d = size_decimals(markets, p.market);
        let _ = write!(
            text,
            "\n{:<10} {:<13} {:<13} {:<13} {:<15} {}{}",
            symbol(markets, p.market),
            format_size_signed(p.size, d),
            format_price(p.entry_price),
            format_price(u128::from(p.mark_price)),
            format_usdc_signed(p.unrealized_pnl),
            format_usdc_signed(p.funding),
            if p.price_stale { "  (stale price)" } else { "" }
        );
    }
    text
}

fn orders_table(view: &AccountView, markets: &[MarketInfo]) -> String {
    if view.open_orders.is_empty() {
        return "no open orders".to_string();
    }
    let mut text = "order id          market     side  remaining     price".to_string();
    for o in &view.open_orders {
        let d = size_decimals(markets, o.market);
        let _ = write!(
            text,
            "\n{:<17} {:<10} {:<5} {:<13} {}{}",
            o.nonce,
            symbol(markets, o.market),
            if o.is_buy { "buy" } else { "sell" },
            format_size(o.remaining, d),
            format_price(u128::from(o.price)),
            if o.reduce_only { "  reduce-only" } else { "" }
        );
    }
    text
}

pub async fn book(cli: &Cli, args: &BookArgs) -> anyhow::Result<Output> {
    let seq = Endpoints::resolve(cli)?.sequencer();
    let markets = markets(&seq).await?;
    let market = find(&markets, &args.market)?;
    let depth = seq.book(market.params.id, args.levels).await?;
    let d = market.params.size_decimals;
    let json = serde_json::json!({
        "market": market.params.symbol,
        "market_id": depth.market,
        "mark_price": market.mark_price,
        "bids": depth.bids,
        "asks": depth.asks,
    });
    if depth.asks.is_empty() && depth.bids.is_empty() {
        let symbol = &market.params.symbol;
        let text = format!(
            "{symbol} (mark {}): the book is empty, no resting orders on either side (place one with `vigil order buy {symbol} SIZE @ PRICE`)",
            format_price(u128::from(market.mark_price))
        );
        return Ok(Output { text, json });
    }
    let level = |l: &BookLevel| {
        format!(
            "{:>14} {:>14} {:>6}",
            format_price(u128::from(l.price)),
            format_decimal_lots(l.size, d),
            l.orders
        )
    };
    let mut text = format!(
        "{} (mark {})\n{:>14} {:>14} {:>6}",
        market.params.symbol,
        format_price(u128::from(market.mark_price)),
        "price",
        "size",
        "orders"
    );
    for ask in depth.asks.iter().rev() {
        let _ = write!(text, "\n{}  ask", level(ask));
    }
    text.push_str("\n  ----------------------------------");
    for bid in &depth.bids {
        let _ = write!(text, "\n{}  bid", level(bid));
    }
    Ok(Output { text, json })
}

fn format_decimal_lots(lots: u128, decimals: u8) -> String {
    crate::units::format_decimal_wide(lots, decimals, 0)
}
