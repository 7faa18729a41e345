//! Isolated margin (docs/PROTOCOL.md Part 4 §26): `SetMarginMode` only while flat in the
//! market; an order in an isolated market draws its worst case from cross collateral and
//! hands back what the position does not need; `IsolatedMargin` adds and removes margin;
//! closing returns the margin and the PnL to cross; an isolated position is liquidated on
//! its own margin and its loss never reaches the cross account. All on TOY (whole units,
//! IM 10 %, MM 5 %, taker fee 20 bps, mark 100 USD).

use super::*;
use TimeInForce::{Gtc, Ioc};
use protocol::action::{IsolatedMargin, SetMarginMode};
use protocol::engine::view::MarginMode;

/// Sets TRADER's margin mode in `market` (the bulk-modify table uses it too).
pub(super) fn set_mode(sim: &mut Sim, market: u32, isolated: bool) -> Receipt {
    let m = SetMarginMode {
        signer: TRADER,
        account: TRADER,
        market,
        isolated,
        nonce: sim.next_nonce(),
        expires_at: sim.now,
    };
    sim.act(Action::SetMarginMode(m))
}

fn move_margin(sim: &mut Sim, market: u32, is_add: bool, usd: i128) -> Receipt {
    let m = IsolatedMargin {
        signer: TRADER,
        account: TRADER,
        market,
        is_add,
        amount: (usd * USD) as u64,
        nonce: sim.next_nonce(),
        expires_at: sim.now,
    };
    sim.act(Action::IsolatedMargin(m))
}

/// A buy stop-market trigger order of 1 TOY at 120 for TRADER, signed by `signer`.
fn stop(sim: &mut Sim, signer: Address) -> Receipt {
    let t = protocol::action::TriggerOrder {
        signer,
        account: TRADER,
        market: TOY,
        is_buy: true,
        kind: protocol::action::TriggerKind::StopMarket,
        trigger_price: 120_000_000,
        price: 0,
        size: 1,
        reduce_only: false,
        nonce: sim.next_nonce(),
        expires_at: sim.now,
    };
    sim.act(Action::TriggerOrder(t))
}

/// `funded`, TOY isolated, and TRADER long 10 at 100 bought from OTHER's ask: the order
/// drew IM 100 + taker fee 2 = 102 USD from cross, the fee left 100 USD of margin.
fn isolated_long() -> Sim {
    let mut sim = funded(1_000);
    expect(&set_mode(&mut sim, TOY, true), Status::Ok);
    expect(&sim.order(OTHER, TOY, (false, P100, 10), Gtc), Status::Ok);
    expect(&sim.order(TRADER, TOY, (true, P100, 10), Ioc), Status::Ok);
    sim
}

/// The isolated margin of TRADER in TOY (`None`: cross).
fn margin(sim: &mut Sim) -> Option<i128> {
    sim.position(TRADER, TOY).isolated
}

#[test]
fn the_mode_changes_only_while_flat() {
    type Setup = fn(&mut Sim);
    // (name, setup, isolated, status, detail parts)
    let cases: &[(&str, Setup, bool, Status, &[&str])] = &[
        ("flat: isolated", |_| {}, true, Status::Ok, &[]),
        ("flat: cross is a no-op", |_| {}, false, Status::Ok, &[]),
        (
            "a resting order",
            |sim| {
                sim.order(TRADER, TOY, (true, 90_000_000, 1), Gtc);
            },
            true,
            Status::MarginModeBusy,
            &["1 resting", "TOY-PERP"],
        ),
        (
            "a position",
            |sim| {
                sim.order(OTHER, TOY, (false, P100, 2), Gtc);
                sim.order(TRADER, TOY, (true, P100, 2), Ioc);
            },
            true,
            Status::MarginModeBusy,
            &["size 2"],
        ),
        (
            "a trigger order: its count, id and the commands",
            |sim| {
                stop(sim, TRADER);
            },
            true,
            Status::MarginModeBusy,
            &[
                "0 resting",
                "1 trigger order(s) waiting in all markets",
                "trigger order 1",
                "`vigil cancel 1`",
                "vigil cancel-all",
            ],
        ),
        (
            "an isolated position back to cross",
            |sim| {
                set_mode(sim, TOY, true);
                sim.order(OTHER, TOY, (false, P100, 2), Gtc);
                sim.order(TRADER, TOY, (true, P100, 2), Ioc);
            },
            false,
            Status::MarginModeBusy,
            &["size 2"],
        ),
    ];
    for &(name, setup, isolated, status, parts) in cases {
        let mut sim = funded(1_000);
        setup(&mut sim);
        let r = set_mode(&mut sim, TOY, isolated);
        check(name, &r, status, parts);
    }
    let mut sim = funded(1_000);
    check(
        "an unknown market",
        &set_mode(&mut sim, 77, true),
        Status::UnknownMarket,
        &["market 77"],
    );
}

