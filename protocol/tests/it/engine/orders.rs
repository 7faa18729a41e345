//! Orders: validation, price-time matching, every time in force, reduce-only, self-trade
//! prevention, maker and taker margin, the open-interest cap and the fill limit. `Sim`
//! checks invariants, no-op rejections and touched paths after each step.

use super::*;
use TimeInForce::{Fok, Gtc, Ioc, PostOnly};
use protocol::engine::CancelReason;

/// Data-driven: each order is checked against the expected status on a fresh market.
/// (name, how to change a plain 1-unit bid at the mark, expected status)
type Case = (&'static str, fn(&mut Order), Status);

fn check(cases: &[Case]) {
    for (name, mutate, status) in cases {
        let mut sim = toy_sim(1, 1_000 * USD);
        let mut o = sim.order_msg(addr(1), TOY, (true, P100, 1), Gtc);
        mutate(&mut o);
        let r = sim.act(Action::Order(o));
        assert_eq!(r.status, *status, "{name}: {r:?}");
    }
}

#[test]
fn order_validation() {
    check(&[
        ("plain", |_| {}, Status::Ok),
        ("off tick", |o| o.price = 100_500_000, Status::InvalidTick),
        ("zero price", |o| o.price = 0, Status::InvalidTick),
        ("zero size", |o| o.size = 0, Status::ZeroSize),
        (
            "above open-interest cap",
            |o| o.size = 1_001,
            Status::SizeTooLarge,
        ),
        ("unknown market", |o| o.market = 9, Status::UnknownMarket),
        ("band edge high", |o| o.price = 150_000_000, Status::Ok),
        (
            "band high",
            |o| o.price = 151_000_000,
            Status::PriceOutsideBand,
        ),
        ("band edge low", |o| o.price = 50_000_000, Status::Ok),
        (
            "band low",
            |o| o.price = 49_000_000,
            Status::PriceOutsideBand,
        ),
        ("expired", |o| o.expires_at = 999, Status::Expired),
        ("expires now", |o| o.expires_at = 1_000, Status::Ok),
        (
            "reduce-only without position",
            |o| o.reduce_only = true,
            Status::ReduceOnlyWouldIncrease,
        ),
    ]);
    let mut g = genesis();
    g.markets[1].lot_size = 5;
    let mut sim = Sim::with_genesis(g);
    sim.price(TOY, P100);
    expect(
        &sim.order(addr(1), TOY, (true, P100, 7), Gtc),
        Status::InvalidLot,
    );
    expect(
        &sim.order(addr(1), BTC, (true, P100, 1), Gtc),
        Status::NoPrice,
    );
}

#[test]
fn price_time_priority_and_fees() {
    let (a, b, c, d) = (addr(1), addr(2), addr(3), addr(4));
    let mut sim = toy_sim(4, 10_000 * USD);
    sim.order(a, TOY, (false, P100, 2), Gtc);
    sim.order(b, TOY, (false, P100, 3), Gtc);
    sim.order(c, TOY, (false, 101_000_000, 5), Gtc);
    let r = sim.order(d, TOY, (true, 101_000_000, 6), Gtc);
    assert_eq!(
        fills(&r),
        vec![(a, P100, 2), (b, P100, 3), (c, 101_000_000, 1)]
    );
    assert_eq!(
        r.order,
        Some(protocol::engine::OrderOutcome {
            filled: 6,
            resting: 0,
            cancelled: 0
        })
    );
    // Taker fee 20 bps on 601 USD; maker fees 10 bps.
    assert_eq!(r.fills.iter().map(|f| f.taker_fee).sum::<i128>(), 1_202_000);
    assert_eq!(sim.collateral(d), 10_000 * USD - 1_202_000);
    assert_eq!(sim.collateral(a), 10_000 * USD - 200_000);
    assert_eq!(sim.position(d, TOY).size, 6);
    assert_eq!(sim.position(d, TOY).cost, 601_000_000);
    assert_eq!(sim.position(c, TOY).size, -1);
    assert_eq!(sim.market(TOY).long_open_interest, 6);
    let depth = view::book_depth(&mut sim.st, TOY, 5).unwrap();
    assert_eq!(
        depth.asks,
        vec![view::BookLevel {
            price: 101_000_000,
            size: 4,
            orders: 1
        }]
    );
    assert!(depth.bids.is_empty());
}

#[test]
fn time_in_force() {
    let (a, b) = (addr(1), addr(2));
    let mut sim = toy_sim(2, 10_000 * USD);
    sim.order(a, TOY, (false, P100, 5), Gtc);
    // IOC that does not cross: accepted, nothing rests.
    let r = sim.order(b, TOY, (true, 99_000_000, 2), Ioc);
    assert_eq!((r.status, r.order.unwrap().cancelled), (Status::Ok, 2));
    // FOK: all or nothing.
    expect(
        &sim.order(b, TOY, (true, P100, 6), Fok),
        Status::FokNotFilled,
    );
    let r = sim.order(b, TOY, (true, P100, 5), Fok);
    assert_eq!(fills(&r), vec![(a, P100, 5)]);
    // POST_ONLY rests or is rejected.
    assert_eq!(
        sim.order(a, TOY, (false, 101_000_000, 1), PostOnly)
            .order
            .unwrap()
            .resting,
        1
    );
    expect(
        &sim.order(b, TOY, (true, 101_000_000, 1), PostOnly),
        Status::PostOnlyWouldCross,
    );
    assert_eq!(
        sim.order(b, TOY, (true, P100, 1), PostOnly)
            .order
            .unwrap()
            .resting,
        1
    );
    // GTC: fills what crosses, rests the rest.
    let r = sim.order(b, TOY, (true, 102_000_000, 3), Gtc);
    assert_eq!(fills(&r), vec![(a, 101_000_000, 1)]);
    assert_eq!(r.order.unwrap().resting, 2);
    let depth = view::book_depth(&mut sim.st, TOY, 1).unwrap();
    assert_eq!(
        depth.bids,
        vec![view::BookLevel {
            price: 102_000_000,
            size: 2,
            orders: 1
        }]
    );
}

#[test]
fn reduce_only_caps_and_rejects() {
    let (a, b, c, d) = (addr(1), addr(2), addr(3), addr(4));
    let mut sim = toy_sim(4, 10_000 * USD);
    sim.order(b, TOY, (false, P100, 3), Gtc);
    sim.order(a, TOY, (true, P100, 3), Ioc); // a long 3
    let increasing = sim.order_msg(a, TOY, (true, P100, 1), Ioc);
    expect(
        &sim.reduce_only(increasing),
        Status::ReduceOnlyWouldIncrease,
    );
    // A resting reduce-only order is capped to the position.
    let capped = sim.order_msg(a, TOY, (false, 101_000_000, 5), Gtc);
    let r = sim.reduce_only(capped);
    assert_eq!(
        (
            r.order.as_ref().unwrap().resting,
            r.order.as_ref().unwrap().cancelled
        ),
        (3, 2)
    );
    // a closes elsewhere; its resting reduce-only order then has nothing to reduce and
    // is dropped when reached.
    sim.order(c, TOY, (true, P100, 3), Gtc);
    sim.order(a, TOY, (false, P100, 3), Ioc);
    assert_eq!(sim.position(a, TOY).size, 0);
    let r = sim.order(d, TOY, (true, 101_000_000, 2), Ioc);
    assert!(r.fills.is_empty());
    assert_eq!(r.cancelled[0].reason, CancelReason::ReduceOnly);
    assert_eq!(sim.account(a).open_orders, 0);
}

#[test]
fn resting_reduce_only_fills_up_to_the_position() {
    let (a, b, c, d) = (addr(1), addr(2), addr(3), addr(4));
    let mut sim = toy_sim(4, 10_000 * USD);
    sim.order(b, TOY, (false, P100, 5), Gtc);
    sim.order(a, TOY, (true, P100, 5), Ioc); // a long 5
    let closing = sim.order_msg(a, TOY, (false, 101_000_000, 3), Gtc);
    assert_eq!(sim.reduce_only(closing).order.unwrap().resting, 3);
    sim.order(c, TOY, (true, P100, 4), Gtc);
    sim.order(a, TOY, (false, P100, 4), Ioc); // a long 1, its reduce-only ask still rests 3
    let r = sim.order(d, TOY, (true, 101_000_000, 3), Ioc);
    assert_eq!(fills(&r), vec![(a, 101_000_000, 1)]);
    let dropped: Vec<_> = r
        .cancelled
        .iter()
        .map(|c| (c.account, c.reason, c.remaining))
        .collect();
    assert_eq!(dropped, vec![(a, CancelReason::ReduceOnly, 2)]);
    assert_eq!(r.order.unwrap().cancelled, 2);
    assert_eq!(sim.position(a, TOY).size, 0);
    assert_eq!(sim.account(a).open_orders, 0);
}

#[test]
fn self_trade_cancels_the_resting_order_and_matching_continues() {
    let (a, b) = (addr(1), addr(2));
    let mut sim = toy_sim(2, 10_000 * USD);
    let own = sim.order_msg(a, TOY, (false, P100, 2), Gtc);
    sim.act(Action::Order(own.clone()));
    sim.order(b, TOY, (false, P100, 2), Gtc);
    let r = sim.order(a, TOY, (true, P100, 3), Ioc);
    assert_eq!(fills(&r), vec![(b, P100, 2)]);
    assert_eq!(r.cancelled.len(), 1);
    assert_eq!(
        (r.cancelled[0].nonce, r.cancelled[0].reason),
        (own.nonce, CancelReason::SelfTrade)
    );
    assert_eq!(sim.account(a).open_orders, 0);
    assert_eq!(sim.position(a, TOY).size, 2);
}

#[test]
fn margin_of_makers_and_takers() {
    let (poor, rich, taker) = (addr(1), addr(2), addr(3));
    let mut sim = toy_sim(0, 0);
    sim.deposit(poor, 10 * USD);
    sim.deposit(rich, 10_000 * USD);
    sim.deposit(taker, 25 * USD);
    // Resting 1 unit reserves exactly poor's 10 USD (IM of a 1-unit short at 100); a fill
    // also charges the maker fee, which poor then lacks.
    expect(&sim.order(poor, TOY, (false, P100, 1), Gtc), Status::Ok);
    sim.order(rich, TOY, (false, P100, 5), Gtc);
    // 3 units need 30 USD of initial margin: the whole order is a no-op, so the poor
    // maker's ask (which would have been dropped on the way) is still there.
    expect(
        &sim.order(taker, TOY, (true, P100, 3), Ioc),
        Status::InsufficientMargin,
    );
    assert_eq!(sim.view(poor).open_orders.len(), 1);
    // 2 units: IM 20 USD ≤ equity 25 − 0.4 fee. The poor maker's ask is dropped.
    let r = sim.order(taker, TOY, (true, P100, 2), Ioc);
    assert_eq!(fills(&r), vec![(rich, P100, 2)]);
    assert_eq!(
        (r.cancelled[0].account, r.cancelled[0].reason),
        (poor, CancelReason::MakerMargin)
    );
    assert!(sim.view(poor).open_orders.is_empty());
    // Price falls to 90: equity 4.6 USD < IM 18 USD. Adding risk is refused, reducing
    // is allowed.
    sim.now += 1;
    expect(&sim.price(TOY, 90_000_000), Status::Ok);
    assert_eq!(sim.view(taker).equity, 4_600_000);
    sim.order(rich, TOY, (true, 90_000_000, 1), Gtc);
    expect(
        &sim.order(taker, TOY, (true, P100, 1), Ioc),
        Status::InsufficientMargin,
    );
    let r = sim.order(taker, TOY, (false, 90_000_000, 1), Ioc);
    assert_eq!(fills(&r), vec![(rich, 90_000_000, 1)]);
    assert_eq!(sim.position(taker, TOY).size, 1);
    // Realized −10 USD and a 0.18 USD fee.
    assert_eq!(
        sim.collateral(taker),
        25 * USD - 400_000 - 10 * USD - 180_000
    );
}

#[test]
fn open_interest_cap_rejects_the_whole_order() {
    let (a, b, c, d) = (addr(1), addr(2), addr(3), addr(4));
    let mut sim = toy_sim(4, 20_000 * USD);
    sim.order(a, TOY, (false, P100, 1_000), Gtc);
    sim.order(b, TOY, (true, P100, 1_000), Ioc);
    assert_eq!(sim.market(TOY).long_open_interest, 1_000);
    sim.order(c, TOY, (false, P100, 1), Gtc);
    expect(
        &sim.order(d, TOY, (true, P100, 1), Ioc),
        Status::OpenInterestCap,
    );
    // Closing trades are always allowed: a (short) buys from c (opening short).
    let r = sim.order(a, TOY, (true, P100, 1), Ioc);
    assert_eq!(fills(&r), vec![(c, P100, 1)]);
    assert_eq!(sim.market(TOY).long_open_interest, 1_000);
}

#[test]
fn fill_limit_counts_events_and_cancels_a_still_crossing_remainder() {
    let (maker, taker) = (addr(1), addr(2));
    let mut sim = toy_sim(2, 100_000 * USD);
    for _ in 0..40 {
        sim.order(maker, TOY, (false, P100, 1), Gtc);
    }
    let r = sim.order(taker, TOY, (true, P100, 50), Gtc);
    assert_eq!(r.fills.len(), 32);
    assert_eq!(
        r.order.unwrap(),
        protocol::engine::OrderOutcome {
            filled: 32,
            resting: 0,
            cancelled: 18
        }
    );
    let r = sim.order(taker, TOY, (true, P100, 10), Gtc);
    assert_eq!(
        r.order.unwrap(),
        protocol::engine::OrderOutcome {
            filled: 8,
            resting: 2,
            cancelled: 0
        }
    );
}
