//! Read-only views for the sequencer's API and liquidation keeper: an account's margin,
//! positions and open orders; which of its markets a `Liquidate` would succeed on; the
//! book's aggregated depth; an account's agents. They compute exactly what the STF would (same functions).
//!
//! Walking keys in order uses only `first_with_prefix`: inside a snapshot, each visited
//! key is deleted so the next call finds its successor, and the snapshot is restored at
//! the end. Views therefore leave the state unchanged (O(visited) work; a `next_after`
//! state method would make this cheaper, but none is needed for correctness).

use super::book::side_of;
use super::breaker;
use super::keys::{SIDE_BID, account_agents_prefix, account_orders_prefix, parse_book_key};
use super::leverage::{leverage_of, max_leverage, rate_of};
use super::margin::{
    AccountRisk, InitialRate, account_risk, isolated_risk, order_margin, position_risk,
};
use super::math::Overflow;
use super::orders::is_stale;
use super::records::{Account, AgentApproval, BookOrder, MarketState, Meta, Withdrawal};
use super::storage::{decode_at, load_account, load_market, load_meta, load_position, read};
use super::{BlockContext, Halt};
use crate::genesis::{Genesis, MarketParams};
use crate::primitives::{Address, H256};
use crate::state::{Key, State, StateError};
use serde::{Deserialize, Serialize};

/// Why a view could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error("an amount is out of the representable range")]
    Overflow,
}

/// Views share the STF's risk code, whose only non-storage failure is overflow.
fn from_halt(h: Halt) -> ViewError {
    match h {
        Halt::State(e) => ViewError::State(e),
        Halt::Reject(_) | Halt::RejectWith(..) => ViewError::Overflow,
    }
}

impl From<Overflow> for ViewError {
    fn from(_: Overflow) -> Self {
        ViewError::Overflow
    }
}

/// A market's trading mode (docs/PROTOCOL.md Part 4 §7.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarketMode {
    #[default]
    Open,
    /// The circuit breaker is tripped: only orders that cannot increase a position.
    ReduceOnly,
}

/// The circuit breaker's state at the view's time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerView {
    pub state: MarketMode,
    /// `price_move` or `stale_price`; absent when open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When it tripped (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since_ms: Option<u64>,
    /// The earliest oracle timestamp of a price that can resume it (the price must also be
    /// within the move bound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumes_at_ms: Option<u64>,
    /// The words an order rejected by it gets (`market_halted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The breaker of `market` as the STF would see it at `ctx`'s time.
