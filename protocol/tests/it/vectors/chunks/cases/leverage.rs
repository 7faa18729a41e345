//! The `leverage_settings` case (Part 4 §22): alice, long 1 BTC on 10,000 USD, cannot lower
//! her leverage to 5x (20 % of 50,000 exceeds her equity) but can to 9x; 11x and 0x are
//! out of range; carol at 2x in BTC cannot rest a bid that 10x would allow; bob sets the
//! 10x maximum (stored as no leaf).

use super::super::world::{ALICE, BOB, BTC, BTC_UNIT, CAROL, USD};
use super::isolated::leverage;
use super::{Case, alice_long, btc_world};
use protocol::action::TimeInForce;
use protocol::engine::Status;

pub fn leverage_settings() -> Case {
    let mut w = btc_world(&[ALICE, BOB, CAROL], 10_000 * USD);
    alice_long(&mut w, BTC_UNIT);
    w.now += 10;
    let mut case = Case::start(
        &w,
        "leverage_settings",
        "leverage per account and market: alice (long 1 BTC on 10,000 USD) is refused 5x (its \
         initial margin, 10,000 USD, exceeds her equity) and gets 9x; 11x and 0x are out of \
         range; carol's 2x refuses a bid 10x allows; bob's 10x is the default (no leaf)",
    );
    for (who, x, status, why) in [
        (
            ALICE,
            5,
            Status::LeverageInsufficientMargin,
            "alice 5x: 10,000 USD needed, 9,975 equity",
        ),
        (
            ALICE,
            9,
            Status::Ok,
            "alice 9x: ⌈10000 / 9⌉ = 1,112 bps, 5,560 USD",
        ),
        (
            ALICE,
            11,
            Status::LeverageOutOfRange,
            "alice 11x: above BTC-PERP's 10x",
        ),
        (BOB, 0, Status::LeverageOutOfRange, "bob 0x"),
        (
            BOB,
            10,
            Status::Ok,
            "bob 10x: the maximum, stored as no leaf",
        ),
        (
            CAROL,
            2,
            Status::Ok,
            "carol 2x: no position, nothing to check",
        ),
    ] {
        let tx = leverage(&mut w, who, x);
        case.push(status, why, tx);
    }
    let bid = w.order_tx(
        CAROL,
        BTC,
        (true, 49_000 * USD, BTC_UNIT / 2),
        TimeInForce::Gtc,
    );
    case.push(
        Status::InsufficientMargin,
        "carol bids 0.5 BTC: 12,500 USD at 2x (2,500 at 10x) against 10,000",
        bid,
    );
    case
}
