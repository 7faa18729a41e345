//! Liquidation (docs/PROTOCOL.md Part 4 §11): the maintenance-margin trigger, the partial
//! close through the book (band- and bankruptcy-limited, liquidation fee instead of the
//! taker fee, the liquidator's share), the insurance fund's backstop at the bankruptcy
//! price as far as its collateral covers, auto-deleveraging in ranking order, and the
//! insolvency mark that pauses withdrawals while ADL is pending.

use super::*;
use TimeInForce::{Gtc, Ioc};
use protocol::engine::{
    ADL_MAX_COUNTERPARTIES, CancelReason, ClosedPosition, Deleveraged, INSURANCE_FUND,
    LIQUIDATOR_SHARE_BPS,
};

/// `long` (addr 1) holds 10 TOY bought at 100 from `sellers`, each selling `10 / n`,
/// with 108 USD left of its 110.
fn long_ten_toy(sellers: &[Address]) -> Sim {
    let long = addr(1);
    let mut sim = Sim::new();
    sim.price(TOY, P100);
    sim.deposit(long, 110 * USD);
    let each = 10 / sellers.len() as u64;
    for s in sellers {
        sim.deposit(*s, 1_000 * USD);
        sim.order(*s, TOY, (false, P100, each), Gtc);
    }
    expect(&sim.order(long, TOY, (true, P100, 10), Ioc), Status::Ok);
    assert_eq!(sim.collateral(long), 108 * USD);
    sim
}

#[test]
fn a_partial_liquidation_closes_just_enough_through_the_book() {
    let (long, maker, keeper) = (addr(1), addr(3), addr(9));
    let mut sim = long_ten_toy(&[addr(2)]);
    sim.deposit(maker, 100_000 * USD);
    sim.order(maker, TOY, (true, 92_000_000, 5), Gtc);
    sim.order(maker, TOY, (true, 90_000_000, 5), Gtc);
    // A resting ask of the account, which the liquidation cancels.
    expect(
        &sim.order(long, TOY, (false, 120_000_000, 1), Gtc),
        Status::Ok,
    );
    // At 95: equity 58 ≥ MM 47.5: healthy.
    sim.now += 1;
    sim.price(TOY, 95_000_000);
    expect(&sim.liquidate(keeper, long, TOY), Status::NotLiquidatable);
    // At 93: equity 38 < MM 46.5. Target ⌈(93 − 38) / (93 × (10 % − 1 %))⌉ = 7 units,
    // limit max(93 − 46.5, bankruptcy 89.2) = 89.2: 5 fill at 92 and 2 at 90. The book
    // (92 / 120, mid 106) has stood 2 ms, so the mark (§22) is 93 plus 56 micro-USDC of
    // smoothed premium: 20 after 1 ms at +6 USD, then 36 after 1 ms at +11 USD.
    sim.now += 1;
    sim.price(TOY, 93_000_000);
    assert_eq!(sim.market(TOY).mark_price, 93_000_056);
    let r = sim.liquidate(keeper, long, TOY);
    expect(&r, Status::Ok);
    assert_eq!(r.cancelled[0].reason, CancelReason::Liquidation);
    assert_eq!(
        r.fills
            .iter()
            .map(|f| (f.price, f.size))
            .collect::<Vec<_>>(),
        vec![(92_000_000, 5), (90_000_000, 2)]
    );
    assert!(r.fills.iter().all(|f| f.taker_fee == 0));
    let l = r.liquidation.unwrap();
    assert_eq!((l.book_filled, l.remaining), (7, 10 - 7));
    assert!(l.closed.is_empty() && l.deleveraged.is_empty() && !l.insolvent);
    // Fee 1 % of 7 × 93.000056 = 6.51000392, rounded up; a quarter to the keeper, the
    // rest to the fund.
    assert_eq!(l.fee, 6_510_004);
    assert_eq!(l.reward, 6_510_004 * LIQUIDATOR_SHARE_BPS / 10_000);
    assert_eq!(sim.collateral(keeper), 1_627_501);
    assert_eq!(sim.collateral(INSURANCE_FUND), 4_882_503);
    // Realized −60 and the fee leave 41.49 (less 3 micro-USDC of funding settled: the
    // quotes made the mid 106 > the index, and 4 of fee); equity ≈ 20.49 ≥ MM 13.95 again.
    assert_eq!(sim.collateral(long), 41_489_993);
    let ctx = sim.ctx();
    assert!(!view::is_liquidatable(&mut sim.st, &sim.g, &ctx, &long).unwrap());
}

