//! `vigil triggers` and `vigil tpsl`: an account's trigger orders (PROTOCOL.md Part 4 §21)
//! in human units, and a take-profit / stop-loss attached to a position; and `vigil order
//! … --stop P | --take-profit P [@ LIMIT]`, which signs a `TriggerOrder`. `tpsl` and the
//! trigger order name as `signer` the key's own account, or with `--as ACCOUNT` the agent
//! key acting for that account (one type serves both: no Agent* twin).

use super::market::{
    expires_in, find, fresh_nonce, markets, parse_order_price, parse_order_size, price_words,
    symbol,
};
use super::network::{Endpoints, signer};
use super::trade::{acting_for, as_agent_words};
use super::views::address_of_arg;
use super::{Output, receipt};
use crate::cli::{AccountArg, Cli, OrderArgs, Side, TpSlArgs};
use crate::units::{format_price, format_size, format_size_fixed, parse_price};
use protocol::action::{Action, TpSl, TriggerKind, TriggerOrder};
use protocol::api::sequencer::MarketInfo;
use protocol::engine::view::TriggerView;
use serde_json::json;

/// Signature lifetime of a TpSl, in seconds.
const EXPIRY_SECS: u64 = 60;

/// `vigil triggers`: the account's waiting trigger orders, one line each.
pub async fn list(cli: &Cli, arg: &AccountArg) -> anyhow::Result<Output> {
    let address = address_of_arg(cli, arg)?;
    let seq = Endpoints::resolve(cli)?.sequencer();
    let view = seq.triggers(&address).await?;
    let markets = markets(&seq).await?;
    let mut text = if view.triggers.is_empty() {
        format!(
            "{address} has no trigger orders (`vigil tpsl MARKET --take-profit P --stop-loss P` attaches a pair to a position)"
        )
    } else {
        format!("{address}: {} trigger orders\n", view.triggers.len())
    };
    for t in &view.triggers {
        text.push_str(&line(&markets, t));
        text.push('\n');
    }
    Ok(Output {
        text: text.trim_end().to_string(),
        json: serde_json::to_value(&view)?,
    })
}

/// `vigil order SIDE MARKET SIZE [@ LIMIT] --stop P | --take-profit P`: a `TriggerOrder`
/// (a limit kind with `@ LIMIT`, else a market kind, which runs as IOC within 5% of the
/// mark when it fires).
pub async fn place(cli: &Cli, args: &OrderArgs) -> anyhow::Result<Output> {
    let endpoints = Endpoints::resolve(cli)?;
    let key = signer(cli, &args.signer.name)?;
    let (account, agent) = acting_for(key.address, &args.agent_for);
    let markets = markets(&endpoints.sequencer()).await?;
    let market = find(&markets, &args.market)?;
    let size = parse_order_size(market, &args.size)?;
    let limit = match price_words(&args.price)? {
        Some(text) => parse_order_price(market, text)?,
        None => 0,
    };
    let (stop, trigger_text) = match (&args.stop, &args.take_profit) {
        (Some(p), _) => (true, p),
        (None, Some(p)) => (false, p),
        (None, None) => unreachable!("place is called with --stop or --take-profit"),
    };
    let trigger_price = parse_order_price(market, trigger_text)?;
    let kind = match (stop, limit != 0) {
        (true, false) => TriggerKind::StopMarket,
        (true, true) => TriggerKind::StopLimit,
        (false, false) => TriggerKind::TakeProfitMarket,
        (false, true) => TriggerKind::TakeProfitLimit,
    };
    let nonce = fresh_nonce();
    let is_buy = args.side == Side::Buy;
    let action = Action::TriggerOrder(TriggerOrder {
        signer: agent.unwrap_or(account),
        account,
        market: market.params.id,
        is_buy,
        kind,
        trigger_price,
        price: limit,
        size,
        reduce_only: args.reduce_only,
        nonce,
        expires_at: expires_in(args.expires_in_secs),
    });
    let accepted = endpoints.sign_and_submit(&key, action).await?;
    let rises = kind.fires_on_rise(is_buy);
    let then = match limit {
        0 => "then a market order within 5% of the mark".to_string(),
        p => format!("then a limit order @ {}", format_price(u128::from(p))),
    };
    let mark = market.mark_price;
    let reached = if rises {
        mark >= trigger_price
    } else {
        mark <= trigger_price && mark != 0
    };
    let now = if reached {
        format!(
            "; the mark {} is already there, so it fires at the next price update",
            format_price(u128::from(mark))
        )
    } else {
        String::new()
    };
    let headline = format!(
        "{} order id {} accepted: {} {} {} when the mark {} {}, {then}{} by {}{now}",
        if stop { "stop" } else { "take-profit" },
        super::table::order_id(nonce),
        if is_buy { "buy" } else { "sell" },
        format_size_fixed(i128::from(size), market.params.size_decimals),
        market.params.symbol,
        if rises { "rises to" } else { "falls to" },
        format_price(u128::from(trigger_price)),
        if args.reduce_only {
            " (reduce-only)"
        } else {
            ""
        },
        key.address
    ) + &as_agent_words(account, agent);
    let mut output = receipt::render(&headline, &accepted, &markets, Some(market.params.id));
    output.json["order_id"] = nonce.into();
    output.json["market"] = market.params.symbol.clone().into();
    output.json["account"] = json!(account);
    output.json["agent"] = json!(agent);
    output.json["trigger_kind"] = KIND_NAMES[kind as usize].into();
    output.json["trigger_price"] = json!(trigger_price);
    Ok(output)
}

