//! Typed reads and writes of the engine's records over the `State` seam.
//!
//! Missing leaves read as their empty value (a fresh account, no position, a market with
//! no price yet), and empty values are deleted rather than stored, so the state holds
//! only what matters and "empty" has exactly one representation. A value that does not
//! decode is `StateError::Malformed`, never a panic.

use super::keys::{account_key, market_key, meta_key, position_key};
use super::records::{Account, MarketState, Meta, Position};
use crate::codec::{Decode, Encode};
use crate::primitives::Address;
use crate::state::{Key, State, StateError};

/// Decodes the value stored at `key` as a `T`.
pub fn decode_at<T: Decode>(key: &Key, bytes: &[u8]) -> Result<T, StateError> {
    T::decode(bytes).map_err(|e| StateError::Malformed {
        key: *key,
        reason: e.to_string(),
    })
}

/// The record at `key`, if any.
pub fn read<S: State, T: Decode>(st: &mut S, key: &Key) -> Result<Option<T>, StateError> {
    match st.get(key)? {
        None => Ok(None),
        Some(bytes) => decode_at(key, &bytes).map(Some),
    }
}

pub fn load_account<S: State>(st: &mut S, owner: &Address) -> Result<Account, StateError> {
    let key = account_key(owner);
    let acct: Account = read(st, &key)?.unwrap_or_else(|| Account::empty(*owner));
    if acct.owner != *owner {
        return Err(StateError::Malformed {
            key,
            reason: format!("account leaf names owner {}, not {owner}", acct.owner),
        });
    }
    Ok(acct)
}

/// Writes the account, or deletes its leaf when it is empty.
pub fn store_account<S: State>(st: &mut S, acct: &Account) -> Result<(), StateError> {
    let key = account_key(&acct.owner);
    if acct.is_empty() {
        st.delete(&key)
    } else {
        st.set(&key, acct.encode())
    }
}

pub fn load_position<S: State>(
    st: &mut S,
    owner: &Address,
    market: u32,
) -> Result<Position, StateError> {
    Ok(read(st, &position_key(owner, market))?.unwrap_or_default())
}

/// Writes the position (or deletes it when empty) and keeps `acct.markets` in step.
/// The caller stores `acct` afterwards.
pub fn store_position<S: State>(
    st: &mut S,
    acct: &mut Account,
    market: u32,
    pos: &Position,
) -> Result<(), StateError> {
    let key = position_key(&acct.owner, market);
    acct.set_market(market, !pos.is_empty());
    if pos.is_empty() {
        st.delete(&key)
    } else {
        st.set(&key, pos.encode())
    }
}

pub fn load_market<S: State>(st: &mut S, market: u32) -> Result<MarketState, StateError> {
    Ok(read(st, &market_key(market))?.unwrap_or_default())
}

pub fn store_market<S: State>(st: &mut S, market: u32, ms: &MarketState) -> Result<(), StateError> {
    st.set(&market_key(market), ms.encode())
}

pub fn load_meta<S: State>(st: &mut S) -> Result<Meta, StateError> {
    Ok(read(st, &meta_key())?.unwrap_or_default())
}

pub fn store_meta<S: State>(st: &mut S, meta: &Meta) -> Result<(), StateError> {
    st.set(&meta_key(), meta.encode())
}
