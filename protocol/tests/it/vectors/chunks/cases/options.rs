//! The `option_listing` case (Part 8 §9): the devnet's BTC-PERP option schedule lists its
//! first expiry (2026-01-01T08:00Z) at the first index update at or after one day before
//! it. An update 1 ms earlier lists nothing; the one at the listing time lists a call and a
//! put at five strikes around the index (50,400 USD → 48,000 … 52,000), series ids
//! 0x80000000 … 0x80000009. The `option_implied_vol` case (Part 8 §10): the oracle
//! signers' implied volatilities, their median, and each refusal. The `option_trading`,
//! `option_settlement` and `option_position_slots` cases (Part 8 §11–§13): a series'
//! book with the premium at the fill, expiry and the settlement sweep, and the 16 position
//! slots perps and series share. The `option_liquidation` case (Part 8 §15): a short
//! call below its maintenance margin bought back through the book's one ask (stage 1, less
//! than its target), the rest closed against the long at the mark (stage 2).

use super::super::world::{ALICE, BOB, BTC, BTC_UNIT, CAROL, ETH, USD, World};
use super::{Case, MILLION_USD, btc_world};
use protocol::action::TimeInForce::{Gtc, Ioc};
use protocol::engine::Status;
use protocol::genesis::{DEVNET_FIRST_EXPIRY_MS, Genesis};
use protocol::options::schedule::SERIES_ID_BASE;

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

/// The at-the-money call (50,000 USD) of the first expiry listed at 50,400 USD: the fifth
/// series (strikes 48,000 … 52,000, a call then a put each).
const CALL_50K: u32 = SERIES_ID_BASE + 4;
/// 1,250 USD of premium per whole BTC.
const PREMIUM: u64 = 1_250 * USD;

/// The world at the first expiry's listing, with its ten series listed.
fn listed_world() -> World {
    let mut w = btc_world(&[ALICE, BOB], MILLION_USD);
    let listing_ms = DEVNET_FIRST_EXPIRY_MS - DAY_MS;
    w.now = listing_ms;
    w.setup([w.price_at(BTC, 50_400 * USD, listing_ms)]);
    w
}

pub fn option_trading() -> Case {
    let mut w = listed_world();
    let mut case = Case::start(
        &w,
        "option_trading",
        "an option series' book (Part 8 §11): bob writes one BTC-20260101-50000-C at 1,250 \
         USD, alice buys it and pays the premium at the fill; an order on an id no series has \
         is refused",
    );
    let ask = w.order_tx(BOB, CALL_50K, (false, PREMIUM, BTC_UNIT), Gtc);
    let why = "bob's ask of one call at 1,250 USD: it reserves the mark (400 USD, intrinsic without a volatility) plus 15 % of the 50,400 index (7,560 USD)";
    case.push(Status::Ok, why, ask);
    let bid = w.order_tx(ALICE, CALL_50K, (true, PREMIUM, BTC_UNIT), Ioc);
    let why = "alice buys it: 1,250 USD of premium moves from alice to bob, with the fees";
    case.push(Status::Ok, why, bid);
    let unlisted = w.order_tx(ALICE, SERIES_ID_BASE + 10, (true, PREMIUM, BTC_UNIT), Gtc);
    let why = "series 0x8000000a is not listed yet";
    case.push(Status::UnknownSeries, why, unlisted);
    case
}

pub fn option_settlement() -> Case {
    let mut w = listed_world();
    let ask = w.order_tx(BOB, CALL_50K, (false, PREMIUM, BTC_UNIT), Gtc);
    let bid = w.order_tx(ALICE, CALL_50K, (true, PREMIUM, BTC_UNIT), Ioc);
    // A bid left resting on the 51,000 call: the sweep removes it.
    let resting = w.order_tx(ALICE, SERIES_ID_BASE + 6, (true, 100_000, 1), Gtc);
    w.setup([ask, bid, resting]);
    w.now = DEVNET_FIRST_EXPIRY_MS;
    let t = w.now;
    let mut case = Case::start(
        &w,
        "option_settlement",
        "expiry (Part 8 §13): at the first expiry the index is 52,000 USD; orders on the \
         expired series are refused, and the sweep at the start of each accepted transaction \
         fixes 52,000 as the settlement price of the ten series, then settles them: bob's \
         short call pays 2,000 USD into the pool, alice's long receives it, alice's resting \
         bid on another series is removed, and each series finishes",
    );
    let index = w.price_at(BTC, 52_000 * USD, t);
    let why = "the index at the expiry (it also lists the next expiry); this transaction's \
               sweep ran before it, with the index still before the expiry, so it waited";
    case.push(Status::Ok, why, index);
    let late = w.order_tx(ALICE, CALL_50K, (true, PREMIUM, BTC_UNIT), Gtc);
    let why = "an order on the expired call: refused (a rejected transaction sweeps nothing)";
    case.push(Status::SeriesExpired, why, late);
    let sweeps = [
        (
            0,
            t - 1,
            "fixes 52,000 on the ten series, then finishes 0x80000000 … 0x80000002 (no orders, no positions)",
        ),
        (
            1,
            t - 1,
            "finishes 0x80000003, then settles the call 0x80000004: bob's short pays 2,000 USD, alice's long receives it, the series finishes",
        ),
        (
            2,
            t - 1,
            "finishes 0x80000005, removes alice's bid on 0x80000006 (reason option_expiry), finishes 0x80000006 and 0x80000007",
        ),
        (
            0,
            t,
            "finishes 0x80000008 and 0x80000009; the next expiry is not due",
        ),
    ];
    for (signer, at, why) in sweeps {
        let vol = w.implied_vol_by(signer, BTC, 800_000, at);
        case.push(
            Status::Ok,
            format!("an implied-vol update whose sweep {why}"),
            vol,
        );
    }
    case
}

