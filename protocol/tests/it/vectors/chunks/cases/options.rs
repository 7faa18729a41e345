//! The `option_listing` case (Part 8 §9): the devnet's BTC-PERP option schedule lists its
//! first expiry (2026-01-01T08:00Z) at the first index update at or after one day before
//! it. An update 1 ms earlier lists nothing; the one at the listing time lists a call and a
//! put at five strikes around the index (50,400 USD → 48,000 … 52,000), series ids
//! 0x80000000 … 0x80000009. The `option_implied_vol` case (Part 8 §10): the oracle
//! signers' implied volatilities, their median, and each refusal.

use super::super::world::{ALICE, BTC, ETH, USD};
use super::{Case, MILLION_USD, btc_world};
use protocol::engine::Status;
use protocol::genesis::DEVNET_FIRST_EXPIRY_MS;

const DAY_MS: u64 = 86_400_000;

pub fn option_listing() -> Case {
    let mut w = btc_world(&[ALICE], MILLION_USD);
    let listing_ms = DEVNET_FIRST_EXPIRY_MS - DAY_MS;
    w.now = listing_ms;
    let mut case = Case::start(
        &w,
        "option_listing",
        "BTC-PERP's option schedule: an index update 1 ms before the first expiry's listing \
         time lists nothing; the next, at the listing time, lists ten series (calls and puts \
         at 48,000 to 52,000 USD)",
    );
    let early = w.price_at(BTC, 50_400 * USD, listing_ms - 1);
    let why = "an index 1 ms before the listing time (expiry − 1 day): no series yet";
    case.push(Status::Ok, why, early);
    let listing = w.price_at(BTC, 50_400 * USD, listing_ms);
    let why = "the index at the listing time: the first expiry lists around 50,400 USD";
    case.push(Status::Ok, why, listing);
    case
}

pub fn option_implied_vol() -> Case {
    let w = btc_world(&[ALICE], MILLION_USD);
    let t = w.now;
    let mut case = Case::start(
        &w,
        "option_implied_vol",
        "implied volatility of BTC-PERP's options from the three devnet oracle signers: the \
         median of the fresh ones; a replay, a future time, an out-of-range volatility and a \
         market without options are refused",
    );
    let cases = [
        (0, BTC, 800_000, t, Status::Ok, "signer 0: 80 %"),
        (
            1,
            BTC,
            900_000,
            t,
            Status::Ok,
            "signer 1: 90 %, the median of two is 85 %",
        ),
        (
            2,
            BTC,
            5_000_000,
            t,
            Status::Ok,
            "signer 2's 500 %: the median of three is 90 %",
        ),
        (
            2,
            BTC,
            700_000,
            t,
            Status::ImpliedVolNotNewer,
            "signer 2 again at the same time",
        ),
        (
            0,
            BTC,
            700_000,
            t + 1,
            Status::ImpliedVolFromFuture,
            "1 ms after the batch time",
        ),
        (
            0,
            BTC,
            5_000_001,
            t - 1,
            Status::InvalidImpliedVol,
            "above 500 %",
        ),
        (
            0,
            ETH,
            800_000,
            t,
            Status::InvalidImpliedVol,
            "ETH-PERP lists no options",
        ),
    ];
    for (signer, market, vol, at, status, why) in cases {
        case.push(status, why, w.implied_vol_by(signer, market, vol, at));
    }
    case
}
