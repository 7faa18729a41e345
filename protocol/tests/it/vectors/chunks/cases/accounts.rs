//! Cases for an account's standing: stale prices, collateral and margin on withdrawals and
//! fills (Part 4 §8, §9 step 11), cancels (§10) and liquidation (§11).

use super::super::world::{ALICE, BOB, BTC, BTC_UNIT, CAROL, DAVE, ETH, T0, T1, USD, World};
use super::orders::reduce_only;
use super::{BTC_50K, Case, MILLION_USD, alice_long, btc_world};
use protocol::action::{Action, TimeInForce::*};
use protocol::engine::{INSURANCE_FUND, Status};

/// With the price older than `max_price_age_ms`, only risk-reducing actions pass.
pub fn stale_price() -> Case {
    let mut w = btc_world(&[ALICE, BOB, CAROL], MILLION_USD);
    alice_long(&mut w, BTC_UNIT);
    w.now = T0 + 60_001;
    let mut case = Case::start(
        &w,
        "stale_price",
        "a stale price: the BTC price is 60,001 ms old (max_price_age_ms = 60,000); alice is \
         long 1 BTC, bob short",
    );
    let tx = w.order_tx(ALICE, BTC, (true, 49_000 * USD, BTC_UNIT), Gtc);
    case.push(Status::StalePrice, "alice's GTC bid", tx);
    let why = "alice's withdrawal: she holds a position in a market with a stale price";
    case.push(Status::StalePrice, why, w.withdraw(ALICE, 1_000 * USD));
    let why = "carol's withdrawal: no position, so staleness does not matter";
    case.push(Status::Ok, why, w.withdraw(CAROL, 1_000 * USD));
    let tx = w.liquidate(BOB, w.address(ALICE), BTC);
    case.push(Status::StalePrice, "bob liquidating alice in BTC", tx);
    let close = w.order(ALICE, BTC, (false, BTC_50K, BTC_UNIT), Ioc);
    let why = "alice's reduce-only IOC sell: accepted with a stale price; no bid, so all cancelled";
    case.push(Status::Ok, why, reduce_only(&w, ALICE, close));
    let why = "a fresh BTC price: the 60,001 ms gap trips the circuit breaker as of T0 + \
               60,000 (stale), resumable at T0 + 90,000";
    case.push(Status::Ok, why, w.price(BTC, BTC_50K));
    let tx = w.order_tx(ALICE, BTC, (true, 49_000 * USD, BTC_UNIT), Gtc);
    let why = "alice's GTC bid again: the breaker holds the market reduce-only for its cool-down";
    case.push(Status::MarketHalted, why, tx);
    let tx = w.order_tx(ALICE, BTC, (false, BTC_50K, BTC_UNIT), Ioc);
    let why = "alice's IOC sell of her 1 BTC (not flagged reduce-only): a close is accepted; no \
               bid, so all cancelled";
    case.push(Status::Ok, why, tx);
    case
}

/// Time-based funding (Part 4 §6): an hour with no price update still accrues, at the
/// first action after it, at the premium sampled after the last one.
pub fn funding_by_time() -> Case {
    let mut w = btc_world(&[ALICE, BOB, CAROL], MILLION_USD);
    alice_long(&mut w, BTC_UNIT);
    let bid = w.order_tx(CAROL, BTC, (true, BTC_50K, BTC_UNIT), Gtc);
    let ask = w.order_tx(CAROL, BTC, (false, BTC_50K + 10 * USD, BTC_UNIT), Gtc);
    w.setup([bid, ask]);
    w.now = T0 + 3_600_000;
    let mut case = Case::start(
        &w,
        "funding_by_time",
        "BTC 50,000 USD signed at T0; alice long 1 BTC, bob short; carol quotes 50,000 / \
         50,010, so the premium sampled after her ask is 1 bp; no price update for an hour \
         (block time T0 + 3,600,000)",
    );
    let close = w.order(ALICE, BTC, (false, BTC_50K, BTC_UNIT / 2), Ioc);
    let why = "alice's reduce-only sell of 0.5 BTC into carol's bid: the hour accrues first \
               (index + 50,000 USD × 1 bp = 5 USD per BTC), alice pays 5 USD of funding";
    case.push(Status::Ok, why, reduce_only(&w, ALICE, close));
    case
}

