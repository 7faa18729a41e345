//! `vigil order|cancel|cancel-all`: build the EIP-712 action from human units, sign it with
//! the resolved key under the chain's domain, submit it to the sequencer and print the
//! soft-confirmation receipt. An order's id is its nonce (DESIGN §2), printed on placement.
//! With `--as ACCOUNT` the key signs the agent kind (AgentOrder, AgentCancel,
//! AgentCancelAll) for ACCOUNT, which must have approved it (`vigil agent approve`).

use super::market::{
    expires_in, find, fresh_nonce, markets, parse_order_price, parse_order_size, price_words,
    worst_price,
};
use super::network::{Endpoints, signer};
use super::{Output, UsageError, receipt, table};
use crate::cli::{AgentFor, CancelAllArgs, CancelArgs, Cli, OrderArgs, Side};
use crate::keystore::StoredKey;
use crate::units::{format_price, format_size_fixed, format_utc};
use protocol::action::{
    Action, AgentCancel, AgentCancelAll, AgentOrder, Cancel, CancelAll, CancelByClientId,
    ClientOrder, NO_EXPIRY, Order, TimeInForce,
};
use protocol::api::sequencer::MarketInfo;
use protocol::primitives::Address;

/// The account an action is for (`--as`, else the key's own) and, as an agent, the key's
/// address.
pub(super) fn acting_for(key_address: Address, agent_for: &AgentFor) -> (Address, Option<Address>) {
    match agent_for.account {
        Some(account) if account != key_address => (account, Some(key_address)),
        _ => (key_address, None),
    }
}

/// What a per-market account setting (`leverage`, `margin`) resolves before it signs: the
/// endpoints, the key, the account it acts for (and as whose agent), the markets and the
/// one named.
pub(super) struct MarketSetting {
    pub endpoints: Endpoints,
    pub key: StoredKey,
    pub account: Address,
    pub agent: Option<Address>,
    pub markets: Vec<MarketInfo>,
    pub market: u32,
    pub symbol: String,
}

impl MarketSetting {
    pub async fn resolve(
        cli: &Cli,
        key_name: &str,
        agent_for: &AgentFor,
        market: &str,
    ) -> anyhow::Result<MarketSetting> {
        let endpoints = Endpoints::resolve(cli)?;
        let key = signer(cli, key_name)?;
        let (account, agent) = acting_for(key.address, agent_for);
        let markets = markets(&endpoints.sequencer()).await?;
        let info = find(&markets, market)?;
        let (market, symbol) = (info.params.id, info.params.symbol.clone());
        Ok(MarketSetting {
            endpoints,
            key,
            account,
            agent,
            markets,
            market,
            symbol,
        })
    }

    /// The action's `signer`: the agent key when acting as one, else the account.
    pub fn signer(&self) -> Address {
        self.agent.unwrap_or(self.account)
    }
}

/// " for ACCOUNT as its agent" when acting as one, for headlines.
pub(super) fn as_agent_words(account: Address, agent: Option<Address>) -> String {
    agent.map_or_else(String::new, |_| format!(" for {account} as its agent"))
}

/// Default signature lifetime of cancels, in seconds.
const CANCEL_EXPIRY_SECS: u64 = 300;

pub async fn order(cli: &Cli, args: &OrderArgs) -> anyhow::Result<Output> {
    if args.stop.is_some() || args.take_profit.is_some() {
        return super::triggers::place(cli, args).await;
    }
    let endpoints = Endpoints::resolve(cli)?;
    let key = signer(cli, &args.signer.name)?;
    let seq = endpoints.sequencer();
    let markets = super::options::instruments_for(&seq, markets(&seq).await?, &args.market).await?;
    let market = find(&markets, &args.market).map_err(|e| {
        if super::options::looks_like_series(&args.market) {
            super::options::unknown_series(&args.market, &markets)
        } else {
            e
        }
    })?;
    let size = parse_order_size(market, &args.size)?;
    let is_buy = args.side == Side::Buy;
    let limit = price_words(&args.price)?;
    let (price, tif) = match limit {
        Some(text) => (parse_order_price(market, text)?, chosen_tif(args)),
        None => {
            if args.fok || args.post_only {
                return Err(UsageError(
                    "a market order (no price) is IOC; --fok and --post-only need `@ PRICE`".into(),
                )
                .into());
            }
            let slippage = args.slippage_bps.unwrap_or(MARKET_SLIPPAGE_BPS);
            (
                worst_price(market, is_buy, Some(slippage))?,
                TimeInForce::Ioc,
            )
        }
    };
    let nonce = fresh_nonce();
    let (account, agent) = acting_for(key.address, &args.agent_for);
    let order = Order {
        account,
        market: market.params.id,
        is_buy,
        price,
        size,
        tif,
        reduce_only: args.reduce_only,
        nonce,
        expires_at: expires_in(args.expires_in_secs),
    };
    let good_till = args.expires_in.map(|ms| expires_in(0).saturating_add(ms));
    let action = order_action(order, agent, args.client_id, good_till);
    let accepted = endpoints.sign_and_submit(&key, action).await?;
    let side = if is_buy { "buy" } else { "sell" };
    let what = format!(
        "{side} {} {}",
        format_size_fixed(i128::from(size), market.params.size_decimals),
        market.params.symbol
    );
    let reduce = terms_words(args.reduce_only, args.client_id, good_till);
    let headline = match limit {
        Some(_) => {
            format!(
                "order id {} accepted: {what} @ {} ({}{reduce}) by {}",
                table::order_id(nonce),
                format_price(u128::from(price)),
                format!("{tif:?}").to_uppercase(),
                key.address
            ) + &as_agent_words(account, agent)
        }
        None => {
            format!(
                "order id {} accepted: market {what} (worst price {}{reduce}) by {}",
                table::order_id(nonce),
                format_price(u128::from(price)),
                key.address
            ) + &as_agent_words(account, agent)
        }
    };
    let mut output = receipt::render(&headline, &accepted, &markets, Some(market.params.id));
    if let Some(why) = why_cancelled(&accepted.receipt, tif, price, args.reduce_only) {
        output.text = super::tx::insert_after_filled(&output.text, &format!("why       {why}"));
        output.json["cancelled_because"] = why.into();
    }
    output.json["order_id"] = nonce.into();
    output.json["market"] = market.params.symbol.clone().into();
    output.json["account"] = serde_json::to_value(account)?;
    output.json["agent"] = serde_json::to_value(agent)?;
    output.json["client_id"] = serde_json::to_value(args.client_id.map(|c| c.to_string()))?;
    output.json["expires_at_ms"] = serde_json::to_value(good_till)?;
    if limit.is_none() {
        output.json["worst_price"] = price.into();
        output.json["slippage_bps"] = args.slippage_bps.unwrap_or(MARKET_SLIPPAGE_BPS).into();
    }
    Ok(output)
}

