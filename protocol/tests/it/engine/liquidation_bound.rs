//! The touched-path bound of `Liquidate` (docs/PROTOCOL.md Part 4 §14), reached rather
//! than just respected: a liquidation that cancels all `O` of the account's orders (each
//! with an expiry and a client id), walks the book leg through all `F` fill events
//! against makers holding positions in every market and quoting with `ClientOrder`
//! terms, finds the insurance fund empty (the backstop) and deleverages `K` counterparties.
//! The worst ADL shape is `K − 1` counterparties closed whole and the last reduced (a
//! partial close files the counterparty at a new rank; closing all `K` whole leaves the
//! account insolvent but writes no new index leaf). (`Sim` asserts the bound after every
//! transaction of every test.)

use super::*;
use TimeInForce::{Gtc, Ioc};
use protocol::action::{ActionKind, BoundSizes};
use protocol::engine::{ADL_MAX_COUNTERPARTIES, INSURANCE_FUND};

/// The fill events one order may consume here (small, to keep the scenario short; the
/// bound is linear in it).
const F: u32 = 4;

/// A `ClientOrder` of 1 TOY tagged `client_id`, expiring in `hours`.
fn client_order(
    sim: &mut Sim,
    who: Address,
    is_buy: bool,
    price: u64,
    client_id: u128,
    hours: u64,
) {
    let expires_at = sim.now + hours * 3_600_000;
    let order = sim.client_order(who, (is_buy, price), client_id, expires_at);
    expect(&sim.act(Action::ClientOrder(order)), Status::Ok);
}

/// `seller` rests an ask of `size` TOY at 100 and `buyer` takes it.
fn trade_toy(sim: &mut Sim, seller: Address, buyer: Address, size: u64) {
    sim.order(seller, TOY, (false, P100, size), Gtc);
    expect(&sim.order(buyer, TOY, (true, P100, size), Ioc), Status::Ok);
}

/// The account (addr 1) long `7 × sellers` TOY from `sellers` shorts of 7 each, with 1
/// BTC unit and 64 resting asks with terms; `F` makers with both positions bidding 1 at
/// 95 with terms; every other short also 7. Then TOY falls to 30 and addr 9 liquidates.
fn maximal_liquidation(sellers: u8) -> (Sim, Receipt) {
    liquidation(sellers, 95_000_000, 30_000_000)
}

/// [`maximal_liquidation`] with the makers bidding at `bid` and TOY falling to `crash`.
fn liquidation(sellers: u8, bid: u64, crash: u64) -> (Sim, Receipt) {
    let mut sim = Sim::with_genesis(Genesis {
        options: vec![],
        max_fills_per_order: F,
        ..genesis()
    });
    sim.price(BTC, 50_000_000_000);
    sim.price(TOY, P100);
    let (account, y, x, z) = (addr(1), addr(41), addr(40), addr(42));
    let makers: Vec<Address> = (30..30 + F as u8).map(addr).collect();
    let shorts: Vec<Address> = (10..10 + sellers).map(addr).collect();
    sim.deposit(account, 1_000 * USD);
    for who in makers.iter().chain(&shorts).chain([&x, &y, &z]) {
        sim.deposit(*who, 100_000 * USD);
    }
    for s in &shorts {
        trade_toy(&mut sim, *s, account, 7);
    }
    // Everyone the liquidation reads holds BTC too (M = 2 positions each).
    for who in makers.iter().chain([&account]) {
        sim.order(y, BTC, (false, 50_000_000_000, 1), Gtc);
        expect(
            &sim.order(*who, BTC, (true, 50_000_000_000, 1), Ioc),
            Status::Ok,
        );
    }
    // Each maker is long 1 TOY from x, which sells 3 more to z: x is a short of 7 too.
    for who in makers.iter().chain([&z, &z, &z]) {
        trade_toy(&mut sim, x, *who, 1);
    }
    for i in 0..protocol::engine::records::MAX_OPEN_ORDERS {
        client_order(&mut sim, account, false, 149_000_000, u128::from(i) + 1, 1);
    }
    for who in &makers {
        // Expiring after the account's asks: the expiry sweep's probe finds one of those,
        // which the liquidation cancels anyway, not a bid it may leave on the book.
        client_order(&mut sim, *who, true, bid, 1, 2);
    }
    assert_eq!(sim.collateral(INSURANCE_FUND), 0);
    sim.now += 1;
    sim.price(TOY, crash);
    let r = sim.liquidate(addr(9), account, TOY);
    expect(&r, Status::Ok);
    (sim, r)
}

/// The Liquidate row of `ActionKind::TABLE` (without the sweeps) for this genesis.
fn liquidate_bound(sim: &Sim) -> usize {
    ActionKind::Liquidate.max_touched(BoundSizes {
        markets: sim.g.markets.len(),
        fills: F as usize,
        open_orders: protocol::engine::records::MAX_OPEN_ORDERS as usize,
    })
}

