//! `vigil account|positions|book`: the sequencer's read views (the durable soft state) in
//! human units, amounts and sizes at fixed precision in aligned columns, with what the
//! views imply (`risk`: available to withdraw, liquidation price, leverage); `--json`
//! gives the engine's views with those figures added (integers in protocol units).

use super::market::{find, market_price, market_size, markets, size_decimals, symbol};
use super::network::{Endpoints, signer};
use super::{Output, risk, table};
use crate::cli::{AccountArg, BookArgs, Cli};
use crate::keystore::DEFAULT_KEY_NAME;
use crate::units::{format_decimal_wide, format_size_fixed, format_usdc_fixed, format_utc};
use protocol::api::sequencer::MarketInfo;
use protocol::engine::view::{AccountView, BookLevel, MarketMode, PositionView};
use protocol::primitives::Address;
use sequencer::view::AccountBody;
use std::fmt::Write as _;

/// The address an account argument names: `--address`, else the resolved key's.
pub fn address_of_arg(cli: &Cli, account: &AccountArg) -> anyhow::Result<Address> {
    match (&account.address, &account.name) {
        (Some(address), _) => Ok(*address),
        (None, name) => Ok(signer(cli, name.as_deref().unwrap_or(DEFAULT_KEY_NAME))?.address),
    }
}

/// The account an argument names, as the sequencer holds it (with its option positions),
/// and the markets and option series that name what it holds.
async fn account_and_markets(
    cli: &Cli,
    arg: &AccountArg,
) -> anyhow::Result<(AccountBody, Vec<MarketInfo>)> {
    let address = address_of_arg(cli, arg)?;
    let seq = Endpoints::resolve(cli)?.sequencer();
    let body = super::options::account_body(&seq, &address).await?;
    let markets =
        super::options::instruments_naming(&seq, markets(&seq).await?, instrument_ids(&body))
            .await?;
    Ok((body, markets))
}

pub async fn account(cli: &Cli, arg: &AccountArg) -> anyhow::Result<Output> {
    let (body, markets) = account_and_markets(cli, arg).await?;
    let view = &body.account;
    let mut text = format!("account                {}\n", view.address);
    text.push_str(&summary(view));
    if let Some(at) = view.dead_man_at_ms {
        let _ = write!(
            text,
            "\ndead-man's switch      cancels every order at {} UTC",
            crate::units::format_utc(at)
        );
    }
    if let Some(line) = super::leverage::summary_line(&view.leverage, &markets) {
        let _ = write!(text, "\n{line}");
    }
    if let Some(line) = super::margin::summary_line(&view.margin_modes, &markets) {
        let _ = write!(text, "\n{line}");
    }
    if !view.liquidatable_markets.is_empty() {
        let names: Vec<String> = view
            .liquidatable_markets
            .iter()
            .map(|m| symbol(&markets, *m))
            .collect();
        let _ = write!(text, "\nLIQUIDATABLE in        {}", names.join(", "));
    }
    text.push_str("\n\n");
    text.push_str(&positions_table(view, &markets));
    let options = super::options::positions_table(&body.option_positions, &markets);
    if !options.is_empty() {
        text.push_str("\n\n");
        text.push_str(&options);
    }
    text.push_str("\n\n");
    text.push_str(&orders_table(view, &markets));
    let mut json = serde_json::to_value(&body)?;
    json["available_to_withdraw"] = serde_json::to_value(risk::withdrawable(view))?;
    Ok(Output { text, json })
}

/// The account's money, one figure a line, amounts right-aligned on their points.
fn summary(view: &AccountView) -> String {
    let funding: i128 = view.positions.iter().map(|p| p.funding).sum();
    let rows = [
        ("collateral", view.collateral),
        ("equity", view.equity),
        ("initial margin", view.initial_margin),
        ("with open orders", view.order_margin),
        ("maintenance margin", view.maintenance_margin),
        ("unsettled funding", funding),
        ("available to withdraw", risk::withdrawable(view)),
    ];
    let amounts: Vec<String> = rows.iter().map(|(_, v)| format_usdc_fixed(*v)).collect();
    let width = amounts.iter().map(String::len).max().unwrap_or(0);
    let lines: Vec<String> = rows
        .iter()
        .zip(&amounts)
        .map(|((label, _), amount)| format!("{label:<22} {amount:>width$} USDC"))
        .collect();
    let mut text = lines.join("\n");
    if view.positions.iter().any(|p| p.price_stale) {
        text.push_str(" (none while a position's price is stale: the engine refuses withdrawals)");
    }
    text
}

