//! `BulkModify` (issue #16, docs/PROTOCOL.md Part 4 §27): up to 16 of an account's open
//! orders changed by one action, all or nothing; each item keeps the order's time priority
//! exactly when its price is unchanged and its size does not grow; the book it leaves may
//! not cross; the margin is checked once at the end, and only the margin of what entered
//! the book (an account short on cross moves its isolated orders); any refusal names its
//! item and undoes every item (`Sim` checks a rejected action changed nothing). Then who
//! may sign, and the touched-key bound reached exactly. On TOY (whole units, tick 1 USD,
//! mark 100) unless said otherwise.

use super::*;
use TimeInForce::{Gtc, Ioc};
use protocol::action::{
    ActionKind, BULK_MODIFY_ITEM_PATHS, BoundSizes, BulkModify, ClientOrder, MAX_BULK_MODIFY_ITEMS,
    ModifyItem, ModifyItems, TimeInForce,
};
use protocol::engine::records::MAX_OPEN_ORDERS;

const TRADER: Address = Address([1; 20]);
const OTHER: Address = Address([9; 20]);
const TAKER: Address = Address([2; 20]);
const P95: u64 = 95_000_000;

/// A GTC `ClientOrder` of `who` in `market`, resting until `expires_at`.
fn rest(
    sim: &mut Sim,
    who: Address,
    (market, is_buy, price, size): (u32, bool, u64, u64),
    client_id: u128,
    expires_at: u64,
) -> u64 {
    let nonce = sim.next_nonce();
    let o = ClientOrder {
        signer: who,
        account: who,
        market,
        is_buy,
        price,
        size,
        tif: Gtc,
        reduce_only: false,
        client_id,
        nonce,
        expires_at,
    };
    expect(&sim.act(Action::ClientOrder(o)), Status::Ok);
    nonce
}

/// A bulk modify of TRADER's orders signed by `signer`.
fn bulk(sim: &mut Sim, signer: Address, items: Vec<ModifyItem>) -> Receipt {
    let b = BulkModify {
        signer,
        account: TRADER,
        items: ModifyItems(items),
        nonce: sim.next_nonce(),
        expires_at: sim.now,
    };
    sim.apply(signed(Action::BulkModify(b)), Ok(signer))
}

const fn usd(n: u64) -> u64 {
    n * 1_000_000
}

/// TRADER (1,000 USD) rests bid A (client id 1, 5 at 95), bid B (no client id, 5 at 94,
/// nonce 2) and ask C (client id 3, 5 at 105); then OTHER bids 1 at 95 behind A and asks
/// 1 at 110. TAKER holds 1,000 USD.
fn quoted() -> Sim {
    let mut sim = toy_sim(0, 0);
    for who in [TRADER, TAKER] {
        sim.deposit(who, 1_000 * USD);
    }
    sim.deposit(OTHER, 100_000 * USD);
    let far = sim.now + 3_600_000;
    rest(&mut sim, TRADER, (TOY, true, P95, 5), 1, far);
    let b = rest(&mut sim, TRADER, (TOY, true, usd(94), 5), 0, far);
    assert_eq!(b, 2, "bid B's nonce, which the table names");
    rest(&mut sim, TRADER, (TOY, false, usd(105), 5), 3, far);
    rest(&mut sim, OTHER, (TOY, true, P95, 1), 0, far);
    rest(&mut sim, OTHER, (TOY, false, usd(110), 1), 0, far);
    sim
}

