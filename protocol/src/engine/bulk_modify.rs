//! `BulkModify` (issue #16, docs/PROTOCOL.md Part 4 §27): up to
//! [`MAX_BULK_MODIFY_ITEMS`] of an account's open perp orders changed by one signed
//! action, all or nothing.
//!
//! Each item is `ModifyOrder`'s cancel-replace on the order it names (by client id, or by
//! market and order nonce), with 0 keeping the price or the size: an unchanged price and
//! a size not above the remaining one rewrite the order in place (time priority kept,
//! `client_orders::shrink_in_place`, the one both share); otherwise it leaves the book and
//! is inserted again at the back of its new price level, with the same id, side,
//! reduce-only flag and terms. Unlike `ModifyOrder` an item never matches: the book the
//! action leaves must not cross in any market it touched (`post_only_would_cross`), so its
//! touched-key bound has no fill term.
//!
//! Margin follows `ModifyOrder`'s rule (`margin::Reservation`), applied once at the end
//! instead of per item: an order shrunk in place or a reduce-only one is never checked;
//! one that entered the book is covered by its position's mode alone. So after the items,
//! per market touched: funding accrues and the mark is sampled (as after an order); an
//! isolated position with such an order draws from cross what its requirement with its
//! orders now needs (bounded by what cross can spare); then, only if such an order rests
//! in a cross market, the account's cross order margin (§8) is checked once. An account
//! short on cross margin can thus still move its isolated orders. Any rejection, of any
//! item or of the end checks, undoes the whole action; its detail names the item.

use super::book::{
    best_price, claim_slot, find_order, insert_order, release_order, remove_order, side_of_key,
};
use super::client_orders::{live_order, shrink_in_place};
use super::funding::accrue;
use super::isolated::{credit, cross_spare};
use super::keys::{SIDE_ASK, SIDE_BID, book_key};
use super::margin::{Reservation, isolated_order_margin, order_margin};
use super::math::{Overflow, sub};
use super::option_risk::is_series;
use super::orders::admit_perp;
use super::receipt::{ModifiedOrder, Receipt, Status};
use super::records::BookOrder;
use super::storage::{
    load_account, load_market, load_position, store_account, store_market, store_position,
};
use super::{BlockContext, Halt, mark, reject_with};
use crate::action::{BulkModify, MAX_BULK_MODIFY_ITEMS, ModifyItem, Order, TimeInForce};
use crate::genesis::Genesis;
use crate::primitives::Address;
use crate::state::{Key, State, StateError};
use crate::units::{format_price, format_usdc_signed};
use std::collections::BTreeMap;

/// `BulkModify` (after the common checks).
pub(super) fn apply<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    b: &BulkModify,
) -> Result<Receipt, Halt> {
    let n = b.items.0.len();
    if n == 0 || n > MAX_BULK_MODIFY_ITEMS {
        return reject_with(
            Status::BulkModifyItemCount,
            format!("{n} items; send 1 to {MAX_BULK_MODIFY_ITEMS} per BulkModify"),
        );
    }
    let mut receipt = Receipt::ok();
    // Per market touched: the margin its orders that entered the book need (`None` when
    // every item there shrank in place or moved a reduce-only order); one market's
    // orders share its position's mode, so the most any item needs is the market's.
    let mut markets: BTreeMap<u32, Reservation> = BTreeMap::new();
    for (i, item) in b.items.0.iter().enumerate() {
        let (done, needs) = modify_item(st, genesis, ctx, b, item).map_err(|h| in_item(h, i))?;
        let market = markets.entry(done.market).or_insert(Reservation::None);
        *market = needs.max(*market);
        receipt.modified.push(done);
    }
    for (&market, &needs) in &markets {
        settle_market(st, genesis, ctx, &b.account, (market, needs))?;
    }
    // An isolated draw is bounded by what the cross account can spare, so only a cross
    // order that entered the book can leave the cross account short.
    if markets.values().any(|&needs| needs == Reservation::Cross) {
        check_cross_margin(st, genesis, &b.account)?;
    }
    Ok(receipt)
}

/// A rejection of item `i` (0-based in the message, 1-based for people): its detail
/// says which.
fn in_item(h: Halt, i: usize) -> Halt {
    let which = i + 1;
    match h {
        Halt::Reject(s) => Halt::RejectWith(s, format!("item {which}: {}", s.message())),
        Halt::RejectWith(s, d) => Halt::RejectWith(s, format!("item {which}: {d}")),
        state => state,
    }
}

