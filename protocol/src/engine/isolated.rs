//! Isolated margin per account and market (issue #16, docs/PROTOCOL.md Part 4 §26).
//!
//! The mode and the isolated margin live in the position leaf itself (`Position::isolated`,
//! a tail only isolated leaves carry): every risk walk already reads that leaf, so no
//! check reads a key more than it did, and a cross position keeps its bytes. Its rules:
//!
//! - An isolated position's equity is its margin plus its unrealized PnL and unsettled
//!   funding at the mark; it is checked (initial, maintenance, liquidation) on its own.
//!   The cross account's equity and margin leave isolated positions and their margin out.
//! - Everything a fill, funding, a fee or a liquidation settles for the position settles
//!   into its margin ([`credit`]), never into the cross collateral.
//! - An order that adds risk first draws from cross collateral what its worst case needs
//!   ([`draw_for_order`]); after it, the part of that draw the position does not need is
//!   handed back ([`return_excess`]). A flat position hands all of its margin back
//!   ([`return_flat_margin`], in `storage::store_position`).
//! - Its liquidation runs the perps' three stages on the position and its margin alone:
//!   a loss beyond the margin goes to the insurance fund and ADL, never to the cross account.
//!
//! `meta.total_collateral` counts the cross collateral and the isolated margins together,
//! so moving money between them never changes it.

use super::keys::{account_triggers_prefix, parse_trigger_index_key};
use super::margin::{isolated_order_margin, order_margin};
use super::matching::Taker;
use super::math::{Overflow, add, fee, sub};
use super::orders::is_stale;
use super::receipt::{Receipt, Status};
use super::records::{Account, LEG_ORDER, MarketState, Position};
use super::storage::{load_account, load_market, load_position, store_account, store_position};
use super::triggers::waiting_count;
use super::{BlockContext, Halt, reject, reject_with};
use crate::action::{IsolatedMargin, Order, SetMarginMode};
use crate::genesis::{Genesis, MarketParams};
use crate::primitives::Address;
use crate::state::State;
use crate::units::format_usdc_signed;

/// The balance a position's money settles into: its isolated margin, or the account's
/// collateral in cross mode.
pub fn balance_mut<'a>(acct: &'a mut Account, pos: &'a mut Position) -> &'a mut i128 {
    match pos.isolated.as_mut() {
        Some(margin) => margin,
        None => &mut acct.collateral,
    }
}

/// The value of [`balance_mut`].
pub fn balance(acct: &Account, pos: &Position) -> i128 {
    pos.isolated.unwrap_or(acct.collateral)
}

/// Credits `amount` (negative: debits) to the position's balance.
pub fn credit(acct: &mut Account, pos: &mut Position, amount: i128) -> Result<(), Overflow> {
    let b = balance_mut(acct, pos);
    *b = add(*b, amount)?;
    Ok(())
}

/// A flat isolated position (no size, no resting order) with a positive margin: the copy
/// to store with margin 0, its margin added to the cross collateral. A negative margin
/// (bad debt ADL could not close) is never charged to the cross account: it stays.
pub fn return_flat_margin(
    acct: &mut Account,
    pos: &Position,
) -> Result<Option<Position>, &'static str> {
    match pos.isolated {
        Some(margin) if margin > 0 && pos.is_flat() => {
            acct.collateral = acct
                .collateral
                .checked_add(margin)
                .ok_or("returning an isolated margin overflows the collateral")?;
            Ok(Some(Position {
                isolated: Some(0),
                ..pos.clone()
            }))
        }
        _ => Ok(None),
    }
}

/// What the cross account can give an isolated position: its collateral, at most its
/// equity above the order margin of §8 over its cross markets, never below 0.
pub fn cross_spare<S: State>(st: &mut S, genesis: &Genesis, acct: &Account) -> Result<i128, Halt> {
    let m = order_margin(
        st,
        genesis,
        &acct.owner,
        acct.collateral,
        &acct.markets,
        None,
    )?;
    Ok(acct.collateral.min(sub(m.equity, m.required)?).max(0))
}