#[test]
fn items_apply_all_or_nothing_and_keep_priority_only_in_place() {
    // (name, items, status, detail parts, per item (price, size, kept priority) when
    // accepted, the maker a sell of 1 at 95 then meets first)
    type Done = &'static [(u64, u64, bool)];
    type Row = (
        &'static str,
        Vec<ModifyItem>,
        Status,
        &'static [&'static str],
        Done,
        Option<Address>,
    );
    let cases: Vec<Row> = vec![
        (
            "shrinking in place keeps A ahead of OTHER",
            vec![ModifyItem::by_client_id(1, 0, 3)],
            Status::Ok,
            &[],
            &[(P95, 3, true)],
            Some(TRADER),
        ),
        (
            "growing A sends it behind OTHER",
            vec![ModifyItem::by_client_id(1, 0, 8)],
            Status::Ok,
            &[],
            &[(P95, 8, false)],
            Some(OTHER),
        ),
        (
            "B moved to 95 by nonce queues behind OTHER, A still first",
            vec![ModifyItem::by_nonce(TOY, 2, P95, 0)],
            Status::Ok,
            &[],
            &[(P95, 5, false)],
            Some(TRADER),
        ),
        (
            "three at once: A up to 96, C down to 104, B shrunk in place",
            vec![
                ModifyItem::by_client_id(1, usd(96), 0),
                ModifyItem::by_client_id(3, usd(104), 2),
                ModifyItem::by_nonce(TOY, 2, 0, 1),
            ],
            Status::Ok,
            &[],
            &[
                (96_000_000, 5, false),
                (104_000_000, 2, false),
                (94_000_000, 1, true),
            ],
            Some(TRADER),
        ),
        (
            "the same order twice: the second item sees the first",
            vec![
                ModifyItem::by_client_id(1, usd(93), 0),
                ModifyItem::by_client_id(1, 0, 2),
            ],
            Status::Ok,
            &[],
            &[(93_000_000, 5, false), (93_000_000, 2, true)],
            Some(OTHER),
        ),
        (
            "a crossing book refuses every item",
            vec![
                ModifyItem::by_client_id(1, usd(96), 0),
                ModifyItem::by_client_id(3, usd(96), 0),
            ],
            Status::PostOnlyWouldCross,
            &[
                "TOY-PERP's best bid 96",
                "best ask 96",
                "never takes liquidity",
            ],
            &[],
            None,
        ),
        (
            "an unknown client id names its item",
            vec![
                ModifyItem::by_client_id(1, usd(96), 0),
                ModifyItem::by_client_id(99, usd(97), 0),
            ],
            Status::ClientOrderNotFound,
            &["item 2: ", "client id 99"],
            &[],
            None,
        ),
        (
            "an unknown order nonce",
            vec![ModifyItem::by_nonce(TOY, 999, usd(96), 0)],
            Status::OrderNotFound,
            &["item 1: ", "no open order 999 in market 2"],
            &[],
            None,
        ),
        (
            "a client id and a nonce together",
            vec![ModifyItem {
                order_nonce: 2,
                ..ModifyItem::by_client_id(1, usd(96), 0)
            }],
            Status::BulkModifyItemInvalid,
            &["item 1: ", "by client id (market and orderNonce 0)"],
            &[],
            None,
        ),
        (
            "price and size both 0",
            vec![ModifyItem::by_client_id(1, 0, 0)],
            Status::BulkModifyItemInvalid,
            &["change nothing"],
            &[],
            None,
        ),
        (
            "a price off the tick",
            vec![ModifyItem::by_client_id(3, 104_500_000, 0)],
            Status::InvalidTick,
            &["item 1: "],
            &[],
            None,
        ),
        (
            "margin for the grown orders is checked once, at the end",
            vec![
                ModifyItem::by_client_id(1, 0, 100),
                ModifyItem::by_client_id(3, 0, 100),
            ],
            Status::InsufficientMargin,
            &["with the modified orders the account needs"],
            &[],
            None,
        ),
    ];
    for (name, items, status, parts, done, first_maker) in cases {
        let mut sim = quoted();
        let r = bulk(&mut sim, TRADER, items);
        assert_eq!(r.status, status, "{name}: {r:?}");
        let detail = r.detail.as_deref().unwrap_or_default();
        for part in parts {
            assert!(detail.contains(part), "{name}: {detail:?} lacks {part:?}");
        }
        let got: Vec<(u64, u64, bool)> = r
            .modified
            .iter()
            .map(|m| (m.price, m.size, m.kept_priority))
            .collect();
        assert_eq!(got, done, "{name}");
        assert!(r.fills.is_empty(), "{name}: a bulk modify never fills");
        if let Some(maker) = first_maker {
            let sold = sim.order(TAKER, TOY, (false, usd(93), 1), Ioc);
            assert_eq!(sold.fills[0].maker, maker, "{name}");
        }
    }
}