/// The open order an item names, live at the batch timestamp: its market, book key and
/// value.
fn find_item<S: State>(
    st: &mut S,
    ctx: &BlockContext,
    account: &Address,
    item: &ModifyItem,
) -> Result<(u32, Key, BookOrder), Halt> {
    if item.client_id != 0 {
        if item.market != 0 || item.order_nonce != 0 {
            return reject_with(
                Status::BulkModifyItemInvalid,
                format!(
                    "client id {} with market {} and order nonce {}: an item names its order by client id (market and orderNonce 0) or by market and orderNonce (clientId 0)",
                    item.client_id, item.market, item.order_nonce
                ),
            );
        }
        return live_order(st, ctx, account, item.client_id);
    }
    let found = find_order(st, account, item.market, item.order_nonce)?;
    match found {
        Some((key, order)) if !order.is_expired_at(ctx.timestamp_ms) => {
            Ok((item.market, key, order))
        }
        _ => reject_with(
            Status::OrderNotFound,
            format!(
                "{account} has no open order {} in market {} (`vigil orders` lists them)",
                item.order_nonce, item.market
            ),
        ),
    }
}

/// One item: the order changed in place or moved, with its account and position; and the
/// margin that must cover it (`Reservation`, as for `ModifyOrder`).
fn modify_item<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    b: &BulkModify,
    item: &ModifyItem,
) -> Result<(ModifiedOrder, Reservation), Halt> {
    if item.price == 0 && item.size == 0 {
        return reject_with(
            Status::BulkModifyItemInvalid,
            "price and size both 0 change nothing: give a new price, a new size or both".into(),
        );
    }
    let (market, key, order) = find_item(st, ctx, &b.account, item)?;
    if is_series(market) {
        return reject_with(
            Status::BulkModifyItemInvalid,
            format!(
                "order {} rests in option series {market}; BulkModify changes perp orders (ModifyOrder changes a series order)",
                order.nonce
            ),
        );
    }
    let price = if item.price == 0 {
        order.price
    } else {
        item.price
    };
    // 0 keeps the unfilled size, which is never 0 on the book.
    let size = if item.size == 0 {
        order.remaining
    } else {
        item.size
    };
    let side = side_of_key(&key)?;
    let done = |size: u64, kept_priority: bool| ModifiedOrder {
        market,
        nonce: order.nonce,
        price,
        size,
        kept_priority,
    };
    if price == order.price && size <= order.remaining {
        let kept = done(size, true);
        shrink_in_place(st, genesis, (market, side, &key), order, size)?;
        return Ok((kept, Reservation::None));
    }
    let pos = load_position(st, &b.account, market)?;
    let size = capped_size(&order, &pos, side, size)?;
    let needs = Reservation::of(&pos, order.reduce_only);
    let moved = done(size, false);
    reinsert(
        st,
        genesis,
        ctx,
        b,
        (market, side, &key),
        (order, price, size),
    )?;
    Ok((moved, needs))
}

/// A moved item: the order leaves the book and is inserted again at the back of the
/// level at `price` with `size`, after an order's admission checks on the new terms
/// (post-only: it never matches).
fn reinsert<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    b: &BulkModify,
    (market, side, key): (u32, u8, &Key),
    (order, price, size): (BookOrder, u64, u64),
) -> Result<(), Halt> {
    let replacement = Order {
        account: b.account,
        market,
        is_buy: side == SIDE_BID,
        price,
        size,
        tif: TimeInForce::PostOnly,
        reduce_only: order.reduce_only,
        nonce: order.nonce,
        expires_at: b.expires_at,
    };
    let (_, mut ms) = admit_perp(st, genesis, ctx, &replacement)?;
    let mut acct = load_account(st, &b.account)?;
    let mut pos = load_position(st, &b.account, market)?;
    remove_order(st, market, key, &order)?;
    release_order(&mut acct, &mut pos, side, &order)?;
    let seq = ms.next_seq;
    ms.next_seq = seq.checked_add(1).ok_or(Overflow)?;
    store_market(st, market, &ms)?;
    let moved = BookOrder {
        price,
        remaining: size,
        ..order
    };
    insert_order(st, market, side, seq, &moved)?;
    claim_slot(&mut acct, &mut pos, side, &moved)?;
    store_position(st, &mut acct, market, &pos)?;
    store_account(st, &acct)?;
    Ok(())
}

/// A reduce-only order's new size: refused when the position it reduces is gone (or on
/// its side), capped at the position's size, as `Order` caps it.
fn capped_size(
    order: &BookOrder,
    pos: &super::records::Position,
    side: u8,
    size: u64,
) -> Result<u64, Halt> {
    if !order.reduce_only {
        return Ok(size);
    }
    let direction: i128 = if side == SIDE_BID { 1 } else { -1 };
    if pos.size == 0 || pos.size.signum() == direction {
        return reject_with(
            Status::ReduceOnlyWouldIncrease,
            format!(
                "reduce-only order {} has no opposite position to reduce (size {})",
                order.nonce, pos.size
            ),
        );
    }
    Ok(size.min(u64::try_from(pos.size.unsigned_abs()).unwrap_or(u64::MAX)))
}

