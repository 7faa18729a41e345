//! Trigger orders and TP/SL (issue #16): orders that wait off the book until the market's
//! mark price reaches their trigger, then execute as ordinary orders.
//!
//! Three leaves. The trigger book `0x15 ‖ market ‖ direction ‖ priority ‖ seq` holds each
//! waiting order, ordered so that the first key of a (market, direction) prefix is the
//! one the mark reaches first (rising: lowest trigger; falling: highest), then by
//! sequence; so "the next order to fire" is one `first_with_prefix`, as for the book. The
//! index `0x16 ‖ owner-hash ‖ market ‖ nonce ‖ leg` finds an account's trigger orders (for
//! `Cancel` and the read API). A position's TP/SL pair is linked from `0x17 ‖
//! owner-market-hash`.
//!
//! Firing happens only when a `PriceUpdate` is applied, after it set the mark: at most
//! [`TRIGGER_FIRE_PER_UPDATE`] orders of that market fire, rising direction first, each
//! the first key of its direction; the rest carry over to the market's next applied price
//! updates (in the same key order). So every node fires the same orders at the same
//! transaction. A fired order is removed and placed through `orders::place`: the market
//! kinds as IOC at the mark ± [`TRIGGER_SLIPPAGE_BPS`] (within the price band), the limit
//! kinds as GTC at their price. If the order is refused (margin, reduce-only, halted
//! market…) its effects are undone, the trigger is still consumed and the receipt says
//! why. A TP/SL leg that fires cancels the other leg (one-cancels-other) and closes the
//! whole position; if that position is closed (flat or flipped) at that moment, both legs
//! vanish without an order. docs/PROTOCOL.md Part 4 §21.
//!
//! Lifecycle (Part 4 §24): a position's pair also vanishes in the very transaction that
//! closes or flips the position ([`drop_closed`], run after every action over the
//! (account, market) pairs its fills, liquidation and deleveraging touched); `CancelAll`
//! and the dead-man's switch remove every trigger order of the account ([`cancel_all`]);
//! and an account has at most [`MAX_TRIGGER_ORDERS`] waiting, counted in the `0x1c` leaf.

use super::keys::{
    TRIGGER_FALL, TRIGGER_RISE, account_triggers_prefix, parse_trigger_index_key,
    parse_trigger_key, tp_sl_key, trigger_count_key, trigger_index_key, trigger_key,
    trigger_side_prefix,
};
use super::orders;
use super::receipt::{Receipt, Status, TriggerEvent, TriggerOutcome};
use super::records::{LEG_ORDER, LEG_STOP_LOSS, LEG_TAKE_PROFIT, TpSlLink, TriggerRecord};
use super::storage::{decode_at, load_market, load_position, read, store_market};
use super::{BlockContext, Halt, reject, reject_with};
use crate::action::{Order, TimeInForce, TpSl, TriggerKind, TriggerOrder};
use crate::codec::Encode;
use crate::genesis::{Genesis, MarketParams};
use crate::primitives::{Address, H256};
use crate::state::{Key, State, StateError};
use std::collections::BTreeSet;

/// The most trigger orders one price update fires (bounding its touched keys,
/// `ActionKind::TABLE`); the rest fire on the market's next price updates.
pub const TRIGGER_FIRE_PER_UPDATE: usize = 2;

/// The most trigger orders one account may have waiting, each TP/SL leg counting one:
/// bounds what `CancelAll` and the dead-man's switch remove (`ActionKind::TABLE`).
pub const MAX_TRIGGER_ORDERS: u32 = 16;

/// The paths removing one position's TP/SL pair touches when the position closes: the
/// link (read for every (account, market) pair the action's fills touched), each leg's
/// index and trigger-book key, and the account's trigger count: 6. (The position it reads
/// was written by the fill.)
pub const TP_SL_CLOSE_PATHS: usize = 6;

/// The paths `CancelAll` spends per waiting trigger order it removes (the prefix probe,
/// the index entry, the trigger-book key, the position's TP/SL link) and once (the last
/// probe and the trigger count): 4·T + 2.
pub const fn cancel_all_trigger_paths() -> usize {
    4 * MAX_TRIGGER_ORDERS as usize + 2
}

/// How far from the mark a fired market trigger order may fill: it is an IOC order at
/// the mark plus (buy) or minus (sell) this many basis points, or the market's price band
/// if that is narrower, rounded to a tick toward the mark.
pub const TRIGGER_SLIPPAGE_BPS: u32 = 500;