/// TRADER (1,000 USD) short on cross margin but not liquidatable, with an isolated TOY
/// bid whose own margin covers it: TOY isolated, bid c1 (5 at 95, drawing its IM of 50
/// USD); long 0.1 BTC bought at 50,000 (taker fee 2.5 USD), a cross bid c2 (0.05 at
/// 46,000) and a reduce-only ask c3 (0.1 at 51,000); then BTC falls to 47,000: equity
/// 947.5 − 300 = 647.5 USD (and 6 micro of funding) against an order margin of
/// 0.15 × 47,000 × 10 % = 705 USD; the maintenance margin is 235 USD.
fn cross_short() -> Sim {
    let mut sim = Sim::new();
    sim.price(TOY, P100);
    sim.price(BTC, usd(50_000));
    sim.deposit(TRADER, 1_000 * USD);
    sim.deposit(OTHER, 100_000 * USD);
    expect(&super::isolated::set_mode(&mut sim, TOY, true), Status::Ok);
    let far = sim.now + 3_600_000;
    rest(&mut sim, TRADER, (TOY, true, P95, 5), 1, far);
    expect(
        &sim.order(OTHER, BTC, (false, usd(50_000), 1_000), Gtc),
        Status::Ok,
    );
    expect(
        &sim.order(TRADER, BTC, (true, usd(50_000), 1_000), Ioc),
        Status::Ok,
    );
    rest(&mut sim, TRADER, (BTC, true, usd(46_000), 500), 2, far);
    let ask = ClientOrder {
        signer: TRADER,
        account: TRADER,
        market: BTC,
        is_buy: false,
        price: usd(51_000),
        size: 1_000,
        tif: Gtc,
        reduce_only: true,
        client_id: 3,
        nonce: sim.next_nonce(),
        expires_at: far,
    };
    expect(&sim.act(Action::ClientOrder(ask)), Status::Ok);
    // An oracle price must be newer than the last one.
    sim.now += 1;
    expect(&sim.price(BTC, usd(47_000)), Status::Ok);
    let v = sim.view(TRADER);
    let figures = (v.equity, v.order_margin, v.liquidatable_markets.is_empty());
    // The 1 ms of funding at the premium the book held pays the long 6 micro-USDC.
    assert_eq!(
        figures,
        (647_500_006, 705_000_000, true),
        "short on cross: {v:?}"
    );
    assert_eq!(sim.position(TRADER, TOY).isolated, Some(50 * USD));
    sim
}

/// Which margin the end of a bulk modify checks follows `ModifyOrder`'s rule
/// (`margin::Reservation`): an order that entered the book is covered by its position's
/// mode alone, and a reduce-only order or one shrunk in place is not checked. So an
/// account short on cross margin moves its isolated orders, shrinks its cross orders and
/// moves its reduce-only ones; a cross order it moves, or an isolated order that needs
/// more than the cross account can spare, is still refused, with everything else.
#[test]
fn the_end_checks_the_margin_of_what_entered_the_book() {
    // (name, items, status, detail parts); an accepted row leaves the cross collateral
    // and the isolated margin as they were (nothing was drawn).
    let cases: Vec<(&str, Vec<ModifyItem>, Status, &[&str])> = vec![
        (
            "the isolated bid moves: its own margin covers it, cross is not checked",
            vec![ModifyItem::by_client_id(1, usd(94), 0)],
            Status::Ok,
            &[],
        ),
        (
            "the isolated bid moves and the cross bid shrinks in place",
            vec![
                ModifyItem::by_client_id(1, usd(94), 4),
                ModifyItem::by_client_id(2, 0, 300),
            ],
            Status::Ok,
            &[],
        ),
        (
            "the reduce-only ask moves: it reserves nothing",
            vec![ModifyItem::by_client_id(3, usd(51_500), 0)],
            Status::Ok,
            &[],
        ),
        (
            "the isolated bid grows past its margin: the cross account cannot spare the rest",
            vec![ModifyItem::by_client_id(1, 0, 8)],
            Status::CrossMarginShort,
            &["isolated TOY-PERP position needs 30", "can spare 0"],
        ),
        (
            "the cross bid moves: the cross account is checked",
            vec![ModifyItem::by_client_id(2, usd(45_000), 0)],
            Status::InsufficientMargin,
            &["account needs 705", "its equity is 647.5"],
        ),
        (
            "the isolated bid and the cross bid move: refused for the cross one",
            vec![
                ModifyItem::by_client_id(1, usd(94), 0),
                ModifyItem::by_client_id(2, usd(45_000), 0),
            ],
            Status::InsufficientMargin,
            &["account needs 705"],
        ),
    ];
    for (name, items, status, parts) in cases {
        let mut sim = cross_short();
        let before = (sim.collateral(TRADER), sim.position(TRADER, TOY).isolated);
        let r = bulk(&mut sim, TRADER, items.clone());
        check(name, &r, status, parts);
        if status.is_ok() {
            let after = (sim.collateral(TRADER), sim.position(TRADER, TOY).isolated);
            assert_eq!(after, before, "{name}: nothing drawn");
            assert_eq!(r.modified.len(), items.len(), "{name}");
        }
    }
}

