//! Whole-state invariants, recomputed from scratch by iterating every leaf. Tests run them
//! after every action; they are too expensive for the STF itself. Each named invariant is
//! one function in a table ([`invariant_names`] lists them), and a failure names the invariant that broke.
//!
//! 1. Money: Σ collateral (insurance fund included) + Σ isolated margins + Σ pnl_pool +
//!    fees = deposits − withdrawals, and `meta.total_collateral` = Σ collateral + Σ
//!    isolated margins.
//! 2. Per market: Σ long sizes = Σ short sizes = `long_open_interest`.
//! 3. No collateral is negative: no trader's, and not the insurance fund's (liquidation
//!    hands what the fund cannot cover to auto-deleveraging).
//! 4. Book and index agree one-to-one; `open_orders` counters and the positions' side
//!    totals match the book; every account lists exactly its position leaves; no empty
//!    leaves; the book is not crossed.
//! 5. Withdrawal leaves are dense (ids `0..next_withdrawal_id`) and sum to the total.
//! 6. The ADL index holds exactly one entry per nonzero trader position, at the key its
//!    rank gives; the insolvency markers are counted by `meta.insolvent_accounts`.
//! 7. The dead-man due index holds exactly one entry per scheduled switch, at
//!    `(time, owner)`.
//! 8. The expiry index holds exactly one entry per resting order with a good-till-time,
//!    at `(expiresAt, book key)`, and the client-id leaves are exactly the resting orders'
//!    client ids, each naming its order.
//! 9. The trigger index holds exactly one entry per trigger order, at `(owner, market,
//!    nonce, leg)`, pointing at it; each trigger key's direction and price are its
//!    record's; TP/SL legs exist exactly for the pairs linked from positions' `0x17` leaves.
//! 10. Option series are listed densely on markets with an option schedule.
//! 11. Every stored leverage setting is below its market's maximum (which is stored as no
//!     leaf) and at least 1.
//! 13. Isolated margins (Part 4 §26) are never negative, only in perp markets, and a flat
//!     isolated position holds none (it went back to cross). Invariant 1 counts them
//!     with the collateral.

use super::genesis_state::INSURANCE_FUND;
use super::keys::*;
use super::option_records::{ImpliedVols, OptionListing, OptionSeries};
use super::records::{
    Account, AgentApproval, BookOrder, DeadManSwitch, LeverageSetting, MarketState, Meta, NonceSet,
    OraclePrices, Position, SideTotals, TpSlLink, TriggerRecord, Withdrawal,
};
use super::storage::decode_at;
use crate::genesis::Genesis;
use crate::options::schedule::SERIES_ID_BASE;
use crate::primitives::Address;
use crate::state::{Key, MapState};
use std::collections::BTreeMap;

/// Which invariant failed, and how (the numbers that disagree).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invariant {invariant} violated: {detail}")]
pub struct InvariantViolation {
    /// One of [`invariant_names`] (or `well-formed-leaves` when a leaf does not decode).
    pub invariant: &'static str,
    pub detail: String,
}

/// The name of the check that every leaf decodes under its key and the meta leaf exists.
pub const WELL_FORMED_LEAVES: &str = "well-formed-leaves";

fn fail<T>(msg: String) -> Result<T, InvariantViolation> {
    Err(InvariantViolation {
        invariant: WELL_FORMED_LEAVES,
        detail: msg,
    })
}

/// One invariant: a check over the decoded leaves that says what disagrees.
type Check = fn(&Genesis, &Leaves, &Meta) -> Result<(), String>;

/// Every invariant, run in this order by [`check_invariants`].
const INVARIANTS: [(&str, Check); 17] = [
    ("money-conserved", money_conserved),
    ("total-collateral", total_collateral),
    ("no-trader-owes-collateral", no_trader_owes_collateral),
    ("book-matches-index", book_matches_index),
    ("accounts-match-positions", accounts_match_positions),
    ("markets-match-genesis", markets_match_genesis),
    ("open-interest-balanced", open_interest_balanced),
    ("withdrawals-dense", withdrawals_dense),
    ("fund-solvent", fund_solvent),
    ("adl-index-matches-positions", adl_index_matches_positions),
    (
        "dead-man-index-matches-switches",
        dead_man_index_matches_switches,
    ),
    ("order-terms-match-book", order_terms_match_book),
    (
        "trigger-index-matches-triggers",
        trigger_index_matches_triggers,
    ),
    ("option-series-listed", option_series_listed),
    ("leverage-within-market-range", leverage_within_market_range),
    ("option-expiry-index", option_expiry_index),
    ("isolated-margins", isolated_margins),
];

