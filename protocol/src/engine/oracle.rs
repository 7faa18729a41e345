//! Oracle `PriceUpdate`s from the genesis oracle signers: each signer's latest price per
//! market is kept (the `0x10` leaf), and the market's index price is the median of the
//! fresh ones (docs/PROTOCOL.md Part 4 §7).
//!
//! An update is accepted iff one of the genesis signers signed it, the market exists, the
//! price is in `1..=MAX_PRICE`, and its timestamp is newer than that signer's last price
//! for the market and not later than the batch timestamp. So a replayed or reordered
//! update is a rejected no-op. On acceptance the signer's slot is overwritten and the index
//! is taken at `t = max(update time, the index's time)`: the median of the slots signed
//! within `max_price_age_ms` of `t`. Then funding accrues up to `t` at the premium held
//! since the last action (§6), the circuit breaker sees the index (`breaker::on_price`,
//! §7.1), the index and its timestamp become the median and `t`, and the book premium and
//! the robust mark are sampled against the new index (`mark`, §23). Last, the market's option schedule (if any) lists
//! the expiry that is due at `t` around the new index (`option_listing`, Part 8 §9), and the
//! trigger orders the new mark reaches fire (`triggers`, §21).

use super::breaker;
use super::funding::accrue;
use super::mark;
use super::math::MAX_PRICE;
use super::option_listing;
use super::receipt::{Receipt, Status};
use super::records::{MarketState, SignedPrice};
use super::storage::{load_market, load_oracle_prices, store_market, store_oracle_prices};
use super::triggers;
use super::{BlockContext, Halt, reject, reject_with};
use crate::action::PriceUpdate;
use crate::genesis::Genesis;
use crate::primitives::Address;
use crate::signing::SignatureError;
use crate::state::State;

/// What a signed oracle value is called in refusals, and the statuses of one that is not
/// newer than its signer's last for the market, or later than the batch timestamp.
pub(super) struct Staleness {
    pub what: &'static str,
    pub not_newer: Status,
    pub from_future: Status,
}

/// Puts one oracle signer's `signed` value for `market` in its slot, after the two checks
/// every signed oracle value passes (prices, Part 4 §7, and implied volatilities, Part 8
/// §10): newer than the slot's last, and not later than the batch timestamp.
pub(super) fn record_signed(
    slots: &mut [SignedPrice],
    slot: usize,
    signed: SignedPrice,
    market: u32,
    ctx: &BlockContext,
    refusals: Staleness,
) -> Result<(), Halt> {
    let last_ms = slots[slot].timestamp_ms;
    if signed.timestamp_ms <= last_ms {
        let what = refusals.what;
        return reject_with(
            refusals.not_newer,
            format!("this signer's last {what} for market {market} was signed at {last_ms}"),
        );
    }
    if signed.timestamp_ms > ctx.timestamp_ms {
        return reject(refusals.from_future);
    }
    slots[slot] = signed;
    Ok(())
}

pub fn price_update<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    update: &PriceUpdate,
    signer: &Result<Address, SignatureError>,
) -> Result<Receipt, Halt> {
    let slot = signer_slot(genesis, signer)?;
    if genesis.market(update.market).is_none() {
        return reject(Status::UnknownMarket);
    }
    if update.price == 0 || update.price > MAX_PRICE {
        return reject(Status::InvalidPrice);
    }
    let mut prices = load_oracle_prices(st, update.market, genesis.oracles.len())?;
    let signed = SignedPrice {
        price: update.price,
        timestamp_ms: update.timestamp_ms,
    };
    let refusals = Staleness {
        what: "price",
        not_newer: Status::OraclePriceNotNewer,
        from_future: Status::OraclePriceFromFuture,
    };
    record_signed(
        &mut prices.slots,
        slot,
        signed,
        update.market,
        ctx,
        refusals,
    )?;
    store_oracle_prices(st, update.market, &prices)?;
    let mut ms = load_market(st, update.market)?;
    let at_ms = update.timestamp_ms.max(ms.price_timestamp_ms);
    // Never `None`: the index time is some kept slot's timestamp (Part 4 §7).
    let Some(index) = median_of_fresh(&prices.slots, at_ms, genesis.max_price_age_ms) else {
        return reject(Status::InvalidPrice);
    };
    set_index(st, genesis, update.market, &mut ms, index, at_ms)?;
    option_listing::on_index(st, genesis, update.market, index, at_ms)?;
    let mut receipt = Receipt::ok();
    triggers::fire_due(st, genesis, ctx, update.market, &mut receipt)?;
    Ok(receipt)
}

