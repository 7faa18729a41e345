//! Typed reads and writes of the engine's records over the `State` seam.
//!
//! Missing leaves read as their empty value (a fresh account, no position, a market with
//! no price yet), and empty values are deleted rather than stored, so the state holds
//! only what matters and "empty" has exactly one representation. A value that does not
//! decode is `StateError::Malformed`, never a panic.

use super::genesis_state::INSURANCE_FUND;
use super::keys::{
    ADL_LONG, ADL_SHORT, account_key, adl_key, implied_vol_key, market_key, meta_key,
    option_listing_key, option_series_key, oracle_prices_key, position_key,
};
use super::option_records::{ImpliedVols, OptionListing, OptionSeries};
use super::records::{Account, MarketState, Meta, OraclePrices, Position, SignedPrice};
use crate::codec::Decode;
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
    st.get_with(key, |bytes| decode_at(key, bytes))?.transpose()
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
        st.set_record(&key, acct)
    }
}

pub fn load_position<S: State>(
    st: &mut S,
    owner: &Address,
    market: u32,
) -> Result<Position, StateError> {
    Ok(read(st, &position_key(owner, market))?.unwrap_or_default())
}

/// The ADL rank of a nonzero position (docs/PROTOCOL.md Part 4 §11): its entry price
/// `⌊cost / size⌋`, ascending for longs and descending for shorts, so the first key of a
/// side is its most profitable position per unit at any mark price. Entry prices, unlike
/// profit × leverage, do not move with the mark or with other markets, so the index only
/// changes when the position itself is written.
pub fn adl_rank(pos: &Position) -> (u8, u64) {
    let entry = pos
        .cost
        .checked_div(pos.size)
        .map(|e| {
            if e < 0 && pos.cost % pos.size != 0 {
                e - 1
            } else {
                e
            }
        })
        .unwrap_or(0);
    let entry = u64::try_from(entry.max(0)).unwrap_or(u64::MAX);
    if pos.size > 0 {
        (ADL_LONG, entry)
    } else {
        (ADL_SHORT, u64::MAX - entry)
    }
}

/// The ADL index key of `owner`'s position, if it is a nonzero trader position (the
/// insurance fund is never deleveraged: it is the backstop ADL relieves).
fn adl_entry(owner: &Address, market: u32, pos: &Position) -> Option<Key> {
    if pos.size == 0 || *owner == INSURANCE_FUND {
        return None;
    }
    let (side, rank) = adl_rank(pos);
    Some(adl_key(market, side, rank, owner))
}

/// Writes the position (or deletes it when empty), keeps `acct.markets` in step and
/// moves the position's ADL index entry when its side or entry price changed.
/// The caller stores `acct` afterwards.
pub fn store_position<S: State>(
    st: &mut S,
    acct: &mut Account,
    market: u32,
    pos: &Position,
) -> Result<(), StateError> {
    let before: Position = read(st, &position_key(&acct.owner, market))?.unwrap_or_default();
    store_position_over(st, acct, market, &before, pos)
}

/// [`store_position`] when the caller holds what the leaf holds now: `before` is the
/// position it loaded in this action, and nothing has written the leaf since. The hot
/// paths (a taker's order, each maker's fill) hold it anyway, so the leaf is not walked
/// to and decoded a second time. Debug builds (every test) read the leaf and check.
pub fn store_position_over<S: State>(
    st: &mut S,
    acct: &mut Account,
    market: u32,
    before: &Position,
    pos: &Position,
) -> Result<(), StateError> {
    let key = position_key(&acct.owner, market);
    #[cfg(debug_assertions)]
    {
        let stored: Position = read(st, &key)?.unwrap_or_default();
        assert_eq!(
            &stored, before,
            "store_position_over: the leaf changed since it was loaded"
        );
    }
    // A flat isolated position hands its margin back to the cross account (Part 4 §26).
    let returned =
        super::isolated::return_flat_margin(acct, pos).map_err(|reason| StateError::Malformed {
            key,
            reason: reason.into(),
        })?;
    let pos = returned.as_ref().unwrap_or(pos);
    let (old, new) = (
        adl_entry(&acct.owner, market, before),
        adl_entry(&acct.owner, market, pos),
    );
    if old != new {
        if let Some(k) = old {
            st.delete(&k)?;
        }
        if let Some(k) = new {
            st.set(&k, acct.owner.0.to_vec())?;
        }
    }
    acct.set_market(market, !pos.is_empty());
    if pos.is_empty() {
        st.delete(&key)
    } else {
        st.set_record(&key, pos)
    }
}