pub async fn positions(cli: &Cli, arg: &AccountArg) -> anyhow::Result<Output> {
    let (body, markets) = account_and_markets(cli, arg).await?;
    let view = &body.account;
    let positions: Vec<serde_json::Value> = view
        .positions
        .iter()
        .map(|p| position_json(view, p, &markets))
        .collect::<Result<_, _>>()?;
    let mut text = positions_table(view, &markets);
    let options = super::options::positions_table(&body.option_positions, &markets);
    if !options.is_empty() {
        text = format!("{text}\n\n{options}");
    }
    Ok(Output {
        text,
        json: serde_json::json!({"account": view.address, "positions": positions, "option_positions": body.option_positions}),
    })
}

/// The markets and series an account view names (series need the chain for their names).
fn instrument_ids(body: &sequencer::view::AccountBody) -> impl Iterator<Item = u32> + '_ {
    body.account
        .open_orders
        .iter()
        .map(|o| o.market)
        .chain(body.option_positions.iter().map(|p| p.series))
}

/// The engine's position view, plus what it implies: side, liquidation price and leverage
/// (both `null` when there is none), integers in protocol units (leverage in basis points).
fn position_json(
    view: &AccountView,
    p: &PositionView,
    markets: &[MarketInfo],
) -> serde_json::Result<serde_json::Value> {
    let figures = Figures::of(view, p, markets);
    let mut json = serde_json::to_value(p)?;
    json["side"] = side_of(p).into();
    json["liquidation_price"] = serde_json::to_value(figures.liquidation)?;
    json["leverage_bps"] = serde_json::to_value(figures.leverage_bps)?;
    // The account's leverage setting in the market (PROTOCOL.md Part 4 §22).
    let setting = view.leverage.iter().find(|l| l.market == p.market);
    json["leverage_setting"] = serde_json::to_value(setting.map(|l| l.leverage))?;
    Ok(json)
}

fn side_of(p: &PositionView) -> &'static str {
    if p.size < 0 { "short" } else { "long" }
}

/// What a position's row shows beyond the engine's view.
struct Figures {
    liquidation: Option<u128>,
    leverage_bps: Option<u128>,
}

impl Figures {
    fn of(view: &AccountView, p: &PositionView, markets: &[MarketInfo]) -> Figures {
        let params = markets
            .iter()
            .find(|m| m.params.id == p.market)
            .map(|m| &m.params);
        let liquidation = params.and_then(|params| risk::liquidation_price(view, p, params));
        let leverage_bps = risk::notional(p, size_decimals(markets, p.market))
            .and_then(|n| risk::leverage_bps(n, view.equity));
        Figures {
            liquidation,
            leverage_bps,
        }
    }
}

/// The note under the positions table: how the liquidation price is estimated.
const LIQUIDATION_NOTE: &str = "liq. price: the mark at which equity would fall below maintenance margin, other prices and funding unchanged (none: no positive price)";

fn positions_table(view: &AccountView, markets: &[MarketInfo]) -> String {
    if view.positions.is_empty() {
        return "no positions".to_string();
    }
    let header = [
        "market",
        "side",
        "size",
        "entry",
        "mark",
        "liq. price",
        "leverage",
        "unrealized PnL",
        "funding",
    ];
    let rows: Vec<Vec<String>> = view
        .positions
        .iter()
        .map(|p| position_row(view, p, markets))
        .collect();
    format!("{}\n{LIQUIDATION_NOTE}", table::render(&header, &rows, 2))
}

