//! Leverage per account and market (docs/PROTOCOL.md Part 4 §22): `SetLeverage` accepts
//! 1x up to the market's maximum `⌊10000 / initial_margin_bps⌋` (10x on TOY, IM 10 %),
//! signed by the account or its agent; new risk (a taker fill that increases risk, a
//! resting order, a withdrawal) is then held to the rate `max(IM, ⌈10000 / L⌉)`; lowering
//! it is refused while the account's equity would not cover its positions and orders at
//! the new rate, or while an isolated position's own margin would not cover it; the
//! maximum is stored as no leaf. All on TOY (whole units, mark 100 USD).

use super::*;
use TimeInForce::{Gtc, Ioc};
use protocol::action::SetLeverage;
use protocol::engine::keys::leverage_key;

fn set_leverage(sim: &mut Sim, signer: Address, market: u32, leverage: u32) -> Receipt {
    let l = SetLeverage {
        signer,
        account: TRADER,
        market,
        leverage,
        nonce: sim.next_nonce(),
        expires_at: sim.now,
    };
    sim.act(Action::SetLeverage(l))
}

#[test]
fn leverage_is_bounded_by_the_markets_initial_margin() {
    // (name, market, leverage, status, detail parts)
    let cases: &[(&str, u32, u32, Status, &[&str])] = &[
        ("1x", TOY, 1, Status::Ok, &[]),
        ("9x", TOY, 9, Status::Ok, &[]),
        ("the maximum, 10x", TOY, 10, Status::Ok, &[]),
        (
            "0x",
            TOY,
            0,
            Status::LeverageOutOfRange,
            &["0x asked", "1x to 10x"],
        ),
        (
            "11x",
            TOY,
            11,
            Status::LeverageOutOfRange,
            &["11x asked", "TOY-PERP allows 1x to 10x"],
        ),
        (
            "an unknown market",
            77,
            5,
            Status::UnknownMarket,
            &["market 77"],
        ),
    ];
    for &(name, market, leverage, status, parts) in cases {
        let mut sim = funded(100);
        let r = set_leverage(&mut sim, TRADER, market, leverage);
        check(name, &r, status, parts);
    }
}

#[test]
fn the_maximum_is_stored_as_no_leaf() {
    let mut sim = funded(100);
    let key = leverage_key(&TRADER, TOY);
    expect(&set_leverage(&mut sim, TRADER, TOY, 4), Status::Ok);
    assert!(sim.st.get(&key).unwrap().is_some(), "4x is stored");
    expect(&set_leverage(&mut sim, TRADER, TOY, 10), Status::Ok);
    assert_eq!(
        sim.st.get(&key).unwrap(),
        None,
        "10x is the default: no leaf"
    );
}

/// (name, leverage, order: (is_buy, price, size, tif), status, detail parts). The trader
/// has 100 USD; at 5x the rate is 20 %, at 3x ⌈10000 / 3⌉ = 3334 bps.
type OrderCase = (
    &'static str,
    u32,
    (bool, u64, u64, TimeInForce),
    Status,
    &'static [&'static str],
);

#[test]
fn new_risk_is_held_to_the_accounts_leverage() {
    let cases: &[OrderCase] = &[
        (
            "10x: a bid of 10 rests on 100 USD",
            10,
            (true, P100, 10, Gtc),
            Status::Ok,
            &[],
        ),
        (
            "5x: a bid of 5 needs exactly 100",
            5,
            (true, P100, 5, Gtc),
            Status::Ok,
            &[],
        ),
        (
            "5x: a bid of 6 needs 120",
            5,
            (true, P100, 6, Gtc),
            Status::InsufficientMargin,
            &["required 120.000000 USDC", "available 100.000000 USDC"],
        ),
        (
            "3x: a bid of 3 needs 100.02",
            3,
            (true, P100, 3, Gtc),
            Status::InsufficientMargin,
            &["required 100.020000 USDC"],
        ),
        (
            "5x: buying 6 as a taker needs 120 of initial margin",
            5,
            (true, P100, 6, Ioc),
            Status::InsufficientMargin,
            &["against 120.000000 USDC of initial margin"],
        ),
        (
            "5x: buying 4 as a taker fits",
            5,
            (true, P100, 4, Ioc),
            Status::Ok,
            &[],
        ),
    ];
    for &(name, leverage, (is_buy, price, size, tif), status, parts) in cases {
        let mut sim = funded(100);
        if tif == Ioc {
            expect(&sim.order(OTHER, TOY, (false, P100, 50), Gtc), Status::Ok);
        }
        expect(&set_leverage(&mut sim, TRADER, TOY, leverage), Status::Ok);
        let r = sim.order(TRADER, TOY, (is_buy, price, size), tif);
        check(name, &r, status, parts);
    }
}

#[test]
fn lowering_leverage_needs_margin_at_the_new_rate_raising_never_does() {
    // Long 10 at 100 as a taker (fee 2 USD) on 150 USD: equity 148.
    let setup = |sim: &mut Sim| {
        expect(&sim.order(OTHER, TOY, (false, P100, 10), Gtc), Status::Ok);
        expect(&sim.order(TRADER, TOY, (true, P100, 10), Ioc), Status::Ok);
    };
    // (name, leverage, status, detail parts)
    let cases: &[(&str, u32, Status, &[&str])] = &[
        (
            "5x needs 200",
            5,
            Status::LeverageInsufficientMargin,
            &[
                "at 5x in TOY-PERP",
                "required 200.000000 USDC",
                "available 148.000000 USDC",
                "max leverage 10x",
            ],
        ),
        // ⌈10000 / 7⌉ = 1429 bps of 1,000 USD: 142.90 ≤ 148.
        ("7x needs 142.90", 7, Status::Ok, &[]),
    ];
    for &(name, leverage, status, parts) in cases {
        let mut sim = funded(150);
        setup(&mut sim);
        let r = set_leverage(&mut sim, TRADER, TOY, leverage);
        check(name, &r, status, parts);
    }
    // Once at 7x, a mark fall to 95 leaves equity 98 below 7x's 135.76: raising to 8x
    // is still accepted (it only lowers the requirement), lowering to 6x is not.
    let mut sim = funded(150);
    setup(&mut sim);
    expect(&set_leverage(&mut sim, TRADER, TOY, 7), Status::Ok);
    sim.now += 1;
    expect(&sim.price(TOY, 95_000_000), Status::Ok);
    expect(&set_leverage(&mut sim, TRADER, TOY, 8), Status::Ok);
    let r = set_leverage(&mut sim, TRADER, TOY, 6);
    check(
        "6x after the fall",
        &r,
        Status::LeverageInsufficientMargin,
        &["available 98.000000 USDC"],
    );
}

