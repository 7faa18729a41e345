//! The order book as stored: one `0x03` leaf per resting order, ordered by price then
//! time, plus one `0x04` index leaf per order pointing at its book key (value: the 32-byte
//! book key). Adding and removing an order always writes both, so they stay in step.
//!
//! An order placed by `ClientOrder` carries terms (a good-till-time, a client id), and
//! each has one more leaf, written and deleted with the order here: its expiry-index entry
//! (`0x13`, swept by `engine::expiry`) and its client-id leaf (`0x14`, for lookup by
//! client id). Orders without terms touch neither.
//!
//! Account and position counters (`open_orders`) and the position's side totals (the
//! resting size and notional the margin reservation is computed from) are the caller's
//! job, because callers often hold those records in memory while matching.

use super::Halt;
use super::keys::{
    SIDE_ASK, SIDE_BID, account_key, book_key, book_side_prefix, client_id_key, order_expiry_key,
    order_index_key, parse_book_key,
};
use super::math::Overflow;
use super::records::{Account, BookOrder, Position, SideTotals};
use super::storage::{decode_at, read};
use crate::codec::Encode;
use crate::primitives::{Address, H256};
use crate::state::{Key, State, StateError};

pub fn side_of(is_buy: bool) -> u8 {
    if is_buy { SIDE_BID } else { SIDE_ASK }
}

/// The best resting order on one side of a market.
pub fn best_order<S: State>(
    st: &mut S,
    market: u32,
    side: u8,
) -> Result<Option<(Key, BookOrder)>, StateError> {
    st.first_with_prefix_with(&book_side_prefix(market, side), |key, bytes| {
        Ok((*key, decode_at(key, bytes)?))
    })?
    .transpose()
}

/// The best price on one side of a market, if any.
pub fn best_price<S: State>(st: &mut S, market: u32, side: u8) -> Result<Option<u64>, StateError> {
    Ok(best_order(st, market, side)?.map(|(_, o)| o.price))
}

/// Puts `order` on the book at time priority `seq` and indexes it; returns its book key.
pub fn insert_order<S: State>(
    st: &mut S,
    market: u32,
    side: u8,
    seq: u64,
    order: &BookOrder,
) -> Result<Key, StateError> {
    let key = book_key(market, side, order.price, seq);
    st.set_record(&key, order)?;
    st.set(
        &order_index_key(&order.account, market, order.nonce),
        key.0.to_vec(),
    )?;
    if order.expires_at_ms != 0 {
        let entry = order_expiry_key(order.expires_at_ms, &key);
        st.set(&entry, order.account.0.to_vec())?;
    }
    if order.client_id != 0 {
        let mut id = order.account.0.to_vec();
        id.extend_from_slice(&market.to_be_bytes());
        id.extend_from_slice(&order.nonce.to_be_bytes());
        st.set(&client_id_key(&order.account, order.client_id), id)?;
    }
    Ok(key)
}

/// Rewrites a resting order in place (after a partial fill); its priority is unchanged.
pub fn update_order<S: State>(st: &mut S, key: &Key, order: &BookOrder) -> Result<(), StateError> {
    st.set(key, order.encode())
}

/// Takes an order off the book: deletes its book leaf and its index leaf.
pub fn remove_order<S: State>(
    st: &mut S,
    market: u32,
    key: &Key,
    order: &BookOrder,
) -> Result<(), StateError> {
    st.delete(key)?;
    st.delete(&order_index_key(&order.account, market, order.nonce))?;
    if order.expires_at_ms != 0 {
        st.delete(&order_expiry_key(order.expires_at_ms, key))?;
    }
    if order.client_id != 0 {
        st.delete(&client_id_key(&order.account, order.client_id))?;
    }
    Ok(())
}

/// The open order `owner` tagged `client_id`: its market, book key and value. `None`
/// when there is none (or the leaf found is another owner's, a key-prefix collision).
pub fn find_by_client_id<S: State>(
    st: &mut S,
    owner: &Address,
    client_id: u128,
) -> Result<Option<(u32, Key, BookOrder)>, StateError> {
    let key = client_id_key(owner, client_id);
    let Some(bytes) = st.get(&key)? else {
        return Ok(None);
    };
    if bytes.len() != 32 {
        return Err(StateError::Malformed {
            key,
            reason: format!("a client-id leaf is 32 bytes, not {}", bytes.len()),
        });
    }
    if bytes[..20] != owner.0 {
        return Ok(None);
    }
    let market = u32::from_be_bytes(bytes[20..24].try_into().expect("4 bytes"));
    let nonce = u64::from_be_bytes(bytes[24..32].try_into().expect("8 bytes"));
    let found = find_order(st, owner, market, nonce)?.ok_or_else(|| StateError::Malformed {
        key,
        reason: "a client-id leaf names no open order".into(),
    })?;
    Ok(Some((market, found.0, found.1)))
}