/// The circuit breaker (Part 4 §7.1): a price move beyond `breaker_move_bps` within the
/// window makes BTC reduce-only; an in-bound price after the cool-down resumes it.
pub fn circuit_breaker() -> Case {
    let mut w = btc_world(&[ALICE, BOB, CAROL], MILLION_USD);
    alice_long(&mut w, BTC_UNIT);
    w.now = T1 + 40_000;
    let mut case = Case::start(
        &w,
        "circuit_breaker",
        "BTC at 50,000 USD signed at T0; alice is long 1 BTC, bob short; carol has no \
         position; block time T1 + 40,000 (breaker: 1,000 bps within 60,000 ms, cool-down \
         30,000 ms)",
    );
    let why = "BTC at 56,000 USD signed at T1: 1,200 bps above the window's 50,000 within \
               1,000 ms trips the breaker";
    case.push(Status::Ok, why, w.price_at(BTC, 56_000 * USD, T1));
    let tx = w.order_tx(CAROL, BTC, (true, 55_000 * USD, BTC_UNIT), Gtc);
    let why = "carol's GTC bid would open a position: refused while reduce-only";
    case.push(Status::MarketHalted, why, tx);
    let tx = w.order_tx(ALICE, BTC, (false, 55_000 * USD, 2 * BTC_UNIT), Ioc);
    let why = "alice's IOC sell of 2 BTC would flip her long 1 BTC into a short: refused";
    case.push(Status::MarketHalted, why, tx);
    let tx = w.order_tx(ALICE, BTC, (false, 57_000 * USD, BTC_UNIT), Gtc);
    let why = "alice's GTC ask of 1 BTC closes her position: rests";
    case.push(Status::Ok, why, tx);
    let why = "BTC at 56,500 USD signed at T1 + 29,999: within the bound, but before the \
               cool-down ends";
    case.push(Status::Ok, why, w.price_at(BTC, 56_500 * USD, T1 + 29_999));
    let tx = w.order_tx(CAROL, BTC, (true, 55_000 * USD, BTC_UNIT), Gtc);
    case.push(
        Status::MarketHalted,
        "carol's GTC bid: still reduce-only",
        tx,
    );
    let why = "BTC at 56,600 USD signed at T1 + 30,000: in bound, cool-down over: resumes";
    case.push(Status::Ok, why, w.price_at(BTC, 56_600 * USD, T1 + 30_000));
    let tx = w.order_tx(CAROL, BTC, (true, 55_000 * USD, BTC_UNIT), Gtc);
    case.push(Status::Ok, "carol's GTC bid: rests", tx);
    case
}

/// Collateral and initial margin on withdrawals and on a taker's fills.
pub fn margin() -> Case {
    let mut w = btc_world(&[ALICE, BOB], MILLION_USD);
    w.fund(&[CAROL], 10_000 * USD);
    let ask = w.order_tx(BOB, BTC, (false, BTC_50K, 20 * BTC_UNIT), Gtc);
    let take = w.order_tx(ALICE, BTC, (true, BTC_50K, 10 * BTC_UNIT), Ioc);
    w.setup([ask, take]);
    w.now = T1;
    let mut case = Case::start(
        &w,
        "margin",
        "alice is long 10 BTC at 50,000 USD (initial margin 50,000 USD) with collateral 999,750 \
         USD; bob's ask has 10 BTC left; carol has 10,000 USD",
    );
    push_withdrawals(&mut w, &mut case);
    let tx = w.order_tx(CAROL, BTC, (true, BTC_50K, 3 * BTC_UNIT), Ioc);
    let why = "carol's IOC buy of 3 BTC: it fills, but needs 15,000 USD of initial margin; the \
               whole order is undone";
    case.push(Status::InsufficientMargin, why, tx);
    let tx = w.order_tx(CAROL, BTC, (true, BTC_50K, BTC_UNIT), Ioc);
    case.push(Status::Ok, "carol's IOC buy of 1 BTC: fills", tx);
    push_resting_margin(&mut w, &mut case);
    case
}

