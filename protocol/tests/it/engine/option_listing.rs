//! The option listing rule in the STF (docs/PROTOCOL.md Part 8 §9) on the test genesis,
//! which keeps the devnet's BTC-PERP schedule: daily expiries at 08:00 UTC from
//! 2026-01-01, each listed a day ahead, five strikes 1,000 USDC apart. Each row is a BTC
//! index update at a time relative to the first expiry, and the series it must list.

use super::*;
use protocol::engine::option_records::SeriesKind;
use protocol::engine::option_view::{option_chain, option_series, series_name};
use protocol::genesis::DEVNET_FIRST_EXPIRY_MS as FIRST;
use protocol::options::schedule::SERIES_ID_BASE;

const DAY: u64 = 86_400_000;
const USDC: u64 = 1_000_000;

/// `(index time, index in USDC, expiry listed, its strikes in thousands of USDC)`.
type Row = (u64, u64, Option<u64>, &'static [u64]);

#[test]
fn expiries_list_at_their_lead_time_around_the_index() {
    let rows: &[Row] = &[
        // One ms before the listing time of the first expiry: nothing.
        (FIRST - DAY - 1, 60_400, None, &[]),
        // Exactly at it: the grid around 60,400 → centre 60,000.
        (FIRST - DAY, 60_400, Some(FIRST), &[58, 59, 60, 61, 62]),
        // Later that day: already listed, nothing new.
        (FIRST - 1, 61_000, None, &[]),
        // The next expiry lists at its own lead time, the first expiry's time, around
        // the index then (61,500 rounds up to 62,000).
        (FIRST, 61_500, Some(FIRST + DAY), &[60, 61, 62, 63, 64]),
        // No index for days: the passed expiries are skipped; the next one after the time
        // lists.
        (
            FIRST + 5 * DAY + 7,
            50_000,
            Some(FIRST + 6 * DAY),
            &[48, 49, 50, 51, 52],
        ),
    ];
    let mut sim = Sim::new();
    let mut next_id = SERIES_ID_BASE;
    for (i, &(now, usd, expiry, strikes)) in rows.iter().enumerate() {
        sim.now = now;
        expect(&sim.price(BTC, usd * USDC), Status::Ok);
        let mut want = Vec::new();
        for k in strikes {
            for kind in [SeriesKind::Call, SeriesKind::Put] {
                want.push((next_id, expiry.unwrap(), k * 1_000 * USDC, kind));
                next_id += 1;
            }
        }
        let listed: Vec<_> = (SERIES_ID_BASE..next_id + 2)
            .filter_map(|id| option_series(&mut sim.st, id).unwrap())
            .filter(|v| Some(v.series.expiry_ms) == expiry)
            .map(|v| {
                (
                    v.id,
                    v.series.expiry_ms,
                    v.series.strike_price,
                    v.series.kind,
                )
            })
            .collect();
        assert_eq!(listed, want, "row {i}");
        assert!(
            option_series(&mut sim.st, next_id).unwrap().is_none(),
            "row {i}"
        );
    }
    let chain = option_chain(&mut sim.st, BTC).unwrap();
    assert_eq!(chain.len(), 30);
    // The last update's transaction swept the first expiry (Part 8 §13): the index of
    // the first update at or after it (61,500) became its settlement price.
    for v in &chain {
        let settled = if v.series.expiry_ms == FIRST {
            61_500 * USDC
        } else {
            0
        };
        assert_eq!(v.series.settlement_price, settled, "{}", v.id);
    }
    assert_eq!(
        series_name("BTC-PERP", &chain[0].series),
        "BTC-20260101-58000-C"
    );
    assert!(option_chain(&mut sim.st, TOY).unwrap().is_empty());
}

/// A market without a schedule lists nothing, and a rejected index update lists nothing.
#[test]
fn only_accepted_updates_of_scheduled_markets_list() {
    let mut sim = Sim::new();
    sim.now = FIRST;
    expect(&sim.price(TOY, P100), Status::Ok);
    let stale = Action::PriceUpdate(PriceUpdate {
        market: BTC,
        price: 60_000 * USDC,
        timestamp_ms: FIRST + 1,
    });
    // From the future: rejected, so nothing is listed.
    expect(&sim.act(stale), Status::OraclePriceFromFuture);
    assert!(option_chain(&mut sim.st, BTC).unwrap().is_empty());
    assert!(option_chain(&mut sim.st, TOY).unwrap().is_empty());
}
