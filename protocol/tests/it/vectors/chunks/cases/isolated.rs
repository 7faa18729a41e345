//! The `isolated_margin` case (Part 4 §26): alice, long 1 BTC in cross, cannot switch BTC to
//! isolated; carol (flat) can, then cannot add margin without a position; bob's cross
//! market is not isolated; carol buys 0.1 BTC from bob, which draws its initial margin and
//! fee from her cross collateral; an add beyond what cross spares and a removal below the
//! initial margin are refused, an add and its removal pass; carol cannot go back to cross
//! while she holds the position, nor lower her leverage to 5x, which her isolated margin
//! does not cover (Part 4 §22 step 5).

use super::super::world::{ALICE, BOB, BTC, BTC_UNIT, CAROL, USD, World};
use super::{BTC_50K, Case, alice_long, btc_world};
use protocol::action::{Action, IsolatedMargin, SetLeverage, SetMarginMode, TimeInForce, Tx};
use protocol::engine::Status;

fn mode(w: &mut World, trader: usize, isolated: bool) -> Tx {
    let account = w.address(trader);
    let action = Action::SetMarginMode(SetMarginMode {
        signer: account,
        account,
        market: BTC,
        isolated,
        nonce: w.nonce(trader),
        expires_at: w.expires_at(),
    });
    w.sign(trader, action)
}

fn margin(w: &mut World, trader: usize, is_add: bool, usd: u64) -> Tx {
    let account = w.address(trader);
    let action = Action::IsolatedMargin(IsolatedMargin {
        signer: account,
        account,
        market: BTC,
        is_add,
        amount: usd * USD,
        nonce: w.nonce(trader),
        expires_at: w.expires_at(),
    });
    w.sign(trader, action)
}

/// `trader` sets its BTC leverage to `leverage`, signing for itself (the `leverage_settings`
/// case uses it too).
pub(super) fn leverage(w: &mut World, trader: usize, leverage: u32) -> Tx {
    let account = w.address(trader);
    let action = Action::SetLeverage(SetLeverage {
        signer: account,
        account,
        market: BTC,
        leverage,
        nonce: w.nonce(trader),
        expires_at: w.expires_at(),
    });
    w.sign(trader, action)
}

pub fn isolated_margin() -> Case {
    let mut w = btc_world(&[ALICE, BOB, CAROL], 10_000 * USD);
    alice_long(&mut w, BTC_UNIT);
    w.now += 10;
    let mut case = Case::start(
        &w,
        "isolated_margin",
        "isolated margin: alice (long 1 BTC in cross) cannot isolate BTC; carol (flat) \
         can, adds nothing without a position, buys 0.1 BTC drawing 500 USD of initial \
         margin and the 2.5 USD fee from cross, is refused an add beyond cross and a \
         removal below initial margin, adds and removes 100, and cannot go back to cross \
         nor lower her leverage to 5x (her isolated margin covers 10x only)",
    );
    let txs = [
        (
            mode(&mut w, ALICE, true),
            Status::MarginModeBusy,
            "alice holds 1 BTC",
        ),
        (
            mode(&mut w, CAROL, true),
            Status::Ok,
            "carol is flat in BTC",
        ),
        (
            margin(&mut w, CAROL, true, 10),
            Status::NoPosition,
            "carol's isolated BTC has no size",
        ),
        (
            margin(&mut w, BOB, true, 10),
            Status::NotIsolated,
            "bob's BTC is cross",
        ),
        (
            w.order_tx(BOB, BTC, (false, BTC_50K, BTC_UNIT / 10), TimeInForce::Gtc),
            Status::Ok,
            "bob asks 0.1 BTC at 50,000",
        ),
        (
            w.order_tx(CAROL, BTC, (true, BTC_50K, BTC_UNIT / 10), TimeInForce::Ioc),
            Status::Ok,
            "carol buys it: 500 USD of initial margin and the 2.5 USD fee drawn from cross",
        ),
        (
            margin(&mut w, CAROL, true, 10_000),
            Status::CrossMarginShort,
            "cross holds 9,497.5 USD",
        ),
        (
            margin(&mut w, CAROL, false, 1),
            Status::IsolatedMarginShort,
            "the margin is exactly the initial margin",
        ),
        (margin(&mut w, CAROL, true, 100), Status::Ok, "add 100"),
        (
            margin(&mut w, CAROL, false, 100),
            Status::Ok,
            "remove it again",
        ),
        (
            mode(&mut w, CAROL, false),
            Status::MarginModeBusy,
            "carol holds 0.1 BTC",
        ),
        (
            leverage(&mut w, CAROL, 5),
            Status::LeverageIsolatedMarginShort,
            "5x needs 1,000 USD of initial margin; the isolated position holds 500",
        ),
    ];
    for (tx, status, why) in txs {
        case.push(status, why, tx);
    }
    case
}