/// The trigger-book direction of an order of `kind` on side `is_buy`.
pub fn direction(kind: TriggerKind, is_buy: bool) -> u8 {
    if kind.fires_on_rise(is_buy) {
        TRIGGER_RISE
    } else {
        TRIGGER_FALL
    }
}

/// Whether a trigger in `direction` at `trigger_price` fires at `mark`.
pub fn is_reached(direction: u8, trigger_price: u64, mark: u64) -> bool {
    if direction == TRIGGER_RISE {
        mark >= trigger_price
    } else {
        mark <= trigger_price
    }
}

fn on_tick(params: &MarketParams, price: u64) -> bool {
    price != 0 && price.checked_rem(params.tick_size) == Some(0)
}

/// The static checks of a `TriggerOrder` against its market.
fn validate(params: &MarketParams, t: &TriggerOrder) -> Result<(), Halt> {
    if !on_tick(params, t.trigger_price) {
        return reject_with(
            Status::InvalidTriggerPrice,
            format!(
                "triggerPrice {} with tick size {}",
                t.trigger_price, params.tick_size
            ),
        );
    }
    if t.kind.is_limit() != (t.price != 0) {
        return reject(Status::TriggerPriceMismatch);
    }
    if t.kind.is_limit() && !on_tick(params, t.price) {
        return reject(Status::InvalidTick);
    }
    if t.size == 0 {
        return reject(Status::ZeroSize);
    }
    if t.size.checked_rem(params.lot_size) != Some(0) {
        return reject(Status::InvalidLot);
    }
    if t.size > params.open_interest_cap {
        return reject(Status::SizeTooLarge);
    }
    Ok(())
}

/// `TriggerOrder` (after the common checks): files it in the trigger book.
pub(super) fn place<S: State>(
    st: &mut S,
    genesis: &Genesis,
    t: &TriggerOrder,
) -> Result<Receipt, Halt> {
    let Some(params) = genesis.market(t.market) else {
        return reject(Status::UnknownMarket);
    };
    validate(params, t)?;
    reserve(st, &t.account, 1)?;
    let record = TriggerRecord {
        owner: t.account,
        nonce: t.nonce,
        leg: LEG_ORDER,
        is_buy: t.is_buy,
        kind: t.kind,
        trigger_price: t.trigger_price,
        price: t.price,
        size: t.size,
        reduce_only: t.reduce_only,
    };
    insert(st, t.market, &record)?;
    Ok(Receipt::ok())
}

/// `TpSl` (after the common checks): replaces the position's pair (both prices 0: removes it).
pub(super) fn set_tp_sl<S: State>(
    st: &mut S,
    genesis: &Genesis,
    t: &TpSl,
) -> Result<Receipt, Halt> {
    let Some(params) = genesis.market(t.market) else {
        return reject(Status::UnknownMarket);
    };
    for (name, price) in [("takeProfit", t.take_profit), ("stopLoss", t.stop_loss)] {
        if price != 0 && !on_tick(params, price) {
            return reject_with(
                Status::InvalidTriggerPrice,
                format!("{name} {price} with tick size {}", params.tick_size),
            );
        }
    }
    let mut receipt = Receipt::ok();
    remove_tp_sl(
        st,
        &t.account,
        t.market,
        TriggerOutcome::Cancelled,
        &mut receipt,
    )?;
    if t.take_profit == 0 && t.stop_loss == 0 {
        return Ok(receipt);
    }
    let pos = load_position(st, &t.account, t.market)?;
    if pos.size == 0 {
        return reject(Status::NoPosition);
    }
    let legs_needed = u32::from(t.take_profit != 0) + u32::from(t.stop_loss != 0);
    reserve(st, &t.account, legs_needed)?;
    let long = pos.size > 0;
    let legs = [
        (
            LEG_TAKE_PROFIT,
            TriggerKind::TakeProfitMarket,
            t.take_profit,
        ),
        (LEG_STOP_LOSS, TriggerKind::StopMarket, t.stop_loss),
    ];
    for (leg, kind, trigger_price) in legs.into_iter().filter(|l| l.2 != 0) {
        let record = TriggerRecord {
            owner: t.account,
            nonce: t.nonce,
            leg,
            // A leg closes the position: it sells a long, buys a short.
            is_buy: !long,
            kind,
            trigger_price,
            price: 0,
            size: 0,
            reduce_only: true,
        };
        insert(st, t.market, &record)?;
    }
    let link = TpSlLink {
        owner: t.account,
        market: t.market,
        nonce: t.nonce,
        long,
    };
    st.set(&tp_sl_key(&t.account, t.market), link.encode())?;
    Ok(receipt)
}