/// carol (long 1 BTC, equity 9,975 USD) rests orders against what they reserve (§8).
fn push_resting_margin(w: &mut World, case: &mut Case) {
    let tx = w.order_tx(CAROL, BTC, (true, 49_000 * USD, BTC_UNIT), Gtc);
    let why = "carol's GTC bid of 1 BTC at 49,000 USD: long 1 plus 1 resting reserves the \
               10,000 USD initial margin of a 2 BTC long, above her 9,975 USD of equity";
    case.push(Status::InsufficientMargin, why, tx);
    let tx = w.order_tx(CAROL, BTC, (true, 49_000 * USD, BTC_UNIT / 2), Gtc);
    let why = "carol's GTC bid of 0.5 BTC at 49,000 USD: reserves 7,500 USD, rests";
    case.push(Status::Ok, why, tx);
    let tx = w.order_tx(CAROL, BTC, (false, 51_000 * USD, 2 * BTC_UNIT), Gtc);
    let why = "carol's GTC ask of 2 BTC at 51,000 USD: its case (a 1 BTC short, 5,000 USD) is \
               below the bids' 7,500 USD, so it rests";
    case.push(Status::Ok, why, tx);
}

/// alice's withdrawals: above her collateral, above her margin, zero, and one that passes.
fn push_withdrawals(w: &mut World, case: &mut Case) {
    let tx = w.withdraw(ALICE, 2 * MILLION_USD);
    let why = "alice withdraws 2,000,000 USD: more than her collateral";
    case.push(Status::InsufficientCollateral, why, tx);
    let tx = w.withdraw(ALICE, 960_000 * USD);
    let why = "alice withdraws 960,000 USD: equity 39,750 USD would be below her initial margin";
    case.push(Status::InsufficientMargin, why, tx);
    case.push(
        Status::ZeroAmount,
        "alice withdraws 0",
        w.withdraw(ALICE, 0),
    );
    let tx = w.withdraw(ALICE, 100_000 * USD);
    case.push(
        Status::Ok,
        "alice withdraws 100,000 USD: withdrawal id 0",
        tx,
    );
}

/// `Cancel` and `CancelAll`.
pub fn cancels() -> Case {
    let mut w = btc_world(&[ALICE], MILLION_USD);
    let first = w.order(ALICE, BTC, (true, 49_000 * USD, BTC_UNIT), Gtc);
    let second = w.order_tx(ALICE, BTC, (true, 48_000 * USD, BTC_UNIT), Gtc);
    w.setup([w.sign(ALICE, Action::Order(first.clone())), second]);
    w.now = T1;
    let mut case = Case::start(
        &w,
        "cancels",
        "cancels: alice rests two BTC bids, nonces 1 and 2",
    );
    let tx = w.cancel(ALICE, BTC, 999);
    case.push(Status::OrderNotFound, "cancel of nonce 999", tx);
    let tx = w.cancel(ALICE, 9, first.nonce);
    case.push(Status::UnknownMarket, "cancel in market 9", tx);
    let tx = w.cancel(ALICE, ETH, first.nonce);
    case.push(
        Status::OrderNotFound,
        "cancel of nonce 1 in ETH: the order is in BTC",
        tx,
    );
    case.push(
        Status::Ok,
        "cancel of nonce 1",
        w.cancel(ALICE, BTC, first.nonce),
    );
    let tx = w.cancel(ALICE, BTC, first.nonce);
    case.push(Status::OrderNotFound, "cancel of nonce 1 again", tx);
    case.push(
        Status::Ok,
        "CancelAll: removes the bid of nonce 2",
        w.cancel_all(ALICE),
    );
    let why = "CancelAll with nothing left: ok, the nonce is consumed";
    case.push(Status::Ok, why, w.cancel_all(ALICE));
    case
}

/// alice long 10 BTC at 50,000 USD with 59,750 USD of collateral and a resting bid.
fn leveraged_alice() -> World {
    let mut w = btc_world(&[BOB, CAROL], MILLION_USD);
    w.fund(&[ALICE], 60_000 * USD);
    alice_long(&mut w, 10 * BTC_UNIT);
    let bid = w.order_tx(ALICE, BTC, (true, 45_000 * USD, BTC_UNIT / 10), Gtc);
    w.setup([bid]);
    w.now = T1;
    w
}

