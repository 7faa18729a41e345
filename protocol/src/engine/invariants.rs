//! Whole-state invariants, recomputed from scratch by iterating every leaf. Tests run them
//! after every action; they are too expensive for the STF itself.
//!
//! 1. Money: Σ collateral (insurance fund included) + Σ pnl_pool + fees
//!    = deposits − withdrawals, and `meta.total_collateral` = Σ collateral.
//! 2. Per market: Σ long sizes = Σ short sizes = `long_open_interest`.
//! 3. No trader's collateral is negative (only the insurance fund's may be).
//! 4. Book and index agree one-to-one; `open_orders` counters match the book; every
//!    account lists exactly its position leaves; no empty leaves; the book is not crossed.
//! 5. Withdrawal leaves are dense (ids `0..next_withdrawal_id`) and sum to the total.

use super::genesis_state::INSURANCE_FUND;
use super::keys::*;
use super::records::{Account, BookOrder, MarketState, Meta, NonceSet, Position, Withdrawal};
use super::storage::decode_at;
use crate::genesis::Genesis;
use crate::primitives::Address;
use crate::state::{Key, MapState};
use std::collections::BTreeMap;

/// Which invariant failed, and how.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invariant violated: {0}")]
pub struct InvariantViolation(pub String);

fn fail<T>(msg: String) -> Result<T, InvariantViolation> {
    Err(InvariantViolation(msg))
}

/// Checks all invariants of a `MapState`.
pub fn check_map_state(genesis: &Genesis, state: &MapState) -> Result<(), InvariantViolation> {
    check_invariants(genesis, state.map.iter())
}

#[derive(Default)]
struct Leaves {
    accounts: BTreeMap<Address, Account>,
    positions: BTreeMap<Key, Position>,
    orders: Vec<(Key, u32, u8, u64, u64, BookOrder)>,
    index: BTreeMap<Key, Key>,
    markets: BTreeMap<u32, MarketState>,
    withdrawals: BTreeMap<u64, Withdrawal>,
    meta: Option<Meta>,
}