/// The trigger kinds' names, by their signed `kind` value.
const KIND_NAMES: [&str; 4] = [
    "stop_market",
    "stop_limit",
    "take_profit_market",
    "take_profit_limit",
];

/// One trigger order in words: `BTC-PERP #12 stop-market sell 0.5 when mark ≤ 45,000`.
fn line(markets: &[MarketInfo], t: &TriggerView) -> String {
    let decimals = markets
        .iter()
        .find(|m| m.params.id == t.market)
        .map_or(0, |m| m.params.size_decimals);
    let kind = KIND_NAMES[t.kind as usize].replace('_', "-");
    let rises = t.kind.fires_on_rise(t.is_buy);
    let size = if t.size == 0 {
        "the whole position".to_string()
    } else {
        format_size(t.size, decimals)
    };
    let limit = if t.price == 0 {
        String::new()
    } else {
        format!(" at limit {}", format_price(u128::from(t.price)))
    };
    format!(
        "  {} #{} {} ({}) {} {size}{limit} when mark {} {}{}",
        symbol(markets, t.market),
        super::table::order_id(t.nonce),
        kind,
        t.leg.replace('_', "-"),
        if t.is_buy { "buy" } else { "sell" },
        if rises { "≥" } else { "≤" },
        format_price(u128::from(t.trigger_price)),
        if t.reduce_only { ", reduce-only" } else { "" }
    )
}

/// `vigil tpsl MARKET --take-profit P --stop-loss P`: replaces the position's pair (no
/// price given: removes it).
pub async fn set(cli: &Cli, args: &TpSlArgs) -> anyhow::Result<Output> {
    let endpoints = Endpoints::resolve(cli)?;
    let key = signer(cli, &args.signer.name)?;
    let (account, agent) = acting_for(key.address, &args.agent_for);
    let markets = markets(&endpoints.sequencer()).await?;
    let market = find(&markets, &args.market)?.params.id;
    let price = |p: &Option<String>| p.as_deref().map(parse_price).transpose();
    let take_profit = price(&args.take_profit)?.unwrap_or(0);
    let stop_loss = price(&args.stop_loss)?.unwrap_or(0);
    let action = Action::TpSl(TpSl {
        signer: agent.unwrap_or(account),
        account,
        market,
        take_profit,
        stop_loss,
        nonce: fresh_nonce(),
        expires_at: expires_in(EXPIRY_SECS),
    });
    let accepted = endpoints.sign_and_submit(&key, action).await?;
    let what = match (take_profit, stop_loss) {
        (0, 0) => format!("TP/SL of {account} on {} removed", args.market),
        _ => format!(
            "TP/SL of {account} on {}: take profit {}, stop loss {} (the whole position, one cancels the other)",
            args.market,
            leg_words(take_profit),
            leg_words(stop_loss)
        ),
    };
    let headline = what + &as_agent_words(account, agent);
    let mut output = receipt::render(&headline, &accepted, &markets, None);
    output.json["take_profit"] = json!(take_profit);
    output.json["stop_loss"] = json!(stop_loss);
    Ok(output)
}

fn leg_words(price: u64) -> String {
    match price {
        0 => "none".into(),
        p => format_price(u128::from(p)),
    }
}