/// After the items, one market: funding accrues and the mark is sampled; the book must
/// not cross; an isolated position whose orders need it (`Reservation::Isolated`: one
/// that is not reduce-only entered the book) draws what it needs.
fn settle_market<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    owner: &Address,
    (market, needs): (u32, Reservation),
) -> Result<(), Halt> {
    let Some(params) = genesis.market(market) else {
        return Err(StateError::Malformed {
            key: book_key(market, SIDE_BID, 0, 0),
            reason: format!("a modified order rests in market {market}, not in genesis"),
        }
        .into());
    };
    let bid = best_price(st, market, SIDE_BID)?;
    let ask = best_price(st, market, SIDE_ASK)?;
    if let (Some(bid), Some(ask)) = (bid, ask)
        && bid >= ask
    {
        return reject_with(
            Status::PostOnlyWouldCross,
            format!(
                "after the items {}'s best bid {} would reach its best ask {}; a BulkModify never takes liquidity (ModifyOrder or an order does)",
                params.symbol,
                format_price(u128::from(bid)),
                format_price(u128::from(ask))
            ),
        );
    }
    let before = load_market(st, market)?;
    let mut ms = before.clone();
    accrue(&mut ms, ctx.timestamp_ms, genesis.funding_period_ms)?;
    mark::sample(st, params, &mut ms, genesis.max_funding_premium_bps)?;
    if ms != before {
        store_market(st, market, &ms)?;
    }
    if needs == Reservation::Isolated {
        draw_isolated(st, genesis, owner, (market, &params.symbol), &ms)?;
    }
    Ok(())
}

/// An isolated position: what its requirement with its resting orders exceeds its
/// equity by is drawn from the cross account (`cross_margin_short` if it cannot spare it),
/// the net of what an order's draw and hand-back leave (Part 4 §26).
fn draw_isolated<S: State>(
    st: &mut S,
    genesis: &Genesis,
    owner: &Address,
    (market, symbol): (u32, &str),
    ms: &super::records::MarketState,
) -> Result<(), Halt> {
    let mut pos = load_position(st, owner, market)?;
    if pos.isolated.is_none() {
        return Ok(());
    }
    let m = isolated_order_margin(st, genesis, owner, (market, &pos, ms))?;
    let need = sub(m.required, m.equity)?;
    if need <= 0 {
        return Ok(());
    }
    let mut acct = load_account(st, owner)?;
    let spare = cross_spare(st, genesis, &acct)?;
    if need > spare {
        return reject_with(
            Status::CrossMarginShort,
            format!(
                "the isolated {symbol} position needs {} USDC more margin for its modified orders; the cross account can spare {} USDC; a deposit or smaller orders fit",
                format_usdc_signed(need),
                format_usdc_signed(spare)
            ),
        );
    }
    acct.collateral = sub(acct.collateral, need)?;
    credit(&mut acct, &mut pos, need)?;
    store_position(st, &mut acct, market, &pos)?;
    store_account(st, &acct)?;
    Ok(())
}

/// The order margin of §8 over the account's cross markets, once for all items.
fn check_cross_margin<S: State>(
    st: &mut S,
    genesis: &Genesis,
    owner: &Address,
) -> Result<(), Halt> {
    let acct = load_account(st, owner)?;
    let m = order_margin(st, genesis, owner, acct.collateral, &acct.markets, None)?;
    if m.equity >= m.required {
        return Ok(());
    }
    reject_with(
        Status::InsufficientMargin,
        format!(
            "with the modified orders the account needs {} USDC (initial margin of the positions and of the open orders), its equity is {} USDC; smaller sizes, prices nearer the mark's side, or a deposit fit",
            format_usdc_signed(m.required),
            format_usdc_signed(m.equity)
        ),
    )
}

/// Fault injection only (`protocol::fault`, `bulk-priority`): puts the order a
/// `BulkModify` moved back at the front of its price level (sequence 0), as a sequencer
/// that kept a repriced order's time priority would. `None` when the order is gone or the
/// front slot is taken.
pub(crate) fn steal_priority<S: State>(
    st: &mut S,
    owner: &Address,
    market: u32,
    nonce: u64,
) -> Result<Option<u64>, StateError> {
    let Some((key, order)) = find_order(st, owner, market, nonce)? else {
        return Ok(None);
    };
    let side = side_of_key(&key)?;
    let front = book_key(market, side, order.price, 0);
    if front == key || st.contains(&front)? {
        return Ok(None);
    }
    remove_order(st, market, &key, &order)?;
    insert_order(st, market, side, 0, &order)?;
    Ok(Some(order.price))
}
