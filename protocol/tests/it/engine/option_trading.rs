//! Trading option series (docs/PROTOCOL.md Part 8 §11–§12) on the test genesis's BTC-PERP
//! schedule: an `Order` whose market is a series id, the premium paid at the fill, short
//! margin in the cross account at its boundary, and the expiry boundary for orders.
//! Without an implied volatility the marks are the intrinsic values, so every number
//! below is exact by hand.

use super::*;
use protocol::engine::OptionSettlement;
use protocol::genesis::DEVNET_FIRST_EXPIRY_MS as FIRST;
use protocol::options::schedule::SERIES_ID_BASE;

const DAY: u64 = 86_400_000;
/// The at-the-money call and put of the first expiry listed at an index of 60,000 USDC
/// (strikes 58,000 … 62,000: the 60,000 call is the fifth series, its put the sixth).
pub const CALL_60K: u32 = SERIES_ID_BASE + 4;
pub const PUT_60K: u32 = SERIES_ID_BASE + 5;
/// One whole BTC of contracts (4 size decimals).
pub const ONE: u64 = 10_000;
/// 1,250 USDC of premium per whole BTC.
pub const PREMIUM: u64 = 1_250 * USD as u64;

/// A chain with the first expiry listed at an index of 60,000 USDC, a day before it.
pub fn listed_sim() -> Sim {
    let mut sim = Sim::new();
    sim.now = FIRST - DAY;
    expect(&sim.price(BTC, 60_000 * USD as u64), Status::Ok);
    sim
}

#[test]
fn a_fill_moves_the_premium_from_buyer_to_seller() {
    let mut sim = listed_sim();
    let (seller, buyer) = (addr(1), addr(2));
    sim.deposit(seller, 9_000 * USD);
    sim.deposit(buyer, 2_000 * USD);
    let rest = sim.order(seller, CALL_60K, (false, PREMIUM, ONE), TimeInForce::Gtc);
    expect(&rest, Status::Ok);
    let fill = sim.order(buyer, CALL_60K, (true, PREMIUM, ONE), TimeInForce::Ioc);
    expect(&fill, Status::Ok);
    assert_eq!(fills(&fill), vec![(seller, PREMIUM, ONE)]);
    // 1,250 USDC of premium; fees 2 / 5 bps of it: 0.25 and 0.625 USDC.
    assert_eq!(sim.collateral(seller), 9_000 * USD + 1_250 * USD - 250_000);
    assert_eq!(sim.collateral(buyer), 2_000 * USD - 1_250 * USD - 625_000);
    assert_eq!(sim.position(seller, CALL_60K).size, -(ONE as i128));
    assert_eq!(sim.position(buyer, CALL_60K).size, ONE as i128);
    assert_eq!(sim.position(buyer, CALL_60K).cost, 0);
    assert_eq!(sim.market(CALL_60K).long_open_interest, ONE);
    assert_eq!(sim.meta().fees, 875_000);
}

/// `(what, order market, block time offset from the expiry, status)`: unlisted series
/// and the expiry's boundary (the batch at T − 1 ms trades; T and T + 1 ms do not).
#[test]
fn orders_need_a_listed_unexpired_series() {
    let rows: &[(&str, u32, i64, Status)] = &[
        ("unlisted", SERIES_ID_BASE + 10, -1, Status::UnknownSeries),
        ("far unlisted", u32::MAX, -1, Status::UnknownSeries),
        ("T - 1 ms", PUT_60K, -1, Status::Ok),
        ("T", PUT_60K, 0, Status::SeriesExpired),
        ("T + 1 ms", PUT_60K, 1, Status::SeriesExpired),
    ];
    for &(what, market, offset, status) in rows {
        let mut sim = listed_sim();
        sim.deposit(addr(1), 10_000 * USD);
        sim.now = FIRST.checked_add_signed(offset).unwrap();
        // A fresh index at the order's time (the listing of the next expiry with it).
        expect(&sim.price(BTC, 60_000 * USD as u64), Status::Ok);
        let r = sim.order(addr(1), market, (true, PREMIUM, ONE), TimeInForce::Gtc);
        assert_eq!(r.status, status, "{what}: {r:?}");
    }
}

/// A short call at the money holds 15 % of the 60,000 index (9,000 USDC per BTC, the mark
/// being 0 without volatility). `(who, deposit, status)` at the boundary: resting an ask
/// reserves it whole; a taker selling into a bid needs it less the premium it receives,
/// net of its fee (9,000 − 1,250 + 0.625).
#[test]
fn a_short_needs_its_margin_to_the_micro() {
    let rest_rows: &[(i128, Status)] = &[
        (9_000 * USD - 1, Status::InsufficientMargin),
        (9_000 * USD, Status::Ok),
    ];
    for &(deposit, status) in rest_rows {
        let mut sim = listed_sim();
        sim.deposit(addr(1), deposit);
        let r = sim.order(addr(1), CALL_60K, (false, PREMIUM, ONE), TimeInForce::Gtc);
        assert_eq!(r.status, status, "resting with {deposit}: {r:?}");
        if status != Status::Ok {
            let detail = r.detail.clone().unwrap_or_default();
            assert!(
                detail.contains("required 9,000.000000 USDC")
                    && detail.contains("available 8,999.999999 USDC"),
                "{detail}"
            );
        }
    }
    let take_rows: &[(i128, Status)] = &[
        (7_750_625_000 - 1, Status::InsufficientMargin),
        (7_750_625_000, Status::Ok),
    ];
    for &(deposit, status) in take_rows {
        let mut sim = listed_sim();
        sim.deposit(addr(2), 2_000 * USD);
        expect(
            &sim.order(addr(2), CALL_60K, (true, PREMIUM, ONE), TimeInForce::Gtc),
            Status::Ok,
        );
        sim.deposit(addr(1), deposit);
        let r = sim.order(addr(1), CALL_60K, (false, PREMIUM, ONE), TimeInForce::Ioc);
        assert_eq!(r.status, status, "taking with {deposit}: {r:?}");
    }
}