pub fn breaker_view(
    genesis: &Genesis,
    params: &MarketParams,
    ms: &MarketState,
    ctx: &BlockContext,
) -> BreakerView {
    match breaker::tripped(genesis, params, ms, ctx.timestamp_ms) {
        None => BreakerView::default(),
        Some(t) => BreakerView {
            state: MarketMode::ReduceOnly,
            reason: Some(breaker::reason_code(t.reason).to_string()),
            since_ms: Some(t.since_ms),
            resumes_at_ms: Some(t.resumes_at_ms),
            detail: Some(breaker::detail(params, &t)),
        },
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionView {
    pub market: u32,
    /// Signed size in size units.
    pub size: i128,
    /// Average entry price (|cost| / |size|, rounded down).
    pub entry_price: u128,
    pub mark_price: u64,
    pub price_stale: bool,
    pub unrealized_pnl: i128,
    /// Unsettled funding: positive if the position is owed, negative if it owes.
    pub funding: i128,
    pub initial_margin: i128,
    pub maintenance_margin: i128,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenOrderView {
    pub market: u32,
    pub nonce: u64,
    pub is_buy: bool,
    pub price: u64,
    pub remaining: u64,
    pub reduce_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub address: Address,
    pub collateral: i128,
    pub equity: i128,
    pub initial_margin: i128,
    pub maintenance_margin: i128,
    /// The initial margin with what the open orders reserve: a new resting order is
    /// accepted while equity stays at or above it, and a withdrawal may take equity down
    /// to it (docs/PROTOCOL.md Part 4 §8).
    pub order_margin: i128,
    /// Markets where a `Liquidate` would succeed now (empty: not liquidatable).
    pub liquidatable_markets: Vec<u32>,
    pub positions: Vec<PositionView>,
    pub open_orders: Vec<OpenOrderView>,
    /// The dead-man's switch: the batch timestamp (ms) from which the first transaction
    /// cancels every open order (`ScheduleCancel`); absent when none is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_man_at_ms: Option<u64>,
    /// The account's leverage in every genesis market (`SetLeverage`, docs/PROTOCOL.md
    /// Part 4 §22), in genesis order.
    #[serde(default)]
    pub leverage: Vec<LeverageView>,
    /// The account's margin mode in every genesis market (`SetMarginMode`, docs/PROTOCOL.md
    /// Part 4 §26), in genesis order. `collateral`, `equity` and the margins above are the
    /// cross account's: isolated positions and their margin are not in them.
    #[serde(default)]
    pub margin_modes: Vec<MarginModeView>,
}

/// Cross or isolated margin in one market.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarginMode {
    #[default]
    Cross,
    Isolated,
}

/// An account's margin mode in one market and, when isolated, its position's own figures
/// (micro-USDC; all 0 in cross mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarginModeView {
    pub market: u32,
    pub mode: MarginMode,
    /// The isolated margin: what backs the position alone.
    pub isolated_margin: i128,
    /// `isolated_margin + unrealized PnL + unsettled funding` at the mark.
    pub isolated_equity: i128,
    /// The position's maintenance margin: liquidated when the equity is below it.
    pub isolated_maintenance_margin: i128,
}

/// `address`'s margin mode in every genesis market.
pub fn margin_mode_views<S: State>(
    st: &mut S,
    genesis: &Genesis,
    address: &Address,
) -> Result<Vec<MarginModeView>, ViewError> {
    let mut out = Vec::with_capacity(genesis.markets.len());
    for params in &genesis.markets {
        let pos = load_position(st, address, params.id)?;
        let mut view = MarginModeView {
            market: params.id,
            mode: MarginMode::Cross,
            isolated_margin: 0,
            isolated_equity: 0,
            isolated_maintenance_margin: 0,
        };
        if let Some(margin) = pos.isolated {
            let ms = load_market(st, params.id)?;
            let r = isolated_risk(
                st,
                genesis,
                address,
                (params.id, &pos, &ms),
                InitialRate::Market,
            )
            .map_err(from_halt)?;
            view = MarginModeView {
                mode: MarginMode::Isolated,
                isolated_margin: margin,
                isolated_equity: r.equity,
                isolated_maintenance_margin: r.maintenance,
                ..view
            };
        }
        out.push(view);
    }
    Ok(out)
}

/// An account's leverage in one market: the setting (the market's maximum unless it set a
/// lower one) and the initial-margin rate new risk there is held to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeverageView {
    pub market: u32,
    pub leverage: u32,
    pub max_leverage: u32,
    /// `max(initial_margin_bps, ⌈10000 / leverage⌉)`.
    pub initial_margin_bps: u32,
}