/// Writes `record` under a fresh sequence number of `market`, with its index entry.
fn insert<S: State>(st: &mut S, market: u32, record: &TriggerRecord) -> Result<(), Halt> {
    let mut ms = load_market(st, market)?;
    let seq = ms.next_seq;
    ms.next_seq = seq.checked_add(1).ok_or(super::math::Overflow)?;
    store_market(st, market, &ms)?;
    let dir = direction(record.kind, record.is_buy);
    let key = trigger_key(market, dir, record.trigger_price, seq);
    st.set_record(&key, record)?;
    let index = trigger_index_key(&record.owner, market, record.nonce, record.leg);
    st.set(&index, key.0.to_vec())?;
    let count = waiting_count(st, &record.owner)?;
    store_count(st, &record.owner, count.saturating_add(1))?;
    Ok(())
}

/// How many trigger orders `owner` has waiting (each TP/SL leg counts one).
pub fn waiting_count<S: State>(st: &mut S, owner: &Address) -> Result<u32, StateError> {
    let key = trigger_count_key(owner);
    let Some(bytes) = st.get(&key)? else {
        return Ok(0);
    };
    let (named, count) = decode_count(&key, &bytes)?;
    // A leaf of another owner (a 31-byte hash collision) counts nothing for this one.
    Ok(if named == *owner { count } else { 0 })
}

/// A trigger-count leaf: `owner(20) ‖ count(4)`.
pub fn decode_count(key: &Key, bytes: &[u8]) -> Result<(Address, u32), StateError> {
    let malformed = || StateError::Malformed {
        key: *key,
        reason: "a trigger count holds owner(20) ‖ count(4)".into(),
    };
    let (owner, count) = bytes.split_at_checked(20).ok_or_else(malformed)?;
    let owner = <[u8; 20]>::try_from(owner).map_err(|_| malformed())?;
    let count = <[u8; 4]>::try_from(count).map_err(|_| malformed())?;
    Ok((Address(owner), u32::from_be_bytes(count)))
}

/// Writes `owner`'s trigger count (deleting the leaf at 0, so an account without trigger
/// orders has no leaf).
fn store_count<S: State>(st: &mut S, owner: &Address, count: u32) -> Result<(), StateError> {
    let key = trigger_count_key(owner);
    if count == 0 {
        return st.delete(&key);
    }
    let mut value = owner.0.to_vec();
    value.extend_from_slice(&count.to_be_bytes());
    st.set(&key, value)
}

/// Refuses `too_many_trigger_orders` unless `owner` may add `needed` trigger orders.
fn reserve<S: State>(st: &mut S, owner: &Address, needed: u32) -> Result<(), Halt> {
    let count = waiting_count(st, owner)?;
    if count.saturating_add(needed) > MAX_TRIGGER_ORDERS {
        return reject_with(
            Status::TooManyTriggerOrders,
            format!(
                "the account has {count} waiting and this adds {needed}; the cap is {MAX_TRIGGER_ORDERS}"
            ),
        );
    }
    Ok(())
}

/// Deletes one waiting trigger order (its book key and index entry) and uncounts it.
fn delete_entry<S: State>(
    st: &mut S,
    market: u32,
    key: &Key,
    record: &TriggerRecord,
) -> Result<(), StateError> {
    st.delete(key)?;
    st.delete(&trigger_index_key(
        &record.owner,
        market,
        record.nonce,
        record.leg,
    ))?;
    let count = waiting_count(st, &record.owner)?;
    store_count(st, &record.owner, count.saturating_sub(1))
}

/// The trigger key an index entry points at, if the entry exists.
fn indexed<S: State>(st: &mut S, index: &Key) -> Result<Option<Key>, StateError> {
    let Some(bytes) = st.get(index)? else {
        return Ok(None);
    };
    let target = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| StateError::Malformed {
        key: *index,
        reason: "a trigger index entry holds a 32-byte key".into(),
    })?;
    Ok(Some(H256(target)))
}

/// Removes leg `leg` of `(owner, nonce)` in `market` if it exists, recording `outcome`.
fn remove_leg<S: State>(
    st: &mut S,
    owner: &Address,
    market: u32,
    nonce: u64,
    leg: u8,
    outcome: TriggerOutcome,
) -> Result<Option<TriggerEvent>, StateError> {
    let index = trigger_index_key(owner, market, nonce, leg);
    let Some(key) = indexed(st, &index)? else {
        return Ok(None);
    };
    let record: TriggerRecord = read(st, &key)?.ok_or_else(|| StateError::Malformed {
        key: index,
        reason: "a trigger index entry points at no trigger order".into(),
    })?;
    delete_entry(st, market, &key, &record)?;
    Ok(Some(event(market, &record, 0, outcome)))
}