/// The names of the invariants, in the order they are checked.
pub fn invariant_names() -> [&'static str; INVARIANTS.len()] {
    INVARIANTS.map(|(name, _)| name)
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
    /// ADL index key → the owner it names.
    adl: BTreeMap<Key, Address>,
    /// Insolvency marker key → the owner it names.
    insolvent: BTreeMap<Key, Address>,
    /// Dead-man schedule leaves (owner → time) and due-index entries (key → owner).
    dead_men: BTreeMap<Address, u64>,
    dead_man_due: BTreeMap<Key, Address>,
    /// Expiry-index entries (key → owner) and client-id leaves (key → value).
    order_expiry: BTreeMap<Key, Address>,
    client_ids: BTreeMap<Key, Vec<u8>>,
    /// Trigger-book leaves, trigger index entries (key → trigger key) and TP/SL links.
    triggers: BTreeMap<Key, TriggerRecord>,
    trigger_index: BTreeMap<Key, Key>,
    tp_sl: BTreeMap<Key, TpSlLink>,
    /// Each account's trigger count leaf: owner → count.
    trigger_counts: BTreeMap<Address, u32>,
    /// Option series by id, and the listing progress leaf.
    option_series: BTreeMap<u32, OptionSeries>,
    option_listing: Option<OptionListing>,
    /// Leverage settings (`0x1b`).
    leverage: Vec<LeverageSetting>,
    /// Option expiry-index entries: (expiry, series id) → the id the value names.
    option_expiry: BTreeMap<(u64, u32), Vec<u8>>,
}

/// A 20-byte address value (ADL index entries and insolvency markers).
fn address_value(key: &Key, bytes: &[u8]) -> Result<Address, InvariantViolation> {
    match <[u8; 20]>::try_from(bytes) {
        Ok(a) => Ok(Address(a)),
        Err(_) => fail(format!("value at {key} is not a 20-byte address")),
    }
}