/// `address`'s leverage in every genesis market.
pub fn leverage_views<S: State>(
    st: &mut S,
    genesis: &Genesis,
    address: &Address,
) -> Result<Vec<LeverageView>, StateError> {
    genesis
        .markets
        .iter()
        .map(|params| {
            let leverage = leverage_of(st, params, address)?;
            Ok(LeverageView {
                market: params.id,
                leverage,
                max_leverage: max_leverage(params),
                initial_margin_bps: rate_of(params, leverage),
            })
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookLevel {
    pub price: u64,
    pub size: u128,
    pub orders: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookDepth {
    pub market: u32,
    /// Best (highest) first.
    pub bids: Vec<BookLevel>,
    /// Best (lowest) first.
    pub asks: Vec<BookLevel>,
}

/// Visits the leaves under `prefix` in key order until `visit` returns `false`.
pub fn walk_prefix<S: State>(
    st: &mut S,
    prefix: &[u8],
    mut visit: impl FnMut(&mut S, &Key, &[u8]) -> Result<bool, StateError>,
) -> Result<(), StateError> {
    // The walk deletes what it visited to find the next leaf, then undoes the deletes.
    let mark = st.begin();
    let result = (|| {
        while let Some((key, value)) = st.first_with_prefix(prefix)? {
            if !visit(st, &key, &value)? {
                break;
            }
            st.delete(&key)?;
        }
        Ok(())
    })();
    st.rollback(mark)?;
    result
}

/// The account's risk exactly as the STF computes it.
pub fn account_risk_view<S: State>(
    st: &mut S,
    genesis: &Genesis,
    address: &Address,
) -> Result<AccountRisk, ViewError> {
    loaded_risk(st, genesis, address).map(|(_, risk)| risk)
}

/// The account's leaf and its risk as the STF computes it (market initial rates, no
/// pending order): what every view of an account's margin starts from.
fn loaded_risk<S: State>(
    st: &mut S,
    genesis: &Genesis,
    address: &Address,
) -> Result<(Account, AccountRisk), ViewError> {
    let acct = load_account(st, address)?;
    let risk = account_risk(
        st,
        genesis,
        address,
        (acct.collateral, &acct.markets),
        None,
        InitialRate::Market,
    )
    .map_err(from_halt)?;
    Ok((acct, risk))
}

/// The markets where `Liquidate{account: address, market}` would succeed at `ctx`.
pub fn liquidatable_markets<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    address: &Address,
) -> Result<Vec<u32>, ViewError> {
    if *address == super::INSURANCE_FUND {
        return Ok(vec![]);
    }
    let (acct, risk) = loaded_risk(st, genesis, address)?;
    let cross_below = risk.equity < risk.maintenance;
    let mut markets = Vec::new();
    for &m in &acct.markets {
        let pos = load_position(st, address, m)?;
        // An isolated position is liquidated on its own margin (Part 4 §26).
        let liquidatable = if pos.isolated.is_some() {
            let ms = load_market(st, m)?;
            let r = isolated_risk(st, genesis, address, (m, &pos, &ms), InitialRate::Market)
                .map_err(from_halt)?;
            pos.size != 0
                && r.equity < r.maintenance
                && !is_stale(genesis, ctx, ms.price_timestamp_ms)
        } else if !cross_below {
            false
        } else if super::option_risk::is_series(m) {
            // A short option series is closed by `Liquidate` on the series (Part 8 §15).
            super::option_liquidation::is_liquidatable_short(st, genesis, ctx, address, m)
                .map_err(from_halt)?
        } else {
            pos.size != 0 && !is_stale(genesis, ctx, load_market(st, m)?.price_timestamp_ms)
        };
        if liquidatable {
            markets.push(m);
        }
    }
    Ok(markets)
}

/// Whether some `Liquidate` of `address` would succeed at `ctx`.
pub fn is_liquidatable<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    address: &Address,
) -> Result<bool, ViewError> {
    Ok(!liquidatable_markets(st, genesis, ctx, address)?.is_empty())
}

pub fn account_view<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    address: &Address,
) -> Result<AccountView, ViewError> {
    let (acct, risk) = loaded_risk(st, genesis, address)?;
    let with_orders = order_margin(st, genesis, address, acct.collateral, &acct.markets, None)
        .map_err(from_halt)?;
    let mut positions = Vec::new();
    for &market in &acct.markets {
        let pos = load_position(st, address, market)?;
        let (Some(params), true) = (genesis.market(market), pos.size != 0) else {
            continue;
        };
        let ms = load_market(st, market)?;
        let r = position_risk(params, &ms, &pos)?;
        positions.push(PositionView {
            market,
            size: pos.size,
            entry_price: pos.cost.unsigned_abs() / pos.size.unsigned_abs(),
            mark_price: ms.mark_price,
            price_stale: is_stale(genesis, ctx, ms.price_timestamp_ms),
            unrealized_pnl: r.upnl,
            funding: r.funding,
            initial_margin: r.initial,
            maintenance_margin: r.maintenance,
        });
    }
    let mut open_orders = Vec::new();
    walk_prefix(
        st,
        &account_orders_prefix(address),
        |st, index_key, value| {
            let target: [u8; 32] = value.try_into().map_err(|_| StateError::Malformed {
                key: *index_key,
                reason: "order index value is not 32 bytes".into(),
            })?;
            let book_key = H256(target);
            let (Some((market, side, _, _)), Some(o)) = (
                parse_book_key(&book_key),
                read::<S, BookOrder>(st, &book_key)?,
            ) else {
                return Err(StateError::Malformed {
                    key: *index_key,
                    reason: "order index points at no order".into(),
                });
            };
            open_orders.push(OpenOrderView {
                market,
                nonce: o.nonce,
                is_buy: side == SIDE_BID,
                price: o.price,
                remaining: o.remaining,
                reduce_only: o.reduce_only,
            });
            Ok(true)
        },
    )?;
    Ok(AccountView {
        address: *address,
        collateral: acct.collateral,
        equity: risk.equity,
        initial_margin: risk.initial,
        maintenance_margin: risk.maintenance,
        order_margin: with_orders.required,
        liquidatable_markets: liquidatable_markets(st, genesis, ctx, address)?,
        positions,
        open_orders,
        dead_man_at_ms: super::dead_man::scheduled_time(st, address)?,
        leverage: leverage_views(st, genesis, address)?,
        margin_modes: margin_mode_views(st, genesis, address)?,
    })
}

/// The best `levels` price levels of each side of `market`'s book.
pub fn book_depth<S: State>(
    st: &mut S,
    market: u32,
    levels: usize,
) -> Result<BookDepth, StateError> {
    let mut sides: [Vec<BookLevel>; 2] = [Vec::new(), Vec::new()];
    for (out, is_buy) in sides.iter_mut().zip([true, false]) {
        let prefix = super::keys::book_side_prefix(market, side_of(is_buy));
        walk_prefix(st, &prefix, |_, key, value| {
            let o: BookOrder = decode_at(key, value)?;
            if let Some(level) = out.last_mut().filter(|l| l.price == o.price) {
                level.size += u128::from(o.remaining);
                level.orders += 1;
                return Ok(true);
            }
            if out.len() == levels {
                return Ok(false);
            }
            out.push(BookLevel {
                price: o.price,
                size: u128::from(o.remaining),
                orders: 1,
            });
            Ok(true)
        })?;
    }
    let [bids, asks] = sides;
    Ok(BookDepth { market, bids, asks })
}

/// The open order `owner` tagged `client_id`, as `(market, nonce)`: the client-id leaf
/// `owner(20) ‖ market u32 ‖ nonce u64` (docs/PROTOCOL.md Part 4 §20).
pub fn client_order_at<'t>(
    tree: impl Into<crate::tree::TreeAt<'t>>,
    owner: &Address,
    client_id: u128,
) -> Result<Option<(u32, u64)>, StateError> {
    if client_id == 0 {
        return Ok(None);
    }
    let key = super::keys::client_id_key(owner, client_id);
    let Some(bytes) = tree.into().lookup(&key)? else {
        return Ok(None);
    };
    // A leaf of another owner whose hash shares the prefix is not this account's.
    match <[u8; 32]>::try_from(bytes) {
        Ok(b) if b[..20] == owner.0 => Ok(Some((
            u32::from_be_bytes(b[20..24].try_into().expect("4 bytes")),
            u64::from_be_bytes(b[24..32].try_into().expect("8 bytes")),
        ))),
        Ok(_) => Ok(None),
        Err(_) => Err(StateError::Malformed {
            key,
            reason: "a client-id leaf is not 32 bytes".into(),
        }),
    }
}

