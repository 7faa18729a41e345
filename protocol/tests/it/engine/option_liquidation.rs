//! Liquidating short option positions (docs/PROTOCOL.md Part 8 §15): a `Liquidate` naming
//! a series closes the account's short against the series' longs at the mark, under the
//! perps' health test and fee rule, at the boundary (1 micro-USDC below and exactly at the
//! maintenance margin), with at most `ADL_MAX_COUNTERPARTIES` longs per action and the
//! touched paths counted exactly. Without an implied volatility the marks are intrinsic
//! values, so every number is exact by hand.

use super::option_trading::{CALL_60K, ONE, PREMIUM, listed_sim};
use super::*;
use protocol::engine::{ADL_MAX_COUNTERPARTIES, Deleveraged, INSURANCE_FUND, LIQUIDATOR_SHARE_BPS};
use protocol::genesis::DEVNET_FIRST_EXPIRY_MS as FIRST;
use protocol::options::schedule::SERIES_ID_BASE;

const SHORT: Address = Address([1; 20]);
const KEEPER: Address = Address([9; 20]);
/// At an index of 64,000 the 60,000 call's mark is its intrinsic 4,000 USDC; a short's
/// maintenance margin is the mark plus 7.5 % of the index (half the 15 % rule): 8,800 USDC
/// per BTC. Equity is collateral − 4,000, so the boundary is a collateral of 12,800 USDC.
const BOUNDARY: i128 = 12_800 * USD;
const INDEX_64K: u64 = 64_000 * USD as u64;

/// `SHORT` sold one 60,000 call to each of `longs` (equal parts of one BTC) at 1,250 USDC
/// per BTC and holds `collateral` afterwards (the premium in, the 2 bps maker fee out);
/// then the index moves to 64,000.
fn short_call(collateral: i128, longs: &[Address]) -> Sim {
    let mut sim = listed_sim();
    let each = ONE / longs.len() as u64;
    let premium = PREMIUM as i128 * (each * longs.len() as u64) as i128 / ONE as i128;
    // Maker fee: ⌈2 bps of each fill's premium⌉, per fill.
    let fee = (PREMIUM as i128 * each as i128 / ONE as i128 * 2 + 9_999) / 10_000;
    sim.deposit(SHORT, collateral - premium + fee * longs.len() as i128);
    for long in longs {
        sim.deposit(*long, 2_000 * USD);
        expect(
            &sim.order(SHORT, CALL_60K, false, PREMIUM, each, TimeInForce::Gtc),
            Status::Ok,
        );
        expect(
            &sim.order(*long, CALL_60K, true, PREMIUM, each, TimeInForce::Ioc),
            Status::Ok,
        );
    }
    assert_eq!(sim.collateral(SHORT), collateral);
    sim.now += 1;
    expect(&sim.price(BTC, INDEX_64K), Status::Ok);
    sim
}

/// `(collateral, status)`: 1 micro-USDC below the maintenance margin is liquidated, exactly
/// at it is not.
#[test]
fn a_short_below_maintenance_is_closed_against_the_long_at_the_mark() {
    let long = addr(2);
    let rows = [
        (BOUNDARY - 1, Status::Ok),
        (BOUNDARY, Status::NotLiquidatable),
    ];
    for (collateral, status) in rows {
        let mut sim = short_call(collateral, &[long]);
        let long_before = sim.collateral(long);
        // The view the keeper reads names the series exactly when `Liquidate` will succeed.
        let ctx = sim.ctx();
        let named = protocol::engine::view::liquidatable_markets(&mut sim.st, &sim.g, &ctx, &SHORT)
            .expect("view");
        let expected = if status == Status::Ok {
            vec![CALL_60K]
        } else {
            vec![]
        };
        assert_eq!(named, expected, "collateral {collateral}");
        let r = sim.liquidate(KEEPER, SHORT, CALL_60K);
        assert_eq!(r.status, status, "collateral {collateral}: {r:?}");
        if status != Status::Ok {
            continue;
        }
        let l = r.liquidation.unwrap();
        // The long is paid the mark, 4,000 USDC for the BTC; the short pays it.
        assert_eq!(
            l.deleveraged,
            vec![Deleveraged {
                account: long,
                size: -(ONE as i128),
                price: 4_000 * USD as u64,
            }]
        );
        assert_eq!((l.book_filled, l.remaining, l.insolvent), (0, 0, false));
        assert!(l.closed.is_empty());
        // The perps' fee: 1 % of 1 BTC at the option's mark, a quarter to the keeper.
        assert_eq!(l.fee, 40 * USD);
        assert_eq!(l.reward, 40 * USD * LIQUIDATOR_SHARE_BPS / 10_000);
        assert_eq!(sim.collateral(SHORT), collateral - 4_000 * USD - 40 * USD);
        assert_eq!(sim.collateral(long), long_before + 4_000 * USD);
        assert_eq!(sim.collateral(KEEPER), 10 * USD);
        assert_eq!(sim.collateral(INSURANCE_FUND), 30 * USD);
        assert_eq!(sim.position(SHORT, CALL_60K).size, 0);
        assert_eq!(sim.position(long, CALL_60K).size, 0);
        assert_eq!(sim.market(CALL_60K).long_open_interest, 0);
    }
}

