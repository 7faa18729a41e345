//! Oracle `PriceUpdate`s: the only source of mark prices, and the clock of funding.
//!
//! An update is accepted iff the oracle signed it, the market exists, the price is in
//! `1..=MAX_PRICE`, and its timestamp is newer than the market's last price and not later
//! than the batch timestamp. So a replayed or reordered update is a rejected no-op. On
//! acceptance, funding accrues up to the update's timestamp at the current book premium
//! over the new price, the circuit breaker is updated (`breaker::on_price`, Part 4 §7.1),
//! then the mark price and its timestamp are set.

use super::book::{best_price, side_of};
use super::breaker;
use super::funding::{accrue, premium_bps};
use super::math::MAX_PRICE;
use super::receipt::{Receipt, Status};
use super::storage::{load_market, store_market};
use super::{BlockContext, Halt, reject};
use crate::action::PriceUpdate;
use crate::genesis::Genesis;
use crate::primitives::Address;
use crate::signing::SignatureError;
use crate::state::State;

pub fn price_update<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    update: &PriceUpdate,
    signer: &Result<Address, SignatureError>,
) -> Result<Receipt, Halt> {
    match signer {
        Ok(a) if *a == genesis.oracle => {}
        Ok(a) => {
            return Err(Halt::RejectWith(
                Status::NotOracle,
                format!("signed by {a}, oracle is {}", genesis.oracle),
            ));
        }
        Err(e @ SignatureError::SignerMismatch { .. }) => {
            return Err(Halt::RejectWith(Status::NotOracle, e.to_string()));
        }
        Err(e) => return Err(Halt::RejectWith(Status::BadSignature, e.to_string())),
    }
    let Some(params) = genesis.market(update.market) else {
        return reject(Status::UnknownMarket);
    };
    if update.price == 0 || update.price > MAX_PRICE {
        return reject(Status::InvalidPrice);
    }
    let mut ms = load_market(st, update.market)?;
    if update.timestamp_ms <= ms.price_timestamp_ms {
        return reject(Status::OraclePriceNotNewer);
    }
    if update.timestamp_ms > ctx.timestamp_ms {
        return reject(Status::OraclePriceFromFuture);
    }
    let bid = best_price(st, update.market, side_of(true))?;
    let ask = best_price(st, update.market, side_of(false))?;
    let premium = premium_bps(bid, ask, update.price, genesis.max_funding_premium_bps)?;
    accrue(
        &mut ms,
        update.price,
        premium,
        update.timestamp_ms,
        genesis.funding_period_ms,
    )?;
    breaker::on_price(genesis, params, &mut ms, update.price, update.timestamp_ms);
    ms.mark_price = update.price;
    ms.price_timestamp_ms = update.timestamp_ms;
    store_market(st, update.market, &ms)?;
    Ok(Receipt::ok())
}
