//! `ImpliedVolUpdate`s from the genesis oracle signers (docs/PROTOCOL.md Part 8 §10): the
//! same rule as the index (`oracle.rs`, Part 4 §7) applied to volatility. Each signer's
//! latest volatility per market is kept in the `0x12` leaf, and the market's implied
//! volatility is the median of the fresh ones at `t = max(update time, the leaf's time)`,
//! fresh meaning signed within `max_price_age_ms` of `t`.
//!
//! An update is accepted iff a genesis oracle signer signed it (`not_oracle` /
//! `bad_signature` otherwise), the market has an option schedule and the volatility is in
//! `1..=MAX_IMPLIED_VOL_PPM` (`invalid_implied_vol`), and its time is newer than that
//! signer's last for the market (`implied_vol_not_newer`) and not after the batch
//! timestamp (`implied_vol_from_future`).

use super::oracle::{Staleness, median_of_fresh, record_signed, signer_slot};
use super::receipt::{Receipt, Status};
use super::records::SignedPrice;
use super::storage::{load_implied_vols, store_implied_vols};
use super::{BlockContext, Halt, reject, reject_with};
use crate::action::ImpliedVolUpdate;
use crate::genesis::Genesis;
use crate::options::black_scholes::MAX_IMPLIED_VOL_PPM;
use crate::primitives::Address;
use crate::signing::SignatureError;
use crate::state::State;

pub fn implied_vol_update<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    update: &ImpliedVolUpdate,
    signer: &Result<Address, SignatureError>,
) -> Result<Receipt, Halt> {
    let slot = signer_slot(genesis, signer)?;
    if genesis.option_schedule(update.market).is_none() {
        return reject_with(
            Status::InvalidImpliedVol,
            format!("market {} has no option schedule", update.market),
        );
    }
    if update.vol_ppm == 0 || update.vol_ppm > MAX_IMPLIED_VOL_PPM {
        return reject_with(
            Status::InvalidImpliedVol,
            format!("vol_ppm {}", update.vol_ppm),
        );
    }
    let mut vols = load_implied_vols(st, update.market, genesis.oracles.len())?;
    let signed = SignedPrice {
        price: update.vol_ppm,
        timestamp_ms: update.timestamp_ms,
    };
    let refusals = Staleness {
        what: "implied vol",
        not_newer: Status::ImpliedVolNotNewer,
        from_future: Status::ImpliedVolFromFuture,
    };
    record_signed(&mut vols.slots, slot, signed, update.market, ctx, refusals)?;
    let at_ms = update.timestamp_ms.max(vols.timestamp_ms);
    // Never `None`: the time is some kept slot's timestamp, as for the index.
    let Some(vol_ppm) = median_of_fresh(&vols.slots, at_ms, genesis.max_price_age_ms) else {
        return reject(Status::InvalidImpliedVol);
    };
    vols.vol_ppm = vol_ppm;
    vols.timestamp_ms = at_ms;
    store_implied_vols(st, update.market, &vols)?;
    Ok(Receipt::ok())
}
