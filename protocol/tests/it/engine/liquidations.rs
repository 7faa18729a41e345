//! Liquidation: maintenance-margin trigger, close into the insurance fund at the mark
//! price, fee capped at what is left, order cancellation, bankruptcy cascade, bad debt.

use super::*;
use TimeInForce::{Gtc, Ioc};
use protocol::engine::{CancelReason, ClosedPosition, INSURANCE_FUND, LiquidationOutcome};

/// `long` holds 10 TOY bought at 100 with 108 USD left; `short` is the counterparty.
fn long_ten_toy(deposit: i128) -> (Sim, Address, Address) {
    let (long, short) = (addr(1), addr(2));
    let mut sim = Sim::new();
    sim.price(TOY, P100);
    sim.deposit(long, deposit);
    sim.deposit(short, 100_000 * USD);
    sim.order(short, TOY, false, P100, 10, Gtc);
    expect(&sim.order(long, TOY, true, P100, 10, Ioc), Status::Ok);
    assert_eq!(sim.collateral(long), deposit - 2 * USD);
    (sim, long, short)
}

/// The liquidation in `r`, which must have closed exactly 10 TOY at `price` for `fee`.
fn closed_ten_toy(r: Receipt, price: u64, fee: i128) -> LiquidationOutcome {
    let l = r.liquidation.unwrap();
    let closed = ClosedPosition {
        market: TOY,
        size: 10,
        price,
        fee,
    };
    assert_eq!(l.closed, vec![closed]);
    l
}

#[test]
fn liquidation_closes_into_the_insurance_fund() {
    let (mut sim, long, short) = long_ten_toy(110 * USD);
    let keeper = addr(9);
    // A resting ask that the liquidation cancels. (A bid would reserve the margin of an
    // 11-unit long, 110 USD, more than the 108 USD of equity.)
    expect(
        &sim.order(long, TOY, false, 120_000_000, 1, Gtc),
        Status::Ok,
    );
    // At 95: equity 58 ≥ MM 47.5.
    sim.now += 1;
    sim.price(TOY, 95_000_000);
    assert_eq!(sim.view(long).equity, 58 * USD);
    assert_eq!(sim.view(long).maintenance_margin, 47_500_000);
    expect(&sim.liquidate(keeper, long, TOY), Status::NotLiquidatable);
    expect(&sim.liquidate(keeper, long, BTC), Status::NoPosition);
    expect(&sim.liquidate(keeper, short, TOY), Status::NotLiquidatable);
    sim.now += 60_001;
    expect(&sim.liquidate(keeper, long, TOY), Status::StalePrice);
    // At 93: equity 38 < MM 46.5.
    sim.price(TOY, 93_000_000);
    let ctx = sim.ctx();
    assert_eq!(
        view::liquidatable_markets(&mut sim.st, &sim.g, &ctx, &long).unwrap(),
        vec![TOY]
    );
    let r = sim.liquidate(keeper, long, TOY);
    expect(&r, Status::Ok);
    assert_eq!(
        r.cancelled.iter().map(|c| c.reason).collect::<Vec<_>>(),
        vec![CancelReason::Liquidation]
    );
    // Realized −70 USD leaves 38; the fee is 1 % of 930 USD.
    let l = closed_ten_toy(r, 93_000_000, 9_300_000);
    assert_eq!(l.bad_debt, 0);
    assert_eq!(sim.collateral(long), 28_700_000);
    assert_eq!(sim.account(long).markets, Vec::<u32>::new());
    assert_eq!(sim.collateral(INSURANCE_FUND), 9_300_000);
    let fund = sim.position(INSURANCE_FUND, TOY);
    assert_eq!((fund.size, fund.cost), (10, 930_000_000));
    assert_eq!(sim.market(TOY).long_open_interest, 10);
    assert_eq!(sim.market(TOY).pnl_pool, 70 * USD);
    assert!(!view::is_liquidatable(&mut sim.st, &sim.g, &ctx, &long).unwrap());
}

#[test]
fn bad_debt_is_absorbed_by_the_insurance_fund() {
    let (mut sim, long, _) = long_ten_toy(110 * USD);
    sim.now += 1;
    sim.price(TOY, 85_000_000);
    assert_eq!(sim.view(long).equity, -42 * USD);
    let r = sim.liquidate(addr(9), long, TOY);
    let l = closed_ten_toy(r, 85_000_000, 0);
    assert_eq!(l.bad_debt, 42 * USD);
    // The account is emptied (its leaf deleted); the fund is in deficit.
    assert_eq!(sim.account(long), records::Account::empty(long));
    assert_eq!(sim.collateral(INSURANCE_FUND), -42 * USD);
}

#[test]
fn bankruptcy_realizes_profit_elsewhere_before_any_bad_debt() {
    let (lev, cp) = (addr(1), addr(2));
    let mut sim = Sim::new();
    sim.price(BTC, 50_000_000_000);
    sim.price(TOY, P100);
    sim.deposit(lev, 200 * USD);
    sim.deposit(cp, 100_000 * USD);
    // lev: short 0.01 BTC at 50,000 (fee 0.25) and long 10 TOY at 100 (fee 2).
    sim.order(cp, BTC, true, 50_000_000_000, 100, Gtc);
    sim.order(lev, BTC, false, 50_000_000_000, 100, Ioc);
    sim.order(cp, TOY, false, P100, 10, Gtc);
    sim.order(lev, TOY, true, P100, 10, Ioc);
    assert_eq!(sim.collateral(lev), 197_750_000);
    sim.now += 1;
    sim.price(BTC, 45_000_000_000); // +50 USD on the short
    sim.price(TOY, 80_000_000); // −200 USD on the long
    // Equity 47.75 < MM 40 + 22.5.
    assert_eq!(sim.view(lev).equity, 47_750_000);
    let r = sim.liquidate(addr(9), lev, TOY);
    let l = r.liquidation.unwrap();
    // TOY realizes −200 (collateral −2.25, no fee can be paid); the BTC short is then
    // closed too, realizing +50 and paying its 4.5 USD fee; no bad debt remains.
    assert_eq!(
        l.closed,
        vec![
            ClosedPosition {
                market: TOY,
                size: 10,
                price: 80_000_000,
                fee: 0
            },
            ClosedPosition {
                market: BTC,
                size: -100,
                price: 45_000_000_000,
                fee: 4_500_000
            },
        ]
    );
    assert_eq!(l.bad_debt, 0);
    assert_eq!(sim.collateral(lev), 43_250_000);
    assert_eq!(sim.position(INSURANCE_FUND, BTC).size, -100);
    assert_eq!(sim.position(INSURANCE_FUND, TOY).size, 10);
    assert_eq!(sim.collateral(INSURANCE_FUND), 4_500_000);
}