fn position_row(view: &AccountView, p: &PositionView, markets: &[MarketInfo]) -> Vec<String> {
    let figures = Figures::of(view, p, markets);
    let leverage = figures.leverage_bps.map_or_else(
        || "-".to_string(),
        |bps| format!("{}x", format_decimal_wide(bps / 100, 2, 2)),
    );
    let stale = if p.price_stale { " (stale)" } else { "" };
    vec![
        symbol(markets, p.market),
        side_of(p).to_string(),
        market_size(markets, p.market, p.size.abs()),
        market_price(markets, p.market, p.entry_price),
        format!(
            "{}{stale}",
            market_price(markets, p.market, u128::from(p.mark_price))
        ),
        figures.liquidation.map_or_else(
            || "none".to_string(),
            |price| market_price(markets, p.market, price),
        ),
        leverage,
        format_usdc_fixed(p.unrealized_pnl),
        format_usdc_fixed(p.funding),
    ]
}

fn orders_table(view: &AccountView, markets: &[MarketInfo]) -> String {
    if view.open_orders.is_empty() {
        return "no open orders".to_string();
    }
    let rows: Vec<Vec<String>> = view
        .open_orders
        .iter()
        .map(|o| {
            vec![
                table::order_id(o.nonce),
                symbol(markets, o.market),
                if o.is_buy { "buy" } else { "sell" }.to_string(),
                if o.reduce_only { "reduce-only" } else { "" }.to_string(),
                market_size(markets, o.market, o.remaining),
                market_price(markets, o.market, u128::from(o.price)),
            ]
        })
        .collect();
    let header = ["order id", "market", "side", "", "remaining", "price"];
    table::render(&header, &rows, 4)
}

/// `vigil markets`: one row per market, with the circuit breaker's state in a column.
pub async fn markets_command(cli: &Cli) -> anyhow::Result<Output> {
    let seq = Endpoints::resolve(cli)?.sequencer();
    let markets = markets(&seq).await?;
    let json = serde_json::json!({ "markets": markets });
    Ok(Output {
        text: markets_table(&markets),
        json,
    })
}

/// The `vigil markets` table (no network: a pure function of the sequencer's answer).
pub fn markets_table(markets: &[MarketInfo]) -> String {
    let header = ["id", "market", "mark", "open interest", "state"];
    let rows: Vec<Vec<String>> = markets.iter().map(market_row).collect();
    table::render(&header, &rows, 2)
}

fn market_row(m: &MarketInfo) -> Vec<String> {
    let mark = if m.mark_price == 0 {
        "none".to_string()
    } else {
        market_price(
            std::slice::from_ref(m),
            m.params.id,
            u128::from(m.mark_price),
        )
    };
    let b = &m.breaker;
    let state = match b.state {
        MarketMode::Open => "open".to_string(),
        MarketMode::ReduceOnly => {
            let when = |ms: Option<u64>| ms.map_or_else(|| "?".to_string(), format_utc);
            format!(
                "reduce-only ({} since {} UTC; resumes with a fresh in-bound price from {} UTC)",
                b.reason.as_deref().unwrap_or("?"),
                when(b.since_ms),
                when(b.resumes_at_ms)
            )
        }
    };
    vec![
        m.params.id.to_string(),
        m.params.symbol.clone(),
        mark,
        format_size_fixed(i128::from(m.long_open_interest), m.params.size_decimals),
        state,
    ]
}

pub async fn book(cli: &Cli, args: &BookArgs) -> anyhow::Result<Output> {
    let seq = Endpoints::resolve(cli)?.sequencer();
    let markets = markets(&seq).await?;
    let market = find(&markets, &args.market)?;
    let depth = seq.book(market.params.id, args.levels).await?;
    let d = market.params.size_decimals;
    let price = |micro: u64| market_price(&markets, market.params.id, u128::from(micro));
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
            price(market.mark_price)
        );
        return Ok(Output { text, json });
    }
    let level = |l: &BookLevel| {
        format!(
            "{:>14} {:>14} {:>6}",
            price(l.price),
            format_size_fixed(i128::try_from(l.size).unwrap_or(i128::MAX), d),
            l.orders
        )
    };
    let mut text = format!(
        "{} (mark {})\n{:>14} {:>14} {:>6}",
        market.params.symbol,
        price(market.mark_price),
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