/// The resting order `(owner, market, nonce)`: whether it buys, and its limit price
/// (`None`: not on the book).
pub fn resting_order<S: State>(
    st: &mut S,
    owner: &Address,
    market: u32,
    nonce: u64,
) -> Result<Option<(bool, u64)>, StateError> {
    let Some((key, order)) = super::book::find_order(st, owner, market, nonce)? else {
        return Ok(None);
    };
    let side = super::book::side_of_key(&key)?;
    Ok(Some((side == SIDE_BID, order.price)))
}

/// The trigger-book entry `(owner, market, nonce)` leg `leg` (`records::LEG_ORDER`: a
/// `TriggerOrder`) as it waits for the mark, with the terms it was set with (`None`: not
/// waiting). What a fired trigger order's placement shows, read from the state before the
/// transaction that fires it.
pub fn trigger_order<S: State>(
    st: &mut S,
    owner: &Address,
    market: u32,
    nonce: u64,
    leg: u8,
) -> Result<Option<super::records::TriggerRecord>, StateError> {
    let index = super::keys::trigger_index_key(owner, market, nonce, leg);
    let Some(target) = st.get(&index)? else {
        return Ok(None);
    };
    let Ok(target) = <[u8; 32]>::try_from(target.as_slice()) else {
        return Ok(None);
    };
    let found: Option<super::records::TriggerRecord> = read(st, &H256(target))?;
    // A leaf of another owner whose hash shares the prefix is not this account's.
    Ok(found.filter(|r| r.owner == *owner && r.nonce == nonce && r.leg == leg))
}