/// The plain `Order` (or `AgentOrder`), or a `ClientOrder` when a client id or a
/// good-till-time is given (PROTOCOL.md Part 4 §20): its `expiresAt` then applies while
/// it rests, so without `--expires-in` it is "until cancelled".
fn order_action(
    order: Order,
    agent: Option<Address>,
    client_id: Option<u128>,
    good_till: Option<u64>,
) -> Action {
    if client_id.is_none() && good_till.is_none() {
        return match agent {
            Some(agent) => Action::AgentOrder(AgentOrder::new(agent, order)),
            None => Action::Order(order),
        };
    }
    let signer = agent.unwrap_or(order.account);
    let resting = Order {
        expires_at: good_till.unwrap_or(NO_EXPIRY),
        ..order
    };
    Action::ClientOrder(ClientOrder::new(signer, resting, client_id.unwrap_or(0)))
}

/// ", reduce-only, client id 7, good till 2026-12-06 16:00:00 UTC" (the terms given).
fn terms_words(reduce_only: bool, client_id: Option<u128>, good_till: Option<u64>) -> String {
    let mut words = String::new();
    if reduce_only {
        words.push_str(", reduce-only");
    }
    if let Some(id) = client_id {
        words.push_str(&format!(", client id {id}"));
    }
    if let Some(at) = good_till {
        words.push_str(&format!(", good till {} UTC", format_utc(at)));
    }
    words
}

fn chosen_tif(args: &OrderArgs) -> TimeInForce {
    if args.ioc {
        TimeInForce::Ioc
    } else if args.fok {
        TimeInForce::Fok
    } else if args.post_only {
        TimeInForce::PostOnly
    } else {
        TimeInForce::Gtc
    }
}

pub async fn cancel(cli: &Cli, args: &CancelArgs) -> anyhow::Result<Output> {
    let endpoints = Endpoints::resolve(cli)?;
    let key = signer(cli, &args.signer.name)?;
    let (account, agent) = acting_for(key.address, &args.agent_for);
    let seq = endpoints.sequencer();
    let markets = markets(&seq).await?;
    let order_id = match (args.order_id, args.client_id) {
        (Some(id), _) => id,
        (None, Some(client_id)) => {
            let action = Action::CancelByClientId(CancelByClientId {
                signer: agent.unwrap_or(account),
                account,
                client_id,
                nonce: fresh_nonce(),
                expires_at: expires_in(CANCEL_EXPIRY_SECS),
            });
            let accepted = endpoints.sign_and_submit(&key, action).await?;
            let headline = format!("cancelled the order with client id {client_id} of {account}")
                + &as_agent_words(account, agent);
            let mut output = receipt::render(&headline, &accepted, &markets, None);
            output.json["client_id"] = client_id.to_string().into();
            return Ok(output);
        }
        (None, None) => {
            return Err(UsageError("give the order's id or --client-id N".into()).into());
        }
    };
    let waiting = waiting_orders(&seq, &account).await?;
    let (order_id, market_id) = match (&args.market, table_resolve(order_id, &waiting)?) {
        (Some(text), found) => (
            found.map_or(order_id, |(id, _)| id),
            find(&markets, text)?.params.id,
        ),
        (None, Some(found)) => found,
        (None, None) => {
            return Err(UsageError(format!(
                "{account} has no open order {order_id} and no trigger order with that id (`vigil orders --account {account}` lists them; give --market to cancel anyway)"
            ))
            .into());
        }
    };
    let cancel = Cancel {
        account,
        market: market_id,
        order_nonce: order_id,
        nonce: fresh_nonce(),
        expires_at: expires_in(CANCEL_EXPIRY_SECS),
    };
    let action = match agent {
        Some(agent) => Action::AgentCancel(AgentCancel {
            agent,
            account,
            market: cancel.market,
            order_nonce: cancel.order_nonce,
            nonce: cancel.nonce,
            expires_at: cancel.expires_at,
        }),
        None => Action::Cancel(cancel),
    };
    let accepted = endpoints.sign_and_submit(&key, action).await?;
    let headline = format!("cancelled order {} of {account}", table::order_id(order_id))
        + &as_agent_words(account, agent);
    let mut output = receipt::render(&headline, &accepted, &markets, None);
    output.json["order_id"] = order_id.into();
    Ok(output)
}

