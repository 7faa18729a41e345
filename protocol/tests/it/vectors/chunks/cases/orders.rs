//! Cases for orders (Part 4 §9): every validation step, the lot size and an arithmetic
//! overflow on variants of the devnet genesis, and the open-interest cap.

use super::super::world::{
    ALICE, BOB, BTC, BTC_UNIT, CAROL, DAVE, ERIN, ETH, T1, USD, World, devnet_genesis,
};
use super::{BTC_50K, Case, MILLION_USD, alice_long, btc_world};
use protocol::action::{Action, Order, TimeInForce, TimeInForce::*};
use protocol::engine::Status;
use protocol::engine::math::MAX_PRICE;
use protocol::genesis::{Genesis, MarketParams};

/// Every order check of steps 1–7 and 9, in check order, then two fills.
pub fn order_checks() -> Case {
    let mut w = btc_world(&[ALICE, BOB, CAROL, DAVE], MILLION_USD);
    let bids: Vec<_> = (0..64)
        .map(|i| w.order_tx(DAVE, BTC, (true, (45_000 + i) * USD, 1), Gtc))
        .collect();
    w.setup(bids);
    w.now = T1;
    let mut case = Case::start(
        &w,
        "order_checks",
        "order validation (Part 4 §9): BTC at 50,000 USD, ETH without a price, dave has 64 \
         resting bids",
    );
    push_message_checks(&mut w, &mut case);
    push_book_checks(&mut w, &mut case);
    case
}

/// One order a case signs and pushes: the trader, market, side (buy?), price, size and
/// time in force, then the status it must get and why.
type OrderStep = (
    usize,
    u32,
    bool,
    u64,
    u64,
    TimeInForce,
    Status,
    &'static str,
);

/// Signs and pushes `steps` in order.
fn push_orders(w: &mut World, case: &mut Case, steps: &[OrderStep]) {
    for &(trader, market, is_buy, price, size, tif, expect, why) in steps {
        let tx = w.order_tx(trader, market, (is_buy, price, size), tif);
        case.push(expect, why, tx);
    }
}

/// Steps 1–3 and 6: the market, tick, size, band and price, and reduce-only.
fn push_message_checks(w: &mut World, case: &mut Case) {
    #[rustfmt::skip]
    let steps: &[OrderStep] = &[
        (ALICE, 9, true, BTC_50K, BTC_UNIT, Gtc, Status::UnknownMarket, "an order in market 9"),
        (ALICE, BTC, true, BTC_50K + USD / 2, BTC_UNIT, Gtc, Status::InvalidTick,
            "price 50,000.5 USD: not a multiple of the 1 USD tick"),
        (ALICE, BTC, true, BTC_50K, 0, Gtc, Status::ZeroSize, "size 0"),
        (ALICE, BTC, true, BTC_50K, 100_000_001, Gtc, Status::SizeTooLarge,
            "size 10^8 + 1: above the open-interest cap"),
        (ALICE, BTC, true, 55_001 * USD, BTC_UNIT, Gtc, Status::PriceOutsideBand,
            "a bid at 55,001 USD: more than 10 % above the mark (55,000 is the inclusive edge)"),
        (ALICE, ETH, true, 3_000 * USD, 1_000, Gtc, Status::NoPrice,
            "an ETH order: the market has no price yet"),
    ];
    push_orders(w, case, steps);
    let sell = w.order(ALICE, BTC, (false, BTC_50K, BTC_UNIT), Ioc);
    let why = "alice's reduce-only sell without a position";
    case.push(
        Status::ReduceOnlyWouldIncrease,
        why,
        reduce_only(w, ALICE, sell),
    );
}

/// `order` with `reduce_only` set, signed by `trader`.
pub fn reduce_only(w: &World, trader: usize, order: Order) -> protocol::action::Tx {
    let order = Order {
        reduce_only: true,
        ..order
    };
    w.sign(trader, Action::Order(order))
}

/// Steps 5, 7 and 9 against the book, then two fills.
fn push_book_checks(w: &mut World, case: &mut Case) {
    #[rustfmt::skip]
    let steps: &[OrderStep] = &[
        (ALICE, BTC, true, 50_100 * USD, BTC_UNIT, Fok, Status::FokNotFilled,
            "alice's FOK buy of 1 BTC at 50,100 USD: no asks"),
        (CAROL, BTC, false, 50_100 * USD, BTC_UNIT, Gtc, Status::Ok,
            "carol's GTC ask of 1 BTC at 50,100 USD: rests"),
        (ALICE, BTC, true, 50_100 * USD, BTC_UNIT, PostOnly, Status::PostOnlyWouldCross,
            "alice's post-only bid at 50,100 USD would match carol's ask"),
        (DAVE, BTC, true, 45_100 * USD, 1, Gtc, Status::TooManyOpenOrders, "dave's 65th GTC bid"),
        (DAVE, BTC, true, 50_100 * USD, BTC_UNIT / 2, Ioc, Status::Ok,
            "dave's IOC buy of 0.5 BTC at 50,100 USD: IOC skips the open-order limit; fills \
             half of carol's ask"),
        (ALICE, BTC, true, 50_100 * USD, BTC_UNIT, Gtc, Status::Ok,
            "alice's GTC bid of 1 BTC at 50,100 USD: fills the other half, rests 0.5 BTC"),
    ];
    push_orders(w, case, steps);
}

/// The genesis of `invalid_lot`: devnet, but ETH-PERP trades in lots of 10 size units.
pub const ETH_LOT_10: &str = "devnet_eth_lot_10";