pub fn market_state<S: State>(st: &mut S, market: u32) -> Result<MarketState, StateError> {
    load_market(st, market)
}

pub fn meta<S: State>(st: &mut S) -> Result<Meta, StateError> {
    load_meta(st)
}

pub fn withdrawal<S: State>(st: &mut S, id: u64) -> Result<Option<Withdrawal>, StateError> {
    read(st, &super::keys::withdrawal_key(id))
}

/// One trigger order waiting for the mark, as `GET /v1/accounts/{a}/triggers` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerView {
    pub market: u32,
    /// Its id with the account: `Cancel` with this `orderNonce` removes it (a TP/SL: both legs).
    pub nonce: u64,
    /// `order` (a `TriggerOrder`), or a TP/SL leg: `take_profit` / `stop_loss`.
    pub leg: String,
    pub is_buy: bool,
    /// 0 STOP_MARKET, 1 STOP_LIMIT, 2 TAKE_PROFIT_MARKET, 3 TAKE_PROFIT_LIMIT.
    pub kind: crate::action::TriggerKind,
    pub trigger_price: u64,
    /// The limit price (0 for the market kinds).
    pub price: u64,
    /// 0 for a TP/SL leg: the whole position when it fires.
    pub size: u64,
    pub reduce_only: bool,
}

/// An account's trigger orders and TP/SL legs, in index order (market, nonce, leg).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggersView {
    pub account: Address,
    pub triggers: Vec<TriggerView>,
}

/// Every trigger order of `owner` (docs/PROTOCOL.md Part 4 §21).
pub fn triggers_view<S: State>(st: &mut S, owner: &Address) -> Result<TriggersView, StateError> {
    let mut index = Vec::new();
    walk_prefix(
        st,
        &super::keys::account_triggers_prefix(owner),
        |_, key, bytes| {
            index.push((*key, bytes.to_vec()));
            Ok(true)
        },
    )?;
    let mut triggers = Vec::new();
    for (key, target) in index {
        let Ok(target) = <[u8; 32]>::try_from(target.as_slice()) else {
            continue;
        };
        let market = u32::from_be_bytes(key.0[19..23].try_into().expect("4 bytes"));
        let found: Option<super::records::TriggerRecord> = read(st, &H256(target))?;
        // A leaf of another owner whose hash shares the prefix is not this account's.
        if let Some(r) = found.filter(|r| r.owner == *owner) {
            let leg = match r.leg {
                super::records::LEG_TAKE_PROFIT => "take_profit",
                super::records::LEG_STOP_LOSS => "stop_loss",
                _ => "order",
            };
            triggers.push(TriggerView {
                market,
                nonce: r.nonce,
                leg: leg.into(),
                is_buy: r.is_buy,
                kind: r.kind,
                trigger_price: r.trigger_price,
                price: r.price,
                size: r.size,
                reduce_only: r.reduce_only,
            });
        }
    }
    Ok(TriggersView {
        account: *owner,
        triggers,
    })
}

/// One agent an account approved, as `GET /v1/accounts/{a}/agents` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentView {
    pub agent: Address,
    pub name: String,
    /// Last millisecond the agent may act; 0 = until revoked.
    pub valid_until: u64,
    /// Whether it may act at the view's time (`valid_until` not passed).
    pub active: bool,
}

/// An account's agents, in key order (by agent address). Expired approvals are listed
/// (inactive) until the account revokes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentsView {
    pub account: Address,
    pub agents: Vec<AgentView>,
}

/// Every agent `owner` approved, as of `ctx`.
pub fn agents_view<S: State>(
    st: &mut S,
    ctx: &BlockContext,
    owner: &Address,
) -> Result<AgentsView, StateError> {
    let mut agents = Vec::new();
    walk_prefix(st, &account_agents_prefix(owner), |_, key, bytes| {
        let a: AgentApproval = decode_at(key, bytes)?;
        // A leaf of another owner whose hash shares the prefix is not this account's.
        if a.owner == *owner {
            agents.push(AgentView {
                active: a.is_valid_at(ctx.timestamp_ms),
                agent: a.agent,
                name: a.name,
                valid_until: a.valid_until,
            });
        }
        Ok(true)
    })?;
    Ok(AgentsView {
        account: *owner,
        agents,
    })
}