/// Each refusal of `Liquidate`, then a liquidation after the price falls.
pub fn liquidation() -> Case {
    let mut w = leveraged_alice();
    let mut case = Case::start(
        &w,
        "liquidation",
        "liquidation: alice is long 10 BTC at 50,000 USD with 59,750 USD of collateral and a \
         resting bid; bob is short",
    );
    push_liquidation_refusals(&mut w, &mut case);
    let tx = w.price(BTC, 46_000 * USD);
    case.push(Status::Ok, "BTC falls to 46,000 USD", tx);
    let alice = w.address(ALICE);
    let why = "carol liquidates alice: equity 19,750 < maintenance 23,000; her bid is cancelled; \
               no bid for the partial close, so the fund takes all 10 BTC at the mark (the \
               bankruptcy price 44,025 is better for it), fee 4,600 USD";
    case.push(Status::Ok, why, w.liquidate(CAROL, alice, BTC));
    let tx = w.liquidate(CAROL, alice, BTC);
    case.push(Status::NoPosition, "carol liquidates alice again", tx);
    case
}

/// Liquidations of a healthy account, of one without a position, in an unknown market, and
/// of the insurance fund.
fn push_liquidation_refusals(w: &mut World, case: &mut Case) {
    let alice = w.address(ALICE);
    let tx = w.liquidate(CAROL, alice, BTC);
    let why = "carol liquidates alice at 50,000 USD: equity 59,750 ≥ maintenance 25,000";
    case.push(Status::NotLiquidatable, why, tx);
    let tx = w.liquidate(CAROL, w.address(DAVE), BTC);
    let why = "carol liquidates dave, who has no position";
    case.push(Status::NoPosition, why, tx);
    let tx = w.liquidate(CAROL, alice, 9);
    case.push(
        Status::UnknownMarket,
        "carol liquidates alice in market 9",
        tx,
    );
    let tx = w.liquidate(CAROL, INSURANCE_FUND, BTC);
    case.push(
        Status::ReservedAccount,
        "carol liquidates the insurance fund",
        tx,
    );
}

/// A 30 % gap: the book is empty and so is the fund, so a liquidation reaches ADL; alice's
/// other market leaves her below zero equity, which pauses withdrawals until she is
/// liquidated there too.
pub fn liquidation_adl() -> Case {
    let mut w = btc_world(&[BOB, CAROL, DAVE], MILLION_USD);
    w.fund(&[ALICE], 60_000 * USD);
    w.setup([w.price(ETH, 3_000 * USD)]);
    alice_long(&mut w, 10 * BTC_UNIT);
    let ask = w.order_tx(DAVE, ETH, (false, 3_000 * USD, 10_000), Gtc);
    let take = w.order_tx(ALICE, ETH, (true, 3_000 * USD, 10_000), Ioc);
    w.setup([ask, take]);
    w.now = T1;
    let mut case = Case::start(
        &w,
        "liquidation_adl",
        "auto-deleveraging: alice is long 10 BTC at 50,000 USD (from bob) and 10 ETH at 3,000 \
         USD (from dave) with 59,735 USD of collateral; no bids; the insurance fund is empty",
    );
    case.push(
        Status::Ok,
        "BTC gaps to 35,000 USD",
        w.price(BTC, 35_000 * USD),
    );
    case.push(
        Status::Ok,
        "ETH falls to 2,900 USD",
        w.price(ETH, 2_900 * USD),
    );
    let alice = w.address(ALICE);
    let why = "carol liquidates alice in BTC: nothing on the book, the fund covers nothing, so \
               bob's short is deleveraged at the bankruptcy price 44,026.5; alice's collateral \
               ends at 0 and her ETH loss leaves her below zero equity: marked insolvent";
    case.push(Status::Ok, why, w.liquidate(CAROL, alice, BTC));
    let why = "carol's withdrawal: paused while an account is insolvent";
    case.push(
        Status::WithdrawalsPaused,
        why,
        w.withdraw(CAROL, 1_000 * USD),
    );
    let why = "carol liquidates alice in ETH: dave's short is deleveraged at 3,000; alice is \
               flat at zero, the mark is cleared";
    case.push(Status::Ok, why, w.liquidate(CAROL, alice, ETH));
    let why = "carol's withdrawal: paid again";
    case.push(Status::Ok, why, w.withdraw(CAROL, 1_000 * USD));
    case
}