fn collect<'a, V: AsRef<[u8]> + 'a>(
    entries: impl IntoIterator<Item = (&'a Key, V)>,
) -> Result<Leaves, InvariantViolation> {
    let mut l = Leaves::default();
    for (key, value) in entries {
        let bytes = value.as_ref();
        let bad = |e: crate::state::StateError| InvariantViolation {
            invariant: WELL_FORMED_LEAVES,
            detail: e.to_string(),
        };
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
                let Ok(target) = <[u8; 32]>::try_from(bytes) else {
                    return fail(format!("index value at {key} is not 32 bytes"));
                };
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
            KIND_ADL_INDEX => {
                l.adl.insert(*key, address_value(key, bytes)?);
            }
            KIND_INSOLVENT => {
                l.insolvent.insert(*key, address_value(key, bytes)?);
            }
            KIND_AGENT => {
                let a: AgentApproval = decode_at(key, bytes).map_err(bad)?;
                if agent_key(&a.owner, &a.agent) != *key {
                    return fail(format!(
                        "agent leaf {key} names {} for {}",
                        a.agent, a.owner
                    ));
                }
            }
            KIND_DEAD_MAN => {
                let d: DeadManSwitch = decode_at(key, bytes).map_err(bad)?;
                if dead_man_key(&d.owner) != *key {
                    return fail(format!("dead-man leaf {key} names {}", d.owner));
                }
                l.dead_men.insert(d.owner, d.time_ms);
            }
            KIND_DEAD_MAN_DUE => {
                l.dead_man_due.insert(*key, address_value(key, bytes)?);
            }
            KIND_ORDER_EXPIRY => {
                l.order_expiry.insert(*key, address_value(key, bytes)?);
            }
            KIND_CLIENT_ID => {
                l.client_ids.insert(*key, bytes.to_vec());
            }
            KIND_TRIGGER_BOOK => {
                l.triggers.insert(*key, decode_at(key, bytes).map_err(bad)?);
            }
            KIND_TRIGGER_INDEX => {
                let Ok(target) = <[u8; 32]>::try_from(bytes) else {
                    return fail(format!("trigger index value at {key} is not 32 bytes"));
                };
                l.trigger_index
                    .insert(*key, crate::primitives::H256(target));
            }
            KIND_TP_SL => {
                let link: TpSlLink = decode_at(key, bytes).map_err(bad)?;
                if tp_sl_key(&link.owner, link.market) != *key {
                    return fail(format!("TP/SL leaf {key} names {}", link.owner));
                }
                l.tp_sl.insert(*key, link);
            }
            KIND_TRIGGER_COUNT => {
                let (owner, count) = super::triggers::decode_count(key, bytes).map_err(bad)?;
                if trigger_count_key(&owner) != *key {
                    return fail(format!("trigger count leaf {key} names {owner}"));
                }
                l.trigger_counts.insert(owner, count);
            }
            KIND_LEVERAGE => {
                let setting: LeverageSetting = decode_at(key, bytes).map_err(bad)?;
                if leverage_key(&setting.owner, setting.market) != *key {
                    return fail(format!("leverage leaf {key} names {}", setting.owner));
                }
                l.leverage.push(setting);
            }
            KIND_ORACLE_PRICES => {
                let id = u32::from_be_bytes(key.0[1..5].try_into().expect("4 bytes"));
                if oracle_prices_key(id) != *key {
                    return fail(format!("malformed oracle prices key {key}"));
                }
                decode_at::<OraclePrices>(key, bytes).map_err(bad)?;
            }
            KIND_OPTION_SERIES => {
                let id = option_series_id(key);
                if option_series_key(id) != *key {
                    return fail(format!("malformed option series key {key}"));
                }
                l.option_series
                    .insert(id, decode_at(key, bytes).map_err(bad)?);
            }
            KIND_IMPLIED_VOL => {
                let id = u32::from_be_bytes(key.0[1..5].try_into().expect("4 bytes"));
                if implied_vol_key(id) != *key {
                    return fail(format!("malformed implied vol key {key}"));
                }
                decode_at::<ImpliedVols>(key, bytes).map_err(bad)?;
            }
            KIND_OPTION_EXPIRY => {
                let (expiry, id) = parse_option_expiry_key(key);
                if option_expiry_key(expiry, id) != *key {
                    return fail(format!("malformed option expiry key {key}"));
                }
                l.option_expiry.insert((expiry, id), bytes.to_vec());
            }
            KIND_OPTION_LISTING if *key == option_listing_key() => {
                l.option_listing = Some(decode_at(key, bytes).map_err(bad)?);
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
    for (invariant, check) in INVARIANTS {
        check(genesis, &l, meta).map_err(|detail| InvariantViolation { invariant, detail })?;
    }
    Ok(())
}

/// Every option series was listed by its market's schedule: its id is below the listing
/// counter (ids are dense from `SERIES_ID_BASE`), its market has a schedule, and the
/// listing leaf has one entry per schedule.
fn option_series_listed(genesis: &Genesis, l: &Leaves, _: &Meta) -> Result<(), String> {
    let listed = l.option_listing.as_ref().map_or(0, |x| x.listed);
    if let Some(x) = &l.option_listing
        && x.pending_expiry_ms.len() != genesis.options.len()
    {
        return Err(format!(
            "listing leaf has {} schedules, genesis {}",
            x.pending_expiry_ms.len(),
            genesis.options.len()
        ));
    }
    if l.option_series.len() != listed as usize {
        return Err(format!(
            "{} series leaves, {listed} listed",
            l.option_series.len()
        ));
    }
    for (id, series) in &l.option_series {
        if id.checked_sub(SERIES_ID_BASE).is_none_or(|n| n >= listed) {
            return Err(format!("series {id} is outside the {listed} listed ids"));
        }
        if genesis.option_schedule(series.market).is_none() {
            return Err(format!(
                "series {id} is on market {}, which has no option schedule",
                series.market
            ));
        }
    }
    Ok(())
}

/// The option expiry index holds exactly the series that have not finished settling: every
/// series without a settlement price has its entry at (expiry, id) naming it, every entry
/// names a listed series with that expiry, and orders, positions and market leaves exist
/// only in series with an entry (Part 8 §13).
fn option_expiry_index(_: &Genesis, l: &Leaves, _: &Meta) -> Result<(), String> {
    for ((expiry, id), value) in &l.option_expiry {
        match l.option_series.get(id) {
            Some(s) if s.expiry_ms == *expiry && value[..] == id.to_be_bytes() => {}
            _ => {
                return Err(format!(
                    "expiry entry ({expiry}, {id}) names no such series"
                ));
            }
        }
    }
    let open = |id: &u32| {
        l.option_series
            .get(id)
            .is_some_and(|s| l.option_expiry.contains_key(&(s.expiry_ms, *id)))
    };
    if let Some((id, _)) = l
        .option_series
        .iter()
        .find(|(id, s)| s.settlement_price == 0 && !open(id))
    {
        return Err(format!("series {id} is unsettled but has no expiry entry"));
    }
    let in_use = l
        .markets
        .keys()
        .chain(l.orders.iter().map(|o| &o.1))
        .chain(l.accounts.values().flat_map(|a| a.markets.iter()));
    for id in in_use.filter(|id| **id >= SERIES_ID_BASE) {
        if !open(id) {
            return Err(format!("series {id} is in use after it finished settling"));
        }
    }
    Ok(())
}

/// Σ collateral (insurance fund included) + Σ pnl_pool + fees = deposits − withdrawals.
/// Every stored leverage is in `1..max` for a genesis market (the maximum is stored as no
/// leaf, docs/PROTOCOL.md Part 4 §22).
fn leverage_within_market_range(genesis: &Genesis, l: &Leaves, _: &Meta) -> Result<(), String> {
    for s in &l.leverage {
        let Some(params) = genesis.market(s.market) else {
            return Err(format!(
                "{} has leverage in unknown market {}",
                s.owner, s.market
            ));
        };
        let max = super::leverage::max_leverage(params);
        if s.leverage == 0 || s.leverage >= max {
            return Err(format!(
                "{} has leverage {}x stored in market {} (stored range 1..{max})",
                s.owner, s.leverage, s.market
            ));
        }
    }
    Ok(())
}

/// Σ isolated margins over every position leaf (Part 4 §26).
fn isolated_sum(l: &Leaves) -> i128 {
    l.positions.values().filter_map(|p| p.isolated).sum()
}

/// Every isolated margin is ≥ 0, in a perp market of genesis, and 0 on a flat position.
fn isolated_margins(genesis: &Genesis, l: &Leaves, _: &Meta) -> Result<(), String> {
    for a in l.accounts.values() {
        for &m in &a.markets {
            let Some(p) = l.positions.get(&position_key(&a.owner, m)) else {
                continue;
            };
            let Some(margin) = p.isolated else {
                continue;
            };
            if margin < 0 || genesis.market(m).is_none() || (p.is_flat() && margin != 0) {
                return Err(format!(
                    "{} holds isolated margin {margin} in market {m} (size {}, {} orders)",
                    a.owner, p.size, p.open_orders
                ));
            }
        }
    }
    Ok(())
}

fn money_conserved(_: &Genesis, l: &Leaves, meta: &Meta) -> Result<(), String> {
    let collateral: i128 =
        l.accounts.values().map(|a| a.collateral).sum::<i128>() + isolated_sum(l);
    let pools: i128 = l.markets.values().map(|m| m.pnl_pool).sum();
    let net = meta.total_deposits as i128 - meta.total_withdrawals as i128;
    if collateral + pools + meta.fees != net {
        return Err(format!(
            "Σ collateral {collateral} + Σ pnl_pool {pools} + fees {} ≠ deposits − withdrawals {net}",
            meta.fees
        ));
    }
    Ok(())
}

/// `meta.total_collateral` = Σ collateral.
fn total_collateral(_: &Genesis, l: &Leaves, meta: &Meta) -> Result<(), String> {
    let collateral: i128 =
        l.accounts.values().map(|a| a.collateral).sum::<i128>() + isolated_sum(l);
    if meta.total_collateral != collateral {
        return Err(format!(
            "meta.total_collateral {} ≠ Σ collateral {collateral}",
            meta.total_collateral
        ));
    }
    Ok(())
}

/// No trader's collateral is negative (the fund's: `fund_solvent`).
fn no_trader_owes_collateral(_: &Genesis, l: &Leaves, _: &Meta) -> Result<(), String> {
    match l
        .accounts
        .values()
        .find(|a| a.owner != INSURANCE_FUND && a.collateral < 0)
    {
        Some(a) => Err(format!(
            "account {} has negative collateral {}",
            a.owner, a.collateral
        )),
        None => Ok(()),
    }
}

/// The insurance fund's collateral is never negative.
fn fund_solvent(_: &Genesis, l: &Leaves, _: &Meta) -> Result<(), String> {
    match l.accounts.get(&INSURANCE_FUND) {
        Some(f) if f.collateral < 0 => Err(format!(
            "the insurance fund has negative collateral {}",
            f.collateral
        )),
        _ => Ok(()),
    }
}

/// The ADL index is exactly the nonzero trader positions at their ranked keys, and the
/// insolvency markers are well keyed and counted by the meta leaf.
fn adl_index_matches_positions(_: &Genesis, l: &Leaves, meta: &Meta) -> Result<(), String> {
    let mut expected = BTreeMap::new();
    for a in l.accounts.values().filter(|a| a.owner != INSURANCE_FUND) {
        for &m in &a.markets {
            let Some(p) = l.positions.get(&position_key(&a.owner, m)) else {
                continue;
            };
            if p.size != 0 {
                let (side, rank) = super::storage::adl_rank(p);
                expected.insert(adl_key(m, side, rank, &a.owner), a.owner);
            }
        }
    }
    if expected != l.adl {
        return Err(format!(
            "{} ADL index entries, {} nonzero trader positions (or keys differ)",
            l.adl.len(),
            expected.len()
        ));
    }
    if let Some((k, owner)) = l.insolvent.iter().find(|(k, o)| insolvent_key(o) != **k) {
        return Err(format!("insolvency marker {k} names {owner}"));
    }
    if l.insolvent.len() != meta.insolvent_accounts as usize {
        return Err(format!(
            "{} insolvency markers, meta counts {}",
            l.insolvent.len(),
            meta.insolvent_accounts
        ));
    }
    Ok(())
}

/// The due index is exactly the scheduled switches at their `(time, owner)` keys.
fn dead_man_index_matches_switches(_: &Genesis, l: &Leaves, _: &Meta) -> Result<(), String> {
    let expected: BTreeMap<Key, Address> = l
        .dead_men
        .iter()
        .map(|(owner, time)| (dead_man_due_key(*time, owner), *owner))
        .collect();
    if expected != l.dead_man_due {
        return Err(format!(
            "{} dead-man due entries for {} scheduled switches (or keys differ)",
            l.dead_man_due.len(),
            expected.len()
        ));
    }
    Ok(())
}

/// The expiry entries and client-id leaves are exactly those of the resting orders' terms.
fn order_terms_match_book(_: &Genesis, l: &Leaves, _: &Meta) -> Result<(), String> {
    let mut expiry = BTreeMap::new();
    let mut client_ids = BTreeMap::new();
    for (key, market, _, _, _, o) in &l.orders {
        if o.expires_at_ms != 0 {
            expiry.insert(order_expiry_key(o.expires_at_ms, key), o.account);
        }
        if o.client_id != 0 {
            let mut id = o.account.0.to_vec();
            id.extend_from_slice(&market.to_be_bytes());
            id.extend_from_slice(&o.nonce.to_be_bytes());
            client_ids.insert(client_id_key(&o.account, o.client_id), id);
        }
    }
    if expiry != l.order_expiry {
        return Err(format!(
            "{} expiry entries for {} orders with a good-till-time (or keys differ)",
            l.order_expiry.len(),
            expiry.len()
        ));
    }
    if client_ids != l.client_ids {
        return Err(format!(
            "{} client-id leaves for {} orders with a client id (or values differ)",
            l.client_ids.len(),
            client_ids.len()
        ));
    }
    Ok(())
}
/// The trigger index is exactly one entry per trigger order, each trigger key agrees with
/// its record, the TP/SL legs are exactly those of the linked pairs, and each account's
/// trigger count is its number of waiting trigger orders, at most the cap.
fn trigger_index_matches_triggers(_: &Genesis, l: &Leaves, _: &Meta) -> Result<(), String> {
    let mut expected = BTreeMap::new();
    let mut legs = BTreeMap::new();
    for (key, r) in &l.triggers {
        let Some((market, dir, price, _)) = parse_trigger_key(key) else {
            return Err(format!("malformed trigger key {key}"));
        };
        if price != r.trigger_price || dir != super::triggers::direction(r.kind, r.is_buy) {
            return Err(format!(
                "trigger key {key} says price {price} direction {dir}, its order {} {:?}",
                r.trigger_price, r.kind
            ));
        }
        expected.insert(trigger_index_key(&r.owner, market, r.nonce, r.leg), *key);
        if r.leg != super::records::LEG_ORDER {
            *legs.entry(tp_sl_key(&r.owner, market)).or_insert(0u32) += 1;
            let linked = l.tp_sl.get(&tp_sl_key(&r.owner, market));
            if linked.is_none_or(|link| link.nonce != r.nonce) {
                return Err(format!("TP/SL leg {key} has no link to its pair"));
            }
        }
    }
    if expected != l.trigger_index {
        return Err(format!(
            "{} trigger index entries for {} trigger orders (or keys differ)",
            l.trigger_index.len(),
            expected.len()
        ));
    }
    if let Some(key) = l.tp_sl.keys().find(|k| !legs.contains_key(*k)) {
        return Err(format!("TP/SL link {key} has no legs"));
    }
    let mut counts: BTreeMap<Address, u32> = BTreeMap::new();
    for r in l.triggers.values() {
        *counts.entry(r.owner).or_insert(0) += 1;
    }
    if counts != l.trigger_counts {
        return Err(format!(
            "trigger counts {:?} but waiting trigger orders {counts:?}",
            l.trigger_counts
        ));
    }
    let cap = super::triggers::MAX_TRIGGER_ORDERS;
    if let Some((owner, n)) = counts.iter().find(|(_, n)| **n > cap) {
        return Err(format!(
            "{owner} has {n} trigger orders waiting, over the cap {cap}"
        ));
    }
    Ok(())
}

/// Every resting order is well formed and has exactly one index entry pointing at it.
fn book_matches_index(genesis: &Genesis, l: &Leaves, _: &Meta) -> Result<(), String> {
    for (key, market, _, price, seq, o) in &l.orders {
        let lot_size = match (genesis.market(*market), l.option_series.get(market)) {
            (Some(params), _) => params.lot_size,
            (None, Some(series)) => genesis.market(series.market).map_or(1, |p| p.lot_size),
            (None, None) => return Err(format!("order {key} in unknown market")),
        };
        if o.price != *price || o.remaining == 0 || o.remaining % lot_size != 0 {
            return Err(format!(
                "order {key} has price {} / remaining {}",
                o.price, o.remaining
            ));
        }
        if *seq >= l.markets.get(market).map_or(0, |m| m.next_seq) {
            return Err(format!("order {key} has a sequence number not yet issued"));
        }
        if l.index.get(&order_index_key(&o.account, *market, o.nonce)) != Some(key) {
            return Err(format!("order {key} has no index entry pointing at it"));
        }
    }
    if l.index.len() != l.orders.len() {
        return Err(format!(
            "{} index entries for {} book orders",
            l.index.len(),
            l.orders.len()
        ));
    }
    Ok(())
}

/// Resting orders per (owner, market), counted from the book.
fn orders_per_position(l: &Leaves) -> BTreeMap<(Address, u32), u32> {
    let mut per: BTreeMap<(Address, u32), u32> = BTreeMap::new();
    for (_, market, _, _, _, o) in &l.orders {
        *per.entry((o.account, *market)).or_default() += 1;
    }
    per
}

/// The (bids, asks) side totals per (owner, market), summed from the book over the
/// orders that are not reduce-only (saturating: a sum that large is a mismatch anyway).
fn totals_per_position(l: &Leaves) -> BTreeMap<(Address, u32), (SideTotals, SideTotals)> {
    let mut per: BTreeMap<(Address, u32), (SideTotals, SideTotals)> = BTreeMap::new();
    for (_, market, side, price, _, o) in l.orders.iter().filter(|o| !o.5.reduce_only) {
        let sides = per.entry((o.account, *market)).or_default();
        let t = if *side == SIDE_BID {
            &mut sides.0
        } else {
            &mut sides.1
        };
        t.size = t.size.saturating_add(o.remaining);
        let notional = u128::from(o.remaining) * u128::from(*price);
        t.notional = t.notional.saturating_add(notional);
    }
    per
}

/// Every account lists exactly its non-empty position leaves, and the open-order counters
/// of accounts and positions match the book.
fn accounts_match_positions(_: &Genesis, l: &Leaves, _: &Meta) -> Result<(), String> {
    let orders_per = orders_per_position(l);
    let totals_per = totals_per_position(l);
    let mut positions_seen = 0usize;
    for a in l.accounts.values() {
        if a.is_empty() {
            return Err(format!("empty account leaf for {}", a.owner));
        }
        let mut open = 0u32;
        for &m in &a.markets {
            let Some(p) = l.positions.get(&position_key(&a.owner, m)) else {
                return Err(format!(
                    "account {} lists market {m} without a position leaf",
                    a.owner
                ));
            };
            positions_seen += 1;
            if p.is_empty() || (p.size == 0 && p.cost != 0) {
                return Err(format!(
                    "position of {} in {m} is empty or has cost without size",
                    a.owner
                ));
            }
            if p.open_orders != orders_per.get(&(a.owner, m)).copied().unwrap_or(0) {
                return Err(format!(
                    "position of {} in {m} counts {} orders",
                    a.owner, p.open_orders
                ));
            }
            let totals = totals_per.get(&(a.owner, m)).copied().unwrap_or_default();
            if (p.bids, p.asks) != totals {
                return Err(format!(
                    "position of {} in {m} has side totals {:?}/{:?}, the book {totals:?}",
                    a.owner, p.bids, p.asks
                ));
            }
            open += p.open_orders;
        }
        if open != a.open_orders {
            return Err(format!(
                "account {} counts {} open orders, positions say {open}",
                a.owner, a.open_orders
            ));
        }
    }
    if positions_seen != l.positions.len() {
        return Err(format!(
            "{} position leaves, {positions_seen} listed by accounts",
            l.positions.len()
        ));
    }
    if orders_per
        .keys()
        .any(|(owner, _)| !l.accounts.contains_key(owner))
    {
        return Err("a resting order belongs to an account without a leaf".into());
    }
    Ok(())
}

/// The market leaves below 2^31 are exactly genesis's markets; those from 2^31 on are
/// listed series that have traded and not finished settling (Part 8 §11, §13).
fn markets_match_genesis(genesis: &Genesis, l: &Leaves, _: &Meta) -> Result<(), String> {
    let mut ids: Vec<u32> = genesis.markets.iter().map(|m| m.id).collect();
    ids.sort_unstable();
    let perps: Vec<u32> = l
        .markets
        .keys()
        .copied()
        .filter(|id| *id < SERIES_ID_BASE)
        .collect();
    if perps != ids {
        return Err("market leaves do not match genesis".into());
    }
    if let Some(id) = l
        .markets
        .keys()
        .find(|id| **id >= SERIES_ID_BASE && !l.option_series.contains_key(id))
    {
        return Err(format!("market leaf for series {id}, which is not listed"));
    }
    Ok(())
}

/// Per market: Σ long sizes = Σ short sizes = `long_open_interest` (for a series being
/// settled, Σ shorts ≤ Σ longs = `long_open_interest`), and the book is not crossed.
fn open_interest_balanced(_: &Genesis, l: &Leaves, _: &Meta) -> Result<(), String> {
    let mut longs: BTreeMap<u32, i128> = BTreeMap::new();
    let mut shorts: BTreeMap<u32, i128> = BTreeMap::new();
    for a in l.accounts.values() {
        for &m in &a.markets {
            if let Some(p) = l.positions.get(&position_key(&a.owner, m)) {
                *longs.entry(m).or_default() += p.size.max(0);
                *shorts.entry(m).or_default() += (-p.size).max(0);
            }
        }
    }
    for (id, ms) in &l.markets {
        let long = longs.get(id).copied().unwrap_or(0);
        let short = shorts.get(id).copied().unwrap_or(0);
        // A series being settled closes its shorts first, then its longs (Part 8 §13).
        let settling = l
            .option_series
            .get(id)
            .is_some_and(|s| s.settlement_price != 0);
        let balanced = if settling {
            short <= long
        } else {
            long == short
        };
        if !balanced || long != i128::from(ms.long_open_interest) {
            return Err(format!(
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
            return Err(format!(
                "market {id} book is crossed: bid {bid} ≥ ask {ask}"
            ));
        }
    }
    Ok(())
}

/// Withdrawal leaves have ids `0..next_withdrawal_id` and sum to the total withdrawn.
fn withdrawals_dense(_: &Genesis, l: &Leaves, meta: &Meta) -> Result<(), String> {
    let total: u128 = l.withdrawals.values().map(|w| u128::from(w.amount)).sum();
    if total != meta.total_withdrawals || l.withdrawals.len() as u64 != meta.next_withdrawal_id {
        return Err(format!(
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
        return Err("withdrawal ids are not dense".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::init_genesis;
    use crate::engine::storage::{load_account, load_meta, store_account, store_meta};

    fn genesis_state() -> (Genesis, MapState) {
        let genesis = Genesis::devnet(1, Address::ZERO, Address([9; 20]));
        let mut state = MapState::default();
        init_genesis(&mut state, &genesis).unwrap();
        check_map_state(&genesis, &state).unwrap();
        (genesis, state)
    }

    #[test]
    fn names_are_unique() {
        let names = invariant_names();
        let unique: std::collections::BTreeSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        assert!(!names.contains(&WELL_FORMED_LEAVES));
    }

    #[test]
    fn a_violation_names_its_invariant_and_the_numbers() {
        // (how the state is broken, the invariant that must report it, a number it shows)
        type Break = fn(&mut MapState);
        let table: [(Break, &str, &str); 4] = [
            (
                |st| {
                    let mut meta = load_meta(st).unwrap();
                    meta.total_deposits += 5;
                    store_meta(st, &meta).unwrap();
                },
                "money-conserved",
                "deposits − withdrawals 5",
            ),
            (
                |st| {
                    let mut meta = load_meta(st).unwrap();
                    meta.total_collateral += 7;
                    store_meta(st, &meta).unwrap();
                },
                "total-collateral",
                "7",
            ),
            (
                |st| {
                    let mut acct = load_account(st, &Address([1; 20])).unwrap();
                    acct.collateral = -3;
                    store_account(st, &acct).unwrap();
                    let mut meta = load_meta(st).unwrap();
                    meta.total_collateral -= 3;
                    meta.fees += 3;
                    store_meta(st, &meta).unwrap();
                },
                "no-trader-owes-collateral",
                "-3",
            ),
            (
                |st| {
                    let mut meta = load_meta(st).unwrap();
                    meta.next_withdrawal_id = 1;
                    store_meta(st, &meta).unwrap();
                },
                "withdrawals-dense",
                "over 0 ids",
            ),
        ];
        for (break_it, invariant, number) in table {
            let (genesis, mut state) = genesis_state();
            break_it(&mut state);
            let err = check_map_state(&genesis, &state).unwrap_err();
            assert_eq!(err.invariant, invariant, "{err}");
            assert!(err.detail.contains(number), "{err}");
            assert!(err.to_string().contains(invariant), "{err}");
        }
    }

    #[test]
    fn a_missing_meta_leaf_is_a_malformed_state() {
        let (genesis, mut state) = genesis_state();
        state.map.remove(&meta_key());
        let err = check_map_state(&genesis, &state).unwrap_err();
        assert_eq!(err.invariant, WELL_FORMED_LEAVES);
    }
}