fn event(market: u32, r: &TriggerRecord, mark_price: u64, outcome: TriggerOutcome) -> TriggerEvent {
    TriggerEvent {
        market,
        account: r.owner,
        nonce: r.nonce,
        leg: r.leg,
        trigger_price: r.trigger_price,
        mark_price,
        outcome,
        status: Status::Ok,
        order: None,
    }
}

/// Removes the TP/SL pair of `owner`'s position in `market` (link and both legs), if any.
fn remove_tp_sl<S: State>(
    st: &mut S,
    owner: &Address,
    market: u32,
    outcome: TriggerOutcome,
    receipt: &mut Receipt,
) -> Result<Option<TpSlLink>, StateError> {
    let key = tp_sl_key(owner, market);
    let Some(link) = read::<_, TpSlLink>(st, &key)?.filter(|l| l.owner == *owner) else {
        return Ok(None);
    };
    st.delete(&key)?;
    for leg in [LEG_TAKE_PROFIT, LEG_STOP_LOSS] {
        if let Some(e) = remove_leg(st, owner, market, link.nonce, leg, outcome)? {
            receipt.triggered.push(e);
        }
    }
    Ok(Some(link))
}

/// `Cancel` of a nonce that names no resting order: removes the trigger order (or the
/// TP/SL pair) with that nonce. `None` when there is none either.
pub(super) fn cancel<S: State>(
    st: &mut S,
    owner: &Address,
    market: u32,
    nonce: u64,
) -> Result<Option<Receipt>, StateError> {
    let mut receipt = Receipt::ok();
    let cancelled = TriggerOutcome::Cancelled;
    if let Some(e) = remove_leg(st, owner, market, nonce, LEG_ORDER, cancelled)? {
        receipt.triggered.push(e);
        return Ok(Some(receipt));
    }
    let key = tp_sl_key(owner, market);
    let linked = read::<_, TpSlLink>(st, &key)?.filter(|l| l.owner == *owner && l.nonce == nonce);
    if linked.is_none() {
        return Ok(None);
    }
    remove_tp_sl(st, owner, market, cancelled, &mut receipt)?;
    Ok(Some(receipt))
}

/// `CancelAll` and the dead-man's switch: removes every waiting trigger order of `owner`
/// (a TP/SL leg with its pair), at most [`MAX_TRIGGER_ORDERS`], as `Cancelled` events.
pub(super) fn cancel_all<S: State>(
    st: &mut S,
    owner: &Address,
) -> Result<Vec<TriggerEvent>, StateError> {
    let mut receipt = Receipt::ok();
    let cancelled = TriggerOutcome::Cancelled;
    let prefix = account_triggers_prefix(owner);
    for _ in 0..MAX_TRIGGER_ORDERS {
        let Some((index, _)) = st.first_with_prefix(&prefix)? else {
            break;
        };
        let (market, nonce, leg) = parse_trigger_index_key(&index);
        let pair =
            leg != LEG_ORDER && remove_tp_sl(st, owner, market, cancelled, &mut receipt)?.is_some();
        if !pair && let Some(e) = remove_leg(st, owner, market, nonce, leg, cancelled)? {
            receipt.triggered.push(e);
        }
    }
    Ok(receipt.triggered)
}

/// After an action: removes the TP/SL pair of every position it closed or flipped (the
/// (account, market) pairs of its fills, its liquidation and the positions deleveraged),
/// recording the legs as `PositionClosed` in `receipt`.
pub(super) fn drop_closed<S: State>(st: &mut S, receipt: &mut Receipt) -> Result<(), StateError> {
    let mut touched: BTreeSet<(Address, u32)> = BTreeSet::new();
    for f in &receipt.fills {
        touched.insert((f.taker, f.market));
        touched.insert((f.maker, f.market));
    }
    if let Some(l) = &receipt.liquidation {
        touched.insert((l.account, l.market));
        touched.extend(l.deleveraged.iter().map(|d| (d.account, l.market)));
    }
    for (owner, market) in touched {
        let link = read::<_, TpSlLink>(st, &tp_sl_key(&owner, market))?;
        let Some(link) = link.filter(|l| l.owner == owner) else {
            continue;
        };
        let pos = load_position(st, &owner, market)?;
        if pos.size == 0 || (pos.size > 0) != link.long {
            let outcome = TriggerOutcome::PositionClosed;
            remove_tp_sl(st, &owner, market, outcome, receipt)?;
        }
    }
    Ok(())
}