/// The devnet genesis with ETH-PERP's parameters edited.
fn devnet_with_eth(edit: impl FnOnce(&mut MarketParams)) -> Genesis {
    let mut genesis = devnet_genesis();
    let eth = genesis.markets.iter_mut().find(|m| m.id == ETH);
    edit(eth.expect("devnet has ETH-PERP"));
    genesis
}

/// `invalid_lot` needs a lot size above 1, which the devnet markets do not have.
pub fn invalid_lot() -> Case {
    let mut w = World::on(devnet_with_eth(|eth| eth.lot_size = 10));
    w.fund(&[ALICE], MILLION_USD);
    w.setup([w.price(ETH, 3_000 * USD)]);
    w.now = T1;
    let mut case = Case::start(
        &w,
        "invalid_lot",
        "the lot size: on the devnet genesis with ETH-PERP's lot_size = 10 (every devnet market \
         has lot_size 1, so no devnet order can be invalid_lot)",
    );
    case.genesis_name = ETH_LOT_10;
    #[rustfmt::skip]
    let steps: &[OrderStep] = &[
        (ALICE, ETH, true, 2_990 * USD, 15, Gtc, Status::InvalidLot,
            "an ETH bid of 15 size units: not a multiple of 10"),
        (ALICE, ETH, true, 2_990 * USD, 0, Gtc, Status::ZeroSize,
            "an ETH bid of size 0: zero_size is checked before the lot"),
        (ALICE, ETH, true, 2_990 * USD, 20, Gtc, Status::Ok, "an ETH bid of 20 size units: rests"),
    ];
    push_orders(&mut w, &mut case, steps);
    case
}

/// The genesis of `arithmetic_overflow`: devnet, but ETH-PERP at the edges
/// `Genesis::validate` allows: a 100 % price band, 100 % fees, the largest open-interest
/// cap, and 18 size decimals (so that a huge resting size needs a fundable margin).
pub const ETH_EXTREME: &str = "devnet_eth_extreme";

/// A size just below the largest open-interest cap, 2^63 − 1 ≈ 9.22·10^18.
const HUGE_SIZE: u64 = 9_000_000_000_000_000_000;

/// `arithmetic_overflow` through a fee product: price × size × bps above `i128::MAX`.
pub fn arithmetic_overflow() -> Case {
    let mut w = World::on(devnet_with_eth(|eth| {
        (eth.price_band_bps, eth.maker_fee_bps, eth.taker_fee_bps) = (10_000, 10_000, 10_000);
        eth.open_interest_cap = i64::MAX as u64;
        eth.size_decimals = 18;
    }));
    w.fund(&[ALICE], MILLION_USD);
    // The ask's reservation: IM of 9·10^18 size units (9 whole ETH) at 10^15 = 900M USD.
    w.fund(&[BOB], 1_000 * MILLION_USD);
    w.setup([w.price(ETH, MAX_PRICE)]);
    let ask = w.order_tx(BOB, ETH, (false, 2 * MAX_PRICE, HUGE_SIZE), Gtc);
    w.setup([ask]);
    w.now = T1;
    let mut case = Case::start(
        &w,
        "arithmetic_overflow",
        "checked arithmetic: on the devnet genesis with ETH-PERP's price_band_bps, maker_fee_bps \
         and taker_fee_bps = 10000 and open_interest_cap = 2^63 − 1 (all allowed by \
         Genesis::validate) and size_decimals = 18; ETH's mark is MAX_PRICE = 10^15 and bob \
         (1,000,000,000 USD) rests an ask of 9·10^18 size units at 2·10^15 (it reserves the \
         900,000,000 USD of initial margin of a 9 ETH short at the mark)",
    );
    case.genesis_name = ETH_EXTREME;
    let tx = w.order_tx(ALICE, ETH, (true, 2 * MAX_PRICE, HUGE_SIZE), Ioc);
    let why = "alice's IOC buy of 9·10^18 at 2·10^15: the maker fee's product 2·10^15 × 9·10^18 \
               × 10000 = 1.8·10^38 exceeds i128::MAX ≈ 1.7·10^38, so the order is rejected";
    case.push(Status::ArithmeticOverflow, why, tx);
    case
}

/// The open-interest cap (maker event step 6), up to and past its edge.
pub fn open_interest_cap() -> Case {
    let mut w = btc_world(&[ALICE, BOB, CAROL, DAVE, ERIN], 100 * MILLION_USD);
    alice_long(&mut w, 60_000_000);
    w.now = T1;
    let mut case = Case::start(
        &w,
        "open_interest_cap",
        "the BTC open-interest cap (10^8 size units): alice is long 6·10^7 from bob",
    );
    #[rustfmt::skip]
    let steps: &[OrderStep] = &[
        (CAROL, BTC, false, BTC_50K, 60_000_000, Gtc, Status::Ok,
            "carol's GTC ask of 6·10^7 at 50,000 USD: rests"),
        (DAVE, BTC, true, BTC_50K, 40_000_000, Ioc, Status::Ok,
            "dave's IOC buy of 4·10^7: open interest reaches the cap exactly"),
        (ERIN, BTC, true, BTC_50K, 1, Ioc, Status::OpenInterestCap,
            "erin's IOC buy of 1 unit: open interest would exceed the cap"),
        (ERIN, BTC, true, 49_999 * USD, 1, Gtc, Status::Ok,
            "erin's GTC bid of 1 unit at 49,999 USD: rests, no fill"),
        (ALICE, BTC, false, 49_999 * USD, 1, Ioc, Status::Ok,
            "alice sells 1 unit into erin's bid: the long moves from alice to erin, open \
             interest unchanged"),
    ];
    push_orders(&mut w, &mut case, steps);
    case
}
