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
use protocol::action::{Action, BulkModify, ModifyItem, ModifyItems};
use protocol::api::sequencer::MarketInfo;
use sequencer::http::AccountOrder;
use serde_json::json;
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

/// The open order an item names.
fn find_order(open: &[AccountOrder], order: OrderRef) -> Result<&AccountOrder, String> {
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
                    "several of your open orders end in {typed}: {several:?}; give the full id"
                ));
            }
        },
    };
    found.ok_or_else(|| {
        let which = match order {
            OrderRef::ClientId(c) => format!("with client id {c}"),
            OrderRef::Id(id) => id.to_string(),
        };
        format!("no open order {which} (`vigil orders` lists them)")
    })
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
    let typed = args
        .items
        .iter()
        .map(|t| parse_item(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(UsageError)?;
    let endpoints = Endpoints::resolve(cli)?;
    let key = signer(cli, &args.signer.name)?;
    let (account, agent) = acting_for(key.address, &args.agent_for);
    let seq = endpoints.sequencer();
    let open = seq.orders(&account, None).await?.orders;
    let orders = typed
        .iter()
        .map(|t| find_order(&open, t.order).cloned())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| UsageError(format!("{account} has {e}")))?;
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
    let mut headline = format!(
        "{} orders of {account} modified in one action{}:",
        accepted.receipt.modified.len(),
        as_agent_words(account, agent)
    );
    let mut rows = Vec::new();
    for (m, was) in accepted.receipt.modified.iter().zip(&orders) {
        let decimals = find(&markets, &m.market.to_string())?.params.size_decimals;
        let symbol = find(&markets, &m.market.to_string())?.params.symbol.clone();
        let _ = write!(
            headline,
            "\n  id {} {symbol} {} @ {} (was {} @ {}): {}",
            table::order_id(m.nonce),
            format_size_fixed(i128::from(m.size), decimals),
            market_price(&markets, m.market, u128::from(m.price)),
            format_size_fixed(i128::from(was.resting), decimals),
            market_price(&markets, m.market, u128::from(was.price)),
            if m.kept_priority {
                "time priority kept"
            } else {
                "to the back of its price level"
            }
        );
        rows.push(json!({
            "order_id": m.nonce,
            "market": symbol,
            "price": market_price(&markets, m.market, u128::from(m.price)),
            "size": format_size_fixed(i128::from(m.size), decimals),
            "priority_kept": m.kept_priority,
        }));
    }
    let mut output = receipt::render(&headline, &accepted, &markets, None);
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