#[test]
fn isolated_then_cross_again_leaves_no_leaf() {
    let mut sim = funded(1_000);
    expect(&set_mode(&mut sim, TOY, true), Status::Ok);
    assert_eq!(margin(&mut sim), Some(0));
    assert_eq!(
        sim.account(TRADER).markets,
        vec![TOY],
        "the mode holds a slot"
    );
    expect(&set_mode(&mut sim, TOY, false), Status::Ok);
    assert_eq!(sim.position(TRADER, TOY), Default::default());
    assert!(sim.account(TRADER).markets.is_empty());
}

#[test]
fn opening_draws_the_initial_margin_and_the_fee_from_cross() {
    let mut sim = isolated_long();
    assert_eq!(sim.collateral(TRADER), 898 * USD, "1,000 − 102 drawn");
    assert_eq!(margin(&mut sim), Some(100 * USD), "102 − the 2 USD fee");
    let view = sim.view(TRADER);
    assert_eq!(view.collateral, 898 * USD);
    assert_eq!(
        (view.initial_margin, view.order_margin),
        (0, 0),
        "cross holds nothing"
    );
    let toy = view.margin_modes.iter().find(|m| m.market == TOY).unwrap();
    assert_eq!(toy.mode, MarginMode::Isolated);
    assert_eq!(toy.isolated_margin, 100 * USD);
    // The cross account may withdraw all of its collateral: the position is not its.
    expect(&sim.withdraw(TRADER, 898 * USD), Status::Ok);
    assert_eq!(margin(&mut sim), Some(100 * USD));
}

#[test]
fn an_order_the_cross_account_cannot_back_is_refused_with_the_numbers() {
    let mut sim = funded(1_000);
    expect(&set_mode(&mut sim, TOY, true), Status::Ok);
    expect(&sim.order(OTHER, TOY, (false, P100, 200), Gtc), Status::Ok);
    // 100 TOY: IM 1,000 + fee 20 = 1,020 USD > 1,000.
    let r = sim.order(TRADER, TOY, (true, P100, 100), Ioc);
    check(
        "100 TOY on 1,000 USD",
        &r,
        Status::CrossMarginShort,
        &["1,020.000000", "1,000.000000"],
    );
    assert_eq!(sim.collateral(TRADER), 1_000 * USD);
}

#[test]
fn margin_is_added_and_removed_within_the_rules() {
    // (name, is_add, USD, status, detail parts, margin after)
    type Case = (
        &'static str,
        bool,
        i128,
        Status,
        &'static [&'static str],
        i128,
    );
    let cases: &[Case] = &[
        ("add 50", true, 50, Status::Ok, &[], 150),
        (
            "add more than cross spares",
            true,
            899,
            Status::CrossMarginShort,
            &["898.000000"],
            100,
        ),
        (
            "remove below the initial margin",
            false,
            1,
            Status::IsolatedMarginShort,
            &["at most 0.000000 USDC"],
            100,
        ),
        ("add 0", true, 0, Status::ZeroAmount, &[], 100),
    ];
    for &(name, is_add, usd, status, parts, after) in cases {
        let mut sim = isolated_long();
        let r = move_margin(&mut sim, TOY, is_add, usd);
        check(name, &r, status, parts);
        assert_eq!(margin(&mut sim), Some(after * USD), "{name}");
    }
    let mut sim = isolated_long();
    expect(&move_margin(&mut sim, TOY, true, 60), Status::Ok);
    let r = move_margin(&mut sim, TOY, false, 61);
    check(
        "remove 61 of 60 spare",
        &r,
        Status::IsolatedMarginShort,
        &["at most 60.000000 USDC"],
    );
    expect(&move_margin(&mut sim, TOY, false, 60), Status::Ok);
    assert_eq!(sim.collateral(TRADER), 898 * USD);
    let mut sim = funded(1_000);
    check(
        "a cross position",
        &move_margin(&mut sim, TOY, true, 5),
        Status::NotIsolated,
        &[],
    );
}

#[test]
fn closing_returns_the_margin_and_the_pnl_to_cross() {
    let mut sim = isolated_long();
    sim.now += 1;
    sim.price(TOY, 110_000_000);
    expect(
        &sim.order(OTHER, TOY, (true, 110_000_000, 10), Gtc),
        Status::Ok,
    );
    let close = sim.order_msg(TRADER, TOY, (false, 110_000_000, 10), Ioc);
    expect(&sim.reduce_only(close), Status::Ok);
    // 898 + 100 margin + 100 PnL − 2.2 taker fee.
    assert_eq!(sim.collateral(TRADER), 1_095_800_000);
    assert_eq!(
        margin(&mut sim),
        Some(0),
        "the mode stays, the margin went back"
    );
}

