//! `vigil modify-bulk ITEM...` (issue #16): several open orders changed by one signed
//! `BulkModify` (PROTOCOL.md Part 4 §27), all or nothing. Each item is `ORDER[@PRICE]
//! [xSIZE]` in human units; an order with a client id is named by it on the chain, any
//! other by its market and id. The receipt's `modified` list says, per order, its new
//! terms and whether it kept its time priority.

use super::market::{
    expires_in, find, fresh_nonce, market_price, markets, parse_order_price, parse_order_size,
};
use super::network::{Endpoints, signer};
use super::trade::{acting_for, as_agent_words};
use super::{Output, UsageError, receipt, table};
use crate::cli::{Cli, ModifyBulkArgs};
use crate::units::format_size_fixed;
use protocol::action::{Action, BulkModify, MAX_BULK_MODIFY_ITEMS, ModifyItem, ModifyItems};
use protocol::api::sequencer::{MarketInfo, TxAccepted};
use protocol::primitives::Address;
use sequencer::http::AccountOrder;
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Signature lifetime of a bulk modify, in seconds.
const EXPIRY_SECS: u64 = 60;

/// One typed item: the order (an id, or a client id after `c`) and the new terms as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ItemArg {
    order: OrderRef,
    price: Option<String>,
    size: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OrderRef {
    Id(u64),
    ClientId(u128),
}

/// Parses `ORDER[@PRICE][xSIZE]`.
fn parse_item(text: &str) -> Result<ItemArg, String> {
    let bad = |why: &str| {
        format!(
            "{text:?}: {why}; an item is ORDER[@PRICE][xSIZE], e.g. 12@50100, c7x0.5 or 13@49900x0.25"
        )
    };
    let (head, size) = match text.split_once('x') {
        Some((head, size)) => (head, Some(size.to_string())),
        None => (text, None),
    };
    let (order, price) = match head.split_once('@') {
        Some((order, price)) => (order, Some(price.to_string())),
        None => (head, None),
    };
    if price.is_none() && size.is_none() {
        return Err(bad("give a new price (@PRICE), a new size (xSIZE) or both"));
    }
    let order = match order.strip_prefix('c') {
        Some(id) => OrderRef::ClientId(
            id.parse()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| bad("a client id is a whole number from 1"))?,
        ),
        None => OrderRef::Id(order.parse().map_err(|_| bad("not an order id"))?),
    };
    Ok(ItemArg { order, price, size })
}

/// The open order of `account` an item names, or why none is, with the next step.
fn find_order<'a>(
    account: &Address,
    open: &'a [AccountOrder],
    order: OrderRef,
) -> Result<&'a AccountOrder, String> {
    let ids: Vec<u64> = open.iter().map(|o| o.nonce).collect();
    let found = match order {
        OrderRef::ClientId(c) => open
            .iter()
            .find(|o| o.client_id.as_deref() == Some(c.to_string().as_str())),
        OrderRef::Id(typed) => match table::resolve_order_id(typed, &ids) {
            Ok(Some(id)) => open.iter().find(|o| o.nonce == id),
            Ok(None) => None,
            Err(several) => {
                return Err(format!(
                    "several open orders of {account} end in {typed}: {several:?}; give the full id"
                ));
            }
        },
    };
    found.ok_or_else(|| {
        let which = match order {
            OrderRef::ClientId(c) => format!("with client id {c}"),
            OrderRef::Id(id) => id.to_string(),
        };
        format!(
            "{account} has no open order {which} (`vigil orders --account {account}` lists them)"
        )
    })
}

/// The typed items, parsed: 1 to [`MAX_BULK_MODIFY_ITEMS`] (the chain's limit, checked
/// here so the mistake is named before anything is signed).
fn parse_items(items: &[String]) -> Result<Vec<ItemArg>, UsageError> {
    if items.len() > MAX_BULK_MODIFY_ITEMS {
        return Err(UsageError(format!(
            "{} items: one bulk modify changes at most {MAX_BULK_MODIFY_ITEMS} orders; split them over several `vigil modify-bulk` runs (each is all or nothing on its own)",
            items.len()
        )));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, t)| parse_item(t).map_err(|e| UsageError(format!("item {}: {e}", i + 1))))
        .collect()
}

/// The chain's item for `order` with the typed terms (0 keeps one).
fn chain_item(
    markets: &[MarketInfo],
    order: &AccountOrder,
    arg: &ItemArg,
) -> anyhow::Result<ModifyItem> {
    let market = find(markets, &order.market.to_string())?;
    let price = match &arg.price {
        Some(text) => parse_order_price(market, text)?,
        None => 0,
    };
    let size = match &arg.size {
        Some(text) => parse_order_size(market, text)?,
        None => 0,
    };
    let client_id = order
        .client_id
        .as_deref()
        .and_then(|c| c.parse::<u128>().ok());
    Ok(match client_id {
        Some(client_id) => ModifyItem::by_client_id(client_id, price, size),
        None => ModifyItem::by_nonce(order.market, order.nonce, price, size),
    })
}