#[test]
fn lowering_leverage_checks_an_isolated_position_on_its_own_margin() {
    // TOY isolated, long 10 at 100 on 1,000 USD: the order drew IM 100 + fee 2 from cross
    // and the fee left 100 of margin; the cross account (898 USD, nothing open) is fine at
    // any leverage, so only the isolated check can refuse.
    let isolated_long = |extra_margin: i128| {
        let mut sim = funded(1_000);
        let mode = protocol::action::SetMarginMode {
            signer: TRADER,
            account: TRADER,
            market: TOY,
            isolated: true,
            nonce: sim.next_nonce(),
            expires_at: sim.now,
        };
        expect(&sim.act(Action::SetMarginMode(mode)), Status::Ok);
        expect(&sim.order(OTHER, TOY, (false, P100, 10), Gtc), Status::Ok);
        expect(&sim.order(TRADER, TOY, (true, P100, 10), Ioc), Status::Ok);
        if extra_margin > 0 {
            let add = protocol::action::IsolatedMargin {
                signer: TRADER,
                account: TRADER,
                market: TOY,
                is_add: true,
                amount: (extra_margin * USD) as u64,
                nonce: sim.next_nonce(),
                expires_at: sim.now,
            };
            expect(&sim.act(Action::IsolatedMargin(add)), Status::Ok);
        }
        sim
    };
    // (name, extra margin USD, leverage, status, detail parts)
    let cases: &[(&str, i128, u32, Status, &[&str])] = &[
        (
            "5x needs 200 of the position's 100",
            0,
            5,
            Status::LeverageIsolatedMarginShort,
            &[
                "at 5x the isolated TOY-PERP position needs 200.000000 USDC",
                "its equity is 100.000000 USDC",
                "add at least 100.000000 USDC",
                "`vigil margin add --market TOY-PERP 100`",
            ],
        ),
        // ⌈10000 / 9⌉ = 1112 bps of 1,000 USD: 111.20 > 100.
        (
            "9x needs 111.20",
            0,
            9,
            Status::LeverageIsolatedMarginShort,
            &[
                "needs 111.200000 USDC",
                "vigil margin add --market TOY-PERP 11.2`",
            ],
        ),
        ("5x after adding 100", 100, 5, Status::Ok, &[]),
        ("10x is the maximum: never refused", 0, 10, Status::Ok, &[]),
    ];
    for &(name, extra, leverage, status, parts) in cases {
        let mut sim = isolated_long(extra);
        let r = set_leverage(&mut sim, TRADER, TOY, leverage);
        check(name, &r, status, parts);
    }
}

#[test]
fn withdrawals_are_held_to_the_leverage() {
    // 5x, a bid of 3 at 100 resting: required 60 of 100.
    let mut sim = funded(100);
    expect(&set_leverage(&mut sim, TRADER, TOY, 5), Status::Ok);
    expect(&sim.order(TRADER, TOY, (true, P100, 3), Gtc), Status::Ok);
    let r = sim.withdraw(TRADER, 40 * USD + 1);
    check(
        "40.000001",
        &r,
        Status::InsufficientMargin,
        &["required 60.000000 USDC"],
    );
    expect(&sim.withdraw(TRADER, 40 * USD), Status::Ok);
}

#[test]
fn agents_may_set_leverage_others_may_not() {
    let mut sim = funded(100);
    let r = set_leverage(&mut sim, BOT, TOY, 5);
    expect(&r, Status::AgentNotApproved);
    approve_bot(&mut sim, TRADER);
    let r = set_leverage(&mut sim, BOT, TOY, 5);
    expect(&r, Status::Ok);
    assert_eq!(r.agent, Some(BOT));
    // The setting is the account's: its own orders are held to it.
    let r = sim.order(TRADER, TOY, (true, P100, 6), Gtc);
    check(
        "after the agent's 5x",
        &r,
        Status::InsufficientMargin,
        &["required 120.000000 USDC"],
    );
}

#[test]
fn leverage_never_changes_maintenance_or_liquidation() {
    // Long 10 at 100 on 150 USD at 10x, then at 7x: the mark falling to 90.5 leaves equity
    // 148 − 95 = 53 > MM 45.25 either way, so neither is liquidatable.
    for leverage in [10, 7] {
        let mut sim = funded(150);
        expect(&sim.order(OTHER, TOY, (false, P100, 10), Gtc), Status::Ok);
        expect(&sim.order(TRADER, TOY, (true, P100, 10), Ioc), Status::Ok);
        expect(&set_leverage(&mut sim, TRADER, TOY, leverage), Status::Ok);
        sim.now += 1;
        expect(&sim.price(TOY, 90_500_000), Status::Ok);
        let r = sim.liquidate(OTHER, TRADER, TOY);
        expect(&r, Status::NotLiquidatable);
    }
}