/// What an isolated liquidation does: (name, price the mark falls to, isolated mode,
/// status). TRADER is long 10 TOY at 100 with 100 USD of isolated margin (or, in cross,
/// the same long on its whole 1,000 USD).
type LiquidationCase = (&'static str, u64, bool, Status);

#[test]
fn an_isolated_liquidation_leaves_the_cross_account_untouched() {
    let cases: &[LiquidationCase] = &[
        // Equity 100 − 40 = 60 ≥ MM 48.
        ("healthy at 96", 96_000_000, true, Status::Ok),
        // Equity 0 < MM 45: the fund takes it over at the mark (= bankruptcy price 90).
        ("bankrupt at 90", 90_000_000, true, Status::Ok),
        // Equity −50: ADL closes it against OTHER at the bankruptcy price 90.
        ("underwater at 85", 85_000_000, true, Status::Ok),
        // The same long in cross mode: 1,000 − 150 ≫ MM, nothing to liquidate.
        ("cross at 85", 85_000_000, false, Status::NotLiquidatable),
    ];
    for &(name, price, isolated, status) in cases {
        let mut sim = if isolated {
            isolated_long()
        } else {
            let mut sim = funded(1_000);
            sim.order(OTHER, TOY, (false, P100, 10), Gtc);
            sim.order(TRADER, TOY, (true, P100, 10), Ioc);
            sim
        };
        let cross_before = sim.collateral(TRADER);
        sim.now += 1;
        sim.price(TOY, price);
        let r = sim.liquidate(addr(7), TRADER, TOY);
        let healthy = price == 96_000_000;
        let expected = if healthy {
            Status::NotLiquidatable
        } else {
            status
        };
        assert_eq!(r.status, expected, "{name}: {r:?}");
        assert_eq!(
            sim.collateral(TRADER),
            cross_before,
            "{name}: cross collateral"
        );
        if isolated && !healthy {
            let pos = sim.position(TRADER, TOY);
            assert_eq!((pos.size, pos.isolated), (0, Some(0)), "{name}");
            let outcome = r.liquidation.as_ref().unwrap();
            assert!(!outcome.insolvent, "{name}: {outcome:?}");
        }
    }
}

/// The bounds of Part 4 §14 are reached: an agent's `SetMarginMode` touches 5 paths, 6
/// when a trigger order refuses it (the count leaf too),
/// and an add with the cross account in the other market touches `1 + 3·M` (M = 2 here),
/// each beyond the per-transaction sweeps (what a deposit touches beyond its 2 paths).
#[test]
fn the_margin_actions_reach_their_bounds() {
    let mut sim = funded(1_000);
    approve_bot(&mut sim, TRADER);
    sim.deposit(TRADER, USD);
    let sweeps = sim.last_touched - 2;
    let by_bot = SetMarginMode {
        signer: BOT,
        account: TRADER,
        market: TOY,
        isolated: true,
        nonce: sim.next_nonce(),
        expires_at: sim.now,
    };
    expect(&sim.act(Action::SetMarginMode(by_bot.clone())), Status::Ok);
    assert_eq!(sim.last_touched, sweeps + 5);
    // Refused for a trigger order in the market: the count leaf too, 6 (then undone).
    expect(&stop(&mut sim, BOT), Status::Ok);
    let refused = SetMarginMode {
        isolated: false,
        nonce: sim.next_nonce(),
        ..by_bot
    };
    expect(
        &sim.act(Action::SetMarginMode(refused)),
        Status::MarginModeBusy,
    );
    assert_eq!(sim.last_touched, sweeps + 6);
    // A cross BTC position, then an isolated TOY one.
    sim.price(BTC, 50_000_000_000);
    sim.order(OTHER, BTC, (false, 50_000_000_000, 10), Gtc);
    expect(
        &sim.order(TRADER, BTC, (true, 50_000_000_000, 10), Ioc),
        Status::Ok,
    );
    sim.order(OTHER, TOY, (false, P100, 1), Gtc);
    expect(&sim.order(TRADER, TOY, (true, P100, 1), Ioc), Status::Ok);
    let add = IsolatedMargin {
        signer: BOT,
        account: TRADER,
        market: TOY,
        is_add: true,
        amount: USD as u64,
        nonce: sim.next_nonce(),
        expires_at: sim.now,
    };
    expect(&sim.act(Action::IsolatedMargin(add)), Status::Ok);
    assert_eq!(sim.last_touched, sweeps + 1 + 3 * sim.g.markets.len());
}
