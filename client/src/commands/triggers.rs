//! `vigil triggers` and `vigil tpsl`: an account's trigger orders (PROTOCOL.md Part 4 §21)
//! in human units, and a take-profit / stop-loss attached to a position. `tpsl` signs a
//! `TpSl` whose `signer` is the key's own account, or with `--as ACCOUNT` the agent key
//! acting for that account (one type serves both: no Agent* twin).

use super::market::{expires_in, find, fresh_nonce, markets, symbol};
use super::network::{Endpoints, signer};
use super::trade::{acting_for, as_agent_words};
use super::views::address_of_arg;
use super::{Output, receipt};
use crate::cli::{AccountArg, Cli, TpSlArgs};
use crate::units::{format_price, format_size, parse_price};
use protocol::action::{Action, TpSl};
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

/// One trigger order in words: `BTC-PERP #12 stop-market sell 0.5 when mark ≤ 45,000`.
fn line(markets: &[MarketInfo], t: &TriggerView) -> String {
    let decimals = markets
        .iter()
        .find(|m| m.params.id == t.market)
        .map_or(0, |m| m.params.size_decimals);
    let kind = [
        "stop-market",
        "stop-limit",
        "take-profit-market",
        "take-profit-limit",
    ][t.kind as usize];
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
        t.nonce,
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