/// The next trigger of `market` due at `mark`: rising first, then falling.
pub(super) fn next_due<S: State>(
    st: &mut S,
    market: u32,
    mark: u64,
) -> Result<Option<(Key, TriggerRecord)>, StateError> {
    for dir in [TRIGGER_RISE, TRIGGER_FALL] {
        let first =
            st.first_with_prefix_with(&trigger_side_prefix(market, dir), |key, bytes| {
                let (_, _, trigger_price, _) =
                    parse_trigger_key(key).ok_or_else(|| StateError::Malformed {
                        key: *key,
                        reason: "not a trigger-book key".into(),
                    })?;
                if !is_reached(dir, trigger_price, mark) {
                    return Ok(None);
                }
                Ok(Some((*key, decode_at(key, bytes)?)))
            })?;
        if let Some(due) = first.transpose()?.flatten() {
            return Ok(Some(due));
        }
    }
    Ok(None)
}

/// After a price update set `market`'s mark: fires what it reached, at most
/// [`TRIGGER_FIRE_PER_UPDATE`] orders, into `receipt`.
pub(super) fn fire_due<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    market: u32,
    receipt: &mut Receipt,
) -> Result<(), Halt> {
    let mark = load_market(st, market)?.mark_price;
    for _ in 0..TRIGGER_FIRE_PER_UPDATE {
        let Some((key, record)) = next_due(st, market, mark)? else {
            break;
        };
        fire(st, genesis, ctx, market, mark, &key, &record, receipt)?;
    }
    Ok(())
}

/// Fires one trigger order at `mark`: removes it (and, for a TP/SL leg, the pair) and
/// places its order; a refused order is undone and recorded with its status.
#[allow(clippy::too_many_arguments)]
pub(super) fn fire<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    market: u32,
    mark: u64,
    key: &Key,
    record: &TriggerRecord,
    receipt: &mut Receipt,
) -> Result<(), Halt> {
    delete_entry(st, market, key, record)?;
    let mut fired = event(market, record, mark, TriggerOutcome::Fired);
    let mut size = record.size;
    if record.leg != LEG_ORDER {
        let link = remove_tp_sl(
            st,
            &record.owner,
            market,
            TriggerOutcome::OneCancelsOther,
            receipt,
        )?;
        let pos = load_position(st, &record.owner, market)?;
        let open = link.is_some_and(|l| pos.size != 0 && (pos.size > 0) == l.long);
        if !open {
            fired.outcome = TriggerOutcome::PositionClosed;
            receipt.triggered.push(fired);
            return Ok(());
        }
        size = u64::try_from(pos.size.unsigned_abs()).unwrap_or(u64::MAX);
    }
    let Some(params) = genesis.market(market) else {
        return reject(Status::UnknownMarket);
    };
    let order = Order {
        account: record.owner,
        market,
        is_buy: record.is_buy,
        price: execution_price(params, record, mark),
        size,
        tif: if record.kind.is_limit() {
            TimeInForce::Gtc
        } else {
            TimeInForce::Ioc
        },
        reduce_only: record.reduce_only,
        nonce: record.nonce,
        expires_at: u64::MAX,
    };
    // A rejected fired order undoes only its own writes (a nested section of the undo
    // log); the price update and the trigger's removal stand.
    let mark = st.begin();
    match orders::place(st, genesis, ctx, &order) {
        Ok(placed) => {
            st.commit(mark);
            receipt.fills.extend(placed.fills);
            receipt.cancelled.extend(placed.cancelled);
            fired.order = placed.order;
        }
        Err(Halt::State(e)) => {
            // The enclosing section undoes everything on a storage error.
            st.commit(mark);
            return Err(Halt::State(e));
        }
        Err(Halt::Reject(status) | Halt::RejectWith(status, _)) => {
            st.rollback(mark)?;
            fired.status = status;
        }
    }
    receipt.triggered.push(fired);
    Ok(())
}

/// The price a fired order is placed at: a limit kind's own price; for a market kind the
/// mark moved by the slippage bound (or the band, if narrower) against the order, on a
/// tick toward the mark, never below one tick.
pub fn execution_price(params: &MarketParams, record: &TriggerRecord, mark: u64) -> u64 {
    if record.kind.is_limit() {
        return record.price;
    }
    let bps = u128::from(TRIGGER_SLIPPAGE_BPS.min(params.price_band_bps));
    let tick = u128::from(params.tick_size.max(1));
    let mark = u128::from(mark);
    let price = if record.is_buy {
        mark * (10_000 + bps) / 10_000 / tick * tick
    } else {
        (mark * (10_000 - bps)).div_ceil(10_000).div_ceil(tick) * tick
    };
    u64::try_from(price.max(tick)).unwrap_or(u64::MAX)
}