/// The cascade of issue #15: a 30 % gap against a thin book walks every stage.
#[test]
fn a_thirty_percent_gap_walks_partial_backstop_and_adl() {
    let (long, s1, s2, b, maker, keeper) = (addr(1), addr(2), addr(4), addr(5), addr(3), addr(9));
    let mut sim = long_ten_toy(&[s1]);
    // s2 sold 3 at 110 to b: the shorts' entries are 100 (s1) and 110 (s2).
    sim.deposit(s2, 1_000 * USD);
    sim.deposit(b, 1_000 * USD);
    sim.order(s2, TOY, (false, 110_000_000, 3), Gtc);
    expect(&sim.order(b, TOY, (true, 110_000_000, 3), Ioc), Status::Ok);
    // The thin book: one bid of 2 at 95. The fund holds a 40 USD donation.
    sim.deposit(maker, 1_000 * USD);
    sim.order(maker, TOY, (true, 95_000_000, 2), Gtc);
    sim.deposit(INSURANCE_FUND, 40 * USD);
    let deposits = sim.meta().total_deposits;
    sim.now += 1;
    sim.price(TOY, 70_000_000);
    assert_eq!(sim.view(long).equity, -192 * USD);
    let r = sim.liquidate(keeper, long, TOY);
    expect(&r, Status::Ok);
    let l = r.liquidation.unwrap();
    // 1. The book: 2 at 95 (≥ the bankruptcy price 89.2); fee 1 % × 2 × 70 = 1.4.
    assert_eq!(l.book_filled, 2);
    // 2. The fund: 8 left, collateral 96.6, bankruptcy price ⌈(800 − 96.6) / 8⌉ =
    //    87.925; 17.925 below it per unit, 40 USD cover 2 units.
    assert_eq!(
        l.closed,
        vec![ClosedPosition {
            market: TOY,
            size: 2,
            price: 87_925_000,
            fee: 0
        }]
    );
    // 3. ADL, best-ranked first: s2 (short from 110) before s1 (short from 100).
    let adl = |account, size| Deleveraged {
        account,
        size,
        price: 87_925_000,
    };
    assert_eq!(l.deleveraged, vec![adl(s2, 3), adl(s1, 3)]);
    assert_eq!((l.remaining, l.insolvent), (0, false));
    assert_eq!((l.fee, l.reward), (1_400_000, 350_000));
    assert_eq!(sim.collateral(keeper), 350_000);
    // The account is flat and empty; the fund ends at 40 + 1.05 ≥ 0.
    assert_eq!(sim.account(long), records::Account::empty(long));
    assert_eq!(sim.collateral(INSURANCE_FUND), 41_050_000);
    assert_eq!(sim.position(INSURANCE_FUND, TOY).size, 2);
    // s2 realized (110 − 87.925) × 3, s1 (100 − 87.925) × 3.
    assert_eq!(sim.collateral(s2), 1_000 * USD - 330_000 + 66_225_000);
    assert_eq!(sim.position(s1, TOY).size, -7);
    assert_eq!(sim.market(TOY).long_open_interest, 7);
    assert_eq!(sim.meta().total_deposits, deposits);
}

#[test]
fn adl_is_bounded_and_an_insolvent_account_pauses_withdrawals() {
    let long = addr(1);
    let sellers: Vec<Address> = (10..15).map(addr).collect();
    let mut sim = long_ten_toy(&sellers);
    sim.now += 1;
    sim.price(TOY, 70_000_000);
    // No book, an empty fund: everything goes to ADL, 4 counterparties of 2 per action.
    let r = sim.liquidate(addr(9), long, TOY);
    let l = r.liquidation.unwrap();
    assert_eq!(l.deleveraged.len(), ADL_MAX_COUNTERPARTIES);
    assert!(l.deleveraged.iter().all(|d| d.price == 89_200_000));
    assert_eq!((l.remaining, l.insolvent), (2, true));
    assert_eq!(sim.meta().insolvent_accounts, 1);
    expect(&sim.withdraw(sellers[0], USD), Status::WithdrawalsPaused);
    // The next liquidation deleverages the last seller; the account ends at zero.
    let l = sim.liquidate(addr(9), long, TOY).liquidation.unwrap();
    assert_eq!(
        (l.deleveraged.len(), l.remaining, l.insolvent),
        (1, 0, false)
    );
    assert_eq!(sim.meta().insolvent_accounts, 0);
    expect(&sim.withdraw(sellers[0], USD), Status::Ok);
}

#[test]
fn adl_ranking_ties_fall_to_the_owner_hash() {
    let sellers: Vec<Address> = (10..15).map(addr).collect();
    let mut sim = long_ten_toy(&sellers);
    sim.now += 1;
    sim.price(TOY, 70_000_000);
    let l = sim.liquidate(addr(9), addr(1), TOY).liquidation.unwrap();
    let hashes: Vec<_> = l
        .deleveraged
        .iter()
        .map(|d| protocol::engine::keys::adl_key(TOY, 1, 0, &d.account))
        .collect();
    let mut sorted = hashes.clone();
    sorted.sort();
    assert_eq!(hashes, sorted);
}
