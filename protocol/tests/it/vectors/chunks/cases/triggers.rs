//! The `trigger_orders` case (Part 4 §21): carol files three buy stops (50,400, 50,500,
//! 50,600) and two malformed ones; alice attaches a TP/SL to her long. Three oracle
//! updates in the chunk: the first fires the 50,400 stop only (not one tick early for the
//! others), the second reaches the other two (fired together: the cap is 2), the third
//! falls through alice's stop-loss, which closes her long and cancels her take-profit.

use super::super::world::{ALICE, BOB, BTC, BTC_UNIT, CAROL, DAVE, USD};
use super::{Case, MILLION_USD, alice_long, btc_world, carol_buy_stop, push_alice_tp_sl};
use protocol::action::{TimeInForce, TriggerKind};
use protocol::engine::Status;

pub fn trigger_orders() -> Case {
    let mut w = btc_world(&[ALICE, BOB, CAROL, DAVE], MILLION_USD);
    alice_long(&mut w, BTC_UNIT);
    let bid = w.order_tx(
        BOB,
        BTC,
        (true, 48_900 * USD, 5 * BTC_UNIT),
        TimeInForce::Gtc,
    );
    let ask = w.order_tx(
        DAVE,
        BTC,
        (false, 50_100 * USD, 5 * BTC_UNIT),
        TimeInForce::Gtc,
    );
    w.setup([bid, ask]);
    w.now += 10;
    let mut case = Case::start(
        &w,
        "trigger_orders",
        "trigger orders and TP/SL: carol's three buy stops fire when the mark reaches them (the \
         second update reaches two at once: the cap); two malformed ones are refused; alice's \
         stop-loss closes her long and cancels her take-profit (one-cancels-other)",
    );
    for (trigger, why) in [
        (50_500, "carol's buy stop at 50,500"),
        (50_400, "carol's buy stop at 50,400"),
        (50_600, "carol's buy stop at 50,600"),
    ] {
        let tx = carol_buy_stop(&mut w, trigger * USD, TriggerKind::StopMarket, 0);
        case.push(Status::Ok, why, tx);
    }
    let off_tick = carol_buy_stop(&mut w, 50_500 * USD + 1, TriggerKind::StopMarket, 0);
    let why = "a trigger price off the 1 USD tick";
    case.push(Status::InvalidTriggerPrice, why, off_tick);
    let no_limit = carol_buy_stop(&mut w, 50_500 * USD, TriggerKind::StopLimit, 0);
    let why = "a stop-limit without its limit price";
    case.push(Status::TriggerPriceMismatch, why, no_limit);
    push_alice_tp_sl(&mut w, &mut case);
    let now = w.now;
    for (price, at, why) in [
        (
            50_450,
            now - 8,
            "mark 50,450: fires the 50,400 stop, not the 50,500 one",
        ),
        (
            50_600,
            now - 6,
            "mark 50,600: reaches 50,500 and 50,600; both fire (cap 2)",
        ),
        (
            48_900,
            now - 4,
            "mark 48,900: alice's stop-loss fires, her take-profit is cancelled",
        ),
    ] {
        let tx = w.price_at(BTC, price * USD, at);
        case.push(Status::Ok, why, tx);
    }
    case
}
