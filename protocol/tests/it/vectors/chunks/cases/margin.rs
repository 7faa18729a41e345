//! The `margin_trigger_lifecycle` case (Part 4 §24): carol has 15 buy stops waiting and
//! files a 16th, the cap; a 17th is refused `too_many_trigger_orders`; alice's TP/SL leaves with the sell
//! that closes her long (`position_closed`, not at a later price update); carol's
//! `CancelAll` removes her 16 stops.

use super::super::world::{ALICE, BOB, BTC, BTC_UNIT, CAROL, USD, World};
use super::{Case, MILLION_USD, alice_long, btc_world, carol_buy_stop, push_alice_tp_sl};
use protocol::action::{TimeInForce, TriggerKind, Tx};
use protocol::engine::Status;
use protocol::engine::triggers::MAX_TRIGGER_ORDERS;

/// carol's buy stop far above the market (60,000 USD): it waits and never fires here.
fn far_stop(w: &mut World) -> Tx {
    carol_buy_stop(w, 60_000 * USD, TriggerKind::StopMarket, 0)
}

pub fn margin_trigger_lifecycle() -> Case {
    let mut w = btc_world(&[ALICE, BOB, CAROL], MILLION_USD);
    alice_long(&mut w, BTC_UNIT);
    let bid = w.order_tx(BOB, BTC, (true, 49_900 * USD, BTC_UNIT), TimeInForce::Gtc);
    w.setup([bid]);
    // All but one of carol's stops before the chunk (it holds 16 transactions at most).
    let stops: Vec<Tx> = (1..MAX_TRIGGER_ORDERS).map(|_| far_stop(&mut w)).collect();
    w.setup(stops);
    w.now += 10;
    let mut case = Case::start(
        &w,
        "margin_trigger_lifecycle",
        "the trigger-order lifecycle: carol's 16 stops fill the cap and a 17th is refused; \
         alice's TP/SL leaves with the sell that closes her long; carol's CancelAll removes \
         her stops",
    );
    let tx = far_stop(&mut w);
    case.push(Status::Ok, "carol's 16th waiting stop: the cap", tx);
    let tx = far_stop(&mut w);
    let why = "a 17th waiting trigger order: over the cap of 16";
    case.push(Status::TooManyTriggerOrders, why, tx);
    push_alice_tp_sl(&mut w, &mut case);
    let close = w.order_tx(
        ALICE,
        BTC,
        (false, 49_900 * USD, BTC_UNIT),
        TimeInForce::Ioc,
    );
    let why = "alice sells her 1 BTC into bob's bid: both legs leave as position_closed";
    case.push(Status::Ok, why, close);
    let tx = w.cancel_all(CAROL);
    case.push(Status::Ok, "carol's CancelAll: her 16 stops leave too", tx);
    case
}