/// `vigil modify-bulk ITEM...`.
pub async fn modify_bulk(cli: &Cli, args: &ModifyBulkArgs) -> anyhow::Result<Output> {
    let typed = parse_items(&args.items)?;
    let endpoints = Endpoints::resolve(cli)?;
    let key = signer(cli, &args.signer.name)?;
    let (account, agent) = acting_for(key.address, &args.agent_for);
    let seq = endpoints.sequencer();
    let open = seq.orders(&account, None).await?.orders;
    let orders = typed
        .iter()
        .zip(&args.items)
        .enumerate()
        .map(|(i, (t, text))| {
            find_order(&account, &open, t.order)
                .cloned()
                .map_err(|e| UsageError(format!("item {} ({text}): {e}", i + 1)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let markets = super::options::instruments_naming(
        &seq,
        markets(&seq).await?,
        orders.iter().map(|o| o.market),
    )
    .await?;
    let items = orders
        .iter()
        .zip(&typed)
        .map(|(o, t)| chain_item(&markets, o, t))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let action = Action::BulkModify(BulkModify {
        signer: agent.unwrap_or(account),
        account,
        items: ModifyItems(items),
        nonce: fresh_nonce(),
        expires_at: expires_in(EXPIRY_SECS),
    });
    let accepted = endpoints.sign_and_submit(&key, action).await?;
    render(&markets, (account, agent), &accepted, &orders)
}

/// The answer: per modified order (in item order) its new terms, what it was and whether
/// it kept its time priority; with `--json` the receipt and `orders`.
fn render(
    markets: &[MarketInfo],
    (account, agent): (Address, Option<Address>),
    accepted: &TxAccepted,
    was: &[AccountOrder],
) -> anyhow::Result<Output> {
    let modified = &accepted.receipt.modified;
    let mut headline = format!(
        "{} order{} of {account} modified in one action{}:",
        modified.len(),
        if modified.len() == 1 { "" } else { "s" },
        as_agent_words(account, agent)
    );
    let mut rows = Vec::new();
    // An order named twice was, for its second item, what the first left.
    let mut now: BTreeMap<(u32, u64), (u64, u64)> = BTreeMap::new();
    for (m, listed) in modified.iter().zip(was) {
        let (was_price, was_size) = now
            .insert((m.market, m.nonce), (m.price, m.size))
            .unwrap_or((listed.price, listed.resting));
        let params = &find(markets, &m.market.to_string())?.params;
        let size = |lots: u64| format_size_fixed(i128::from(lots), params.size_decimals);
        let price = |micro: u64| market_price(markets, m.market, u128::from(micro));
        let _ = write!(
            headline,
            "\n  id {} {} {} @ {} (was {} @ {}): {}",
            table::order_id(m.nonce),
            params.symbol,
            size(m.size),
            price(m.price),
            size(was_size),
            price(was_price),
            if m.kept_priority {
                "time priority kept"
            } else {
                "to the back of its price level"
            }
        );
        // Raw integers, as every `--json` amount (docs/JSON.md): the output's one pass
        // adds `market_symbol`, `price_decimal` and `size_decimal`.
        rows.push(json!({
            "order_id": m.nonce,
            "market": m.market,
            "price": m.price,
            "size": m.size,
            "priority_kept": m.kept_priority,
        }));
    }
    let mut output = receipt::render(&headline, accepted, markets, None);
    output.json["account"] = json!(account);
    output.json["agent"] = json!(agent);
    output.json["orders"] = json!(rows);
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_parse_ids_client_ids_prices_and_sizes() {
        let item = |order, price: Option<&str>, size: Option<&str>| ItemArg {
            order,
            price: price.map(str::to_string),
            size: size.map(str::to_string),
        };
        // (typed, parsed or the start of the error)
        let table: [(&str, Result<ItemArg, &str>); 6] = [
            ("12@50100", Ok(item(OrderRef::Id(12), Some("50100"), None))),
            ("c7x0.5", Ok(item(OrderRef::ClientId(7), None, Some("0.5")))),
            (
                "13@49,900.5x0.25",
                Ok(item(OrderRef::Id(13), Some("49,900.5"), Some("0.25"))),
            ),
            ("12", Err("\"12\": give a new price")),
            ("c0@1", Err("\"c0@1\": a client id is a whole number")),
            ("abc@1", Err("\"abc@1\": not an order id")),
        ];
        for (typed, want) in table {
            match (parse_item(typed), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{typed}"),
                (Err(got), Err(want)) => assert!(got.starts_with(want), "{typed}: {got}"),
                (got, want) => panic!("{typed}: {got:?}, expected {want:?}"),
            }
        }
    }
}