fn collect<'a, V: AsRef<[u8]> + 'a>(
    entries: impl IntoIterator<Item = (&'a Key, V)>,
) -> Result<Leaves, InvariantViolation> {
    let mut l = Leaves::default();
    for (key, value) in entries {
        let bytes = value.as_ref();
        let bad = |e: crate::state::StateError| InvariantViolation(e.to_string());
        match key.0[0] {
            KIND_ACCOUNT => {
                let a: Account = decode_at(key, bytes).map_err(bad)?;
                if account_key(&a.owner) != *key {
                    return fail(format!("account leaf {key} names owner {}", a.owner));
                }
                l.accounts.insert(a.owner, a);
            }
            KIND_POSITION => {
                l.positions
                    .insert(*key, decode_at(key, bytes).map_err(bad)?);
            }
            KIND_BOOK_ORDER => {
                let Some((market, side, price, seq)) = parse_book_key(key) else {
                    return fail(format!("malformed book key {key}"));
                };
                l.orders.push((
                    *key,
                    market,
                    side,
                    price,
                    seq,
                    decode_at(key, bytes).map_err(bad)?,
                ));
            }
            KIND_ORDER_INDEX => {
                let target: [u8; 32] = bytes.try_into().map_err(|_| {
                    InvariantViolation(format!("index value at {key} is not 32 bytes"))
                })?;
                l.index.insert(*key, crate::primitives::H256(target));
            }
            KIND_MARKET => {
                let id = u32::from_be_bytes(key.0[1..5].try_into().expect("4 bytes"));
                if market_key(id) != *key {
                    return fail(format!("malformed market key {key}"));
                }
                l.markets.insert(id, decode_at(key, bytes).map_err(bad)?);
            }
            KIND_WITHDRAWAL => {
                let id = u64::from_be_bytes(key.0[1..9].try_into().expect("8 bytes"));
                if withdrawal_key(id) != *key {
                    return fail(format!("malformed withdrawal key {key}"));
                }
                l.withdrawals
                    .insert(id, decode_at(key, bytes).map_err(bad)?);
            }
            KIND_META if *key == meta_key() => l.meta = Some(decode_at(key, bytes).map_err(bad)?),
            KIND_NONCES => {
                decode_at::<NonceSet>(key, bytes).map_err(bad)?;
            }
            _ => return fail(format!("unknown key {key}")),
        }
    }
    Ok(l)
}

/// Checks all invariants over every `(key, value)` leaf of a state.
pub fn check_invariants<'a, V: AsRef<[u8]> + 'a>(
    genesis: &Genesis,
    entries: impl IntoIterator<Item = (&'a Key, V)>,
) -> Result<(), InvariantViolation> {
    let l = collect(entries)?;
    let Some(meta) = &l.meta else {
        return fail("no meta leaf".into());
    };

    // 1. Money.
    let collateral: i128 = l.accounts.values().map(|a| a.collateral).sum();
    let pools: i128 = l.markets.values().map(|m| m.pnl_pool).sum();
    let net = meta.total_deposits as i128 - meta.total_withdrawals as i128;
    if collateral + pools + meta.fees != net {
        return fail(format!(
            "Σ collateral {collateral} + Σ pnl_pool {pools} + fees {} ≠ deposits − withdrawals {net}",
            meta.fees
        ));
    }
    if meta.total_collateral != collateral {
        return fail(format!(
            "meta.total_collateral {} ≠ Σ collateral {collateral}",
            meta.total_collateral
        ));
    }

    // 3. Traders never owe collateral.
    if let Some(a) = l
        .accounts
        .values()
        .find(|a| a.owner != INSURANCE_FUND && a.collateral < 0)
    {
        return fail(format!(
            "account {} has negative collateral {}",
            a.owner, a.collateral
        ));
    }

    // 2 + 4. Positions, counters, open interest.
    let mut orders_per: BTreeMap<(Address, u32), u32> = BTreeMap::new();
    for (key, market, _, price, seq, o) in &l.orders {
        let Some(params) = genesis.market(*market) else {
            return fail(format!("order {key} in unknown market"));
        };
        if o.price != *price || o.remaining == 0 || o.remaining % params.lot_size != 0 {
            return fail(format!(
                "order {key} has price {} / remaining {}",
                o.price, o.remaining
            ));
        }
        if *seq >= l.markets.get(market).map_or(0, |m| m.next_seq) {
            return fail(format!("order {key} has a sequence number not yet issued"));
        }
        if l.index.get(&order_index_key(&o.account, *market, o.nonce)) != Some(key) {
            return fail(format!("order {key} has no index entry pointing at it"));
        }
        *orders_per.entry((o.account, *market)).or_default() += 1;
    }
    if l.index.len() != l.orders.len() {
        return fail(format!(
            "{} index entries for {} book orders",
            l.index.len(),
            l.orders.len()
        ));
    }
    let mut longs: BTreeMap<u32, i128> = BTreeMap::new();
    let mut shorts: BTreeMap<u32, i128> = BTreeMap::new();
    let mut positions_seen = 0usize;
    for a in l.accounts.values() {
        if a.is_empty() {
            return fail(format!("empty account leaf for {}", a.owner));
        }
        let mut open = 0u32;
        for &m in &a.markets {
            let Some(p) = l.positions.get(&position_key(&a.owner, m)) else {
                return fail(format!(
                    "account {} lists market {m} without a position leaf",
                    a.owner
                ));
            };
            positions_seen += 1;
            if p.is_empty() || (p.size == 0 && p.cost != 0) {
                return fail(format!(
                    "position of {} in {m} is empty or has cost without size",
                    a.owner
                ));
            }
            if p.open_orders != orders_per.get(&(a.owner, m)).copied().unwrap_or(0) {
                return fail(format!(
                    "position of {} in {m} counts {} orders",
                    a.owner, p.open_orders
                ));
            }
            open += p.open_orders;
            *longs.entry(m).or_default() += p.size.max(0);
            *shorts.entry(m).or_default() += (-p.size).max(0);
        }
        if open != a.open_orders {
            return fail(format!(
                "account {} counts {} open orders, positions say {open}",
                a.owner, a.open_orders
            ));
        }
    }
    if positions_seen != l.positions.len() {
        return fail(format!(
            "{} position leaves, {positions_seen} listed by accounts",
            l.positions.len()
        ));
    }
    if orders_per
        .keys()
        .any(|(owner, _)| !l.accounts.contains_key(owner))
    {
        return fail("a resting order belongs to an account without a leaf".into());
    }
    let genesis_ids: Vec<u32> = genesis.markets.iter().map(|m| m.id).collect();
    if l.markets.keys().copied().collect::<Vec<_>>() != {
        let mut ids = genesis_ids.clone();
        ids.sort_unstable();
        ids
    } {
        return fail("market leaves do not match genesis".into());
    }
    for (id, ms) in &l.markets {
        let long = longs.get(id).copied().unwrap_or(0);
        let short = shorts.get(id).copied().unwrap_or(0);
        if long != short || long != i128::from(ms.long_open_interest) {
            return fail(format!(
                "market {id}: longs {long}, shorts {short}, open interest {}",
                ms.long_open_interest
            ));
        }
        let best = |side: u8| {
            l.orders
                .iter()
                .find(|o| o.1 == *id && o.2 == side)
                .map(|o| o.3)
        };
        if let (Some(bid), Some(ask)) = (best(SIDE_BID), best(SIDE_ASK))
            && bid >= ask
        {
            return fail(format!(
                "market {id} book is crossed: bid {bid} ≥ ask {ask}"
            ));
        }
    }

    // 5. Withdrawals.
    let total: u128 = l.withdrawals.values().map(|w| u128::from(w.amount)).sum();
    if total != meta.total_withdrawals || l.withdrawals.len() as u64 != meta.next_withdrawal_id {
        return fail(format!(
            "withdrawal leaves sum to {total} over {} ids; meta says {}",
            l.withdrawals.len(),
            meta.total_withdrawals
        ));
    }
    if l.withdrawals
        .keys()
        .next_back()
        .is_some_and(|id| *id >= meta.next_withdrawal_id)
    {
        return fail("withdrawal ids are not dense".into());
    }
    Ok(())
}