/// `(what, account, series, block time, status)`: only a listed, unexpired series' short
/// is liquidated.
#[test]
fn only_an_unexpired_short_is_liquidated() {
    let long = addr(2);
    let expired = FIRST + 1;
    let rows: &[(&str, Address, u32, Option<u64>, Status)] = &[
        (
            "the long",
            long,
            CALL_60K,
            None,
            Status::LongOptionNotLiquidatable,
        ),
        (
            "unlisted",
            SHORT,
            SERIES_ID_BASE + 10,
            None,
            Status::UnknownSeries,
        ),
        ("no position", addr(3), CALL_60K, None, Status::NoPosition),
        (
            "expired",
            SHORT,
            CALL_60K,
            Some(expired),
            Status::SeriesExpired,
        ),
        ("the short", SHORT, CALL_60K, None, Status::Ok),
    ];
    for &(what, account, series, at, status) in rows {
        let mut sim = short_call(BOUNDARY - 1, &[long]);
        sim.deposit(addr(3), USD);
        if let Some(at) = at {
            sim.now = at;
            expect(&sim.price(BTC, INDEX_64K), Status::Ok);
        }
        let r = sim.liquidate(KEEPER, account, series);
        assert_eq!(r.status, status, "{what}: {r:?}");
    }
}

/// A short that cannot pay the mark pays what it holds; the long gets that (the insurance
/// fund, empty here, would add what it has). Nothing is minted or lost.
#[test]
fn a_short_short_of_the_mark_pays_what_it_holds() {
    let long = addr(2);
    let mut sim = short_call(BOUNDARY - 1, &[long]);
    let long_before = sim.collateral(long);
    sim.now += 1;
    // Index 80,000: the call is worth 20,000 USDC, more than the short's 12,799.999999.
    expect(&sim.price(BTC, 80_000 * USD as u64), Status::Ok);
    let total = sim.meta().total_collateral;
    let r = sim.liquidate(KEEPER, SHORT, CALL_60K);
    expect(&r, Status::Ok);
    let l = r.liquidation.unwrap();
    assert_eq!((l.fee, l.remaining, l.insolvent), (0, 0, false));
    assert_eq!(sim.collateral(SHORT), 0);
    assert_eq!(sim.collateral(long), long_before + BOUNDARY - 1);
    assert_eq!(sim.meta().total_collateral, total);
}

/// With more longs than `ADL_MAX_COUNTERPARTIES`, one action closes against the first that
/// many and leaves the rest of the short (here the account is healthy again, so a second
/// `Liquidate` is refused). The paths it touches are counted exactly against the bound of
/// `engine::bounds`, `8 + 2·M + 4·O + 3·K`: besides the sweeps' 3 empty probes, the 8 are
/// the liquidator's nonce leaf and account, the account, its insolvency key, the cancel
/// probe, the fund's account, the series' market leaf and the meta leaf; the margin walk
/// of the one series held reads its position, series, underlying market and
/// implied-volatility leaves (4 of the 2·M); no order is cancelled (0 of 4·O); per long
/// the ADL probe (the entry its close deletes), its position and its account.
#[test]
fn at_most_k_longs_per_action_and_the_paths_counted() {
    let k = ADL_MAX_COUNTERPARTIES;
    let longs: Vec<Address> = (0..=k as u8).map(|i| addr(20 + i)).collect();
    let mut sim = short_call(BOUNDARY - 1, &longs);
    let each = (ONE / longs.len() as u64) as i128;
    let r = sim.liquidate(KEEPER, SHORT, CALL_60K);
    expect(&r, Status::Ok);
    let l = r.liquidation.unwrap();
    assert_eq!(l.deleveraged.len(), k);
    assert_eq!(l.remaining, -each);
    assert_eq!(sim.market(CALL_60K).long_open_interest, each as u64);
    let first = sim.last_touched;
    expect(
        &sim.liquidate(KEEPER, SHORT, CALL_60K),
        Status::NotLiquidatable,
    );
    // Each changed position (the short's, the K longs') also has its TP/SL link read
    // (Part 4 §24); none has a pair, so its removal's other 5 paths are not touched.
    assert_eq!(
        first,
        3 + 8 + 4 + 3 * k + (1 + k),
        "paths of the first liquidation"
    );
    let sizes = protocol::action::BoundSizes {
        markets: 2,
        fills: 0,
        open_orders: 0,
    };
    assert_eq!(
        protocol::engine::option_liquidation_paths(sizes),
        first - 3 + (1 + k) * (protocol::engine::triggers::TP_SL_CLOSE_PATHS - 1),
        "the bound, reached: one series (2 of M's paths each), no order, K longs"
    );
}
