//! The options' implied volatility (docs/PROTOCOL.md Part 8 §10): each row is a block
//! time, a signer slot, a market, a volatility (ppm) and its signing time, the status it
//! must get, and the market's implied volatility and its time afterwards, with three
//! signers and a max age of 60,000 ms, like the index median (`oracle_median.rs`).

use super::*;
use protocol::action::ImpliedVolUpdate;
use protocol::engine::option_records::ImpliedVols;
use protocol::engine::option_view::implied_vols;

const SIGNERS: [Address; 3] = [ORACLE, Address([0xe1; 20]), Address([0xe2; 20])];

/// `(block time, signer slot, market, vol ppm, signed at, status, vol after, its time)`.
type Row = (u64, usize, u32, u64, u64, Status, u64, u64);

#[test]
fn the_implied_vol_is_the_median_of_the_fresh_signers() {
    let rows: &[Row] = &[
        (1_000, 0, BTC, 800_000, 1_000, Status::Ok, 800_000, 1_000),
        // A second signer: the mean of the two, rounded down.
        (1_000, 1, BTC, 900_001, 990, Status::Ok, 850_000, 1_000),
        // A third's outlier does not move the median of three.
        (2_000, 2, BTC, 5_000_000, 2_000, Status::Ok, 900_001, 2_000),
        // Replays and stale times of a signer are refused, and change nothing.
        (
            2_000,
            2,
            BTC,
            700_000,
            2_000,
            Status::ImpliedVolNotNewer,
            900_001,
            2_000,
        ),
        (
            2_000,
            0,
            BTC,
            700_000,
            2_001,
            Status::ImpliedVolFromFuture,
            900_001,
            2_000,
        ),
        // Out of range, or on a market without options.
        (
            3_000,
            0,
            BTC,
            0,
            3_000,
            Status::InvalidImpliedVol,
            900_001,
            2_000,
        ),
        (
            3_000,
            0,
            BTC,
            5_000_001,
            3_000,
            Status::InvalidImpliedVol,
            900_001,
            2_000,
        ),
        (
            3_000,
            0,
            TOY,
            800_000,
            3_000,
            Status::InvalidImpliedVol,
            900_001,
            2_000,
        ),
        // 61 s later only the new one is fresh.
        (63_000, 1, BTC, 750_000, 63_000, Status::Ok, 750_000, 63_000),
    ];
    let g = genesis().with_oracles(SIGNERS.to_vec());
    let mut sim = Sim::with_genesis(g);
    for (i, &(now, slot, market, vol_ppm, signed_at, status, vol, at)) in rows.iter().enumerate() {
        sim.now = now;
        let update = Action::ImpliedVolUpdate(ImpliedVolUpdate {
            market,
            vol_ppm,
            timestamp_ms: signed_at,
        });
        let r = sim.apply(signed(update), Ok(SIGNERS[slot]));
        assert_eq!(r.status, status, "row {i}: {r:?}");
        let ImpliedVols {
            vol_ppm,
            timestamp_ms,
            ..
        } = implied_vols(&mut sim.st, BTC, 3).unwrap();
        assert_eq!((vol_ppm, timestamp_ms), (vol, at), "row {i}");
    }
}

/// Only the genesis oracle signers may post a volatility.
#[test]
fn only_oracle_signers_post_volatility() {
    let mut sim = Sim::new();
    let update = Action::ImpliedVolUpdate(ImpliedVolUpdate {
        market: BTC,
        vol_ppm: 800_000,
        timestamp_ms: sim.now,
    });
    let r = sim.apply(signed(update), Ok(addr(7)));
    expect(&r, Status::NotOracle);
}