/// `account`'s open orders and waiting trigger orders as (id, market) (a `Cancel` names
/// either, PROTOCOL.md Part 4 §21).
async fn waiting_orders(
    seq: &crate::sequencer::SequencerClient,
    account: &Address,
) -> anyhow::Result<Vec<(u64, u32)>> {
    let view = seq.account(account).await?;
    let mut ids: Vec<(u64, u32)> = view
        .open_orders
        .iter()
        .map(|o| (o.nonce, o.market))
        .collect();
    let triggers = seq.triggers(account).await?;
    ids.extend(triggers.triggers.iter().map(|t| (t.nonce, t.market)));
    Ok(ids)
}

/// The (id, market) a typed id names among `waiting`: the full id, or the short id
/// printed (`table::order_id`); several with the same short id is a usage error listing them.
fn table_resolve(typed: u64, waiting: &[(u64, u32)]) -> Result<Option<(u64, u32)>, UsageError> {
    let ids: Vec<u64> = waiting.iter().map(|(id, _)| *id).collect();
    match table::resolve_order_id(typed, &ids) {
        Ok(found) => Ok(found.and_then(|id| waiting.iter().copied().find(|(i, _)| *i == id))),
        Err(several) => Err(UsageError(format!(
            "several of your orders end in {typed}: {}; give the full id (`vigil orders` with --json shows them)",
            several
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

pub async fn cancel_all(cli: &Cli, args: &CancelAllArgs) -> anyhow::Result<Output> {
    let endpoints = Endpoints::resolve(cli)?;
    let key = signer(cli, &args.signer.name)?;
    let (account, agent) = acting_for(key.address, &args.agent_for);
    let seq = endpoints.sequencer();
    let markets = markets(&seq).await?;
    let (nonce, expires_at) = (fresh_nonce(), expires_in(CANCEL_EXPIRY_SECS));
    let action = match agent {
        Some(agent) => Action::AgentCancelAll(AgentCancelAll {
            agent,
            account,
            nonce,
            expires_at,
        }),
        None => Action::CancelAll(CancelAll {
            account,
            nonce,
            expires_at,
        }),
    };
    let accepted = endpoints.sign_and_submit(&key, action).await?;
    let count = accepted.receipt.cancelled.len();
    // CancelAll removes the trigger orders too, a position's TP/SL included (PROTOCOL.md
    // Part 4 §24); say so, so nobody believes a stop-loss still guards the position.
    let triggers = accepted.receipt.triggered.len();
    let mut headline =
        format!("cancelled {count} open orders and {triggers} trigger orders of {account}")
            + &as_agent_words(account, agent);
    if triggers > 0 {
        headline +=
            "; a position's TP/SL was among them if it had one: set it again with `vigil tpsl`";
    }
    Ok(receipt::render(&headline, &accepted, &markets, None))
}

/// A market order's default worst price: 5% from the mark (`--slippage-bps`), so a thin
/// book cannot fill it anywhere in the whole price band.
const MARKET_SLIPPAGE_BPS: u32 = 500;

/// Why an order's remainder was cancelled, when some was: the taker's own outcome says
/// how much, not why, so it is read off the order's terms.
pub(super) fn why_cancelled(
    receipt: &protocol::engine::Receipt,
    tif: TimeInForce,
    price: u64,
    reduce_only: bool,
) -> Option<String> {
    let outcome = receipt.order.as_ref()?;
    if outcome.cancelled == 0 {
        return None;
    }
    let limit = format_price(u128::from(price));
    let reason = match tif {
        TimeInForce::Ioc | TimeInForce::Fok if outcome.filled == 0 => format!(
            "nothing rested on the other side at {limit} or better, so nothing filled and the order was dropped (immediate-or-cancel)"
        ),
        TimeInForce::Ioc | TimeInForce::Fok => format!(
            "the book had no more at {limit} or better; the unfilled rest was dropped (immediate-or-cancel)"
        ),
        _ if reduce_only => {
            "reduce-only: the part beyond the position (or still crossing your own orders) was dropped".to_string()
        }
        _ => "the rest would have traded with your own resting orders (self-trade prevention) and was dropped".to_string(),
    };
    Some(reason)
}
