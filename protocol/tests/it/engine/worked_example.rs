//! The worked example of docs/PROTOCOL.md Part 4 §16: a fill with fees, then a funding step,
//! then a second fill that settles funding and realizes PnL. Every number is the spec's.

use super::*;
use TimeInForce::{Gtc, Ioc};

#[test]
fn worked_example_fill_fees_and_funding() {
    let (alice, bob, carol) = (addr(1), addr(2), addr(3));
    let mut sim = Sim::new();
    expect(&sim.price(BTC, 50_000_000_000), Status::Ok); // 50,000 USD at t = 1,000 ms
    for who in [alice, bob, carol] {
        sim.deposit(who, 10_000 * USD);
    }

    // Alice rests 0.5 BTC (5,000 size units at 4 decimals) at 50,000; Bob lifts it.
    let r = sim.order(alice, BTC, (false, 50_000_000_000, 5_000), Gtc);
    assert_eq!(r.order.as_ref().unwrap().resting, 5_000);
    let r = sim.order(bob, BTC, (true, 50_100_000_000, 5_000), Ioc);
    expect(&r, Status::Ok);
    assert_eq!(fills(&r), vec![(alice, 50_000_000_000, 5_000)]);
    // Notional 25,000 USD: maker fee 2 bps = 5 USD, taker fee 5 bps = 12.5 USD.
    assert_eq!(
        (r.fills[0].maker_fee, r.fills[0].taker_fee),
        (5_000_000, 12_500_000)
    );
    assert_eq!(sim.collateral(alice), 9_995_000_000);
    assert_eq!(sim.collateral(bob), 9_987_500_000);
    assert_eq!(sim.position(bob, BTC).cost, 50_000_000_000 * 5_000);

    // Carol quotes 50,100 / 50,300: mid 50,200, premium 40 bps over the oracle.
    sim.order(carol, BTC, (true, 50_100_000_000, 1_000), Gtc);
    sim.order(carol, BTC, (false, 50_300_000_000, 1_000), Gtc);

    // Half a funding period later the oracle still says 50,000:
    // index += 50,000e6 × 40 × 1,800,000 × 10^6 / (10,000 × 3,600,000) = 10^14,
    // i.e. 100 USD per BTC: the 0.5 BTC long owes 50 USD, the short is owed 50 USD.
    sim.now += 1_800_000;
    expect(&sim.price(BTC, 50_000_000_000), Status::Ok);
    assert_eq!(sim.market(BTC).funding_index, 100_000_000_000_000);
    assert_eq!(sim.view(bob).positions[0].funding, -50_000_000);
    assert_eq!(sim.view(alice).positions[0].funding, 50_000_000);
    // The book's premium (mid 50,200) has stood for longer than the smoothing window, so
    // the mark is 50,200 (§22): Alice's short shows 100 USD of unrealized loss.
    assert_eq!(sim.market(BTC).premium_ema, 200_000_000);
    assert_eq!(sim.market(BTC).mark_price, 50_200_000_000);
    assert_eq!(
        sim.view(alice).equity,
        9_995_000_000 + 50_000_000 - 100_000_000
    );

    // Bob sells 0.1 BTC into Carol's bid at 50,100: funding settles (−50 USD), 0.1 BTC
    // realizes +10 USD, taker fee 2.505 USD. Carol pays a 1.002 USD maker fee.
    let r = sim.order(bob, BTC, (false, 50_100_000_000, 1_000), Ioc);
    assert_eq!(fills(&r), vec![(carol, 50_100_000_000, 1_000)]);
    assert_eq!(
        (r.fills[0].maker_fee, r.fills[0].taker_fee),
        (1_002_000, 2_505_000)
    );
    assert_eq!(
        sim.collateral(bob),
        10_000_000_000 - 12_500_000 - 50_000_000 + 10_000_000 - 2_505_000
    );
    assert_eq!(sim.collateral(bob), 9_944_995_000);
    assert_eq!(sim.position(bob, BTC).size, 4_000);
    assert_eq!(sim.position(bob, BTC).funding_snapshot, 100_000_000_000_000);
    assert_eq!(sim.collateral(carol), 9_998_998_000);
    // The pool holds what Bob paid in (funding minus profit); Alice's 50 USD waits there.
    assert_eq!(sim.market(BTC).pnl_pool, 40_000_000);
    let meta = sim.meta();
    assert_eq!(meta.fees, 21_007_000);
    assert_eq!(meta.total_collateral, 29_938_993_000);
    assert_eq!(sim.market(BTC).long_open_interest, 5_000);
}
