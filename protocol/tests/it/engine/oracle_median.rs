//! The index as the median of the fresh oracle signers (docs/PROTOCOL.md Part 4 §7), as a
//! table of signed prices on the TOY market with three signers (max price age 60,000 ms):
//! each row is a block time, a signer slot, a price and its signing time, the status it
//! must get, and the mark price (= index) and index time after it.

use super::*;

const P: u64 = 1_000_000; // one USD
const SIGNERS: [Address; 3] = [ORACLE, Address([0xe1; 20]), Address([0xe2; 20])];

/// `(block time, signer slot, price in USD, signed at, status, index in micro-USDC, index time)`.
type Row = (u64, usize, u64, u64, Status, u64, u64);

fn run(name: &str, rows: &[Row]) {
    let g = genesis().with_oracles(SIGNERS.to_vec());
    g.validate().expect("valid");
    let mut sim = Sim::with_genesis(g);
    for (i, &(now, slot, usd, signed_at, status, index, index_ms)) in rows.iter().enumerate() {
        sim.now = now;
        let update = Action::PriceUpdate(PriceUpdate {
            market: TOY,
            price: usd * P,
            timestamp_ms: signed_at,
        });
        let r = sim.apply(signed(update), Ok(SIGNERS[slot]));
        assert_eq!(r.status, status, "{name}, row {i}: {r:?}");
        let ms = sim.market(TOY);
        assert_eq!(
            (ms.index_price, ms.price_timestamp_ms),
            (index, index_ms),
            "{name}, row {i}"
        );
    }
}

#[test]
fn a_second_signers_outlier_does_not_move_the_median() {
    run(
        "outlier",
        &[
            (1_000, 0, 100, 1_000, Status::Ok, 100 * P, 1_000),
            // Two fresh: the mean of the middle two, rounded down.
            (1_000, 1, 101, 1_000, Status::Ok, 100_500_000, 1_000),
            (2_000, 2, 102, 2_000, Status::Ok, 101 * P, 2_000),
            // Signer 1 goes wild: the median is the middle honest price.
            (3_000, 1, 5_000, 3_000, Status::Ok, 102 * P, 3_000),
            (4_000, 1, 1, 4_000, Status::Ok, 100 * P, 4_000),
            // Its replay is refused and changes nothing.
            (
                4_000,
                1,
                1,
                4_000,
                Status::OraclePriceNotNewer,
                100 * P,
                4_000,
            ),
        ],
    );
}

#[test]
fn stale_signers_are_left_out_and_a_late_price_joins_at_the_index_time() {
    run(
        "staleness",
        &[
            (1_000, 0, 100, 1_000, Status::Ok, 100 * P, 1_000),
            (1_000, 1, 110, 1_000, Status::Ok, 105 * P, 1_000),
            // 60,000 ms later both are exactly max age old: still fresh.
            (61_000, 2, 120, 61_000, Status::Ok, 110 * P, 61_000),
            // One ms later slots 0 and 1 are stale: only slot 2's new price counts.
            (61_001, 2, 121, 61_001, Status::Ok, 121 * P, 61_001),
            // A price signed before the index time joins as of the index time (61,001):
            // 30,000 ms old, fresh; the index stays at 61,001.
            (61_001, 0, 119, 31_001, Status::Ok, 120 * P, 61_001),
            // From the future: refused.
            (
                61_001,
                1,
                119,
                61_002,
                Status::OraclePriceFromFuture,
                120 * P,
                61_001,
            ),
        ],
    );
}

#[test]
fn only_genesis_signers_may_post() {
    let g = genesis().with_oracles(SIGNERS.to_vec());
    let mut sim = Sim::with_genesis(g);
    let update = Action::PriceUpdate(PriceUpdate {
        market: TOY,
        price: 100 * P,
        timestamp_ms: sim.now,
    });
    let r = sim.apply(signed(update), Ok(addr(7)));
    assert_eq!(r.status, Status::NotOracle);
    assert!(
        r.detail
            .as_deref()
            .unwrap_or("")
            .contains("not one of the 3"),
        "{r:?}"
    );
}