/// The book key an index leaf points to.
fn index_target(index_key: &Key, bytes: &[u8]) -> Result<Key, StateError> {
    let target: [u8; 32] = bytes.try_into().map_err(|_| StateError::Malformed {
        key: *index_key,
        reason: format!("order index value is {} bytes, not 32", bytes.len()),
    })?;
    Ok(H256(target))
}

/// The resting order `(owner, nonce)` in `market`, with its book key.
pub fn find_order<S: State>(
    st: &mut S,
    owner: &Address,
    market: u32,
    nonce: u64,
) -> Result<Option<(Key, BookOrder)>, StateError> {
    let index_key = order_index_key(owner, market, nonce);
    let Some(bytes) = st.get(&index_key)? else {
        return Ok(None);
    };
    let key = index_target(&index_key, &bytes)?;
    let order: BookOrder = read(st, &key)?.ok_or_else(|| StateError::Malformed {
        key: index_key,
        reason: "order index points at an empty book slot".into(),
    })?;
    Ok(Some((key, order)))
}

/// The side byte of a book key (an index leaf's target).
pub fn side_of_key(key: &Key) -> Result<u8, StateError> {
    parse_book_key(key)
        .map(|(_, side, _, _)| side)
        .ok_or_else(|| StateError::Malformed {
            key: *key,
            reason: "order index points at a key that is not a book key".into(),
        })
}

/// Removes the first of an account's orders under `prefix` (an `account_orders_prefix`
/// or `account_market_orders_prefix`) and returns `(market, side, order)`; `None` when
/// none is left. Repeated calls walk all of them, because each call deletes what it
/// returns.
pub fn pop_account_order<S: State>(
    st: &mut S,
    prefix: &[u8],
) -> Result<Option<(u32, u8, BookOrder)>, StateError> {
    let Some((index_key, bytes)) = st.first_with_prefix(prefix)? else {
        return Ok(None);
    };
    let key = index_target(&index_key, &bytes)?;
    let market = u32::from_be_bytes(index_key.0[20..24].try_into().expect("4 bytes"));
    let order: BookOrder = read(st, &key)?.ok_or_else(|| StateError::Malformed {
        key: index_key,
        reason: "order index points at an empty book slot".into(),
    })?;
    remove_order(st, market, &key, &order)?;
    Ok(Some((market, side_of_key(&key)?, order)))
}

fn totals_of(pos: &mut Position, side: u8) -> &mut SideTotals {
    if side == SIDE_BID {
        &mut pos.bids
    } else {
        &mut pos.asks
    }
}

/// `remaining × price`, exact: two `u64`s multiply within a `u128`.
fn notional(size: u64, price: u64) -> u128 {
    u128::from(size) * u128::from(price)
}

/// Counts a new resting order on its owner's account and position, and adds it to the
/// position's side totals unless it is reduce-only. A sum past `u64`/`u128` is an
/// overflow (the order is rejected `arithmetic_overflow`), not a malformed state.
pub fn claim_slot(
    acct: &mut Account,
    pos: &mut Position,
    side: u8,
    order: &BookOrder,
) -> Result<(), Halt> {
    let malformed = || StateError::Malformed {
        key: account_key(&acct.owner),
        reason: "open order count overflows".into(),
    };
    acct.open_orders = acct.open_orders.checked_add(1).ok_or_else(malformed)?;
    pos.open_orders = pos.open_orders.checked_add(1).ok_or_else(malformed)?;
    if !order.reduce_only {
        let t = totals_of(pos, side);
        t.size = t.size.checked_add(order.remaining).ok_or(Overflow)?;
        let added = notional(order.remaining, order.price);
        t.notional = t.notional.checked_add(added).ok_or(Overflow)?;
    }
    Ok(())
}

/// Takes `size` of a resting order (filled, or leaving the book) out of its owner's side
/// totals; reduce-only orders were never in them. Going below zero means the state
/// contradicts its own book.
pub fn release_size(
    pos: &mut Position,
    side: u8,
    order: &BookOrder,
    size: u64,
) -> Result<(), StateError> {
    if order.reduce_only {
        return Ok(());
    }
    let malformed = || StateError::Malformed {
        key: account_key(&order.account),
        reason: "side totals below the orders on the book".into(),
    };
    let t = totals_of(pos, side);
    t.size = t.size.checked_sub(size).ok_or_else(malformed)?;
    let removed = notional(size, order.price);
    t.notional = t.notional.checked_sub(removed).ok_or_else(malformed)?;
    Ok(())
}

/// Uncounts an order that left the book with `order.remaining` unfilled: its slot on the
/// account and position, and that remaining size from the side totals.
pub fn release_order(
    acct: &mut Account,
    pos: &mut Position,
    side: u8,
    order: &BookOrder,
) -> Result<(), StateError> {
    let malformed = || StateError::Malformed {
        key: account_key(&acct.owner),
        reason: "open order counts below the orders on the book".into(),
    };
    acct.open_orders = acct.open_orders.checked_sub(1).ok_or_else(malformed)?;
    pos.open_orders = pos.open_orders.checked_sub(1).ok_or_else(malformed)?;
    release_size(pos, side, order, order.remaining)
}