/// Before an isolated taker's order that is not reduce-only is matched: the position's
/// requirement with the order resting in full at its own price (the worst case of §8 at
/// the account's leverage) plus the taker fee on all of it, less the position's equity,
/// is moved from cross collateral into the margin. Returns the amount drawn.
pub fn draw_for_order<S: State>(
    st: &mut S,
    genesis: &Genesis,
    (params, ms): (&MarketParams, &MarketState),
    o: &Order,
    taker: &mut Taker,
) -> Result<i128, Halt> {
    let mut worst = taker.pos.clone();
    let side = if o.is_buy {
        &mut worst.bids
    } else {
        &mut worst.asks
    };
    side.size = side.size.checked_add(o.size).ok_or(Overflow)?;
    side.notional = side
        .notional
        .checked_add(u128::from(o.size) * u128::from(o.price))
        .ok_or(Overflow)?;
    let m = isolated_order_margin(st, genesis, &o.account, (o.market, &worst, ms))?;
    let taker_fee = fee(o.price, o.size, params.taker_fee_bps, params.size_decimals)?;
    let draw = sub(add(m.required, taker_fee)?, m.equity)?.max(0);
    if draw == 0 {
        return Ok(0);
    }
    let spare = cross_spare(st, genesis, &taker.acct)?;
    if draw > spare {
        return reject_with(
            Status::CrossMarginShort,
            format!(
                "the isolated {} position needs {} USDC more margin for this order (its requirement with the order and the taker fee, less its equity); the cross account can spare {} USDC; a deposit or a smaller order fits",
                params.symbol,
                format_usdc_signed(draw),
                format_usdc_signed(spare)
            ),
        );
    }
    taker.acct.collateral = sub(taker.acct.collateral, draw)?;
    credit(&mut taker.acct, &mut taker.pos, draw)?;
    Ok(draw)
}

/// After the order: of what [`draw_for_order`] drew, the part the position's equity holds
/// above its requirement (with what rests) goes back to cross collateral.
pub fn return_excess<S: State>(
    st: &mut S,
    genesis: &Genesis,
    (market, ms): (u32, &MarketState),
    drawn: i128,
    taker: &mut Taker,
) -> Result<(), Halt> {
    if drawn <= 0 {
        return Ok(());
    }
    let owner = taker.acct.owner;
    let m = isolated_order_margin(st, genesis, &owner, (market, &taker.pos, ms))?;
    let margin = balance(&taker.acct, &taker.pos);
    let back = drawn.min(sub(m.equity, m.required)?).min(margin).max(0);
    credit(&mut taker.acct, &mut taker.pos, sub(0, back)?)?;
    taker.acct.collateral = add(taker.acct.collateral, back)?;
    Ok(())
}

/// The perp market a margin-mode action names, or its rejection.
fn perp_market(genesis: &Genesis, market: u32) -> Result<&MarketParams, Halt> {
    match genesis.market(market) {
        Some(params) => Ok(params),
        None => reject_with(
            Status::UnknownMarket,
            format!(
                "market {market} (isolated margin is for perp markets); `vigil markets` lists them"
            ),
        ),
    }
}

/// `SetMarginMode` (after the common checks): only while the account is flat in the
/// market and has no trigger order there; isolated creates the position leaf with margin
/// 0, cross deletes it.
pub(super) fn set_mode<S: State>(
    st: &mut S,
    genesis: &Genesis,
    m: &SetMarginMode,
) -> Result<Receipt, Halt> {
    let params = perp_market(genesis, m.market)?;
    let mut acct = load_account(st, &m.account)?;
    let pos = load_position(st, &m.account, m.market)?;
    if pos.isolated.is_some() == m.isolated {
        return Ok(Receipt::ok());
    }
    let mut triggers = account_triggers_prefix(&m.account).to_vec();
    triggers.extend_from_slice(&m.market.to_be_bytes());
    let first_trigger = st.first_with_prefix(&triggers)?;
    if !pos.is_flat() || first_trigger.is_some() {
        let waiting = match &first_trigger {
            Some((key, _)) => Some((waiting_count(st, &m.account)?, key)),
            None => None,
        };
        return reject_with(
            Status::MarginModeBusy,
            busy_detail(m, params, &pos, waiting),
        );
    }
    if pos.isolated.is_some_and(|margin| margin != 0) {
        // Only bad debt ADL could not close stays on a flat isolated leaf.
        return reject_with(
            Status::MarginModeBusy,
            format!(
                "the isolated {} leaf still holds {} USDC of margin",
                params.symbol,
                format_usdc_signed(pos.isolated.unwrap_or(0))
            ),
        );
    }
    if m.isolated && acct.markets.len() >= super::records::MAX_MARKETS {
        return reject(Status::TooManyPositions);
    }
    let next = Position {
        isolated: m.isolated.then_some(0),
        ..Position::default()
    };
    store_position(st, &mut acct, m.market, &next)?;
    store_account(st, &acct)?;
    Ok(Receipt::ok())
}

