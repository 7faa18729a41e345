//! The `dead_man` case (Part 4 §19): alice, bob and dave each rest a bid and schedule their
//! dead-man's switch for the same millisecond; the chunk runs at that millisecond. Its
//! first transaction fires two switches (the cap), the next accepted one fires the third
//! (carry-over in key order); a switch set too soon is refused; carol sets and clears hers.

use super::super::world::{ALICE, BOB, BTC, BTC_UNIT, CAROL, DAVE, USD, World};
use super::{BTC_50K, Case, MILLION_USD, btc_world};
use protocol::action::{Action, DEAD_MAN_MIN_DELAY_MS, ScheduleCancel, TimeInForce};
use protocol::engine::Status;

fn schedule(w: &mut World, trader: usize, time: u64) -> protocol::action::Tx {
    let action = Action::ScheduleCancel(ScheduleCancel {
        account: w.address(trader),
        time,
        nonce: w.nonce(trader),
        expires_at: w.expires_at(),
    });
    w.sign(trader, action)
}

pub fn dead_man() -> Case {
    let mut w = btc_world(&[ALICE, BOB, CAROL, DAVE], MILLION_USD);
    let due = w.now + DEAD_MAN_MIN_DELAY_MS;
    for trader in [ALICE, BOB, DAVE] {
        let bid = w.order_tx(
            trader,
            BTC,
            (true, 49_000 * USD, BTC_UNIT),
            TimeInForce::Gtc,
        );
        let switch = schedule(&mut w, trader, due);
        w.setup([bid, switch]);
    }
    w.now = due;
    let mut case = Case::start(
        &w,
        "dead_man",
        "dead-man's switches: three are due at the chunk's timestamp; the first transaction \
         fires two (the per-transaction cap, in (time, address) order), the next accepted one \
         fires the third; a switch less than 5 s ahead is refused; carol sets hers and clears it",
    );
    let price = w.price(BTC, BTC_50K);
    case.push(
        Status::Ok,
        "an oracle update at the due time: the sweep fires the first two switches",
        price,
    );
    let too_soon = schedule(&mut w, CAROL, due + DEAD_MAN_MIN_DELAY_MS - 1);
    let why = "carol's switch 1 ms short of the 5 s minimum: refused, and its sweep undone";
    case.push(Status::DeadManTooSoon, why, too_soon);
    let set = schedule(&mut w, CAROL, due + DEAD_MAN_MIN_DELAY_MS);
    let why = "carol's switch exactly 5 s ahead: set; its sweep fires the third due switch";
    case.push(Status::Ok, why, set);
    let clear = schedule(&mut w, CAROL, 0);
    case.push(Status::Ok, "carol clears her switch (time 0)", clear);
    case
}