/// What the bound counts for TP/SL pairs that this case does not have: each (account,
/// market) pair whose position changed (the account, F makers, K counterparties) costs
/// only the link read, not the pair's removal (Part 4 §24).
fn pairs_absent() -> usize {
    (protocol::engine::triggers::TP_SL_CLOSE_PATHS - 1) * (1 + F as usize + ADL_MAX_COUNTERPARTIES)
}

/// The paths the sweeps add here: the dead-man's and the option settlement's empty
/// probes (the expiry sweep's probe finds an expiry entry the liquidation deletes anyway).
const SWEEP_PROBES: usize = 2;

#[test]
fn a_maximal_liquidation_touches_exactly_the_bound() {
    // Four shorts of 7 and the account's 28 − 4 booked: 3 deleveraged whole, the 4th by
    // 3, and the account ends flat (its ADL entry deleted).
    let (sim, r) = maximal_liquidation(4);
    let l = r.liquidation.unwrap();
    assert_eq!(r.cancelled.len(), 64);
    assert_eq!(l.book_filled, u64::from(F));
    assert!(l.closed.is_empty(), "the empty fund takes nothing");
    let sizes: Vec<i128> = l.deleveraged.iter().map(|d| d.size).collect();
    assert_eq!((sizes, l.remaining), (vec![7, 7, 7, 3], 0));
    assert_eq!(
        sim.last_touched,
        SWEEP_PROBES + liquidate_bound(&sim) - pairs_absent()
    );
    // Ten shorts: K = 4 deleveraged whole and the account left insolvent with 38; its
    // ADL entry keeps its key, so one path less.
    let (sim, r) = maximal_liquidation(10);
    let l = r.liquidation.unwrap();
    assert_eq!(l.deleveraged.len(), ADL_MAX_COUNTERPARTIES);
    assert!(l.deleveraged.iter().all(|d| d.size == 7));
    assert_eq!((l.remaining, l.insolvent), (38, true));
    assert_eq!(
        sim.last_touched,
        SWEEP_PROBES + liquidate_bound(&sim) - pairs_absent() - 1
    );
}

/// The paths of the ADL stage the bound counts and a liquidation without it leaves out:
/// per counterparty its index leaf, position and account (3K), and the TP/SL link read of
/// its position (K).
const ADL_PATHS: usize = 4 * ADL_MAX_COUNTERPARTIES;

#[test]
fn a_maximal_backstop_touches_exactly_the_bound_without_adl() {
    // TOY at 66: the account (equity 48 < maintenance 92.4) is not bankrupt at the mark;
    // the target (24) is more than the book's 4 bids, so the book leg walks all F events
    // and the insurance fund, empty, takes the other 24 over at the mark (it needs no
    // capacity there): the backstop stage whole, and no ADL (the account ends flat).
    let (sim, r) = liquidation(4, 95_000_000, 66_000_000);
    let l = r.liquidation.unwrap();
    assert_eq!(r.cancelled.len(), 64);
    assert_eq!(l.book_filled, u64::from(F));
    let closed: Vec<(i128, u64)> = l.closed.iter().map(|c| (c.size, c.price)).collect();
    // At the mark: the index, 66, plus the book's smoothed premium (Part 4 §23).
    assert_eq!(closed.len(), 1, "{closed:?}");
    assert_eq!(
        (closed[0].0, closed[0].1 / 1_000_000),
        (24, 66),
        "{closed:?}"
    );
    assert!(l.deleveraged.is_empty());
    assert_eq!((l.remaining, l.insolvent), (0, false));
    assert_eq!(
        sim.last_touched,
        SWEEP_PROBES + liquidate_bound(&sim) - pairs_absent() - ADL_PATHS
    );
}

#[test]
fn a_maximal_standalone_adl_touches_exactly_the_bound_without_the_book_leg() {
    // The makers bid 50, below the bankruptcy price (64.3 at TOY 30): the book leg finds
    // nothing it may fill (its probes only), the empty fund takes nothing, and ADL alone
    // closes the 28 against K = 4 shorts of 7. What is left out: the F book events and
    // the makers' TP/SL link reads.
    let (sim, r) = liquidation(4, 50_000_000, 30_000_000);
    let l = r.liquidation.unwrap();
    assert_eq!(r.cancelled.len(), 64);
    assert_eq!((l.book_filled, r.fills.len()), (0, 0));
    assert!(l.closed.is_empty(), "the empty fund takes nothing");
    let sizes: Vec<i128> = l.deleveraged.iter().map(|d| d.size).collect();
    assert_eq!((sizes, l.remaining), (vec![7, 7, 7, 7], 0));
    let m = sim.g.markets.len();
    let book_events = F as usize * (m + 7) + F as usize;
    assert_eq!(
        sim.last_touched,
        SWEEP_PROBES + liquidate_bound(&sim) - pairs_absent() - book_events
    );
}