/// The signer's slot among the genesis oracle signers, or the refusal: a valid signature
/// by any other key is `not_oracle`, an invalid one `bad_signature`.
pub(crate) fn signer_slot(
    genesis: &Genesis,
    signer: &Result<Address, SignatureError>,
) -> Result<usize, Halt> {
    let recovered = match signer {
        Ok(a) => *a,
        Err(SignatureError::SignerMismatch { recovered, .. }) => *recovered,
        Err(e) => return Err(Halt::RejectWith(Status::BadSignature, e.to_string())),
    };
    genesis.oracle_slot(&recovered).ok_or_else(|| {
        Halt::RejectWith(
            Status::NotOracle,
            format!(
                "signed by {recovered}, which is not one of the {} genesis oracle signers",
                genesis.oracles.len()
            ),
        )
    })
}

/// Accrues funding up to `at_ms` at the held premium, updates the breaker, makes `index`
/// the market's index as of `at_ms`, and samples the premium and the mark over it.
fn set_index<S: State>(
    st: &mut S,
    genesis: &Genesis,
    market: u32,
    ms: &mut MarketState,
    index: u64,
    at_ms: u64,
) -> Result<(), Halt> {
    let Some(params) = genesis.market(market) else {
        return reject(Status::UnknownMarket);
    };
    accrue(ms, at_ms, genesis.funding_period_ms)?;
    breaker::on_price(genesis, params, ms, index, at_ms);
    ms.index_price = index;
    ms.price_timestamp_ms = at_ms;
    mark::sample(st, params, ms, genesis.max_funding_premium_bps)?;
    store_market(st, market, ms)?;
    Ok(())
}

/// The median of the slots that hold a price signed within `max_age_ms` before `at_ms`
/// (`at_ms − timestamp ≤ max_age_ms`, saturating); `None` when no slot is fresh. With an
/// even count it is the mean of the two middle prices, rounded down: `a + (b − a) / 2`
/// for `a ≤ b`, so it never overflows and never leaves `[a, b]`.
pub fn median_of_fresh(slots: &[SignedPrice], at_ms: u64, max_age_ms: u64) -> Option<u64> {
    let mut fresh: Vec<u64> = slots
        .iter()
        .filter(|s| s.price != 0 && at_ms.saturating_sub(s.timestamp_ms) <= max_age_ms)
        .map(|s| s.price)
        .collect();
    fresh.sort_unstable();
    let n = fresh.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(fresh[n / 2]),
        _ => {
            let (a, b) = (fresh[n / 2 - 1], fresh[n / 2]);
            Some(a + (b - a) / 2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(price: u64, timestamp_ms: u64) -> SignedPrice {
        SignedPrice {
            price,
            timestamp_ms,
        }
    }

    /// Odd and even counts, empty slots, stale slots, and the no-fresh case.
    #[test]
    fn the_median_of_the_fresh_slots() {
        let none = SignedPrice::default();
        let table: &[(&[SignedPrice], Option<u64>)] = &[
            (&[slot(100, 1_000)], Some(100)),
            // One outlier among three does not move it.
            (
                &[slot(100, 1_000), slot(1_000_000, 1_000), slot(101, 990)],
                Some(101),
            ),
            (
                &[slot(100, 1_000), slot(1, 1_000), slot(101, 990)],
                Some(100),
            ),
            // Even: the mean of the middle two, rounded down.
            (&[slot(100, 1_000), slot(103, 1_000)], Some(101)),
            (
                &[slot(u64::MAX, 1_000), slot(u64::MAX - 1, 1_000)],
                Some(u64::MAX - 1),
            ),
            // Empty slots are skipped.
            (&[none, slot(100, 1_000), none], Some(100)),
            // A slot exactly max_age old is fresh; one ms older is not.
            (
                &[slot(100, 1_000), slot(500, 400), slot(900, 399)],
                Some(300),
            ),
            (&[slot(100, 399), none], None),
        ];
        for (i, (slots, want)) in table.iter().enumerate() {
            assert_eq!(median_of_fresh(slots, 1_000, 600), *want, "row {i}");
        }
    }
}