/// A long needs only its premium (and fee): one micro-USDC short of it is refused.
#[test]
fn a_long_needs_only_its_premium() {
    for (deposit, status) in [
        (1_250_625_000 - 1, Status::InsufficientMargin),
        (1_250_625_000, Status::Ok),
    ] {
        let mut sim = listed_sim();
        sim.deposit(addr(1), 9_000 * USD);
        expect(
            &sim.order(addr(1), PUT_60K, (false, PREMIUM, ONE), TimeInForce::Gtc),
            Status::Ok,
        );
        sim.deposit(addr(2), deposit);
        let r = sim.order(addr(2), PUT_60K, (true, PREMIUM, ONE), TimeInForce::Ioc);
        assert_eq!(r.status, status, "{deposit}: {r:?}");
    }
}

/// `(series, index at the expiry in USDC, the ms offset from the expiry of that index,
/// intrinsic value per BTC in USDC)`: in- and out-of-the-money calls and puts, settled at
/// the first index at or after the expiry (an index 1 ms before it, at 70,000, is not the
/// settlement price).
type SettleRow = (u32, u64, u64, i128);

#[test]
fn expired_series_settle_at_intrinsic_value() {
    let call_62k = SERIES_ID_BASE + 8;
    let put_62k = SERIES_ID_BASE + 9;
    let rows: &[SettleRow] = &[
        (CALL_60K, 61_000, 0, 1_000),
        (PUT_60K, 61_000, 0, 0),
        (call_62k, 61_000, 1, 0),
        (put_62k, 61_000, 1, 1_000),
        (PUT_60K, 57_500, 0, 2_500),
    ];
    for &(series, index, offset, intrinsic) in rows {
        let mut sim = listed_sim();
        let (seller, buyer) = (addr(1), addr(2));
        sim.deposit(seller, 20_000 * USD);
        sim.deposit(buyer, 5_000 * USD);
        expect(
            &sim.order(seller, series, (false, PREMIUM, ONE), TimeInForce::Gtc),
            Status::Ok,
        );
        expect(
            &sim.order(buyer, series, (true, PREMIUM, ONE), TimeInForce::Ioc),
            Status::Ok,
        );
        sim.now = FIRST - 1;
        expect(&sim.price(BTC, 70_000 * USD as u64), Status::Ok);
        sim.now = FIRST + offset;
        expect(&sim.price(BTC, index * USD as u64), Status::Ok);
        // Accepted transactions drive the sweep (4 steps each): 1 price fix, 10 series.
        // Their receipts say what was settled (Part 8 §16).
        let mut receipts_settled = Vec::new();
        for _ in 0..4 {
            receipts_settled.extend(sim.deposit(addr(9), USD).settled);
        }
        let price = index * USD as u64;
        let settlement = |account, size: i128, payout| OptionSettlement {
            account,
            series,
            size,
            settlement_price: price,
            payout,
        };
        assert_eq!(
            receipts_settled,
            vec![
                settlement(seller, -(ONE as i128), -intrinsic * USD),
                settlement(buyer, ONE as i128, intrinsic * USD),
            ]
        );
        let settled = protocol::engine::option_view::option_series(&mut sim.st, series)
            .unwrap()
            .unwrap();
        assert_eq!(settled.series.settlement_price, index * USD as u64);
        assert_eq!(
            protocol::engine::option_expiry::first_entry(&mut sim.st)
                .unwrap()
                .map(|(expiry, _)| expiry),
            Some(FIRST + DAY),
            "the first expiry finished"
        );
        let row = format!("series {series} at {index}");
        assert_eq!(
            sim.collateral(seller),
            20_000 * USD + 1_250 * USD - 250_000 - intrinsic * USD,
            "{row}"
        );
        assert_eq!(
            sim.collateral(buyer),
            5_000 * USD - 1_250 * USD - 625_000 + intrinsic * USD,
            "{row}"
        );
        assert!(sim.account(seller).markets.is_empty(), "{row}");
        assert!(sim.account(buyer).markets.is_empty(), "{row}");
        assert_eq!(sim.meta().fees, 875_000, "{row}");
    }
}

/// A resting order on a series leaves the book at its expiry (reason 6), and the sweep
/// waits while the index is still before the expiry.
#[test]
fn the_sweep_removes_resting_orders_and_waits_for_the_index() {
    let mut sim = listed_sim();
    sim.deposit(addr(1), 20_000 * USD);
    let rest = sim.order(addr(1), CALL_60K, (false, PREMIUM, ONE), TimeInForce::Gtc);
    expect(&rest, Status::Ok);
    sim.now = FIRST + 5;
    // The index is still a day old: nothing is fixed or removed.
    sim.deposit(addr(9), USD);
    assert_eq!(sim.account(addr(1)).open_orders, 1);
    expect(&sim.price(BTC, 60_000 * USD as u64), Status::Ok);
    // The price fix and the first three (empty) series take the first transaction's four
    // steps; the call's order leaves in the second.
    let first = sim.deposit(addr(9), USD);
    assert!(first.cancelled.is_empty());
    let r = sim.deposit(addr(9), USD);
    let reasons: Vec<_> = r.cancelled.iter().map(|c| (c.market, c.reason)).collect();
    assert_eq!(
        reasons,
        vec![(CALL_60K, protocol::engine::CancelReason::OptionExpiry)]
    );
    assert_eq!(sim.account(addr(1)).open_orders, 0);
}