pub fn load_market<S: State>(st: &mut S, market: u32) -> Result<MarketState, StateError> {
    Ok(read(st, &market_key(market))?.unwrap_or_default())
}

pub fn store_market<S: State>(st: &mut S, market: u32, ms: &MarketState) -> Result<(), StateError> {
    st.set_record(&market_key(market), ms)
}

/// The market's per-signer oracle prices, one slot per genesis signer (a missing leaf reads
/// as `signers` empty slots; a leaf with another slot count is malformed).
pub fn load_oracle_prices<S: State>(
    st: &mut S,
    market: u32,
    signers: usize,
) -> Result<OraclePrices, StateError> {
    let key = oracle_prices_key(market);
    let prices: OraclePrices = read(st, &key)?.unwrap_or_else(|| OraclePrices {
        slots: vec![SignedPrice::default(); signers],
    });
    if prices.slots.len() != signers {
        return Err(StateError::Malformed {
            key,
            reason: format!(
                "{} oracle slots, the genesis names {signers} signers",
                prices.slots.len()
            ),
        });
    }
    Ok(prices)
}

pub fn store_oracle_prices<S: State>(
    st: &mut S,
    market: u32,
    prices: &OraclePrices,
) -> Result<(), StateError> {
    st.set_record(&oracle_prices_key(market), prices)
}

pub fn load_meta<S: State>(st: &mut S) -> Result<Meta, StateError> {
    Ok(read(st, &meta_key())?.unwrap_or_default())
}

pub fn store_meta<S: State>(st: &mut S, meta: &Meta) -> Result<(), StateError> {
    st.set_record(&meta_key(), meta)
}

/// The listing progress of the genesis's `schedules` option schedules (a missing leaf
/// reads as nothing listed; a leaf with another schedule count is malformed).
pub fn load_option_listing<S: State>(
    st: &mut S,
    schedules: usize,
) -> Result<OptionListing, StateError> {
    let key = option_listing_key();
    let listing: OptionListing = read(st, &key)?.unwrap_or_else(|| OptionListing {
        listed: 0,
        pending_expiry_ms: vec![0; schedules],
    });
    if listing.pending_expiry_ms.len() != schedules {
        return Err(StateError::Malformed {
            key,
            reason: format!(
                "{} schedules' progress, the genesis has {schedules} option schedules",
                listing.pending_expiry_ms.len()
            ),
        });
    }
    Ok(listing)
}

pub fn store_option_listing<S: State>(
    st: &mut S,
    listing: &OptionListing,
) -> Result<(), StateError> {
    st.set_record(&option_listing_key(), listing)
}

/// The option series `series_id`, if it was listed.
pub fn load_option_series<S: State>(
    st: &mut S,
    series_id: u32,
) -> Result<Option<OptionSeries>, StateError> {
    read(st, &option_series_key(series_id))
}

pub fn store_option_series<S: State>(
    st: &mut S,
    series_id: u32,
    series: &OptionSeries,
) -> Result<(), StateError> {
    st.set_record(&option_series_key(series_id), series)
}

/// The market's implied volatilities, one slot per genesis signer (a missing leaf reads as
/// `signers` empty slots and no volatility; a leaf with another slot count is malformed).
pub fn load_implied_vols<S: State>(
    st: &mut S,
    market: u32,
    signers: usize,
) -> Result<ImpliedVols, StateError> {
    let key = implied_vol_key(market);
    let vols: ImpliedVols = read(st, &key)?.unwrap_or_else(|| ImpliedVols {
        slots: vec![SignedPrice::default(); signers],
        ..ImpliedVols::default()
    });
    if vols.slots.len() != signers {
        return Err(StateError::Malformed {
            key,
            reason: format!(
                "{} implied-vol slots, the genesis names {signers} signers",
                vols.slots.len()
            ),
        });
    }
    Ok(vols)
}

pub fn store_implied_vols<S: State>(
    st: &mut S,
    market: u32,
    vols: &ImpliedVols,
) -> Result<(), StateError> {
    st.set_record(&implied_vol_key(market), vols)
}
