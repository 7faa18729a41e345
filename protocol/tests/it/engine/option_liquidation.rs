//! Liquidating short option positions (docs/PROTOCOL.md Part 8 §15): a `Liquidate` naming
//! a series buys the account's short back through the series' asks within the band, only
//! the perps' target, and closes what the book could not give against the series' longs at
//! the mark, under the perps' health test and fee rule, at the boundary (1 micro-USDC below
//! and exactly at the maintenance margin), with at most `ADL_MAX_COUNTERPARTIES` longs per
//! action and the touched paths counted exactly (with and without the book's F events).
//! Without an implied volatility the marks are intrinsic values, so every number is exact
//! by hand.

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
    short_call_on(listed_sim(), collateral, longs)
}

/// [`short_call`] on a chain already listed by [`listed_sim`] (perhaps on another genesis).
fn short_call_on(mut sim: Sim, collateral: i128, longs: &[Address]) -> Sim {
    let each = ONE / longs.len() as u64;
    let premium = PREMIUM as i128 * (each * longs.len() as u64) as i128 / ONE as i128;
    // Maker fee: ⌈2 bps of each fill's premium⌉, per fill.
    let fee = (PREMIUM as i128 * each as i128 / ONE as i128 * 2 + 9_999) / 10_000;
    sim.deposit(SHORT, collateral - premium + fee * longs.len() as i128);
    for long in longs {
        sim.deposit(*long, 2_000 * USD);
        expect(
            &sim.order(SHORT, CALL_60K, (false, PREMIUM, each), TimeInForce::Gtc),
            Status::Ok,
        );
        expect(
            &sim.order(*long, CALL_60K, (true, PREMIUM, each), TimeInForce::Ioc),
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

/// The paths the sweeps add to every transaction here: the dead-man's, the expiry sweep's
/// and the option settlement's probes.
const SWEEP_PATHS: usize = 3;

/// With more longs than `ADL_MAX_COUNTERPARTIES`, one action closes against the first that
/// many and leaves the rest of the short (here the account is healthy again, so a second
/// `Liquidate` is refused). The paths it touches are counted exactly against the bound of
/// `engine::bounds` with no fill: besides the sweeps' 3 probes, the 8 are the liquidator's
/// nonce leaf and account, the account, its insolvency key, the cancel probe, the fund's
/// account, the series' market leaf and the meta leaf; the margin walk of the one series
/// held reads its position, series, underlying market and implied-volatility leaves (4 of
/// the 2·M); no order is cancelled (0 of 4·O); the book leg's one probe of the empty asks;
/// per long the ADL probe (the entry its close deletes), its position and its account.
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
        SWEEP_PATHS + 8 + 4 + 1 + 3 * k + (1 + k),
        "paths of the first liquidation"
    );
    let sizes = protocol::action::BoundSizes {
        markets: 2,
        fills: 0,
        open_orders: 0,
    };
    assert_eq!(
        protocol::engine::option_liquidation_paths(sizes),
        first - SWEEP_PATHS + (1 + k) * (protocol::engine::triggers::TP_SL_CLOSE_PATHS - 1),
        "the bound, reached: one series (2 of M's paths each), no order, K longs"
    );
}

/// The book leg's band around the 4,000 USDC mark: the underlying's 10 %, 400 USDC.
const MARK: u64 = 4_000 * USD as u64;
const BAND_EDGE: u64 = 4_400 * USD as u64;
/// One premium tick (0.1 USDC) past the band edge.
const PAST_EDGE: u64 = BAND_EDGE + 100_000;
/// The target of a short of 1 BTC at 12,799.999999 USDC (Part 8 §15 stage 1): equity
/// 8,799.999999, initial margin 4,000 + 9,600 = 13,600 per BTC; buying one BTC back at the
/// mark frees 13,600 less its 1 % fee of 40: `⌈4,800.000001 × 10^4 / 13,560⌉ = 3,540`.
const TARGET: u64 = 3_540;
const MAKER: Address = Address([7; 20]);

/// `(what, collateral, asks (price, size), status, book_filled, closed against the long,
/// remaining)`: stage 1 buys back only the target through the series' asks within the
/// band, best first; what the book cannot give goes to stage 2 against the long at the
/// mark, whole (the perps' rule); an ask past the band is not taken; exactly at
/// maintenance nothing happens.
#[test]
fn stage_one_buys_back_the_target_through_the_book_within_the_band() {
    type Row<'a> = (&'a str, i128, &'a [(u64, u64)], Status, u64, i128, i128);
    let one = ONE as i128;
    let rows: &[Row] = &[
        (
            "at the mark",
            BOUNDARY - 1,
            &[(MARK, ONE)],
            Status::Ok,
            TARGET,
            0,
            -(one - TARGET as i128),
        ),
        (
            "best first",
            BOUNDARY - 1,
            &[(BAND_EDGE, ONE), (MARK, 3_000)],
            Status::Ok,
            TARGET,
            0,
            -(one - TARGET as i128),
        ),
        (
            "at the band edge",
            BOUNDARY - 1,
            &[(BAND_EDGE, ONE)],
            Status::Ok,
            TARGET,
            0,
            -(one - TARGET as i128),
        ),
        (
            "thin book",
            BOUNDARY - 1,
            &[(MARK, 1_000), (PAST_EDGE, ONE)],
            Status::Ok,
            1_000,
            one - 1_000,
            0,
        ),
        (
            "past the band",
            BOUNDARY - 1,
            &[(PAST_EDGE, ONE)],
            Status::Ok,
            0,
            one,
            0,
        ),
        (
            "at maintenance",
            BOUNDARY,
            &[(MARK, ONE)],
            Status::NotLiquidatable,
            0,
            0,
            -one,
        ),
    ];
    let long = addr(2);
    for &(what, collateral, asks, status, book, adl, remaining) in rows {
        let mut sim = short_call(collateral, &[long]);
        sim.deposit(MAKER, 100_000 * USD);
        for &(price, size) in asks {
            expect(
                &sim.order(MAKER, CALL_60K, (false, price, size), TimeInForce::Gtc),
                Status::Ok,
            );
        }
        let watched = [SHORT, long, MAKER, KEEPER, INSURANCE_FUND];
        let before: i128 = watched.iter().map(|a| sim.collateral(*a)).sum();
        let (fees, total) = (sim.meta().fees, sim.meta().total_collateral);
        let r = sim.liquidate(KEEPER, SHORT, CALL_60K);
        assert_eq!(r.status, status, "{what}: {r:?}");
        assert_eq!(sim.position(SHORT, CALL_60K).size, remaining, "{what}");
        if status != Status::Ok {
            continue;
        }
        let l = r.liquidation.unwrap();
        assert_eq!(l.book_filled, book, "{what}");
        assert_eq!(l.remaining, remaining, "{what}");
        let filled: u64 = r.fills.iter().map(|f| f.size).sum();
        assert_eq!(filled, book, "{what}: the fills are the book leg's");
        assert!(
            r.fills
                .iter()
                .all(|f| f.taker == SHORT && f.taker_is_buy && f.taker_fee == 0),
            "{what}: the short buys back, paying the liquidation fee and no taker fee"
        );
        assert!(r.fills.iter().all(|f| f.price <= BAND_EDGE), "{what}");
        let closed: i128 = l.deleveraged.iter().map(|d| -d.size).sum();
        assert_eq!(closed, adl, "{what}: stage 2 against the long");
        // The fee: 1 % of all the contracts closed at the option's mark, per stage.
        let fee = |x: i128| (x * MARK as i128 / one * 100 + 9_999) / 10_000;
        assert_eq!(l.fee, fee(book as i128) + fee(adl), "{what}");
        assert_eq!(l.reward, l.fee * LIQUIDATOR_SHARE_BPS / 10_000, "{what}");
        // Conservation: collateral only moved between these accounts, but for the makers'
        // fees (to `meta.fees`).
        let after: i128 = watched.iter().map(|a| sim.collateral(*a)).sum();
        let maker_fees: i128 = r.fills.iter().map(|f| f.maker_fee).sum();
        assert_eq!(sim.meta().fees - fees, maker_fees, "{what}");
        assert_eq!(after, before - maker_fees, "{what}");
        assert_eq!(sim.meta().total_collateral, total - maker_fees, "{what}");
        // A short left open is back at or above its maintenance margin (its initial one
        // when the book gave all of it at the mark); the maker holds what it sold.
        let risk = protocol::engine::view::account_risk_view(&mut sim.st, &sim.g, &SHORT).unwrap();
        assert!(risk.equity >= risk.maintenance, "{what}: {risk:?}");
        if remaining != 0 && asks[0].0 == MARK {
            assert!(risk.equity >= risk.initial, "{what}: {risk:?}");
        }
        assert_eq!(
            sim.position(MAKER, CALL_60K).size,
            -(book as i128),
            "{what}"
        );
        assert!(!l.insolvent, "{what}");
    }
}

/// The fill events one order may consume in [`the_book_leg_and_k_longs_reach_the_bound`].
const F: u32 = 4;

/// The bound of a series `Liquidate` reached, the book leg included: `F` makers, each long
/// 1 contract and holding 1 BTC unit too (M = 2 positions), rest `ClientOrder` asks of 2
/// at the mark (with a good-till-time and a client id); the short's target is far more
/// than the book's 8, so stage 1 walks all F events and stage 2 closes against K of the
/// K + 1 longs. Per event the book leaf, its index leaf, the maker's account, series
/// position, other position, ADL move (its long entry deleted, its short entry written),
/// the order's expiry entry and client-id leaf: `M + 7`; then the book's final probe.
#[test]
fn the_book_leg_and_k_longs_reach_the_bound() {
    let k = ADL_MAX_COUNTERPARTIES;
    let mut base = Sim::with_genesis(Genesis {
        max_fills_per_order: F,
        ..genesis()
    });
    base.now = listed_sim().now;
    expect(&base.price(BTC, 60_000 * USD as u64), Status::Ok);
    let makers: Vec<Address> = (40..40 + F as u8).map(addr).collect();
    let (seller, btc_seller) = (addr(60), addr(61));
    base.deposit(seller, 100_000 * USD);
    base.deposit(btc_seller, 100_000 * USD);
    for m in &makers {
        base.deposit(*m, 100_000 * USD);
        base.order(seller, CALL_60K, (false, PREMIUM, 1), TimeInForce::Gtc);
        expect(
            &base.order(*m, CALL_60K, (true, PREMIUM, 1), TimeInForce::Ioc),
            Status::Ok,
        );
        base.order(
            btc_seller,
            BTC,
            (false, 60_000 * USD as u64, 1),
            TimeInForce::Gtc,
        );
        expect(
            &base.order(*m, BTC, (true, 60_000 * USD as u64, 1), TimeInForce::Ioc),
            Status::Ok,
        );
    }
    let longs: Vec<Address> = (0..=k as u8).map(|i| addr(20 + i)).collect();
    let mut sim = short_call_on(base, BOUNDARY - 1, &longs);
    for (i, m) in makers.iter().enumerate() {
        let order = protocol::action::ClientOrder {
            signer: *m,
            account: *m,
            market: CALL_60K,
            is_buy: false,
            price: MARK,
            size: 2,
            tif: TimeInForce::Gtc,
            reduce_only: false,
            client_id: i as u128 + 1,
            nonce: sim.next_nonce(),
            expires_at: sim.now + 3_600_000,
        };
        expect(&sim.act(Action::ClientOrder(order)), Status::Ok);
    }
    let r = sim.liquidate(KEEPER, SHORT, CALL_60K);
    expect(&r, Status::Ok);
    let l = r.liquidation.unwrap();
    assert_eq!(
        (l.book_filled, r.fills.len()),
        (2 * u64::from(F), F as usize)
    );
    assert_eq!(l.deleveraged.len(), k);
    let each = (ONE / longs.len() as u64) as i128;
    assert_eq!(l.remaining, -each + 2 * i128::from(F));
    for m in &makers {
        assert_eq!(sim.position(*m, CALL_60K).size, -1);
    }
    let sizes = protocol::action::BoundSizes {
        markets: 2,
        fills: F as usize,
        open_orders: 0,
    };
    // No position has a TP/SL pair: each of the 1 + F + K changed positions has its link
    // read only, 5 paths less than the bound counts.
    let pairs_absent = (1 + F as usize + k) * (protocol::engine::triggers::TP_SL_CLOSE_PATHS - 1);
    // The expiry sweep's probe finds a maker's expiry entry, which the book leg deletes
    // anyway: the sweeps add 2 paths here.
    assert_eq!(
        sim.last_touched,
        SWEEP_PATHS - 1 + protocol::engine::option_liquidation_paths(sizes) - pairs_absent,
        "the bound, reached: one series held, no order, F book events, K longs"
    );
}
