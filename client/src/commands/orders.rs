//! `vigil orders` and `vigil modify` (issue #16): an account's open orders and waiting
//! trigger orders as one table (`GET /v1/accounts/{a}/orders` and `…/triggers`), and an
//! atomic change of an open order's price or size (`ModifyOrder`, PROTOCOL.md Part 4
//! §20), which says whether the order kept its time priority by the documented rule: kept
//! only when the price is unchanged and the size does not grow.

use super::market::{
    expires_in, find, fresh_nonce, market_price, markets, parse_order_price, parse_order_size,
    size_decimals, symbol,
};
use super::network::{Endpoints, signer};
use super::trade::{acting_for, as_agent_words};
use super::views::address_of_arg;
use super::{Output, UsageError, receipt, table};
use crate::cli::{AccountArg, Cli, ModifyArgs, OrdersArgs};
use crate::sequencer::SequencerClient;
use crate::units::{format_size_fixed, format_utc};
use protocol::action::{Action, ModifyOrder};
use protocol::api::history::Side;
use protocol::api::sequencer::MarketInfo;
use protocol::engine::view::TriggerView;
use protocol::primitives::Address;
use sequencer::http::AccountOrder;
use sequencer::journal::ledger::OrderStatus;
use serde_json::json;

/// Signature lifetime of a modify, in seconds.
const EXPIRY_SECS: u64 = 60;

/// `vigil orders [--account A] [--market M]`.
pub async fn list(cli: &Cli, args: &OrdersArgs) -> anyhow::Result<Output> {
    let arg = AccountArg {
        name: args.name.clone(),
        address: args.account,
    };
    let address = address_of_arg(cli, &arg)?;
    let seq = Endpoints::resolve(cli)?.sequencer();
    let markets = super::options::with_series(&seq, markets(&seq).await?).await?;
    let only = match &args.market {
        Some(text) => Some(find(&markets, text)?.params.id),
        None => None,
    };
    let in_market = |m: u32| only.is_none_or(|o| o == m);
    let open: Vec<AccountOrder> = seq.orders(&address, None).await?.orders;
    let open: Vec<AccountOrder> = open.into_iter().filter(|o| in_market(o.market)).collect();
    let triggers: Vec<TriggerView> = seq.triggers(&address).await?.triggers;
    let triggers: Vec<TriggerView> = triggers
        .into_iter()
        .filter(|t| in_market(t.market))
        .collect();
    let mut rows: Vec<Vec<String>> = open.iter().map(|o| open_row(&markets, o)).collect();
    rows.extend(triggers.iter().map(|t| trigger_row(&markets, t)));
    let text = if rows.is_empty() {
        format!(
            "{address} has no open orders{} (place one with `vigil order buy BTC-PERP 0.1 @ 50000`)",
            args.market
                .as_ref()
                .map_or_else(String::new, |m| format!(" in {m}"))
        )
    } else {
        let header = [
            "id",
            "client id",
            "market",
            "side",
            "price",
            "size",
            "filled",
            "status",
            "expiry",
        ];
        format!(
            "open orders of {address}: {} resting, {} trigger orders waiting\n{}",
            open.len(),
            triggers.len(),
            table::render(&header, &rows, 4)
        )
    };
    Ok(Output {
        text,
        json: json!({"account": address, "orders": open, "triggers": triggers}),
    })
}

fn open_row(markets: &[MarketInfo], o: &AccountOrder) -> Vec<String> {
    let decimals = size_decimals(markets, o.market);
    vec![
        table::order_id(o.nonce),
        o.client_id.clone().unwrap_or_else(|| "-".into()),
        symbol(markets, o.market),
        side_word(o.side).into(),
        market_price(markets, o.market, u128::from(o.price)),
        format_size_fixed(i128::from(o.size), decimals),
        format_size_fixed(i128::from(o.filled), decimals),
        status_word(o.status).into(),
        o.expires_at_ms
            .map_or_else(|| "until cancelled".into(), |ms| format_utc(ms) + " UTC"),
    ]
}

/// A waiting trigger order as a row: its status says at which mark it fires.
fn trigger_row(markets: &[MarketInfo], t: &TriggerView) -> Vec<String> {
    let decimals = size_decimals(markets, t.market);
    let rises = t.kind.fires_on_rise(t.is_buy);
    let what = if t.kind.is_stop() {
        "stop"
    } else {
        "take profit"
    };
    vec![
        table::order_id(t.nonce),
        "-".into(),
        symbol(markets, t.market),
        (if t.is_buy { "buy" } else { "sell" }).into(),
        match t.price {
            0 => "market".into(),
            p => market_price(markets, t.market, u128::from(p)),
        },
        match t.size {
            0 => "position".into(),
            s => format_size_fixed(i128::from(s), decimals),
        },
        format_size_fixed(0, decimals),
        format!(
            "waiting: {what}, mark {} {}",
            if rises { "≥" } else { "≤" },
            market_price(markets, t.market, u128::from(t.trigger_price))
        ),
        "until cancelled".into(),
    ]
}