pub fn option_liquidation() -> Case {
    let mut w = listed_world();
    w.fund(&[CAROL], 10_800 * USD);
    let ask = w.order_tx(CAROL, CALL_50K, (false, PREMIUM, BTC_UNIT), Gtc);
    let bid = w.order_tx(ALICE, CALL_50K, (true, PREMIUM, BTC_UNIT), Ioc);
    w.setup([ask, bid]);
    w.now += 1_000;
    let mut case = Case::start(
        &w,
        "option_liquidation",
        "liquidating a short option (Part 8 §15): carol wrote one BTC-20260101-50000-C to \
         alice at 1,250 USD and holds 12,049.75 USD; at an index of 54,000 the call's mark is \
         4,000 USD and carol's maintenance 4,000 + 7.5 % of 54,000 = 8,050 USD against an \
         equity of 8,049.75; her target is ⌈4,050.25 × 10^4 / (12,100 − 40)⌉ = 0.3359 BTC, \
         more than the book's 0.1",
    );
    let index = w.price_at(BTC, 54_000 * USD, w.now);
    case.push(Status::Ok, "the index moves to 54,000 USD", index);
    let offer = w.order_tx(ALICE, CALL_50K, (false, 4_000 * USD, BTC_UNIT / 10), Gtc);
    let why = "alice offers 0.1 BTC of her long call at the mark, 4,000 USD";
    case.push(Status::Ok, why, offer);
    let alice = w.address(ALICE);
    let why = "bob liquidates alice's long call: a long needs no margin, so it is never liquidated";
    case.push(
        Status::LongOptionNotLiquidatable,
        why,
        w.liquidate(BOB, alice, CALL_50K),
    );
    let carol = w.address(CAROL);
    let why = "bob liquidates carol's short: stage 1 buys alice's 0.1 back at 4,000 USD \
               through the book (fee 4 USD), short of the 0.3359 target, so stage 2 closes the \
               other 0.9 against alice's long at the mark (carol pays alice 3,600 USD, fee 36); \
               fee 40 USD, 10 to bob and 30 to the fund";
    case.push(Status::Ok, why, w.liquidate(BOB, carol, CALL_50K));
    let why = "bob liquidates carol again: she holds no position in the series";
    case.push(Status::NoPosition, why, w.liquidate(BOB, carol, CALL_50K));
    case
}

/// The devnet genesis with 34 series per expiry (eight strikes each side), enough for one
/// account to reach the 16 positions an account may hold.
pub fn devnet_wide_options() -> Genesis {
    let mut genesis = super::super::world::devnet_genesis();
    genesis.options[0].strikes_each_side = 8;
    genesis
}

pub const WIDE_OPTIONS: &str = "devnet_wide_options";

pub fn option_position_slots() -> Case {
    let mut w = World::on(devnet_wide_options());
    w.fund(&[ALICE], MILLION_USD);
    let listing_ms = DEVNET_FIRST_EXPIRY_MS - DAY_MS;
    w.now = listing_ms;
    w.setup([w.price_at(BTC, 50_400 * USD, listing_ms)]);
    let bids: Vec<_> = (0..16)
        .map(|i| w.order_tx(ALICE, SERIES_ID_BASE + i, (true, 100_000, 1), Gtc))
        .collect();
    w.setup(bids);
    let mut case = Case::start(
        &w,
        "option_position_slots",
        "perps and series share an account's 16 position slots: alice rests a bid in 16 \
         series, so a 17th series is refused",
    );
    case.genesis_name = WIDE_OPTIONS;
    let bid = w.order_tx(ALICE, SERIES_ID_BASE + 16, (true, 100_000, 1), Gtc);
    case.push(Status::TooManyPositions, "a bid in a 17th series", bid);
    case
}