#[test]
fn the_item_count_and_the_signer_are_checked() {
    // (name, signer, items, status)
    let many = vec![ModifyItem::by_client_id(1, 0, 4); MAX_BULK_MODIFY_ITEMS + 1];
    let cases: Vec<(&str, Address, Vec<ModifyItem>, Status)> = vec![
        ("no item", TRADER, vec![], Status::BulkModifyItemCount),
        ("17 items", TRADER, many, Status::BulkModifyItemCount),
        (
            "an approved agent",
            BOT,
            vec![ModifyItem::by_client_id(1, 0, 4)],
            Status::Ok,
        ),
        (
            "a stranger",
            OTHER,
            vec![ModifyItem::by_client_id(1, 0, 4)],
            Status::AgentNotApproved,
        ),
    ];
    for (name, signer, items, status) in cases {
        let mut sim = quoted();
        approve_bot(&mut sim, TRADER);
        let r = bulk(&mut sim, signer, items);
        assert_eq!(r.status, status, "{name}: {r:?}");
        if status.is_ok() {
            assert_eq!(r.agent, Some(BOT), "{name}: the receipt names the agent");
        }
    }
}

/// The bound of Part 4 §14 is reached: an agent's bulk modify of 16 orders with client ids
/// and good-till-times, in both markets (M = 2), each moved to a new price behind
/// another account's best bid, touches `3 + 3·M + 2·min(16, M) + 16·6` paths beyond the
/// per-transaction sweeps (what a deposit touches beyond its 2 paths).
#[test]
fn a_maximal_bulk_modify_touches_exactly_its_bound() {
    let mut sim = Sim::with_genesis(Genesis {
        options: vec![],
        ..genesis()
    });
    let m = sim.g.markets.len();
    sim.price(BTC, 50_000_000_000);
    sim.price(TOY, P100);
    sim.deposit(TRADER, 100_000 * USD);
    sim.deposit(OTHER, 100_000 * USD);
    approve_bot(&mut sim, TRADER);
    // OTHER's quotes are the best of each side, and its gtt bid's expiry entry is the
    // first, so the expiry sweep's probe finds the same key in every transaction.
    let soon = sim.now + 600_000;
    let far = sim.now + 3_600_000;
    let top = [(BTC, usd(49_000), usd(51_000)), (TOY, usd(99), usd(101))];
    for (market, bid, ask) in top {
        rest(&mut sim, OTHER, (market, true, bid, 1), 0, soon);
        rest(&mut sim, OTHER, (market, false, ask, 1), 0, soon);
    }
    let mut items = Vec::new();
    for i in 0..MAX_BULK_MODIFY_ITEMS as u64 {
        let (market, best_bid, _) = top[(i % 2) as usize];
        let price = best_bid - usd(10 + i);
        let id = u128::from(i) + 1;
        rest(&mut sim, TRADER, (market, true, price, 1), id, far);
        items.push(ModifyItem::by_client_id(id, price - usd(20), 0));
    }
    sim.deposit(TRADER, USD);
    let sweeps = sim.last_touched - 2;
    let r = bulk(&mut sim, BOT, items);
    expect(&r, Status::Ok);
    assert!(r.modified.iter().all(|m| !m.kept_priority));
    let n = MAX_BULK_MODIFY_ITEMS;
    let bound = 3 + 3 * m + 2 * n.min(m) + n * BULK_MODIFY_ITEM_PATHS;
    assert_eq!(
        ActionKind::BulkModify.max_touched(BoundSizes {
            markets: m,
            fills: sim.g.max_fills_per_order as usize,
            open_orders: MAX_OPEN_ORDERS as usize,
        }),
        bound
    );
    assert_eq!(sim.last_touched, sweeps + bound);
}
