//! Time-based funding (docs/PROTOCOL.md Part 4 §6): the premium sampled after the last
//! action on a market is held and accrues by elapsed time at the next one, so funding over
//! an hour is the same whether or not a price update was included, and changes only by what
//! the updates change (the index, and the premium sampled against it). One table, on the
//! TOY market at 1,000 USD (0 size decimals, taker fee 20 bps, hourly period).

use super::*;
use TimeInForce::{Gtc, Ioc};

const P1000: u64 = 1_000_000_000;
const HOUR_MS: u64 = 3_600_000;
const SCALE: i128 = 1_000_000; // FUNDING_INDEX_SCALE

/// `(name, price updates (block time = signing time, USD) during the hour, the funding
/// index after it, alice's settled funding in micro-USDC)`.
type Row = (&'static str, &'static [(u64, u64)], i128, i128);

const ROWS: &[Row] = &[
    // 1,000 USD × 5 bps × one period = 0.5 USD per unit; alice (long 10) pays 5 USD.
    (
        "no price update for an hour",
        &[],
        500_000 * SCALE,
        -5_000_000,
    ),
    (
        "the same price at half past",
        &[(1_801_000, 1_000)],
        500_000 * SCALE,
        -5_000_000,
    ),
    (
        "the same price every quarter hour",
        &[(901_000, 1_000), (1_801_000, 1_000), (2_701_000, 1_000)],
        500_000 * SCALE,
        -5_000_000,
    ),
    // Half an hour at 1,000 × 5 bps (+0.25 USD), then the index is 1,010 and the book's mid
    // 1,000.5 is 94 bps under it, capped at −50: half an hour at 1,010 × −50 bps (−2.525).
    (
        "1,010 USD at half past",
        &[(1_801_000, 1_010)],
        -2_275_000 * SCALE,
        22_750_000,
    ),
];

#[test]
fn funding_accrues_by_elapsed_time_at_the_held_premium() {
    for &(name, updates, index, alice_funding) in ROWS {
        let (alice, bob, carol) = (addr(1), addr(2), addr(3));
        let mut sim = Sim::new();
        sim.price(TOY, P1000);
        for who in [alice, bob, carol] {
            sim.deposit(who, 100_000 * USD);
        }
        // alice long 10 from bob at 1,000 (taker fee 20 USD); carol quotes 1,000 / 1,001:
        // the premium sampled after her ask is trunc(1 × 10^4 / 2,000) = 5 bps.
        expect(&sim.order(bob, TOY, (false, P1000, 10), Gtc), Status::Ok);
        expect(&sim.order(alice, TOY, (true, P1000, 10), Ioc), Status::Ok);
        expect(&sim.order(carol, TOY, (true, P1000, 5), Gtc), Status::Ok);
        expect(
            &sim.order(carol, TOY, (false, P1000 + 1_000_000, 5), Gtc),
            Status::Ok,
        );
        assert_eq!(sim.market(TOY).funding_premium_bps, 5, "{name}");
        for &(t, usd) in updates {
            sim.now = t;
            expect(&sim.price(TOY, usd * 1_000_000), Status::Ok);
        }
        // An hour after the first price, the price is stale: alice's reduce-only sell of
        // 1 into carol's bid is the first action since, and accrues the whole span first.
        sim.now = 1_000 + HOUR_MS;
        let o = sim.order_msg(alice, TOY, (false, P1000, 1), Ioc);
        expect(&sim.reduce_only(o), Status::Ok);
        assert_eq!(sim.market(TOY).funding_index, index, "{name}");
        assert_eq!(
            sim.market(TOY).funding_timestamp_ms,
            1_000 + HOUR_MS,
            "{name}"
        );
        // 100,000 − 20 (fee) − 2 (fee) + funding; the close at entry realizes nothing.
        assert_eq!(
            sim.collateral(alice),
            99_978 * USD + alice_funding,
            "{name}"
        );
        // bob (short 10) is owed the opposite, unsettled until his size changes.
        let bob_view = sim.view(bob);
        assert_eq!(bob_view.positions[0].funding, -alice_funding, "{name}");
    }
}