fn side_word(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

/// An order's status as the CLI says it (the orders and ledger views share it).
pub(super) fn status_word(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Resting => "resting",
        OrderStatus::PartiallyFilled => "partially filled",
        OrderStatus::Filled => "filled",
        OrderStatus::Cancelled => "cancelled",
        OrderStatus::Expired => "expired",
        OrderStatus::Rejected => "rejected",
        OrderStatus::Modified => "modified",
        OrderStatus::Waiting => "waiting",
    }
}

/// `vigil modify ID|--client-id N [--price P] [--size S]`.
pub async fn modify(cli: &Cli, args: &ModifyArgs) -> anyhow::Result<Output> {
    if args.price.is_none() && args.size.is_none() {
        return Err(UsageError("give --price P, --size S or both (the new terms)".into()).into());
    }
    let endpoints = Endpoints::resolve(cli)?;
    let key = signer(cli, &args.signer.name)?;
    let (account, agent) = acting_for(key.address, &args.agent_for);
    let seq = endpoints.sequencer();
    let order = open_order(&seq, &account, args).await?;
    let markets =
        super::options::instruments_naming(&seq, markets(&seq).await?, [order.market].into_iter())
            .await?;
    let Some(client_id) = order
        .client_id
        .as_deref()
        .and_then(|c| c.parse::<u128>().ok())
    else {
        return Err(UsageError(format!(
            "order {} of {account} has no client id, and only an order placed with one can be modified; cancel it (`vigil cancel {}`) and place it again with `vigil order … --client-id N`",
            table::order_id(order.nonce), table::order_id(order.nonce)
        ))
        .into());
    };
    let market = find(&markets, &order.market.to_string())?;
    let price = match &args.price {
        Some(text) => parse_order_price(market, text)?,
        None => order.price,
    };
    let size = match &args.size {
        Some(text) => parse_order_size(market, text)?,
        None => order.resting,
    };
    let action = Action::ModifyOrder(ModifyOrder {
        signer: agent.unwrap_or(account),
        account,
        client_id,
        price,
        size,
        nonce: fresh_nonce(),
        expires_at: expires_in(EXPIRY_SECS),
    });
    let accepted = endpoints.sign_and_submit(&key, action).await?;
    let kept = price == order.price && size <= order.resting;
    let decimals = market.params.size_decimals;
    let headline = format!(
        "order id {} (client id {client_id}) of {account} modified: {} {} {} @ {} (was {} @ {}); {}",
        table::order_id(order.nonce),
        side_word(order.side),
        format_size_fixed(i128::from(size), decimals),
        market.params.symbol,
        market_price(&markets, order.market, u128::from(price)),
        format_size_fixed(i128::from(order.resting), decimals),
        market_price(&markets, order.market, u128::from(order.price)),
        priority_words(kept, price != order.price)
    ) + &as_agent_words(account, agent);
    let mut output = receipt::render(&headline, &accepted, &markets, Some(order.market));
    output.json["order_id"] = order.nonce.into();
    output.json["client_id"] = client_id.to_string().into();
    output.json["market"] = market.params.symbol.clone().into();
    output.json["account"] = json!(account);
    output.json["agent"] = json!(agent);
    output.json["priority_kept"] = kept.into();
    Ok(output)
}

/// The order to modify: by client id, else by id; it must be open.
async fn open_order(
    seq: &SequencerClient,
    account: &Address,
    args: &ModifyArgs,
) -> anyhow::Result<AccountOrder> {
    let open = seq.orders(account, None).await?.orders;
    let ids: Vec<u64> = open.iter().map(|o| o.nonce).collect();
    // The id typed may be the short one printed (`table::order_id`).
    let by_id = match args.order_id {
        Some(typed) => table::resolve_order_id(typed, &ids).map_err(|several| {
            UsageError(format!(
                "several of your open orders end in {typed}: {several:?}; give the full id"
            ))
        })?,
        None => None,
    };
    let found = open.into_iter().find(|o| match (args.client_id, by_id) {
        (Some(c), _) => o.client_id.as_deref() == Some(c.to_string().as_str()),
        (None, Some(id)) => o.nonce == id,
        (None, None) => false,
    });
    let which = match (args.client_id, args.order_id) {
        (Some(c), _) => format!("with client id {c}"),
        (None, id) => format!("{}", id.unwrap_or_default()),
    };
    found.ok_or_else(|| {
        UsageError(format!(
            "{account} has no open order {which} to modify (`vigil orders --account {account}` lists them)"
        ))
        .into()
    })
}

/// Whether the modify kept the order's place in its price level (PROTOCOL.md Part 4 §20).
fn priority_words(kept: bool, price_changed: bool) -> &'static str {
    match (kept, price_changed) {
        (true, _) => "time priority kept (same price, size not grown)",
        (false, true) => {
            "time priority lost: the price changed, so it went to the back of its new price level"
        }
        (false, false) => {
            "time priority lost: the size grew, so it went to the back of its price level"
        }
    }
}