/// What keeps `m` from changing the mode, and how to clear it: the position's size and
/// resting orders in the market and, when a trigger order waits there, the account's count
/// of them (the `0x1c` leaf counts all markets) and the first one's id here, with the
/// commands that remove them.
fn busy_detail(
    m: &SetMarginMode,
    params: &MarketParams,
    pos: &Position,
    waiting: Option<(u32, &crate::state::Key)>,
) -> String {
    let sym = &params.symbol;
    let triggers = match waiting {
        None => format!("no trigger order in {sym}"),
        Some((count, key)) => {
            let (_, nonce, leg) = parse_trigger_index_key(key);
            let what = if leg == LEG_ORDER {
                format!("trigger order {nonce}")
            } else {
                format!(
                    "a TP/SL leg of {nonce} (`vigil tpsl {sym}` with neither price removes the pair)"
                )
            };
            format!(
                "{count} trigger order(s) waiting in all markets, in {sym} first {what}: `vigil cancel {nonce}` (or `vigil triggers` to list them)"
            )
        }
    };
    format!(
        "{} holds size {} with {} resting order(s) in {sym} and {triggers}; close the position and cancel its orders (`vigil cancel-all` cancels every order and trigger order), then set the mode",
        m.account, pos.size, pos.open_orders
    )
}

/// `IsolatedMargin` (after the common checks): moves `amount` between the cross collateral
/// and the margin of an isolated position that has size.
pub(super) fn move_margin<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    m: &IsolatedMargin,
) -> Result<Receipt, Halt> {
    let params = perp_market(genesis, m.market)?;
    if m.amount == 0 {
        return reject(Status::ZeroAmount);
    }
    let mut acct = load_account(st, &m.account)?;
    let mut pos = load_position(st, &m.account, m.market)?;
    let Some(margin) = pos.isolated else {
        return reject(Status::NotIsolated);
    };
    if pos.size == 0 {
        return reject_with(
            Status::NoPosition,
            format!(
                "{} has no {} position: margin is added to an open isolated position (an order draws what it needs)",
                m.account, params.symbol
            ),
        );
    }
    let amount = i128::from(m.amount);
    if m.is_add {
        add_margin(st, genesis, params, (&mut acct, &mut pos), amount)?;
    } else {
        remove_margin(
            st,
            genesis,
            ctx,
            (&m.account, params),
            &pos,
            (margin, amount),
        )?;
        pos.isolated = Some(sub(margin, amount)?);
        acct.collateral = add(acct.collateral, amount)?;
    }
    store_position(st, &mut acct, m.market, &pos)?;
    store_account(st, &acct)?;
    Ok(Receipt::ok())
}

/// Adds `amount` from the cross collateral, as far as the cross account can spare it.
fn add_margin<S: State>(
    st: &mut S,
    genesis: &Genesis,
    params: &MarketParams,
    (acct, pos): (&mut Account, &mut Position),
    amount: i128,
) -> Result<(), Halt> {
    let spare = cross_spare(st, genesis, acct)?;
    if amount > spare {
        return reject_with(
            Status::CrossMarginShort,
            format!(
                "adding {} USDC to the isolated {} position; the cross account can spare {} USDC (collateral, at most equity above the initial margin of its cross positions and orders)",
                format_usdc_signed(amount),
                params.symbol,
                format_usdc_signed(spare)
            ),
        );
    }
    acct.collateral = sub(acct.collateral, amount)?;
    Ok(credit(acct, pos, amount)?)
}

/// Checks that removing `amount` of `margin` leaves the position at or above its
/// requirement with its resting orders (at the account's leverage), at a fresh price.
fn remove_margin<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    (owner, params): (&Address, &MarketParams),
    pos: &Position,
    (margin, amount): (i128, i128),
) -> Result<(), Halt> {
    let ms = load_market(st, params.id)?;
    if is_stale(genesis, ctx, ms.price_timestamp_ms) {
        return reject(Status::StalePrice);
    }
    let after = Position {
        isolated: Some(sub(margin, amount)?),
        ..pos.clone()
    };
    // The requirement with resting orders is never below the position's initial margin.
    let m = isolated_order_margin(st, genesis, owner, (params.id, &after, &ms))?;
    if margin >= amount && m.equity >= m.required {
        return Ok(());
    }
    let most = margin.min(sub(add(m.equity, amount)?, m.required)?).max(0);
    reject_with(
        Status::IsolatedMarginShort,
        format!(
            "removing {} USDC from the isolated {} position: margin {} USDC, equity after {} USDC against {} USDC required (initial margin with resting orders); at most {} USDC can be removed",
            format_usdc_signed(amount),
            params.symbol,
            format_usdc_signed(margin),
            format_usdc_signed(m.equity),
            format_usdc_signed(m.required),
            format_usdc_signed(most)
        ),
    )
}
